"""The racelab driver's points, rerun and repro commands, the --profile and
--posix-faults pass-through, and the removal of fiu-run's FIFOs left by
crashed runs; with real scenario programs (and fixture programs where a run
must crash). Budgets are trial counts; the file runs in about 15 s.
"""
import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, ROOT, describe
from test_driver import FIXTURES, RACELAB, one_line, racelab, runs

POSIX_WRITE = "posix/io/rw/write:p=0.05,errno=EIO"


# ---- points ---------------------------------------------------------------


def test_points_lists_every_scenario_and_one(tmp_path):
    rc, out, _ = racelab("points")
    assert rc == 0
    header, *lines = out.splitlines()
    assert header.split() == ["scenario", "point", "kind", "meaning"]
    scenarios = {line.split()[0] for line in lines}
    assert {"list_append", "log_append", "appcache_deadlock"} <= scenarios
    assert all(line.split()[2] in ("delay", "fault") for line in lines)

    rc, out, _ = racelab("points", "log_append", "--json")
    assert rc == 0
    listed = json.loads(out)
    points = describe("plain", "log_append")["points"]
    assert [(p["name"], p["kind"], p["meaning"]) for p in listed] == \
        [(p["name"], p["kind"], p["meaning"]) for p in points]
    assert {p["scenario"] for p in listed} == {"log_append"}
    assert ("log_append/write", "fault") in {(p["name"], p["kind"]) for p in listed}

    rc, out, _ = racelab("points", "log_append")
    assert rc == 0 and len(out.splitlines()) == 1 + len(points)
    assert any(line.split()[1:3] == ["log_append/write", "fault"] for line in out.splitlines())

    rc, out, err = racelab("points", "no_such")
    assert rc == 2 and out == ""
    line = one_line(err)
    assert "no_such" in line and "list_append" in line and "log_append" in line


# ---- --profile and --posix-faults ------------------------------------------


def test_profile_and_posix_faults_reach_the_programs(tmp_path):
    out = tmp_path / "a"
    rc, _, err = racelab("run", "log_append:o-append", "list_append:locked", "--mode", "fuzz",
                         "--flavour", "plain", "--trials", 300, "--seed", 3,
                         "--profile", "gentle", "--posix-faults", POSIX_WRITE, "--out", out)
    assert rc == 0, err
    log, lst = runs(out)
    for rec in (log, lst):  # given to every run; it acts where there is real I/O
        assert rec["profile"] == "gentle" and rec["posix_faults"] == [POSIX_WRITE]
        assert rec["command"][rec["command"].index("--posix-faults") + 1] == POSIX_WRITE
        assert rec["inject"] == ["*:yield,p=0.1"]
    assert log["outcomes"]["write-error-reported"] > 0  # the real write() failed
    assert log["forbidden"] == 0 and log["verdict"] == "holds"
    assert lst["forbidden"] == 0 and lst["verdict"] == "holds"  # no real I/O: nothing failed


@pytest.mark.parametrize("args, words", [
    (["--mode", "fuzz", "--profile", "bogus"], ["bogus", "gentle"]),
    (["--mode", "stress", "--profile", "gentle"], ["fuzz"]),
    (["--mode", "fuzz", "--posix-faults", "write:p=0.1"], ["write:p=0.1", "posix/"]),
    (["--posix-faults", "posix/io/rw/write:errno=EWHAT"], ["EWHAT"]),
    (["--posix-faults", "libc/mm/malloc:p=0.1", "--flavour", "tsan"], ["TSan"]),
])
def test_bad_profile_or_posix_fault_is_one_line_and_exit_2(tmp_path, args, words):
    rc, out, err = racelab("run", "log_append:racy", "--out", tmp_path / "o", *args)
    assert rc == 2 and out == ""
    line = one_line(err)
    assert all(w in line for w in words), line
    assert not (tmp_path / "o").exists()


# ---- rerun --------------------------------------------------------------------


