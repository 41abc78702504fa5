"""racelab as an installed tool (issue 25): `make install PREFIX=tmp`, then,
from a folder outside the tree and with nothing but the prefix on PATH and
PKG_CONFIG_PATH: the example project's scenario built with pkg-config in
both flavours and run by `racelab run --build`; `racelab cc` and `racelab
exec` from the installed paths; every man page rendered by `man -l`, and
each command's page saying what `racelab help COMMAND` says; `make
uninstall` removing all of it. Also: a scenario row or point of an older API
shape is one clear compile error (CHANGELOG.md), and the README split keeps
every old section (OLD_SECTIONS, the map of where each went)."""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, ROOT

COMMAND_PAGES = ["run", "exec", "cc", "repro", "rerun", "report", "diff", "compare", "plan",
                 "points"]
# pages that hold another command's help too (racelab help merge is on plan's page)
ALSO_ON = {"plan": ["merge"], "points": ["list", "describe"]}


def make(*args, **kw):
    proc = subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800, **kw)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    p = tmp_path_factory.mktemp("prefix") / "usr"
    make("install", f"PREFIX={p}")
    return p


@pytest.fixture(scope="module")
def env(prefix):
    e = dict(os.environ)
    e["PATH"] = f"{prefix}/bin:/usr/bin:/bin"
    e["PKG_CONFIG_PATH"] = f"{prefix}/lib/pkgconfig"
    e.pop("RACELAB_CC_RUNTIME", None)
    return e


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """A working folder that is not inside racelab's tree."""
    d = tmp_path_factory.mktemp("elsewhere")
    assert ROOT not in d.parents
    return d


