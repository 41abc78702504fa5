"""memoize: `_callable_cache` / `_resolver_cache` — double work, never wrong.

Margins (fuzz mode, default profile, seed 7):
- as-written (benign): func runs twice for a key in about 18% of trials
  (measured 535 of 3000 plain, 548 of 3000 tsan), every result equivalent;
  the tests require double-call > 0 in 3000 (plain) and 1000 (tsan) fuzz
  trials (expected ~540 and ~180), and zero forbidden outcomes, hangs and
  TSan reports in fuzz and in stress mode (500,000 plain, 20,000 tsan).
- plain-port (caught by TSan only): TSan reports the plain publication in
  every tsan run (2 data-race reports in 3000 trials, the first in trial 0);
  the plain build is not judged and its oracle counts (0 forbidden in 3000)
  are recorded.
- per-key-once (holds): 500,000 (plain) and 20,000 (tsan) stress trials,
  3000 (plain) and 1000 (tsan) fuzz trials, no second call for any key.
"""
import pytest

from conftest import assert_benign, FLAVOURS, assert_holds, assert_reproduces, record

NAME = "memoize"
STRESS_TRIALS = {"plain": 500_000, "tsan": 20_000}
FUZZ_TRIALS = {"plain": 3000, "tsan": 1000}



@pytest.mark.parametrize("flavour", FLAVOURS)
def test_as_written_calls_twice_but_results_are_equivalent(flavour):
    trials = FUZZ_TRIALS[flavour]
    rec = record(flavour, NAME, "--variant", "as-written", "--mode", "fuzz", "--seed", 7,
                 "--trials", trials)
    assert_benign(rec, trials)
    assert rec["outcomes"]["double-call"] > 0
    assert rec["outcomes"]["not-equivalent"] == 0


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_as_written_is_benign_in_stress_mode(flavour):
    trials = STRESS_TRIALS[flavour]
    rec = record(flavour, NAME, "--variant", "as-written", "--trials", trials, "--seed", 1)
    assert_benign(rec, trials)


def test_plain_port_is_not_judged_in_the_plain_build():
    rec = record("plain", NAME, "--variant", "plain-port", "--mode", "fuzz", "--seed", 7,
                 "--trials", 3000)
    assert rec["caught_by"] == "tsan"
    assert rec["met"] is None and rec["rc"] == 0
    assert sum(rec["outcomes"].values()) == rec["trials"] == 3000


def test_plain_port_is_caught_by_tsan():
    rec = record("tsan", NAME, "--variant", "plain-port", "--mode", "fuzz", "--seed", 7,
                 "--trials", 1000)
    assert_reproduces(rec)
    assert rec["tsan"]["kinds"].get("data-race", 0) > 0


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_per_key_once_holds_in_stress_mode(flavour):
    trials = STRESS_TRIALS[flavour]
    rec = record(flavour, NAME, "--variant", "per-key-once", "--trials", trials, "--seed", 1)
    assert_holds(rec, trials)
    assert rec["outcomes"]["ok"] == trials


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_per_key_once_holds_in_fuzz_mode(flavour):
    trials = FUZZ_TRIALS[flavour]
    rec = record(flavour, NAME, "--variant", "per-key-once", "--mode", "fuzz",
                 "--trials", trials, "--seed", 1)
    assert_holds(rec, trials)
    assert rec["outcomes"]["ok"] == trials
    assert sum(rec["points"]["memoize/call"]["fired"]) > trials // 4
