"""Temporal workflows: they decide *when* things happen; the domain decides *whether*."""

TASK_QUEUE = "sto-grants"


def grant_workflow_id(region_code: str) -> str:
    return f"grant-{region_code.strip().upper()}"
