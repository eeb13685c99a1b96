"""Reminder messages to regions (and DUS-I) before a deadline, in Dutch.

Pure: the text says which deadline, its date, its legal source and what to submit. Each reminder has
a stable key (grant, deadline, due date, offset) and a Message-ID derived from it, so that a message
sent twice after a crash is still one message to the receiver.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from domain.notification_texts import lines as closing
from domain.notification_texts import say, scheme_title
from domain.regulation import Addressee, DeadlineInfo
from domain.regulation.schemes import scoped
from domain.regulation.termijnen import weekday_nl
from domain.state import GrantState

REMINDER_NAMESPACE = uuid.UUID("2d9c7b1e-0f3a-4b6c-9d8e-7a5b4c3d2e1f")
_MONTHS_NL = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)


class Attachment(BaseModel):
    """A file sent with a notification, by its content hash (the bytes stay in their own store)."""

    model_config = ConfigDict(frozen=True)

    filename: str
    media_type: str
    sha256: str
    size: int


class Notification(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str  # grant|deadline|due|offset: one notification per key, ever
    message_id: str
    region_code: str
    deadline_key: str
    due: dt.date
    offset_days: int
    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()  # since 2026-12: a decision letter's PDF


def datum_nl(day: dt.date) -> str:
    return f"{weekday_nl(day)} {day.day} {_MONTHS_NL[day.month - 1]} {day.year}"


def grant_scope(state: GrantState) -> str:
    """Whose reminders: the region code for a grant of the legacy scheme (keys as before there were schemes),
    `SCHEME/REGION` for another, so that a region's grants in two schemes each get their own."""
    scope = scoped(state.scheme)
    return state.region_code if scope is None else f"{scope}/{state.region_code}"


def reminder_key(scope: str, deadline: DeadlineInfo, offset_days: int) -> str:
    """`scope`: the grant's (grant_scope)."""
    return f"{scope}|{deadline.key}|{deadline.due.isoformat()}|{offset_days}"


def reminder_message(
    state: GrantState,
    deadlines: DeadlineInfo | Sequence[DeadlineInfo],
    offset_days: int,
    operator_address: str,
    today: dt.date,
    waiting: tuple[str, str, str | None] | None = None,
    role_addresses: dict[str, str] | None = None,
) -> Notification:
    """One reminder, planned `offset_days` before a date, for every deadline of the grant on that date.

    Deadlines that fall on the same day for the same addressee (progress report 2 and the 2024 plan;
    the final report and the end of spending) go in one message, each with its own step and source.
    """
    items = [deadlines] if isinstance(deadlines, DeadlineInfo) else list(deadlines)
    first = items[0]
    if any(d.due != first.due or d.addressee != first.addressee for d in items):
        raise ValueError("one reminder covers deadlines of one date and one addressee")
    if len(items) == 1:
        key = reminder_key(grant_scope(state), first, offset_days)
    else:
        key = f"{grant_scope(state)}|{'+'.join(d.key for d in items)}|{first.due.isoformat()}|{offset_days}"
    to_region = first.addressee is not Addressee.OPERATOR
    to = state.penvoerder.email if to_region else operator_address
    if not to_region and waiting is not None:  # DUS-I's term, while a besluit waits in a stage: to that stage's role
        to = (role_addresses or {}).get(waiting[1], operator_address)
    greeting = say("greeting_region", region_name=state.region_name) if to_region else say("greeting_operator")
    days_left = (first.due - today).days
    when = {0: say("today"), 1: say("tomorrow")}.get(days_left, say("in_days", days=days_left))
    titles = say("and").join(d.title_nl for d in items)
    lines = [
        greeting,
        "",
        say("expires", when=when.capitalize(), due=datum_nl(first.due), titles=titles),
        say("region", region_name=state.region_name, region_code=state.region_code),
        *([say("scheme", scheme=scheme_title(state.scheme))] if scoped(state.scheme) else []),  # a region may hold two grants
        say("last_day", due=datum_nl(first.due)),
    ]
    if not to_region and waiting is not None:
        stage, role, person = waiting
        lines.append(say("stage_waiting", stage=stage, role=role, held=say("stage_held", person=person) if person else ""))
    for deadline in items:
        lines += ["", say("deadline_heading", title=deadline.title_nl)] if len(items) > 1 else []
        lines.append(say("required_step", step=deadline.required_step or deadline.title_nl))
        lines.append(say("legal_basis", source=deadline.source))
        if deadline.amended:
            lines.append(say("amended"))
        if deadline.moved_by_atw:
            lines.append(say("moved_by_atw", original=datum_nl(deadline.original)))
        if deadline.consequence:
            lines.append(say("consequence", consequence=deadline.consequence))
    lines += ["", *closing("closing")]
    subject_what = first.title_nl if len(items) == 1 else say("subject_many", count=len(items))
    return Notification(
        key=key,
        message_id=f"<{uuid.uuid5(REMINDER_NAMESPACE, key)}@sto.dus-i.example>",
        region_code=state.region_code,
        deadline_key="+".join(d.key for d in items),
        due=first.due,
        offset_days=offset_days,
        to=to,
        subject=say("subject", what=subject_what, due=datum_nl(first.due), region_code=state.region_code),
        body="\n".join(lines),
    )


def period_notice(state: GrantState, window: DeadlineInfo, period: int, today: dt.date) -> Notification:
    """Tell a region that an application period is open for it, and until when."""
    key = f"{grant_scope(state)}|open:{window.key}|{window.due.isoformat()}|0"
    start = say("period_from", start=datum_nl(window.start)) if window.start else ""
    lines = [
        say("greeting_region", region_name=state.region_name),
        "",
        say("period_open", period=period, start=start, due=datum_nl(window.due)),
        say("required_step", step=window.required_step or window.title_nl),
        say("legal_basis", source=window.source),
        say("period_consequence", consequence=window.consequence or say("period_consequence_default")),
        "",
        *closing("period_closing"),
    ]
    return Notification(
        key=key,
        message_id=f"<{uuid.uuid5(REMINDER_NAMESPACE, key)}@sto.dus-i.example>",
        region_code=state.region_code,
        deadline_key=window.key,
        due=window.due,
        offset_days=0,
        to=state.penvoerder.email,
        subject=say("period_subject", period=period, due=datum_nl(window.due), region_code=state.region_code),
        body="\n".join(lines),
    )
