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

The money of a region's grant (its ledger, `domain.ledger.aggregate:Ledger.<Event>`) goes the same way, for the
ledger's events that concern the region (REGION_LEDGER_EVENTS: an instalment scheduled, handed over, paid, returned,
lowered, cancelled or set off; payments suspended and resumed; the settlement; a claim established, in default, its
aanmaning, interest set, a dwangbevel due, a repayment received, a set-off, the lapse), never the releases, the bank
data or the commitments (DUS-I's own). Their `type` is `nl.sterktechniekonderwijs.grant.<event>` as well
(`...grant.claim-established`); `sequence` is the event's version in the grant's ledger, a stream of its own named
by `data.ledger_id` (the grant's own events count in `data.grant_id`); `dataref` is the grant's money in the API.
Their `data` keeps the promise above: dates, numbers and references (the instalment's end-to-end id, the claim's
number, the day a term ends), never an amount: the amounts are read with a token at the `dataref`.

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


# --- the ledger's events ------------------------------------------------------------------------------------------

LEDGER_TOPIC = "domain.ledger.aggregate:Ledger."
REGION_LEDGER_EVENTS = frozenset({
    "InstalmentScheduled", "InstalmentInstructed", "InstalmentPaid", "InstalmentReturned", "InstalmentsCancelled",
    "InstalmentLowered", "InstalmentSetOff", "PaymentsSuspended", "PaymentsResumed", "SettlementDetermined",
    "ClaimEstablished", "ClaimInDefault", "AanmaningSent", "InterestSet", "DwangbevelDue", "ClaimLapsed",
    "RepaymentReceived", "ClaimSetOff",
})
# the facts of a ledger event that say nothing of persons or money
LEDGER_FACTS = ("number", "numbers", "year", "due", "final", "besluit", "execution_date", "booked_on", "return_reason",
                "notice_on", "ends_at_latest", "term_ends", "since", "sent_on", "until", "claim", "against")


def region_ledger_event(topic: str) -> str | None:
    """The name of a stored ledger event that concerns the region (None: not a ledger event, or DUS-I's own)."""
    if not topic.startswith(LEDGER_TOPIC):
        return None
    name = topic[len(LEDGER_TOPIC):]
    return name if name in REGION_LEDGER_EVENTS else None


def ledger_cloud_event(ledger_id: Any, version: int, name: str, payload: dict[str, Any], opened: dict[str, Any],
                       dataref_base: str) -> dict[str, Any]:
    """The CloudEvent of one stored ledger event; `opened` is the ledger's first event (its grant, region, scheme)."""
    from domain.ledger.aggregate import end_to_end_id

    region, scheme = opened["grant_code"], opened.get("scheme")
    effective_at = unwrapped(payload["effective_at"])
    facts = {key: unwrapped(payload[key]) for key in LEDGER_FACTS if key in payload}
    if isinstance(facts.get("number"), int):  # an instalment: the reference on the region's bank statement
        facts["end_to_end_id"] = end_to_end_id(region, scheme, facts["number"])
    path = f"/v1/schemes/{scheme}/grants/{region}/money" if scheme else f"/v1/grants/{region}/money"
    return {
        "specversion": "1.0",
        "id": event_id(ledger_id, version),
        "source": source(),
        "type": event_type(name),
        "subject": region,
        "time": effective_at,
        "sequence": str(version),
        "sequencetype": "Integer",
        "datacontenttype": "application/json",
        "dataref": dataref_base.rstrip("/") + path,
        "data": {
            "region_code": region,
            "grant_id": str(uuid.UUID(str(unwrapped(opened["grant_id"])))),
            "scheme": scheme,
            "ledger_id": str(ledger_id),
            "version": version,
            "event": name,
            "effective_at": effective_at,
            "recorded_at": unwrapped(payload.get("timestamp")),
            "rule": None,
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
