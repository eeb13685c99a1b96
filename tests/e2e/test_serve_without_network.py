"""The engine needs nothing from outside: `sto serve` (Temporal dev server with its web UI, worker, API) runs in a
network namespace that has only a loopback interface, no route anywhere, and does real work there: grants are
pre-registered and applied for, an operator accepts one, a read shows it, and a webhook to a name that resolves
inside the agency is refused. Nothing asks a name server on the way: the namespace's resolv.conf points at a name
server of the test's own on its loopback, which records every question (the dev server's own update check at
version-info.temporal.io would be one).

The test process drives it from inside: one thread of it joins the namespace (setns), and every connection to the
engine is made from that thread. The namespace and its /etc/netns files carry a name unique to the run, and are
removed when the test ends, whatever happened.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from adapters import processes
from adapters.engine.temporal import free_port
from adapters.operators.tokens import TokenStore
from tests.e2e.conftest import EPOCH, FUTURE_MARGIN_DAYS, REPO
from tests.e2e.grant_bodies import take

pytestmark = [
    pytest.mark.temporal,
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="network namespaces are Linux's"),
]

HANG = 180.0  # seconds: only a hang takes this long, also on a busy 2-core machine
CLONE_NEWNET = 0x40000000
CODES = ("STO-OFFLINE-1", "STO-OFFLINE-2")
T = TypeVar("T")


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


class Namespace:
    """A network namespace with loopback only, its own resolv.conf and hosts (/etc/netns/NAME, which `ip netns
    exec` mounts over /etc), and a thread of this process inside it."""

    def __init__(self) -> None:
        self.name = f"stooffline{os.getpid()}{uuid.uuid4().hex[:6]}"
        self.etc = Path("/etc/netns") / self.name
        self.made = False
        self.thread: concurrent.futures.ThreadPoolExecutor | None = None

    def create(self, hosts: str) -> "Namespace":
        if shutil.which("ip") is None:
            pytest.skip("network namespaces cannot be made here: the `ip` command (iproute2) is not installed")
        if os.geteuid() != 0:
            pytest.skip(f"network namespaces cannot be made here: they need root, and this runs as uid {os.geteuid()}")
        made = _ip("netns", "add", self.name)
        if made.returncode != 0:
            pytest.skip(f"network namespaces cannot be made here: ip netns add: {made.stderr.strip()}")
        self.made = True
        up = _ip("netns", "exec", self.name, "ip", "link", "set", "lo", "up")
        assert up.returncode == 0, up.stderr
        self.etc.mkdir(parents=True)
        (self.etc / "resolv.conf").write_text("nameserver 127.0.0.1\n")  # the test's own name server, below
        (self.etc / "hosts").write_text(hosts)
        self.thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=self.name, initializer=self._join)
        return self

    def _join(self) -> None:
        fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns into {self.name}")
        finally:
            os.close(fd)

    def run(self, fn: Callable[[], T]) -> T:
        """`fn` on the thread inside the namespace (its sockets are the namespace's)."""
        assert self.thread is not None
        return self.thread.submit(fn).result()

    def command(self, args: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *args]

    def interfaces(self) -> list[str]:
        return _ip("-n", self.name, "-o", "link").stdout.split("\n")

    def routes(self) -> str:
        return _ip("-n", self.name, "route", "show", "table", "all").stdout

    def close(self) -> None:
        if self.thread is not None:
            self.thread.shutdown(wait=True)
        if self.made:
            _ip("netns", "del", self.name)
        shutil.rmtree(self.etc, ignore_errors=True)
        with contextlib.suppress(OSError):  # /etc/netns itself, when this made it and nothing else is in it
            self.etc.parent.rmdir()


class NameServer:
    """A name server on the namespace's 127.0.0.1:53 that records each question's name and answers REFUSED."""

    def __init__(self, namespace: Namespace):
        self.questions: list[str] = []
        self.sock = namespace.run(self._bind)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @staticmethod
    def _bind() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 53))
        sock.settimeout(0.5)
        return sock

    def _serve(self) -> None:
        while self.sock.fileno() != -1:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            labels, at = [], 12
            while at < len(data) and data[at]:
                labels.append(data[at + 1:at + 1 + data[at]].decode(errors="replace"))
                at += 1 + data[at]
            self.questions.append(".".join(labels))
            question = data[12:at + 5]
            answer = data[:2] + bytes([0x80 | (data[2] & 0x79), 0x85]) + b"\x00\x01" + b"\x00" * 6 + question
            try:
                self.sock.sendto(answer, peer)
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture
def offline() -> Iterator[Namespace]:
    namespace = Namespace()
    try:
        yield namespace.create("127.0.0.1 localhost\n::1 localhost\n10.1.2.3 intern.sto.test\n")
    finally:
        namespace.close()


