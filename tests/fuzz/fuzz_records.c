/* fuzz_records.c — libFuzzer target: the driver's record reader, what
 * `racelab rerun` makes of a record (harness/driver/rerun.c through
 * json_io.c: the line picked, JSON with json-c, the scenario, variant,
 * flavour, mode, numbers, strategy, schedule, profile, specs, params and
 * POSIX faults taken) into the command it would run, against a catalogue of
 * one scenario. The first byte picks --line (odd: line 1 + the second byte
 * mod 4). Beyond "no crash, no UB, no leak": a record read is a command line
 * of that scenario's program ending in --json; a record refused is exit 2 or
 * 3 with no command. The driver's sources but main.c are linked in. */
#include "core/discover.h"
#include "core/json_io.h"
#include "core/options.h"
#include "core/runner.h"
#include "run/commands.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char DESCRIPTOR[] =
    "{\"name\":\"fz\",\"summary\":\"s\",\"actors\":2,"
    "\"variants\":[{\"name\":\"racy\",\"expectation\":\"reproduces\",\"caught_by\":\"any\"},"
    "{\"name\":\"fixed\",\"expectation\":\"holds\",\"caught_by\":\"oracle\","
    "\"inject\":\"fz/fault:fail\"}],"
    "\"outcomes\":[{\"name\":\"ok\",\"grade\":\"acceptable\"},"
    "{\"name\":\"lost\",\"grade\":\"forbidden\"}],"
    "\"params\":[{\"name\":\"n\",\"default\":1,\"min\":1,\"max\":9}],"
    "\"points\":[{\"name\":\"fz/step\",\"kind\":\"delay\"},"
    "{\"name\":\"fz/fault\",\"kind\":\"fault\"}]}";

static catalog cat;
static variant_info variants[2] = {
    {"racy", "reproduces", "any", "", NULL},
    {"fixed", "holds", "oracle", "", "fz/fault:fail"},
};

static void catalog_once(void)
{
    static scenario_info sc;
    if (cat.n != 0)
        return;
    const char *err;
    if (jparse(DESCRIPTOR, strlen(DESCRIPTOR), &sc.descriptor, &err) != 0)
        abort();
    sc.name = "fz";
    sc.plain_path = "/nonexistent/plain/fz";
    sc.tsan_path = "/nonexistent/tsan/fz";
    sc.tsan_built = 1;
    sc.variants = variants;
    sc.n_variants = 2;
    cat.build_dir = "/nonexistent";
    cat.items = &sc;
    cat.n = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    catalog_once();
    if (size < 2)
        return 0;
    command_line c;
    memset(&c, 0, sizeof c);
    c.line_given = data[0] & 1;
    c.line = 1 + data[1] % 4;
    char *text = malloc(size - 1);
    memcpy(text, data + 2, size - 2);
    text[size - 2] = '\0';
    char **argv = NULL;
    int argc = 0;
    int rc = rerun_command_of(&cat, text, &c, &argv, &argc);
    free(text);
    if (rc != 0) {
        if (argv != NULL || (rc != RL_EXIT_USAGE && rc != RL_EXIT_HARNESS))
            abort();
        return 0;
    }
    if (argv == NULL || argc < 4 || argv[argc] != NULL || strcmp(argv[argc - 1], "--json") != 0 ||
        (strcmp(argv[0], "/nonexistent/plain/fz") != 0 &&
         strcmp(argv[0], "/nonexistent/tsan/fz") != 0) ||
        strcmp(argv[1], "--variant") != 0)
        abort();
    free_argv(argv);
    return 0;
}
