"""Hostile input: every value a program or the driver reads is checked whole,
with a one-line error and exit status 2 (issue 13). Each case here was
accepted before its fix."""
import json
import re
from pathlib import Path

import pytest

from conftest import ROOT, run


@pytest.mark.parametrize("option,value", [
    ("--trials", " 5"), ("--trials", "0x10"), ("--trials", "5 "), ("--trials", "+5"),
    ("--seconds", " 1"), ("--seconds", "0x1p1"), ("--seconds", "inf"), ("--seconds", "nan"),
    ("--timeout", " 2"),
])
def test_lenient_numbers_are_refused(option, value):
    rc, out, err = run("plain", "list_append", "--variant", "atomic", option, value)
    assert rc == 2 and out == "", (rc, out, err)
    assert len(err.strip().splitlines()) == 1 and "error" in err, err


def one_line_error(rc, out, err):
    assert rc == 2 and out == "", (rc, out, err)
    assert len(err.strip().splitlines()) == 1 and "error" in err, err


@pytest.mark.parametrize("value", [
    "1e1", "0x10", "8.9e25", "1.0", " 2", "2 ", "", "-", "+2", "99999999999999999999",
    "-99999999999999999999",
])
def test_param_is_a_whole_decimal_number(value):
    # 8.9e25 was undefined behaviour ((double)(long)value); 1e1 became 10
    one_line_error(*run("plain", "model_save", "--param", f"instances={value}", "--describe"))


def test_param_accepts_a_whole_number_in_range():
    rc, out, err = run("plain", "model_save", "--variant", "class-lock", "--param", "instances=007",
                       "--trials", 10, "--json")
    assert rc == 0, err
    assert json.loads(out)["params"]["instances"] == 7


@pytest.mark.parametrize("args", [
    ["--seconds", "1", "--seconds", "2"],
    ["--variant", "racy", "--variant", "locked"],
    ["--seed", "1", "--seed", "1"],
    ["--mode", "fuzz", "--mode", "stress"],
    ["--param", "instances=2", "--param", "instances=3"],
])
def test_a_repeated_option_is_refused_not_last_wins(args):
    rc, out, err = run("plain", "model_save", *args, "--describe")
    one_line_error(rc, out, err)
    assert "twice" in err


def test_repeatable_options_and_flags_repeat():
    rc, out, err = run("plain", "model_save", "--variant", "class-lock", "--mode", "fuzz",
                       "--inject", "*:yield",
                       "--inject", "*:yield,p=0.5", "--param", "instances=2", "--param",
                       "updates=3", "--json", "--json", "--trials", 10)
    assert rc == 0, err


@pytest.mark.parametrize("value", ["1e-300", "0.0009", "0.0000001"])
def test_seconds_has_a_minimum_of_one_millisecond(value):
    one_line_error(*run("plain", "list_append", "--variant", "atomic", "--seconds", value))


def test_one_millisecond_is_a_budget():
    rc, out, err = run("plain", "list_append", "--variant", "atomic", "--seconds", "0.001")
    assert rc == 0, err


@pytest.mark.parametrize("spec", [
    "*:delay=1us,,", "*:delay=1us,", "*:,yield", "*:yield,,p=0.5", "*:yield,p=0.5,p=0.2",
    "*:", "*:yield,p=", "*:delay=-5us",
])
def test_malformed_inject_specs_are_refused(spec):
    one_line_error(*run("plain", "list_append", "--mode", "fuzz", "--inject", spec, "--describe"))


@pytest.mark.parametrize("spec,words", [
    ("posix/does/not/exist", "no point"),
    ("posix/io/rw/wr?te", "no point"),
    ("posix/io/rw/write:p=0.1,,", "expected"),
    ("posix/io/rw/write:,p=0.1", "expected"),
    ("posix/io/rw/write:", "expected"),
    ("posix/io/rw/write:p=0.1,p=0.2", "twice"),
    ("posix/io/rw/write:errno=EIO,errno=EIO", "twice"),
    ("posix/nothing/*", "no point"),
])
def test_malformed_or_unknown_posix_faults_are_refused(spec, words):
    rc, out, err = run("plain", "log_append", "--posix-faults", spec, "--describe")
    one_line_error(rc, out, err)
    assert words in err, err


@pytest.mark.parametrize("spec", ["posix/io/rw/write", "posix/io/*:p=0.1", "libc/mm/malloc:p=0",
                                  "linux/io/sync_file_range:errno=EIO"])
def test_known_posix_points_and_prefixes_are_accepted(spec):
    rc, _, err = run("plain", "log_append", "--posix-faults", spec, "--describe")
    assert rc == 0, err


def test_the_posix_point_table_is_the_installed_preloads():
    """injectors/points/posix_points.c lists the names libfiu's POSIX preload
    defines; a libfiu upgrade that adds or drops one shows here."""
    preload = Path("/usr/lib/fiu/fiu_posix_preload.so")
    if not preload.exists():
        pytest.skip("libfiu's POSIX preload is not installed")
    installed = set(re.findall(rb"(?<![\x21-\x7e])((?:posix|libc|linux)/[a-z_/]+)\x00",
                               preload.read_bytes()))
    source = (ROOT / "injectors" / "points" / "posix_points.c").read_text()
    table = set(re.findall(r'^\s+"((?:posix|libc|linux)/[a-z_/]+)",$', source, re.M))
    assert {n.decode() for n in installed} == table


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "\x0c", "x\x1b[2J"])
def test_a_value_with_control_characters_is_refused_on_one_line(value):
    """The message quotes the value: its newline, \\r or escape would have
    made two lines, or moved the terminal's cursor (found by the fuzzer and
    the property tests)."""
    rc, out, err = run("plain", "list_append", "--mode", "fuzz", "--inject", value, "--describe")
    one_line_error(rc, out, err)
    assert err.count("\n") == 1 and "\r" not in err and "\x1b" not in err, repr(err)
