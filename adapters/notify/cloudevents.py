"""A stored grant event as a CloudEvent (NL GOV profile of CloudEvents 1.0), and its signature (Standard Webhooks).

The event (structured mode, `application/cloudevents+json`):
- `id`: a UUID derived from the stored event's own identity (the grant's id and the event's version in it): the
  same on every delivery and redelivery, so a receiver dedupes on it;
- `source`: a URN naming this system (`urn:nld:oin:<OIN>:systeem:<name>`; STO_CLOUDEVENTS_SOURCE, with DUS-I's
  OIN in production);
- `type`: reverse DNS without an organisation's name, `nl.sterktechniekonderwijs.grant.<event>` with the event's
  name in kebab case (`nl.sterktechniekonderwijs.grant.grant-approved`);
- `subject`: the region code; `time`: when the event took effect (business time, UTC);
- `sequence` / `sequencetype` (the profile's extension): the event's version in its grant, so a receiver can
  order a grant's events (never the global log position: that would tell a region about the others);
- `dataref`: where the whole event is read with a token (the grant's history in the API);
- `data`: what happened, under which rule and legal basis, and when. Never who did it (the actor), never the
  free-text reason, never an amount or a document: a region's system that wants those reads them with its token.

The signature, as Standard Webhooks has it: `webhook-id` (the event's id), `webhook-timestamp` (Unix seconds) and
`webhook-signature` `v1,<base64 HMAC-SHA256>` over `<id>.<timestamp>.<body>`, keyed with the subscription's
secret `whsec_<base64 key>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import uuid
from typing import Any

import orjson

from projections.payloads import data as unwrapped
from projections.timeline import event_name

SOURCE_SETTING = "STO_CLOUDEVENTS_SOURCE"
DEFAULT_SOURCE = "urn:nld:oin:00000000000000000000:systeem:sto-grant-engine"  # set DUS-I's OIN in production
TYPE_PREFIX = "nl.sterktechniekonderwijs.grant."
MEDIA_TYPE = "application/cloudevents+json"
EVENT_NAMESPACE = uuid.UUID("5b0f3c8e-7d2a-4e61-9c47-1a2b3c4d5e6f")
# the facts of an event that say nothing of persons or money: safe for every subscriber of its region
SAFE_FACTS = ("period", "deadline_key", "due", "number", "outcome", "status_before", "status_after", "against", "year",
              "positive", "late")
_KEBAB = re.compile(r"(?<!^)(?=[A-Z])")


def event_type(name: str) -> str:
    """`GrantApproved` -> `nl.sterktechniekonderwijs.grant.grant-approved`."""
    return TYPE_PREFIX + _KEBAB.sub("-", name).lower()


def event_id(grant_id: Any, version: int) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{grant_id}/{version}"))


def source() -> str:
    return os.environ.get(SOURCE_SETTING, "").strip() or DEFAULT_SOURCE


def cloud_event(grant_id: Any, version: int, topic: str, payload: dict[str, Any], region_code: str,
                dataref_base: str) -> dict[str, Any]:
    """The CloudEvent of one stored grant event (payload decoded, wrappers in place)."""
    name = event_name(topic)
    effective_at = unwrapped(payload["effective_at"])
    facts = {key: unwrapped(payload[key]) for key in SAFE_FACTS if key in payload}
    return {
        "specversion": "1.0",
        "id": event_id(grant_id, version),
        "source": source(),
        "type": event_type(name),
        "subject": region_code,
        "time": effective_at,
        "sequence": str(version),
        "sequencetype": "Integer",
        "datacontenttype": "application/json",
        "dataref": f"{dataref_base.rstrip('/')}/v1/grants/{region_code}/history",
        "data": {
            "region_code": region_code,
            "grant_id": str(grant_id),
            "version": version,
            "event": name,
            "effective_at": effective_at,
            "recorded_at": unwrapped(payload.get("timestamp")),
            "rule": payload.get("rule"),
            "legal_basis": payload.get("legal_basis"),
            **facts,
        },
    }


def body_of(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


# --- signing -------------------------------------------------------------------------------------------------

def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": MEDIA_TYPE,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }
