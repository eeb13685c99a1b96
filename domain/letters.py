"""Decision letters (beschikkingen): the text of the letter a besluit sends the penvoerder, in Dutch.

Pure: from the grant's state, the number of one of its besluiten (state.besluiten), the regulation and the
scheme's letter template (data in domain/regulation/data/letters/<scheme>.toml, never code). The objection
deadline is the engine's own count (domain/deadlines.besluit_objection_deadline, Awb 6:7/6:8 with the
Algemene termijnenwet), so the letter and the deadlines never disagree. The letter carries no clock and no
random value: the same besluit and template give the same letter, and the PDF made from it the same bytes.
"""

from __future__ import annotations

import datetime as dt
import tomllib
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from domain.deadlines import besluit_objection_deadline
from domain.letter_advances import advance_paragraphs, claim_paragraphs
from domain.notifications import REMINDER_NAMESPACE, Attachment, Notification, datum_nl, grant_scope
from domain.regulation import DeadlineInfo, Regulation
from domain.regulation.model import LegalSource
from domain.regulation.schemes import legacy_scheme_id
from domain.state import BesluitRecord, GrantState

LETTERS_DIR = Path(__file__).parent / "regulation" / "data" / "letters"
LETTER_NAMESPACE = uuid.UUID("5b3f2a71-8c4d-4e9f-a0b1-c2d3e4f5a6b7")


@dataclass(frozen=True)
class Template:
    """One scheme's letter template, as its data file holds it."""

    id: str
    version: int
    scheme: str
    data: dict[str, Any]

    def kind(self, kind: str) -> dict[str, Any]:
        try:
            return self.data["kinds"][kind]
        except KeyError:
            raise KeyError(f"the letter template {self.id} has no text for a besluit of kind {kind!r}") from None

    @property
    def kinds(self) -> list[str]:
        return list(self.data["kinds"])


def has_template(scheme_id: str | None) -> bool:
    """Whether the scheme has letter templates (a scheme added as data without them makes no letters)."""
    return (LETTERS_DIR / f"{scheme_id or legacy_scheme_id()}.toml").is_file()


@cache
def template(scheme_id: str | None) -> Template:
    """The letter template of a scheme (the legacy scheme's for a grant recorded before schemes)."""
    scheme_id = scheme_id or legacy_scheme_id()
    path = LETTERS_DIR / f"{scheme_id}.toml"
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    head = data["letter"]
    return Template(id=head["id"], version=int(head["version"]), scheme=head["scheme"], data=data)


@dataclass(frozen=True)
class Letter:
    """What the PDF shows, in reading order; `text()` is the same as plain text (the mail's body)."""

    scheme: str
    region_code: str
    besluit: int
    kind: str
    template: str
    template_version: int
    filename: str
    dated: dt.date
    sent_on: dt.date
    to: str
    sender: list[str]
    addressee: list[str]
    date_line: str
    reference: str
    subject: str
    salutation: str
    body: list[str]
    amounts_title: str
    amounts: list[tuple[str, str]] = field(default_factory=list)
    basis_title: str = ""
    basis: list[str] = field(default_factory=list)
    objection_title: str = ""
    objection: list[str] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)
    footer: str = ""
    objection_deadline: dt.date | None = None
    deadline: DeadlineInfo | None = None

    def text(self) -> str:
        parts = [*self.sender, "", *self.addressee, "", self.date_line, self.reference, "", self.subject, "",
                 self.salutation, "", *_spaced(self.body)]
        if self.amounts:
            parts += [self.amounts_title, *(f"  {label}: {amount}" for label, amount in self.amounts), ""]
        parts += [self.basis_title, *self.basis, "", self.objection_title, *_spaced(self.objection), *self.closing]
        return "\n".join(parts).rstrip() + "\n"


def _spaced(paragraphs: list[str]) -> list[str]:
    out: list[str] = []
    for paragraph in paragraphs:
        out += [paragraph, ""]
    return out


def euro_nl(cents: int) -> str:
    """€ 1.234.567,89 (Dutch notation, the euro sign the letters print)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}€ {whole:,}".replace(",", ".") + f",{rest:02d}"


def letter_command_id(state: GrantState, besluit: int) -> uuid.UUID:
    """The id of the command that records besluit `besluit`'s letter: the same on every retry."""
    return uuid.uuid5(LETTER_NAMESPACE, f"{state.grant_id}|letter|{besluit}")


def besluit_of(state: GrantState, number: int) -> BesluitRecord:
    for besluit in state.besluiten:
        if besluit.number == number:
            return besluit
    raise KeyError(f"the grant of {state.region_code} has no besluit number {number}")


