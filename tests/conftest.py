"""Shared helpers for the racelab test suite.

Every test runs real scenario programs (plain and tsan builds) as
subprocesses and reads their JSON record. Budgets are given as exact trial
counts (--trials) so that a test states how many trials it ran; racy
variants run in fuzz mode with a fixed seed and state their margin.
"""
import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
FLAVOURS = ("plain", "tsan")


def program(flavour, scenario):
    path = BUILD / flavour / scenario
    if not path.exists():
        pytest.fail(f"{path} is not built: run 'make' first")
    return path


def run(flavour, scenario, *args, timeout=120):
    """Run one scenario program; return (exit status, stdout, stderr)."""
    proc = subprocess.run(
        [str(program(flavour, scenario)), *map(str, args)],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    return proc.returncode, proc.stdout, proc.stderr


def record(flavour, scenario, *args, timeout=120):
    """Run with --json and return the record (the exit status is in 'rc')."""
    rc, out, err = run(flavour, scenario, *args, "--json", timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert len(lines) == 1, f"expected one JSON record, got stdout={out!r} stderr={err[-2000:]!r}"
    rec = json.loads(lines[0])
    rec["rc"] = rc
    rec["stderr"] = err
    return rec


def describe(flavour, scenario):
    rc, out, _ = run(flavour, scenario, "--describe")
    assert rc == 0
    return json.loads(out)


def assert_reproduces(rec):
    """A racy variant: its expectation met, with the failure on record."""
    assert rec["expectation"] == "reproduces"
    assert rec["verdict"] == "reproduced", rec
    assert rec["met"] is True and rec["rc"] == 0
    assert rec["first_failure"] is not None


def _assert_clean(rec, trials):
    assert rec["trials"] == trials, rec
    assert rec["forbidden"] == 0 and rec["hangs"] == 0, rec
    assert rec["tsan"]["reports"] == 0, rec["stderr"][-3000:]
    assert rec["met"] is True and rec["rc"] == 0


def assert_holds(rec, trials):
    """A fixed variant: all trials ran; no forbidden outcome, hang or TSan report."""
    assert rec["expectation"] == "holds" and rec["verdict"] == "holds", rec
    _assert_clean(rec, trials)


def assert_benign(rec, trials):
    """A benign variant: interesting outcomes allowed; no forbidden one, no hang,
    no TSan report."""
    assert rec["expectation"] == "benign" and rec["verdict"] == "benign", rec
    _assert_clean(rec, trials)


def assert_holds_or_benign(rec, trials):
    """A fixed variant judged by its own expectation (for tests parametrised
    over fixed variants of both kinds)."""
    (assert_holds if rec["expectation"] == "holds" else assert_benign)(rec, trials)
