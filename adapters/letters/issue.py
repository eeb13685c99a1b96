"""Make, keep, record and send the decision letters of a grant's besluiten: the activity's work.

For every besluit without a letter: compose it (domain/letters.py), render the PDF (pdf.py), keep the bytes
by their sha256 (blobs.py), record DecisionLetterIssued through the grant (command id derived from the
besluit, so a retried activity appends nothing), then send it through the outbox with the PDF attached (once
per besluit: the outbox key). Every step may be repeated: the same besluit gives the same bytes, hash,
command and mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.letters.blobs import LetterBlobs, blobs_for
from adapters.letters.pdf import render
from domain import commands as c
from domain.errors import TransitionRefused
from adapters.logging import get_logger
from domain.letters import compose, has_template, letter_command_id, letter_notification
from domain.notifications import Notification
from domain.ports import Notifier
from domain.regulation.schemes import legacy_scheme_id
from domain.state import GrantState

log = get_logger(__name__)


@dataclass
class AttachingNotifier:
    """A notifier that hands the attachments' bytes to notifiers that take them (`send_with`)."""

    inner: Any
    blobs: LetterBlobs

    def send(self, notification: Notification) -> str:
        if not notification.attachments:
            return self.inner.send(notification)
        files = {}
        for attachment in notification.attachments:
            data = self.blobs.get(attachment.sha256)
            if data is None:
                raise LookupError(f"the letter {attachment.filename} ({attachment.sha256[:12]}…) is not in the letter store")
            files[attachment.sha256] = data
        send_with = getattr(self.inner, "send_with", None)
        return send_with(notification, files) if send_with is not None else self.inner.send(notification)


def issue_letters(service: Any, notifier: Notifier | None, region_code: str, scheme: str | None) -> GrantState:
    """Issue the letters the grant's besluiten still lack and send every letter not yet delivered; the state after.

    `scheme` None is the legacy scheme, as the activity's `REGION` (without `SCHEME/`) is a legacy grant: never
    "the region's grant in the scheme in force", which for a region with a 2025–2028 grant too is that one."""
    scheme = scheme or legacy_scheme_id()
    state: GrantState = service.state(region_code, scheme=scheme)
    if not has_template(state.scheme):
        log.warning("no letter templates for the scheme: no decision letters", region=region_code, scheme=state.scheme)
        return state
    regulation = service.regulation(state.scheme)
    blobs = blobs_for(service)
    for besluit in state.besluiten_without_letter(service.installation.letters_owed_from):
        letter = compose(state, besluit.number, regulation)
        pdf = render(letter)
        digest = blobs.put(pdf)
        command = c.IssueDecisionLetter(
            command_id=letter_command_id(state, besluit.number),
            region_code=state.region_code,
            scheme=state.scheme or legacy_scheme_id(),
            actor=c.SYSTEM_ACTOR,
            reason=f"beschikking bij besluit {besluit.number} ({besluit.kind}) van {besluit.decided_on.isoformat()}",
            effective_at=state.last_effective_at,
            besluit=besluit.number,
            template=letter.template,
            template_version=letter.template_version,
            sha256=digest,
            size=len(pdf),
            filename=letter.filename,
            objection_deadline=letter.objection_deadline,
            sent_to=letter.to,
        )
        try:
            service.execute(command)
        except TransitionRefused as refusal:
            if refusal.rule != "letters.once_per_besluit":  # another worker was first: its letter stands
                raise
        state = service.state(region_code, scheme=scheme)
    if notifier is not None:
        sender = AttachingNotifier(notifier, blobs)
        for record in state.letters:
            letter = compose(state, record.besluit, regulation)
            service.deliver_notification(letter_notification(state, letter, record.sha256, record.size), sender)
    return state


def reprint(service: Any, state: GrantState, besluit: int) -> bytes:
    """The letter of a besluit made again from its template: the same bytes as the first time."""
    return render(compose(state, besluit, service.regulation(state.scheme)))