def test_rerun_replays_a_failing_schedule(tmp_path):
    rc, out, err = racelab("run", "list_append:racy", "--mode", "sched", "--trials", 500,
                           "--until-fail", "--flavour", "plain", "--out", tmp_path / "a")
    assert rc == 0, err
    # --until-fail says how to run the kept failure again
    assert f"racelab rerun {tmp_path / 'a'}/runs.jsonl --line 1" in out
    (old,) = runs(tmp_path / "a")
    schedule = old["first_failure"]["schedule"]
    assert old["verdict"] == "reproduced" and schedule

    # the runs.jsonl itself (one line), the same line on stdin, --line 1
    rc, out, err = racelab("rerun", tmp_path / "a" / "runs.jsonl", "--out", tmp_path / "b")
    assert rc == 0, err
    proc = subprocess.run([str(RACELAB), "rerun", "-", "--out", str(tmp_path / "c")],
                          input=(tmp_path / "a" / "runs.jsonl").read_text(),
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    rc, _, err = racelab("rerun", tmp_path / "a" / "runs.jsonl", "--line", 1,
                         "--out", tmp_path / "d")
    assert rc == 0, err
    for folder in "bcd":
        (new,) = runs(tmp_path / folder)
        for key in ("scenario", "variant", "flavour", "mode", "seed", "until_fail", "timeout"):
            assert new[key] == old[key], key
        cmd = new["command"]
        assert cmd[cmd.index("--trials") + 1] == str(old["trials"])
        assert cmd[cmd.index("--seed") + 1] == str(old["seed"])
        assert cmd[cmd.index("--strategy") + 1] == old["sched"]["strategy"]
        assert cmd[cmd.index("--replay") + 1] == schedule
        assert new["sched"]["replay"] == schedule
        # the same failure, at once: every trial follows the failing schedule
        assert new["first_failure"]["cause"] == old["first_failure"]["cause"]
        assert new["first_failure"]["schedule"] == schedule
        assert new["first_failure"]["trial"] == 0
        assert new["verdict"] == old["verdict"]
    shown = [line for line in out.splitlines() if line.startswith("command: ")]
    assert len(shown) == 1 and "--replay " + shlex.quote(schedule) in shown[0]
    assert shlex.split(shown[0][len("command: "):])[1:] == runs(tmp_path / "b")[0]["command"][1:]
    assert any(line.startswith("list_append ") and "reproduced" in line
               for line in out.splitlines())  # the summary row


def test_rerun_of_a_fuzz_record_gives_the_profile_by_name(tmp_path):
    rc, _, err = racelab("run", "log_append:o-append", "--mode", "fuzz", "--flavour", "plain",
                         "--trials", 200, "--seed", 11, "--posix-faults", POSIX_WRITE,
                         "--profile", "default", "--inject", "log_append/seek:yield",
                         "--param", "records=3", "--out", tmp_path / "a")
    assert rc == 0, err
    (old,) = runs(tmp_path / "a")
    assert old["inject"] == ["*:delay=100us,p=0.2", "log_append/seek:yield"]
    assert old["params"] == {"records": 3}
    # the same run, but the default profile as the program applies it by itself
    rc, _, err = racelab("run", "log_append:o-append", "--mode", "fuzz", "--flavour", "plain",
                         "--trials", 200, "--seed", 11, "--out", tmp_path / "p")
    (plain_default,) = runs(tmp_path / "p")
    assert plain_default["default_profile"] is True and "--profile" not in plain_default["command"]
    for src, dst in ((tmp_path / "a", tmp_path / "b"), (tmp_path / "p", tmp_path / "q")):
        rc, _, err = racelab("rerun", src / "runs.jsonl", "--out", dst)
        assert rc == 0, err
        (before,), (after,) = runs(src), runs(dst)
        cmd = after["command"]
        assert cmd[cmd.index("--profile") + 1] == "default"
        assert "*:delay=100us,p=0.2" not in cmd  # the profile by name, not its spec
        assert [cmd[i + 1] for i, w in enumerate(cmd) if w == "--inject"] == before["inject"][1:]
        for key in ("inject", "profile", "default_profile", "posix_faults", "params", "seed",
                    "trials", "mode"):
            assert after[key] == before[key], key
    (after,) = runs(tmp_path / "b")
    assert after["outcomes"]["write-error-reported"] > 0


@pytest.mark.parametrize("content, extra, words", [
    ("", [], ["no record"]),
    ("not json\n", [], ["not a JSON record"]),
    ('{"verdict": "holds"}\n', [], ["not a run record"]),
    ('{"scenario": "no_such", "variant": "racy"}\n', [], ["no_such", "list_append"]),
    ('{"scenario": "list_append", "variant": "nope", "flavour": "plain", "mode": "stress"}\n',
     [], ["nope"]),
    ('{"scenario": "list_append", "variant": "racy", "flavour": "plain", "mode": "warp",'
     ' "seed": 1, "trials": 5}\n', [], ["mode"]),
    ('{"scenario": "list_append", "variant": "racy", "flavour": "asan", "mode": "stress"}\n',
     [], ["flavour"]),
    ('{"scenario": "list_append", "variant": "racy"}\n' * 2, [], ["2 records", "--line"]),
    ('{"scenario": "list_append", "variant": "racy"}\n', ["--line", "3"], ["no line 3"]),
    (None, [], ["cannot read"]),
])
def test_bad_record_is_one_line_and_exit_2(tmp_path, content, extra, words):
    record = tmp_path / "record.jsonl"
    if content is not None:
        record.write_text(content)
    rc, out, err = racelab("rerun", record, *extra, "--out", tmp_path / "o")
    assert rc == 2 and out == ""
    line = one_line(err)
    assert all(w in line for w in words), line
    assert not (tmp_path / "o").exists()


# ---- repro ------------------------------------------------------------------------


def test_repro_prints_the_minimal_deadlock(tmp_path):
    rc, out, err = racelab("repro", "appcache_deadlock:racy", "--seed", 1,
                           "--out", tmp_path / "a")
    assert rc == 0, out + err
    lines = out.splitlines()
    fields = {line.split()[0]: line.split(None, 1)[1] for line in lines
              if line.startswith("  ") and not line.startswith("  step")
              and len(line.split()) > 1}
    assert fields["preemptions"].startswith("1, proven minimal")
    assert fields["cause"] == "deadlock"
    assert "AppCache.write_lock" in fields["waits"] and "import lock" in fields["waits"]
    trace = [line for line in lines if line.startswith("  step")]
    assert any("AppCache.write_lock" in line for line in trace)
    assert any("import lock" in line for line in trace)
    assert "deadlock" in trace[-1]
    (rec,) = runs(tmp_path / "a")
    shrunk = rec["sched"]["shrunk"]
    assert fields["schedule"] == shrunk["schedule"]
    assert shrunk["preemptions"] == 1 and shrunk["minimal"] is True
    assert "--shrink" in rec["command"] and "--until-fail" in rec["command"]
    assert rec["command"][rec["command"].index("--strategy") + 1] == "pct:3"
    assert rec["command"][rec["command"].index("--trials") + 1] == "5000"
    # the replay command it prints gives the same deadlock on every trial
    replay = lines[lines.index("replay it:") + 1].strip()
    assert replay.startswith("build/plain/appcache_deadlock --variant racy --mode sched --replay ")
    proc = subprocess.run(shlex.split(replay) + ["--trials", "3", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    again = json.loads(proc.stdout)
    assert again["outcomes"]["deadlock"] == 3 and again["sched"]["replay"] == shrunk["schedule"]


def test_repro_of_a_tsan_only_variant_exits_2(tmp_path):
    rc, out, err = racelab("repro", "wsgi_middleware:dcl-plain", "--out", tmp_path / "a")
    assert rc == 2 and out == ""
    assert "TSan" in one_line(err)
    assert not (tmp_path / "a").exists()
    for args in (["appcache_deadlock"], ["appcache_deadlock:racy", "--mode", "fuzz"],
                 ["appcache_deadlock:racy", "--flavour", "both"], []):
        rc, _, err = racelab("repro", *args, "--out", tmp_path / "b")
        assert rc == 2, args
        one_line(err)


def test_repro_that_finds_nothing_exits_1(tmp_path):
    rc, out, err = racelab("repro", "appcache_deadlock:ordered", "--trials", 200, "--seed", 2,
                           "--out", tmp_path / "a")
    assert rc == 1, err
    assert "no failure" in out and "200 trials" in out
    (rec,) = runs(tmp_path / "a")
    assert rec["first_failure"] is None and rec["trials"] == 200


# ---- fiu-run FIFOs left by crashed runs ------------------------------------------


def fifos(pid, folder="/tmp"):
    return sorted(Path(folder).glob(f"fiu-ctrl-{pid}.*"))


@pytest.fixture
def fiu_build(tmp_path):
    """A build folder whose one program runs fx_segv under fiu-run (which
    makes the control FIFOs), and fx_ok."""
    for name in ("fx_segv", "fx_ok"):
        if not (FIXTURES / name).exists():
            pytest.fail(f"{FIXTURES / name} is not built: run 'make driver' first")
    plain = tmp_path / "build" / "plain"
    plain.mkdir(parents=True)
    wrapper = plain / "fx_fiusegv"
    wrapper.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do\n'
        '  if [ "$a" = --describe ]; then\n'
        f'    {FIXTURES}/fx_segv --describe | sed "s/fx_segv/fx_fiusegv/"\n'
        "    exit\n"
        "  fi\n"
        "done\n"
        f'exec fiu-run {FIXTURES}/fx_segv "$@"\n')
    wrapper.chmod(0o755)
    (plain / "fx_ok").symlink_to(FIXTURES / "fx_ok")
    return tmp_path / "build"


def test_fifos_of_dead_processes_are_removed_at_start(fiu_build, tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = [Path(f"/tmp/fiu-ctrl-{dead.pid}.in"), Path(f"/tmp/fiu-ctrl-{dead.pid}.out")]
    alive = Path(f"/tmp/fiu-ctrl-{os.getpid()}.in")  # this test's own pid: kept
    try:
        for path in stale + [alive]:
            if not path.exists():
                os.mkfifo(path)
        rc, _, err = racelab("run", "--build", fiu_build, "fx_ok:racy", "--flavour", "plain",
                             "--out", tmp_path / "out")
        assert rc == 0, err
        assert not any(p.exists() for p in stale)
        assert alive.exists()
    finally:
        for path in stale + [alive]:
            if path.exists():
                path.unlink()


@pytest.mark.skipif(not any((Path(d) / "fiu-run").exists()
                            for d in os.environ.get("PATH", "").split(":")),
                    reason="fiu-run is not installed")
def test_fifos_of_a_crashed_run_are_removed(fiu_build, tmp_path):
    tmp = os.environ.get("TMPDIR") or "/tmp"
    # the premise: a program that dies under fiu-run leaves its FIFOs
    proc = subprocess.Popen([str(fiu_build / "plain" / "fx_fiusegv"), "--variant", "racy"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.wait(timeout=30)
    left = fifos(proc.pid, tmp)
    for path in left:
        path.unlink()
    assert proc.returncode < 0 and len(left) == 2, left
    # through the driver: the run is a crash, and its FIFOs are gone
    rc, _, _ = racelab("run", "--build", fiu_build, "fx_fiusegv", "--flavour", "plain",
                       "--out", tmp_path / "out")
    recs = runs(tmp_path / "out")
    assert len(recs) == 2 and rc == 1  # the fixed variant's crash is a failure
    for rec in recs:
        assert rec["signal"] == "SIGSEGV" and rec["pid"] > 0
        assert fifos(rec["pid"], tmp) == [] and fifos(rec["pid"]) == []
