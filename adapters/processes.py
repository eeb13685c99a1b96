"""Child processes that die with their parent: the Temporal dev server, worker processes, benchmark helpers.

`spawn(args, log_path)` starts a child that
- writes its stdout and stderr to `log_path` (appended), never to a pipe that nobody reads (a full pipe blocks
  the child at its next write);
- on Linux gets `signal.SIGKILL` (or `death_signal`) from the kernel when its parent dies, however it dies,
  `kill -9` included (prctl PR_SET_PDEATHSIG, set in the child before exec);
- runs in its own process group, so a Ctrl-C in the terminal reaches the parent alone, which stops its
  children in order; `stop(process)` ends the child and everything left in its group.

PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the process. `spawn` therefore forks
from the main thread, or, called from any other thread (e.g. `asyncio.to_thread`), hands the fork to one
spawner thread that lives as long as the process; a child never dies because a pool thread was retired.

Every live child is also stopped at interpreter exit (atexit), and `stopping_on_signals()` turns SIGTERM and
SIGINT into "stop every child, then SystemExit / KeyboardInterrupt" so that `finally` blocks run.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")
PR_SET_PDEATHSIG = 1
LINUX = sys.platform.startswith("linux")

_prctl = None
if LINUX:  # resolved here, not in the forked child, where as little as possible should run
    try:
        _prctl = ctypes.CDLL(None, use_errno=True).prctl
        _prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        _prctl.restype = ctypes.c_int
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        _prctl = None

_lock = threading.RLock()  # re-entrant: a signal handler on the main thread may stop children mid-spawn
_live: dict[int, subprocess.Popen] = {}  # pid -> every child spawned here and not yet stopped
_spawned: "weakref.WeakSet[subprocess.Popen]" = weakref.WeakSet()  # leaders of their own process group
_atexit_registered = False


def parent_death_signal_supported() -> bool:
    return _prctl is not None


def _die_with_parent(sig: int, parent: int) -> Callable[[], None]:
    def in_child() -> None:  # runs between fork and exec
        if _prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), sig)

    return in_child


# --- the thread that forks ---------------------------------------------------------------------

_requests: queue.SimpleQueue | None = None


def _spawner_loop(requests: queue.SimpleQueue) -> None:
    while True:
        fn, future = requests.get()
        try:
            future.set_result(fn())
        except BaseException as error:  # noqa: BLE001 - handed back to the caller
            future.set_exception(error)


def _on_lasting_thread(fn: Callable[[], T]) -> T:
    """Run `fn` on a thread that lives until the process exits: the main thread, or the spawner thread (a
    daemon: never joined, so it ends only with the process)."""
    global _requests
    if threading.current_thread() is threading.main_thread():
        return fn()
    with _lock:
        if _requests is None:
            _requests = queue.SimpleQueue()
            threading.Thread(target=_spawner_loop, args=(_requests,), name="sto-spawner", daemon=True).start()
        requests = _requests
    future: Future = Future()
    requests.put((fn, future))
    return future.result()


# --- spawn and stop ----------------------------------------------------------------------------


def spawn(
    args: Sequence[str],
    log_path: Path,
    *,
    stdout_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    death_signal: int = signal.SIGKILL,
) -> subprocess.Popen:
    """Start `args` as a child in its own process group that dies with this process; its stderr (and its
    stdout, unless `stdout_path` is given) is appended to `log_path`."""
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    parent = os.getpid()

    def start() -> subprocess.Popen:
        with contextlib.ExitStack() as files:  # the child has its own copies; ours are closed after the fork
            log = files.enter_context(open(log_path, "ab"))
            out = files.enter_context(open(stdout_path, "ab")) if stdout_path is not None else log
            return subprocess.Popen(
                list(args), stdin=subprocess.DEVNULL, stdout=out, stderr=log, env=None if env is None else dict(env),
                cwd=cwd, process_group=0,
                preexec_fn=_die_with_parent(death_signal, parent) if _prctl is not None else None,
            )

    process = _on_lasting_thread(start)
    _remember(process)
    return process


def _remember(process: subprocess.Popen) -> None:
    global _atexit_registered
    with _lock:
        for pid in [pid for pid, p in list(_live.items()) if p.poll() is not None]:
            del _live[pid]
        _live[process.pid] = process
        _spawned.add(process)
        if not _atexit_registered:
            atexit.register(stop_all)
            _atexit_registered = True


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    """`sig` to the child's process group (spawn made the child its leader), or to the child alone."""
    try:
        if process in _spawned:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
    """End `process`: `sig` to its group, SIGKILL after `timeout` s; then SIGKILL to anything left in its group.
    Returns its exit code (None only when it could not be reaped)."""
    return stop_all([process], sig, timeout)[0]


def stop_all(
    processes: Sequence[subprocess.Popen] | None = None, sig: int = signal.SIGTERM, timeout: float = 10.0
) -> list[int | None]:
    """`stop` for several at once (all signalled, then waited for together); by default every live child."""
    if processes is None:
        with _lock:
            processes = list(_live.values())
    for process in processes:
        if process.poll() is None:
            _signal_group(process, sig)
    deadline = time.monotonic() + timeout
    codes: list[int | None] = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=max(0.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            try:
                codes.append(process.wait(timeout=5))
            except subprocess.TimeoutExpired:
                codes.append(None)
        with _lock:
            live = _live.get(process.pid) is process
            if live:
                del _live[process.pid]
        if live:
            _signal_group(process, signal.SIGKILL)  # a grandchild left in the child's group
    return codes


def log_tail(path: Path, start: int = 0, limit: int = 2000) -> str:
    """The last `limit` characters written to `path` after byte offset `start` (for an error message)."""
    try:
        with open(path, "rb") as file:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(start, size - limit))
            return file.read().decode(errors="replace")
    except OSError:
        return ""


@contextlib.contextmanager
def stopping_on_signals(signals: Sequence[int] = (signal.SIGTERM, signal.SIGINT), timeout: float = 5.0) -> Iterator[None]:
    """While inside (main thread only): SIGTERM or SIGINT stops every live child (`timeout` s, then SIGKILL),
    then raises KeyboardInterrupt (SIGINT) or SystemExit(128 + signal) so that `finally` blocks and atexit
    run. A second signal during the stop is ignored: the stop escalates to SIGKILL by itself."""
    if threading.current_thread() is not threading.main_thread():  # signal handlers belong to the main thread
        yield
        return
    stopping = False

    def handler(signum: int, frame: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        stop_all(timeout=timeout)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            if signal.getsignal(sig) is handler:  # asyncio.run may have put its own back already
                signal.signal(sig, old)
