/*
 * keys.h - the keys and global actions of SPEC §3 (`press_key`), shared by the action model
 * (planner/) and the drivers, which must not include each other.
 */
#ifndef TL_KEYS_H
#define TL_KEYS_H

#include <stdbool.h>

typedef enum tl_key {
    TL_KEY_BACK,
    TL_KEY_HOME,
    TL_KEY_RECENT,
    TL_KEY_ENTER,
    TL_KEY_DELETE,
    TL_KEY_TAB,
    TL_KEY_FORWARD_DELETE,
    TL_KEY__COUNT
} tl_key;

/** SPEC name of a key ("back", "forward_delete", ...). Never NULL ("?" if out of range). */
const char *tl_key_name(tl_key key);

/** Parse a SPEC key name. @return true and *out on success, false for an unknown name. */
bool tl_key_parse(const char *name, tl_key *out);

/** Android KEYCODE_* number of a key (BACK 4, HOME 3, RECENT 187 = APP_SWITCH, ENTER 66,
 *  DELETE 67, TAB 61, FORWARD_DELETE 112). */
int tl_key_android_code(tl_key key);

/** The SPEC key names joined by ", ", for help and error messages. */
const char *tl_key_names_list(void);

#endif
