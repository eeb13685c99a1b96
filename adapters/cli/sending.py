"""Sending one transition from the terminal (`sto grant NAME`, `sto work ...`): the command built from the options
and a --file, signed and sent through the grant's workflow; the answer printed, with where the grant's open work
stands now (the besluit drafted and the stage that waits next), or the refusal with its rule and source."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any, Callable, NoReturn

import typer
from pydantic import ValidationError

from adapters.cli.context import STATE
from adapters.cli.output import EXIT_UNAVAILABLE, console, err_console, fail, print_json, shown
from adapters.engine.business_clock import BusinessClock, clock_from_env, parse_business_time
from adapters.engine.sender import EngineUnavailable, default_actor_name, open_sender, result_view
from adapters.engine.temporal import TemporalSettings
from adapters.operators.transitions import Transition, work_now
from domain import commands as c
from domain.errors import DomainError
from domain.values import Role


def send(
    spec: Transition, region: str, fields: Callable[[], dict[str, Any]], *, reason: str, actor: str | None,
    file: Path | None, effective_at: str | None, command_id: uuid.UUID | None, expected_version: int | None,
    as_json: bool, scheme: str | None = None, business_epoch: str | None = None,
) -> None:
    try:
        data = _merge(_read_file(file) if file is not None else {}, fields())
        data["reason"] = reason
        if effective_at:
            data["effective_at"] = parse_business_time(effective_at, "--effective-at")
        data.update({k: v for k, v in (("command_id", command_id), ("expected_version", expected_version)) if v is not None})
        command = spec.build(region, c.Actor(name=actor or default_actor_name(), role=Role.OPERATOR), data, scheme)
        clock = clock_from_env(business_epoch)
        view = asyncio.run(_run(command, clock))
    except EngineUnavailable as error:
        _unavailable(error, as_json)
    except (DomainError, ValidationError, ValueError) as error:
        fail(error, as_json)
    view.update(work_now(STATE.service, view["region_code"], view["scheme"]))
    if as_json:
        print_json(view)
        return
    repeat = " (a repeat of an earlier command: nothing new was recorded)" if view["duplicate"] else ""
    console.print(
        f"{view['region_code']}: {view['command_type']} recorded {', '.join(view['events']) or 'nothing'}{repeat}; "
        f"status [bold]{view['status']}[/], version {view['version']}"
    )
    for line in work_lines(view):
        console.print(line)
    console.print(f"possible now: {', '.join(view['allowed_transitions']) or 'nothing (the grant has ended)'}"
                  + (f"; work: {', '.join(view['work_transitions'])} (`sto work`)" if view["work_transitions"] else ""))


def work_lines(view: dict[str, Any]) -> list[str]:
    """What the answer means for the besluit: drafted and not yet taken, the stage passed, signed, sent back."""
    events, wait, region = view["events"], view.get("waiting"), view["region_code"]
    lines = []
    if "BesluitSigned" in events:
        lines.append("the besluit is [bold]signed and taken[/] (its letter follows)")
    elif "BesluitDrafted" in events:
        lines.append("the besluit is [bold]drafted[/], not yet taken: it takes effect when its last stage is passed")
    elif "BesluitSentBack" in events:
        lines.append("the besluit was [bold]sent back[/] to its first stage, with the reason")
    if wait is not None and (wait["drafted"] or view["command_type"] in ("ClaimCase", "ReleaseCase", "AssignCase")):
        holder = f", held by {shown(wait['claimed_by'])}" if wait["claimed_by"] else ", held by nobody"
        lines.append(f"waits next: the stage [bold]{shown(wait['stage_title'])}[/] ({wait['stage']}), role "
                     f"{wait['role']}{holder}: `sto work show {region}`")
    return lines


async def _run(command: c.Command, clock: BusinessClock) -> dict[str, Any]:
    sender = await open_sender(TemporalSettings.from_env(), STATE.service, clock, database_url=STATE.url)
    return result_view(await sender.send(command))


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    except RecursionError:  # arrays or objects nested thousands deep: more than the parser holds
        raise ValueError(f"{path} is nested too deeply to be read as JSON: write one object of the command's fields") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold one JSON object with the command's fields")
    return data


def _merge(base: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """The file's fields, overridden by the options that were given (nested objects merged field by field)."""
    merged = dict(base)
    for key, value in options.items():
        if value is None or value == [] or value == {}:
            continue
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            value = _merge(merged[key], value)
        merged[key] = value
    return merged


def _unavailable(error: EngineUnavailable, as_json: bool) -> NoReturn:
    if as_json:
        print_json(error.to_dict())
    else:
        err_console.print(f"[bold red]Unavailable[/]: {error.message}")
        err_console.print(f"  [cyan]what to do:[/] {error.hint}")
    raise typer.Exit(EXIT_UNAVAILABLE)


