"""The one child runner (harness/driver/core/child.c) and the record sink, and
the findings of issue 22 they close (docs/design.md "Isolation and
reliability"; the fields in docs/racelab-record.5.md):

  4  a program that escapes the scheduler (clears LD_PRELOAD, executes
     itself, then runs two threads) is not graded a pass: exit 3, one line;
  5  --fail-on matches after the first megabyte of output, across two reads;
  6  processes a run leaves outside its process group are killed and said;
 10  a failed write in exec mode is one error line and exit 3, and the
     summary names that status;
 12  the "run it again" line works from another directory;
 14  rerun and report agree on a program that refused its replay (2).

The programs are tests/exec_programs/aux_{escape,stay,loud,orphan}.c, each
with a twin that behaves (aux_stay; aux_loud with an argument; aux_orphan
wait). Every test here fails on main (e160c06), each for its finding. Nothing
depends on timing but aux_loud's 100 ms pause between its two writes (a
match across two reads; found either way); the SIGTERM test waits until a
run has started before it signals.
"""
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BUILD, ROOT

RACELAB = BUILD / "racelab"
PROGRAMS = BUILD / "exec_programs" / "plain"


def program(name):
    path = PROGRAMS / name
    if not path.exists():
        pytest.fail(f"{path} is not built: run 'make' first")
    return path


