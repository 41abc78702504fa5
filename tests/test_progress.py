"""Progress a person can follow (issue: reports). A scenario program given
RACELAB_PROGRESS_FD writes "progress TRIALS FAILURES" once a second; the
driver reads it on a pipe and shows it, with runs done of planned, fixes not
met so far and an ETA, on a line rewritten in place. In piped output, with
NO_COLOR or with TERM=dumb only the table's plain rows appear.

The runs last 2.5-3 s, so the once-a-second feed has two lines at least;
that is a count of lines over a budget of seconds, not a timing assertion
(the feed's period is a sleep in the program's watchdog)."""
import json
import re
import os
import pty
import select
import subprocess

from conftest import BUILD, ROOT, program

RACELAB = BUILD / "racelab"


def feed_of(variant, seconds):
    r, w = os.pipe()
    proc = subprocess.Popen([str(program("plain", "list_append")), "--variant", variant,
                             "--mode", "fuzz", "--seconds", str(seconds), "--seed", "1",
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            pass_fds=(w,), env=dict(os.environ, RACELAB_PROGRESS_FD=str(w)))
    os.close(w)
    out, err = proc.communicate(timeout=60)
    feed = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        feed += chunk
    os.close(r)
    lines = [line.split() for line in feed.decode().splitlines()]
    assert all(len(x) == 3 and x[0] == "progress" for x in lines), feed
    return proc.returncode, json.loads(out), [(int(t), int(f)) for _, t, f in lines]


def test_a_racy_run_feeds_its_trials_and_failures():
    rc, rec, feed = feed_of("racy", 2.5)
    assert rc == 0 and len(feed) >= 2, feed
    trials = [t for t, _ in feed]
    assert trials == sorted(trials) and trials[0] > 0
    assert feed[-1][0] <= rec["trials"] and feed[-1][1] <= rec["forbidden"]
    assert feed[-1][1] > 0  # the racy variant fails in a few % of its trials


def test_a_fixed_run_feeds_no_failures():
    rc, rec, feed = feed_of("locked", 2.5)
    assert rc == 0 and rec["forbidden"] == 0 and len(feed) >= 2
    assert all(f == 0 for _, f in feed) and feed[-1][0] > 0


def test_a_bad_feed_descriptor_is_refused_with_status_2():
    proc = subprocess.run([str(program("plain", "list_append")), "--variant", "racy",
                           "--trials", "10"], capture_output=True, text=True,
                          env=dict(os.environ, RACELAB_PROGRESS_FD="x"), timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "racelab: error: RACELAB_PROGRESS_FD='x' is not an open descriptor above 2"]


def on_a_terminal(tmp_path, term, *extra_env):
    """The driver's stdout on a pseudo-terminal: everything it wrote."""
    env = dict(os.environ, TERM=term)
    env.pop("NO_COLOR", None)
    env.update(dict(extra_env))
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(RACELAB), "run", "list_append:racy", "list_append:locked",
                             "--flavour", "plain", "--mode", "fuzz", "--seconds", "3",
                             "--out", str(tmp_path / "out")],
                            stdout=slave, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        seen += chunk
    err = proc.communicate(timeout=120)[1].decode(errors="replace")
    os.close(master)
    return proc.returncode, seen.decode(errors="replace"), err


def test_the_terminal_line_shows_runs_failures_and_the_programs_feed(tmp_path):
    rc, text, err = on_a_terminal(tmp_path, "xterm")
    assert rc == 0, text + err
    lines = [x for x in text.split("\r") if x.startswith("\033[K")]
    assert any(re.search(r"\[0/\d+\] 0 not met", x) for x in lines), text
    assert any(re.search(r"\[1/\d+\] 0 not met, ETA \d+s", x) for x in lines), text
    # the feed: trials and failures of the running program
    assert any("list_append:racy plain" in x and " trials, " in x and " failures" in x
               for x in lines), text


def test_dumb_terminals_and_no_color_get_plain_rows_only(tmp_path):
    for name, env in (("dumb", ("TERM", "dumb")), ("nocolor", ("NO_COLOR", "1"))):
        rc, text, err = on_a_terminal(tmp_path / name, "xterm", env)
        assert rc == 0, text + err
        assert "\033[" not in text and "list_append" in text and " trials, " not in text
