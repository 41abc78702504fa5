"""racelab exec --mode sched: unmodified programs (tests/exec_programs, plain
builds) run one thread at a time under the controlled scheduler, the
scenarios' own mechanism built into the preloaded library.

Budgets and margins. A sched run is deterministic for its seed (the
strategy's draws come from the run's seed; pct's change points from the
longest run so far, which the driver passes on), so these figures are exact,
measured with `--strategy pct:3 --until-fail`, seeds 1000, 2000, ... 10000:

  program       runs to the first failure, 10 seeds     worst
  counter       12 4 3 2 2 4 2 8 3 4                     12
  init_order    1 1 1 1 1 1 1 1 1 1                      1
  abba          13 4 3 2 2 4 2 8 3 4                     13
  lost_wakeup   2 2 3 2 3 2 2 3 2 3                      3
  pool_wait     1 1 1 1 1 1 1 1 1 1                      1
  wrong_lock    7 2 2 3 8 7 6 2 4 3                      8
  torn_read     12 9 4 3 4 9 12 28 27 23                 28

The budget here is 100 runs for every bug and seed: 3.5 times the worst
(torn_read, 28), against the issue's goal of 1,000. Each fixed twin runs 300
schedules (pct:3, seed 7) with no failure and no divergence allowed. Nothing
is asserted on wall-clock time (scripts/bench-exec measures).
"""
import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, ROOT

RACELAB = BUILD / "racelab"
PROGRAMS = BUILD / "exec_programs" / "plain"

BUGS = {
    # name: the outcome its failure shows under the scheduler
    "counter": "signal",
    "init_order": "signal",
    "abba": "hang",        # a deadlock, found by the model at once
    "lost_wakeup": "hang",
    "pool_wait": "hang",
    "wrong_lock": "signal",
    "torn_read": "signal",
}
BUDGET = 100
SEEDS = [1000 * k for k in range(1, 11)]
FIXED_RUNS = 300
SCHED_FIELDS = {"strategy", "schedules", "deadlocks", "diverged", "exhausted", "max_steps",
                "replay", "fuzz", "shrunk"}


def program(name):
    path = PROGRAMS / name
    if not path.exists():
        pytest.fail(f"{path} is not built: run 'make' first")
    return path


