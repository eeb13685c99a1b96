"""What DUS-I's reminder says while a besluit of the grant waits in a stage: the stage, its role, who holds it, and
the role's mailbox to send it to (domain/notifications.py reminder_message). Pure; called from workflow code."""

from __future__ import annotations

import datetime as dt
from typing import Any

from temporalio import workflow

from domain.decide import Context
from domain.decide.stages import open_work
from domain.regulation import Regulation
from domain.state import GrantState
from workflows.models import GrantWorkflowInput
from workflows.patches import PATCH_STAGE_REMINDERS


def stage_waiting(state: GrantState, regulation: Regulation | None, now: dt.datetime, inp: GrantWorkflowInput | None) -> dict[str, Any]:
    """The reminder's extra arguments (none for a history recorded before stage reminders: workflow.patched)."""
    if regulation is None or inp is None or state.case is None or not workflow.patched(PATCH_STAGE_REMINDERS):
        return {}
    role_addresses = inp.role_addresses
    work = open_work(state, Context(regulation, now))
    if work is None:
        return {}
    claim = state.claim
    return {"waiting": (work[1].title_nl, work[1].role, claim.person if claim else None), "role_addresses": dict(role_addresses)}
