/* report_junit.c — DIR/junit.xml in the shape Jenkins and GitLab read
 * (tests/data/junit.xsd): one testsuite per scenario, one testcase per
 * variant x flavour x mode.
 *
 *   met             a passing testcase; the evidence in system-out
 *   fix failed      <failure type="regression">
 *   weak evidence   <failure type="weak-evidence"> and, in the suite's
 *                   properties, racelab.weak-evidence = the testcase's name
 *   error           <error type="harness"> (type="bad-input" when the
 *                   program refused its input)
 *   not judged      <skipped> */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    int tests, failures, errors, skipped;
    double time;
} tally;

static void count(tally *t, const report_run *r)
{
    t->tests++;
    t->time += r->seconds;
    if (r->cls == RC_FIX_FAILED || r->cls == RC_WEAK)
        t->failures++;
    else if (r->cls == RC_ERROR || r->cls == RC_BAD_INPUT)
        t->errors++;
    else if (r->cls == RC_SKIPPED)
        t->skipped++;
}

static void testcase(FILE *f, const report_set *set, const report_run *r)
{
    char *evidence = report_evidence(r);
    char *rerun = report_rerun_command(set, r);
    char *details = report_details(r);
    fputs("    <testcase name=\"", f);
    rp_xml(f, r->variant);
    fprintf(f, " %s %s\" classname=\"", r->flavour, r->mode);
    rp_xml(f, r->scenario);
    fputc('.', f);
    rp_xml(f, r->variant);
    fprintf(f, "\" time=\"%.3f\">\n", r->seconds);
    const char *element = NULL, *type = NULL;
    switch (r->cls) {
    case RC_FIX_FAILED:
        element = "failure";
        type = "regression";
        break;
    case RC_WEAK:
        element = "failure";
        type = "weak-evidence";
        break;
    case RC_ERROR:
        element = "error";
        type = "harness";
        break;
    case RC_BAD_INPUT:
        element = "error";
        type = "bad-input";
        break;
    case RC_SKIPPED:
        fputs("      <skipped>not judged in this flavour and mode (met is null): ", f);
        rp_xml(f, evidence);
        fputs("</skipped>\n", f);
        break;
    case RC_MET: break;
    }
    if (element != NULL) {
        fprintf(f, "      <%s type=\"%s\" message=\"", element, type);
        rp_xml(f, evidence);
        fputs("\">", f);
        rp_xml(f, evidence);
        fputs("\nrerun: ", f);
        rp_xml(f, rerun);
        fprintf(f, "</%s>\n", element);
    }
    fputs("      <system-out>", f);
    rp_xml(f, evidence);
    fputs("\nrerun: ", f);
    rp_xml(f, rerun);
    fputc('\n', f);
    if (details != NULL)
        rp_xml(f, details);
    fputs("</system-out>\n    </testcase>\n", f);
    free(evidence);
    free(rerun);
    free(details);
}

int rp_junit_write(const report_set *set, FILE *f)
{
    const report_run **runs = report_sorted(set);
    tally all = {0};
    for (int i = 0; i < set->n; i++)
        count(&all, runs[i]);
    char host[256] = "localhost";
    if (gethostname(host, sizeof host - 1) != 0)
        strcpy(host, "localhost");
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"racelab ", f);
    rp_xml(f, set->dir);
    fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" time=\"%.3f\">\n", all.tests,
            all.failures, all.errors, all.time);
    for (int i = 0; i < set->n;) {
        int end = i;
        tally t = {0};
        while (end < set->n && strcmp(runs[end]->scenario, runs[i]->scenario) == 0)
            count(&t, runs[end++]);
        fputs("  <testsuite name=\"", f);
        rp_xml(f, runs[i]->scenario);
        fprintf(f,
                "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\" "
                "timestamp=\"",
                t.tests, t.failures, t.errors, t.skipped, t.time);
        rp_xml(f, runs[i]->finished_at ? runs[i]->finished_at : set->date);
        fputs("\" hostname=\"", f);
        rp_xml(f, host);
        fputs("\">\n    <properties>\n      <property name=\"racelab.results\" value=\"", f);
        rp_xml(f, set->jsonl);
        fputs("\"/>\n", f);
        for (int k = i; k < end; k++) {
            if (runs[k]->cls != RC_WEAK)
                continue;
            fputs("      <property name=\"racelab.weak-evidence\" value=\"", f);
            rp_xml(f, runs[k]->variant);
            fprintf(f, " %s %s\"/>\n", runs[k]->flavour, runs[k]->mode);
        }
        fputs("    </properties>\n", f);
        for (int k = i; k < end; k++)
            testcase(f, set, runs[k]);
        fputs("  </testsuite>\n", f);
        i = end;
    }
    fputs("</testsuites>\n", f);
    free(runs);
    return ferror(f) ? -1 : 0;
}
