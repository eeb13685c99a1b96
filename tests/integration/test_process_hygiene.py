"""Process hygiene, with real processes: no child outlives the process that started it, however that one ends,
and no child writes into a pipe that nobody reads.

Each test starts the parent as its own process, kills it (SIGKILL, or SIGTERM as `timeout` sends it) and then
looks in /proc for what is left. A zombie counts as gone: it runs nothing and holds no port (a container's
init may never reap it).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from adapters.engine.temporal import DevServer, free_port

pytestmark = [
    pytest.mark.temporal,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the parent-death signal is Linux's"),
]
REPO = Path(__file__).resolve().parents[2]


# --- /proc ---------------------------------------------------------------------------------------


def running(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def executable(pid: int) -> str:
    try:
        return Path(os.readlink(f"/proc/{pid}/exe")).name
    except OSError:
        return ""


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def carrying(marker: str) -> list[int]:
    """Running processes whose environment or command line holds `marker`."""
    needle = marker.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes() or needle in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return [pid for pid in found if pid != os.getpid() and running(pid)]


def wait_until(predicate, timeout: float, what: str, every: float = 0.2):
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(every)


def gone_within(pids: list[int], timeout: float) -> list[int]:
    """The pids still running after `timeout` s (empty when all are gone, as soon as they are: the timeout is for a
    hang, not a measure of how quickly they go)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and any(running(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if running(p)]


def cleanup(pids: list[int]) -> None:
    """Leave nothing behind even when a test fails: the test's own (grand)children, by pid."""
    for pid in pids:
        if running(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def read_line(process: subprocess.Popen, timeout: float) -> str:
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not line or not line[0].strip():
        process.kill()
        raise AssertionError(f"no line from the parent within {timeout} s: {process.stderr.read() if process.stderr else ''}")
    return line[0].strip()


# --- the dev server -----------------------------------------------------------------------------

PARENT = """
import sys, threading, time
from pathlib import Path
from adapters.engine.temporal import DevServer, free_port

server = DevServer(db_file=Path(sys.argv[1]), port=free_port(), headless=True)
if sys.argv[2] == "thread":  # started from a thread that then ends (as asyncio.to_thread would)
    starter = threading.Thread(target=server.start)
    starter.start()
    starter.join()
    time.sleep(2)  # a parent-death signal tied to that thread would have fired by now
else:
    server.start()
print(server.process.pid, flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize("started_from", ["main", "thread"])
def test_a_dev_server_dies_when_the_process_that_started_it_is_killed(tmp_path, started_from):
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(PARENT), str(tmp_path / "temporal.sqlite"), started_from],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    server = None
    try:
        server = int(read_line(parent, timeout=120))
        assert running(server) and executable(server) == "temporal", "the dev server runs (and outlived the thread)"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=60)
        assert gone_within([server], timeout=60) == [], "the dev server outlived its killed parent"
    finally:
        parent.kill()
        parent.wait()
        cleanup([server] if server else [])


def test_the_dev_server_writes_its_output_to_a_log_file_not_a_pipe(tmp_path):
    server = DevServer(db_file=tmp_path / "temporal.sqlite", port=free_port(), headless=True).start(timeout=120)
    try:
        pid = server.process.pid
        for fd in (1, 2):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            assert stat.S_ISREG(os.stat(f"/proc/{pid}/fd/{fd}").st_mode), f"fd {fd} is {target}, not a regular file"
            assert target == str(server.log_file) == str(tmp_path / "temporal-dev.log")
    finally:
        server.stop(kill=True)


def test_a_dev_server_that_cannot_start_says_why_from_its_log(tmp_path):
    (tmp_path / "not-a-file.sqlite").mkdir()  # SQLite cannot open a directory: the server exits at once
    server = DevServer(db_file=tmp_path / "not-a-file.sqlite", port=free_port(), headless=True)
    with pytest.raises(RuntimeError, match="unable to open database file") as raised:
        server.start()
    assert str(tmp_path / "not-a-file-dev.log") in str(raised.value)


# --- sto serve ----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("killed", ["its process group", "its main process only"])
def test_sto_serve_killed_with_sigkill_leaves_no_dev_server(tmp_path, killed):
    api_port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "STO_NOTIFIER_URL": f"file://{tmp_path / 'outbox'}",
           "STO_LOG_LEVEL": "WARNING"}
    with open(tmp_path / "serve.log", "ab") as log:
        serve = subprocess.Popen(  # in its own process group, as a shell runs a job
            [sys.executable, "-m", "adapters.cli.main", "--database-url", f"sqlite:///{tmp_path / 'x.sqlite'}", "serve",
             "--port", str(free_port()), "--ui-port", str(free_port()), "--api-port", str(api_port),
             "--temporal-db", str(tmp_path / "temporal.sqlite")],
            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    dev_servers: list[int] = []

    def up() -> bool:
        assert serve.poll() is None, (tmp_path / "serve.log").read_text()
        dev_servers[:] = [c for c in children(serve.pid) if executable(c) == "temporal"]
        try:
            return bool(dev_servers) and httpx.get(f"http://127.0.0.1:{api_port}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, timeout=180, what="sto serve answering with its dev server running")
        if killed == "its process group":
            os.killpg(serve.pid, signal.SIGKILL)
        else:
            os.kill(serve.pid, signal.SIGKILL)
        serve.wait(timeout=60)
        assert gone_within(dev_servers, timeout=60) == [], "the dev server outlived `sto serve`"
    finally:
        serve.kill()
        serve.wait()
        cleanup(dev_servers)


# --- make bench ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_benchmark_leaves_no_process_behind_and_keeps_what_it_measured(tmp_path, sig):
    """P1 (a second) then P6 (a dev server and a `sto worker`); killed while P6 runs, as `timeout` kills it."""
    marker = f"sto-hygiene-{uuid.uuid4().hex}"
    results = tmp_path / "results"
    env = {**os.environ, "STO_HYGIENE_MARKER": marker, "TMPDIR": str(tmp_path)}  # every child inherits both
    with open(tmp_path / "bench.log", "ab") as log:
        bench = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.run", "--quick", "--only", "P1,P6", "--no-postgres",
             "--repetitions", "1", "--scale-grants", "20", "--out", str(results)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    helpers: list[int] = []

    def p6_running() -> bool:
        assert bench.poll() is None, (tmp_path / "bench.log").read_text()
        helpers[:] = [p for p in carrying(marker) if p != bench.pid]
        kinds = {executable(p) for p in helpers}
        return "temporal" in kinds and any(b"worker" in Path(f"/proc/{p}/cmdline").read_bytes() for p in helpers
                                           if running(p))

    try:
        wait_until(p6_running, timeout=180, what="P6's dev server and worker running")
        os.killpg(bench.pid, sig)  # the group, as `timeout` signals it; the helpers are in groups of their own
        code = bench.wait(timeout=120)
        assert gone_within(helpers, timeout=60) == [], f"left behind: {[(p, executable(p)) for p in helpers]}"
        assert carrying(marker) == []
        document = json.loads((results / "latest.json").read_text())
        ids = [f["id"] for f in document["figures"]]  # P1's figures (or its failure): measured, P6's not
        assert ids and all(i.startswith("P1") for i in ids), f"the figures measured before the kill are kept: {ids}"
        assert document["complete"] is False
        if sig == signal.SIGTERM:
            assert code == 128 + signal.SIGTERM
            assert document["stopped"] == "SIGTERM"
            assert "\n  P1 " in (tmp_path / "bench.log").read_text(), "each figure is printed as it is measured"
    finally:
        bench.kill()
        bench.wait()
        cleanup(helpers)
