/*
 * cli.h - the command line: one table entry per subcommand (agent/cmd_<name>.c), the options
 * every device command shares, and the one place status codes become exit codes (SPEC §2).
 */
#ifndef TL_CLI_H
#define TL_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "agent/ui.h"
#include "core/status.h"
#include "drivers/driver.h"

/** What a subcommand does with the device options (struct tl_command.flags). */
enum tl_command_flags {
    TL_CMD_WAIT = 1u << 0,      /**< takes --wait (it opens a device) */
    TL_CMD_PROVISION = 1u << 1, /**< takes --provision and --apps (a temporary device per run) */
};

/** A subcommand. */
struct tl_command {
    const char *name;    /**< "observe", ... */
    const char *summary; /**< one line for `taploop --help` */
    const char *help;    /**< the text of `taploop NAME --help` */
    /** Run with argv[0] = the command name. @return an exit code of SPEC §2. */
    int (*run)(int argc, char **argv);
    unsigned flags; /**< TL_CMD_* bits; the options of a bit not set are refused */
};

extern const struct tl_command tl_cmd_run;
extern const struct tl_command tl_cmd_observe;
extern const struct tl_command tl_cmd_act;
extern const struct tl_command tl_cmd_devices;
extern const struct tl_command tl_cmd_batch;
extern const struct tl_command tl_cmd_test;
extern const struct tl_command tl_cmd_report;

/** Entry point of the binary. @return the process exit code. */
int tl_cli_main(int argc, char **argv);

/** Long-only option codes shared by the commands. */
enum tl_cli_opt {
    TL_OPT_DRIVER = 256,
    TL_OPT_DEVICE,
    TL_OPT_JSON,
    TL_OPT_SCREENSHOT,
    TL_OPT_FROM,
    TL_OPT_DUMP,
    TL_OPT_INDEX,
    TL_OPT_DURATION,
    TL_OPT_CLEAR,
    TL_OPT_ACTIVITY,
    TL_OPT_TEXT,
    TL_OPT_DESC,
    TL_OPT_ID,
    TL_OPT_CLASS,
    TL_OPT_SELECT,
    TL_OPT_WAIT,
    TL_OPT_PROVISION,
    TL_OPT_APPS,
};

/** getopt_long entries of the common options; end a command's table with these. */
#define TL_CLI_COMMON_OPTIONS                                                        \
    {"driver", required_argument, NULL, TL_OPT_DRIVER},                              \
        {"device", required_argument, NULL, TL_OPT_DEVICE},                          \
        {"json", no_argument, NULL, TL_OPT_JSON}, {"quiet", no_argument, NULL, 'q'}, \
        {"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'},       \
        {"wait", no_argument, NULL, TL_OPT_WAIT},                                    \
        {"provision", required_argument, NULL, TL_OPT_PROVISION},                    \
        {"apps", required_argument, NULL, TL_OPT_APPS},                              \
    {                                                                                \
        NULL, 0, NULL, 0                                                             \
    }

/** Options every device command takes. */
struct tl_cli_common {
    const char *driver;    /**< --driver, else $TAPLOOP_DRIVER, else "sim" */
    const char *device;    /**< --device, else $TAPLOOP_DEVICE, else NULL (first ready) */
    bool json;             /**< --json */
    bool help;             /**< --help was given */
    int verbosity;         /**< -q: 0, default 1, -v: 2 */
    bool wait;             /**< --wait: wait for the device to become ready */
    const char *provision; /**< --provision TYPE: a temporary cloud device (run only) */
    const char *apps;      /**< --apps pkg,...: apps for the provisioned device */
};

/** Defaults from the environment. */
void tl_cli_common_init(struct tl_cli_common *co);

/** Handle a common option. @return true if `c` was one. */
bool tl_cli_common_opt(struct tl_cli_common *co, int c, const char *arg);

/**
 * Check the common options after parsing (a known driver) and apply the verbosity.
 * @return TL_OK or TL_EUSAGE with a message.
 */
int tl_cli_common_finish(struct tl_cli_common *co, tl_error *err);

/**
 * Fill the device options of a driver configuration from the common options: device, wait,
 * provision, apps. Other fields of cfg are left as they are.
 */
void tl_cli_driver_config(const struct tl_cli_common *co, tl_driver_config *cfg);

/**
 * Parse options with getopt_long, handling the common ones and --help; `handle` gets the
 * others (return false for an invalid value, after printing why with tl_cli_usage). On return,
 * *first_arg is the index of the first positional argument. --wait, --provision and --apps are
 * refused (usage error) for a command whose flags do not take them.
 * @return -1 to continue, or an exit code to return right away (--help: 0, bad usage: 2).
 */
int tl_cli_parse(const struct tl_command *cmd, int argc, char **argv, const struct option *opts,
                 struct tl_cli_common *co, bool (*handle)(int c, const char *arg, void *payload),
                 void *payload, int *first_arg);

/** Print "taploop CMD: message" and a pointer to --help on stderr. @return TL_EXIT_USAGE. */
int tl_cli_usage(const struct tl_command *cmd, const char *fmt, ...) TL_PRINTF(2, 3);

/**
 * Write a command's output buffer to stdout. `rc` is the status of building it: TL_ENOMEM
 * becomes an error record. @return TL_OK, TL_ENOMEM or TL_EIO (stdout not writable).
 */
int tl_cli_print(const tl_buf *out, int rc, tl_error *err);

/** Print an error record as "taploop: message" on stderr. @return its exit code. */
int tl_cli_fail(const tl_error *err);

/** Exit code (SPEC §2) of a status code. */
int tl_exit_code(int status);

/**
 * Parse options for the element index from the environment: TAPLOOP_TAP_OFFSET="dx,dy" or
 * "overlay".
 * @return TL_OK or TL_EUSAGE.
 */
int tl_cli_ui_options(tl_ui_options *opts, tl_error *err);

/** Parse a decimal integer argument in [min, max]. @return false if it is not one. */
bool tl_cli_parse_long(const char *s, long min, long max, long *out);

#endif
