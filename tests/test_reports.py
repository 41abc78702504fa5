"""Reports: junit.xml, results.tap, report.html, `racelab report`, `racelab
diff` and scripts/nightly, on results folders made here by real runs.

Folders (module fixture, ~15 s on the 2-core machine):
  old    list_append:locked and :racy, plain, fuzz, 0.3 s each: both met
  new    the same with `--inject 'list_append/between:delay=3s' --timeout 0.2`:
         every trial sleeps up to 3 s at the point, the program's watchdog
         calls it a hang, so the fix `locked` fails (a regression) and `racy`
         reproduces (deadlock)
  tsan   list_append:racy, tsan flavour: TSan sites
  weak   list_append:racy in sched mode with dfs:0 and one trial: the one
         schedule without a preemption cannot lose an append, so the racy
         variant is not reproduced (weak evidence), deterministically
  ctrl   the same key reproduced (pct:3, seed 1, 300 trials): the diff's
         detector regression against `weak`
  skip   wsgi_middleware:no-finally in stress mode: not judged (met null)
  fx     test fixtures through --build: a hang past the driver's deadline
         (gdb stacks), a crash, a program that prints no record (error)
  mixed  old + new + tsan + weak + skip + fx records in one runs.jsonl
The browser checks use headless Chromium over the DevTools pipe
(tests/browser.py); a screenshot goes to results/test_reports/.
"""
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import browser
from conftest import BUILD, ROOT

RACELAB = BUILD / "racelab"
XSD = ROOT / "tests" / "data" / "junit.xsd"
SHOTS = ROOT / "results" / "test_reports"
FAST = ["--flavour", "plain", "--mode", "fuzz", "--seconds", "0.3", "--seed", "7"]
HANG = ["--inject", "list_append/between:delay=3s", "--timeout", "0.2"]


