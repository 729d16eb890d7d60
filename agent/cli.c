/*
 * cli.c - the taploop binary's entry: dispatch to the subcommand table, --help, --version.
 */
#include "agent/cli.h"

#include <stdio.h>
#include <string.h>

static const struct tl_command *const commands[] = {
    &tl_cmd_run, &tl_cmd_batch,   &tl_cmd_test,   &tl_cmd_observe,
    &tl_cmd_act, &tl_cmd_devices, &tl_cmd_report, NULL,
};

static void usage(FILE *out)
{
    fputs("usage: taploop COMMAND [options]\n"
          "\n"
          "taploop runs an observe -> plan -> act loop on Android phones.\n"
          "\n"
          "Commands:\n",
          out);
    for (size_t i = 0; commands[i]; i++)
        fprintf(out, "  %-9s %s\n", commands[i]->name, commands[i]->summary);
    fputs("\n"
          "Options of every device command:\n"
          "  --driver NAME   sim (default), mobilerun, armcloud or adb; or $TAPLOOP_DRIVER\n"
          "  --device ID     sim: sim, sim:NAME or a model JSON; mobilerun: a device id;\n"
          "                  armcloud: a pad code; adb: a serial; or $TAPLOOP_DEVICE\n"
          "                  (default: the driver's first ready device)\n"
          "  --json          machine-readable output on stdout\n"
          "  -q, -v          quieter / more verbose progress on stderr\n"
          "\n"
          "Exit codes: 0 success, 1 not achieved (action rejected, assertion failed),\n"
          "2 usage or configuration error, 3 device or network error, 130 interrupted.\n"
          "\n"
          "Run 'taploop COMMAND --help' for a command's options.\n",
          out);
}

int tl_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TL_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (argc > 2 && strcmp(name, "help") == 0) {
            for (size_t i = 0; commands[i]; i++) {
                if (strcmp(commands[i]->name, argv[2]) == 0) {
                    fputs(commands[i]->help, stdout);
                    return TL_EXIT_OK;
                }
            }
        }
        usage(stdout);
        return TL_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("taploop %s\n", TAPLOOP_VERSION);
        return TL_EXIT_OK;
    }
    for (size_t i = 0; commands[i]; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "taploop: unknown command \"%s\"\n", name);
    usage(stderr);
    return TL_EXIT_USAGE;
}
