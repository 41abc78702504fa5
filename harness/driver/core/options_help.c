/* options_help.c — the help of racelab and of each command, from the tables
 * (options_table.c): words wrapped at 80 columns, option help from column 32. */
#include "core/options_table.h"

#include <stdio.h>
#include <string.h>

#define HELP_COLUMN 32
#define HELP_WIDTH 80

/* TEXT from column COL (where the cursor is), its words wrapped at
 * HELP_WIDTH, further lines indented to COL. */
static void wrapped(FILE *f, int col, const char *text)
{
    int at = col;
    for (const char *p = text; *p;) {
        size_t word = strcspn(p, " ");
        if (at > col && at + 1 + (int)word > HELP_WIDTH) {
            fprintf(f, "\n%*s", col, "");
            at = col;
        } else if (at > col) {
            fputc(' ', f);
            at++;
        }
        fprintf(f, "%.*s", (int)word, p);
        at += (int)word;
        p += word;
        p += strspn(p, " ");
    }
    fputc('\n', f);
}

/* LEFT, then TEXT from HELP_COLUMN (on the next line when LEFT is long). */
static void help_line(FILE *f, const char *left, const char *text)
{
    int n = fprintf(f, "%s", left);
    if (n + 2 > HELP_COLUMN) {
        fputc('\n', f);
        n = 0;
    }
    fprintf(f, "%*s", HELP_COLUMN - n, "");
    wrapped(f, HELP_COLUMN, text);
}

/* "  --name VALUE   help" ("  -c, --name" with a short form). */
static void option_help(FILE *f, const option_def *d, const char *value, const char *help)
{
    char left[64];
    if (d->id < 256)
        snprintf(left, sizeof left, "  -%c, --%s%s%s", d->id, d->name, value ? " " : "",
                 value ? value : "");
    else
        snprintf(left, sizeof left, "  --%s%s%s", d->name, value ? " " : "", value ? value : "");
    help_line(f, left, help);
}

void options_general_usage(FILE *f)
{
    fputs("usage: racelab [--build DIR] COMMAND [options]\n"
          "commands:\n",
          f);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char left[160]; /* plan's words are 66 characters: 64 cut them short */
        snprintf(left, sizeof left, "  %s %s", COMMANDS[i].name, COMMANDS[i].words);
        help_line(f, left, COMMANDS[i].summary);
    }
    help_line(f, "  report DIR... [--html FILE]",
              "junit.xml, results.tap, report.html; several: trends");
    help_line(f, "  diff OLD NEW [--json FILE]",
              "what changed: regressions, rates (Fisher), times");
    help_line(f, "  compare NAME[:V1,V2,...] [options]",
              "candidate fixes: correctness, cost interleaved, a decision");
    help_line(f, "  exec [options] -- PROGRAM...",
              "an unmodified pthread program, many runs, noise at its pthread calls");
    help_line(f, "  cc | c++ [--tsan] CLANG-ARGS...",
              "clang whose output makes every shared access a point for exec");
    fputs("global options (before or after the command):\n", f);
    option_help(f, option_of(OPT_BUILD), "DIR",
                "where plain/ and tsan/ are (default: next to this program)");
    option_help(f, option_of(OPT_HELP), NULL, "this help; after a command, that command's help");
    option_help(f, option_of(OPT_VERSION), NULL, option_of(OPT_VERSION)->help);
    fputs("'racelab help COMMAND' or 'racelab COMMAND --help' lists a command's options.\n"
          "exit status, the worst run's: 0 every expectation met, 1 a fix failed, 4 weak\n"
          "evidence (a racy variant not reproduced, a fix inconclusive), 2 usage or input\n"
          "error, 3 harness or environment failure, 130 interrupted\n",
          f);
}

void options_command_usage(FILE *f, const command_def *cmd)
{
    fprintf(f, "usage: racelab %s %s\n", cmd->name, cmd->words);
    wrapped(f, 0, cmd->about);
    fputs("options:\n", f);
    for (const command_option *co = cmd->options; co->id != 0; co++) {
        const option_def *d = option_of(co->id);
        option_help(f, d, co->value ? co->value : d->value, co->help ? co->help : d->help);
    }
}