def racelab(*args, timeout=120):
    if not RACELAB.exists():
        pytest.fail(f"{RACELAB} is not built: run 'make driver' first")
    proc = subprocess.run([str(RACELAB), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    return proc.returncode, proc.stdout, proc.stderr


def run_into(out, *args):
    rc, stdout, stderr = racelab("run", *args, "--out", out)
    assert (Path(out) / "runs.jsonl").exists(), stdout + stderr
    return rc


def records(folder):
    return [json.loads(x) for x in (Path(folder) / "runs.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    f = {name: root / name for name in ("old", "new", "tsan", "weak", "ctrl", "skip", "fx")}
    assert run_into(f["old"], "list_append:locked", "list_append:racy", *FAST) == 0
    assert run_into(f["new"], "list_append:locked", "list_append:racy", *FAST, *HANG) == 1
    assert run_into(f["tsan"], "list_append:racy", "--flavour", "tsan", "--mode", "fuzz",
                    "--seconds", "0.3") == 0
    sched = ["--flavour", "plain", "--mode", "sched"]
    assert run_into(f["weak"], "list_append:racy", *sched, "--strategy", "dfs:0",
                    "--trials", "1") == 4
    assert run_into(f["ctrl"], "list_append:racy", *sched, "--strategy", "pct:3",
                    "--trials", "300", "--seed", "1") == 0
    assert run_into(f["skip"], "wsgi_middleware:no-finally", "--flavour", "plain",
                    "--mode", "stress", "--trials", "200") == 0
    build = root / "fxbuild"
    (build / "plain").mkdir(parents=True)
    (build / "tsan").mkdir()
    for name in ("fx_hang", "fx_segv", "fx_garbage"):
        (build / "plain" / name).symlink_to(BUILD / "fixtures" / name)
    assert run_into(f["fx"], "--build", build, "fx_hang:fixed", "fx_segv:fixed",
                    "fx_garbage:silent", "--flavour", "plain", "--deadline", "1") == 3
    mixed = root / "mixed"
    mixed.mkdir()
    with open(mixed / "runs.jsonl", "w") as out:
        for name in ("old", "new", "tsan", "weak", "skip", "fx"):
            for rec in records(f[name]):  # run ids made unique: a run id twice is an error
                rec["run_id"] = f"{name}-{rec['run_id']}"
                out.write(json.dumps(rec) + "\n")
    f["mixed"] = mixed
    return f


def report(folder):
    return racelab("report", folder)


# ---- every folder ---------------------------------------------------------

def test_run_writes_the_three_reports(folders):
    for name in ("old", "new", "weak", "fx"):
        for file in ("junit.xml", "results.tap", "report.html"):
            assert (folders[name] / file).stat().st_size > 0, (name, file)


def test_report_exits_by_class(folders):
    expected = {"old": 0, "new": 1, "tsan": 0, "weak": 4, "skip": 0, "fx": 3, "mixed": 3}
    for name, status in expected.items():
        rc, out, err = report(folders[name])
        assert rc == status, (name, out, err)


# ---- junit.xml -------------------------------------------------------------

def test_junit_validates_against_the_schema(folders):
    if shutil.which("xmllint") is None:
        pytest.fail("xmllint is missing: scripts/setup installs libxml2-utils")
    for name in folders:
        report(folders[name])
        proc = subprocess.run(["xmllint", "--noout", "--schema", str(XSD),
                               str(folders[name] / "junit.xml")], capture_output=True, text=True)
        assert proc.returncode == 0, (name, proc.stderr)


def test_junit_maps_classes_to_failure_error_skipped(folders):
    report(folders["mixed"])
    tree = ET.parse(folders["mixed"] / "junit.xml").getroot()
    suites = {s.get("name"): s for s in tree.findall("testsuite")}
    assert set(suites) == {"list_append", "wsgi_middleware", "fx_hang", "fx_segv", "fx_garbage"}
    cases = {(c.get("classname"), c.get("name")): c for s in suites.values()
             for c in s.findall("testcase")}
    # one testcase per run, named variant flavour mode
    assert len(cases) == len(records(folders["mixed"])) - 2  # old and new share keys
    la = suites["list_append"]
    failures = {(c.get("name"), f.get("type")): f for c in la.findall("testcase")
                for f in c.findall("failure")}
    regression = failures[("locked plain fuzz", "regression")]
    msg = regression.get("message")
    assert "fails in plain fuzz" in msg and "failure in 1 trial" in msg and "deadlock" in msg
    assert "rate 1, 95% interval [0.207, 1]" in msg
    assert re.search(r"rerun: racelab rerun \S+/runs.jsonl --line \d+", regression.text)
    weak = failures[("racy plain sched", "weak-evidence")]
    assert "not-reproduced" in weak.get("message")
    assert "below 0.95 (95% upper bound)" in weak.get("message")
    props = {(p.get("name"), p.get("value")) for p in la.find("properties")}
    assert ("racelab.weak-evidence", "racy plain sched") in props
    skipped = cases[("wsgi_middleware.no-finally", "no-finally plain stress")]
    assert skipped.find("skipped") is not None and skipped.find("failure") is None
    error = cases[("fx_garbage.silent", "silent plain stress+fuzz")].find("error")
    assert error is not None and error.get("type") == "harness"
    assert "nothing on stdout" in error.get("message")
    # the evidence of a met run, TSan sites and hang stacks go in system-out
    held = cases[("list_append.locked", "locked plain fuzz")]
    outs = [c.find("system-out").text for c in la.findall("testcase")]
    assert any("per-trial failure probability below" in o for o in outs)
    assert held.find("system-out") is not None
    tsan = cases[("list_append.racy", "racy tsan fuzz")].find("system-out").text
    assert "ThreadSanitizer:" in tsan and "list_append.c:" in tsan
    hang = cases[("fx_hang.fixed", "fixed plain stress+fuzz")]
    assert hang.find("failure").get("type") == "regression"
    stacks = hang.find("system-out").text
    assert "thread stacks" in stacks and ("Thread" in stacks or "no stacks" in stacks)


# ---- results.tap -----------------------------------------------------------

def prove(tap):
    """Debian's prove on the file as written: results.tap is TAP version 13,
    which Test::Harness 3.44 (Debian 12) and every later one reads."""
    return subprocess.run(["prove", "-e", "cat", str(tap)], capture_output=True, text=True,
                          timeout=60)


def test_prove_accepts_a_met_folder_and_rejects_a_failing_one(folders):
    ok = prove(folders["old"] / "results.tap")
    assert ok.returncode == 0 and "All tests successful" in ok.stdout, ok.stdout + ok.stderr
    bad = prove(folders["new"] / "results.tap")
    assert bad.returncode != 0 and "Failed test:  2" in bad.stdout, bad.stdout  # the fix, written after its control
    assert "Parse errors" not in bad.stdout
    skip = prove(folders["skip"] / "results.tap")
    assert skip.returncode == 0, skip.stdout  # a run not judged is `ok ... # SKIP`


PARSE_YAML = r"""
use TAP::Parser;
open(my $fh, '<', $ARGV[0]) or die "$ARGV[0]: $!";
my $p = TAP::Parser->new({ tap => do { local $/; <$fh> } });  # the file as written
my ($points, $yaml) = (0, 0);
while (my $r = $p->next) {
    $points++ if $r->is_test;
    if ($r->is_yaml) {
        my $d = $r->data;
        die "no rerun" unless $d->{rerun} =~ /^racelab rerun .* --line \d+$/;
        die "no counts" unless defined $d->{trials} && defined $d->{failures};
        die "no outcomes" unless ref $d->{outcomes} eq 'HASH';
        $yaml++;
    }
}
die join(";", $p->parse_errors) if $p->parse_errors;
print "$points $yaml\n";
"""


def test_tap_has_one_point_per_run_with_yaml_diagnostics(folders):
    tap = folders["mixed"] / "results.tap"
    report(folders["mixed"])
    text = tap.read_text()
    n = len(records(folders["mixed"]))
    assert text.startswith("TAP version 13\n1..%d\n" % n)
    proc = subprocess.run(["perl", "-e", PARSE_YAML, str(tap)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(n), str(n)]
    assert "# SKIP not judged" in text
    assert "not ok" in text and "class: \"weak-evidence\"" in text


# ---- report.html in a browser --------------------------------------------

PLOTS = ("plot-matrix", "plot-rates", "plot-outcomes", "plot-ttff", "plot-throughput")
SECTIONS = ("matrix", "rates", "outcomes", "ttff", "throughput", "tsan-sites", "hang-stacks",
            "reruns")


def check_page(page, screenshot):
    seen = browser.load(page, screenshot=screenshot)
    assert seen["errors"] == [], seen["errors"]
    assert seen["requests"] == [seen["url"]]  # nothing but the page itself
    dom = seen["dom"]
    assert dom["scripts"] == 0
    for plot in PLOTS:
        assert plot in dom["plots"], plot
        assert dom["plots"][plot]["marks"] > 0 and dom["plots"][plot]["width"] > 100, plot
    for section in SECTIONS:
        assert section in dom["ids"], section
    png = Path(screenshot).read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10000
    return dom


def test_report_html_renders_in_chromium(folders, tmp_path):
    if not Path(browser.CHROMIUM).exists():
        pytest.fail("chromium is missing: scripts/setup installs it")
    report(folders["mixed"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    dom = check_page(folders["mixed"] / "report.html", SHOTS / "mixed.png")
    # the rerun command of every failure
    lines = [i + 1 for i, r in enumerate(records(folders["mixed"]))
             if r.get("first_failure") or r.get("met") is False]
    assert sorted(int(c.rsplit(" ", 1)[1]) for c in dom["reruns"]) == lines
    html = (folders["mixed"] / "report.html").read_text()
    assert "data race" in html and "list_append.c:" in html  # TSan sites
    assert "thread stacks" in html  # the driver's gdb stacks of fx_hang
    assert "grades from the descriptor" in html


def test_the_checker_sees_console_errors(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><p id=x>x</p><script>console.error('boom')</script>"
                    "<img src='missing.png'>")
    seen = browser.load(page)
    texts = " ".join(e["text"] for e in seen["errors"])
    assert "boom" in texts and "ERR_FILE_NOT_FOUND" in texts


def test_report_over_nights_has_trends_and_the_diff(folders, tmp_path):
    page = tmp_path / "trend.html"
    rc, out, err = racelab("report", folders["old"], folders["new"], "--html", page)
    assert rc == 1, out + err  # the newest folder holds a failed fix
    dom = check_page(page, SHOTS / "trend.png")
    for plot in ("plot-trend-rate", "plot-trend-ttff", "plot-trend-throughput"):
        assert plot in dom["plots"]
    assert "diff-table" in dom["ids"] and "trends" in dom["ids"]
    assert "regression" in page.read_text()


# ---- racelab diff -----------------------------------------------------------

def test_diff_reports_a_regressed_fix(folders, tmp_path):
    out_json = tmp_path / "diff.json"
    rc, out, err = racelab("diff", folders["old"], folders["new"], "--json", out_json)
    assert rc == 1, out + err
    row = next(line for line in out.splitlines() if line.startswith("list_append:locked"))
    assert "REGRESSION" in row and "holds" in row and "fails" in row and "(p " in row
    d = json.loads(out_json.read_text())
    assert d["exit_status"] == 1 and d["rate_test"] == "fisher-exact-two-sided"
    rows = {(r["variant"], r["flavour"], r["mode"]): r for r in d["rows"]}
    locked = rows[("locked", "plain", "fuzz")]
    assert locked["change"] == "regression" and locked["class"] == "regression"
    assert 0 < locked["rate"]["p"] < 0.01 and locked["rate"]["change"] == "up"
    assert locked["new"]["rerun"].endswith("--line 1") or "--line" in locked["new"]["rerun"]
    assert rows[("racy", "plain", "fuzz")]["change"] == "same"


def test_diff_of_a_folder_with_itself_is_quiet(folders):
    rc, out, err = racelab("diff", folders["old"], folders["old"] / "runs.jsonl")
    assert rc == 0, out + err
    assert "REGRESSION" not in out and " same " in out


def test_diff_reports_a_detector_regression(folders):
    rc, out, err = racelab("diff", folders["ctrl"], folders["weak"])
    assert rc == 4, out + err
    assert "DETECTOR-REGRESSION" in out


def test_fisher_and_the_first_failure_test(tmp_path):
    """Fisher's exact test on [1 9; 11 3] is 0.002759 (R: fisher.test); the
    ratio 40 of two single first-failure times under F(2, 2) is 2/41."""
    def rec(fail, trials, ff):
        return {"scenario": "s", "variant": "racy", "expectation": "reproduces",
                "mode": "fuzz", "flavour": "plain", "trials": trials, "forbidden": fail,
                "interesting": 0, "stats": {"failures": fail}, "trials_per_s": 100,
                "first_failure": {"trial": 0, "seconds": ff, "cause": "x"},
                "verdict": "reproduced", "met": True, "outcomes": {"ok": trials - fail}}
    (tmp_path / "o.jsonl").write_text(json.dumps(rec(1, 10, 1.0)) + "\n")
    (tmp_path / "n.jsonl").write_text(json.dumps(rec(11, 14, 40.0)) + "\n")
    rc, out, err = racelab("diff", tmp_path / "o.jsonl", tmp_path / "n.jsonl", "--json", "-")
    assert rc == 0, err
    row = json.loads(out)["rows"][0]
    assert abs(row["rate"]["p"] - 0.0027594562) < 1e-8
    assert abs(row["first_failure"]["p"] - 2 / 41) < 1e-9
    assert row["throughput"]["ratio"] == pytest.approx(1.0)


def test_usage(folders):
    for cmd in ("report", "diff"):
        rc, out, _ = racelab(cmd, "--help")
        assert rc == 0 and out.startswith(f"usage: racelab {cmd}")
    assert racelab("diff", folders["old"])[0] == 2
    assert racelab("diff", folders["old"], folders["new"], "--alpha", "2")[0] == 2
    assert racelab("report")[0] == 2
    assert racelab("report", "--bogus", folders["old"])[0] == 2
    rc, _, err = racelab("report", "/nonexistent/folder")
    assert rc == 2 and len(err.strip().splitlines()) == 1


# ---- scripts/nightly ------------------------------------------------------------

def test_nightly_keeps_history_diffs_and_exits_by_class(tmp_path):
    history = tmp_path / "history"
    args = ["list_append:locked", "list_append:racy", "--flavour", "plain", "--seconds", "0.3"]
    first = subprocess.run([str(ROOT / "scripts" / "nightly"), "--history", str(history), "--",
                            *args], capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "budget:" in first.stdout
    second = subprocess.run([str(ROOT / "scripts" / "nightly"), "--history", str(history),
                             "--", *args, *HANG], capture_output=True, text=True, timeout=120)
    assert second.returncode == 1, second.stdout + second.stderr
    latest = history / "latest"
    assert latest.is_symlink()
    for file in ("junit.xml", "results.tap", "report.html", "trend.html", "diff.json"):
        assert (latest / file).exists(), file
    assert json.loads((latest / "diff.json").read_text())["exit_status"] == 1
    assert "REGRESSION" in (latest / "diff.txt").read_text()
    nights = sorted(p for p in history.iterdir() if not p.is_symlink())
    assert len(nights) == 2
