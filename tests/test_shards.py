"""Shards of a night: `racelab plan --shards N`, `racelab run --shard K/N`,
`racelab merge`, and the recipes scripts/shard-parallel (GNU parallel, local
job slots) and scripts/shard-slurm (a one-node Slurm cluster on localhost
started by scripts/slurm-local; skipped, saying why, where it cannot start).

The plan (module fixture): list_append and template_loader, plain, fuzz, 200
trials each, seed 5: 7 runs in two scenario groups, so that of 3 shards (1/3,
2/3, 3/3: counted from 1) one is empty (it still says which plan it belongs to). Run once whole and once
as 3 shards merged; the merged folder must hold the same runs (run ids,
roles, seeds, verdicts, met) and exit the same. Counts of failures are not
compared: fuzz timing is not deterministic, the seed is.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from test_driver import RACELAB, one_line, racelab

ROOT = Path(__file__).resolve().parents[1]
PLAN = ["list_append", "template_loader", "--flavour", "plain", "--mode", "fuzz",
        "--trials", "200", "--seed", "5"]
SAME = ("run_id", "scenario", "variant", "flavour", "role", "seed", "trials", "verdict", "met")


def same_fields(out):
    recs = [json.loads(line) for line in (Path(out) / "runs.jsonl").read_text().splitlines()]
    return sorted(tuple(r.get(k) for k in SAME) for r in recs)


def plan_json(*args):
    rc, out, err = racelab("plan", *args, "--json")
    assert rc == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    root = tmp_path_factory.mktemp("night")
    whole_rc, _, err = racelab("run", *PLAN, "--out", root / "whole", timeout=300)
    assert whole_rc in (0, 4), err
    rcs = []
    for k in (1, 2, 3):  # shards count from 1, as Jest, Playwright and GitLab count
        rc, _, err = racelab("run", *PLAN, "--shard", f"{k}/3", "--out", root / f"s{k}",
                             timeout=300)
        assert rc in (0, 1, 4), err
        rcs.append(rc)
    return {"root": root, "whole_rc": whole_rc, "shard_rcs": rcs}


def test_plan_split_is_deterministic_balanced_and_keeps_groups():
    args = ["list_append", "template_loader", "session_save", "--flavour", "both",
            "--trials", "100", "--seed", "1", "--shards", "3"]
    a, b = plan_json(*args), plan_json(*args)
    assert a == b
    assert a["shards"] == 3 and len(a["plan_hash"]) == 16
    for r in a["runs"]:
        assert r["cost"] == (300 if r["flavour"] == "tsan" else 100)
    groups = {}
    for r in a["runs"]:
        groups.setdefault((r["scenario"], r["flavour"]), set()).add(r["shard"])
    assert all(len(s) == 1 for s in groups.values()), groups
    costs = a["shard_costs"]
    assert sum(costs) == sum(r["cost"] for r in a["runs"])
    biggest = max(sum(r["cost"] for r in a["runs"] if (r["scenario"], r["flavour"]) == g)
                  for g in groups)
    assert max(costs) - min(costs) <= biggest  # greedy: within one group of even


def test_a_fix_and_its_control_share_a_shard():
    p = plan_json("list_append:locked", "template_loader:once", "--flavour", "plain",
                  "--seed", "1", "--shards", "2")
    roles = {(r["scenario"], r["variant"]): (r["role"], r["shard"]) for r in p["runs"]}
    assert roles[("list_append", "racy")] == ("control", roles[("list_append", "locked")][1])
    assert roles[("template_loader", "racy")][1] == roles[("template_loader", "once")][1]


def test_plan_hash_changes_with_the_options():
    a = plan_json(*PLAN, "--shards", "3")
    b = plan_json(*PLAN[:-1], "6", "--shards", "3")
    assert a["plan_hash"] != b["plan_hash"]
    assert [r["shard"] for r in a["runs"]] == [r["shard"] for r in b["runs"]]


def test_shard_needs_seed_and_out(tmp_path):
    rc, _, err = racelab("run", "list_append", "--shard", "1/2", "--out", tmp_path / "x")
    assert rc == 2 and "--seed" in one_line(err)
    rc, _, err = racelab("run", "list_append", "--shard", "3/2", "--seed", "1")
    assert rc == 2 and "K/N" in one_line(err)


def test_shards_count_from_1(tmp_path):
    """--shard 0/N is refused in one line that says shards count from 1;
    N/N is the last shard (refused before this change: K counted from 0)."""
    rc, _, err = racelab("run", "list_append", "--shard", "0/2", "--seed", "1",
                         "--out", tmp_path / "x")
    assert rc == 2 and "from 1" in one_line(err)
    assert not (tmp_path / "x").exists()
    plan = plan_json("list_append", "template_loader", "--seed", "1", "--shards", "2")
    assert sorted({r["shard"] for r in plan["runs"]}) == [1, 2]


def test_each_shard_says_which_plan(night):
    root = night["root"]
    infos = [json.loads((root / f"s{k}" / "shard.json").read_text()) for k in (1, 2, 3)]
    assert len({i["plan_hash"] for i in infos}) == 1
    assert [i["shard"] for i in infos] == [1, 2, 3]
    assert all(i["complete"] and i["seed"] == "5" and i["shards"] == 3 for i in infos)
    indices = sorted(r["index"] for i in infos for r in i["runs"])
    assert indices == list(range(1, 8))


def test_merged_shards_equal_the_unsharded_run(night):
    root = night["root"]
    rc, out, err = racelab("merge", root / "s1", root / "s2", root / "s3",
                           "--out", root / "merged")
    assert rc == night["whole_rc"], err
    assert same_fields(root / "merged") == same_fields(root / "whole")
    for name in ("summary.txt", "junit.xml", "results.tap", "report.html"):
        assert (root / "merged" / name).stat().st_size > 0
    assert "7 of 7 runs finished" in (root / "merged" / "summary.txt").read_text()
    assert "7 of 7 runs finished" in out


def test_a_missing_shard_is_named(night, tmp_path):
    root = night["root"]
    rc, _, err = racelab("merge", root / "s1", root / "s3", "--out", tmp_path / "m")
    assert rc == 3
    assert "2/3 missing" in one_line(err)


def test_shards_of_another_plan_are_refused(night, tmp_path):
    root = night["root"]
    # the same words with another trial count: another plan (its shard 3/3 is
    # as empty as the night's, so nothing runs)
    rc, _, err = racelab("run", *PLAN[:-3], "100", "--seed", "5", "--shard", "3/3",
                         "--out", tmp_path / "other")
    assert rc == 0, err
    rc, _, err = racelab("merge", root / "s1", root / "s2", tmp_path / "other",
                         "--out", tmp_path / "m")
    assert rc == 2
    assert "refusing to merge" in one_line(err)
    assert not (tmp_path / "m").exists()


def test_a_shard_given_twice_is_refused(night, tmp_path):
    root = night["root"]
    copy = tmp_path / "s1-again"
    shutil.copytree(root / "s1", copy)
    rc, _, err = racelab("merge", root / "s1", root / "s2", copy, "--out", tmp_path / "m")
    assert rc == 2
    assert "given twice" in one_line(err)


def test_tsan_logs_are_carried_and_renumbered(tmp_path):
    args = ["list_append:racy", "--flavour", "both", "--mode", "fuzz", "--trials", "50",
            "--seed", "5"]
    for k in (1, 2):
        rc, _, err = racelab("run", *args, "--shard", f"{k}/2", "--out", tmp_path / f"t{k}",
                             timeout=300)
        assert rc in (0, 4), err
    rc, _, err = racelab("merge", tmp_path / "t1", tmp_path / "t2", "--out", tmp_path / "m")
    assert rc in (0, 4), err
    recs = [json.loads(line) for line in (tmp_path / "m" / "runs.jsonl").read_text().splitlines()]
    tsan = [r for r in recs if r["flavour"] == "tsan"]
    assert [r["run_id"] for r in recs] == ["001-list_append-racy-plain",
                                           "002-list_append-racy-tsan"]
    log = Path(tsan[0]["tsan_log"])
    assert log.parent == tmp_path / "m" / "tsan" and log.name.startswith("002-")
    assert log.exists() and "ThreadSanitizer" in log.read_text()


def test_gnu_parallel_recipe(night, tmp_path):
    if shutil.which("parallel") is None:
        pytest.skip("GNU parallel is not installed (scripts/setup installs Debian parallel)")
    proc = subprocess.run([str(ROOT / "scripts" / "shard-parallel"), "-n", "3", "-S", "2/:",
                           "-o", str(tmp_path / "night"), *PLAN],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == night["whole_rc"], proc.stderr
    assert same_fields(tmp_path / "night" / "merged") == same_fields(night["root"] / "whole")


def test_slurm_recipe(night, tmp_path):
    cluster = tmp_path / "slurm"
    start = subprocess.run([str(ROOT / "scripts" / "slurm-local"), "start", str(cluster)],
                           capture_output=True, text=True, timeout=120)
    if start.returncode != 0:
        pytest.skip(f"a one-node Slurm cluster cannot start here: {start.stderr.strip()}")
    try:
        env = dict(os.environ, SLURM_CONF=str(cluster / "slurm.conf"))
        # -b gives sbatch one option word (were it taken for racelab run's,
        # run would refuse it: exit 2)
        proc = subprocess.run([str(ROOT / "scripts" / "shard-slurm"), "-n", "3", "-w",
                               "-b", "--time=10", "-o", str(tmp_path / "night"), *PLAN],
                              capture_output=True, text=True, timeout=600, env=env)
        assert proc.returncode == night["whole_rc"], proc.stdout + proc.stderr
        assert "shards: job" in proc.stdout
        assert same_fields(tmp_path / "night" / "merged") == same_fields(night["root"] / "whole")
    finally:
        subprocess.run([str(ROOT / "scripts" / "slurm-local"), "stop", str(cluster)],
                       timeout=60)