def racelab(*args, cwd=ROOT, timeout=300):
    proc = subprocess.run([str(RACELAB), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)
    return proc.returncode, proc.stdout, proc.stderr


def record(out):
    lines = (Path(out) / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 1, lines
    return json.loads(lines[0])


def error_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("racelab: error:")]


# ---- 4: escaping the scheduler or the preload ------------------------------------


@pytest.mark.parametrize("strategy", ["pct:3", "dfs:2"])
def test_a_program_that_escapes_the_scheduler_is_an_error_not_a_pass(strategy, tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = racelab("exec", "--mode", "sched", "--strategy", strategy, "--runs", 20,
                              "--seed", 1, "--out", out, "--", program("aux_escape"))
    assert rc == 3, (stdout, err)
    lines = error_lines(err)
    assert len(lines) == 1 and "escaped the scheduler" in lines[0], err
    assert "space exhausted" not in stdout and "exit status 3" in stdout
    rec = record(out)
    assert rec["verdict"] == "error" and rec["met"] is False
    assert rec["exec"]["runs_counted"] == 0 and rec["exec"]["error"]
    assert rec["sched"]["exhausted"] is False
    # pct: every one of the 20 runs escaped; dfs stops at the first
    assert rec["exec"]["escaped"] == (20 if strategy == "pct:3" else 1)


def test_its_twin_that_stays_is_graded(tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = racelab("exec", "--mode", "sched", "--runs", 20, "--seed", 1, "--out", out,
                              "--", program("aux_stay"))
    assert rc == 0, (stdout, err)
    rec = record(out)
    assert rec["verdict"] == "holds" and rec["trials"] == 20
    assert rec["exec"]["escaped"] == 0 and rec["exec"]["runs_counted"] == 20
    assert rec["exec"]["error"] is None


def test_a_program_that_escapes_the_preload_is_an_error_in_noise_mode(tmp_path):
    rc, stdout, err = racelab("exec", "--runs", 5, "--seed", 1, "--out", tmp_path / "a", "--",
                              program("aux_escape"))
    assert rc == 3 and "escaped the preload" in err, (stdout, err)
    assert record(tmp_path / "a")["verdict"] == "error"
    rc, stdout, err = racelab("exec", "--runs", 5, "--seed", 1, "--out", tmp_path / "b", "--",
                              program("aux_stay"))
    assert rc == 0, (stdout, err)


# ---- 5: --fail-on over the whole output -----------------------------------------------


def test_fail_on_finds_a_match_after_two_megabytes_and_the_record_says_the_output_was_cut(
        tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = racelab("exec", "--runs", 3, "--fail-on", "FATAL ERROR", "--out", out,
                              "--", program("aux_loud"))
    assert rc == 1, (stdout, err)
    rec = record(out)
    assert rec["outcomes"]["fail-on"] == 3
    for failure in rec["exec"]["failures"]:
        assert failure["outcome"] == "fail-on" and failure["output_cut"] is True
        kept = Path(failure["output_file"]).read_text()
        assert "FATAL" not in kept  # beyond what is kept: found while it was read
    # the twin prints as much, then "all fine"
    rc, stdout, err = racelab("exec", "--runs", 3, "--fail-on", "FATAL ERROR", "--out",
                              tmp_path / "fine", "--", program("aux_loud"), "fine")
    assert rc == 0 and record(tmp_path / "fine")["outcomes"]["fail-on"] == 0, (stdout, err)


# ---- 6: orphans ------------------------------------------------------------------------


def processes_running(path):
    """The pids whose executable is PATH (a copy only this test runs)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(entry / "exe") == str(path):
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def still_running(path, within=5.0):
    """The processes of PATH still there WITHIN seconds from now: one that
    racelab killed at its end may take a moment to leave /proc (it is
    reaped by whoever it was handed to); one that stays is a leftover."""
    deadline = time.monotonic() + within
    while processes_running(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    return processes_running(path)


@pytest.fixture
def orphan(tmp_path):
    path = tmp_path / "orphan_maker"
    shutil.copy(program("aux_orphan"), path)
    yield path
    for pid in processes_running(path):  # never leave them to the next test
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("how", ["pgid", "setsid"])
def test_processes_left_outside_the_group_are_killed_and_said(how, orphan, tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = racelab("exec", "--runs", 10, "--jobs", 2, "--out", out, "--", orphan, how)
    assert rc == 0, (stdout, err)
    assert still_running(orphan) == []
    rec = record(out)
    assert rec["exec"]["left_behind"] == 10  # one a run: each waits until its orphan got away
    assert "10 processes were left running outside the runs' process groups" in stdout


def test_the_twin_that_waits_leaves_nothing(orphan, tmp_path):
    rc, stdout, err = racelab("exec", "--runs", 10, "--out", tmp_path / "out", "--", orphan,
                              "wait")
    assert rc == 0, (stdout, err)
    assert record(tmp_path / "out")["exec"]["left_behind"] == 0
    assert still_running(orphan) == [] and "left running" not in stdout


def proc_scans(args, tmp_path):
    """Runs racelab under strace; its exit status and how many times the driver
    itself opened /proc to read every process in it."""
    log = tmp_path / "strace.log"
    proc = subprocess.run(["strace", "-f", "-e", "trace=openat", "-o", str(log), str(RACELAB),
                           *map(str, args)], capture_output=True, text=True, timeout=300,
                          cwd=ROOT)
    lines = log.read_text().splitlines()
    driver = lines[0].split()[0]  # the first line is racelab's own execve
    scans = sum(1 for l in lines if l.split()[0] == driver and '"/proc", O_RDONLY' in l)
    return proc, scans


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
@pytest.mark.parametrize("mode", ["noise", "sched"])
def test_the_sweep_scans_proc_only_when_a_run_left_something(mode, orphan, tmp_path):
    """core/child_sweep.c reads the driver's own children after each run, and all
    of /proc only when one of them is a stray: 20 runs that leave nothing scan
    /proc once (at the start, for the children racelab had before), where every
    run did before (18-31% of the driver's time a run, docs/search.md); 5 runs
    that each leave an orphan are still swept and counted, as
    test_processes_left_outside_the_group_are_killed_and_said checks."""
    proc, scans = proc_scans(["exec", "--mode", mode, "--runs", 20, "--out", tmp_path / "a",
                              "--", program("counter_fixed")], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert record(tmp_path / "a")["exec"]["left_behind"] == 0
    assert scans == 1
    proc, scans = proc_scans(["exec", "--runs", 5, "--out", tmp_path / "b", "--", orphan, "pgid"],
                             tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert record(tmp_path / "b")["exec"]["left_behind"] == 5
    assert scans >= 1 + 5  # one sweep a run at least, each found its orphan
    assert still_running(orphan) == []


def test_a_child_racelab_had_before_it_started_is_left_alone(orphan, tmp_path):
    """A shell's background job, inherited across exec, is no run's: the sweep keeps off it."""
    sleeper = tmp_path / "older_sleeper"
    shutil.copy(shutil.which("sleep"), sleeper)
    script = (f"{sleeper} 30 >/dev/null 2>&1 & "
              f"exec {RACELAB} exec --runs 3 --out {tmp_path / 'out'} -- {orphan} pgid")
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    try:
        assert proc.returncode == 0, (proc.stdout, proc.stderr)
        assert len(processes_running(sleeper)) == 1  # still sleeping
        assert still_running(orphan) == [] and record(tmp_path / "out")["exec"][
            "left_behind"] == 3
    finally:
        for pid in processes_running(sleeper):
            os.kill(pid, signal.SIGKILL)


def test_nothing_is_left_after_a_sigterm_to_racelab(orphan, tmp_path):
    proc = subprocess.Popen([str(RACELAB), "exec", "--seconds", "60", "--out", str(tmp_path / "o"),
                             "--", str(orphan), "pgid"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    deadline = time.monotonic() + 60  # racelab's start-up (the default profile) comes first
    while not processes_running(orphan) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_running(orphan), "no run started within 60 s"
    time.sleep(0.5)  # some runs have left their orphans by now
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert still_running(orphan) == []


def test_a_scenario_run_that_leaves_a_process_behind_is_said_and_nothing_is_left(tmp_path):
    build = tmp_path / "build"
    (build / "plain").mkdir(parents=True)
    (build / "tsan").mkdir()
    exe = build / "plain" / "fx_orphan"
    shutil.copy(BUILD / "fixtures" / "fx_orphan", exe)  # a copy: its pid is this test's
    try:
        rc, stdout, err = racelab("run", "--build", build, "fx_orphan:escaped", "fx_orphan:waits",
                                  "--flavour", "plain", "--out", tmp_path / "out")
        assert processes_running(exe) == []
    finally:
        for pid in processes_running(exe):
            os.kill(pid, signal.SIGKILL)
    recs = {json.loads(l)["variant"]: json.loads(l)
            for l in (tmp_path / "out" / "runs.jsonl").read_text().splitlines()}
    assert recs["escaped"]["left_behind"] == 1 and "left_behind" not in recs["waits"]
    assert "left 1 process running outside its process group" in err


# ---- 10: a full disk in exec mode ----------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_is_one_error_line_and_the_summary_names_exit_3(small_disk):
    out = small_disk / "x"  # 400 kB: the record fits, a failed run's 1 MB of output does not
    # --ok-status 1: its exit status 0 is the failure, whatever --fail-on would see
    rc, stdout, err = racelab("exec", "--runs", 3, "--ok-status", 1, "--out", out, "--",
                              program("aux_loud"), "fine")
    assert rc == 3, (stdout, err)
    lines = error_lines(err)
    assert len(lines) == 1 and "No space left on device" in lines[0], err
    assert "exit status 3" in stdout and "exit status 1" not in stdout
    assert "output in" not in stdout
    assert list((out / "output").iterdir()) == []  # no file that looks whole and is not
    assert "exit status 3" in (out / "summary.txt").read_text()


# ---- 12: the "run it again" line from another directory ------------------------------------


def test_the_rerun_line_works_from_another_directory(tmp_path):
    here = tmp_path / "here"
    here.mkdir()
    shutil.copy(program("wrong_lock_bug"), here / "wrong_lock_bug")
    # seed 3000 fails within 100 runs under pct:3 (test_exec_sched.py's table)
    rc, stdout, err = racelab("exec", "--mode", "sched", "--seed", 3000, "--runs", 100,
                              "--until-fail", "--out", "out", "--", "./wrong_lock_bug", cwd=here)
    assert rc == 1, (stdout, err)
    line = next(l for l in stdout.splitlines() if "run it again" in l).split("run it again", 1)[1]
    again = tmp_path / "again"
    proc = subprocess.run(line.strip().replace(" -- ", f" --out {again} -- ", 1), shell=True,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert record(here / "out")["exec"]["program"] == str(here / "wrong_lock_bug")


# ---- 14: rerun and report agree --------------------------------------------------------------


def test_rerun_and_report_agree_when_the_program_refuses_its_replay(tmp_path):
    rc, _, err = racelab("run", "list_append:racy", "--mode", "sched", "--trials", 20, "--seed", 1,
                         "--out", tmp_path / "a")
    assert rc == 0, err
    rec = json.loads((tmp_path / "a" / "runs.jsonl").read_text().splitlines()[0])
    rec["first_failure"]["schedule"] = "9.0*9.1"  # a thread the scenario does not have
    (tmp_path / "rec.json").write_text(json.dumps(rec) + "\n")
    rc, stdout, err = racelab("rerun", tmp_path / "rec.json", "--out", tmp_path / "b")
    assert "names thread 9" in record(tmp_path / "b")["error"]  # the program's refusal
    # README "Exit statuses": 2 is bad input, "also a program that refused its input"
    assert rc == 2, (stdout, err)
    assert "exit status 2" in stdout
    rc, stdout, err = racelab("report", tmp_path / "b")
    assert rc == 2, (stdout, err)
