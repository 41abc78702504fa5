"""Issue 23, items 1, 2, 3 and 6: racelab exec --mode sched schedules every
real program (tests/exec_programs, plain builds, each with a fixed twin).

  - more than 16 threads: publish (publish_bug with its default 100 readers; the writer is thread 101);
    aux_many (1,023 threads and main: scheduled, recorded, replayed 10/10);
  - the end of the process is a scheduling point: exit_nojoin (main returns
    without joining its logger); aux_exit (a thread calls exit, _exit,
    _Exit or quick_exit: the point is named in the trace);
  - fairness: a yield, a short sleep or a failed retry in a loop gives way,
    so spin-waits are no false hangs (yield_barrier, sleep0_lock); a spin
    with no call at all is named as such (flag_spin); a true yield livelock
    is still named as one (yield_livelock);
  - budgets and seeds: --runs with --seconds, run seeds splitmix64(seed, run).

Budgets and margins, measured with --until-fail, seeds 1000, 2000, ... 10000
(runs to the first failure; a sched run is deterministic for its seed):

  program         strategy  runs to the first failure, 10 seeds   worst  budget
  publish_bug     random    1 1 1 1 1 1 1 1 1 1                    1      20
  exit_nojoin_bug pct:3     1 1 1 1 1 1 1 1 1 1                    1      30
  exit_nojoin_bug random    1 1 2 3 2 2 1 1 1 3                    3      30
  yield_barrier   pct:3     1 1 1 1 1 1 1 1 1 1                    1      20
  sleep0_lock_bug pct:3     2 3 2 2 2 3 2 3 2 2                    3      20

Each budget is at least 6.6 times the worst seen. pct:3 does not find
publish_bug within 200 runs (seeds 1-3): the reader must run exactly at
the writer's one step between its two stores, a change point among ~800
steps and 102 threads (PCT's bound, 1/(n k^(d-1)), is tiny there); random
finds it at once. Each fixed twin runs 300 schedules under pct:3 and 300
under random (seed 7) with no failure, no hang and nothing left ungraded.
"""
import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BUILD, ROOT
from test_exec import splitmix_run_seed

RACELAB = BUILD / "racelab"
PROGRAMS = BUILD / "exec_programs" / "plain"
SEEDS = [1000 * k for k in range(1, 11)]
FIXED_RUNS = 300
BUDGETS = {  # bug: (strategy, budget in runs for each of the 10 seeds)
    "publish": [("random", 20)],
    "exit_nojoin": [("pct:3", 30), ("random", 30)],
    "yield_barrier": [("pct:3", 20)],
    "sleep0_lock": [("pct:3", 20)],
}


def program(name):
    path = PROGRAMS / name
    if not path.exists():
        pytest.fail(f"{path} is not built: run 'make' first")
    return path


