"""`sto programme ...`: programme operations, each run as a workflow (not a shell loop)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from temporalio.client import WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from adapters.engine.business_clock import clock_from_env
from adapters.cli.output import EXIT_CONFLICT, EXIT_UNAVAILABLE, console, err_console, fail, print_json
from adapters.engine.sender import default_actor_name
from adapters.engine.temporal import TemporalSettings, connect
from domain.regulation import Amendment
from workflows.models import ExtensionRoundInput, OpenPeriodInput, PublishRequest
from workflows.programme import ExtensionRoundWorkflow, OpenApplicationPeriodWorkflow, PublishAmendmentWorkflow

app = typer.Typer(help="Programme operations (as workflows): publish an amendment, open a period, the 2024 round.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
WaitFlag = Annotated[bool, typer.Option("--wait/--no-wait", help="wait for the operation to finish and print its result")]
ActorOption = Annotated[Optional[str], typer.Option("--actor", help="who does it (default STO_ACTOR or the OS user)")]


async def _start(workflow_run, arg, workflow_id: str, wait: bool) -> tuple[str, Any]:
    settings = TemporalSettings.from_env()
    client = await connect(settings)
    handle: WorkflowHandle = await client.start_workflow(
        workflow_run, arg, id=workflow_id, task_queue=settings.task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    )
    result = await handle.result() if wait else None
    return handle.id, result


def _run(workflow_run, arg, workflow_id: str, wait: bool, as_json: bool) -> Any:
    try:
        workflow_id, result = asyncio.run(_start(workflow_run, arg, workflow_id, wait))
    except WorkflowAlreadyStartedError:
        message = f"operation {workflow_id} already ran (or runs now)"
        if as_json:
            print_json({"error": "already_started", "message": message, "hint": "look it up in the Temporal web UI"})
        else:
            err_console.print(f"[bold red]Error[/]: {message}; look it up in the Temporal web UI")
        raise typer.Exit(EXIT_CONFLICT) from None
    except OSError as error:
        err_console.print(f"[bold red]Error[/]: Temporal is not reachable: {error}")
        err_console.print("  [cyan]what to do:[/] start it with `sto serve`, or set STO_TEMPORAL_ADDRESS")
        raise typer.Exit(EXIT_UNAVAILABLE) from None
    return workflow_id, result


def _report(workflow_id: str, result: Any, as_json: bool) -> None:
    body = {"workflow_id": workflow_id, "result": result.model_dump(mode="json") if hasattr(result, "model_dump") else result}
    if as_json:
        print_json(body)
        return
    console.print(f"started [bold]{workflow_id}[/]")
    if result is not None:
        console.print(json.dumps(body["result"], indent=2, ensure_ascii=False, default=str))


@app.command("publish-amendment")
def publish_amendment(
    file: Annotated[Path, typer.Argument(help="the amendment as JSON: {version: {...}, terms: {key: value}, parameters: {...}}")],
    reason: Annotated[str, typer.Option("--reason", help="why it is published")] = "amendment published",
    actor: ActorOption = None,
    wait: WaitFlag = True,
    as_json: JsonFlag = False,
) -> None:
    """Store a dated amendment and re-plan the timers of every running grant it touches."""
    try:
        amendment = Amendment.model_validate_json(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        fail(error, as_json)
    request = PublishRequest(amendment=amendment, actor=actor or default_actor_name(), reason=reason)
    workflow_id, result = _run(PublishAmendmentWorkflow.run, request, f"publish-{amendment.version.id}", wait, as_json)
    _report(workflow_id, {"regions_told": result} if wait else None, as_json)


@app.command("open-period")
def open_period(
    period: Annotated[int, typer.Argument(min=1, max=3, help="application period 1, 2 or 3")],
    regions: Annotated[list[str], typer.Option("--region", help="a region the period opens for (repeat)")],
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="wait until the period ends")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Open an application period for a set of regions: notify each, and report at its end who applied."""
    clock = clock_from_env()
    inp = OpenPeriodInput(period=period, region_codes=[r.upper() for r in regions], clock_offset_seconds=clock.offset_seconds)
    workflow_id, result = _run(OpenApplicationPeriodWorkflow.run, inp, f"open-period-{period}-{clock.today().isoformat()}", wait, as_json)
    _report(workflow_id, result, as_json)


@app.command("extension-round")
def extension_round(
    reason: Annotated[str, typer.Option("--reason")] = "verlenging 2024: plan en begroting akkoord",
    actor: ActorOption = None,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help=(
        "wait until every extension drafted is signed (up to eight weeks of business time); by default the command "
        "returns once the round is started: its drafts wait in `sto work`"))] = False,
    as_json: JsonFlag = False,
) -> None:
    """Draft the 2024 extension of every approved grant with a plan: within its 25 % cap and, pro rata, the budget.
    Each draft then goes through its stages (`sto work`); the round counts an extension granted once it is signed.
    Send it as a beoordelaar of the organisation register (STO_ACTOR or --actor)."""
    clock = clock_from_env()
    inp = ExtensionRoundInput(actor_name=actor or default_actor_name(), reason=reason, clock_offset_seconds=clock.offset_seconds)
    workflow_id, result = _run(ExtensionRoundWorkflow.run, inp, f"extension-round-{clock.today().year + 1}", wait, as_json)
    _report(workflow_id, result, as_json)
