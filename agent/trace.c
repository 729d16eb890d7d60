/*
 * trace.c - writing a run's trajectory directory (see trace.h).
 *
 * trajectory.jsonl is written with write(2) on a descriptor and fsync'ed after every line: a run
 * killed between two steps leaves every finished step on disk as a whole, valid line. The
 * steps' report data is kept (copied) until the run ends, when report.html is written.
 */
#include "agent/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/str.h"

struct kept_step {
    tl_report_step s; /* its strings are owned copies */
};

struct tl_trace {
    char *dir; /* owned */
    int fd;    /* trajectory.jsonl */
    struct kept_step *steps;
    size_t n, cap;
};

int tl_trace_open(tl_trace **out, const char *dir, tl_error *err)
{
    *out = NULL;
    int rc = tl_mkdir_p(dir, err);
    if (rc)
        return rc;
    tl_trace *t = calloc(1, sizeof(*t));
    if (!t || !(t->dir = tl_strdup(dir))) {
        free(t);
        return tl_error_set(err, TL_ENOMEM, "out of memory");
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/trajectory.jsonl", dir);
    t->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (t->fd < 0) {
        rc = tl_error_set(err, TL_EIO, "cannot create %s: %s", path, strerror(errno));
        free(t->dir);
        free(t);
        return rc;
    }
    *out = t;
    return TL_OK;
}

const char *tl_trace_dir(const tl_trace *t)
{
    return t->dir;
}

int tl_trace_image(tl_trace *t, int step, const void *data, size_t len, const char *mime,
                   char *name, size_t size, tl_error *err)
{
    bool jpeg = mime && strcmp(mime, "image/jpeg") == 0;
    snprintf(name, size, "step-%03d.%s", step, jpeg ? "jpg" : "png");
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", t->dir, name);
    int rc = tl_file_write(path, data, len, err);
    if (rc)
        name[0] = '\0';
    return rc;
}

int tl_trace_screenshot(tl_trace *t, int step, const tl_observation *obs, char *name, size_t size,
                        tl_error *err)
{
    name[0] = '\0';
    if (!obs->screenshot.len)
        return TL_OK;
    return tl_trace_image(t, step, obs->screenshot.data, obs->screenshot.len, obs->screenshot_type,
                          name, size, err);
}

int tl_trace_index(tl_trace *t, int step, const tl_ui *ui, tl_error *err)
{
    tl_buf json;
    tl_buf_init(&json, 0);
    int rc = tl_ui_to_json(ui, &json);
    if (rc == TL_OK) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/step-%03d.ui.json", t->dir, step);
        rc = tl_file_write(path, json.data, json.len, err);
    } else {
        rc = tl_error_set(err, TL_ENOMEM, "out of memory writing the element index");
    }
    tl_buf_dispose(&json);
    return rc;
}

int tl_trace_line(tl_trace *t, const char *json, size_t len, tl_error *err)
{
    /* one write for the line and its newline, so a reader never sees half of it */
    char *line = malloc(len + 1);
    if (!line)
        return tl_error_set(err, TL_ENOMEM, "out of memory");
    memcpy(line, json, len);
    line[len] = '\n';
    size_t done = 0;
    int rc = TL_OK;
    while (done < len + 1) {
        ssize_t w = write(t->fd, line + done, len + 1 - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = tl_error_set(err, TL_EIO, "cannot write %s/trajectory.jsonl: %s", t->dir,
                              strerror(errno));
            break;
        }
        done += (size_t)w;
    }
    free(line);
    if (rc == TL_OK && fsync(t->fd) != 0 && errno != EINVAL)
        rc = tl_error_set(err, TL_EIO, "cannot sync %s/trajectory.jsonl: %s", t->dir,
                          strerror(errno));
    return rc;
}

static void free_step(tl_report_step *s)
{
    free((char *)s->time);
    free((char *)s->package);
    free((char *)s->screenshot);
    free((char *)s->action);
    free((char *)s->action_text);
    free((char *)s->result);
    free((char *)s->reasoning);
    free((char *)s->errors);
}

int tl_trace_report_step(tl_trace *t, const tl_report_step *s)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct kept_step *p = realloc(t->steps, cap * sizeof(*p));
        if (!p)
            return TL_ENOMEM;
        t->steps = p;
        t->cap = cap;
    }
    tl_report_step *d = &t->steps[t->n].s;
    *d = *s;
    const char **fields[] = {&d->time,        &d->package, &d->screenshot, &d->action,
                             &d->action_text, &d->result,  &d->reasoning,  &d->errors};
    bool ok = true;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (*fields[i] && !(*fields[i] = tl_strdup(*fields[i])))
            ok = false;
    }
    if (!ok) {
        free_step(d);
        return TL_ENOMEM;
    }
    t->n++;
    return TL_OK;
}

int tl_trace_finish(tl_trace *t, const char *result_json, const tl_report_run *run, tl_error *err)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/result.json", t->dir);
    size_t len = strlen(result_json);
    char *text = malloc(len + 2);
    if (!text)
        return tl_error_set(err, TL_ENOMEM, "out of memory");
    memcpy(text, result_json, len);
    text[len] = '\n';
    int rc = tl_file_write(path, text, len + 1, err);
    free(text);
    if (rc)
        return rc;
    tl_report_step *steps = malloc((t->n ? t->n : 1) * sizeof(*steps));
    if (!steps)
        return tl_error_set(err, TL_ENOMEM, "out of memory");
    for (size_t i = 0; i < t->n; i++)
        steps[i] = t->steps[i].s;
    rc = tl_report_write(t->dir, run, steps, t->n, err);
    free(steps);
    return rc;
}

void tl_trace_close(tl_trace *t)
{
    if (!t)
        return;
    if (t->fd >= 0)
        close(t->fd);
    for (size_t i = 0; i < t->n; i++)
        free_step(&t->steps[i].s);
    free(t->steps);
    free(t->dir);
    free(t);
}