def sched(*args, timeout=600):
    proc = subprocess.run([str(RACELAB), "exec", "--mode", "sched", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    return proc.returncode, proc.stdout, proc.stderr


def record(out):
    lines = (Path(out) / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 1, lines
    return json.loads(lines[0])


@pytest.mark.parametrize("name", sorted(BUGS))
def test_every_bug_fails_under_pct3_within_its_budget_for_10_seeds(name, tmp_path):
    for seed in SEEDS:
        out = tmp_path / f"out-{seed}"
        rc, stdout, err = sched("--strategy", "pct:3", "--seed", seed, "--runs", BUDGET,
                                "--until-fail", "--expect", "reproduces", "--out", out, "--",
                                program(f"{name}_bug"))
        assert rc == 0, (seed, stdout, err)
        rec = record(out)
        assert rec["mode"] == "sched" and rec["sched"]["strategy"] == "pct:3"
        assert rec["verdict"] == "reproduced" and rec["forbidden"] >= 1, (seed, rec["verdict"])
        failure = rec["exec"]["failures"][0]
        assert failure["outcome"] == BUGS[name], (seed, failure["cause"])
        assert rec["first_failure"]["schedule"] == failure["schedule"]
        assert failure["schedule"] and "--replay" in failure["rerun"]
        if BUGS[name] == "hang":
            assert failure["cause"].startswith("deadlock: ") and failure["waits"]
            assert rec["sched"]["deadlocks"] >= 1
            assert failure["stacks_file"] is None  # found by the model, not the watchdog


@pytest.mark.parametrize("name", sorted(BUGS))
def test_every_fixed_twin_holds_under_pct3(name, tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = sched("--strategy", "pct:3", "--seed", 7, "--runs", FIXED_RUNS, "--out",
                            out, "--", program(f"{name}_fixed"))
    assert rc == 0, (stdout, err)
    rec = record(out)
    assert rec["trials"] == FIXED_RUNS and rec["forbidden"] == 0
    assert rec["sched"]["schedules"] == FIXED_RUNS and rec["sched"]["diverged"] == 0
    assert rec["sched"]["deadlocks"] == 0 and rec["verdict"] == "holds"


def source_line(path, text):
    lines = (ROOT / path).read_text().splitlines()
    return [i + 1 for i, line in enumerate(lines) if text in line]


def test_the_abba_deadlock_report_names_threads_mutexes_and_lines(tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = sched("--seed", 1000, "--runs", BUDGET, "--until-fail", "--expect",
                            "reproduces", "--out", out, "--", program("abba_bug"))
    assert rc == 0, (stdout, err)
    waits = record(out)["exec"]["failures"][0]["waits"]
    src = "tests/exec_programs/abba_bug.c"
    first, = source_line(src, "pthread_mutex_lock(&from->lock)")
    second, = source_line(src, "pthread_mutex_lock(&to->lock)")
    # T1 moves A to B, T2 B to A: each holds its source and waits for the other's
    m1 = re.search(r"T1 waits for mutex@(accounts\+\d+) \[(\S+):(\d+) in transfer\] held by T2 "
                   r"\(taken \[(\S+):(\d+) in transfer\]\)", waits)
    m2 = re.search(r"T2 waits for mutex@(accounts\+\d+) \[(\S+):(\d+) in transfer\] held by T1 "
                   r"\(taken \[(\S+):(\d+) in transfer\]\)", waits)
    assert m1 and m2, waits
    assert {m1.group(1), m2.group(1)} == {"accounts+8", "accounts+64"}  # the two locks
    for m in (m1, m2):
        assert m.group(2) == src and int(m.group(3)) == second  # waits in the second lock
        assert m.group(4) == src and int(m.group(5)) == first   # its holder took it first
    assert re.search(r"T0 waits for the end of T1 \[" + src, waits), waits
    assert f"{src}:{second}" in stdout


@pytest.mark.parametrize("name", ["counter", "abba"])
def test_a_failing_schedule_replays_100_of_100_times(name, tmp_path):
    out = tmp_path / "find"
    sched("--seed", 2000, "--runs", BUDGET, "--until-fail", "--expect", "reproduces", "--out",
          out, "--", program(f"{name}_bug"))
    failure = record(out)["exec"]["failures"][0]
    out2 = tmp_path / "replay"
    rc, stdout, err = sched("--replay", failure["schedule"], "--runs", 100, "--expect",
                            "reproduces", "--out", out2, "--", program(f"{name}_bug"))
    assert rc == 0, (stdout, err)
    rec = record(out2)
    assert rec["trials"] == 100 and rec["forbidden"] == 100, rec["outcomes"]
    assert rec["sched"]["replay"] == failure["schedule"] and rec["sched"]["diverged"] == 0
    assert rec["outcomes"][BUGS[name]] == 100
    assert all(f["schedule"] == failure["schedule"] and f["cause"] == failure["cause"]
               for f in rec["exec"]["failures"])


def test_the_rerun_command_replays_the_failure(tmp_path):
    out = tmp_path / "out"
    sched("--seed", 3000, "--runs", BUDGET, "--until-fail", "--expect", "reproduces", "--out",
          out, "--", program("wrong_lock_bug"))
    failure = record(out)["exec"]["failures"][0]
    cmd = shlex.split(failure["rerun"])
    cmd.insert(cmd.index("--"), "--out")
    cmd.insert(cmd.index("--"), str(tmp_path / "again"))
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert record(tmp_path / "again")["exec"]["failures"][0]["cause"] == failure["cause"]


def test_shrink_gives_the_fewest_preemptions_and_a_trace(tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = sched("--seed", 1000, "--runs", BUDGET, "--until-fail", "--shrink",
                            "--expect", "reproduces", "--out", out, "--", program("abba_bug"))
    assert rc == 0, (stdout, err)
    rec = record(out)
    shrunk = rec["sched"]["shrunk"]
    assert rec["first_failure"]["preemptions"] > 1
    # one preemption is the least an AB-BA deadlock needs, and no schedule with
    # none deadlocks: the search ran them all (minimal)
    assert shrunk["preemptions"] == 1 and shrunk["minimal"] is True
    assert shrunk["cause"].startswith("deadlock: ")
    trace = shrunk["trace"].splitlines()
    assert any(re.search(r"T2  lock mutex@accounts\+\d+  \[tests/exec_programs/abba_bug.c:\d+ "
                         r"in transfer\]", line) for line in trace), trace[:5]
    assert "deadlock: " in trace[-1]
    assert rec["exec"]["shrink_runs"] > 0
    # the shrunk schedule replays to the same deadlock
    out2 = tmp_path / "replay"
    sched("--replay", shrunk["schedule"], "--runs", 5, "--expect", "reproduces", "--out", out2,
          "--", program("abba_bug"))
    assert record(out2)["outcomes"]["hang"] == 5


def test_dfs_is_kept_by_the_driver_across_runs(tmp_path):
    out = tmp_path / "fixed"
    rc, stdout, err = sched("--strategy", "dfs:0", "--runs", 1000, "--out", out, "--",
                            program("abba_fixed"))
    rec = record(out)
    assert rc == 0 and rec["sched"]["exhausted"] is True, (stdout, err)
    assert 0 < rec["trials"] < 1000 and rec["forbidden"] == 0
    out = tmp_path / "bug"
    rc, stdout, err = sched("--strategy", "dfs:1", "--runs", 1000, "--until-fail", "--expect",
                            "reproduces", "--out", out, "--", program("abba_bug"))
    rec = record(out)
    assert rc == 0 and rec["outcomes"]["hang"] == 1, (stdout, err)
    assert rec["first_failure"]["preemptions"] == 1


def test_a_thread_blocked_in_read_leaves_control_and_the_run_does_not_freeze(tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = sched("--seed", 3, "--runs", 10, "--timeout", 20, "--out", out, "--",
                            program("aux_pipe"))
    rec = record(out)
    assert rec["outcomes"]["hang"] == 0 and rec["forbidden"] == 0, (stdout, err)
    assert rec["exec"]["left_control"] >= 1 and rec["sched"]["diverged"] >= 1
    # a run that left control is not graded: only the others count as passes
    assert rec["trials"] == 10 - rec["sched"]["diverged"]
    assert "left control" in stdout


def test_a_replay_that_leaves_control_reports_the_divergence(tmp_path):
    out = tmp_path / "out"
    # main keeps the turn after creating the writer, and reads first
    rc, stdout, err = sched("--replay", "0*3", "--runs", 3, "--timeout", 20, "--out", out, "--",
                            program("aux_pipe"))
    rec = record(out)
    assert rec["sched"]["diverged"] == 3 and rec["exec"]["left_control"] == 3, (stdout, err)
    assert rec["trials"] == 0 and rec["verdict"] != "holds" and rc != 0


def test_a_replay_naming_a_thread_that_cannot_run_diverges(tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = sched("--replay", "0.5", "--runs", 2, "--out", out, "--",
                            program("counter_fixed"))
    rec = record(out)
    assert rec["sched"]["diverged"] == 2 and rec["trials"] == 0, (stdout, err)
    assert rec["verdict"] == "error" and rc == 3


def test_the_record_is_the_one_definition_with_the_sched_object(tmp_path):
    from test_record import RECORD
    out = tmp_path / "out"
    sched("--seed", 5, "--runs", 3, "--out", out, "--", program("counter_fixed"))
    rec = record(out)
    assert list(rec) == RECORD + ["exec"]
    assert set(rec["sched"]) == SCHED_FIELDS and rec["sched"]["schedules"] == 3
    assert rec["sched"]["fuzz"] is None  # exec's corpus is exec.fuzz
    assert rec["mode"] == "sched" and rec["inject"] == [] and rec["sched"]["max_steps"] > 0


def test_forked_children_run_unscheduled_and_the_record_says_so(tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = sched("--runs", 3, "--out", out, "--", program("aux_forker"))
    rec = record(out)
    assert rc == 0 and rec["exec"]["forked_runs"] == 3, (stdout, err)
    assert "unscheduled" in rec["exec"]["forks_note"]


def test_c11_threads_run_under_the_scheduler(tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = sched("--runs", 20, "--seed", 1, "--out", out, "--", program("aux_c11"))
    rec = record(out)
    assert rc == 0 and rec["forbidden"] == 0 and rec["sched"]["diverged"] == 0, (stdout, err)
    assert rec["sched"]["max_steps"] > 3 * 20  # every mtx/cnd/thrd call is a step


def test_sched_mode_refuses_a_tsan_build(tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = sched("--out", out, "--", BUILD / "exec_programs" / "tsan" / "counter_fixed")
    assert rc == 2 and "plain build" in err and not out.exists()


def test_the_memory_access_points_are_listed():
    proc = subprocess.run([str(RACELAB), "points", "--exec"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    for name in ("mem/read", "mem/write", "mem/atomic"):
        assert name in proc.stdout, proc.stdout


def test_memory_accesses_are_scheduling_points_named_in_the_trace(tmp_path):
    """aux_access announces its loads and stores as racelab cc's runtime does."""
    out = tmp_path / "out"
    # pct:3 (exec's default before random): its first runs pass, and their
    # counts are in the record (a run that aborts writes none)
    rc, stdout, err = sched("--strategy", "pct:3", "--seed", 1, "--runs", BUDGET, "--until-fail",
                            "--shrink", "--expect", "reproduces", "--out", out, "--",
                            program("aux_access"))
    assert rc == 0, (stdout, err)
    rec = record(out)
    assert rec["exec"]["failures"][0]["outcome"] == "signal"
    line, = source_line("tests/exec_programs/aux_access.c", "store(&total, load(&total) + 1)")
    where = f"[tests/exec_programs/aux_access.c:{line} in add]"
    trace = rec["sched"]["shrunk"]["trace"]
    assert f"point mem/read 8 bytes @total  {where}" in trace, trace
    assert f"point mem/write 8 bytes @total  {where}" in trace
    assert rec["points"]["mem/read"]["hits"][0] > 0


def test_memory_access_points_take_noise_specs(tmp_path):
    out = tmp_path / "out"
    # "count": no assertion, so every run exits and reports its counts
    rc, stdout, err = racelab_noise("--seed", 1, "--runs", 4, "--inject", "mem/*:delay=10us",
                                    "--out", out, "--", program("aux_access"), "count")
    rec = record(out)
    assert rc == 0 and rec["exec"]["runs_counted"] == 4, (stdout, err)
    points = rec["points"]
    assert points["mem/read"]["spec"] == "mem/*:delay=10us"
    assert points["mem/read"]["hits"][0] == points["mem/read"]["fired"][0] == 4 * 2 * 5
    assert points["mem/write"]["hits"][0] == points["mem/write"]["fired"][0] == 4 * 2 * 5


def racelab_noise(*args):
    proc = subprocess.run([str(RACELAB), "exec", *map(str, args)], capture_output=True,
                          text=True, timeout=600, cwd=ROOT)
    return proc.returncode, proc.stdout, proc.stderr


def test_a_run_longer_than_a_schedule_goes_on_unrecorded_and_is_not_graded(tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = sched("--seed", 1, "--runs", 3, "--out", out, "--", program("aux_long"))
    rec = record(out)
    assert rec["outcomes"]["hang"] == 0 and rec["forbidden"] == 0, (stdout, err)
    assert rec["exec"]["unrecorded"] == 3 and rec["sched"]["diverged"] == 3
    assert rec["sched"]["max_steps"] == 100000  # RL_SCHED_MAX_STEPS: what a schedule records
    assert rec["trials"] == 0 and rec["verdict"] == "error" and rc == 3
