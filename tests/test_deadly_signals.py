"""A program that dies by a deadly signal is a crash, never a pass: in the
TSan build too, where TSan's own handlers used to turn SIGSEGV, SIGBUS and
SIGFPE into a clean exit (the runtime sets exitcode=0). tests/programs/
deadly_signal.c is linked with the real runtime in both flavours; each variant
dies by one real fault in its first trial."""
import subprocess

import pytest

from conftest import BUILD, ROOT
from test_driver import racelab, runs

SIGNALS = {"segv": "SIGSEGV", "bus": "SIGBUS", "fpe": "SIGFPE", "ill": "SIGILL",
           "abrt": "SIGABRT"}
FLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE", "-DFIU_ENABLE",
         "-Iharness/runtime", "-g"]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    root = tmp_path_factory.mktemp("build")
    compilers = {"plain": ["gcc", "-O2"], "tsan": ["clang", "-fsanitize=thread", "-O1"]}
    for flavour, cc in compilers.items():
        (root / flavour).mkdir()
        subprocess.run([*cc, *FLAGS, "tests/programs/deadly_signal.c",
                        str(BUILD / flavour / "libracelab.a"), "-lfiu", "-lpthread", "-lm",
                        "-o", str(root / flavour / "deadly_signal")], cwd=ROOT, check=True)
    return root


@pytest.mark.parametrize("flavour", ["plain", "tsan"])
@pytest.mark.parametrize("variant", sorted(SIGNALS))
def test_program_dies_by_the_signal(build, flavour, variant):
    proc = subprocess.run([str(build / flavour / "deadly_signal"), "--variant", variant,
                           "--trials", "1", "--json"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode < 0 and -proc.returncode == getattr(__import__("signal"),
                                                                SIGNALS[variant]), proc
    assert proc.stdout == ""  # no record claims anything


@pytest.mark.parametrize("flavour", ["plain", "tsan"])
def test_driver_records_each_crash_by_name(build, flavour, tmp_path):
    rc, out, err = racelab("run", "--build", build,
                           *[f"deadly_signal:{variant}" for variant in SIGNALS], "--flavour", flavour,
                           "--trials", "1", "--out", tmp_path, timeout=120)
    recs = {r["variant"]: r for r in runs(tmp_path)}
    assert set(recs) == set(SIGNALS), (out, err)
    for variant, rec in recs.items():
        assert rec["signal"] == SIGNALS[variant], rec
        assert rec["crashes"] == 1 and rec["crash"]["signal"] == SIGNALS[variant]
        assert rec["verdict"] == "fails" and rec["met"] is False
    assert rc == 1  # a fix that crashed is a failed fix