def sched(out, *args, timeout=900):
    proc = subprocess.run([str(RACELAB), "exec", "--mode", "sched", "--out", str(out),
                           *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    return proc.returncode, proc.stdout, proc.stderr


def record(out):
    lines = (Path(out) / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 1, lines
    return json.loads(lines[0])


# ---- bugs found, twins holding --------------------------------------------------


@pytest.mark.parametrize("name,strategy,budget",
                         [(n, s, b) for n, sb in sorted(BUDGETS.items()) for s, b in sb])
def test_the_bug_is_found_within_its_budget_for_10_seeds(name, strategy, budget, tmp_path):
    worst = 0
    for seed in SEEDS:
        out = tmp_path / f"out-{seed}"
        rc, stdout, err = sched(out, "--strategy", strategy, "--seed", seed, "--runs", budget,
                                "--until-fail", "--expect", "reproduces", "--",
                                program(f"{name}_bug"))
        assert rc == 0, (seed, stdout, err)
        rec = record(out)
        failure = rec["exec"]["failures"][0]
        assert failure["outcome"] == "signal", failure  # the program's own abort or crash
        assert rec["sched"]["diverged"] == 0
        worst = max(worst, failure["run"] + 1)
    print(f"{name} under {strategy}: worst {worst} runs of {budget}, 10 of 10 seeds")


@pytest.mark.parametrize("strategy", ["pct:3", "random"])
@pytest.mark.parametrize("name", sorted(BUDGETS))
def test_the_fixed_twin_holds_over_300_schedules(name, strategy, tmp_path):
    rc, stdout, err = sched(tmp_path / "out", "--strategy", strategy, "--seed", 7, "--runs",
                            FIXED_RUNS, "--", program(f"{name}_fixed"))
    assert rc == 0, stdout + err
    rec = record(tmp_path / "out")
    assert rec["trials"] == FIXED_RUNS and rec["stats"]["failures"] == 0
    assert rec["outcomes"]["hang"] == 0  # no spin-wait taken for a hang
    assert rec["sched"]["diverged"] == 0 and rec["sched"]["deadlocks"] == 0
    assert rec["exec"]["unscheduled"] == 0 and rec["exec"]["unrecorded"] == 0


# ---- more than 16 threads ---------------------------------------------------------


def test_100_threads_are_scheduled_and_the_writer_is_thread_101(tmp_path):
    rc, stdout, err = sched(tmp_path / "out", "--strategy", "random", "--seed", 1000, "--runs",
                            20, "--until-fail", "--expect", "reproduces", "--",
                            program("publish_bug"))
    assert rc == 0, stdout + err
    rec = record(tmp_path / "out")
    assert rec["exec"]["unscheduled"] == 0  # every thread under the scheduler
    ids = {int(step.split("*")[0]) for step in rec["exec"]["failures"][0]["schedule"].split(".")}
    assert max(ids) == 101 and len(ids) > 16  # the writer is thread 101, readers ran too


def test_a_failing_run_at_thread_101_replays_100_of_100(tmp_path):
    rc, _, err = sched(tmp_path / "find", "--strategy", "random", "--seed", 1000, "--runs", 20,
                       "--until-fail", "--expect", "reproduces", "--", program("publish_bug"))
    assert rc == 0, err
    failure = record(tmp_path / "find")["exec"]["failures"][0]
    assert re.search(r"(^|\.)(1[6-9]|[2-9]\d|\d{3})(\*|\.|$)", failure["schedule"])  # ids >= 16
    rc, stdout, err = sched(tmp_path / "replay", "--replay", failure["schedule"], "--runs", 100,
                            "--expect", "reproduces", "--", program("publish_bug"))
    assert rc == 0, stdout + err
    again = record(tmp_path / "replay")
    assert again["trials"] == 100 and again["stats"]["failures"] == 100
    assert again["sched"]["diverged"] == 0
    # and racelab rerun of the finding record runs that run again (its own seed)
    proc = subprocess.run([str(RACELAB), "rerun", str(tmp_path / "find" / "runs.jsonl"),
                           "--line", "1", "--out", str(tmp_path / "rerun")],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"--run-seed {failure['seed']}" in proc.stdout
    rerun = record(tmp_path / "rerun")["exec"]["failures"][0]
    assert rerun["seed"] == failure["seed"] and rerun["schedule"] == failure["schedule"]


@pytest.mark.parametrize("strategy", ["pct:3", "random"])
def test_1023_threads_and_main_are_all_scheduled_and_recorded(strategy, tmp_path):
    rc, stdout, err = sched(tmp_path / "out", "--strategy", strategy, "--seed", 7, "--runs", 3,
                            "--", program("aux_many"), 1023)
    assert rc == 0, stdout + err
    rec = record(tmp_path / "out")
    assert rec["trials"] == 3 and rec["stats"]["failures"] == 0
    assert rec["exec"]["unscheduled"] == 0 and rec["exec"]["unrecorded"] == 0
    assert rec["sched"]["diverged"] == 0
    # one thread more than the scheduler holds runs unscheduled, and is said
    rc, stdout, err = sched(tmp_path / "more", "--strategy", strategy, "--seed", 7, "--runs", 1,
                            "--", program("aux_many"), 1024)
    assert rc == 3, stdout + err
    assert record(tmp_path / "more")["exec"]["unscheduled"] == 1
    assert "threads beyond the scheduler's 1024" in stdout


def test_a_run_of_1024_threads_replays_10_of_10(tmp_path):
    # random, 1,023 threads on one mutex: some 28,000 steps, all recorded
    rc, stdout, err = sched(tmp_path / "find", "--strategy", "random", "--seed", 7, "--runs", 1,
                            "--", program("aux_many"), 1023, "fail")
    assert rc == 1, stdout + err
    failure = record(tmp_path / "find")["exec"]["failures"][0]
    ids = {int(step.split("*")[0]) for step in failure["schedule"].split(".")}
    assert max(ids) == 1023
    rc, stdout, err = sched(tmp_path / "replay", "--replay", failure["schedule"], "--runs", 10,
                            "--expect", "reproduces", "--", program("aux_many"), 1023, "fail")
    assert rc == 0, stdout + err
    again = record(tmp_path / "replay")
    assert again["stats"]["failures"] == 10 and again["sched"]["diverged"] == 0
    assert again["exec"]["failures"][0]["schedule"] == failure["schedule"]


# ---- the end of the process ---------------------------------------------------------


def test_main_returning_is_a_point_named_in_the_trace(tmp_path):
    rc, stdout, err = sched(tmp_path / "out", "--strategy", "pct:3", "--seed", 1000, "--runs",
                            30, "--until-fail", "--shrink", "--expect", "reproduces", "--",
                            program("exit_nojoin_bug"))
    assert rc == 0, stdout + err
    trace = record(tmp_path / "out")["sched"]["shrunk"]["trace"]
    lines = trace.splitlines()
    at_exit = [i for i, line in enumerate(lines)
               if "T0  return from main (exit): the process ends" in line]
    assert at_exit, trace
    # the logger runs after main's last point, before the process ends
    assert any(" T1 " in line for line in lines[at_exit[0] + 1:]), trace


@pytest.mark.parametrize("how", ["exit", "_exit", "_Exit", "quick_exit"])
def test_a_thread_ending_the_process_is_a_point_named_in_the_trace(how, tmp_path):
    rc, stdout, err = sched(tmp_path / "out", "--seed", 1, "--runs", 1, "--shrink", "--",
                            program("aux_exit"), how)
    assert rc == 1, stdout + err  # exit status 3: a failure, so the trace is printed
    rec = record(tmp_path / "out")
    assert rec["exec"]["failures"][0]["cause"] == "exit status 3"
    trace = rec["sched"]["shrunk"]["trace"]
    assert re.search(rf"T1  {how}\(3\): the process ends  \[tests/exec_programs/aux_exit\.c:\d+ "
                     r"in worker\]", trace), trace


# ---- spins ------------------------------------------------------------------------


def test_a_plain_flag_spin_is_named_and_not_graded_as_a_hang(tmp_path):
    """A thread that spins with no call leaves control (the others run, as
    the OS would let them): the spin is named, never a hang; and a run that
    left control is not a pass (docs/trust.md): all three runs did, so
    nothing was tested, exit 3."""
    rc, stdout, err = sched(tmp_path / "out", "--strategy", "pct:3", "--seed", 7, "--runs", 3,
                            "--timeout", 10, "--", program("flag_spin_fixed"))
    assert rc == 3, stdout + err
    assert "nothing was tested" in err
    rec = record(tmp_path / "out")
    assert rec["verdict"] == "error" and rec["met"] is False
    assert rec["stats"]["failures"] == 0 and rec["outcomes"]["hang"] == 0 and rec["trials"] == 0
    assert rec["exec"]["spins"] == 3
    assert re.match(r"T1 spins outside any call \(after \[tests/exec_programs/flag_spin_fixed\.c:"
                    r"\d+ in waiter\]\)", rec["exec"]["spin"]), rec["exec"]["spin"]
    assert "spin outside any call" in stdout


def test_an_endless_plain_flag_spin_is_named_as_a_spin_not_a_bare_hang(tmp_path):
    rc, stdout, err = sched(tmp_path / "out", "--strategy", "random", "--seed", 7, "--runs", 1,
                            "--timeout", 3, "--", program("flag_spin_bug"))
    assert rc == 1, stdout + err
    cause = record(tmp_path / "out")["exec"]["failures"][0]["cause"]
    assert re.match(r"T1 spins outside any call \(after \[tests/exec_programs/flag_spin_bug\.c:"
                    r"\d+ in waiter\]\), no exit within 3 s", cause), cause


@pytest.mark.parametrize("strategy", ["pct:3", "random"])
def test_a_true_yield_livelock_is_named_a_livelock(strategy, tmp_path):
    rc, stdout, err = sched(tmp_path / "out", "--strategy", strategy, "--seed", 7, "--runs", 3,
                            "--timeout", 30, "--", program("yield_livelock_bug"))
    assert rc == 1, stdout + err
    rec = record(tmp_path / "out")
    assert rec["stats"]["failures"] == 3
    for f in rec["exec"]["failures"]:
        assert f["outcome"] == "hang"
        assert f["cause"].startswith("livelock: T1, T2 give way to each other for "), f["cause"]
        assert f["duration"] < 10  # found by the scheduler, not by the timeout
    rc, stdout, err = sched(tmp_path / "fixed", "--strategy", strategy, "--seed", 7, "--runs",
                            FIXED_RUNS, "--", program("yield_livelock_fixed"))
    assert rc == 0, stdout + err
    assert record(tmp_path / "fixed")["stats"]["failures"] == 0


# ---- budgets and seeds --------------------------------------------------------------


def test_runs_and_seconds_together_stop_at_whichever_comes_first(tmp_path):
    prog = program("yield_barrier_fixed")
    start = time.time()
    rc, stdout, err = sched(tmp_path / "time", "--runs", 10 ** 6, "--seconds", 2, "--", prog)
    took = time.time() - start
    assert rc == 0, stdout + err
    rec = record(tmp_path / "time")
    assert 0 < rec["trials"] < 10 ** 6 and took < 30
    assert rec["exec"]["budget"] == {"runs": 10 ** 6, "seconds": 2}
    rc, stdout, err = sched(tmp_path / "runs", "--runs", 5, "--seconds", 600, "--", prog)
    assert rc == 0, stdout + err
    assert record(tmp_path / "runs")["trials"] == 5
    # --until-fail still applies
    rc, stdout, err = sched(tmp_path / "fail", "--strategy", "pct:3", "--seed", 1000, "--runs",
                            100, "--seconds", 600, "--until-fail", "--expect", "reproduces",
                            "--", program("yield_barrier_bug"))
    assert rc == 0, stdout + err
    assert record(tmp_path / "fail")["trials"] == 1


def test_seeds_1_and_2_give_different_schedules(tmp_path):
    schedules, seeds = {}, {}
    for seed in (1, 2):
        # every run of the livelock fails, so every run's schedule is kept
        rc, stdout, err = sched(tmp_path / f"s{seed}", "--strategy", "random", "--seed", seed,
                                "--runs", 10, "--", program("yield_livelock_bug"))
        assert rc == 1, stdout + err
        failures = record(tmp_path / f"s{seed}")["exec"]["failures"]
        assert [f["run"] for f in failures] == list(range(10))
        schedules[seed] = [f["schedule"] for f in failures]
        seeds[seed] = [f["seed"] for f in failures]
        assert seeds[seed] == [splitmix_run_seed(seed, run) for run in range(10)]
    assert not set(seeds[1]) & set(seeds[2])  # not seed 1's runs shifted by one
    assert schedules[1] != schedules[2]
    assert schedules[1][1:] != schedules[2][:-1]
