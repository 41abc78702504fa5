"""thread_keyed_state: per-thread state in dicts keyed by reused thread idents.

Every trial starts real threads (two per worker, each joined before the
next starts), so trials are slow: ~5,000-7,000 trials/s plain and ~600-1,000
trials/s tsan on this 2-core machine (stress and fuzz alike).

Margins: glibc hands a joined thread's id to the next thread in ~100% of
trials, so the racy variant fails in every trial: 5000 of 5000 in stress
and fuzz mode (plain and tsan, seed 7), `inherited-state` each time; the
tests run 1000 (plain) / 300 (tsan) trials, a margin of >= 300x over the
threshold of 1. With --param view_raises=0 (no request exits unbalanced)
nothing is inherited but the dicts keep every dead thread's keys: `leak` in
1000 of 1000 trials. The racy variant has no data race (one key per thread,
each dict operation atomic as under the GIL): TSan must stay silent and the
oracle alone catches it.

The thread-local variant runs 3000 (plain) / 1000 (tsan) stress trials,
2000 / 800 fuzz trials, and 1000 / 500 fuzz trials with the second
request's view failing too (p=0.5); it must show ident reuse
(`ok-ident-reused`) so that the test means something.
"""
import pytest

from conftest import FLAVOURS, assert_holds, assert_reproduces, describe, record

NAME = "thread_keyed_state"
RACY_TRIALS = {"plain": 1000, "tsan": 300}
STRESS_TRIALS = {"plain": 3000, "tsan": 1000}
FUZZ_TRIALS = {"plain": 2000, "tsan": 800}
FAULT_TRIALS = {"plain": 1000, "tsan": 500}


def test_describe_lists_variants_outcomes_points():
    d = describe("plain", NAME)
    assert {v["name"]: v["expectation"] for v in d["variants"]} == {
        "racy": "reproduces", "thread-local": "holds"}
    assert {v["name"]: v["caught_by"] for v in d["variants"]}["racy"] == "oracle"
    grades = {o["name"]: o["grade"] for o in d["outcomes"]}
    assert grades["inherited-state"] == grades["leak"] == "forbidden"
    assert {p["name"]: p["kind"] for p in d["points"]} == {
        "thread_keyed_state/request": "delay", "thread_keyed_state/view-error": "fault"}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_racy_inherits_state_through_reused_idents(flavour):
    trials = RACY_TRIALS[flavour]
    rec = record(flavour, NAME, "--variant", "racy", "--mode", "fuzz",
                 "--seed", 7, "--trials", trials)
    assert_reproduces(rec)
    assert rec["trials"] == trials
    assert rec["outcomes"]["inherited-state"] > trials // 2, rec["outcomes"]
    assert rec["tsan"]["reports"] == 0, rec["stderr"][-3000:]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_racy_leaks_keys_of_dead_threads(flavour):
    trials = RACY_TRIALS[flavour]
    rec = record(flavour, NAME, "--variant", "racy", "--param", "view_raises=0",
                 "--seed", 7, "--trials", trials)
    assert_reproduces(rec)
    assert rec["outcomes"]["inherited-state"] == 0
    assert rec["outcomes"]["leak"] == trials


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_thread_local_holds_in_stress_mode(flavour):
    trials = STRESS_TRIALS[flavour]
    rec = record(flavour, NAME, "--variant", "thread-local", "--trials", trials, "--seed", 1)
    assert_holds(rec, trials)
    assert rec["outcomes"]["ok-ident-reused"] > trials // 2, rec["outcomes"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_thread_local_holds_in_fuzz_mode(flavour):
    trials = FUZZ_TRIALS[flavour]
    rec = record(flavour, NAME, "--variant", "thread-local", "--mode", "fuzz",
                 "--trials", trials, "--seed", 1)
    assert_holds(rec, trials)
    assert rec["outcomes"]["ok-ident-reused"] > trials // 2, rec["outcomes"]
    assert sum(rec["points"]["thread_keyed_state/request"]["fired"]) > trials // 4


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_thread_local_holds_when_every_view_may_raise(flavour):
    trials = FAULT_TRIALS[flavour]
    rec = record(flavour, NAME, "--variant", "thread-local", "--mode", "fuzz",
                 "--inject", "*:delay=100us,p=0.2",
                 "--inject", "thread_keyed_state/view-error:fail,p=0.5",
                 "--trials", trials, "--seed", 3)
    assert_holds(rec, trials)
    assert sum(rec["points"]["thread_keyed_state/view-error"]["fired"]) > trials // 2
