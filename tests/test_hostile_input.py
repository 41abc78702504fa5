"""Hostile input: every value a program or the driver reads is checked whole,
with a one-line error and exit status 2 (issue 13). Each case here was
accepted before its fix."""
import pytest

from conftest import run


@pytest.mark.parametrize("option,value", [
    ("--trials", " 5"), ("--trials", "0x10"), ("--trials", "5 "), ("--trials", "+5"),
    ("--seconds", " 1"), ("--seconds", "0x1p1"), ("--seconds", "inf"), ("--seconds", "nan"),
    ("--timeout", " 2"),
])
def test_lenient_numbers_are_refused(option, value):
    rc, out, err = run("plain", "list_append", "--variant", "atomic", option, value)
    assert rc == 2 and out == "", (rc, out, err)
    assert len(err.strip().splitlines()) == 1 and "error" in err, err
