"""Publishing the audit chain's head where the store's writer cannot rewrite it (`sto audit anchor`).

Whoever can write the store can rewrite a record, its seal and the whole chain consistently (adapters/audit/chain.py);
no check inside the store can see that. So the head (seq, position, chain hash, time) is published twice, outside:

1. a line in an append-only file outside the store's directory (JSON lines, `--to FILE` or `STO_AUDIT_ANCHORS`,
   default `$XDG_STATE_HOME/sto/audit-anchors/<store>.jsonl`, i.e. under `~/.local/state`): opened with O_APPEND,
   locked while a line is added, never rewritten, fsynced (and its directory when the file is new). A path inside
   the store's own directory is refused: a copy, restore or clean-up of the store would take the anchors along,
   and whoever holds the store's directory would hold them too. For real protection point it at storage the
   engine's account can only append to (another machine, a WORM share, `chattr +a`).
2. a mail to the auditors (`STO_AUDITOR_ADDRESS`, default auditors@sto.example) through the outbox and the
   notifier, as reminders go (GrantService.deliver_notification): queued once and delivered once per head, by the
   key `audit-anchor|<head hash>` and a Message-ID derived from it.

The chain is extended first (from the seals written when each record was stored, so an edit made since is not
blessed), then its head is anchored. The anchor mail's own outbox records are stored after that head: anchoring
again with nothing else stored in between finds them after the head it anchored, anchors that same head again,
and so neither writes another line nor sends another mail (a retried activity behaves the same). The next record
of any other kind moves the head.

`sto audit verify --anchors FILE` (and `python -m adapters.audit.chain URL --anchors FILE`) checks the store
against every head in the file and names the first that no longer matches. `AuditAnchorActivities` is the
activity of the daily workflow (workflows/audit_anchor.py); `start_daily_anchoring` starts that workflow.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from adapters.audit import chain as audit_chain
from domain.notifications import Notification
from domain.outbox import OutboxMessage, outbox_id
from domain.ports import Notifier
from adapters.event_store.service import GrantService
from domain.timekeeping import UTC, local_date
from workflows import TASK_QUEUE
from workflows.audit_anchor import (
    ANCHOR_ACTIVITY,
    ANCHOR_WORKFLOW_ID,
    AnchorOutcome,
    AnchorRequest,
    AuditAnchorWorkflow,
    DailyAnchorInput,
)

ANCHORS_SETTING = "STO_AUDIT_ANCHORS"
AUDITORS_SETTING = "STO_AUDITOR_ADDRESS"
DEFAULT_AUDITORS = "auditors@sto.example"
KEY_PREFIX = "audit-anchor|"
ANCHOR_NAMESPACE = uuid.UUID("5b7e2c1d-8f3a-4e6b-9c0d-1a2b3c4d5e6f")
OUTBOX_TOPIC = f"{OutboxMessage.__module__}:{OutboxMessage.__qualname__}."
TAIL = 64 * 1024  # how much of the file's end is read to see whether this head was published last


class AnchorsInsideStore(ValueError):
    """The anchors file would lie inside the store's own directory."""


def anchor_key(head_hash: str) -> str:
    """The outbox key of the anchor mail for one head: one mail per head, ever."""
    return KEY_PREFIX + head_hash


# --- where ------------------------------------------------------------------------------------


def open_chain(env: Any, events_table: str) -> audit_chain.ChainDatabase | None:
    """The store's own database with its chain (None for the in-memory store), from the service's environment."""
    module = env.get("PERSISTENCE_MODULE", "")
    if module.endswith("sqlite"):
        return audit_chain.open_sqlite(env["SQLITE_DBNAME"], events_table)
    if module.endswith("postgres"):
        from adapters.event_store.store import postgres_conninfo

        return audit_chain.open_postgres(postgres_conninfo(env), env.get("POSTGRES_SCHEMA") or "public", events_table)
    return None


def store_directory(env: Any) -> Path | None:
    """The directory of a SQLite store (None for PostgreSQL: its files are the server's)."""
    if env.get("PERSISTENCE_MODULE", "").endswith("sqlite"):
        return Path(env["SQLITE_DBNAME"]).resolve().parent
    return None


def default_anchors_file(location: str) -> Path:
    """`$XDG_STATE_HOME/sto/audit-anchors/<store>.jsonl` (`~/.local/state/...`): one file per store, outside it."""
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    slug = re.sub(r"[^A-Za-z0-9._]+", "-", location.split("://", 1)[-1]).strip("-")
    scheme = location.split(":", 1)[0]
    return base / "sto" / "audit-anchors" / f"{scheme}-{slug}.jsonl"


