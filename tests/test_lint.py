"""The project's C is clang-tidy, cppcheck and clang-format clean (`make lint`,
every C file of the runtime, the scenarios, the driver and the fixtures)."""
import os
import subprocess

from conftest import ROOT


def test_make_lint_is_clean():
    proc = subprocess.run(["make", "-s", f"-j{os.cpu_count() or 1}", "lint"], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
