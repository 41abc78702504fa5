"""Nothing passes that did not run (issue 22, docs/trust.md): the hostile
findings 1, 2, 3, 7, 8, 9, 11, 13, 15, 17 and 18, each as it was reproduced;
the default job's memoize runs; a failed fix's wording; variant-specific
points. (Findings 4, 5, 6, 10, 12 and 14 are exec's child runner and record
writer: another branch. Finding 16 is in test_asan.py; shards counted from 1
in test_shards.py; TAP 13 read by Debian's prove in test_reports.py.)

Every test here failed on main before the fix (e160c06): run it against
another build with RACELAB_BUILD=/path/to/build, and TRUST_SHARD_BASE=0 for
a build that counts shards from 0.

The shard night (module fixture): list_append and template_loader, plain,
fuzz, 100 trials each, seed 5, as 2 shards (one scenario group each; about
5 s on the 2-core machine).
"""
import json
import os
import shutil
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("RACELAB_BUILD", ROOT / "build"))
RACELAB = BUILD / "racelab"
BASE = int(os.environ.get("TRUST_SHARD_BASE", "1"))  # the first shard's number
PLAN = ["list_append", "template_loader", "--flavour", "plain", "--mode", "fuzz",
        "--trials", "100", "--seed", "5"]


def racelab(*args, timeout=300, cwd=ROOT, **kw):
    if not RACELAB.exists():
        pytest.fail(f"{RACELAB} is not built: run 'make driver' first")
    proc = subprocess.run([str(RACELAB), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, **kw)
    return proc.returncode, proc.stdout, proc.stderr


def one_line(err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def lines_of(path):
    return Path(path).read_text().splitlines()


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    root = tmp_path_factory.mktemp("trust-night")
    shards = []
    for k in range(2):
        out = root / f"s{k + 1}"
        rc, _, err = racelab("run", *PLAN, "--shard", f"{k + BASE}/2", "--out", out)
        assert rc in (0, 4), err
        shards.append(out)
    info = [json.loads((s / "shard.json").read_text()) for s in shards]
    assert sorted(len(i["runs"]) for i in info) == [3, 4]  # each shard has runs
    return shards


def copy_night(night, dest):
    copies = []
    for s in night:
        shutil.copytree(s, dest / s.name)
        copies.append(dest / s.name)
    return copies


# ---- rule 1: whole, typed records against their plan ------------------------------

@pytest.mark.parametrize("damage", ["emptied", "1-1-3", "truncated"])
def test_finding_1_merge_refuses_shards_whose_records_are_missing(night, tmp_path, damage):
    """Shard 1's runs.jsonl emptied, holding lines 1, 1, 3 (run 2 absent, run 1
    twice), or cut mid-line: exit 3 in one line, and no --out folder (main:
    exit 0, "4 of 7 runs finished: 4 met" or "7 of 7 ... 7 met")."""
    s1, s2 = copy_night(night, tmp_path)
    jsonl = s1 / "runs.jsonl"
    lines = lines_of(jsonl)
    if damage == "emptied":
        jsonl.write_text("")
    elif damage == "1-1-3":
        jsonl.write_text("\n".join([lines[0], lines[0], lines[2]]) + "\n")
    else:
        text = jsonl.read_text()
        jsonl.write_text(text[:len(text) - 40])
    rc, out, err = racelab("merge", s1, s2, "--out", tmp_path / "m")
    assert rc == 3, (out, err)
    assert "error" in one_line(err)
    assert not (tmp_path / "m").exists()


def test_finding_1_merge_of_whole_shards_still_passes(night, tmp_path):
    s1, s2 = copy_night(night, tmp_path)
    rc, out, err = racelab("merge", s1, s2, "--out", tmp_path / "m")
    assert rc in (0, 4), err
    assert "7 of 7 runs finished" in out
    assert f"exit status {rc}" in out


def big_stderr(shards, size):
    """A stderr file of SIZE bytes for every record: a merge copies them."""
    for s in shards:
        (s / "stderr").mkdir(exist_ok=True)
        for line in lines_of(s / "runs.jsonl"):
            run_id = json.loads(line)["run_id"]
            with open(s / "stderr" / f"{run_id}.txt", "wb") as f:
                f.write(b"x" * size)


def assert_no_torn_file(out):
    """OUT holds whole files only: runs.jsonl absent or every record of the
    plan, no temp file left, every copied stderr file whole."""
    if not out.exists():
        return
    jsonl = out / "runs.jsonl"
    if jsonl.exists():
        text = jsonl.read_text()
        assert text.endswith("\n"), text[-200:]
        assert len([json.loads(x) for x in text.splitlines()]) == 7
    for f in out.rglob("*"):
        assert "XXXXXX" not in f.name and not f.name.endswith(".tmp"), f
        if f.parent.name == "stderr":
            assert f.stat().st_size == 4 << 20, f


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_finding_2_a_killed_merge_leaves_no_torn_file(night, tmp_path, sig):
    """SIGTERM or SIGINT 0 to 0.4 s into a merge that copies 28 MB of stderr
    files (7 x 4 MB): whatever the moment, OUT holds no torn file (main: a
    runs.jsonl of 4096 bytes with no final newline). 10 moments, 0.04 s
    apart; at least one must land mid-merge, else the test says nothing: the
    merge takes 0.15 to 0.2 s here, so about 4 of the 10 do."""
    shards = copy_night(night, tmp_path)
    big_stderr(shards, 4 << 20)
    killed = 0
    for i in range(10):
        out = tmp_path / f"m{i}"
        proc = subprocess.Popen([str(RACELAB), "merge", *map(str, shards), "--out", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.04 * i)
        proc.send_signal(sig)
        rc = proc.wait(timeout=60)
        killed += rc == -sig
        assert_no_torn_file(out)
    assert killed >= 1


@pytest.fixture
def small_disk(tmp_path):
    """A 200 kB tmpfs (root only; skipped elsewhere, saying why)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs",
                                            str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root?)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)])


def test_finding_2_a_full_disk_merge_says_so_and_leaves_no_torn_file(night, tmp_path,
                                                                      small_disk):
    """Merging 7 x 64 kB of stderr files onto a 200 kB disk: exit 3 with a
    one-line error (main: exit 3, nothing said, runs.jsonl cut mid-string),
    and `report` on the folder does not pass (main: exit 0)."""
    shards = copy_night(night, tmp_path)
    big_stderr(shards, 64 << 10)
    out = small_disk / "m"
    rc, stdout, err = racelab("merge", *shards, "--out", out)
    assert rc == 3
    assert "No space left on device" in one_line(err)
    jsonl = out / "runs.jsonl"
    assert not jsonl.exists() or jsonl.read_text().endswith("\n")
    assert racelab("report", out)[0] != 0


@pytest.fixture(scope="module")
def good_record(tmp_path_factory):
    out = tmp_path_factory.mktemp("trust-good") / "r"
    rc, _, err = racelab("run", "list_append:locked", "--flavour", "plain", "--mode", "fuzz",
                         "--trials", "200", "--seed", "3", "--out", out)
    assert rc in (0, 4), err
    (rec,) = [r for r in map(json.loads, lines_of(out / "runs.jsonl")) if r["variant"] == "locked"]
    return rec


def folder_with(tmp_path, name, text):
    d = tmp_path / name
    d.mkdir()
    (d / "runs.jsonl").write_text(text)
    return d


@pytest.mark.parametrize("case", ["fields-missing", "trials-negative", "trials-text",
                                  "trials-zero", "trials-real"])
def test_finding_3_report_grades_a_record_that_is_not_whole_as_error(tmp_path, good_record,
                                                                     case):
    """A record lacking fields or with ill-typed ones: class error, exit 3, a
    one-line message and an <error> test case (main: exit 0, a passing test
    case "no verdict", `ok`)."""
    rec = dict(good_record)
    if case == "fields-missing":
        rec = {"scenario": "list_append", "variant": "locked", "met": True}
    elif case == "trials-negative":
        rec["trials"] = -5
    elif case == "trials-text":
        rec["trials"], rec["verdict"] = "abc", 5
    elif case == "trials-zero":
        rec["trials"] = 0
    else:
        rec["trials"] = 200.5
    d = folder_with(tmp_path, "f", json.dumps(rec) + "\n")
    rc, _, err = racelab("report", d)
    assert rc == 3, err
    assert "not a whole record" in one_line(err)
    junit = ET.parse(d / "junit.xml").getroot()
    assert junit.find(".//testcase/error") is not None
    assert "\nnot ok 1 " in (d / "results.tap").read_text()


def test_finding_3_a_whole_record_still_passes(tmp_path, good_record):
    d = folder_with(tmp_path, "f", json.dumps(good_record) + "\n")
    rc, _, err = racelab("report", d)
    assert rc == 0 and err == ""


@pytest.mark.parametrize("case", ["empty", "torn-last-line", "run-id-twice"])
def test_finding_3_report_and_diff_refuse_what_did_not_run(tmp_path, good_record, case):
    """An empty runs.jsonl, a torn last line, a run written twice: report and
    diff exit 3 in one line (main: exit 0, `1..0 # SKIP`; the torn line
    skipped in silence)."""
    line = json.dumps(good_record) + "\n"
    text = {"empty": "", "torn-last-line": line + line[:-30],
            "run-id-twice": line + line}[case]
    bad = folder_with(tmp_path, "bad", text)
    base = folder_with(tmp_path, "base", line)
    rc, _, err = racelab("report", bad)
    assert rc == 3 and "error" in one_line(err)
    rc, _, err = racelab("diff", base, bad)
    assert rc == 3 and "error" in one_line(err)


# ---- rule 2: every file through a temp file, renamed --------------------------------

def test_finding_7_diff_json_replaces_a_symlink_never_writes_through_it(tmp_path, good_record):
    """diff --json LINK where LINK points at another file: that file is
    untouched, LINK becomes the diff (main: written through the link; run
    as root with a link to /etc/passwd, it overwrote /etc/passwd)."""
    base = folder_with(tmp_path, "base", json.dumps(good_record) + "\n")
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / "diff.json"
    link.symlink_to(victim)
    rc, _, err = racelab("diff", base, base, "--json", link)
    assert rc == 0, err
    assert victim.read_text() == "precious\n"
    assert not link.is_symlink() and json.loads(link.read_text())["exit_status"] == 0


def test_finding_7_a_full_disk_keeps_the_old_diff_json(tmp_path, good_record, small_disk):
    """ENOSPC: exit 3 in one line, and the diff.json already there is kept
    whole (main: a 0-byte file)."""
    base = folder_with(tmp_path, "base", json.dumps(good_record) + "\n")
    target = small_disk / "diff.json"
    target.write_text('{"old": true}\n')
    (small_disk / "filler").write_bytes(b"\0" * (os.statvfs(small_disk).f_bavail *
                                                 os.statvfs(small_disk).f_frsize))
    rc, out, err = racelab("diff", base, base, "--json", target)
    assert rc == 3 and "No space left on device" in one_line(err)
    assert "exit status 3" in out  # the table says the status diff exits with
    assert target.read_text() == '{"old": true}\n'


def test_finding_8_junit_stays_utf8(tmp_path, good_record):
    """A variant holding the bytes ff fe c0 af: junit.xml is well-formed
    UTF-8 XML (main: xmllint said "Input is not proper UTF-8")."""
    line = json.dumps(good_record).replace('"variant": "locked"', '"variant": "lo@cked"')
    raw = line.encode().replace(b"@", b"\xff\xfe\xc0\xaf") + b"\n"
    d = tmp_path / "f"
    d.mkdir()
    (d / "runs.jsonl").write_bytes(raw)
    rc, _, err = racelab("report", d)
    assert rc == 0, err
    data = (d / "junit.xml").read_bytes()
    data.decode("utf-8")  # strict
    ET.fromstring(data)
    if shutil.which("xmllint"):
        lint = subprocess.run(["xmllint", "--noout", str(d / "junit.xml")],
                              capture_output=True, text=True)
        assert lint.returncode == 0, lint.stderr


def test_finding_9_the_summary_says_the_status_the_process_exits_with(tmp_path):
    """results.tap cannot be written (a directory stands at its name, as a
    full disk would fail it): exit 3 in one line, and stdout and summary.txt
    say exit status 3 (main: "exit status 0: every expectation met", exit 3)."""
    out = tmp_path / "r"
    (out / "results.tap").mkdir(parents=True)
    (out / "results.tap" / "keep").write_text("x")
    rc, stdout, err = racelab("run", "list_append:locked", "--flavour", "plain", "--mode",
                              "fuzz", "--trials", "100", "--seed", "1", "--out", out)
    assert rc == 3
    assert "results.tap" in one_line(err)
    assert "exit status 3" in stdout and "exit status 0" not in stdout
    summary = (out / "summary.txt").read_text()
    assert "exit status 3" in summary and "exit status 0" not in summary


@pytest.mark.parametrize("bad_line", ["deep", "nul", "garbage"])
def test_finding_11_a_bad_shard_line_makes_no_out_folder(night, tmp_path, bad_line):
    """A line 10000 arrays deep, a NUL inside a record, or garbage: exit 3
    (a shard that is not whole records: rule 1) and no --out folder (main:
    exit 2 and an empty folder made)."""
    s1, s2 = copy_night(night, tmp_path)
    lines = lines_of(s1 / "runs.jsonl")
    lines[1] = {"deep": "[" * 10000 + "]" * 10000,
                "nul": lines[1][:20] + "\0" + lines[1][20:],
                "garbage": "%%% not a record %%%"}[bad_line]
    (s1 / "runs.jsonl").write_text("\n".join(lines) + "\n")
    rc, _, err = racelab("merge", s1, s2, "--out", tmp_path / "m")
    assert rc == 3
    assert "error" in one_line(err)
    assert not (tmp_path / "m").exists()


# ---- cc, compare, exec options ----------------------------------------------------

OK_C = "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n"


def cc_ready():
    if shutil.which("clang") is None or not (BUILD / "cc" / "libracelab-cc.a").exists():
        pytest.skip("clang or build/cc/libracelab-cc.a missing (make cc)")


def test_finding_13_cc_builds_from_stdin(tmp_path):
    """racelab cc -x c - -o x < ok.c builds, as plain clang does (main: exit
    1, clang read libracelab-cc.a as C)."""
    cc_ready()
    rc, _, err = racelab("cc", "-x", "c", "-", "-o", tmp_path / "x", input=OK_C)
    assert rc == 0, err
    assert subprocess.run([str(tmp_path / "x")], capture_output=True,
                          text=True).stdout == "hello\n"


@pytest.mark.parametrize("flag", ["-static", "--static", "-static-pie"])
def test_finding_18_cc_refuses_a_static_link(tmp_path, flag):
    """racelab cc -static: exit 2 in one line, nothing built (main: built, and
    exec then refused the binary)."""
    cc_ready()
    src = tmp_path / "ok.c"
    src.write_text(OK_C)
    rc, _, err = racelab("cc", flag, src, "-o", tmp_path / "x")
    assert rc == 2 and flag in one_line(err)
    assert not (tmp_path / "x").exists()
    rc, _, err = racelab("cc", flag, "-c", src, "-o", tmp_path / "x.o")  # compiling: fine
    assert rc == 0, err


@pytest.mark.parametrize("values", ["1,,2", "1,2,", "4,4", ",1"])
def test_finding_15_compare_refuses_empty_and_repeated_param_values(values):
    rc, out, err = racelab("compare", "model_save", "--param", f"instances={values}",
                           "--no-cost", "--flavour", "plain")
    assert rc == 2 and out == ""
    assert "--param" in one_line(err)


@pytest.mark.parametrize("pattern", ["", "x*", "^"])
def test_finding_17_fail_on_that_matches_empty_output_is_refused(tmp_path, pattern):
    """--fail-on '' (or any pattern matching no output at all): exit 2 in one
    line (main: accepted, then every run failed)."""
    rc, out, err = racelab("exec", "--fail-on", pattern, "--runs", "2", "--out", tmp_path / "o",
                           "--", "/bin/true")
    assert rc == 2 and "--fail-on" in one_line(err)
    assert not (tmp_path / "o").exists()


# ---- the default job, wording, points ---------------------------------------------

def test_memoize_plain_is_not_judged_without_a_judgeable_control(tmp_path):
    """memoize's only racy variant (plain-port) is caught by TSan only, so in
    the plain build no control can show the bug: its fixes are not judged
    there (met null, exit 0), as plain-port itself is not (main: both
    inconclusive, exit 4: `make run` could never pass)."""
    rc, out, err = racelab("run", "memoize", "--flavour", "plain", "--mode", "fuzz",
                           "--seconds", "0.3", "--seed", "2", "--out", tmp_path / "r")
    assert rc == 0, out + err
    recs = {r["variant"]: r for r in map(json.loads, lines_of(tmp_path / "r" / "runs.jsonl"))}
    for fix in ("as-written", "per-key-once"):
        assert recs[fix]["met"] is None and recs[fix]["verdict"] != "inconclusive", recs[fix]
        assert recs[fix]["control"]["verdict"] == "none"
    assert "no racy variant can be judged here: not judged" in out


def test_a_failed_fix_shows_its_rate_not_an_upper_bound():
    """list_append:locked with a 3 s delay at its point and a 0.2 s watchdog:
    every trial hangs, the fix fails; the summary gives the rate and its
    interval (main: "per-trial failure probability < ... (95% upper
    bound)" beside the failures)."""
    proc = subprocess.run([str(BUILD / "plain" / "list_append"), "--variant", "locked",
                           "--mode", "fuzz", "--inject", "list_append/between:delay=3s",
                           "--timeout", "0.2", "--trials", "2", "--seed", "1"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "verdict: fails" in proc.stdout
    assert "upper bound" not in proc.stdout and "<" not in proc.stdout
    assert "failure rate 1: 1 of 1 trials (95% interval" in proc.stdout


FIXES_WITH_OTHER_PATHS = ["locked_decorator:eager", "log_append:o-append",
                          "model_save:atomic-update", "session_save"]


def test_variant_specific_points_give_correct_runs_no_warning(tmp_path):
    """The variants that take another path (a lock made eagerly, O_APPEND, an
    UPDATE without a SELECT, the file or the database session store) declare
    the points they never reach: no "points never hit" (main: four such
    warnings per scenario, every run). The descriptor says who reaches what."""
    rc, out, err = racelab("run", *FIXES_WITH_OTHER_PATHS, "--flavour", "plain", "--mode",
                           "fuzz", "--trials", "300", "--seed", "4", "--out", tmp_path / "r")
    assert rc == 0, out + err
    assert "never hit" not in out + err
    for r in map(json.loads, lines_of(tmp_path / "r" / "runs.jsonl")):
        assert r["points_unhit"] == [], (r["variant"], r["points_unhit"])
    desc = json.loads(subprocess.run([str(BUILD / "plain" / "session_save"), "--describe"],
                                     capture_output=True, text=True).stdout)
    variants = {v["name"] for v in desc["variants"]}
    reached = {p["name"]: p["reached_by"] for p in desc["points"]}
    assert reached["session_save/write"] == ["in-place", "tmp-rename"]
    assert all(set(r or []) <= variants for r in reached.values())


def test_a_run_whose_every_trial_deadlocked_names_no_unhit_point():
    """appcache_deadlock:racy made to deadlock in its first trial (its view
    thread held back 20 ms, the populating thread 100 ms at `populate`,
    holding lock A: the view thread then holds B and waits for A): the run
    ends there, before import-app and register-models, which says nothing of
    where they are placed. No warning, points_unhit null (before: "2 declared
    points never reached", as `make run` printed for its tsan twin). 10 of
    10 runs of this command deadlocked in trial 0: the margin is 80 ms of
    delay against thread start-up of well under 1 ms."""
    args = [str(BUILD / "plain" / "appcache_deadlock"), "--variant", "racy", "--mode", "fuzz",
            "--inject", "appcache/accept-view:delay=20ms", "--inject",
            "appcache/populate:delay=100ms", "--timeout", "0.5", "--trials", "3", "--seed", "1"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "deadlock                     forbidden    1" in proc.stdout
    assert "never reached" not in proc.stdout, proc.stdout
    proc = subprocess.run([*args, "--json"], capture_output=True, text=True, timeout=60)
    rec = json.loads(proc.stdout.splitlines()[-1])
    assert rec["trials"] == rec["hangs"] == 1 and rec["points_unhit"] is None