def anchors_file(env: Any, location: str, given: str | os.PathLike | None = None) -> Path:
    """The anchors file: `given`, else STO_AUDIT_ANCHORS, else the default; refused inside the store's directory."""
    text = given or os.environ.get(ANCHORS_SETTING, "").strip()
    path = (Path(text).expanduser() if text else default_anchors_file(location)).resolve()
    directory = store_directory(env)
    if directory is not None and path.is_relative_to(directory):
        raise AnchorsInsideStore(
            f"the anchors file {path} lies inside the store's own directory {directory}: whoever can rewrite the "
            "store can rewrite it too; publish the head outside it (--to FILE or STO_AUDIT_ANCHORS, best on "
            "storage the engine's account can only append to)"
        )
    return path


# --- what -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedHead:
    store: str  # which store, without secrets
    seq: int
    notification_id: int
    hash: str
    anchored_at: str  # UTC, ISO 8601: when it was published
    business_time: str  # the business clock then (ISO 8601)

    def line(self) -> bytes:
        return (json.dumps(asdict(self), sort_keys=True) + "\n").encode()


def head_to_anchor(db: audit_chain.ChainDatabase) -> tuple[int, int, str] | None:
    """(seq, position, chain hash) of the row to publish: the chain's head, unless every record after some row is
    an outbox record of that row's own anchor mail (then that row: nothing but the anchoring happened since)."""
    statement = db.q(
        f"SELECT c.seq, c.notification_id, c.chain_hash, e.originator_id, e.topic FROM {audit_chain.CHAIN_TABLE} c "
        f"LEFT JOIN {db.events_table} e ON e.{db.position} = c.notification_id WHERE c.seq < ? "
        "ORDER BY c.seq DESC LIMIT ?"
    )
    head: tuple | None = None
    trailing: uuid.UUID | None = None
    before = 2**62
    while True:
        rows = db.execute(statement, (before, 500)).fetchall()
        for seq, position, link, originator, topic in rows:
            if head is None:
                head, trailing = (seq, position, link), _uuid(originator)
                if not str(topic or "").startswith(OUTBOX_TOPIC):
                    return head  # the last record is no mail: it is the head
                continue
            if trailing is not None and _uuid(originator) == trailing:
                continue  # the same outbox message (queued, failed, delivered): walk back over it
            return (seq, position, link) if outbox_id(anchor_key(link)) == trailing else head
        if len(rows) < 500:
            return head
        before = rows[-1][0]


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def append_head(path: Path, head: PublishedHead) -> PublishedHead | None:
    """Add the head as one line at the end of the file (O_APPEND, under an exclusive lock, fsynced) and return
    None; when the file's last line for this store already holds this head, write nothing and return that one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        tail = os.pread(fd, min(size, TAIL), max(0, size - TAIL))
        earlier = _last_of_store(tail, head.store)
        if earlier is not None and (earlier.seq, earlier.notification_id, earlier.hash) == (head.seq, head.notification_id, head.hash):
            return earlier
        data = head.line()
        if tail and not tail.endswith(b"\n"):
            data = b"\n" + data  # a line torn by a crash stays on its own line; read_anchors reports it
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
        os.fsync(fd)
    finally:
        os.close(fd)
    if new:
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return None


def _last_of_store(tail: bytes, store: str) -> PublishedHead | None:
    """The last head of `store` in the file's tail (None if there is none there)."""
    for raw in reversed(tail.splitlines()):
        try:
            line = json.loads(raw)
            if isinstance(line, dict) and line.get("store") == store:
                return PublishedHead(**{name: line[name] for name in PublishedHead.__dataclass_fields__})
        except (ValueError, KeyError, TypeError):
            continue
    return None


def anchor_mail(head: PublishedHead, auditors: str, file: Path) -> Notification:
    """The mail to the auditors for one head (Dutch, as the engine's other mail)."""
    key = anchor_key(head.hash)
    day = local_date(dt.datetime.fromisoformat(head.business_time))
    body = "\n".join([
        "Beste auditor,",
        "",
        "De kop van de hash-keten over het gebeurtenissenlog van de STO-subsidieadministratie is verankerd.",
        "Bewaar deze mail: wie het log later herschrijft, kan deze hash niet meer laten kloppen.",
        "",
        f"Opslag: {head.store}",
        f"Kop van de keten: record {head.notification_id} (volgnummer {head.seq})",
        f"Hash: {head.hash}",
        f"Verankerd op: {head.anchored_at} (UTC); bedrijfstijd {head.business_time}",
        f"Ook gepubliceerd in: {file}",
        "",
        "Controleren of het log sindsdien niet is gewijzigd:",
        f"  sto audit verify --anchor {head.hash}",
        "of tegen alle gepubliceerde koppen:",
        f"  sto audit verify --anchors {file}",
        "",
        "Met vriendelijke groet,",
        "DUS-I (Sterk Techniekonderwijs)",
    ])
    return Notification(
        key=key,
        message_id=f"<{uuid.uuid5(ANCHOR_NAMESPACE, key)}@sto.dus-i.example>",
        region_code="AUDIT",
        deadline_key="audit-anchor",
        due=day,
        offset_days=0,
        to=auditors,
        subject=f"Audit-anker STO: keten tot record {head.notification_id} (volgnummer {head.seq}), {head.hash[:16]}",
        body=body,
    )


