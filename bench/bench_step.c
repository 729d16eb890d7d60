/*
 * bench_step.c - the runtime's own cost per step: everything the loop does except waiting for
 * the device and the LLM. A run of tl_run() over a fixed screen (a UI tree file, default the
 * 1,000-node synthetic screen) with a replayed cassette: each step parses the tree into the
 * element index, writes the listing, renders the prompt, builds the chat request, looks it up
 * in the cassette (SHA-256 of the request), parses the reply, validates the action against the
 * index and "performs" it, settles (one more observation) and records the step.
 *
 * The device is a driver that hands back the tree's bytes at once (alternately with a trailing
 * space, so that no observation repeats the one before and every step parses its screen) and
 * accepts every action; the time spent inside it is measured and subtracted, so the figure is
 * the runtime's work.
 * The cassette is recorded first against a scripted local HTTP server (tests/support/fake_http)
 * answering tap [N] on tappable listed elements, then done.
 *
 * usage: bench_step [--steps N] [--runs N] [--trace DIR] [TREE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/loop.h"
#include "core/fs.h"
#include "core/http.h"
#include "core/log.h"
#include "drivers/driver_int.h"
#include "planner/cassette.h"
#include "../tests/support/fake_http.h"

#ifndef TL_BENCH_TREE
#define TL_BENCH_TREE "tests/fixtures/bench/synth-n1000.json"
#endif

static double cpu_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* ---- a device that answers at once ---------------------------------------------------------- */

struct fixed {
    struct tl_driver base;
    const tl_buf *tree;
    double inside_us; /* time spent in this driver */
    long calls;
    long observations;
};

static int fixed_observe(tl_driver *d, unsigned what, tl_observation *out, tl_error *err)
{
    struct fixed *f = (struct fixed *)d;
    double t0 = now_us();
    int rc = TL_OK;
    if (what & TL_OBSERVE_TREE) {
        /* Every observation differs from the one before (a trailing space, every other time),
         * as after an action: each step parses its screen, none reuses the last index. */
        tl_buf_clear(&out->tree);
        rc = tl_buf_append(&out->tree, f->tree->data, f->tree->len);
        if (rc == TL_OK && f->observations++ % 2)
            rc = tl_buf_putc(&out->tree, ' ');
    }
    f->inside_us += now_us() - t0;
    f->calls++;
    return rc ? tl_error_set(err, rc, "out of memory") : TL_OK;
}

static int fixed_point(tl_driver *d, int x, int y, tl_error *err)
{
    (void)x, (void)y, (void)err;
    ((struct fixed *)d)->calls++;
    return TL_OK;
}

static int fixed_swipe(tl_driver *d, int x1, int y1, int x2, int y2, int ms, tl_error *err)
{
    (void)x1, (void)y1, (void)x2, (void)y2, (void)ms, (void)err;
    ((struct fixed *)d)->calls++;
    return TL_OK;
}

static int fixed_long(tl_driver *d, int x, int y, int ms, tl_error *err)
{
    (void)ms;
    return fixed_point(d, x, y, err);
}

static int fixed_type(tl_driver *d, const char *text, bool clear, tl_error *err)
{
    (void)text, (void)clear, (void)err;
    ((struct fixed *)d)->calls++;
    return TL_OK;
}

static int fixed_key(tl_driver *d, tl_key key, tl_error *err)
{
    (void)key, (void)err;
    ((struct fixed *)d)->calls++;
    return TL_OK;
}

static int fixed_app(tl_driver *d, const char *pkg, const char *activity, tl_error *err)
{
    (void)pkg, (void)activity, (void)err;
    ((struct fixed *)d)->calls++;
    return TL_OK;
}

static int fixed_stop(tl_driver *d, const char *pkg, tl_error *err)
{
    return fixed_app(d, pkg, NULL, err);
}

static void fixed_close(tl_driver *d)
{
    (void)d; /* lives on the stack of main */
}

static const struct tl_driver_ops fixed_ops = {
    .abi_version = TL_DRIVER_ABI,
    .name = "fixed",
    .summary = "a fixed screen, for benchmarks",
    .close = fixed_close,
    .observe = fixed_observe,
    .tap = fixed_point,
    .long_press = fixed_long,
    .swipe = fixed_swipe,
    .type = fixed_type,
    .press_key = fixed_key,
    .start_app = fixed_app,
    .stop_app = fixed_stop,
};

/* ---- the run ----------------------------------------------------------------------------------
 */

static char *reply_body(const char *tool, const char *args, int n)
{
    char *b = malloc(1024);
    snprintf(b, 1024,
             "{\"id\":\"chatcmpl-%d\",\"object\":\"chat.completion\",\"created\":1,\"model\":"
             "\"bench\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
             "\"Next.\",\"tool_calls\":[{\"id\":\"call_%d\",\"type\":\"function\",\"function\":{"
             "\"name\":\"%s\",\"arguments\":\"%s\"}}]},\"finish_reason\":\"tool_calls\"}],"
             "\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":20,\"total_tokens\":1020}}",
             n, n, tool, args);
    return b;
}

static int run_once(struct fixed *dev, const char *llm_url, tl_cassette *cas, int steps,
                    const char *trace, tl_run_result *res, tl_error *err)
{
    tl_llm_config lc = {.base_url = llm_url, .model = "bench"};
    tl_llm *llm = tl_llm_new(&lc, NULL, err);
    if (!llm)
        return TL_ENOMEM;
    tl_llm_set_cassette(llm, cas);
    tl_prompts prompts = {0};
    int rc = tl_prompts_load(&prompts, NULL, err);
    tl_run_config cfg = {
        .goal = "Open the settings of the third card and turn on notifications",
        .max_steps = steps + 1,
        .timeout_ms = 600000,
        .prompts = &prompts,
        .settle_max_ms = -1, /* no waiting: one observation after each action */
        .out_dir = trace,
        .model = "bench",
    };
    if (rc == TL_OK)
        rc = tl_run(&dev->base, llm, &cfg, res);
    tl_prompts_dispose(&prompts);
    tl_llm_free(llm);
    return rc;
}

