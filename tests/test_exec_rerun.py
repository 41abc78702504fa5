"""racelab rerun of an exec record: the failing run again (its seed, one run,
--replay of its schedule in sched mode), or the whole invocation when the
record holds no failure; a record that is not what exec wrote is refused
with exit 2 and runs nothing."""
import json
import subprocess

from conftest import BUILD, ROOT

RACELAB = BUILD / "racelab"


def racelab(*args):
    proc = subprocess.run([str(RACELAB), *map(str, args)], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)
    return proc.returncode, proc.stdout, proc.stderr


def only_record(folder):
    lines = (folder / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_a_failing_sched_record_reruns_its_schedule_and_fails_again(tmp_path):
    prog = BUILD / "cc_programs/cc/increment_bug"
    rc, out, err = racelab("exec", "--mode", "sched", "--seed", 1000, "--runs", 100,
                           "--until-fail", "--expect", "reproduces", "--out", tmp_path / "a",
                           "--", prog)
    assert rc == 0, out + err
    first = only_record(tmp_path / "a")["exec"]["failures"][0]
    for k in range(3):  # the replay is exact: 3 of 3
        rc, out, err = racelab("rerun", tmp_path / "a/runs.jsonl", "--line", 1,
                               "--out", tmp_path / f"r{k}")
        assert rc == 0, out + err
        assert f"--replay {first['schedule']}" in out or f"--replay '{first['schedule']}'" in out
        again = only_record(tmp_path / f"r{k}")
        assert again["trials"] == 1 and again["stats"]["failures"] == 1
        f = again["exec"]["failures"][0]
        assert f["seed"] == first["seed"] and f["schedule"] == first["schedule"]
        assert f["signal"] == first["signal"] == "SIGABRT"


def test_a_passing_noise_record_reruns_the_whole_invocation(tmp_path):
    prog = BUILD / "exec_programs/plain/counter_fixed"
    rc, _, _ = racelab("exec", "--runs", 7, "--seed", 5, "--out", tmp_path / "a", "--", prog)
    assert rc == 0
    rc, out, err = racelab("rerun", tmp_path / "a/runs.jsonl", "--line", 1,
                           "--out", tmp_path / "b")
    assert rc == 0, out + err
    was, now = only_record(tmp_path / "a"), only_record(tmp_path / "b")
    for key in ("mode", "seed", "trials", "expectation", "inject", "profile"):
        assert was[key] == now[key], key
    assert now["verdict"] == "holds" and now["stats"]["failures"] == 0


def test_a_broken_exec_record_is_refused_before_anything_runs(tmp_path):
    prog = BUILD / "exec_programs/plain/counter_fixed"
    rc, _, _ = racelab("exec", "--runs", 2, "--seed", 5, "--out", tmp_path / "a", "--", prog)
    rec = only_record(tmp_path / "a")
    for field, value in (("program", 7), ("args", "not a list"), ("fail_on", ["x"])):
        broken = json.loads(json.dumps(rec))
        broken["exec"][field] = value
        path = tmp_path / f"{field}.json"
        path.write_text(json.dumps(broken) + "\n")
        rc, out, err = racelab("rerun", path, "--out", tmp_path / f"out-{field}")
        assert rc == 2 and out == "", (field, out, err)
        assert err.count("\n") == 1 and f"'{field}'" in err, err
        assert not (tmp_path / f"out-{field}").exists()