# --- anchoring --------------------------------------------------------------------------------


@dataclass
class AnchorResult:
    head: dict[str, Any] | None  # the published head, as first published (None: the store holds no record yet)
    file: str
    written: bool = False  # a new line in the file (False: this head was the file's last for this store)
    to: str | None = None
    mailed: bool = False  # the mail was delivered now (False: delivered before, or failed)
    mail_reference: str | None = None
    mail_error: str | None = None  # the mail could not be sent: anchor again later (it is sent once)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def anchor(
    service: GrantService,
    notifier: Notifier,
    *,
    to: str | os.PathLike | None = None,
    auditors: str | None = None,
    business_time: dt.datetime | None = None,
) -> AnchorResult:
    """Extend the chain, publish its head to the anchors file and mail it to the auditors (each at most once per
    head). Raises AnchorsInsideStore (a ValueError) before anything is written when the file lies in the store's
    directory, ValueError for the in-memory store; a mail that could not be sent is in `mail_error`."""
    db = open_chain(service.env, service.recorder.events_table_name)
    if db is None:
        raise ValueError("the in-memory store keeps no hash chain; anchor a SQLite or PostgreSQL store")
    try:
        location = db.location or "unknown store"
        path = anchors_file(service.env, location, to)
        audit_chain.extend(db)
        row = head_to_anchor(db)
    finally:
        db.close()
    address = auditors or os.environ.get(AUDITORS_SETTING, "").strip() or DEFAULT_AUDITORS
    if row is None:
        return AnchorResult(head=None, file=str(path), to=address)
    now = dt.datetime.now(UTC)
    head = PublishedHead(
        store=location, seq=row[0], notification_id=row[1], hash=row[2],
        anchored_at=now.isoformat(timespec="seconds"), business_time=(business_time or now).isoformat(timespec="seconds"),
    )
    earlier = append_head(path, head)
    head = earlier or head  # the same head published before: as it was published then
    result = AnchorResult(head=asdict(head), file=str(path), written=earlier is None, to=address)
    try:
        result.mail_reference, result.mailed = service.deliver_notification(anchor_mail(head, address, path), notifier)
    except Exception as error:  # noqa: BLE001 - the notifier's failure; the outbox has recorded it
        result.mail_error = f"{type(error).__name__}: {error}"
    return result


class AuditAnchorActivities:
    """The activity of the daily anchoring workflow, bound to one store and one notifier (all the I/O)."""

    def __init__(self, service: GrantService, notifier: Notifier, *, to: str | None = None, auditors: str | None = None):
        self.service, self.notifier, self.to, self.auditors = service, notifier, to, auditors

    @activity.defn(name=ANCHOR_ACTIVITY)
    def anchor_audit_head(self, request: AnchorRequest) -> AnchorOutcome:
        try:
            result = anchor(self.service, self.notifier, to=self.to, auditors=self.auditors,
                            business_time=request.business_time)
        except AnchorsInsideStore as error:  # no retry cures a setting: say so in the workflow's history
            raise ApplicationError(str(error), type="AnchorsInsideStore", non_retryable=True) from None
        except ValueError as error:  # the in-memory store: nothing to anchor, ever
            return AnchorOutcome(anchored=False, message=str(error))
        if result.mail_error:  # the line is written; the retry finds it and sends the mail once
            raise RuntimeError(f"the anchor mail to {result.to} could not be sent: {result.mail_error}")
        head = result.head or {}
        return AnchorOutcome(
            anchored=result.head is not None, seq=head.get("seq"), notification_id=head.get("notification_id"),
            hash=head.get("hash"), file=result.file, written=result.written, mailed=result.mailed,
            mail_reference=result.mail_reference,
            message="" if result.head else "the store holds no record yet: nothing to anchor",
        )

    def all(self) -> list:
        return [self.anchor_audit_head]


async def start_daily_anchoring(
    client: Client,
    *,
    task_queue: str = TASK_QUEUE,
    clock_offset_seconds: float = 0.0,
    runs_per_history: int = 30,
) -> WorkflowHandle:
    """Start the daily anchoring workflow (one per namespace; if it runs already, that one is returned)."""
    try:
        return await client.start_workflow(
            AuditAnchorWorkflow.run,
            DailyAnchorInput(clock_offset_seconds=clock_offset_seconds, runs_per_history=runs_per_history),
            id=ANCHOR_WORKFLOW_ID,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except WorkflowAlreadyStartedError as error:  # a server without USE_EXISTING (the time-skipping test server)
        return client.get_workflow_handle(ANCHOR_WORKFLOW_ID, run_id=error.run_id)
