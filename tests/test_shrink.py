"""--shrink's greedy pass (sched_shrink.c): preemptions taken away by
thread-relative lenient replays (strategy_replay.c) before the bounded dfs.

Deterministic: sched mode with a fixed seed, one thread at a time, so every
figure below is the same on every run. Measured on reorder_bug 10, seed 1:
the failure has 22 preemptions; main at ea219db (step-aligned lenient
replay) left 11 after 5,035 shrink runs; the thread-relative pass reaches 1,
the true minimum, in 37 runs, and bound 0 of the dfs then spends its 5,000
(0-preemption schedules of 12 threads are far too many to exhaust), so
`minimal` stays false. reorder_bug 50 (117 preemptions -> 1 in 262 greedy
runs) is measured in docs/scheduler.md, not tested: its bound-0 budget
alone takes over a minute.
"""
from test_exec_sched import program, record, sched


def test_greedy_pass_reaches_one_preemption_on_reorder10_and_the_result_replays(tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = sched("--seed", 1, "--until-fail", "--shrink", "--out", out, "--",
                            program("reorder_bug"), 10)
    rec = record(out)
    first = rec["first_failure"]["preemptions"]
    shrunk = rec["sched"]["shrunk"]
    assert first == 22, (first, err)
    # measured 1, the true minimum (one setter preempted between its two
    # critical sections, the checker run there); main at ea219db left 11
    assert shrunk["preemptions"] == 1, shrunk["schedule"]
    assert shrunk["minimal"] is False  # bound 0 spends its budget: not claimed
    # measured 5,038: 37 greedy runs, bound 0's 5,000 and the traced replay;
    # the greedy share is allowed 5 times what it took
    assert rec["exec"]["shrink_runs"] <= 5000 + 200, rec["exec"]["shrink_runs"]
    out2 = tmp_path / "replay"
    sched("--replay", shrunk["schedule"], "--runs", 10, "--out", out2, "--",
          program("reorder_bug"), 10)
    rep = record(out2)
    assert rep["trials"] == 10 and rep["forbidden"] == 10, rep["outcomes"]


def test_length_bug_still_shrinks_to_one_minimal(tmp_path):
    """A shrink the greedy pass cannot spoil: length_bug's failure (10
    preemptions, seed 1) needs one, and bound 0 is exhausted (measured 117
    shrink runs)."""
    out = tmp_path / "out"
    sched("--seed", 1, "--until-fail", "--shrink", "--out", out, "--", program("length_bug"))
    rec = record(out)
    shrunk = rec["sched"]["shrunk"]
    assert rec["first_failure"]["preemptions"] == 10
    assert shrunk["preemptions"] == 1 and shrunk["minimal"] is True
    assert rec["exec"]["shrink_runs"] <= 1000, rec["exec"]["shrink_runs"]
