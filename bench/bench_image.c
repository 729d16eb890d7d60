/*
 * bench_image.c - the --vision image pipeline: decode a screenshot, downscale it, draw the
 * set-of-mark boxes, encode it, as each vision step does (agent/vision.c), stage by stage.
 *
 * Without FILE it uses the sim phone's 1080x2400 Settings screen (a real PNG from libpng, with
 * its element index for the marks). With FILE (a PNG or JPEG) there are no marks unless a tree
 * is given with --tree. Prints the median of each stage over the iterations, the total, and the
 * size of what would be sent.
 *
 * usage: bench_image [--iterations N] [--max-side N] [--format jpeg|png] [--tree TREE] [FILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/observe.h"
#include "agent/vision.h"
#include "core/fs.h"
#include "drivers/driver.h"

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The sim phone's Settings screen: screenshot and index. */
static int sim_settings(tl_buf *shot, tl_ui *ui, tl_error *err)
{
    tl_driver *d = NULL;
    tl_driver_config cfg = {.device = "sim", .fresh = true};
    int rc = tl_driver_open(&d, "sim", &cfg, err);
    if (rc == TL_OK)
        rc = tl_driver_start_app(d, "com.android.settings", NULL, err);
    tl_observation o;
    tl_observation_init(&o);
    tl_ui_options uo = {0};
    if (rc == TL_OK)
        rc = tl_observe(d, TL_OBSERVE_SCREENSHOT, &uo, &o, ui, err);
    if (rc == TL_OK)
        rc = tl_buf_append(shot, o.screenshot.data, o.screenshot.len);
    tl_observation_dispose(&o);
    tl_driver_close(d);
    return rc;
}

int main(int argc, char **argv)
{
    int iterations = 50;
    tl_vision_options vo = {0};
    const char *file = NULL, *tree = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
            iterations = atoi(argv[++i]);
        else if (strcmp(argv[i], "--max-side") == 0 && i + 1 < argc)
            vo.max_side = atoi(argv[++i]);
        else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            vo.format = strcmp(argv[++i], "png") == 0 ? TL_IMAGE_PNG : TL_IMAGE_JPEG;
        else if (strcmp(argv[i], "--tree") == 0 && i + 1 < argc)
            tree = argv[++i];
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else {
            fprintf(stderr, "usage: bench_image [--iterations N] [--max-side N] "
                            "[--format jpeg|png] [--tree TREE] [FILE]\n");
            return 2;
        }
    }
    if (iterations < 1)
        iterations = 1;
    tl_buf shot;
    tl_buf_init(&shot, (size_t)256 << 20);
    tl_ui *ui = tl_ui_new();
    tl_error err;
    int rc = TL_OK;
    if (file) {
        rc = tl_file_read(&shot, file, (size_t)256 << 20, &err);
        if (rc == TL_OK && tree) {
            tl_buf t;
            tl_buf_init(&t, (size_t)256 << 20);
            rc = tl_file_read(&t, tree, (size_t)256 << 20, &err);
            if (rc == TL_OK)
                rc = tl_ui_parse(ui, t.data, t.len, NULL, &err);
            tl_buf_dispose(&t);
        }
    } else {
        rc = sim_settings(&shot, ui, &err);
    }
    if (rc) {
        fprintf(stderr, "bench_image: %s\n", err.msg);
        return 1;
    }
    double *dec = calloc((size_t)iterations, sizeof(double));
    double *fit = calloc((size_t)iterations, sizeof(double));
    double *mark = calloc((size_t)iterations, sizeof(double));
    double *enc = calloc((size_t)iterations, sizeof(double));
    double *all = calloc((size_t)iterations, sizeof(double));
    tl_vision_frame f;
    tl_vision_frame_init(&f);
    for (int i = 0; i < iterations && rc == TL_OK; i++) {
        double t0 = now_us();
        rc = tl_vision_prepare(&f, shot.data, shot.len, (file && !tree) ? NULL : ui, &vo, &err);
        all[i] = now_us() - t0;
        dec[i] = (double)f.decode_us;
        fit[i] = (double)f.scale_us;
        mark[i] = (double)f.marks_us;
        enc[i] = (double)f.encode_us;
    }
    if (rc) {
        fprintf(stderr, "bench_image: %s\n", err.msg);
        return 1;
    }
    tl_image im = {0};
    tl_image_decode(&im, shot.data, shot.len, &err);
    printf("input %dx%d %s (%zu bytes) -> %dx%d %s, %zu bytes, %d marks, %d iterations\n", im.w,
           im.h, tl_image_mime(tl_image_sniff(shot.data, shot.len)), shot.len, f.view.view_w,
           f.view.view_h, tl_image_mime(f.format), f.encoded.len, f.marks, iterations);
    printf("median: decode %.2f ms, downscale %.2f ms, marks %.2f ms, encode %.2f ms; "
           "total %.2f ms\n",
           median(dec, iterations) / 1e3, median(fit, iterations) / 1e3,
           median(mark, iterations) / 1e3, median(enc, iterations) / 1e3,
           median(all, iterations) / 1e3);
    tl_image_dispose(&im);
    tl_vision_frame_dispose(&f);
    free(dec);
    free(fit);
    free(mark);
    free(enc);
    free(all);
    tl_ui_free(ui);
    tl_buf_dispose(&shot);
    return 0;
}
