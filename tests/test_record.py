"""One record definition (harness/common/record.h), three writers: a scenario
program's own record, the test fixtures' records and the driver's stand-in
record for a run that printed none. Each must write exactly the fields of
the table of docs/racelab-record.5.md "The record", in that order; the driver's stand-in adds only
the fields of its own table ("the driver's fields")."""
import json
import re

from conftest import ROOT, record
from test_driver import FIXTURES, racelab, runs


def readme_table(heading_regex):
    """The backquoted names in the first column of the table under a heading."""
    text = (ROOT / "docs" / "racelab-record.5.md").read_text()
    match = re.search(heading_regex, text, re.M)
    assert match, heading_regex
    fields = []
    in_table = False
    for line in text[match.end():].splitlines():
        if line.startswith("|"):
            in_table = True
            first = line.split("|")[1]
            fields += re.findall(r"`([a-z0-9_]+)`", first)
        elif in_table:
            break
    assert fields, heading_regex
    return fields


RECORD = readme_table(r"^## The record$")
DRIVER_FIELDS = readme_table(r"plus the driver's fields:$")


def test_readme_tables_are_distinct():
    assert len(RECORD) == len(set(RECORD)) > 30
    # a driver field may refine a record field (hang), never add a copy of it
    assert set(DRIVER_FIELDS) - set(RECORD) >= {"run_id", "command", "stderr_file"}


def test_scenario_record_has_exactly_the_documented_fields_in_order():
    for args in (["--trials", 100], ["--mode", "fuzz", "--trials", 100],
                 ["--mode", "sched", "--trials", 20]):
        rec = record("plain", "list_append", *args)
        keys = [k for k in rec if k not in ("rc", "stderr")]
        assert keys == RECORD, (args, set(keys) ^ set(RECORD))


def test_fixture_record_has_exactly_the_documented_fields_in_order():
    import subprocess
    out = subprocess.run([str(FIXTURES / "fx_ok"), "--variant", "fixed", "--json"],
                         capture_output=True, text=True, timeout=30).stdout
    assert list(json.loads(out)) == RECORD


def test_driver_stand_in_record_has_every_documented_field(tmp_path):
    """fx_garbage prints no valid record: the driver writes one for it."""
    build = tmp_path / "build"
    (build / "plain").mkdir(parents=True)
    (build / "tsan").mkdir()
    (build / "plain" / "fx_garbage").symlink_to(FIXTURES / "fx_garbage")
    rc, _, err = racelab("run", "--build", build, "fx_garbage:silent", "--flavour", "plain",
                         "--out", tmp_path / "out")
    assert rc == 3, err
    (rec,) = runs(tmp_path / "out")
    assert rec["verdict"] == "error" and rec["met"] is False
    own = [k for k in rec if k in RECORD]
    assert own == RECORD, set(own) ^ set(RECORD)
    assert set(rec) - set(RECORD) <= set(DRIVER_FIELDS), set(rec) - set(RECORD) - set(DRIVER_FIELDS)
