/*
 * sim_int.h - private to the sim driver (drivers/sim/): the phone model, its mutable state and
 * the layout of one screen.
 *
 * model.c  loads a model JSON (docs/sim-model.md) into struct sim_model, immutable afterwards.
 * phone.c  holds the behaviour: lays the current screen out (struct sim_layout) and applies
 *          taps, swipes, typing, keys and app starts to struct sim_state.
 *          It also runs timed transitions (a screen's "after"): sim_advance() applies those due
 *          by a given time, and sim_note_entry() records when a screen came to the front.
 * state.c  saves and loads struct sim_state for observe/act (persisted phones).
 * protocol.c writes a layout as Mobilerun ui-state JSON or uiautomator XML, the same texts
 *          real devices send, so that observing the sim goes through the real parsers.
 * render.c paints a layout's display list as PNG (render.h).
 * sim.c    is the driver vtable glue.
 */
#ifndef TL_SIM_INT_H
#define TL_SIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/geom.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/status.h"
#include "drivers/sim/render.h"

/* ---- model ----------------------------------------------------------------------------------- */

enum sim_view_kind {
    SIM_V_TEXT,
    SIM_V_ROW,
    SIM_V_SWITCH,
    SIM_V_CHECKBOX,
    SIM_V_BUTTON,
    SIM_V_INPUT,
    SIM_V_LIST,
};

enum sim_op_kind {
    SIM_OP_GO, /* arg: screen id */
    SIM_OP_BACK,
    SIM_OP_HOME,
    SIM_OP_LAUNCH,  /* arg: package */
    SIM_OP_TOGGLE,  /* arg: bool variable */
    SIM_OP_SET,     /* arg: variable, value: template or literal */
    SIM_OP_APPEND,  /* arg: list variable, keys/vals: the record's templates */
    SIM_OP_CLEAR,   /* keys: field names */
    SIM_OP_IF,      /* cond, then, otherwise */
    SIM_OP_REPLACE, /* arg: screen id of the same app, opened in place of the front screen */
};

enum sim_cond_kind {
    SIM_C_EQUALS,
    SIM_C_NOT_EQUALS,
    SIM_C_EMPTY,
    SIM_C_NOT_EMPTY,
    SIM_C_TRUTHY, /* a: variable name */
    SIM_C_FALSY,
};

struct sim_op;

struct sim_ops {
    struct sim_op *items; /* owned */
    size_t n;
};

struct sim_cond {
    enum sim_cond_kind kind;
    char *a, *b; /* owned templates (b only for the two-operand kinds) */
};

struct sim_op {
    enum sim_op_kind kind;
    char *arg;   /* owned */
    char *value; /* owned; SET: template; NULL with is_bool for literal booleans */
    bool is_bool, bool_value;
    char **keys; /* owned: APPEND record keys / CLEAR field names */
    char **vals; /* owned: APPEND record value templates */
    size_t nkv;
    struct sim_cond cond;
    struct sim_ops then, otherwise;
};

struct sim_view {
    enum sim_view_kind kind;
    char *id;              /* owned; full resource id or NULL for none */
    char *text;            /* owned template */
    char *summary;         /* owned template (ROW) */
    char *desc;            /* owned template */
    char *hint;            /* owned (INPUT) */
    char *field;           /* owned (INPUT): field name */
    char *checked;         /* owned (SWITCH, CHECKBOX): bool variable */
    char *visible_if;      /* owned: variable name, "!" prefix negates; NULL always visible */
    char *enabled_if;      /* owned: same form; NULL always enabled */
    char *items;           /* owned (LIST): list variable */
    char *empty;           /* owned (LIST): text when the list is empty */
    struct sim_view *item; /* owned (LIST): the item view */
    bool password;         /* INPUT */
    bool fab;              /* BUTTON: floating action button, bottom right, not scrolled */
    int height_dp;         /* 0: the kind's default */
    struct sim_ops on_tap, on_long_press;
};

struct sim_screen {
    char *id;               /* owned */
    int app;                /* index in model->apps */
    char *title;            /* owned template; NULL for no app bar */
    char *activity;         /* owned */
    struct sim_view *views; /* owned */
    size_t nviews;
    struct sim_ops on_submit; /* the keyboard's enter key in a field of this screen */
    int after_ms;             /* > 0: `after` runs this long after the screen came to the front */
    struct sim_ops after;     /* the timed transition's operations (none when after_ms is 0) */
};

