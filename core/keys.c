/*
 * keys.c - key names and Android key codes (see keys.h).
 */
#include "core/keys.h"

#include <string.h>

static const struct {
    const char *name;
    int android;
} keys[TL_KEY__COUNT] = {
    [TL_KEY_BACK] = {"back", 4},
    [TL_KEY_HOME] = {"home", 3},
    [TL_KEY_RECENT] = {"recent", 187},
    [TL_KEY_ENTER] = {"enter", 66},
    [TL_KEY_DELETE] = {"delete", 67},
    [TL_KEY_TAB] = {"tab", 61},
    [TL_KEY_FORWARD_DELETE] = {"forward_delete", 112},
};

const char *tl_key_name(tl_key key)
{
    return (unsigned)key < TL_KEY__COUNT ? keys[key].name : "?";
}

bool tl_key_parse(const char *name, tl_key *out)
{
    for (int k = 0; k < TL_KEY__COUNT; k++) {
        if (strcmp(name, keys[k].name) == 0) {
            *out = (tl_key)k;
            return true;
        }
    }
    return false;
}

int tl_key_android_code(tl_key key)
{
    return (unsigned)key < TL_KEY__COUNT ? keys[key].android : 0;
}

const char *tl_key_names_list(void)
{
    return "back, home, recent, enter, delete, tab, forward_delete";
}
