"""The workflow's side of the decision letters: one activity makes, records and mails the letters of the
besluiten that have none (adapters/letters/issue.py); the workflow only says when (after the step)."""

from __future__ import annotations

import datetime as dt

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain.state import GrantState
    from workflows.models import grant_address
    from workflows.retries import LETTER_RETRY



async def issue_letters(region_code: str, scheme: str | None) -> GrantState | None:
    """The grant's state after its letters were made; None when they could not be made (logged)."""
    try:
        return await workflow.execute_activity(
            "issue_decision_letters",
            grant_address(region_code, scheme),
            result_type=GrantState,
            start_to_close_timeout=dt.timedelta(seconds=60),
            retry_policy=LETTER_RETRY,
        )
    except ActivityError as error:
        workflow.logger.warning("decision letters not made: %s", error.cause or error)
        return None
