"""context_processors: confirm the wiki's "harmless" verdict with numbers.

Margins (fuzz mode, default profile, seed 7):
- as-written (benign): both requests import the processors in about 30% of
  trials (measured 921 of 3000 plain, 836 of 3000 tsan) and never see a
  partial tuple; the tests require double-import > 0 in 3000 (plain) and
  1000 (tsan) fuzz trials (expected ~900 and ~280), and zero forbidden
  outcomes, hangs and TSan reports in fuzz and in stress mode (500,000 plain,
  30,000 tsan trials).
- fill-in-place (the wiki's BAD pattern): a request sees a partial list in
  about 21% of trials (634 of 3000 plain, 669 of 3000 tsan); 2000 (plain) and
  1000 (tsan) trials against a threshold of 1 failure, a margin of ~200x.
"""
import pytest

from conftest import assert_benign, FLAVOURS, assert_reproduces, record

NAME = "context_processors"
STRESS_TRIALS = {"plain": 500_000, "tsan": 30_000}
FUZZ_TRIALS = {"plain": 3000, "tsan": 1000}
RACY_TRIALS = {"plain": 2000, "tsan": 1000}



@pytest.mark.parametrize("flavour", FLAVOURS)
def test_as_written_imports_twice_but_never_partially(flavour):
    trials = FUZZ_TRIALS[flavour]
    rec = record(flavour, NAME, "--variant", "as-written", "--mode", "fuzz", "--seed", 7,
                 "--trials", trials)
    assert_benign(rec, trials)
    # the measured double-import rate is in the record
    assert rec["outcomes"]["double-import"] > 0
    assert rec["interesting"] == rec["outcomes"]["double-import"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_as_written_is_benign_in_stress_mode(flavour):
    trials = STRESS_TRIALS[flavour]
    rec = record(flavour, NAME, "--variant", "as-written", "--trials", trials, "--seed", 1)
    assert_benign(rec, trials)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_fill_in_place_shows_a_partial_list(flavour):
    rec = record(flavour, NAME, "--variant", "fill-in-place", "--mode", "fuzz", "--seed", 7,
                 "--trials", RACY_TRIALS[flavour])
    assert_reproduces(rec)
    assert rec["outcomes"]["partial-processors"] > 0
    if flavour == "tsan":
        assert rec["tsan"]["kinds"].get("data-race", 0) > 0