int main(int argc, char **argv)
{
    int steps = 20, runs = 20;
    const char *path = TL_BENCH_TREE, *trace = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc)
            steps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--trace") == 0 && i + 1 < argc)
            trace = argv[++i];
        else if (argv[i][0] != '-')
            path = argv[i];
        else {
            fprintf(stderr, "usage: bench_step [--steps N] [--runs N] [--trace DIR] [TREE]\n");
            return 2;
        }
    }
    steps = steps < 1 ? 1 : steps > 200 ? 200 : steps;
    tl_log_set_level(TL_LOG_QUIET);
    runs = runs < 1 ? 1 : runs;
    tl_error err;
    tl_buf tree;
    tl_buf_init(&tree, (size_t)256 << 20);
    if (tl_file_read(&tree, path, (size_t)256 << 20, &err) != TL_OK ||
        tl_http_global_init(&err) != TL_OK) {
        fprintf(stderr, "bench_step: %s\n", err.msg);
        return 1;
    }
    /* tappable listed elements of the screen, for the scripted taps */
    tl_ui *ui = tl_ui_new();
    if (tl_ui_parse(ui, tree.data, tree.len, NULL, &err) != TL_OK) {
        fprintf(stderr, "bench_step: %s: %s\n", path, err.msg);
        return 1;
    }
    size_t nodes = tl_ui_count(ui), listed = tl_ui_listed_count(ui);
    fake_http_response *script = calloc((size_t)steps + 1, sizeof(*script));
    char **bodies = calloc((size_t)steps + 1, sizeof(char *));
    long idx = 0;
    for (int s = 0; s < steps; s++) {
        const tl_element *e = NULL;
        for (long tries = 0; tries < (long)listed && !(e && (e->flags & TL_EL_TAPPABLE)); tries++)
            e = tl_ui_by_index(ui, (idx = idx % (long)listed + 1));
        char args[64];
        snprintf(args, sizeof(args), "{\\\"index\\\":%ld}", idx);
        bodies[s] = reply_body("tap", args, s + 1);
        script[s].body = bodies[s];
        script[s].headers = "Content-Type: application/json\r\n";
    }
    bodies[steps] =
        reply_body("done", "{\\\"success\\\":true,\\\"message\\\":\\\"done\\\"}", steps + 1);
    script[steps].body = bodies[steps];
    script[steps].headers = "Content-Type: application/json\r\n";

    /* record */
    char cas_path[] = "/tmp/tl-bench-step-XXXXXX";
    int fd = mkstemp(cas_path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(fd);
    fake_http *srv = fake_http_start(script, (size_t)steps + 1);
    char url[128];
    fake_http_url(srv, "/v1", url, sizeof(url));
    tl_cassette *cas = NULL;
    struct fixed dev = {.base = {.ops = &fixed_ops}, .tree = &tree};
    tl_run_result res = {0};
    int rc = tl_cassette_open_record(&cas, cas_path, "bench_step", &err);
    if (rc == TL_OK)
        rc = run_once(&dev, url, cas, steps, NULL, &res, &err);
    tl_cassette_close(cas);
    fake_http_stop(srv);
    if (rc != TL_OK || !res.success || res.steps != steps + 1) {
        fprintf(stderr, "bench_step: recording failed: %s (status %s, %d steps)\n",
                rc ? err.msg : (res.message ? res.message : ""), res.status ? res.status : "?",
                res.steps);
        return 1;
    }
    tl_run_result_dispose(&res);

    /* replay, timed */
    double *per_step = calloc((size_t)runs, sizeof(double));
    double *cpu = calloc((size_t)runs, sizeof(double));
    for (int k = 0; k < runs; k++) {
        rc = tl_cassette_open_replay(&cas, cas_path, &err);
        dev.inside_us = 0;
        double t0 = now_us(), c0 = cpu_us();
        if (rc == TL_OK)
            rc = run_once(&dev, "http://127.0.0.1:9/v1", cas, steps, trace, &res, &err);
        double total = now_us() - t0;
        cpu[k] = (cpu_us() - c0 - dev.inside_us) / (res.steps ? res.steps : 1);
        tl_cassette_close(cas);
        if (rc != TL_OK || !res.success) {
            fprintf(stderr, "bench_step: replay failed: %s\n",
                    rc ? err.msg : (res.message ? res.message : ""));
            return 1;
        }
        per_step[k] = (total - dev.inside_us) / res.steps;
        tl_run_result_dispose(&res);
    }
    qsort(per_step, (size_t)runs, sizeof(double), cmp_double);
    qsort(cpu, (size_t)runs, sizeof(double), cmp_double);
    printf("%s: %zu nodes, %zu listed, %d steps + done, %d runs%s\n", path, nodes, listed, steps,
           runs, trace ? ", with trajectory" : ", no trajectory");
    printf("runtime per step (device and LLM time excluded): wall median %.3f ms (min %.3f, max "
           "%.3f), CPU median %.3f ms\n",
           per_step[runs / 2] / 1e3, per_step[0] / 1e3, per_step[runs - 1] / 1e3,
           cpu[runs / 2] / 1e3);
    unlink(cas_path);
    for (int s = 0; s <= steps; s++)
        free(bodies[s]);
    free(bodies);
    free(script);
    free(per_step);
    free(cpu);
    tl_ui_free(ui);
    tl_buf_dispose(&tree);
    return 0;
}
