/*
 * main.c - the taploop binary. Everything else lives in the library (libtaploop.a).
 */
#include "agent/cli.h"

int main(int argc, char **argv)
{
    return tl_cli_main(argc, argv);
}
