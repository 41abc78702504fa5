/* expectation.c — names of grades, expectations, detectors and verdicts. */
#include "expectation.h"

#include <string.h>

static const char *const grade_names[] = {"acceptable", "interesting", "forbidden"};
static const char *const expectation_names[] = {"reproduces", "holds", "benign"};
static const char *const detector_names[] = {"any", "oracle", "tsan"};
static const char *const verdict_names[] = {"reproduced", "not-reproduced", "holds",       "fails",
                                            "benign",     "error",          "inconclusive"};

const char *rl_grade_name(rl_grade g) { return grade_names[g]; }
const char *rl_expectation_name(rl_expectation e) { return expectation_names[e]; }
const char *rl_detector_name(rl_detector d) { return detector_names[d]; }
const char *rl_verdict_name(rl_verdict_kind k) { return verdict_names[k]; }

static int index_of(const char *const *names, int n, const char *name)
{
    for (int i = 0; name != NULL && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

int rl_expectation_from_name(const char *name) { return index_of(expectation_names, 3, name); }
int rl_detector_from_name(const char *name) { return index_of(detector_names, 3, name); }
