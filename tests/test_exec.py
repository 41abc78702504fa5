"""racelab exec: unmodified programs (tests/exec_programs, built by make into
build/exec_programs/{plain,tsan}) run under the preloaded noise library.

Budgets and margins (measured on the project's loaded 2-core machine with the
default profile, *:delay=100us,p=0.2; every run here uses a fixed seed):

  program       fails in, per run (noise)   budget here (--until-fail)
  counter       ~90%                        30 runs
  init_order    ~30%                        80 runs
  abba          ~70% (a hang)               30 runs
  lost_wakeup   ~100% (a hang)              30 runs
  pool_wait     ~13% (a hang)               300 runs
  wrong_lock    ~90%                        30 runs
  torn_read     ~90%                        30 runs

so the chance that a budget passes without a failure is below 1e-8 for each
(0.87^300 for pool_wait, 0.7^80 for init_order). Each fixed twin runs 60
times in the plain build and 4 times in the TSan build, with no failure
allowed. Nothing is asserted on wall-clock time (scripts/bench-exec measures).
"""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BUILD, ROOT

RACELAB = BUILD / "racelab"
PROGRAMS = BUILD / "exec_programs"

BUGS = {
    # name: (budget in runs, the outcome its failure shows)
    "counter": (30, "signal"),
    "init_order": (80, "signal"),
    "abba": (30, "hang"),
    "lost_wakeup": (30, "hang"),
    "pool_wait": (300, "hang"),
    "wrong_lock": (30, "signal"),
    "torn_read": (30, "signal"),
}
FIXED_RUNS_PLAIN = 60
FIXED_RUNS_TSAN = 4
EXEC_FIELDS = {
    "program", "args", "script", "tsan_detected_by", "built_by", "raw_calls", "budget", "jobs", "run_seeds",
    "run_seed", "spins", "spin",
    "failures", "fail_on", "ok_status", "library", "preload", "runs_counted", "forked_runs",
    "forks_note", "left_control", "unscheduled", "unrecorded",
    "shrink_runs", "spawn_failures", "results",
    # runs that escaped the preload, runs that left processes behind, and why nothing could be
    # judged
    "escaped", "left_behind", "rerun", "lost", "error",
    "launch", "launch_note",  # the fork server or spawn (docs/search.md)
    "pin",  # --pin: each run's threads on one processor (docs/search.md)
    "output_failed",  # a failed run's output could not be kept (exit 3)
    "shard",  # --shard K/N: which part of which campaign (tests/test_exec_shard.py)
    "fuzz",  # --strategy fuzz: its corpus (docs/search.md)
}
# documented in docs/sanitizers.md
SANITIZER_EXEC_FIELDS = {"sanitizers", "sanitizers_detected_by", "leaks"}
SANITIZER_FAILURE_FIELDS = {"sanitizer_log"}
FAILURE_FIELDS = {
    "run", "seed", "outcome", "cause", "at", "duration", "exit_status", "signal",
    "output_file", "output_cut", "stacks_file", "stacks_note", "tsan_log", "schedule", "preemptions", "waits",
    "rerun",
}


MASK64 = (1 << 64) - 1


