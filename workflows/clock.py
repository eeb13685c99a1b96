"""The business clock inside a workflow: the domain's clock on workflow time (deterministic on replay).

Workflow code takes time only from here, never from `workflow.now()` directly.
"""

from __future__ import annotations

from temporalio import workflow

from domain.clock import BusinessClock


def workflow_clock(offset_seconds: float) -> BusinessClock:
    return BusinessClock(offset_seconds, workflow.now)