struct sim_app {
    char *package; /* owned */
    char *label;   /* owned */
    int start;     /* screen index */
};

enum sim_var_type { SIM_VAR_BOOL, SIM_VAR_STRING, SIM_VAR_LIST };

/* A list variable's item: string fields. */
struct sim_record {
    char **keys, **vals; /* owned */
    size_t n;
};

/* Free a record's strings (model.c). */
void sim_record_dispose(struct sim_record *r);

struct sim_value {
    enum sim_var_type type;
    bool b;
    char *s;                  /* owned (STRING) */
    struct sim_record *items; /* owned (LIST) */
    size_t nitems;
};

struct sim_var {
    char *name; /* owned */
    struct sim_value init;
};

struct sim_model {
    char *name;           /* owned */
    int width, height;    /* pixels */
    double density;       /* px per dp */
    char *theme_var;      /* owned: bool variable selecting the dark palette, or NULL */
    struct sim_app *apps; /* owned */
    size_t napps;
    struct sim_screen *screens; /* owned */
    size_t nscreens;
    struct sim_var *vars; /* owned */
    size_t nvars;
    char **fields;      /* owned: every input field name */
    bool *field_secret; /* owned: the field is a password field */
    size_t nfields;
    char digest[65]; /* SHA-256 hex of the model text: saved states name their model */
};

/* The built-in demo phone's model text (generated from drivers/sim/demo-phone.json). */
extern const char tl_sim_demo_model[];
extern const size_t tl_sim_demo_model_len;

/* Load a model from JSON text. `origin` names it in messages (a path or "built-in").
 * @return TL_OK, TL_EPARSE naming the key path of the first problem, TL_ENOMEM. */
int sim_model_load(struct sim_model **out, const char *json, size_t len, const char *origin,
                   tl_error *err);
void sim_model_free(struct sim_model *m);
int sim_model_screen(const struct sim_model *m, const char *id);   /* -1 if none */
int sim_model_app(const struct sim_model *m, const char *package); /* -1 if none */
int sim_model_var(const struct sim_model *m, const char *name);    /* -1 if none */
int sim_model_field(const struct sim_model *m, const char *name);  /* -1 if none */

/* ---- state ----------------------------------------------------------------------------------- */

struct sim_entry {
    int screen;
    int scroll; /* pixels scrolled down in the screen's content */
};

struct sim_task {
    int app;
    struct sim_entry *stack; /* owned; stack[depth-1] is on top */
    size_t depth, cap;
};

struct sim_field_value {
    char *value;              /* owned; NULL when only the digest is known (restored password) */
    unsigned char digest[32]; /* SHA-256(salt || value), for secret fields */
    size_t chars;             /* length in characters */
};

enum sim_surface { SIM_SURFACE_APP, SIM_SURFACE_LAUNCHER, SIM_SURFACE_RECENTS };

struct sim_state {
    struct sim_task *tasks; /* owned; most recently used last */
    size_t ntasks;
    enum sim_surface surface;       /* what is in front: the last task's top, launcher or recents */
    struct sim_value *vars;         /* owned; one per model var */
    struct sim_field_value *fields; /* owned; one per model field */
    int focus;                      /* focused field index, -1 for none */
    int recents_scroll;
    unsigned char salt[16];
    /* Timed transitions: when the front screen came to the front, on the phone's clock (ms;
     * monotonic for in-process phones, wall-clock for persisted ones), and whether its `after`
     * has run since without taking it away. */
    long long entered_ms;
    bool after_done;
};

int sim_state_init(struct sim_state *st, const struct sim_model *m, tl_error *err);
void sim_state_dispose(struct sim_state *st, const struct sim_model *m);

/* Serialize to / restore from JSON (the persisted phone). Secret field values are stored as
 * their salted digest only. */
int sim_state_save(const struct sim_state *st, const struct sim_model *m, tl_buf *out);
int sim_state_load(struct sim_state *st, const struct sim_model *m, const char *json, size_t len,
                   tl_error *err);

/* ---- layout ---------------------------------------------------------------------------------- */

