"""racelab exec --mode sched --strategy fuzz: the greybox schedule fuzzer
(docs/search.md), exec's default strategy: the bugs below are found with no
--strategy given.

Each run obeys an abstract schedule (reads-from constraints by code site)
that the driver's corpus gives it, and reports the reads-from pairs it
observed; a run that shows a new pair joins the corpus. In a plain build the
events are the pthread calls, so the pairs are lock hand-overs by call site,
spawn -> first event, end -> join, wake -> woken wait.

Test programs of tests/exec_programs, each with a fixed twin. Seeds are
k * 1000003, as in test_exec_search.py. With one job a campaign is
deterministic for its seed: the figures beside each budget are what these
seeds gave (scripts/bench-search), the budgets at least 3 times the worst.
"""
import shlex
import subprocess

import pytest

from conftest import BUILD, ROOT

from test_exec_sched import program, record, sched  # noqa: F401

SEEDS = [k * 1000003 for k in range(1, 11)]

# schedules to the first failure over the 10 seeds, measured (median / worst;
# scripts/bench-search, budget 300, the other strategies in docs/search.md):
BUDGET = {
    "reorder_bug 10": 40,   # 5.5 / 9  (random 33 / 127; pos 101 / 275, 2 seeds missed)
    "reorder_bug 50": 80,   # 7 / 21   (random, pct:3 and pos: all 10 seeds missed)
    "wsq_bug": 60,          # 5 / 14
    "conn_uaf_bug": 20,     # 2 / 4
    "length_bug": 60,       # 2.5 / 16
    "publish_bug": 30,      # 3 / 7 (100 readers, its default)
    "publish_bug 50": 40,   # 2.5 / 10 (50 readers: 2 7 1 10 2 1 3 4 3 2)
}


def fuzz(*args):
    return sched("--strategy", "fuzz", *args)


def first_failure(tmp_path, seed, budget, *command, extra=()):
    out = tmp_path / f"out-{seed}"
    rc, stdout, err = fuzz(*extra, "--seed", seed, "--runs", budget, "--until-fail", "--expect",
                           "reproduces", "--out", out, "--", *command)
    rec = record(out)
    assert rc == 0 and rec["verdict"] == "reproduced", (seed, stdout, err)
    return rec


@pytest.mark.parametrize("name", sorted(BUDGET))
def test_the_default_fuzz_finds_every_bug_within_its_budget_for_10_of_10_seeds(name, tmp_path):
    prog, *args = name.split()
    found = []
    for seed in SEEDS:
        out = tmp_path / f"out-{seed}"
        rc, stdout, err = sched("--seed", seed, "--runs", BUDGET[name], "--until-fail",
                                "--expect", "reproduces", "--out", out, "--", program(prog), *args)
        rec = record(out)
        assert rc == 0 and rec["verdict"] == "reproduced", (seed, stdout, err)
        assert rec["sched"]["strategy"] == "fuzz"
        failure = rec["exec"]["failures"][0]
        # the program's assertion; publish's NULL dereference
        assert failure["signal"] == ("SIGSEGV" if prog == "publish_bug" else "SIGABRT"), \
            failure["cause"]
        assert failure["schedule"] and "--replay" in failure["rerun"]
        assert rec["exec"]["fuzz"]["entries"] >= 1 and rec["exec"]["fuzz"]["corpus"] is None
        found.append(failure["run"] + 1)
    assert len(found) == 10, found


@pytest.mark.parametrize("name", ["reorder_fixed 10", "reorder_fixed 50", "wsq_fixed",
                                  "conn_uaf_fixed", "length_fixed", "publish_fixed",
                                  "publish_fixed 50"])
def test_every_fixed_twin_holds_over_300_fuzz_schedules(name, tmp_path):
    prog, *args = name.split()
    out = tmp_path / "out"
    rc, stdout, err = fuzz("--seed", 99, "--runs", 300, "--out", out, "--", program(prog), *args)
    rec = record(out)
    assert rc == 0, (stdout, err)
    assert rec["trials"] == 300 and rec["forbidden"] == 0 and rec["verdict"] == "holds"
    assert rec["sched"]["diverged"] == 0 and rec["sched"]["deadlocks"] == 0
    assert rec["exec"]["fuzz"]["pairs_seen"] > 0  # the runs did report their pairs


def test_sites_are_the_same_in_every_process_despite_aslr(tmp_path):
    """A constraint made from one run's sites is obeyed by another process:
    spawned runs (each its own address layout) find the bug at the same runs
    as the fork server's forks (one layout), seed for seed."""
    for seed in SEEDS[:3]:
        a = first_failure(tmp_path / "fs", seed, 40, program("reorder_bug"), "10")
        b = first_failure(tmp_path / "spawn", seed, 40, program("reorder_bug"), "10",
                          extra=["--no-fork-server"])
        assert b["exec"]["launch"] == "spawn"
        assert a["exec"]["failures"][0]["run"] == b["exec"]["failures"][0]["run"]
        assert a["exec"]["failures"][0]["schedule"] == b["exec"]["failures"][0]["schedule"]


