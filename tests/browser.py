"""Load a page in headless Chromium and report what a person would see.

Debian's `chromium`, driven through the DevTools protocol over a pipe
(`--remote-debugging-pipe`: JSON messages separated by NUL bytes on file
descriptors 3 and 4), so no websocket module is needed. `load(path)` opens
the page from disk and returns its console errors and warnings, uncaught
exceptions, log entries (failed loads, security-policy violations), every
network request it made, a DOM query's answer and a full-page screenshot.

Run as a script it prints that for one page:
    /usr/bin/python3 tests/browser.py results/X/report.html [shot.png]
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# What the tests ask the page: ids present, plots and their marks.
DOM_QUERY = """(() => {
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const plots = {};
  for (const svg of document.querySelectorAll('svg.plot')) {
    plots[svg.id] = {
      marks: svg.querySelectorAll('rect,circle,line,polyline').length,
      width: svg.getBoundingClientRect().width,
      height: svg.getBoundingClientRect().height,
    };
  }
  return JSON.stringify({
    ids, plots,
    title: document.title,
    scripts: document.querySelectorAll('script').length,
    reruns: [...document.querySelectorAll('code.rerun')].map(e => e.textContent),
    height: document.documentElement.scrollHeight,
  });
})()"""


class Browser:
    def __init__(self, timeout=60):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="racelab-chromium-")
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        # away from 3 and 4, so that moving one end there cannot close another
        to_child_r, from_child_w = (self._high(to_child_r), self._high(from_child_w))
        # the child sees the pipes as fds 3 (commands in) and 4 (answers out)
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
             "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
             "--hide-scrollbars", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=self._fds(to_child_r, from_child_w))
        os.close(to_child_r)
        os.close(from_child_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    @staticmethod
    def _high(fd):
        import fcntl
        high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
        os.close(fd)
        return high

    @staticmethod
    def _fds(read_end, write_end):
        def setup():
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)
        return setup

    def _read_message(self, deadline):
        import select
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer")
            ready, _, _ = select.select([self.from_child], [], [], left)
            if ready:
                chunk = os.read(self.from_child, 1 << 20)
                if not chunk:
                    raise EOFError("chromium closed its pipe")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method, session, seconds):
        deadline = time.monotonic() + seconds
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            self.events.append(self._read_message(deadline))

    def close(self):
        try:
            self.send("Browser.close")
        except (OSError, EOFError, TimeoutError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_child)
        os.close(self.from_child)
        shutil.rmtree(self.profile, ignore_errors=True)


def load(path, screenshot=None, width=1400, timeout=60):
    """Open PATH (a file) and return what happened, as a dict."""
    url = "file://" + os.path.abspath(path)
    browser = Browser(timeout=timeout)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                     session=session)
        browser.send("Page.navigate", {"url": url}, session=session)
        browser.wait_for("Page.loadEventFired", session, timeout)
        time.sleep(0.2)  # late console messages
        dom = json.loads(browser.send("Runtime.evaluate", {"expression": DOM_QUERY,
                                                           "returnByValue": True},
                                      session=session)["result"]["value"])
        if screenshot:
            shot = browser.send("Page.captureScreenshot",
                                {"format": "png", "captureBeyondViewport": True},
                                session=session)
            with open(screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        events = [e for e in browser.events if e.get("sessionId") == session]
    finally:
        browser.close()
    console = [{"level": e["params"]["type"],
                "text": " ".join(str(a.get("value", a.get("description", "")))
                                 for a in e["params"].get("args", []))}
               for e in events if e.get("method") == "Runtime.consoleAPICalled"]
    exceptions = [e["params"]["exceptionDetails"].get("exception", {}).get(
        "description", e["params"]["exceptionDetails"].get("text"))
        for e in events if e.get("method") == "Runtime.exceptionThrown"]
    log = [{"level": e["params"]["entry"]["level"], "text": e["params"]["entry"]["text"],
            "source": e["params"]["entry"].get("source")}
           for e in events if e.get("method") == "Log.entryAdded"]
    requests = [e["params"]["request"]["url"] for e in events
                if e.get("method") == "Network.requestWillBeSent"]
    errors = ([c for c in console if c["level"] in ("error", "assert", "warning")]
              + [{"level": "exception", "text": x} for x in exceptions]
              + [entry for entry in log if entry["level"] in ("error", "warning")])
    return {"url": url, "errors": errors, "console": console, "log": log,
            "requests": requests, "dom": dom}


if __name__ == "__main__":
    result = load(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
    result["dom"]["ids"] = len(result["dom"]["ids"])
    print(json.dumps(result, indent=1))
