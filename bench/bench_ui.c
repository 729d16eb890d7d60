/*
 * bench_ui.c - the per-step CPU cost of reading a screen: parse a UI tree into the element
 * index, write the prompt listing, look up a tap centre. Any tree file works (Mobilerun
 * ui-state JSON, older Portal JSON, uiautomator XML).
 *
 * For each file it prints the median time over many iterations, ns per node, throughput, and
 * the bytes the index retains per node. With --baseline it also times plain cJSON parsing of the
 * same bytes in the same process, a yardstick that makes figures from different (or noisy)
 * machines comparable.
 *
 * usage: bench_ui [--iterations N] [--baseline] FILE...
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/ui.h"
#include "core/fs.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One step's work on a tree: index it, write the listing, find a tap centre. */
static int step(tl_ui *ui, const tl_buf *tree, tl_buf *listing, long *checksum, tl_error *err)
{
    int rc = tl_ui_parse(ui, tree->data, tree->len, NULL, err);
    if (rc)
        return rc;
    tl_buf_clear(listing);
    if (tl_ui_listing(ui, listing) != TL_OK)
        return TL_ENOMEM;
    const tl_element *e = tl_ui_by_index(ui, (long)(tl_ui_listed_count(ui) + 1) / 2);
    *checksum += e ? e->tap_x + e->tap_y : 0;
    return TL_OK;
}

static int bench_file(const char *path, int iterations, bool baseline)
{
    tl_buf tree, listing;
    tl_buf_init(&tree, (size_t)512 << 20);
    tl_buf_init(&listing, 0);
    tl_error err;
    tl_ui *ui = tl_ui_new();
    double *times = NULL, *base = NULL;
    int rc = tl_file_read(&tree, path, (size_t)512 << 20, &err);
    long checksum = 0;
    if (rc == TL_OK)
        rc = step(ui, &tree, &listing, &checksum, &err); /* warm-up, and checks the file */
    if (rc) {
        fprintf(stderr, "bench_ui: %s: %s\n", path, err.msg);
        goto done;
    }
    /* enough iterations for about half a second, within [20, 2000], unless told */
    double t0 = now_s();
    for (int i = 0; i < 3; i++)
        step(ui, &tree, &listing, &checksum, &err);
    double one = (now_s() - t0) / 3;
    int n = iterations > 0 ? iterations : (int)(0.5 / (one > 1e-6 ? one : 1e-6));
    if (iterations <= 0)
        n = n < 20 ? 20 : n > 2000 ? 2000 : n;
    times = malloc(sizeof(double) * (size_t)n);
    base = malloc(sizeof(double) * (size_t)n);
    if (!times || !base) {
        rc = TL_ENOMEM;
        goto done;
    }
    for (int i = 0; i < n; i++) {
        double s = now_s();
        step(ui, &tree, &listing, &checksum, &err);
        times[i] = now_s() - s;
        if (baseline) {
            s = now_s();
            cJSON *j = cJSON_ParseWithLength(tree.data, tree.len);
            base[i] = now_s() - s;
            cJSON_Delete(j);
        }
    }
    size_t nodes = tl_ui_count(ui);
    double med = median(times, (size_t)n);
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    printf("%-48s %7zu %9zu %9.3f %8.1f %8.0f %7zu %6zu", name, nodes, tree.len, med * 1e3,
           nodes ? med * 1e9 / (double)nodes : 0.0, (double)tree.len / med / 1e6,
           nodes ? tl_ui_retained_bytes(ui) / nodes : 0, tl_ui_listed_count(ui));
    if (baseline) {
        double b = median(base, (size_t)n);
        printf(" %9.3f %6.1fx", b * 1e3, b / med);
    }
    printf("\n");
done:
    if (checksum == 42) /* keep the work observable to the optimiser */
        fprintf(stderr, " ");
    free(times);
    free(base);
    tl_ui_free(ui);
    tl_buf_dispose(&tree);
    tl_buf_dispose(&listing);
    return rc;
}

int main(int argc, char **argv)
{
    int iterations = 0;
    bool baseline = false;
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "--baseline") == 0) {
            baseline = true;
        } else if (strcmp(argv[first], "--iterations") == 0 && first + 1 < argc) {
            iterations = atoi(argv[++first]);
        } else {
            fprintf(stderr, "usage: bench_ui [--iterations N] [--baseline] FILE...\n");
            return 2;
        }
    }
    if (first >= argc) {
        fprintf(stderr, "usage: bench_ui [--iterations N] [--baseline] FILE...\n");
        return 2;
    }
    printf("%-48s %7s %9s %9s %8s %8s %7s %6s", "tree", "nodes", "bytes", "median_ms", "ns/node",
           "MB/s", "B/node", "listed");
    if (baseline)
        printf(" %9s %7s", "cjson_ms", "vs");
    printf("\n");
    int status = 0;
    for (int i = first; i < argc; i++)
        if (bench_file(argv[i], iterations, baseline) != TL_OK)
            status = 1;
    return status;
}