def entries(folder):
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def test_the_corpus_is_kept_reloaded_and_a_campaign_resumes(tmp_path):
    """--corpus DIR: every entry a file; a second invocation loads them all,
    runs the failure it holds again first (found at its first run), and
    what the first saw is not new to it."""
    corpus = tmp_path / "corpus"
    first = first_failure(tmp_path / "a", SEEDS[0], 80, program("reorder_bug"), "50",
                          extra=["--corpus", corpus])
    files = entries(corpus)
    assert len(files) == first["exec"]["fuzz"]["added"] == first["exec"]["fuzz"]["entries"]
    assert first["exec"]["fuzz"]["loaded"] == 0 and first["exec"]["fuzz"]["corpus"] == str(corpus)
    texts = [f.read_text() for f in files]
    assert all(t.startswith("racelab-fuzz-entry 1\nschedule ") for t in texts)
    assert sum("\nfailed 1\n" in t for t in texts) == 1  # the failing run's
    # measured: the first failure at run 13 of seed 1000003; resumed: run 1
    assert first["exec"]["failures"][0]["run"] > 0
    again = first_failure(tmp_path / "b", SEEDS[1], 80, program("reorder_bug"), "50",
                          extra=["--corpus", corpus])
    assert again["exec"]["fuzz"]["loaded"] == len(files)
    assert again["exec"]["failures"][0]["run"] == 0
    assert again["exec"]["failures"][0]["cause"] == first["exec"]["failures"][0]["cause"]
    assert [f.read_text() for f in files] == texts  # loaded, not rewritten

    # the fixed twin: its 9 pairs are all seen within 100 runs, so a second
    # campaign of 100 runs finds nothing new to add (measured: 2 entries, then 0)
    fixed = tmp_path / "fixed-corpus"
    for k, seed in enumerate(SEEDS[:2]):
        out = tmp_path / f"fixed-{k}"
        rc, stdout, err = fuzz("--corpus", fixed, "--seed", seed, "--runs", 100, "--out", out,
                               "--", program("reorder_fixed"), "10")
        assert rc == 0, (stdout, err)
        rec = record(out)["exec"]["fuzz"]
        if k == 0:
            assert rec["added"] > 0 and len(entries(fixed)) == rec["added"]
        else:
            assert rec["loaded"] == len(entries(fixed)) and rec["added"] == 0


@pytest.mark.parametrize("text", ["", "racelab-fuzz-entry 1\nschedule +zz>1\nseed 1\nfailed 0\n"
                                  "pairs\n", "racelab-fuzz-entry 1\nschedule +1>2\nfailed 0\n"
                                  "pairs\n", "something else\n"])
