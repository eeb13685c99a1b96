"""The engine's command key: the secret with which the CLI and the API sign commands for the worker.

Where it comes from, first found wins: STO_ENGINE_KEY (the key itself), STO_ENGINE_KEY_FILE (a file holding
it), else `engine.key` beside the SQLite store (the one thing the processes of one engine already share), or
`var/engine.key` for other stores. A missing file is made (32 random bytes, hex, mode 0600). Whoever can
read it can send commands as the engine's own processes do: keep it as you keep the store.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

from adapters.event_store.store import database_url

KEY_SETTING = "STO_ENGINE_KEY"
KEY_FILE_SETTING = "STO_ENGINE_KEY_FILE"


def key_file(url: str | None = None) -> Path:
    configured = os.environ.get(KEY_FILE_SETTING, "").strip()
    if configured:
        return Path(configured)
    url = database_url(url)
    if urlparse(url).scheme == "sqlite":
        return Path(unquote(url[len("sqlite:///"):])).parent / "engine.key"
    return Path("var") / "engine.key"


def engine_key(url: str | None = None) -> bytes:
    """The key of the engine that runs on store `url` (made on first use)."""
    given = os.environ.get(KEY_SETTING, "").strip()
    if given:
        return given.encode()
    path = key_file(url)
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_bytes().strip()
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
        return path.read_bytes().strip()
