/* report_tap.c — DIR/results.tap: TAP version 13 (what every prove reads:
 * Debian 12's Test::Harness 3.44 knows no later version, and the stream
 * needs nothing 14 added), one test point per run, with a YAML diagnostic
 * block (two spaces in, block style only, which every TAP13/14 YAMLish
 * reader takes) holding the counts, the statement
 * and the rerun command. A met run is `ok`, a run not judged is `ok ...
 * # SKIP`, every other class is `not ok` with its class named. */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

/* A YAML double-quoted scalar of the escapes YAMLish readers know. */
static void yaml_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void yaml_key_str(FILE *f, const char *key, const char *value)
{
    fprintf(f, "  %s: ", key);
    if (value == NULL)
        fputs("~", f);
    else
        yaml_str(f, value);
    fputc('\n', f);
}

/* A text of many lines as a literal block scalar. */
static void yaml_block(FILE *f, const char *key, const char *text)
{
    fprintf(f, "  %s: |\n", key);
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fputs("    ", f);
        for (size_t i = 0; i < n; i++)
            fputc((unsigned char)p[i] < 0x20 && p[i] != '\t' ? '?' : p[i], f);
        fputc('\n', f);
        p += n + (nl ? 1 : 0);
    }
}

static void yaml_outcomes(FILE *f, const report_run *r)
{
    json_object *outcomes = NULL;
    if (!json_object_object_get_ex(r->rec, "outcomes", &outcomes) ||
        !json_object_is_type(outcomes, json_type_object) ||
        json_object_object_length(outcomes) == 0) {
        fputs("  outcomes: {}\n", f);
        return;
    }
    fputs("  outcomes:\n", f);
    json_object_object_foreach(outcomes, name, count)
    {
        fputs("    ", f);
        yaml_str(f, name);
        fprintf(f, ": %lld\n", (long long)json_object_get_int64(count));
    }
}

/* A description's words from a record: TAP 13 has no escape, so a '#' (which would start a
 * directive: "x # SKIP" would skip a failure) or a line break becomes '?'. */
static void tap_words(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p == '#' || *p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

static void point(FILE *f, const report_set *set, const report_run *r, int number)
{
    const char *verdict = r->verdict ? r->verdict : "no verdict";
    fprintf(f, "%s %d - ", r->cls == RC_MET || r->cls == RC_SKIPPED ? "ok" : "not ok", number);
    const char *words[] = {r->scenario, ":",     r->variant, " ",    r->flavour,
                           " ",         r->mode, ": ",       verdict};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        tap_words(f, words[i]);
    if (r->cls == RC_SKIPPED)
        fputs(" # SKIP not judged in this flavour and mode", f);
    fputc('\n', f);
    char *evidence = report_evidence(r);
    char *rerun = report_rerun_command(set, r);
    char *details = report_details(r);
    fputs("  ---\n", f);
    yaml_key_str(f, "message", evidence);
    yaml_key_str(f, "severity", r->cls == RC_MET || r->cls == RC_SKIPPED ? "ok" : "fail");
    yaml_key_str(f, "class", report_class_name(r->cls));
    fprintf(f, "  exit_status: %d\n", report_class_exit(r->cls));
    yaml_key_str(f, "scenario", r->scenario);
    yaml_key_str(f, "variant", r->variant);
    yaml_key_str(f, "expectation", r->expectation);
    yaml_key_str(f, "flavour", r->flavour);
    yaml_key_str(f, "mode", r->mode);
    yaml_key_str(f, "verdict", r->verdict);
    fprintf(f, "  met: %s\n", r->met < 0 ? "~" : r->met ? "true" : "false");
    fprintf(f,
            "  trials: %llu\n  failures: %llu\n  forbidden: %llu\n  interesting: %llu\n"
            "  hangs: %llu\n  crashes: %llu\n  tsan_reports: %llu\n",
            r->trials, r->failures, r->forbidden, r->interesting, r->hangs, r->crashes,
            r->tsan_reports);
    fprintf(f, "  seconds: %.6g\n  trials_per_s: %.6g\n", r->seconds, r->trials_per_s);
    fprintf(f, "  rate: %.6g\n  wilson95:\n    - %.6g\n    - %.6g\n  upper95: %.6g\n", r->rate,
            r->wilson_low, r->wilson_high, r->upper95);
    if (r->has_failure) {
        fputs("  first_failure:\n", f);
        if (r->ff_trial >= 0)
            fprintf(f, "    trial: %lld\n", r->ff_trial);
        fprintf(f, "    seconds: %.6g\n    cause: ", r->ff_seconds);
        yaml_str(f, r->ff_cause ? r->ff_cause : "?");
        fputc('\n', f);
    } else {
        fputs("  first_failure: ~\n", f);
    }
    yaml_outcomes(f, r);
    yaml_key_str(f, "run_id", r->run_id);
    yaml_key_str(f, "rerun", rerun);
    if (details != NULL)
        yaml_block(f, "details", details);
    fputs("  ...\n", f);
    free(evidence);
    free(rerun);
    free(details);
}

int rp_tap_write(const report_set *set, FILE *f)
{
    const report_run **runs = report_sorted(set);
    fputs("TAP version 13\n", f);
    if (set->n == 0)
        fputs("1..0 # SKIP no runs in this folder\n", f);
    else
        fprintf(f, "1..%d\n", set->n);
    for (int i = 0; i < set->n; i++)
        point(f, set, runs[i], i + 1);
    fprintf(f, "# racelab: %s, exit status %d\n", set->jsonl, report_set_exit(set));
    free(runs);
    return ferror(f) ? -1 : 0;
}