enum sim_role {
    SIM_R_ROOT,
    SIM_R_CONTAINER,
    SIM_R_TITLE,
    SIM_R_UP,     /* the app bar's navigate-up button */
    SIM_R_SCROLL, /* the scrolling content container */
    SIM_R_VIEW,   /* the node of a model view (or of a list item) */
    SIM_R_LABEL,  /* a text inside a row (title or summary) */
    SIM_R_ICON,   /* launcher icon */
    SIM_R_RECENT, /* a task card in recents */
    SIM_R_CLEAR_ALL,
};

struct sim_node {
    int parent; /* -1 for the root */
    int end;    /* one past the last descendant (nodes are in pre-order) */
    enum sim_role role;
    const char *cls;  /* static */
    const char *pkg;  /* borrowed from the model */
    const char *id;   /* borrowed or arena; "" for none */
    const char *text; /* arena or borrowed; "" for none */
    const char *desc;
    const char *hint;
    tl_rect bounds; /* unclipped screen pixels */
    bool clickable, long_clickable, checkable, checked, editable, scrollable, focusable, focused,
        password, enabled;
    const struct sim_view *view; /* SIM_R_VIEW: the model view */
    int item;                    /* list item index, -1 otherwise */
    int target;                  /* ICON: app index; RECENT: task index */
    int field;                   /* INPUT: field index, -1 otherwise */
};

struct sim_layout {
    struct sim_node *nodes; /* owned */
    size_t n, cap;
    tl_arena arena;      /* texts resolved from templates */
    const char *package; /* foreground package */
    const char *app_label;
    const char *activity;
    tl_rect viewport; /* the scrolling region */
    int content_h;    /* height of the scrolling content */
    int scroll, max_scroll;
    bool dark;
    bool keyboard;   /* a field has focus */
    sim_draw *draws; /* owned: display list for render.c */
    size_t ndraws, draws_cap;
    size_t clip_from, clip_to;
};

void sim_layout_init(struct sim_layout *l);
void sim_layout_dispose(struct sim_layout *l);

/* Lay out what the phone shows now. @return TL_OK or TL_ENOMEM. */
int sim_layout(struct sim_layout *l, const struct sim_model *m, const struct sim_state *st,
               tl_error *err);

/* ---- behaviour (phone.c) --------------------------------------------------------------------- */

int sim_tap(const struct sim_model *m, struct sim_state *st, int x, int y, bool long_press,
            tl_error *err);
int sim_swipe(const struct sim_model *m, struct sim_state *st, int x1, int y1, int x2, int y2,
              tl_error *err);
int sim_type(const struct sim_model *m, struct sim_state *st, const char *text, bool clear,
             tl_error *err);
int sim_key(const struct sim_model *m, struct sim_state *st, int key, tl_error *err);
int sim_start_app(const struct sim_model *m, struct sim_state *st, const char *package,
                  const char *activity, tl_error *err);
int sim_stop_app(const struct sim_model *m, struct sim_state *st, const char *package,
                 tl_error *err);

/* What is in front, as far as timed transitions care: the surface and, for an app, its task and
 * the screen on top. Two fronts differ when a screen was entered or left. */
struct sim_front {
    enum sim_surface surface;
    int app;      /* SIM_SURFACE_APP: the front task's app, else -1 */
    size_t depth; /* its stack depth */
    int screen;   /* the screen on top, else -1 */
};

struct sim_front sim_front_of(const struct sim_state *st);

/* After input at now_ms: when the front differs from `before`, the screen now in front was
 * entered at now_ms (its `after`, if any, runs after_ms later). */
void sim_note_entry(struct sim_state *st, const struct sim_front *before, long long now_ms);

/* Run the timed transitions due by now_ms, in order, each as of its due time (a chain of
 * loading screens ends where it would have, however rarely the phone is looked at). Call it
 * before every observation and input. A model whose transitions loop is cut off after a
 * bounded number of them per call. @return TL_OK, or TL_ENOMEM from an operation. */
int sim_advance(const struct sim_model *m, struct sim_state *st, long long now_ms, tl_error *err);

/* Hash a secret field value with the state's salt. */
void sim_secret_digest(const struct sim_state *st, const char *value, unsigned char out[32]);

/* ---- wire formats (protocol.c) ----------------------------------------------------------------
 */

int sim_emit_ui_state(const struct sim_layout *l, const struct sim_model *m, tl_buf *out);
int sim_emit_uiautomator(const struct sim_layout *l, tl_buf *out);

#endif
