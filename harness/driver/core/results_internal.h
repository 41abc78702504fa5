/* results_internal.h — what the files of the results session share and
 * nothing else includes: the record of one finished run as the driver builds
 * it (record_build.c), the positive controls of a fix (controls.c), and the
 * run waiting for its controls. */
#ifndef RL_DRIVER_CORE_RESULTS_INTERNAL_H
#define RL_DRIVER_CORE_RESULTS_INTERNAL_H

#include "core/plan.h"
#include "core/results.h"
#include "core/runner.h"
#include "core/tsanlog.h"
#include "core/util.h"

#include "../../common/grader.h"
#include "../../common/record.h"

#include <json-c/json.h>

/* A finished run's record, waiting to be written: a fix waits for its
 * positive controls (plan.c), so that its verdict can count them. */
typedef struct pending {
    plan_item item;
    int index;
    json_object *rec;
    buffer note;
    int severity; /* usage or harness, from how the run ended */
    char *unhit;
} finished_run;

/* ---- record_build.c ---- */

json_object *rec_find(const buffer *out, const char **why);
char *rec_tail(const buffer *b, size_t n);
unsigned long long rec_count(const json_object *obj, const char *key);
char *rec_utc_stamp(void);
json_object *rec_synthesize(const child_run *c, const run_options *o, const tsan_summary *ts,
                            double duration);
void rec_add_count(json_object *obj, const char *key, unsigned long long n);
void rec_add_failure(json_object *rec, const char *outcome, const char *cause, double duration);
void rec_judge(json_object *rec, const plan_item *it, const rl_control_record *control);
const char *rec_not_judged_why(const json_object *rec, const plan_item *it);
char *rec_points_unhit(const json_object *rec);
char *rec_save_stderr(const session *s, const child_run *c);
char *rec_last_line(const buffer *b);
char *rec_fmt_count(const json_object *rec, const char *key);
char *rec_fmt_rate(const json_object *rec);
void note_add(buffer *note, const char *text);
char *rec_primary_log(const tsan_summary *ts, pid_t pid);
int rec_severity(const json_object *rec, int severity);

/* ---- controls.c ---- */

int ctl_done(const session *s, const plan_item *fix);
rl_control_record ctl_of(const session *s, const plan_item *fix);
void ctl_note(buffer *note, const rl_control_record *ctl);

#endif
