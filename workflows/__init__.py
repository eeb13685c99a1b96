"""Temporal workflows: they decide *when* things happen; the domain decides *whether*."""

TASK_QUEUE = "sto-grants"


def grant_workflow_id(region_code: str, scheme: str | None = None) -> str:
    """`grant-REGION` for a grant of the legacy scheme (as before there were schemes), `grant-SCHEME-REGION` else."""
    from domain.regulation.schemes import scoped

    scope = scoped(scheme)
    region = region_code.strip().upper()
    return f"grant-{region}" if scope is None else f"grant-{scope}-{region}"