def objection_deadline_of(besluit: BesluitRecord, regulation: Regulation) -> DeadlineInfo:
    """The last day to object to (or, after a beslissing op bezwaar, appeal against) the besluit, as the engine
    counts it for the grant's deadlines."""
    return besluit_objection_deadline(regulation, besluit.kind, besluit.sent_on, besluit.sent_on,
                                      f"objection_period:besluit-{besluit.number}")


def compose(state: GrantState, number: int, regulation: Regulation, tpl: Template | None = None) -> Letter:
    """The letter of besluit `number` of the grant."""
    tpl = tpl or template(state.scheme)
    besluit = besluit_of(state, number)
    texts = tpl.data
    head = texts["letter"]
    kind_texts = tpl.kind(besluit.kind)
    declared = regulation.besluit(besluit.kind)
    deadline = objection_deadline_of(besluit, regulation)
    remedy = texts["objection"][declared.remedy]
    scheme_info = regulation.data.scheme
    values = _values(state, besluit, regulation, deadline, texts)
    values["besluit_titel"] = declared.title_nl
    values["besluit_bron"] = declared.source.label()
    values["regeling_bron"] = scheme_info.source.label() if scheme_info else regulation.data.name
    values["atw"] = (
        texts["atw"]["moved"].format(oorspronkelijk=datum_nl(deadline.original), reden=_atw_reason(deadline))
        if deadline.moved_by_atw else ""
    )

    def fill(text: str) -> str:
        return text.format_map(values)

    scheme_id = tpl.scheme
    filename = f"{scheme_id}-{state.region_code}-besluit-{besluit.number:02d}-{besluit.kind.replace('_', '-')}.pdf"
    penvoerder = state.penvoerder
    return Letter(
        scheme=scheme_id,
        region_code=state.region_code,
        besluit=besluit.number,
        kind=besluit.kind,
        template=tpl.id,
        template_version=tpl.version,
        filename=filename,
        dated=besluit.decided_on,
        sent_on=besluit.sent_on,
        to=penvoerder.email,
        sender=list(head["sender"]),
        addressee=[f"Het bevoegd gezag van {penvoerder.name}", f"bevoegd-gezagnummer {penvoerder.bevoegd_gezag}",
                   f"penvoerder van de regio {state.region_name} ({state.region_code})", penvoerder.email],
        date_line=fill(head["date_line"]),
        reference=fill(head["reference"]),
        subject=fill(kind_texts["subject"]),
        salutation=head["salutation"],
        body=[fill(p) for p in kind_texts["body"]] + advance_paragraphs(state, besluit) + claim_paragraphs(state, besluit),
        amounts_title=head["amounts_title"],
        amounts=_amounts(state, besluit, head),
        basis_title=head["basis_title"],
        basis=[fill(line) for line in head["basis"]],
        objection_title=remedy["title"],
        objection=[fill(p) for p in remedy["text"]] + [f"Bron: {LegalSource.model_validate(remedy['source']).label()}"],
        closing=_closing(head["closing"], besluit),
        footer=head["footer"],
        objection_deadline=deadline.due,
        deadline=deadline,
    )


def _closing(template: list[str], besluit: BesluitRecord) -> list[str]:
    """The greeting of the template, then the signature the besluit was signed with (Awb 10:10: on whose behalf,
    under which mandate and sub-mandate, by whom), recorded with the besluit so that a reprint prints the same. A
    besluit taken before mandates were recorded, or by the engine itself, keeps the template's closing."""
    if not besluit.signature:
        return list(template)
    greeting = template[: template.index("") + 1] if "" in template else list(template[:1]) + [""]
    return [*greeting, *besluit.signature["lines"]]


def _atw_reason(deadline: DeadlineInfo) -> str:
    for line in deadline.explanation:
        if "Atw" in line or "termijnenwet" in line.lower():
            return line.rstrip(".")
    return "weekend of feestdag"


def _values(state: GrantState, besluit: BesluitRecord, regulation: Regulation, deadline: DeadlineInfo,
            texts: dict[str, Any]) -> dict[str, Any]:
    application = next((a for a in reversed(state.applications) if a.period == besluit.period), state.application)
    against = regulation.besluit(besluit.against).title_nl if besluit.against else ""
    total = sum(besluit.granted_per_year.values())
    values: dict[str, Any] = {
        "regio": state.region_name,
        "regiocode": state.region_code,
        "penvoerder": state.penvoerder.name,
        "bevoegd_gezag": state.penvoerder.bevoegd_gezag,
        "regeling": regulation.data.name,
        "datum": datum_nl(besluit.decided_on),
        "verzonden": datum_nl(besluit.sent_on),
        "tijdvak": besluit.period,
        "aanvraagdatum": datum_nl(application.submitted_on) if application else "(onbekend)",
        "totaal": euro_nl(total),
        "redenen": " ".join(r if r.endswith(".") else f"{r}." for r in besluit.reasons),
        "termijn": datum_nl(deadline.due),
        "termijn_dagen": (deadline.original - besluit.sent_on).days,
        "bezwaar_tegen": against,
        "uitkomst": texts["outcomes"].get(besluit.outcome or "", besluit.outcome or ""),
        "besluitnummer": f"{besluit.number:02d}",
        "kenmerk": f"DUS-I/{state.region_code}/{besluit.number:02d}",
        "regel": besluit.rule,
        "grondslag": besluit.legal_basis,
    }
    determination = state.determination
    if besluit.kind == "determination" and determination is not None:
        values.update(
            verleend=euro_nl(determination.granted_total_cents),
            kosten=euro_nl(determination.realised_costs_cents),
            subsidiabel=euro_nl(determination.eligible_cents),
            vastgesteld=euro_nl(determination.determined_cents),
            betaald=euro_nl(determination.paid_cents),
            terugvordering=euro_nl(determination.reclaim_cents),
            cofinanciering_vereist=euro_nl(determination.cofinancing_required_cents),
            cofinanciering_gerealiseerd=euro_nl(determination.cofinancing_realised_cents),
        )
    return values


