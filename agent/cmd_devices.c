/*
 * cmd_devices.c - `taploop devices`: list the devices a driver can reach and their state.
 */
#include <stdio.h>
#include <string.h>

#include "agent/cli.h"
#include "core/json.h"

static int print_devices(const struct tl_cli_common *co, const tl_device_list *l, tl_error *err)
{
    tl_buf out;
    tl_buf_init(&out, 0);
    int rc = TL_OK;
    if (co->json) {
        rc |= tl_buf_puts(&out, "{\"driver\":");
        rc |= tl_json_cstr(&out, co->driver);
        rc |= tl_buf_puts(&out, ",\"devices\":[");
        for (size_t i = 0; i < l->n; i++) {
            const tl_device_info *d = &l->items[i];
            rc |= tl_buf_puts(&out, i ? ",{\"id\":" : "{\"id\":");
            rc |= tl_json_cstr(&out, d->id);
            rc |= tl_buf_puts(&out, ",\"name\":");
            rc |= tl_json_cstr(&out, d->name);
            rc |= tl_buf_puts(&out, ",\"state\":");
            rc |= tl_json_cstr(&out, d->state);
            rc |= tl_buf_puts(&out, ",\"type\":");
            rc |= tl_json_cstr(&out, d->type);
            rc |= tl_buf_printf(&out, ",\"ready\":%s}", d->ready ? "true" : "false");
        }
        rc |= tl_buf_puts(&out, "]}\n");
    } else {
        size_t w_id = 2, w_name = 4, w_state = 5;
        for (size_t i = 0; i < l->n; i++) {
            size_t a = strlen(l->items[i].id), b = strlen(l->items[i].name),
                   c = strlen(l->items[i].state);
            w_id = a > w_id ? a : w_id;
            w_name = b > w_name ? b : w_name;
            w_state = c > w_state ? c : w_state;
        }
        rc |= tl_buf_printf(&out, "%-*s  %-*s  %-*s  %s\n", (int)w_id, "ID", (int)w_name, "NAME",
                            (int)w_state, "STATE", "TYPE");
        for (size_t i = 0; i < l->n; i++) {
            const tl_device_info *d = &l->items[i];
            rc |= tl_buf_printf(&out, "%-*s  %-*s  %-*s  %s\n", (int)w_id, d->id, (int)w_name,
                                d->name, (int)w_state, d->state, d->type);
        }
        if (l->n == 0)
            rc |= tl_buf_printf(&out, "(no devices)\n");
    }
    rc = tl_cli_print(&out, rc, err);
    tl_buf_dispose(&out);
    return rc;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {TL_CLI_COMMON_OPTIONS};
    struct tl_cli_common co;
    tl_cli_common_init(&co);
    int first;
    int ex = tl_cli_parse(&tl_cmd_devices, argc, argv, opts, &co, NULL, NULL, &first);
    if (ex >= 0)
        return ex;
    if (first < argc)
        return tl_cli_usage(&tl_cmd_devices, "unexpected argument '%s'", argv[first]);
    tl_error err;
    tl_error_clear(&err);
    tl_device_list list = {0};
    tl_driver_config cfg = {.device = co.device};
    int rc = tl_cli_common_finish(&co, &err);
    if (rc == TL_OK)
        rc = tl_driver_list_devices(co.driver, &cfg, &list, &err);
    if (rc == TL_OK)
        rc = print_devices(&co, &list, &err);
    tl_device_list_dispose(&list);
    return rc ? tl_cli_fail(&err) : TL_EXIT_OK;
}

const struct tl_command tl_cmd_devices = {
    .name = "devices",
    .summary = "list the devices of a driver and their state",
    .help = "usage: taploop devices [--driver NAME] [--json]\n"
            "\n"
            "List the devices the driver can reach: ID (what --device takes), name, state, type.\n"
            "For the sim driver: the demo phone `sim` and every named phone used so far\n"
            "(`sim:NAME`). For mobilerun: every device of the account ($MOBILERUN_API_KEY),\n"
            "all pages; a phone shows `ready` once the Droidrun Portal app is connected.\n"
            "For armcloud: every pad of the account ($ARMCLOUD_AK), all pages: pad code, IP,\n"
            "state, spec. For adb: the devices of the adb server ($ADB_SERVER_SOCKET): serial,\n"
            "model, state (`device` is ready), product.\n"
            "\n"
            "  --driver NAME  sim, mobilerun, armcloud or adb (default: $TAPLOOP_DRIVER or sim)\n"
            "  --json         print {\"driver\":...,\"devices\":[{\"id\",\"name\",\"state\","
            "\"type\",\"ready\"}]}\n",
    .run = run,
};