def test_a_malformed_corpus_file_is_one_line_and_exit_2_before_any_run(text, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good = "racelab-fuzz-entry 1\nschedule -1a>2b\nseed 5\nfailed 0\npairs 1a>2b\n"
    (corpus / "entry-good").write_text(good)
    (corpus / "entry-bad").write_text(text)
    out = tmp_path / "out"
    rc, stdout, err = fuzz("--corpus", corpus, "--runs", 5, "--out", out, "--",
                           program("reorder_fixed"))
    assert rc == 2, (stdout, err)
    assert err.count("\n") == 1 and "entry-bad" in err and "corpus" in err
    assert not (out / "runs.jsonl").exists()  # nothing ran
    assert (corpus / "entry-good").read_text() == good and (corpus / "entry-bad").read_text() \
        == text  # nothing lost


def test_corpus_goes_with_fuzz_and_fuzz_is_a_strategy_name(tmp_path):
    rc, stdout, err = sched("--strategy", "pos", "--corpus", tmp_path / "c", "--out",
                            tmp_path / "o", "--", program("counter_fixed"))
    assert rc == 2 and "--corpus goes with --strategy fuzz" in err and err.count("\n") == 1
    rc, stdout, err = sched("--strategy", "fuz", "--out", tmp_path / "o", "--",
                            program("counter_fixed"))
    assert rc == 2 and "fuzz" in err and err.count("\n") == 1


def test_a_failing_fuzz_run_replays_10_of_10_through_its_record(tmp_path):
    rec = first_failure(tmp_path, SEEDS[2], 80, program("reorder_bug"), "50")
    failure = rec["exec"]["failures"][0]
    # the record's rerun command: --replay of the concrete schedule, its seed
    cmd = shlex.split(failure["rerun"])
    assert "--replay" in cmd
    for k in range(10):
        run = cmd[:cmd.index("--")] + ["--out", str(tmp_path / f"again-{k}")] + \
            cmd[cmd.index("--"):]
        proc = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, (proc.stdout, proc.stderr)  # --expect reproduces: met
        again = record(tmp_path / f"again-{k}")
        assert again["exec"]["failures"][0]["cause"] == failure["cause"]
        assert again["exec"]["failures"][0]["schedule"] == failure["schedule"]
        assert again["sched"]["diverged"] == 0
    # and `racelab rerun` of the record
    proc = subprocess.run([str(BUILD / "racelab"), "rerun", str(tmp_path / f"out-{SEEDS[2]}" /
                                                               "runs.jsonl"),
                           "--out", str(tmp_path / "rerun")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)  # reproduced, as expected
    again = record(tmp_path / "rerun")
    assert again["verdict"] == "reproduced" and again["sched"]["replay"] == failure["schedule"]
    assert again["exec"]["failures"][0]["cause"] == failure["cause"]


# Scenario programs under fuzz (list_append): test_exec_search.py's
# test_a_scenario_runs_under_the_new_strategies.


def test_repro_shrinks_a_fuzz_failure_of_a_scenario(tmp_path):
    proc = subprocess.run([str(BUILD / "racelab"), "repro", "list_append:racy", "--strategy",
                           "fuzz", "--seed", "7", "--out", str(tmp_path / "out")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert "(fuzz" in proc.stdout and "minimal failing interleaving" in proc.stdout
    assert "proven minimal" in proc.stdout


@pytest.mark.parametrize("scenario,variant", [("appcache_deadlock", "racy"),
                                              ("list_append", "racy")])
def test_the_fuzz_strategy_and_its_observations_are_tsan_clean(scenario, variant):
    """The sites, the observations and the corpus are the mechanism's state,
    touched only by the baton's holder: under TSan, 300 trials add no race."""
    from conftest import record as scenario_record
    rec = scenario_record("tsan", scenario, "--mode", "sched", "--strategy", "fuzz", "--variant",
                          variant, "--seed", 1, "--trials", 300)
    assert rec["tsan"]["reports"] == 0, rec["stderr"][-3000:]
    assert rec["sched"]["strategy"] == "fuzz"


# racelab cc builds: every shared access is an event too, and a load makes
# the pair (the store it read, itself). two_fields_bug's window lies between
# plain accesses; measured under fuzz, schedules to the first failure for
# these seeds: 17 3 16 17 24 1 13 11 6 11 (worst 24); budget 100.
def test_a_racelab_cc_build_is_fuzzed_by_its_accesses_too(tmp_path):
    cc = BUILD / "cc_programs" / "cc"
    if not (cc / "two_fields_bug").exists():
        pytest.fail(f"{cc} is not built: run 'make cc' first")
    for seed in SEEDS:
        rec = first_failure(tmp_path, seed, 100, cc / "two_fields_bug")
        assert rec["exec"]["built_by"] == "racelab cc"
    seen = {}
    for flavour in ("cc", "plain"):
        out = tmp_path / f"fixed-{flavour}"
        rc, stdout, err = fuzz("--seed", 5, "--runs", 300 if flavour == "cc" else 50, "--out",
                               out, "--", BUILD / "cc_programs" / flavour / "two_fields_fixed")
        rec = record(out)
        assert rc == 0 and rec["verdict"] == "holds", (stdout, err)
        seen[flavour] = rec["exec"]["fuzz"]["pairs_seen"]
    # measured: 12 pairs in the cc build, 8 (the pthread calls') in the plain one
    assert seen["cc"] > seen["plain"], seen


def test_racelab_run_of_a_scenario_under_fuzz(tmp_path):
    """`racelab run` in --mode sched --strategy fuzz: the racy variant fails
    (measured: 101 of 300 trials, the first at trial 4), the locked one holds
    over 300 trials."""
    out = tmp_path / "out"
    proc = subprocess.run([str(BUILD / "racelab"), "run", "list_append:racy",
                           "list_append:locked", "--mode", "sched", "--strategy", "fuzz",
                           "--flavour", "plain", "--trials", "300", "--seed", "11", "--out",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    import json
    recs = {r["variant"]: r for r in map(json.loads, (out / "runs.jsonl").read_text().splitlines())}
    assert recs["racy"]["verdict"] == "reproduced" and recs["racy"]["sched"]["strategy"] == "fuzz"
    assert recs["locked"]["verdict"] == "holds" and recs["locked"]["trials"] == 300
    assert recs["locked"]["forbidden"] == 0


def test_a_fuzz_failure_is_shrunk_by_the_existing_shrink(tmp_path):
    """--shrink takes the concrete schedule of the first failure, whatever
    the strategy: length_bug under fuzz, seed 1000003, fails at its second
    run with 9 preemptions; the shrink proves 1 the fewest (measured: 95
    runs)."""
    out = tmp_path / "out"
    rc, stdout, err = fuzz("--seed", SEEDS[0], "--runs", 60, "--until-fail", "--shrink",
                           "--expect", "reproduces", "--out", out, "--", program("length_bug"))
    assert rc == 0, (stdout, err)
    rec = record(out)
    shrunk = rec["sched"]["shrunk"]
    assert shrunk["schedule"] and shrunk["minimal"] and shrunk["preemptions"] == 1
    assert rec["exec"]["failures"][0]["preemptions"] > 1