def _amounts(state: GrantState, besluit: BesluitRecord, head: dict[str, Any]) -> list[tuple[str, str]]:
    """The amounts per year the besluit grants; for a vaststelling the grant it settles and what it reclaims;
    for an intrekking the grant it withdraws; for an afwijzing what was asked."""
    per_year = dict(besluit.granted_per_year)
    rows: list[tuple[str, str]] = []
    if besluit.kind == "determination" and state.determination is not None:
        d = state.determination
        granted = _granted_with_extension(state)
        rows += [(f"Verleend {year}", euro_nl(cents)) for year, cents in sorted(granted.items())]
        rows += [("Verleend totaal", euro_nl(d.granted_total_cents)), ("Vastgesteld", euro_nl(d.determined_cents)),
                 ("Betaald", euro_nl(d.paid_cents)), ("Terugvordering", euro_nl(d.reclaim_cents))]
        return rows
    if besluit.kind == "withdrawal":
        per_year = _granted_with_extension(state)
        rows = [(f"Ingetrokken {year}", euro_nl(cents)) for year, cents in sorted(per_year.items())]
        return rows + ([(head["amounts_total"], euro_nl(sum(per_year.values())))] if rows else [])
    if besluit.kind in ("rejection", "set_aside"):
        application = next((a for a in reversed(state.applications) if a.period == besluit.period), None)
        return [("Aangevraagd", euro_nl(application.requested_cents))] if application else []
    rows = [(str(year), euro_nl(cents)) for year, cents in sorted(per_year.items())]
    return rows + ([(head["amounts_total"], euro_nl(sum(per_year.values())))] if rows else [])


def _granted_with_extension(state: GrantState) -> dict[int, int]:
    """The grant per year, with the year of a 2024 extension (as its besluit recorded it)."""
    granted = dict(state.granted_per_year)
    for besluit in state.besluiten:
        if besluit.kind == "extension":
            granted.update(besluit.granted_per_year)
    return granted


LETTER_KEY = "letter:"  # the part of an outbox key after the grant's scope: `letter:N` for besluit N


def is_letter_key(key: str) -> bool:
    """Whether an outbox key is a decision letter's mail (not a reminder or a notice)."""
    return key.rpartition("|")[2].startswith(LETTER_KEY)


def letter_notification(state: GrantState, letter: Letter, sha256: str, size: int) -> Notification:
    """The mail that sends the letter to the penvoerder, with the PDF attached: one per besluit, ever (its key)."""
    key = f"{grant_scope(state)}|{LETTER_KEY}{letter.besluit}"
    body = "\n".join([
        f"Geacht bestuur van {state.penvoerder.name},",
        "",
        f"Bijgaand ontvangt u het besluit van {datum_nl(letter.dated)} over de subsidie Sterk Techniekonderwijs "
        f"van de regio {state.region_name} ({state.region_code}): {letter.subject}.",
        "De tekst van het besluit staat hieronder ook; het ondertekende besluit is de bijlage (PDF).",
        f"Bezwaar of beroep: uiterlijk {datum_nl(letter.objection_deadline)}." if letter.objection_deadline else "",
        "",
        "-" * 60,
        letter.text(),
    ])
    return Notification(
        key=key,
        message_id=f"<{uuid.uuid5(REMINDER_NAMESPACE, key)}@sto.dus-i.example>",
        region_code=state.region_code,
        deadline_key=f"{LETTER_KEY}{letter.besluit}",
        due=letter.objection_deadline or letter.sent_on,
        offset_days=0,
        to=letter.to,
        subject=f"{letter.subject} ({state.region_code}, {letter.reference.split(':')[-1].strip()})",
        body=body,
        attachments=(Attachment(filename=letter.filename, media_type="application/pdf", sha256=sha256, size=size),),
    )
