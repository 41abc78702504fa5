/* cli.c — the one loop that reads a racelab command's options (cli.h):
 * getopt_long over the rows the command lists in options_table.c, each
 * value handed to the command's TAKE, the other words kept in order. */
#include "core/cli.h"
#include "core/options_table.h"
#include "core/util.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LONGS 40

/* The row of option ID in COMMAND, with the command's own value name: a
 * --json FILE of diff takes a value where list's --json does not. */
static const char *value_of(const command_def *cmd, const option_def *d)
{
    for (const command_option *co = cmd->options; co->id != 0; co++)
        if (co->id == d->id && co->value != NULL)
            return co->value;
    return d->value;
}

static void add_long(struct option *longs, int *n, const command_def *cmd, const option_def *d)
{
    const char *value = value_of(cmd, d);
    longs[(*n)++] = (struct option){d->name, value ? required_argument : no_argument, NULL, d->id};
    if (d->id == OPT_FLAVOUR) /* the alias, documented with --flavour */
        longs[(*n)++] = (struct option){"flavor", required_argument, NULL, OPT_FLAVOUR};
}

/* The one-line error of a getopt_long failure ('?' or ':'). */
static int getopt_error(int r, char **argv, const struct option *longs, const char *help)
{
    const option_def *d = optopt != 0 ? option_of(optopt) : NULL;
    const char *word = optind > 0 ? argv[optind - 1] : "?";
    if (r == ':' && d != NULL) {
        error_msg("--%s needs a value (see '%s')", d->name, help);
    } else if (d != NULL) {
        error_msg("--%s takes no value (see '%s')", d->name, help);
    } else if (optopt != 0) {
        error_msg("unknown option '-%c' (see '%s')", optopt, help);
    } else {
        /* An unknown long option, or a prefix of several (--s). */
        buffer names = {0};
        size_t len = strncmp(word, "--", 2) == 0 ? strcspn(word + 2, "=") : 0; /* not "?" + 2 */
        for (int i = 0; strncmp(word, "--", 2) == 0 && longs[i].name != NULL; i++)
            if (strncmp(longs[i].name, word + 2, len) == 0 &&
                (i == 0 || longs[i].val != longs[i - 1].val)) { /* --flavor: --flavour */
                buf_append(&names, names.len ? ", --" : "--", names.len ? 4 : 2, SIZE_MAX);
                buf_append(&names, longs[i].name, strlen(longs[i].name), SIZE_MAX);
            }
        if (names.len > 0)
            error_msg("ambiguous option '%s': %s (see '%s')", word, names.data, help);
        else
            error_msg("unknown option '%s' (see '%s')", word, help);
        buf_free(&names);
    }
    return RL_EXIT_USAGE;
}

/* getopt's optstring: '+' (options end at the first word) or '-' (words
 * come back in order), ':' (a missing value is told apart), then the short
 * forms (-h, -j N) of the options the command takes. */
static void short_options(const command_def *cmd, char *out, size_t cap)
{
    size_t n = 0;
    out[n++] = cmd->word_ends_options ? '+' : '-';
    out[n++] = ':';
    for (const command_option *co = cmd->options; co->id != 0 && n + 3 < cap; co++)
        if (co->id < 256) {
            out[n++] = (char)co->id;
            if (value_of(cmd, option_of(co->id)) != NULL)
                out[n++] = ':';
        }
    out[n] = '\0';
}

int cli_parse(const char *command, int argc, char **argv, cli_take take, void *ctx, char **words,
              int *n_words)
{
    const command_def *cmd = command_of(command);
    if (cmd == NULL) {
        error_msg("unknown command '%s' (see 'racelab help')", command);
        return RL_EXIT_USAGE;
    }
    char help[64];
    snprintf(help, sizeof help, "racelab %s --help", cmd->name);
    struct option longs[MAX_LONGS];
    int n = 0;
    for (const command_option *co = cmd->options; co->id != 0 && n < MAX_LONGS - 2; co++)
        add_long(longs, &n, cmd, option_of(co->id));
    longs[n] = (struct option){NULL, 0, NULL, 0};
    char shorts[16];
    short_options(cmd, shorts, sizeof shorts);
    /* getopt_long wants a program's name first: the command's stands for it */
    char **args = xcalloc((size_t)argc + 2, sizeof *args);
    args[0] = (char *)cmd->name;
    for (int i = 0; i < argc; i++)
        args[i + 1] = argv[i];
    *n_words = 0;
    optind = 0; /* glibc: start afresh */
    opterr = 0;
    int r, rc = 0;
    while (rc == 0 && (r = getopt_long(argc + 1, args, shorts, longs, NULL)) != -1) {
        if (r == 1) {
            words[(*n_words)++] = optarg;
        } else if (r == OPT_HELP) {
            options_command_usage(stdout, cmd);
            rc = CLI_DONE;
        } else if (r == '?' || r == ':') {
            rc = getopt_error(r, args, longs, help);
        } else {
            rc = take(ctx, r, optarg);
        }
    }
    for (; rc == 0 && optind < argc + 1; optind++) /* after `--`, or from the first word on */
        words[(*n_words)++] = args[optind];
    free(args);
    return rc;
}

int cli_parse_shard(const char *who, const char *value, int *k0, int *n)
{
    unsigned long long k, total;
    const char *slash = strchr(value, '/');
    char *left = xstrdup(value);
    if (slash != NULL)
        left[slash - value] = '\0';
    int ok = slash != NULL && parse_whole(left, 0, 10000, &k) == 0 &&
             parse_whole(slash + 1, 1, 10000, &total) == 0 && k <= total;
    free(left);
    if (ok && k == 0) { /* as Jest, Playwright, Vitest and GitLab's CI_NODE_INDEX count */
        error_msg("%s--shard counts shards from 1 (1/N to N/N), not from 0, not '%s'", who, value);
        return RL_EXIT_USAGE;
    }
    if (!ok) {
        error_msg("%s--shard wants K/N with 1 <= K <= N <= 10000, not '%s'", who, value);
        return RL_EXIT_USAGE;
    }
    *k0 = (int)k - 1;
    *n = (int)total;
    return 0;
}
