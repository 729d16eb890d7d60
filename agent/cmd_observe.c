/*
 * cmd_observe.c - `taploop observe`: print the element index of the device's current screen
 * (or of a saved dump with --from), optionally saving a screenshot.
 */
#include <stdio.h>
#include <string.h>

#include "agent/cli.h"
#include "agent/observe.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/log.h"

#define DUMP_MAX_BYTES ((size_t)256 << 20)

struct observe_opts {
    const char *from;
    const char *screenshot;
    const char *dump; /* "-": standard output, instead of the listing */
};

static bool handle(int c, const char *arg, void *payload)
{
    struct observe_opts *o = payload;
    switch (c) {
    case TL_OPT_FROM: o->from = arg; return true;
    case TL_OPT_SCREENSHOT: o->screenshot = arg; return true;
    case TL_OPT_DUMP: o->dump = arg; return true;
    default: return false;
    }
}

/* Print the index: a summary line and the listing, or the JSON object. */
static int print_index(const tl_ui *ui, const struct tl_cli_common *co, const char *device,
                       const char *screenshot, tl_error *err)
{
    tl_buf out;
    tl_buf_init(&out, 0);
    int rc = TL_OK;
    if (co->json) {
        rc |= tl_buf_puts(&out, "{\"driver\":");
        rc |= tl_json_cstr(&out, device ? co->driver : NULL);
        rc |= tl_buf_puts(&out, ",\"device\":");
        rc |= tl_json_cstr(&out, device);
        rc |= tl_buf_puts(&out, ",\"screenshot\":");
        rc |= tl_json_cstr(&out, screenshot);
        rc |= tl_buf_puts(&out, ",\"ui\":");
        rc |= tl_ui_to_json(ui, &out);
        rc |= tl_buf_puts(&out, "}\n");
    } else {
        rc |= tl_ui_summary(ui, &out);
        rc |= tl_buf_putc(&out, '\n');
        rc |= tl_ui_listing(ui, &out);
    }
    rc = tl_cli_print(&out, rc, err);
    tl_buf_dispose(&out);
    return rc;
}

static int observe_file(const struct observe_opts *o, const struct tl_cli_common *co, tl_error *err)
{
    tl_ui_options uo;
    int rc = tl_cli_ui_options(&uo, err);
    if (rc)
        return rc;
    tl_buf text;
    tl_buf_init(&text, DUMP_MAX_BYTES);
    tl_ui *ui = tl_ui_new();
    if (!ui)
        rc = tl_error_set(err, TL_ENOMEM, "out of memory");
    if (rc == TL_OK)
        rc = tl_file_read(&text, o->from, DUMP_MAX_BYTES, err);
    if (rc == TL_OK) {
        rc = tl_ui_parse(ui, text.data ? text.data : "", text.len, &uo, err);
        if (rc)
            tl_error_prefix(err, "%s: ", strcmp(o->from, "-") == 0 ? "standard input" : o->from);
    }
    if (rc == TL_OK)
        rc = print_index(ui, co, NULL, NULL, err);
    tl_ui_free(ui);
    tl_buf_dispose(&text);
    return rc;
}

