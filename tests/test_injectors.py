"""Injectors: fuzz profiles, libfiu's external control (fiu-run + fiu-ctrl on a
running program) and POSIX faults through libfiu's preload."""
import json
import subprocess
import time

import pytest

from conftest import BUILD, ROOT, record, run


@pytest.mark.parametrize("profile,action", [("gentle", "yield"), ("default", "delay=100us"),
                                            ("heavy", "delay=1ms")])
def test_named_profiles_apply_to_every_point(profile, action):
    rec = record("plain", "template_loader", "--variant", "locked", "--mode", "fuzz",
                 "--profile", profile, "--trials", 200, "--seed", 1)
    assert rec["profile"] == profile and rec["inject"] == [f"*:{action},p=" +
                                                          {"gentle": "0.1", "default": "0.2",
                                                           "heavy": "0.5"}[profile]]
    assert all(p["spec"] == rec["inject"][0] for p in rec["points"].values())
    assert sum(rec["points"]["template_loader/import"]["fired"]) > 0


def test_profile_none_keeps_points_live_but_quiet():
    rec = record("plain", "template_loader", "--variant", "locked", "--mode", "fuzz",
                 "--profile", "none", "--trials", 2000, "--seed", 1)
    point = rec["points"]["template_loader/import"]
    assert sum(point["hits"]) > 0 and sum(point["fired"]) == 0 and rec["inject"] == []


def test_inject_overrides_the_profile_for_its_points():
    rec = record("plain", "template_loader", "--variant", "locked", "--mode", "fuzz",
                 "--profile", "default", "--inject", "template_loader/import-error:fail",
                 "--trials", 500, "--seed", 1)
    points = rec["points"]
    assert points["template_loader/import"]["spec"] == "*:delay=100us,p=0.2"
    assert points["template_loader/import-error"]["spec"] == "template_loader/import-error:fail"
    assert rec["outcomes"]["import-error-recovered"] == 500


@pytest.mark.parametrize("args,message", [
    (["--mode", "fuzz", "--profile", "wild"], "unknown profile"),
    (["--profile", "heavy"], "--profile needs --mode fuzz"),
    (["--posix-faults", "write:p=0.1"], "posix/... or libc/..."),
    (["--posix-faults", "posix/io/rw/write:p=2"], "p must be"),
    (["--posix-faults", "posix/io/rw/write:errno=EWHAT"], "unknown errno"),
    (["--posix-faults", "posix/io/rw/write:q=1"], "unknown option"),
])
def test_bad_injector_input_is_one_line_and_exit_2(args, message):
    rc, out, err = run("plain", "log_append", *args)
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and message in err


def test_malloc_faults_are_refused_under_tsan():
    rc, _, err = run("tsan", "log_append", "--posix-faults", "libc/mm/*:p=0.1")
    assert rc == 2 and "malloc faults do nothing under TSan" in err


@pytest.mark.parametrize("flavour", ["plain", "tsan"])
@pytest.mark.parametrize("variant", ["o-append", "locked"])
def test_posix_write_fault_reaches_a_scenario_that_writes_files(flavour, variant):
    """write() fails for real (ENOSPC, one call in twenty) under fiu-run -x;
    the fixed variants report every failed write and lose no record."""
    rec = record(flavour, "log_append", "--variant", variant, "--trials", 300, "--seed", 1,
                 "--posix-faults", "posix/io/rw/write:p=0.05,errno=ENOSPC")
    assert rec["posix_faults"] == ["posix/io/rw/write:p=0.05,errno=ENOSPC"]
    assert rec["outcomes"]["write-error-reported"] > 0
    assert rec["forbidden"] == 0 and rec["tsan"]["reports"] == 0
    assert rec["verdict"] == "holds"


def test_fiu_ctrl_enables_a_fault_point_in_a_running_program(tmp_path):
    """Start a fixed variant under fiu-run with its points live and quiet,
    then enable the import-error point from outside with fiu-ctrl: the
    program starts failing imports (and recovering), and the record counts
    the point as fired from outside."""
    fifo = tmp_path / "ctl"
    proc = subprocess.Popen(["fiu-run", "-f", str(fifo), str(BUILD / "plain" / "template_loader"),
                             "--variant", "locked", "--mode", "fuzz", "--profile", "none",
                             "--seconds", "3", "--seed", "1", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    control = tmp_path / f"ctl-{proc.pid}.in"
    deadline = time.time() + 2
    while not control.exists() and time.time() < deadline:
        time.sleep(0.02)
    assert control.exists(), "fiu-run made no control FIFO"
    time.sleep(0.3)
    subprocess.run(["fiu-ctrl", "-f", str(fifo), "-c",
                    "enable name=template_loader/import-error", str(proc.pid)], check=True)
    out, err = proc.communicate(timeout=30)
    rec = json.loads(out)
    assert sum(rec["points"]["template_loader/import-error"]["external"]) > 0
    assert rec["outcomes"]["import-error-recovered"] > 0 and rec["outcomes"]["ok"] > 0
    assert rec["verdict"] == "holds"
    assert not list(tmp_path.glob("ctl-*")), "control FIFOs left behind"
