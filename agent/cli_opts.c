/*
 * cli_opts.c - option parsing shared by the subcommands (see cli.h).
 */
#include "agent/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

void tl_cli_common_init(struct tl_cli_common *co)
{
    memset(co, 0, sizeof(*co));
    const char *d = getenv("TAPLOOP_DRIVER");
    co->driver = d && d[0] ? d : "sim";
    const char *dev = getenv("TAPLOOP_DEVICE");
    co->device = dev && dev[0] ? dev : NULL;
    co->verbosity = TL_LOG_INFO;
}

bool tl_cli_common_opt(struct tl_cli_common *co, int c, const char *arg)
{
    switch (c) {
    case TL_OPT_DRIVER: co->driver = arg; return true;
    case TL_OPT_DEVICE: co->device = arg; return true;
    case TL_OPT_JSON: co->json = true; return true;
    case 'q': co->verbosity = TL_LOG_QUIET; return true;
    case 'v': co->verbosity = TL_LOG_DEBUG; return true;
    case 'h': co->help = true; return true;
    case TL_OPT_WAIT: co->wait = true; return true;
    case TL_OPT_PROVISION: co->provision = arg; return true;
    case TL_OPT_APPS: co->apps = arg; return true;
    default: return false;
    }
}

int tl_cli_common_finish(struct tl_cli_common *co, tl_error *err)
{
    tl_log_set_level(co->verbosity);
    if (!tl_driver_exists(co->driver)) {
        char list[200] = "";
        size_t off = 0;
        for (size_t i = 0; tl_driver_name_at(i) && off < sizeof(list); i++) {
            int n = snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "",
                             tl_driver_name_at(i));
            if (n < 0)
                break;
            off += (size_t)n;
        }
        return tl_error_set(err, TL_EUSAGE, "unknown driver \"%s\" (available: %s)", co->driver,
                            list);
    }
    return TL_OK;
}

int tl_cli_usage(const struct tl_command *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "taploop %s: %s\nTry 'taploop %s --help'.\n", cmd->name, msg, cmd->name);
    return TL_EXIT_USAGE;
}

int tl_exit_code(int status)
{
    return tl_exit_class(status);
}

int tl_cli_print(const tl_buf *out, int rc, tl_error *err)
{
    if (rc != TL_OK)
        return tl_error_set(err, TL_ENOMEM, "out of memory writing the output");
    if (out->len && fwrite(out->data, 1, out->len, stdout) != out->len)
        return tl_error_set(err, TL_EIO, "cannot write to standard output");
    return TL_OK;
}

int tl_cli_fail(const tl_error *err)
{
    fprintf(stderr, "taploop: %s\n", err->msg[0] ? err->msg : tl_strerror(err->code));
    return tl_exit_code(err->code);
}

int tl_cli_parse(const struct tl_command *cmd, int argc, char **argv, const struct option *opts,
                 struct tl_cli_common *co, bool (*handle)(int c, const char *arg, void *payload),
                 void *payload, int *first_arg)
{
    /* build the short option string from the table's short options */
    char shorts[64] = ":";
    size_t n = 1;
    for (const struct option *o = opts; o->name && n + 3 < sizeof(shorts); o++) {
        if (o->val > 0 && o->val < 128 && !strchr(shorts + 1, o->val)) {
            shorts[n++] = (char)o->val;
            if (o->has_arg == required_argument)
                shorts[n++] = ':';
        }
    }
    shorts[n] = '\0';
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
        if (c == '?')
            return tl_cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
        if (c == ':')
            return tl_cli_usage(cmd, "option '%s' needs a value", argv[optind - 1]);
        if (tl_cli_common_opt(co, c, optarg))
            continue;
        if (!handle || !handle(c, optarg, payload))
            return TL_EXIT_USAGE;
    }
    if (co->help) {
        fputs(cmd->help, stdout);
        return TL_EXIT_OK;
    }
    if ((co->provision || co->apps) && !(cmd->flags & TL_CMD_PROVISION))
        return tl_cli_usage(cmd,
                            "%s creates a temporary device for one run: use it with "
                            "`taploop run`",
                            co->provision ? "--provision" : "--apps");
    if (co->wait && !(cmd->flags & TL_CMD_WAIT))
        return tl_cli_usage(cmd, "--wait waits for a device to become ready: it goes with run, "
                                 "observe and act");
    *first_arg = optind;
    return -1;
}

void tl_cli_driver_config(const struct tl_cli_common *co, tl_driver_config *cfg)
{
    cfg->device = co->device;
    cfg->wait = co->wait;
    cfg->provision = co->provision;
    cfg->apps = co->apps;
}

bool tl_cli_parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int tl_cli_ui_options(tl_ui_options *opts, tl_error *err)
{
    memset(opts, 0, sizeof(*opts));
    const char *off = getenv("TAPLOOP_TAP_OFFSET");
    if (!off || !off[0])
        return TL_OK;
    if (strcmp(off, "overlay") == 0) {
        opts->tap_overlay = true;
        return TL_OK;
    }
    char *end;
    long dx = strtol(off, &end, 10);
    if (*end != ',')
        goto bad;
    long dy = strtol(end + 1, &end, 10);
    if (*end || dx < -4096 || dx > 4096 || dy < -4096 || dy > 4096)
        goto bad;
    opts->tap_dx = (int32_t)dx;
    opts->tap_dy = (int32_t)dy;
    return TL_OK;
bad:
    return tl_error_set(err, TL_EUSAGE,
                        "TAPLOOP_TAP_OFFSET must be \"dx,dy\" in pixels (e.g. "
                        "\"0,-63\") or \"overlay\", not \"%s\"",
                        off);
}
