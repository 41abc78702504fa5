"""Sanitizer builds under racelab exec, and racelab cc's heap checks
(docs/sanitizers.md).

Programs (each with a fixed twin):
  tests/exec_programs/uaf_bug.c     a reader reads a session late; the owner
                                    frees it once the reader has *started*
  tests/exec_programs/leak_bug.c    main frees only half of its workers' results
  tests/cc_programs/double_free_bug.c  "last user frees", tested outside the lock

Builds (Makefile): build/exec_programs/asan-gcc/ and asan-clang/ (gcc's and
clang's -fsanitize=address), build/exec_programs/cc/uaf_* and
build/cc_programs/cc/double_free_* (racelab cc). No test sets ASAN_OPTIONS:
every run is made with ASAN_OPTIONS, LSAN_OPTIONS and UBSAN_OPTIONS removed
from the environment, so what is found is found with racelab's settings only.

Budgets (schedules or runs to the first failure, seeds 1000, 2000, ... 10000,
measured on this machine):

  build              mode         measured   budget here
  asan-gcc uaf       sched pct:3  1 .. 7     60
  asan-clang uaf     sched pct:3  1 .. 7     60
  asan-gcc uaf       noise        1 .. 4     200 (3 seeds)
  asan-clang uaf     noise        1 .. 3     200 (3 seeds)
  cc uaf             sched pct:3  1 .. 4     60
  cc double_free     sched pct:3  2 .. 8     60

The sched budgets are deterministic (one thread runs at a time, the choices
come from the seed): a margin of 7x or more against a change in the
scheduler. Noise runs depend on timing: a margin of 50x.

Fixed twins: uaf_fixed (both ASan builds) holds over 300 schedules of pct:3
and 300 of random, and 100 noise runs; racelab cc's uaf_fixed and
double_free_fixed over 300 schedules of pct:3 and 300 of random. leak_fixed
holds with --leaks fail; leak_bug fails with `leak` under --leaks fail (every
run: the leak is in every run) and holds under --leaks ignore.

UBSan (gcc, clang), LSan alone (gcc, clang) and MSan (clang) builds of one
small program, compiled by the test, are recognised and graded under noise
and sched: their reports are the `sanitizer` or `leak` outcome with the
site (2 runs each: the errors are in every run).
"""
import json
import os
import subprocess

import pytest

from conftest import BUILD, ROOT

RACELAB = BUILD / "racelab"
SEEDS = [1000 * k for k in range(1, 11)]
SCHED_BUDGET = 60
NOISE_BUDGET = 200
FIXED_SCHEDULES = 300
ASAN = ["asan-gcc", "asan-clang"]


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "MSAN_OPTIONS")}
    env.update(extra)
    return env


