"""racelab cc: clang with ThreadSanitizer's instrumentation and racelab's own
runtime (injectors/cc/runtime) in place of TSan's. The programs of
tests/cc_programs are built by make with `racelab cc` (build/cc_programs/cc)
and plainly with gcc (build/cc_programs/plain).

This file checks the wrapper and the runtime on their own: what the binaries
contain, that they behave as their plain builds when run without exec mode's
library, the wrapper's own errors, and --tsan's second build. The
schedules that make the bugs fail are tests/test_cc_sched.py's.
"""
import os
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, ROOT

RACELAB = BUILD / "racelab"
CC_PROGRAMS = BUILD / "cc_programs"
NAMES = ("two_fields", "flag", "increment", "wrong_lock_inc")


def racelab_cc(*args, env=None, cxx=False):
    proc = subprocess.run([str(RACELAB), "c++" if cxx else "cc", *map(str, args)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env=dict(os.environ, **(env or {})))
    return proc.returncode, proc.stdout, proc.stderr


def dynamic_symbols(path):
    out = subprocess.run(["nm", "-D", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return {line.split()[-1]: line.split()[-2] for line in out.splitlines() if line.strip()}


def one_error_line(err, *words):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("racelab: error: cc"), err
    for w in words:
        assert w in lines[0], (w, err)


@pytest.mark.parametrize("name", [f"{n}_{k}" for n in NAMES for k in ("bug", "fixed")])
def test_the_build_carries_racelab_runtime_not_tsans(name):
    path = CC_PROGRAMS / "cc" / name
    assert path.exists(), f"{path} is not built: run 'make'"
    syms = dynamic_symbols(path)
    # the mark exec mode reads, and the weak reference to the preload's entry
    assert syms.get("rl_cc_runtime") == "R"
    assert syms.get("rl_exec_access") == "w"
    # TSan's runtime would export __tsan_init and friends, and pull libtsan
    assert "__tsan_init" not in syms
    ldd = subprocess.run(["ldd", str(path)], capture_output=True, text=True).stdout
    assert "tsan" not in ldd
    # every access is instrumented: the program calls the entry points
    text = subprocess.run(["nm", str(path)], capture_output=True, text=True).stdout
    assert " T __tsan_read4" in text and " T __tsan_write4" in text


@pytest.mark.parametrize("name", [f"{n}_fixed" for n in NAMES])
def test_a_fixed_program_run_alone_behaves_as_its_plain_build(name):
    """Without the preloaded library the runtime calls nothing: 20 runs of
    each build exit 0 with the same output."""
    for flavour in ("cc", "plain"):
        for _ in range(20):
            proc = subprocess.run([str(CC_PROGRAMS / flavour / name)], capture_output=True,
                                  text=True, timeout=30)
            assert proc.returncode == 0 and proc.stderr == "", (flavour, proc)


def calls_in(obj, function):
    """The entry points `function` of object file `obj` calls (relocations)."""
    text = subprocess.run(["objdump", "-dr", str(obj)], capture_output=True, text=True,
                          check=True).stdout
    body = text.split(f"<{function}>:", 1)[1].split("\n\n", 1)[0]
    return [line.split()[-1] for line in body.splitlines() if "R_X86_64_PLT32" in line]


def test_a_load_before_a_store_to_the_same_place_is_a_point(tmp_path):
    """TSan leaves out the load of `hits++` (its store's check covers it);
    racelab cc keeps it, so a lost update's other thread can come between."""
    src = ROOT / "tests/cc_programs/increment_bug.c"
    obj = tmp_path / "inc.o"
    rc, _, err = racelab_cc("-O1", "-c", src, "-o", obj)
    assert rc == 0, err
    ours = calls_in(obj, "worker")
    assert any(c.startswith("__tsan_read4") for c in ours), ours
    assert any(c.startswith("__tsan_write4") for c in ours), ours
    # the control: TSan's own build of the same file checks the store only
    plain = tmp_path / "plain.o"
    subprocess.run(["clang", "-fsanitize=thread", "-O1", "-c", str(src), "-o", str(plain)],
                   check=True)
    theirs = calls_in(plain, "worker")
    assert any(c.startswith("__tsan_write4") for c in theirs), theirs
    assert not any(c.startswith("__tsan_read4") for c in theirs), theirs


def test_tsan_builds_both_and_the_second_reports_the_race(tmp_path):
    out = tmp_path / "two_fields"
    rc, _, err = racelab_cc("--tsan", "-O1", "-g", ROOT / "tests/cc_programs/two_fields_bug.c",
                            "-o", out)
    assert rc == 0, err
    assert "rl_cc_runtime" in dynamic_symbols(out)
    tsan = Path(f"{out}.tsan")
    assert "__tsan_init" in dynamic_symbols(tsan) and "rl_cc_runtime" not in dynamic_symbols(tsan)
    # TSan sees the unordered accesses to `a` whatever the timing: 3 of 3 runs
    for _ in range(3):
        proc = subprocess.run([str(tsan)], capture_output=True, text=True, timeout=60)
        assert "WARNING: ThreadSanitizer: data race" in proc.stderr, proc.stderr
        assert "two_fields_bug.c" in proc.stderr
        assert proc.returncode in (66, -6), proc.returncode  # 66: TSan; -6: the assert fired


def test_cxx_builds_with_clangxx(tmp_path):
    src = tmp_path / "counter.cc"
    src.write_text("#include <atomic>\n#include <thread>\n"
                   "std::atomic<int> n;\nint plain;\n"
                   "int main() { std::thread t([] { n++; plain = 1; }); n++; t.join();\n"
                   "  return n.load() == 2 && plain == 1 ? 0 : 1; }\n")
    out = tmp_path / "counter"
    rc, _, err = racelab_cc("-std=c++17", "-O1", src, "-o", out, cxx=True)
    assert rc == 0, err
    assert "rl_cc_runtime" in dynamic_symbols(out)
    assert subprocess.run([str(out)], timeout=30).returncode == 0


@pytest.mark.parametrize("args,words", [
    ((), ("wants clang's arguments",)),
    (("--tsan", "-c", "x.c"), ("--tsan", "-o OUT")),
    (("--tsan", "x.c"), ("--tsan", "-o OUT")),
])
def test_bad_racelab_options_are_one_line_and_exit_2(args, words):
    rc, out, err = racelab_cc(*args)
    assert rc == 2 and out == ""
    one_error_line(err, *words)


def test_a_missing_runtime_or_compiler_is_exit_3(tmp_path):
    src = ROOT / "tests/cc_programs/flag_fixed.c"
    rc, _, err = racelab_cc(src, "-o", tmp_path / "p",
                            env={"RACELAB_CC_RUNTIME": str(tmp_path / "none.a")})
    assert rc == 3 and not (tmp_path / "p").exists()
    one_error_line(err, "none.a", "make")
    rc, _, err = racelab_cc(src, "-o", tmp_path / "p", env={"RACELAB_CC": str(tmp_path / "nocc")})
    assert rc == 3 and not (tmp_path / "p").exists()
    one_error_line(err, "nocc")


def test_clangs_own_errors_are_clangs_status(tmp_path):
    bad = tmp_path / "bad.c"
    bad.write_text("int main(void) { return undeclared; }\n")
    rc, _, err = racelab_cc("-c", bad, "-o", tmp_path / "bad.o")
    assert rc == 1 and "undeclared" in err


def test_help_names_the_options():
    rc, out, _ = racelab_cc("--help")
    assert rc == 0 and "--tsan" in out and "RACELAB_CC_RUNTIME" in out