def sh(cmd, cwd, env, timeout=600):
    proc = subprocess.run(cmd, cwd=cwd, env=env, shell=isinstance(cmd, str), capture_output=True,
                          text=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def test_install_puts_every_piece_in_the_prefix(prefix):
    for rel in ["bin/racelab", "lib/libracelab.a", "lib/libracelab-tsan.a",
                "lib/racelab/exec/libracelab-exec.so", "lib/racelab/cc/libracelab-cc.a",
                "lib/racelab/plain/list_append", "lib/racelab/tsan/list_append",
                "lib/pkgconfig/racelab.pc", "lib/pkgconfig/racelab-tsan.pc",
                "include/racelab/racelab.h", "include/racelab/expectation.h",
                "share/man/man1/racelab.1", "share/man/man1/racelab-run.1",
                "share/man/man5/racelab-record.5", "share/doc/racelab/README.md",
                "share/doc/racelab/CHANGELOG.md", "share/doc/racelab/docs/design.md",
                "share/doc/racelab/examples/myproject/Makefile"]:
        assert (prefix / rel).exists(), rel
    header = (prefix / "include/racelab/racelab.h").read_text()
    assert '#include "expectation.h"' in header and "RL_API_VERSION 4" in header


def test_example_project_builds_with_pkg_config_and_runs_in_both_flavours(prefix, env, outside):
    proj = outside / "myproject"
    shutil.copytree(ROOT / "examples" / "myproject", proj)
    assert len((proj / "Makefile").read_text().splitlines()) <= 15
    rc, out, err = sh(["make"], proj, env)
    assert rc == 0, out + err
    assert "pkg-config --cflags --libs racelab)" in out and "racelab-tsan)" in out
    # the issue's own spelling too: flags first, then the source file
    rc, out, err = sh("cc $(pkg-config --cflags --libs racelab) myrace.c -o spelled && "
                      "clang $(pkg-config --cflags --libs racelab-tsan) myrace.c -o spelled-tsan",
                      proj, env)
    assert rc == 0, err
    # racelab finds its own home from PREFIX/bin, and the user's scenarios in --build.
    # Margin: 0.5 s a run showed 356 (plain) and 285 (tsan) lost hits; one is needed.
    rc, out, err = sh(["racelab", "run", "--build", "build", "--seconds", "0.5", "--seed", "7"],
                      proj, env)
    assert rc == 0, out + err
    runs = [json.loads(line) for line in
            next((proj / "results").iterdir()).joinpath("runs.jsonl").read_text().splitlines()]
    got = {(r["variant"], r["flavour"]): r for r in runs}
    assert set(got) == {("racy", "plain"), ("racy", "tsan"), ("locked", "plain"),
                        ("locked", "tsan")}
    assert all(r["met"] for r in runs)
    assert got["racy", "plain"]["verdict"] == got["racy", "tsan"]["verdict"] == "reproduced"
    assert got["locked", "plain"]["verdict"] == got["locked", "tsan"]["verdict"] == "holds"
    # the fix is judged beside its positive control, as in the tree
    assert got["locked", "plain"]["control"]["variant"] == "racy"
    assert str(proj / "build" / "plain" / "myrace") in got["racy", "plain"]["command"][0]
    # the same folder through the other commands that take --build
    rc, out, _ = sh(["racelab", "points", "--build", "build"], proj, env)
    assert rc == 0 and "myrace/read" in out
    rc, out, _ = sh(["racelab", "list"], proj, env)  # the bundled scenarios: the prefix's
    assert rc == 0 and "list_append" in out


def test_installed_cc_and_exec(prefix, env, outside):
    """hits_bug loses a hit only between a plain load and store: racelab cc
    makes them points and exec's scheduler finds it. Measured: 6 to 9 failing
    runs of 100 for seeds 1-10 (pct:3); 100 runs and seed 1 here. The fixed
    twin: 0 of 100."""
    work = outside / "cc"
    work.mkdir()
    for twin in ("bug", "fixed"):
        src = ROOT / "tests" / "install_programs" / f"hits_{twin}.c"
        rc, _, err = sh(["racelab", "cc", "-O1", "-g", str(src), "-o", f"hits_{twin}"], work, env)
        assert rc == 0, err
    rc, out, err = sh(["racelab", "exec", "--mode", "sched", "--seed", "1", "--runs", "100",
                       "--expect", "reproduces", "--", "./hits_bug"], work, env)
    assert rc == 0 and "verdict: reproduced (expected reproduces)" in out, out + err
    rate = float(re.search(r"failure rate ([0-9.]+)%", out).group(1))
    assert rate >= 3  # 9% for seed 1; 6% the lowest of seeds 1-10
    rc, out, err = sh(["racelab", "exec", "--mode", "sched", "--seed", "1", "--runs", "100",
                       "--expect", "holds", "--", "./hits_fixed"], work, env)
    assert rc == 0 and "verdict: holds" in out, out + err
    # noise mode: the preload library and the default profile (read from a bundled
    # scenario program) come from the prefix too
    rc, _, err = sh(["gcc", "-O2", str(ROOT / "tests/install_programs/hits_fixed.c"), "-o",
                     "hits_plain", "-lpthread"], work, env)
    assert rc == 0, err
    rc, out, err = sh(["racelab", "exec", "--runs", "20", "--seed", "1", "--expect", "holds",
                       "--", "./hits_plain"], work, env)
    assert rc == 0 and "verdict: holds" in out, out + err
    # each record's results folder is the working folder's
    assert len(list((work / "results").iterdir())) == 3


def man_text(page):
    e = dict(os.environ, MANWIDTH="200", MAN_KEEP_FORMATTING="")
    proc = subprocess.run(["man", "-l", str(page)], capture_output=True, text=True, env=e,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_man_renders_every_page(prefix):
    pages = sorted((prefix / "share/man").glob("man*/*"))
    # racelab(1), one per command of COMMAND_PAGES, racelab-record(5), and the
    # links (merge, list, describe, c++)
    assert len(pages) == 1 + len(COMMAND_PAGES) + 1 + 4, pages
    for page in pages:
        text = man_text(page)
        assert len(text.splitlines()) > 30, page
        name = page.resolve().name.rsplit(".", 1)[0]
        assert f"{name} —" in " ".join(text.split()), page  # the Name line (justified)


def help_lines(command):
    words = [str(BUILD / "racelab"), "help"] + ([] if command == "racelab" else [command])
    out = subprocess.run(words, capture_output=True, text=True, check=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def test_help_and_man_agree(prefix):
    """`racelab help COMMAND` has one source, the program; its page in docs/
    carries a copy made by scripts/docs-help, and the man page is built from
    that page: every line of the help is a line of the man page."""
    proc = subprocess.run([str(ROOT / "scripts/docs-help"), "--check"], capture_output=True,
                          text=True)
    assert proc.returncode == 0, "stale docs (run scripts/docs-help): " + proc.stdout
    for command in ["racelab"] + COMMAND_PAGES:
        page = "racelab.1" if command == "racelab" else f"racelab-{command}.1"
        text = man_text(prefix / "share/man/man1" / page)
        man_lines = {line.strip() for line in text.splitlines()}
        for each in [command] + ALSO_ON.get(command, []):
            missing = [line for line in help_lines(each) if line not in man_lines]
            assert not missing, (page, each, missing[:3])


def test_help_line_is_not_cut_short():
    out = "\n".join(help_lines("racelab"))
    assert "[run's options]" in out and "[run's opti\n" not in out


def test_uninstall_removes_what_install_put(tmp_path):
    p = tmp_path / "usr"
    make("install", f"PREFIX={p}")
    assert len([f for f in p.rglob("*") if not f.is_dir()]) > 60
    make("uninstall", f"PREFIX={p}")
    left = [f for f in p.rglob("*") if not f.is_dir()]
    assert left == []


# ---- an older API shape is one clear error ------------------------------------------

ROW_TEMPLATE = """#include <racelab.h>
enum {{ RACY }};
enum {{ OK, BAD }};
enum {{ AT_STEP }};
static void actor(void *s, int v) {{ (void)s; (void)v; {point} }}
static int arbiter(void *s, int v) {{ (void)s; (void)v; return OK; }}
static const rl_outcome outcomes[] = {{
    [OK] = {{"ok", RL_ACCEPTABLE, "fine"}}, [BAD] = {{"bad", RL_FORBIDDEN, "broken"}},
}};
static const rl_variant variants[] = {{
    [RACY] = {row},
}};
static const rl_point points[] = {{[AT_STEP] = {{"old/step", RL_DELAY_POINT, "a step"}}}};
static const rl_scenario old = {{
    .name = "old", .reference = "r", .summary = "s", .actors = 1, .state_size = 8,
    .actor = {{actor}}, .arbiter = arbiter, RL_TABLES(outcomes, variants, points),
}};
RL_SCENARIO(old)
"""
NEW_ROW = '{"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL, "the summary"}'
OLD_ROW = '{"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, "the reload overwrites the struct"}'
API3_ROW = '{"racy", RL_REPRODUCES, RL_CAUGHT_BY_ANY, "old/step:yield", "the summary"}'


def compile_with(prefix, env, tmp_path, compiler, point, row):
    src = tmp_path / f"old_{compiler}.c"
    src.write_text(ROW_TEMPLATE.format(point=point, row=row))
    return sh(f"{compiler} -c $(pkg-config --cflags racelab) {src} -o {src}.o", tmp_path, env)


@pytest.mark.parametrize("compiler", ["cc", "clang"])
def test_current_shape_compiles(prefix, env, tmp_path, compiler):
    rc, _, err = compile_with(prefix, env, tmp_path, compiler, "RL_POINT(AT_STEP);", NEW_ROW)
    assert rc == 0, err


@pytest.mark.parametrize("compiler", ["cc", "clang"])
@pytest.mark.parametrize("row", [OLD_ROW, API3_ROW], ids=["four-field", "bare-string-inject"])
def test_old_variant_row_is_one_error_about_inject(prefix, env, tmp_path, compiler, row):
    rc, _, err = compile_with(prefix, env, tmp_path, compiler, "RL_POINT(AT_STEP);", row)
    assert rc != 0
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    assert "rl_inject" in errors[0]
    # gcc names the field in a note; clang points at the string under 'inject's type
    assert "inject" in err


@pytest.mark.parametrize("compiler", ["cc", "clang"])
@pytest.mark.parametrize("macro", ["RL_POINT", "RL_FAULT"])
def test_string_point_is_one_error_saying_points_are_enum_names(prefix, env, tmp_path, compiler,
                                                               macro):
    use = f'{macro}("old/step");' if macro == "RL_POINT" else f'if ({macro}("old/step")) return;'
    rc, _, err = compile_with(prefix, env, tmp_path, compiler, use, NEW_ROW)
    assert rc != 0
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    assert "points are enum names since API 3" in errors[0]


def test_changelog_has_a_note_for_each_breaking_change():
    text = (ROOT / "CHANGELOG.md").read_text()
    for words in ["RL_INJECT(", "RL_POINT(AT_BETWEEN)", "inject` field", "rl_param(name)",
                  "RL_PARAMS(params)", "RL_API_VERSION"]:
        assert words in text, words


# ---- the README split ----------------------------------------------------------------

# Every heading of the README before the split (f5a92ab) and the page that holds it now.
OLD_SECTIONS = {
    "racelab": "README.md", "Two commands": "README.md", "A first session": "README.md",
    "Words": "docs/design.md",
    "A scenario program's command line": "docs/scenario-programs.md",
    "The driver: racelab": "docs/racelab.1.md",
    "racelab run": "docs/racelab-run.1.md",
    "The results folder": "docs/racelab-record.5.md",
    "racelab rerun": "docs/racelab-rerun.1.md",
    "racelab repro": "docs/racelab-repro.1.md",
    "Verdicts and exit statuses": "docs/racelab.1.md",
    "Reports": "docs/racelab-report.1.md", "Classes": "docs/racelab-report.1.md",
    "junit.xml": "docs/racelab-report.1.md", "results.tap": "docs/racelab-report.1.md",
    "report.html": "docs/racelab-report.1.md", "racelab report": "docs/racelab-report.1.md",
    "racelab diff": "docs/racelab-diff.1.md",
    "scripts/nightly": "docs/nightly.md",
    "Sharding a nightly matrix": "docs/racelab-plan.1.md",
    "GNU parallel": "docs/racelab-plan.1.md", "Slurm": "docs/racelab-plan.1.md",
    "Steering a running program from outside (libfiu's remote control)":
        "docs/scenario-programs.md",
    "The controlled scheduler: `--mode sched`": "docs/scheduler.md",
    "The scheduler's files (`injectors/sched/`)": "docs/scheduler.md",
    "Exec mode: unmodified programs": "docs/racelab-exec.1.md",
    "The command": "docs/racelab-exec.1.md", "A run": "docs/racelab-exec.1.md",
    "The preloaded library: points and noise": "docs/racelab-exec.1.md",
    "Sched mode": "docs/racelab-exec.1.md",
    "The results folder and the record": "docs/racelab-record.5.md",
    "The test programs and the benchmark": "docs/racelab-exec.1.md",
    "racelab cc: every shared access a point": "docs/racelab-cc.1.md",
    "The record": "docs/racelab-record.5.md",
    "How a run works": "docs/design.md",
    "Writing a scenario": "docs/writing-a-scenario.md",
    "Tests": "docs/testing.md", "Fuzzing: `make fuzz`": "docs/testing.md",
    "Sanitizer builds: `make asan`": "docs/testing.md",
    "Comparing fixes": "docs/racelab-compare.1.md",
    "Reading the decision": "docs/racelab-compare.1.md",
    "Benchmarks": "docs/testing.md", "Layout": "docs/design.md",
}
# headings renamed on the way: old heading -> (its new heading, or a phrase of its text)
RENAMED = {
    "racelab": "racelab reproduces concurrency bugs on purpose",
    "The driver: racelab": "racelab runs scenario programs as child processes",
    "racelab run": "# racelab run", "racelab rerun": "# racelab rerun",
    "racelab repro": "# racelab repro", "racelab diff": "# racelab diff",
    "racelab cc: every shared access a point": "# racelab cc",
    "scripts/nightly": "# scripts/nightly",
    "The controlled scheduler: `--mode sched`": "# The controlled scheduler: --mode sched",
    "The results folder and the record": "## Exec mode's results folder and record",
}


def test_readme_is_short_and_every_old_section_has_a_home():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 300
    for heading, page in OLD_SECTIONS.items():
        text = (ROOT / page).read_text()
        want = RENAMED.get(heading)
        if want is not None:
            assert want in text, (heading, page)
        else:
            assert re.search(r"^#+ " + re.escape(heading) + "$", text, re.M), (heading, page)
    # and each page of docs/ is reachable from the README's index
    for page in (ROOT / "docs").glob("*.md"):
        assert f"docs/{page.name}" in readme, page.name
