"""A real HTTP receiver of webhooks on localhost, as a subscriber's system would run one (tests only).

It listens on 127.0.0.1, which webhooks may not reach by default (adapters/notify/addresses.py): the tests that
deliver to it allow it explicitly, with RECEIVERS (or STO_WEBHOOK_ALLOWED_NETWORKS=RECEIVERS_SETTING for a process).

It checks each request's signature the way Standard Webhooks describes it, written here apart from the engine's
own signing code (adapters/notify/cloudevents.py), so that a mistake there cannot hide itself. It answers 2xx,
or 500 while `failing` is set (or for the ids in `fail_once`, once each), and records what it accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from adapters.notify.addresses import AllowedNetworks

RECEIVERS_SETTING = "127.0.0.1/32"  # where the tests' receivers listen: allowed for webhooks in the tests only
RECEIVERS = AllowedNetworks.parse(RECEIVERS_SETTING)


def valid_signature(secret: str, headers: Any, body: bytes) -> bool:
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    given = [part.split(",", 1)[1] for part in headers.get("webhook-signature", "").split() if part.startswith("v1,")]
    return any(hmac.compare_digest(expected, g) for g in given)


class Receiver:
    def __init__(self, port: int = 0):
        self.secret: str | None = None  # set once the subscription is made
        self.failing = False
        self.fail_once: set[str] = set()
        self.accepted: list[dict[str, Any]] = []  # every CloudEvent answered 2xx, duplicates included
        self.refused: list[str] = []  # ids answered 500
        self.bad_signatures = 0
        self.hosts: list[str] = []  # the Host header of every request
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    receiver.hosts.append(self.headers.get("host", ""))
                    if receiver.secret is None or not valid_signature(receiver.secret, self.headers, body):
                        receiver.bad_signatures += 1
                        self._answer(401)
                        return
                    event = json.loads(body)
                    if receiver.failing or event["id"] in receiver.fail_once:
                        receiver.fail_once.discard(event["id"])
                        receiver.refused.append(event["id"])
                        self._answer(500)
                        return
                    assert self.headers["webhook-id"] == event["id"]
                    assert self.headers["content-type"] == "application/cloudevents+json"
                    receiver.accepted.append(event)
                    self._answer(204)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/sto-events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def ids(self) -> list[str]:
        return [e["id"] for e in self.accepted]

    def versions(self, region_code: str) -> list[int]:
        return [int(e["sequence"]) for e in self.accepted if e["subject"] == region_code]


def free_port() -> int:
    probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = probe.server_address[1]
    probe.server_close()
    return port