static int observe_device(const struct observe_opts *o, const struct tl_cli_common *co,
                          tl_error *err)
{
    tl_ui_options uo;
    int rc = tl_cli_ui_options(&uo, err);
    if (rc)
        return rc;
    tl_driver_config cfg = {.persist = true};
    tl_cli_driver_config(co, &cfg);
    tl_driver *drv = NULL;
    tl_observation obs;
    tl_observation_init(&obs);
    tl_ui *ui = tl_ui_new();
    if (!ui)
        rc = tl_error_set(err, TL_ENOMEM, "out of memory");
    if (rc == TL_OK)
        rc = tl_driver_open(&drv, co->driver, &cfg, err);
    if (rc == TL_OK)
        rc = tl_observe(drv, o->screenshot ? TL_OBSERVE_SCREENSHOT : 0, &uo, &obs, ui, err);
    if (rc == TL_OK && o->screenshot) {
        rc = tl_file_write(o->screenshot, obs.screenshot.data, obs.screenshot.len, err);
        if (rc == TL_OK)
            tl_log(TL_LOG_INFO, "screenshot saved to %s (%s, %zu bytes)", o->screenshot,
                   obs.screenshot_type ? obs.screenshot_type : "image", obs.screenshot.len);
    }
    if (rc == TL_OK && o->dump && strcmp(o->dump, "-") == 0) {
        /* The tree as the device sent it, instead of the listing. */
        if (fwrite(obs.tree.data, 1, obs.tree.len, stdout) != obs.tree.len || fflush(stdout))
            rc = tl_error_set(err, TL_EIO, "standard output: write failed");
    } else if (rc == TL_OK) {
        if (o->dump)
            rc = tl_file_write(o->dump, obs.tree.data, obs.tree.len, err);
        if (rc == TL_OK)
            rc = print_index(ui, co, tl_driver_device(drv), o->screenshot, err);
    }
    tl_driver_close(drv);
    tl_observation_dispose(&obs);
    tl_ui_free(ui);
    return rc;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, TL_OPT_FROM},
        {"screenshot", required_argument, NULL, TL_OPT_SCREENSHOT},
        {"dump", required_argument, NULL, TL_OPT_DUMP},
        TL_CLI_COMMON_OPTIONS,
    };
    struct tl_cli_common co;
    tl_cli_common_init(&co);
    struct observe_opts o = {0};
    int first;
    int ex = tl_cli_parse(&tl_cmd_observe, argc, argv, opts, &co, handle, &o, &first);
    if (ex >= 0)
        return ex;
    if (first < argc)
        return tl_cli_usage(&tl_cmd_observe, "unexpected argument '%s'", argv[first]);
    if (o.from && o.screenshot)
        return tl_cli_usage(&tl_cmd_observe, "--screenshot needs a device, not --from");
    if (o.from && o.dump)
        return tl_cli_usage(&tl_cmd_observe, "--dump needs a device, not --from");
    tl_error err;
    tl_error_clear(&err);
    int rc = tl_cli_common_finish(&co, &err);
    if (rc == TL_OK)
        rc = o.from ? observe_file(&o, &co, &err) : observe_device(&o, &co, &err);
    return rc ? tl_cli_fail(&err) : TL_EXIT_OK;
}

const struct tl_command tl_cmd_observe = {
    .name = "observe",
    .summary = "print the element index of the current screen",
    .help =
        "usage: taploop observe [--driver NAME] [--device ID] [--screenshot FILE] [--dump FILE]\n"
        "                       [--json]\n"
        "       taploop observe --from FILE [--json]\n"
        "\n"
        "Print the element index of the device's current screen: a summary line, then one line\n"
        "per element worth acting on or reading, starting with the index that\n"
        "`taploop act tap --index N` takes:\n"
        "  [12] Switch \"Dark theme\" checked=false clickable (540,960)\n"
        "\n"
        "  --from FILE        parse a saved Mobilerun ui-state JSON or uiautomator XML dump\n"
        "                     instead of asking a device (\"-\" reads standard input)\n"
        "  --screenshot FILE  also save the device's screenshot (PNG or JPEG as it comes)\n"
        "  --dump FILE        also save the tree exactly as the device sent it (ui-state\n"
        "                     JSON or uiautomator XML); \"-\" prints it instead of the listing\n"
        "  --json             print the whole index as one JSON object\n"
        "  --driver NAME      sim, mobilerun, armcloud or adb (default: $TAPLOOP_DRIVER or sim)\n"
        "  --device ID        sim, sim:NAME or a sim model JSON; a Mobilerun device id; an\n"
        "                     ArmCloud pad code; an adb serial\n"
        "                     (default: $TAPLOOP_DEVICE, else the driver's first ready device)\n"
        "  --wait             wait for the device to become ready instead of failing\n"
        "  -q, -v             quieter / more verbose\n"
        "\n"
        "The sim phone keeps its state between observe and act invocations;\n"
        "`taploop act reset` restores it.\n",
    .run = run,
    .flags = TL_CMD_WAIT,
};
