"""translation_catalog: en-us and en-gb merged into gettext's one catalog.

Margins: in fuzz mode with the default profile the racy variant shows a
foreign string in ~9% of trials (measured with the test's seed and budget
of 2000 trials: 174 plain, 178 tsan), a margin of >100x over the verdict's
threshold of 1 (the test asks for >= 20). With injected .mo read failures
(p=0.2) the racy variant also fails without any overlap (the first language
merged into the shared object, the second copied it and kept the first's
strings where its own catalog failed): 825 of 2000. The fixed variant runs
1,000,000 (plain) and 100,000 (tsan) trials in stress mode, 2000 in fuzz mode
and 2000 in fuzz mode with read failures.
"""
import pytest

from conftest import FLAVOURS, assert_holds, assert_reproduces, describe, record

STRESS_TRIALS = {"plain": 1_000_000, "tsan": 100_000}
FUZZ_TRIALS = 2000
READ_FAILURES = ["--inject", "*:delay=100us,p=0.2",
                 "--inject", "translation_catalog/read-mo:fail,p=0.2"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_racy_reproduces_in_fuzz_mode(flavour):
    rec = record(flavour, "translation_catalog", "--variant", "racy", "--mode", "fuzz",
                 "--seed", 1, "--trials", FUZZ_TRIALS)
    assert_reproduces(rec)
    assert rec["outcomes"]["foreign-string"] >= 20, rec["outcomes"]
    if flavour == "tsan":
        assert rec["tsan"]["kinds"].get("data-race", 0) > 0


def test_racy_shows_foreign_strings_after_a_failed_read():
    rec = record("plain", "translation_catalog", "--variant", "racy", "--mode", "fuzz",
                 *READ_FAILURES, "--seed", 1, "--trials", FUZZ_TRIALS)
    assert_reproduces(rec)
    assert rec["outcomes"]["foreign-string"] >= 200, rec["outcomes"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_fixed_holds_in_stress_mode(flavour):
    trials = STRESS_TRIALS[flavour]
    rec = record(flavour, "translation_catalog", "--variant", "fixed", "--trials", trials,
                 "--seed", 1)
    assert_holds(rec, trials)
    assert rec["outcomes"]["ok"] == trials


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_fixed_holds_in_fuzz_mode(flavour):
    rec = record(flavour, "translation_catalog", "--variant", "fixed", "--mode", "fuzz",
                 "--seed", 1, "--trials", FUZZ_TRIALS)
    assert_holds(rec, FUZZ_TRIALS)
    assert sum(rec["points"]["translation_catalog/read-mo"]["fired"]) > 1000


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_fixed_holds_when_catalog_reads_fail(flavour):
    rec = record(flavour, "translation_catalog", "--variant", "fixed", "--mode", "fuzz",
                 *READ_FAILURES, "--seed", 1, "--trials", FUZZ_TRIALS)
    assert_holds(rec, FUZZ_TRIALS)
    # the error path ran: messages fell back to the core English strings
    assert rec["outcomes"]["untranslated-fallback"] > 500, rec["outcomes"]


def test_descriptor():
    d = describe("plain", "translation_catalog")
    assert {v["name"]: v["expectation"] for v in d["variants"]} == {
        "racy": "reproduces", "fixed": "holds"}
    grades = {o["name"]: o["grade"] for o in d["outcomes"]}
    assert grades["foreign-string"] == "forbidden"
    kinds = {p["name"]: p["kind"] for p in d["points"]}
    assert kinds["translation_catalog/read-mo"] == "fault"
