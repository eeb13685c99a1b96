"""Test hosts on one machine: network namespaces plugged into a bridge in the root namespace.

    root namespace:  bridge stob<pid> (10.231.X.1/24) -- the "switch"; servers listen on its address
                        |  port sto<pid>a         |  port sto<pid>b        (host ends of veth pairs)
    namespace sto-<pid>-a: eth0 10.231.X.2    namespace sto-<pid>-b: eth0 10.231.X.3

A host is cut off by taking its cable out at the switch: `ip link set sto<pid>a down` on the host end. Its
processes keep running and see their connections hang (no reset, no error), as when a host's link or a switch
port fails. Plugging it back in (`link up`) lets the same connections go on.

Names carry the test process's pid, so concurrent runs do not collide, and X is a /24 of 10.231.0.0/16 that no
interface or route of this machine uses yet. `TestNetwork.close()` deletes what it made, and only that; it is
safe to call after a partial setup.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import threading
from dataclasses import dataclass, field


class NetnsUnavailable(Exception):
    """Namespaces or veth pairs cannot be made here (no root, no `ip`, a kernel or container that forbids it)."""


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: exit {done.returncode}: {done.stderr.strip()}")
    return done


def _used_networks() -> list[ipaddress.IPv4Network]:
    used = []
    for line in ip("-4", "-o", "addr").stdout.splitlines() + ip("-4", "route", "show", "table", "all").stdout.splitlines():
        for word in line.split():
            with contextlib.suppress(ValueError):
                if "/" in word or word.count(".") == 3:
                    used.append(ipaddress.ip_network(word, strict=False))
    return used


@dataclass
class Host:
    """A test host: a network namespace with one interface, cabled to the bridge."""

    name: str  # the namespace
    port: str  # the veth end in the root namespace (a port of the bridge)
    address: str

    def command(self, args: list[str]) -> list[str]:
        """`args` run inside this host (`ip netns exec` execs: the process's pid is the command's own)."""
        return ["ip", "netns", "exec", self.name, *args]


@dataclass
class TestNetwork:
    tag: str = field(default_factory=lambda: str(os.getpid()))
    hosts: dict[str, Host] = field(default_factory=dict)
    bridge: str = ""
    address: str = ""  # the root namespace's address on the bridge: where the servers listen
    _namespaces: list[str] = field(default_factory=list)
    _links: list[str] = field(default_factory=list)

    __test__ = False  # not a pytest class

    def create(self, host_names: list[str]) -> "TestNetwork":
        if shutil.which("ip") is None:
            raise NetnsUnavailable("the `ip` command (iproute2) is not installed")
        if os.geteuid() != 0:
            raise NetnsUnavailable(f"network namespaces need root; running as uid {os.geteuid()}")
        subnet = self._free_subnet()
        addresses = list(subnet.hosts())
        self.bridge, self.address = f"stob{self.tag}", str(addresses[0])
        try:
            ip("link", "add", self.bridge, "type", "bridge")
        except RuntimeError as error:
            raise NetnsUnavailable(f"cannot make a bridge: {error}") from None
        self._links.append(self.bridge)
        ip("addr", "add", f"{self.address}/{subnet.prefixlen}", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for n, name in enumerate(host_names, start=1):
            namespace, port = f"sto-{self.tag}-{name}", f"sto{self.tag}{name}"
            try:
                ip("netns", "add", namespace)
            except RuntimeError as error:
                raise NetnsUnavailable(f"cannot make a network namespace: {error}") from None
            self._namespaces.append(namespace)
            try:
                ip("link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", namespace)
            except RuntimeError as error:
                raise NetnsUnavailable(f"cannot make a veth pair: {error}") from None
            self._links.append(port)
            ip("link", "set", port, "master", self.bridge)
            ip("link", "set", port, "up")
            host = Host(namespace, port, str(addresses[n]))
            inside = ["-n", namespace]
            ip(*inside, "link", "set", "lo", "up")
            ip(*inside, "addr", "add", f"{host.address}/{subnet.prefixlen}", "dev", "eth0")
            ip(*inside, "link", "set", "eth0", "up")
            ip(*inside, "route", "add", "default", "via", self.address)
            self.hosts[name] = host
        return self

    def _free_subnet(self) -> ipaddress.IPv4Network:
        used = _used_networks()
        start = os.getpid() % 200
        for k in range(250):
            candidate = ipaddress.ip_network(f"10.231.{(start + k) % 250 + 1}.0/24")
            if not any(candidate.overlaps(u) for u in used if u.prefixlen > 0):
                return candidate
        raise NetnsUnavailable("no free /24 in 10.231.0.0/16 for the test network")

    def cut(self, name: str) -> None:
        """Take the host's cable out at the switch: its link goes down, its processes live on."""
        ip("link", "set", self.hosts[name].port, "down")

    def plug(self, name: str) -> None:
        ip("link", "set", self.hosts[name].port, "up")

    def link_state(self, name: str) -> str:
        return ip("-o", "link", "show", self.hosts[name].port, check=False).stdout.strip()

    def close(self) -> list[str]:
        """Delete every namespace and link made here; returns what could not be deleted (empty when all went)."""
        left = []
        for namespace in self._namespaces:  # a process still inside (the test's own, left by a failure) is killed
            for pid in ip("netns", "pids", namespace, check=False).stdout.split():
                with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
                    os.kill(int(pid), signal.SIGKILL)
        for namespace in reversed(self._namespaces):  # deleting a namespace deletes its veth end, and so the pair
            if ip("netns", "del", namespace, check=False).returncode != 0 and namespace in self.namespaces():
                left.append(namespace)
        for link in reversed(self._links):
            if ip("link", "show", link, check=False).returncode == 0:
                if ip("link", "del", link, check=False).returncode != 0:
                    left.append(link)
        self._namespaces.clear()
        self._links.clear()
        return left

    @staticmethod
    def namespaces() -> list[str]:
        return [line.split()[0] for line in ip("netns", "list", check=False).stdout.splitlines() if line.strip()]


class TcpForwarder:
    """Accepts on (host, port) and forwards each connection to `target`, byte for byte, on its own event loop
    thread: a server that listens on loopback only (PostgreSQL here) becomes reachable on the test network, as
    it would be on a host of its own. Connections it holds are left alone when a host is cut off."""

    def __init__(self, host: str, target: tuple[str, int]):
        self.host, self.target = host, target
        self.port = 0
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-forwarder", daemon=True)
        self._server: asyncio.AbstractServer | None = None

    def start(self) -> "TcpForwarder":
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, self.host, 0), self._loop).result(timeout=30)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                with contextlib.suppress(OSError, RuntimeError):
                    sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def stop(self) -> None:
        async def shut() -> None:
            if self._server is not None:
                self._server.close()
            for task in [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
                task.cancel()

        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(shut(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)


def free_port_on(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]