def splitmix64(state):
    """One splitmix64 step (harness/common/splitmix.h): (new state, output)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def splitmix_run_seed(seed, run):
    """exec_run_seed (exec_loop.c): the seed mixed, then the run index."""
    _, first = splitmix64(seed)
    return splitmix64(first ^ run)[1]


def program(flavour, name):
    path = PROGRAMS / flavour / name
    if not path.exists():
        pytest.fail(f"{path} is not built: run 'make' first")
    return path


def racelab_exec(*args, timeout=600):
    if not RACELAB.exists():
        pytest.fail(f"{RACELAB} is not built: run 'make' first")
    proc = subprocess.run([str(RACELAB), "exec", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)
    return proc.returncode, proc.stdout, proc.stderr


def record(out):
    lines = (Path(out) / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 1, lines
    return json.loads(lines[0])


def one_line(err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


# ---- bugs are found, fixes hold ------------------------------------------------


@pytest.mark.parametrize("name", sorted(BUGS))
def test_every_bug_fails_under_noise_within_its_budget(name, tmp_path):
    budget, outcome = BUGS[name]
    out = tmp_path / "out"
    rc, stdout, err = racelab_exec("--seed", 1, "--runs", budget, "--until-fail",
                                   "--timeout", 3, "--expect", "reproduces", "--out", out,
                                   "--", program("plain", f"{name}_bug"))
    rec = record(out)
    assert rc == 0, stdout + err
    assert rec["verdict"] == "reproduced" and rec["met"] is True
    assert rec["outcomes"][outcome] >= 1, rec["outcomes"]
    failure = rec["exec"]["failures"][0]
    assert failure["outcome"] == outcome
    assert rec["first_failure"]["trial"] == failure["run"]
    assert failure["seed"] == splitmix_run_seed(1, failure["run"])  # splitmix64(seed, run)
    if outcome == "hang":
        assert rec["hangs"] == 1
        assert failure["stacks_file"] or failure["stacks_note"]
    else:
        assert failure["signal"] in ("SIGABRT", "SIGSEGV")
    assert f"--run-seed {failure['seed']} --runs 1" in failure["rerun"]
    print(f"{name}: failed at run {failure['run']} of {budget} ({failure['cause']})")


@pytest.mark.parametrize("name", sorted(BUGS))
def test_every_fixed_twin_holds_under_noise(name, tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = racelab_exec("--seed", 7, "--runs", FIXED_RUNS_PLAIN, "--jobs", 2,
                                   "--timeout", 10, "--out", out, "--",
                                   program("plain", f"{name}_fixed"))
    rec = record(out)
    assert rc == 0, stdout + err
    assert rec["trials"] == FIXED_RUNS_PLAIN and rec["forbidden"] == 0
    assert rec["outcomes"]["ok"] == FIXED_RUNS_PLAIN
    assert rec["verdict"] == "holds" and rec["met"] is True
    # the noise acted: the library counted the program's calls and fired at some
    assert rec["exec"]["runs_counted"] == FIXED_RUNS_PLAIN
    hits = sum(p["hits"][0] for p in rec["points"].values())
    fired = sum(p["fired"][0] for p in rec["points"].values())
    assert hits > 0 and fired > 0


@pytest.mark.parametrize("name", sorted(BUGS))
def test_every_fixed_twin_holds_in_the_tsan_build(name, tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = racelab_exec("--seed", 7, "--runs", FIXED_RUNS_TSAN, "--timeout", 30,
                                   "--out", out, "--", program("tsan", f"{name}_fixed"))
    rec = record(out)
    assert rc == 0, stdout + err
    assert rec["flavour"] == "tsan" and rec["tsan"]["enabled"] is True
    assert rec["exec"]["tsan_detected_by"] == "__tsan_init"
    assert rec["tsan"]["reports"] == 0 and rec["forbidden"] == 0
    assert rec["exec"]["runs_counted"] == FIXED_RUNS_TSAN
    assert rec["points"]["pthread/mutex_lock"]["hits"][0] > 0  # reached through TSan


def test_a_holds_program_that_fails_exits_1_with_the_failure_kept(tmp_path):
    out = tmp_path / "out"
    rc, stdout, _ = racelab_exec("--seed", 1, "--runs", 30, "--until-fail", "--out", out, "--",
                                 program("plain", "counter_bug"))
    assert rc == 1
    rec = record(out)
    assert rec["verdict"] == "fails" and rec["met"] is False and rec["expectation"] == "holds"
    failure = rec["exec"]["failures"][0]
    text = Path(failure["output_file"]).read_text()
    assert "Assertion `hits == THREADS * HITS' failed" in text
    assert "verdict: fails" in stdout and "run it again" in stdout
    assert (out / "summary.txt").read_text().startswith("counter_bug (plain, noise)")


def test_a_reproduces_program_that_does_not_fail_is_weak_evidence_exit_4(tmp_path):
    out = tmp_path / "out"
    rc, _, _ = racelab_exec("--seed", 1, "--runs", 5, "--expect", "reproduces", "--out", out,
                            "--", program("plain", "counter_fixed"))
    assert rc == 4
    rec = record(out)
    assert rec["verdict"] == "not-reproduced" and rec["met"] is False


# ---- ThreadSanitizer ------------------------------------------------------------


def test_the_tsan_build_reports_through_tsan(tmp_path):
    """Ten runs. A run either reports the race and exits 66 (tsan), or the
    server dereferences the NULL configuration first and dies by SIGSEGV
    before main's report (signal): about 40% of runs under two busy cores,
    so all ten are signals with odds near 0.4**10 = 1e-4. A signal is never
    a hang: TSan's own SEGV handler can deadlock against a report in
    progress, and exec mode turns it off (handle_segv=0)."""
    out = tmp_path / "out"
    rc, _, _ = racelab_exec("--seed", 1, "--runs", 10, "--expect", "reproduces", "--out", out,
                            "--", program("tsan", "init_order_bug"))
    assert rc == 0
    rec = record(out)
    assert rec["flavour"] == "tsan"
    assert rec["outcomes"]["ok"] == 0 and rec["hangs"] == 0, rec["outcomes"]
    assert rec["tsan"]["reports"] >= 2 and "data race" in rec["tsan"]["kinds"]
    failures = rec["exec"]["failures"]
    assert {f["outcome"] for f in failures} <= {"tsan", "signal"}
    reported = [f for f in failures if f["outcome"] == "tsan"]
    assert reported and "WARNING: ThreadSanitizer" in Path(reported[0]["tsan_log"]).read_text()
    for f in failures:
        if f["outcome"] == "signal":
            assert f["signal"] == "SIGSEGV", f
    # TSan runs llvm-symbolizer for its report: a helper, not the program's fork
    assert rec["exec"]["forked_runs"] == 0


def test_an_abba_order_is_a_lock_order_inversion_under_tsan(tmp_path):
    out = tmp_path / "out"
    rc, _, _ = racelab_exec("--seed", 1, "--runs", 2, "--timeout", 5, "--expect", "reproduces",
                            "--out", out, "--", program("tsan", "abba_bug"))
    assert rc == 0
    rec = record(out)
    assert rec["outcomes"]["ok"] == 0
    assert rec["tsan"]["kinds"].get("lock-order-inversion (potential deadlock)", 0) >= 1 \
        or rec["hangs"] >= 1, rec["tsan"]


# ---- libfiu's POSIX preload alongside ---------------------------------------------


@pytest.mark.parametrize("flavour", ["plain", "tsan"])
def test_posix_faults_and_noise_act_together(flavour, tmp_path):
    """aux_writer writes 40 lines under a mutex and exits 3 when a write
    fails: with p=0.2 a run fails unless all 40 writes pass (0.8^40 ~ 1e-4)."""
    out = tmp_path / "out"
    rc, stdout, err = racelab_exec("--seed", 1, "--runs", 3, "--expect", "reproduces",
                                   "--posix-faults", "posix/io/rw/write:p=0.2,errno=EIO",
                                   "--out", out, "--", program(flavour, "aux_writer"))
    assert rc == 0, stdout + err
    rec = record(out)
    assert rec["outcomes"]["exit-status"] == 3, rec["outcomes"]
    assert rec["posix_faults"] == ["posix/io/rw/write:p=0.2,errno=EIO"]
    assert "fiu_posix_preload.so" in rec["exec"]["preload"]
    assert rec["exec"]["preload"].endswith("libracelab-exec.so")
    assert "Input/output error" in Path(rec["exec"]["failures"][0]["output_file"]).read_text()
    assert rec["exec"]["runs_counted"] == 3  # the exec library reported: it was loaded
    lock = rec["points"]["pthread/mutex_lock"]
    assert lock["hits"][0] == 3 * 40 and lock["fired"][0] > 0
    # libfiu's own rwlock is passed through, not counted as the program's (in a
    # TSan build it reaches the library through TSan's interceptor: counted)
    if flavour == "plain":
        assert "pthread/rwlock_rdlock" not in rec["points"]


def test_posix_faults_that_never_fire_leave_the_program_passing(tmp_path):
    out = tmp_path / "out"
    rc, _, _ = racelab_exec("--seed", 1, "--runs", 3, "--posix-faults",
                            "posix/io/rw/write:p=0", "--out", out, "--",
                            program("plain", "aux_writer"))
    assert rc == 0 and record(out)["outcomes"]["ok"] == 3


# ---- what fails a run --------------------------------------------------------


def test_fail_on_and_ok_status(tmp_path):
    rc, _, _ = racelab_exec("--runs", 2, "--fail-on", "count [0-9]+", "--out", tmp_path / "a",
                            "--", program("plain", "aux_forker"))
    assert rc == 1 and record(tmp_path / "a")["outcomes"]["fail-on"] == 2
    rc, _, _ = racelab_exec("--runs", 2, "--out", tmp_path / "b", "--", "false")
    rec = record(tmp_path / "b")
    assert rc == 1 and rec["outcomes"]["exit-status"] == 2
    assert rec["exec"]["failures"][0]["exit_status"] == 1
    rc, _, _ = racelab_exec("--runs", 2, "--ok-status", "0,1", "--out", tmp_path / "c", "--",
                            "false")
    assert rc == 0 and record(tmp_path / "c")["outcomes"]["ok"] == 2


def test_a_forking_program_says_so(tmp_path):
    out = tmp_path / "out"
    rc, stdout, _ = racelab_exec("--runs", 3, "--out", out, "--",
                                 program("plain", "aux_forker"))
    assert rc == 0
    rec = record(out)
    assert rec["exec"]["forked_runs"] == 3 and "preload" in rec["exec"]["forks_note"]
    assert "started other processes" in stdout


def test_c11_threads_reach_the_same_points(tmp_path):
    out = tmp_path / "out"
    rc, _, _ = racelab_exec("--seed", 1, "--runs", 3, "--out", out, "--",
                            program("plain", "aux_c11"))
    assert rc == 0
    points = record(out)["points"]
    # 2 threads x 10 rounds of mtx_lock, plus main's; thrd_create and thrd_join
    assert points["pthread/mutex_lock"]["hits"][0] >= 3 * 21
    assert points["pthread/create"]["hits"][0] == 3 * 2
    assert points["pthread/join"]["hits"][0] == 3 * 2
    assert points["sched/yield"]["hits"][0] == 3 * 20
    assert points["pthread/cond_broadcast"]["hits"][0] == 3 * 20


def test_profile_none_and_explicit_specs(tmp_path):
    rc, _, _ = racelab_exec("--runs", 2, "--profile", "none", "--out", tmp_path / "a", "--",
                            program("plain", "counter_fixed"))
    rec = record(tmp_path / "a")
    assert rc == 0 and rec["profile"] == "none" and rec["inject"] == []
    assert all(p["fired"][0] == 0 for p in rec["points"].values())
    assert rec["points"]["pthread/mutex_lock"]["hits"][0] == 2 * 40
    spec = "pthread/mutex_*:yield,p=0.5"
    rc, _, _ = racelab_exec("--runs", 2, "--inject", spec, "--out", tmp_path / "b", "--",
                            program("plain", "counter_fixed"))
    rec = record(tmp_path / "b")
    assert rc == 0 and rec["inject"] == [spec] and rec["profile"] is None
    assert rec["points"]["pthread/mutex_lock"]["spec"] == spec
    assert rec["points"]["pthread/create"]["spec"] is None


# ---- the record ----------------------------------------------------------------


def test_record_fields_are_the_run_record_plus_documented_exec_fields(tmp_path):
    from test_runtime import RECORD_FIELDS
    out = tmp_path / "out"
    racelab_exec("--seed", 5, "--runs", 3, "--until-fail", "--out", out, "--",
                 program("plain", "counter_bug"), "extra-arg")
    rec = record(out)
    assert RECORD_FIELDS <= set(rec), RECORD_FIELDS - set(rec)
    assert rec["scenario"] == "counter_bug" and rec["variant"] == "exec"
    assert rec["mode"] == "noise" and rec["flavour"] == "plain" and rec["seed"] == 5
    assert set(rec["outcomes"]) == {"ok", "exit-status", "signal", "hang", "tsan", "fail-on",
                                    "sanitizer", "leak"}
    assert rec["default_profile"] is True and rec["profile_spec"] == "*:delay=100us,p=0.2"
    assert set(rec["exec"]) == EXEC_FIELDS | SANITIZER_EXEC_FIELDS
    assert rec["exec"]["args"] == ["extra-arg"]
    if rec["exec"]["failures"]:
        assert set(rec["exec"]["failures"][0]) == FAILURE_FIELDS | SANITIZER_FAILURE_FIELDS
    # the one record definition, in the order of its table, then the exec fields
    from test_record import RECORD
    assert list(rec) == RECORD + ["exec"]
    page = (ROOT / "docs" / "racelab-record.5.md").read_text()
    section = page[page.index("## Exec mode's results folder and record"):]
    # the scheduler's own fields (issue 23) are documented with its limits
    section += (ROOT / "docs" / "scheduler-limits.md").read_text()
    section += (ROOT / "docs" / "search.md").read_text()  # launch, launch_note
    for field in EXEC_FIELDS | FAILURE_FIELDS:
        assert f"`{field}`" in section, field
    sanitizers = (ROOT / "docs/sanitizers.md").read_text()
    for field in SANITIZER_EXEC_FIELDS | SANITIZER_FAILURE_FIELDS:
        assert f"`{field}`" in sanitizers, field


# ---- bad input -------------------------------------------------------------------


@pytest.fixture(scope="module")
def odd_programs(tmp_path_factory):
    d = tmp_path_factory.mktemp("odd")
    src = d / "hello.c"
    src.write_text('#include <stdio.h>\nint main(void){puts("hi");return 0;}\n')
    subprocess.run(["gcc", "-static", str(src), "-o", str(d / "static")], check=True)
    suid = d / "suid"
    suid.write_bytes(program("plain", "counter_fixed").read_bytes())
    suid.chmod(0o4755)
    (d / "data").write_text("data")
    (d / "data").chmod(0o644)
    return d


@pytest.mark.parametrize("args,says", [
    (["--", "{odd}/static"], "statically linked"),
    (["--", "{odd}/suid"], "setuid"),
    (["--", "{odd}/data"], "not executable"),
    (["--", "/no/such/program"], "does not exist"),
    (["--", "no-such-program-on-path"], "no such program"),
    ([], "no PROGRAM"),
    (["--runs", "0", "--", "true"], "--runs"),
    (["--inject", "bogus", "--", "true"], "bogus"),
    (["--inject", "pthread/*:fail", "--", "true"], "not fault points"),
    (["--inject", "nothing/*:yield", "--", "true"], "matches no exec point"),
    (["--profile", "bogus", "--", "true"], "unknown profile"),
    (["--posix-faults", "write", "--", "true"], "posix"),
    (["--expect", "maybe", "--", "true"], "--expect"),
    (["--strategy", "pct:3", "--", "true"], "needs --mode sched"),
    (["--mode", "sched", "--strategy", "pct:99", "--", "true"], "--strategy"),
    (["--mode", "sched", "--replay", "0.x", "--", "true"], "--replay"),
    (["--mode", "sched", "--inject", "*:yield", "--", "true"], "noise mode"),
    (["--fail-on", "(", "--", "true"], "regular expression"),
    (["--ok-status", "1-x", "--", "true"], "--ok-status"),
    (["--bogus", "--", "true"], "unknown option"),
])
def test_bad_input_is_one_line_exit_2_and_no_folder(args, says, odd_programs, tmp_path):
    out = tmp_path / "out"
    args = [a.replace("{odd}", str(odd_programs)) for a in args]
    rc, stdout, err = racelab_exec("--out", out, *args)
    assert rc == 2, (stdout, err)
    assert says in one_line(err)
    assert not out.exists()


def test_help_and_list_points():
    rc, out, _ = racelab_exec("--help")
    assert rc == 0 and "racelab exec [options] -- PROGRAM" in out
    rc, out, _ = racelab_exec("--list-points")
    assert rc == 0
    names = [line.split()[0] for line in out.splitlines()]
    for name in ("pthread/mutex_lock", "pthread/cond_wait", "pthread/create", "pthread/join",
                 "pthread/rwlock_wrlock", "sem/wait", "sched/yield", "sleep/nanosleep"):
        assert name in names
    rc, out, _ = racelab_exec("--list-points", "--json")
    points = json.loads(out)
    assert [p["name"] for p in points] == names and all(p["kind"] == "delay" for p in points)
    proc = subprocess.run([str(RACELAB), "help"], capture_output=True, text=True)
    assert "exec [options] -- PROGRAM" in proc.stdout


def test_interrupt_keeps_the_record_and_exits_130(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([str(RACELAB), "exec", "--runs", "100000", "--out", str(out), "--",
                             str(program("plain", "counter_fixed"))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    deadline = time.time() + 60
    while not (out / "runs.jsonl").exists() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    rec = record(out)
    assert rec["interrupted"] is True and 0 < rec["trials"] < 100000
    assert rec["forbidden"] == 0


def test_the_preload_alone_changes_nothing_without_racelab():
    """Preloaded with no configuration, the library only passes calls on."""
    env = dict(os.environ, LD_PRELOAD=str(BUILD / "exec" / "libracelab-exec.so"))
    for name in ("counter_fixed", "pool_wait_fixed"):
        proc = subprocess.run([str(program("plain", name))], env=env, capture_output=True,
                              text=True, timeout=30)
        assert proc.returncode == 0 and proc.stderr == ""


@pytest.mark.parametrize("mode", ["noise", "sched"])
def test_raw_syscalls_are_said_not_hidden(tmp_path, mode):
    """aux_raw waits on a futex by syscall(): exec names what it imports that
    the library cannot see, in the record and on stderr; an ordinary
    program imports none of them."""
    out = tmp_path / "out"
    proc = subprocess.run([str(RACELAB), "exec", "--mode", mode, "--runs", "3", "--seed", "1",
                           "--out", str(out), "--", str(program("plain", "aux_raw"))],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert record(out)["exec"]["raw_calls"] == ["syscall"]
    warning = [x for x in proc.stderr.splitlines() if "imports syscall" in x]
    assert len(warning) == 1 and ("scheduler" if mode == "sched" else "noise") in warning[0]
    clean = tmp_path / "clean"
    rc, _, _ = racelab_exec("--runs", 1, "--seed", 1, "--out", clean, "--",
                            program("plain", "counter_fixed"))
    assert rc == 0 and record(clean)["exec"]["raw_calls"] == []