def _wait_healthy(namespace: Namespace, process: subprocess.Popen, base_url: str, log: Path) -> None:
    def healthy() -> bool:
        try:
            return httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    deadline = time.monotonic() + HANG
    while not namespace.run(healthy):
        assert process.poll() is None, f"sto serve exited with {process.returncode}:\n{processes.log_tail(log)}"
        assert time.monotonic() < deadline, f"sto serve did not answer within {HANG} s:\n{processes.log_tail(log)}"
        time.sleep(0.2)


def test_sto_serve_does_real_work_in_a_namespace_with_loopback_only_and_asks_no_name_server(offline, tmp_path):
    assert [line for line in offline.interfaces() if line.strip() and ": lo:" not in line] == []
    assert "default" not in offline.routes()
    names = NameServer(offline)
    probe = subprocess.run(offline.command([sys.executable, "-c", "import socket\ntry: socket.getaddrinfo('probe.sto.test', 80)\n"
                                            "except OSError: pass"]), capture_output=True, text=True, timeout=HANG)
    assert probe.returncode == 0, probe.stderr
    assert "probe.sto.test" in names.questions  # what asks a name server in there is heard
    names.questions.clear()
    store_file = tmp_path / "sto.sqlite"
    temporal_port, ui_port, api_port = free_port(), free_port(), free_port()  # free here; the namespace has all
    env = {**os.environ, "STO_DATABASE_URL": f"sqlite:///{store_file}", "STO_NOTIFIER_URL": f"file://{tmp_path / 'outbox'}",
           "STO_BUSINESS_EPOCH": EPOCH, "STO_FUTURE_MARGIN_DAYS": FUTURE_MARGIN_DAYS, "STO_LOG_LEVEL": "INFO"}
    env.pop("STO_WEBHOOK_ALLOWED_NETWORKS", None)  # an installation's default: webhooks to public addresses only
    log = tmp_path / "serve.log"
    serve = processes.spawn(offline.command(
        [sys.executable, "-m", "adapters.cli.main", "serve", "--port", str(temporal_port), "--ui-port", str(ui_port),
         "--api-port", str(api_port), "--temporal-db", str(tmp_path / "temporal.sqlite")]), log, cwd=REPO, env=env)
    base_url = f"http://127.0.0.1:{api_port}"
    try:
        _wait_healthy(offline, serve, base_url, log)
        tokens = TokenStore(f"sqlite:///{store_file}")
        operator = tokens.issue("op.offline", "operator", created_by="tests").token
        tokens.close()

        def work() -> dict[str, Any]:
            with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {operator}"}, timeout=HANG) as op:
                for index, code in enumerate(CODES, start=71):
                    take(op, code, index, "pre-register", "apply")
                take(op, CODES[0], 71, "accept")
                refused = op.post("/v1/subscriptions", json={"callback_url": "http://intern.sto.test/hook",
                                                             "region_code": "*"})
                return {"grants": [op.get(f"/v1/grants/{code}").json() for code in CODES], "refused": refused,
                        "subscriptions": op.get("/v1/subscriptions").json()["subscriptions"],
                        "ui": httpx.get(f"http://127.0.0.1:{ui_port}/", timeout=HANG).status_code}

        seen = offline.run(work)
    finally:
        code = processes.stop(serve, signal.SIGINT, timeout=60)
        names.close()
    assert [(g["region_code"], g["status"]) for g in seen["grants"]] == [
        (CODES[0], "under_assessment"), (CODES[1], "application_submitted")], seen["grants"]
    assert seen["ui"] == 200  # the dev server's web UI answers too
    refused = seen["refused"]
    assert refused.status_code == 400 and "'intern.sto.test' resolves to 10.1.2.3" in refused.json()["detail"]
    assert seen["subscriptions"] == []
    assert code == 0, processes.log_tail(log)
    assert names.questions == [], f"asked a name server for {sorted(set(names.questions))}"
