/*
 * action.h - the action model of SPEC §3: the one type every part of taploop uses for an action
 * (the LLM's tool calls, `taploop act`, cassettes, trajectories, suites), with one parser, one
 * validator and one serializer.
 *
 * An action is checked for shape here (known name, required parameters present, types and
 * ranges right, nothing unknown). Whether it makes sense on the current screen (the index is in
 * the listing, the point is on screen) is checked against the element index by agent/exec.c.
 */
#ifndef TL_ACTION_H
#define TL_ACTION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/keys.h"
#include "core/status.h"

typedef enum tl_action_type {
    TL_ACT_TAP,
    TL_ACT_LONG_PRESS,
    TL_ACT_SWIPE,
    TL_ACT_SCROLL,
    TL_ACT_TYPE,
    TL_ACT_PRESS_KEY,
    TL_ACT_START_APP,
    TL_ACT_STOP_APP,
    TL_ACT_WAIT,
    TL_ACT_DONE,
    TL_ACT__COUNT
} tl_action_type;

typedef enum tl_direction { TL_DIR_UP, TL_DIR_DOWN, TL_DIR_LEFT, TL_DIR_RIGHT } tl_direction;

/** Default and limits of SPEC §3. */
#define TL_LONG_PRESS_DEFAULT_MS 800
#define TL_SWIPE_DEFAULT_MS      300
#define TL_SWIPE_MIN_MS          10
#define TL_WAIT_MAX_MS           10000
#define TL_DURATION_MAX_MS       60000

/**
 * One action. Initialise with tl_action_init(), release with tl_action_dispose(); the strings
 * are owned by the action.
 */
typedef struct tl_action {
    tl_action_type type;
    bool has_index;         /**< `index` was given */
    long index;             /**< listing index [N] */
    bool has_point;         /**< `x`,`y` (tap, long_press) or the swipe's start were given */
    long x, y;              /**< tap point, or swipe start */
    long x2, y2;            /**< swipe end */
    long duration_ms;       /**< long_press / swipe duration (defaults applied by the parser) */
    tl_direction direction; /**< scroll */
    char *text;             /**< type: the text (owned) */
    bool clear;             /**< type: clear the field first */
    tl_key key;             /**< press_key */
    char *package;          /**< start_app / stop_app (owned) */
    char *activity;         /**< start_app, optional (owned) */
    long ms;                /**< wait */
    bool success;           /**< done */
    char *message;          /**< done (owned) */
    char *output;           /**< done: the `output` object as compact JSON text, or NULL (owned) */
} tl_action;

void tl_action_init(tl_action *a);
void tl_action_dispose(tl_action *a);

/** SPEC name of an action type ("tap", ...). Never NULL. */
const char *tl_action_name(tl_action_type t);

/** Parse an action name. @return false for an unknown name. */
bool tl_action_type_parse(const char *name, tl_action_type *out);

/** SPEC name of a direction. */
const char *tl_direction_name(tl_direction d);

/** Parse a direction name. @return false for an unknown one. */
bool tl_direction_parse(const char *name, tl_direction *out);

/**
 * Parse an action from a JSON object `{"action": NAME, params...}` (the fallback form of SPEC §3
 * and the form cassettes and trajectories store). Keys "reason", "reasoning" and "thought"
 * are ignored; any other unknown key is an error.
 * @return TL_OK; TL_EPARSE with a message a model can act on ("tap needs index or x and y",
 *         "unknown action \"click\"", ...); TL_ENOMEM. On error *out is left initialised.
 */
int tl_action_parse_json(tl_action *out, const char *json, size_t len, tl_error *err);

/**
 * Parse a tool call: the tool `name` and its `arguments` JSON object text (OpenAI tool_calls).
 * Same rules as tl_action_parse_json.
 */
int tl_action_parse_call(tl_action *out, const char *name, const char *args, size_t len,
                         tl_error *err);

/**
 * Check an action's shape: required parameters present, exactly one way to name a target,
 * ranges (durations, wait <= 10000 ms, non-negative coordinates, index >= 1).
 * @return TL_OK or TL_EPARSE with the reason.
 */
int tl_action_check(const tl_action *a, tl_error *err);

/** Append the action as compact JSON `{"action":NAME,...}` (parseable by
 *  tl_action_parse_json). @return TL_OK or TL_ENOMEM. */
int tl_action_to_json(const tl_action *a, tl_buf *out);

/** Append a short human description, e.g. `tap [12]`, `type "hello" into [4]`. */
int tl_action_describe(const tl_action *a, tl_buf *out);

#endif
