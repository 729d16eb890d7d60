/*
 * prompt.h - the prompt templates (prompts/system.txt and prompts/step.txt, embedded at build
 * time, or from --prompts DIR) and their rendering.
 *
 * Template syntax: `{{name}}` is replaced by the value of `name`; `{{#name}}...{{/name}}` is
 * kept only when the value of `name` is not empty (sections nest). A section tag alone on its
 * line takes its line with it, so optional sections leave no blank lines. Names are checked
 * when a template is loaded: a typo in a user's template is an error, not a silent gap.
 */
#ifndef TL_PROMPT_H
#define TL_PROMPT_H

#include <stddef.h>

#include "core/buf.h"
#include "core/status.h"

/** A template variable. Borrowed. NULL value reads as "". */
typedef struct tl_prompt_var {
    const char *name;
    const char *value;
} tl_prompt_var;

/** The two templates, owned; release with tl_prompts_dispose(). */
typedef struct tl_prompts {
    char *system;
    char *step;
} tl_prompts;

/** The names a step template may use. */
extern const char *const tl_prompt_step_names[];

/**
 * Load the built-in templates into *out, or, with `dir` (--prompts DIR), DIR/system.txt and
 * DIR/step.txt: a file that does not exist in DIR falls back to the built-in one, but DIR itself
 * must be a readable directory holding at least one of the two. Both templates are checked
 * (names, balanced sections). On error *out holds nothing; else release it with
 * tl_prompts_dispose().
 * @return TL_OK; TL_EUSAGE when DIR is not a readable directory ("--prompts DIR: No such file or
 *         directory") or holds neither file; TL_EIO (a template that exists but cannot be read,
 *         naming it); TL_EPARSE naming the file, line and problem; TL_ENOMEM.
 */
int tl_prompts_load(tl_prompts *out, const char *dir, tl_error *err);

void tl_prompts_dispose(tl_prompts *p);

/**
 * Check a template against the names it may use (NULL-terminated). `origin` names it in
 * messages. @return TL_OK or TL_EPARSE ("step.txt line 7: unknown name {{gaol}}").
 */
int tl_prompt_check(const char *tmpl, const char *const *names, const char *origin, tl_error *err);

/**
 * Render a (checked) template with `vars` into out (appended). Names without a variable read
 * as "". @return TL_OK or TL_ENOMEM.
 */
int tl_prompt_render(const char *tmpl, const tl_prompt_var *vars, size_t n, tl_buf *out);

#endif
