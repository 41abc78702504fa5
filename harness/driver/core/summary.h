/* summary.h — the table on the terminal and in summary.txt. */
#ifndef RL_DRIVER_CORE_SUMMARY_H
#define RL_DRIVER_CORE_SUMMARY_H

#include "core/discover.h"
#include "core/plan.h"
#include "core/results.h"
#include "core/runner.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

void summary_header(session *s, const plan_item *plan, int n);
void summary_row_print(session *s, const summary_row *r);
void summary_progress(session *s, int done, const child_run *const *running, int n_running);
void summary_progress_clear(session *s);
void summary_write_file(const session *s, FILE *f, int interrupted, int status);
void summary_totals(session *s, int interrupted, int status);
void summary_list(const catalog *cat, FILE *f);
void summary_describe(const scenario_info *sc, FILE *f);
/* One line per point: scenario, point, kind, meaning (every scenario, or
 * `only`). */
void summary_points(const catalog *cat, const scenario_info *only, FILE *f);

#endif
