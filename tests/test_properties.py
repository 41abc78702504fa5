"""Property tests of the command lines (hypothesis, Debian's python3-hypothesis):
whatever the words, a scenario program and the driver either accept them or
refuse them with exactly one line on stderr and exit status 2 — never a
crash, a hang, another status or a results folder — and a number is accepted
exactly when it is spelled the plain decimal way and lies in its range.
Examples are few and derandomised: the suite must stay fast and repeatable."""
import re
import string
import subprocess

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from conftest import ROOT, program  # noqa: E402
from test_driver import RACELAB  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
FEW = settings(SETTINGS, max_examples=25)

OPTIONS = ["--variant", "--mode", "--seconds", "--trials", "--seed", "--profile", "--inject",
           "--posix-faults", "--strategy", "--replay", "--timeout", "--batch", "--param",
           "--engine", "--until-fail", "--shrink", "--json"]
VALUES = ["racy", "locked", "atomic", "fuzz", "sched", "stress", "1", "0", "-1", "1e3", " 2",
          "0x10", "*:yield", "*:delay=1us,,", "list_append/*:delay=2ms,p=0.5", "pct:3",
          "dfs:0", "random", "0.0*9", "instances=2", "naive", "posix/io/rw/write:p=0.1",
          "gentle", "", "--json", "=", "\n", "nan"]
# printable text and the odd control character: what a value might hold
TEXT = st.text(alphabet=st.sampled_from(string.printable + "\x01\x7f\u00e9"), max_size=24)


def run_program(args, timeout=20):
    proc = subprocess.run([str(program("plain", "list_append")), *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)
    return proc.returncode, proc.stdout, proc.stderr


def one_line_refusal(rc, out, err):
    assert rc == 2, (rc, out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and "error" in lines[0], err


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(OPTIONS), st.sampled_from(VALUES), TEXT), max_size=8))
def test_any_words_are_accepted_or_refused_in_one_line(words):
    rc, out, err = run_program([*words, "--describe"])
    if rc == 0:
        assert out.startswith("{"), out[:200]
    else:
        one_line_refusal(rc, out, err)


def decimal(text, lo, hi):
    return re.fullmatch(r"[0-9]+", text) is not None and lo <= int(text) <= hi


@SETTINGS
@given(st.one_of(TEXT, st.integers(-5, 2 ** 64 + 5).map(str),
                 st.integers(0, 99).map(lambda n: "0" * 3 + str(n))))
def test_a_seed_is_accepted_exactly_when_it_is_a_64_bit_decimal(text):
    rc, out, err = run_program(["--seed", text, "--describe"])
    if decimal(text, 0, 2 ** 64 - 1):
        assert rc == 0, err
    else:
        one_line_refusal(rc, out, err)


@SETTINGS
@given(st.one_of(TEXT, st.integers(-3, 2 ** 50 + 3).map(str)))
def test_trials_are_accepted_exactly_when_a_positive_decimal(text):
    rc, out, err = run_program(["--trials", text, "--describe"])
    if decimal(text, 1, 2 ** 50):
        assert rc == 0, err
    else:
        one_line_refusal(rc, out, err)


@SETTINGS
@given(st.one_of(TEXT, st.integers(-2 ** 63 - 2, 2 ** 63 + 2).map(str)))
def test_a_param_is_accepted_exactly_when_a_whole_number_in_range(text):
    proc = subprocess.run([str(program("plain", "model_save")), "--param", f"instances={text}",
                           "--describe"], capture_output=True, text=True, timeout=20, cwd=ROOT)
    if re.fullmatch(r"-?[0-9]+", text) and 1 <= int(text) <= 64:
        assert proc.returncode == 0, proc.stderr
    else:
        one_line_refusal(proc.returncode, proc.stdout, proc.stderr)


@FEW
@given(st.sampled_from(["--seed", "--timeout", "--jobs", "--param", "--inject", "--strategy",
                        "--mode", "--flavour", "--posix-faults", "--profile"]),
       st.one_of(TEXT, st.sampled_from(VALUES)))
def test_the_driver_refuses_in_one_line_before_making_a_folder(tmp_path_factory, option, value):
    """(no --seconds or --trials here: an accepted one would run for hours)"""
    out = tmp_path_factory.mktemp("prop") / "out"
    proc = subprocess.run([str(RACELAB), "run", "list_append:atomic", "--flavour", "plain",
                           "--mode", "fuzz" if option != "--mode" else value, option, value,
                           "--trials", "20", "--out", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    if proc.returncode == 2:
        assert len(proc.stderr.splitlines()) == 1, proc.stderr
        assert not out.exists()
    else:
        assert proc.returncode in (0, 4) and (out / "runs.jsonl").exists(), proc.stderr
