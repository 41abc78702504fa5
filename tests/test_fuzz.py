"""A short run of every libFuzzer target (tests/fuzz/fuzz_*.c, ASan and UBSan
builds over the parsers and the driver's record reader): 4 s each (more than
1,000 runs, asserted) from the committed seed corpus, copied so that new
inputs stay out of the tree. `make fuzz` runs them for minutes; this catches
a parser change that crashes at once. A finding fails the test with the
reproducer's path."""
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, ROOT

TARGETS = sorted(p.stem.removeprefix("fuzz_") for p in (ROOT / "tests" / "fuzz").glob("fuzz_*.c"))
SECONDS = 4  # a parser that crashes at once does so in well under a second

# Issue 13 item 1: the run-length check of rl_schedule_parse overflows
# ("0.0*9223372036854775807"); the scheduler branch's fix is
# injectors/sched/schedule_text.c. Until it is merged the target may find it.
KNOWN = {} if (ROOT / "injectors" / "sched" / "schedule_text.c").exists() else {
    "schedules": "rl_schedule_parse's run-length overflow, fixed on the sched branch"}


@pytest.mark.parametrize("name", [
    pytest.param(t, marks=pytest.mark.xfail(reason=KNOWN[t], strict=False)) if t in KNOWN else t
    for t in TARGETS])
def test_fuzz_target_runs_clean(name, tmp_path):
    exe = BUILD / "fuzz" / f"fuzz_{name}"
    subprocess.run(["make", "--no-print-directory", "-s", str(exe.relative_to(ROOT))], cwd=ROOT,
                   check=True)
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "tests" / "fuzz" / "corpus" / name, corpus)
    proc = subprocess.run([str(exe), f"-max_total_time={SECONDS}", "-close_fd_mask=3",
                           f"-artifact_prefix={tmp_path}/", str(corpus)],
                          capture_output=True, text=True, timeout=SECONDS * 6 + 60)
    done = re.search(r"^Done (\d+) runs", proc.stderr, re.M)
    assert proc.returncode == 0 and done, proc.stderr[-3000:]
    assert int(done.group(1)) > 1000  # it really ran


@pytest.mark.parametrize("name", TARGETS)
def test_every_target_has_a_seed_corpus(name):
    assert list((ROOT / "tests" / "fuzz" / "corpus" / name).iterdir())