def racelab_exec(out, *args, env=None, timeout=900):
    proc = subprocess.run([str(RACELAB), "exec", "--out", str(out), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env=env if env is not None else clean_env())
    lines = (out / "runs.jsonl").read_text().splitlines() if (out / "runs.jsonl").exists() else []
    assert len(lines) == 1, proc.stdout + proc.stderr
    return proc.returncode, json.loads(lines[0]), proc.stdout


def program(*parts):
    path = BUILD.joinpath(*parts)
    assert path.exists(), f"{path} is not built: run 'make exec cc'"
    return path


def line_of(src, text):
    lines = (ROOT / src).read_text().splitlines()
    found = [i + 1 for i, line in enumerate(lines) if text in line]
    assert len(found) == 1, (src, text, found)
    return found[0]


UAF_SRC = "tests/exec_programs/uaf_bug.c"
USE = f"{UAF_SRC}:{line_of(UAF_SRC, 'int last = s->hits;')} in reader"
FREE = f"{UAF_SRC}:{line_of(UAF_SRC, 'free(arg);')} in owner"
DF_SRC = "tests/cc_programs/double_free_bug.c"
DF_FREE = f"{DF_SRC}:{line_of(DF_SRC, 'free(buffer);')} in worker"


# ---- ASan builds: the use-after-free between threads ---------------------------

@pytest.mark.parametrize("build", ASAN)
def test_asan_uaf_found_under_sched_for_ten_seeds(build, tmp_path):
    for seed in SEEDS:
        rc, rec, out = racelab_exec(tmp_path / str(seed), "--mode", "sched", "--strategy", "pct:3",
                                    "--seed", seed, "--runs", SCHED_BUDGET, "--until-fail",
                                    "--expect", "reproduces", "--",
                                    program("exec_programs", build, "uaf_bug"))
        assert rc == 0 and rec["verdict"] == "reproduced", (seed, out)
        assert rec["trials"] <= SCHED_BUDGET and rec["sched"]["diverged"] == 0, out
        failure = rec["exec"]["failures"][0]
        assert failure["outcome"] == "sanitizer", failure
        assert failure["cause"] == f"asan: heap-use-after-free at {USE} (freed at {FREE})"
        assert rec["outcomes"]["sanitizer"] == 1
        assert rec["exec"]["sanitizers"] == ["asan"]
        assert os.path.exists(failure["sanitizer_log"])
    assert "asan: heap-use-after-free at tests/exec_programs/uaf_bug.c:" in out


@pytest.mark.parametrize("build", ASAN)
def test_asan_uaf_found_under_noise(build, tmp_path):
    for seed in SEEDS[:3]:
        rc, rec, out = racelab_exec(tmp_path / str(seed), "--seed", seed, "--runs", NOISE_BUDGET,
                                    "--until-fail", "--expect", "reproduces", "--",
                                    program("exec_programs", build, "uaf_bug"))
        assert rc == 0 and rec["verdict"] == "reproduced", (seed, out)
        failure = rec["exec"]["failures"][0]
        assert failure["outcome"] == "sanitizer"
        assert failure["cause"].startswith(f"asan: heap-use-after-free at {USE}"), failure


@pytest.mark.parametrize("build", ASAN)
@pytest.mark.parametrize("strategy", ["pct:3", "random"])
def test_asan_uaf_fixed_holds_under_sched(build, strategy, tmp_path):
    rc, rec, out = racelab_exec(tmp_path / "r", "--mode", "sched", "--strategy", strategy,
                                "--seed", 1, "--runs", FIXED_SCHEDULES, "--",
                                program("exec_programs", build, "uaf_fixed"))
    assert rc == 0 and rec["verdict"] == "holds", out
    assert rec["trials"] == FIXED_SCHEDULES, out
    # clang's LeakSanitizer spins on sched_yield in StopTheWorld at exit: no
    # longer points (sanitizer_code.c), so no run passes the step limit
    assert rec["sched"]["diverged"] == 0 and rec["sched"]["max_steps"] < 100, rec["sched"]


@pytest.mark.parametrize("build", ASAN)
def test_asan_uaf_fixed_holds_under_noise(build, tmp_path):
    rc, rec, out = racelab_exec(tmp_path / "r", "--seed", 1, "--runs", 100, "--",
                                program("exec_programs", build, "uaf_fixed"))
    assert rc == 0 and rec["verdict"] == "holds" and rec["trials"] == 100, out


# ---- leaks ---------------------------------------------------------------------

@pytest.mark.parametrize("build", ASAN)
@pytest.mark.parametrize("mode", ["noise", "sched"])
def test_a_leak_is_its_own_outcome_and_leaks_ignore_passes(build, mode, tmp_path):
    prog = program("exec_programs", build, "leak_bug")
    rc, rec, out = racelab_exec(tmp_path / "fail", "--mode", mode, "--seed", 1, "--runs", 5,
                                "--", prog)
    assert rc == 1 and rec["outcomes"]["leak"] == 5, out
    failure = rec["exec"]["failures"][0]
    assert failure["outcome"] == "leak" and rec["exec"]["leaks"] == "fail"
    assert failure["cause"] == ("leak: 16 byte(s) leaked in 2 allocation(s), allocated at "
                                "tests/exec_programs/leak_bug.c:"
                                f"{line_of('tests/exec_programs/leak_bug.c', 'malloc')} in work")
    rc, rec, out = racelab_exec(tmp_path / "ignore", "--mode", mode, "--seed", 1, "--runs", 5,
                                "--leaks", "ignore", "--", prog)
    assert rc == 0 and rec["verdict"] == "holds" and rec["exec"]["leaks"] == "ignore", out
    rc, rec, out = racelab_exec(tmp_path / "fixed", "--mode", mode, "--seed", 1, "--runs", 20,
                                "--", program("exec_programs", build, "leak_fixed"))
    assert rc == 0 and rec["verdict"] == "holds", out
    if mode == "sched":
        assert rec["sched"]["diverged"] == 0 and rec["sched"]["max_steps"] < 100


def test_leaks_wants_fail_or_ignore(tmp_path):
    proc = subprocess.run([str(RACELAB), "exec", "--leaks", "maybe", "--", "true"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "--leaks wants fail or ignore" in proc.stderr


# ---- the user's ASAN_OPTIONS ---------------------------------------------------

def test_user_asan_options_are_merged_not_clobbered(tmp_path):
    """The user's values win (abort_on_error=0: the run exits 1 instead of
    aborting), except racelab's own: verify_asan_link_order=1 would make
    gcc's ASan abort every run before main, detect_leaks=0 would hide the
    leak --leaks fail asks for, and log_path is where racelab reads."""
    env = clean_env(ASAN_OPTIONS="abort_on_error=0:verify_asan_link_order=1:detect_leaks=0:"
                                 "log_path=/nonexistent/x")
    rc, rec, out = racelab_exec(tmp_path / "r", "--seed", 1, "--runs", 2, "--",
                                program("exec_programs", "asan-gcc", "leak_bug"), env=env)
    assert rc == 1 and rec["outcomes"]["leak"] == 2, out
    failure = rec["exec"]["failures"][0]
    assert failure["exit_status"] == 1 and failure["signal"] is None, failure  # exitcode=1
    rc, rec, out = racelab_exec(tmp_path / "d", "--seed", 1, "--runs", 2, "--",
                                program("exec_programs", "asan-gcc", "leak_bug"))
    assert rec["exec"]["failures"][0]["signal"] == "SIGABRT"  # abort_on_error=1 by default


def test_sanitizer_builds_are_named_in_the_record(tmp_path):
    expected = {("exec_programs", "asan-gcc", "uaf_fixed"): (["asan"], "__asan_init"),
                ("exec_programs", "asan-clang", "uaf_fixed"): (["asan"], "__asan_init"),
                ("exec_programs", "tsan", "counter_fixed"): ([], None),
                ("exec_programs", "plain", "counter_fixed"): ([], None),
                ("exec_programs", "cc", "uaf_fixed"): ([], None)}
    for i, (parts, (sans, sign)) in enumerate(expected.items()):
        _, rec, out = racelab_exec(tmp_path / str(i), "--runs", 1, "--", program(*parts))
        assert rec["exec"]["sanitizers"] == sans, (parts, rec["exec"])
        assert rec["exec"]["sanitizers_detected_by"] == sign, (parts, rec["exec"])


# ---- racelab cc: heap-use-after-free and double-free ---------------------------

@pytest.mark.parametrize("name,cause", [
    ("uaf", f"heap-use-after-free at {USE} (freed at {FREE})"),
    ("double_free", f"double-free at {DF_FREE} (freed at {DF_FREE})"),
])
def test_cc_heap_error_found_with_both_sites_for_ten_seeds(name, cause, tmp_path):
    folder = "exec_programs" if name == "uaf" else "cc_programs"
    for seed in SEEDS:
        rc, rec, out = racelab_exec(tmp_path / str(seed), "--mode", "sched", "--strategy", "pct:3",
                                    "--seed", seed, "--runs", SCHED_BUDGET, "--until-fail",
                                    "--expect", "reproduces", "--",
                                    program(folder, "cc", f"{name}_bug"))
        assert rc == 0 and rec["verdict"] == "reproduced", (seed, out)
        assert rec["trials"] <= SCHED_BUDGET and rec["sched"]["diverged"] == 0
        assert rec["exec"]["built_by"] == "racelab cc"
        failure = rec["exec"]["failures"][0]
        assert failure["outcome"] == "sanitizer" and failure["cause"] == cause, failure
        assert failure["signal"] == "SIGABRT"  # the runtime aborts after its report


@pytest.mark.parametrize("name", ["uaf", "double_free"])
@pytest.mark.parametrize("strategy", ["pct:3", "random"])
def test_cc_heap_fixed_twin_holds(name, strategy, tmp_path):
    folder = "exec_programs" if name == "uaf" else "cc_programs"
    rc, rec, out = racelab_exec(tmp_path / "r", "--mode", "sched", "--strategy", strategy,
                                "--seed", 1, "--runs", FIXED_SCHEDULES, "--",
                                program(folder, "cc", f"{name}_fixed"))
    assert rc == 0 and rec["verdict"] == "holds" and rec["trials"] == FIXED_SCHEDULES, out
    assert rec["sched"]["diverged"] == 0


def test_cc_fixed_builds_run_clean_on_their_own():
    """Without racelab (no preload: the runtime's heap checks still on), the
    fixed builds never report: 50 runs each, threads truly in parallel."""
    for folder, name in (("exec_programs", "uaf_fixed"), ("cc_programs", "double_free_fixed")):
        for _ in range(50):
            proc = subprocess.run([str(program(folder, "cc", name))], capture_output=True,
                                  text=True, env=clean_env())
            assert proc.returncode == 0 and "racelab-cc" not in proc.stderr, proc.stderr


# ---- UBSan, LSan alone, MSan: recognised and graded ----------------------------

ODD = r"""
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
    (void)argv;
    int *p = malloc(sizeof *p * 4);
    if (p == NULL)
        return 1;
    int x = INT_MAX - 1 + argc;
    x = x + argc; /* UBSAN_LINE: signed overflow */
    if (p[argc]) /* MSAN_LINE: uninitialised */
        puts("set");
    printf("%d\n", x);
    if (argc == 1)
        return 0; /* LSAN: p leaked */
    free(p);
    return 0;
}
"""


@pytest.fixture(scope="module")
def odd_builds(tmp_path_factory):
    d = tmp_path_factory.mktemp("san")
    src = d / "odd.c"
    src.write_text(ODD)
    builds = {"ubsan-gcc": ["gcc", "-fsanitize=undefined"],
              "ubsan-clang": ["clang", "-fsanitize=undefined"],
              "lsan-clang": ["clang", "-fsanitize=leak"],
              "lsan-gcc": ["gcc", "-fsanitize=leak"],
              "msan-clang": ["clang", "-fsanitize=memory"]}
    for name, cmd in builds.items():
        subprocess.run([*cmd, "-g", "-O0", str(src), "-o", str(d / name)], check=True)
    lines = ODD.splitlines()
    return d, {k: lines.index(next(s for s in lines if k in s)) + 1
               for k in ("UBSAN_LINE", "MSAN_LINE")}


@pytest.mark.parametrize("name,sans,outcome,cause", [
    ("ubsan-gcc", ["ubsan"], "sanitizer", "ubsan: signed integer overflow: 2147483647 + 1 "
                                          "cannot be represented in type 'int' at {d}/odd.c:{UBSAN_LINE}:"),
    ("ubsan-clang", ["ubsan"], "sanitizer", "ubsan: signed integer overflow: 2147483647 + 1 "
                                            "cannot be represented in type 'int' at {d}/odd.c:{UBSAN_LINE}:"),
    ("lsan-clang", ["lsan"], "leak", "leak: 16 byte(s) leaked in 1 allocation(s), allocated at "
                                     "{d}/odd.c:8 in main"),
    ("lsan-gcc", ["lsan"], "leak", "leak: 16 byte(s) leaked in 1 allocation(s), allocated at "
                                   "{d}/odd.c:8 in main"),
    ("msan-clang", ["msan"], "sanitizer", "msan: use-of-uninitialized-value at {d}/odd.c:{MSAN_LINE} "
                                          "in main"),
])
@pytest.mark.parametrize("mode", ["noise", "sched"])
def test_ubsan_lsan_msan_builds_are_recognised_and_graded(odd_builds, name, sans, outcome, cause,
                                                          mode, tmp_path):
    d, lines = odd_builds
    rc, rec, out = racelab_exec(tmp_path / "r", "--mode", mode, "--seed", 1, "--runs", 2, "--",
                                d / name)
    assert rec["exec"]["sanitizers"] == sans, rec["exec"]
    assert rc == 1 and rec["outcomes"][outcome] == 2, out
    want = cause.format(d=d, **lines)
    assert rec["exec"]["failures"][0]["cause"].startswith(want), (want, out)
    if mode == "sched":
        assert rec["sched"]["diverged"] == 0
