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

/** A subcommand. */
struct tl_command {
    const char *name;    /**< "observe", ... */
    const char *summary; /**< one line for `taploop --help` */
    const char *help;    /**< the text of `taploop NAME --help` */
    /** Run with argv[0] = the command name. @return an exit code of SPEC §2. */
    int (*run)(int argc, char **argv);
};

extern const struct tl_command tl_cmd_run;
extern const struct tl_command tl_cmd_observe;
extern const struct tl_command tl_cmd_act;
extern const struct tl_command tl_cmd_devices;

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
};

/** getopt_long entries of the common options; end a command's table with these. */
#define TL_CLI_COMMON_OPTIONS                                                        \
    {"driver", required_argument, NULL, TL_OPT_DRIVER},                              \
        {"device", required_argument, NULL, TL_OPT_DEVICE},                          \
        {"json", no_argument, NULL, TL_OPT_JSON}, {"quiet", no_argument, NULL, 'q'}, \
        {"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'},       \
    {                                                                                \
        NULL, 0, NULL, 0                                                             \
    }

/** Options every device command takes. */
struct tl_cli_common {
    const char *driver; /**< --driver, else $TAPLOOP_DRIVER, else "sim" */
    const char *device; /**< --device, else $TAPLOOP_DEVICE, else NULL (first ready) */
    bool json;          /**< --json */
    bool help;          /**< --help was given */
    int verbosity;      /**< -q: 0, default 1, -v: 2 */
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
 * Parse options with getopt_long, handling the common ones and --help; `handle` gets the
 * others (return false for an invalid value, after printing why with tl_cli_usage). On return,
 * *first_arg is the index of the first positional argument.
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
 * Parse options for the element index from the environment: TAPLOOP_TAP_OFFSET="dx,dy".
 * @return TL_OK or TL_EUSAGE.
 */
int tl_cli_ui_options(tl_ui_options *opts, tl_error *err);

/** Parse a decimal integer argument in [min, max]. @return false if it is not one. */
bool tl_cli_parse_long(const char *s, long min, long max, long *out);

#endif
