"""Reminder messages to regions (and DUS-I) before a deadline, in Dutch.

Pure: the text says which deadline, its date, its legal source and what to submit. Each reminder has
a stable key (grant, deadline, due date, offset) and a Message-ID derived from it, so that a message
sent twice after a crash is still one message to the receiver.
"""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict

from domain.regulation import Addressee, DeadlineInfo
from domain.regulation.termijnen import weekday_nl
from domain.state import GrantState

REMINDER_NAMESPACE = uuid.UUID("2d9c7b1e-0f3a-4b6c-9d8e-7a5b4c3d2e1f")
_MONTHS_NL = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)


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


def datum_nl(day: dt.date) -> str:
    return f"{weekday_nl(day)} {day.day} {_MONTHS_NL[day.month - 1]} {day.year}"


def reminder_key(region_code: str, deadline: DeadlineInfo, offset_days: int) -> str:
    return f"{region_code}|{deadline.key}|{deadline.due.isoformat()}|{offset_days}"


def reminder_message(
    state: GrantState, deadline: DeadlineInfo, offset_days: int, operator_address: str, today: dt.date
) -> Notification:
    """The reminder for one deadline, planned `offset_days` before it, to the penvoerder (or to DUS-I)."""
    key = reminder_key(state.region_code, deadline, offset_days)
    to_region = deadline.addressee is not Addressee.OPERATOR
    to = state.penvoerder.email if to_region else operator_address
    greeting = f"Geachte penvoerder van {state.region_name}," if to_region else "Beste collega van DUS-I,"
    days_left = (deadline.due - today).days
    when = {0: "vandaag", 1: "morgen"}.get(days_left, f"over {days_left} dagen")
    step = deadline.required_step or deadline.title_nl
    lines = [
        greeting,
        "",
        f"{when.capitalize()}, op {datum_nl(deadline.due)}, verloopt de termijn voor: {deadline.title_nl}.",
        f"Wat moet worden ingediend: {step}.",
        f"Regio: {state.region_name} ({state.region_code}).",
        f"Uiterste datum: {datum_nl(deadline.due)}, 23:59 uur (Europe/Amsterdam).",
        f"Wettelijke grondslag: {deadline.source}.",
    ]
    if deadline.amended:
        lines.append("Let op: deze datum is gewijzigd ten opzichte van de oorspronkelijke regeling (zie de grondslag).")
    if deadline.moved_by_atw:
        lines.append(f"De termijn is verlengd op grond van de Algemene termijnenwet (oorspronkelijk {datum_nl(deadline.original)}).")
    if deadline.consequence:
        lines.append(f"Als de termijn verstrijkt (English): {deadline.consequence}")
    lines.append("")
    lines += ["Met vriendelijke groet,", "DUS-I, namens de minister van OCW", "(Sterk Techniekonderwijs)"]
    return Notification(
        key=key,
        message_id=f"<{uuid.uuid5(REMINDER_NAMESPACE, key)}@sto.dus-i.example>",
        region_code=state.region_code,
        deadline_key=deadline.key,
        due=deadline.due,
        offset_days=offset_days,
        to=to,
        subject=f"Herinnering: {deadline.title_nl} uiterlijk {datum_nl(deadline.due)} ({state.region_code})",
        body="\n".join(lines),
    )


def period_notice(state: GrantState, window: DeadlineInfo, period: int, today: dt.date) -> Notification:
    """Tell a region that an application period is open for it, and until when."""
    key = f"{state.region_code}|open:{window.key}|{window.due.isoformat()}|0"
    start = f"van {datum_nl(window.start)} " if window.start else ""
    lines = [
        f"Geachte penvoerder van {state.region_name},",
        "",
        f"Aanvraagtijdvak {period} staat open voor uw regio {start}tot en met {datum_nl(window.due)}.",
        f"Wat moet worden ingediend: {window.required_step or window.title_nl}.",
        f"Wettelijke grondslag: {window.source}.",
        f"Als de termijn verstrijkt: {window.consequence or 'de aanvraag kan niet meer worden ingediend.'}",
        "",
        "Met vriendelijke groet,",
        "DUS-I, namens de minister van OCW",
    ]
    return Notification(
        key=key,
        message_id=f"<{uuid.uuid5(REMINDER_NAMESPACE, key)}@sto.dus-i.example>",
        region_code=state.region_code,
        deadline_key=window.key,
        due=window.due,
        offset_days=0,
        to=state.penvoerder.email,
        subject=f"Aanvraagtijdvak {period} geopend tot {datum_nl(window.due)} ({state.region_code})",
        body="\n".join(lines),
    )
