"""Printing for people (rich) and programs (--json), and errors that say what to do next."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from domain.errors import CommandIdReused, ConcurrencyConflict, DomainError, GrantNotFound, TransitionRefused

console = Console()
err_console = Console(stderr=True)

EXIT_INVALID = 2
EXIT_REFUSED = 3
EXIT_CONFLICT = 4
EXIT_NOT_FOUND = 5
EXIT_UNAVAILABLE = 6


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def exit_code_for(error: Exception) -> int:
    if isinstance(error, TransitionRefused):
        return EXIT_REFUSED
    if isinstance(error, (ConcurrencyConflict, CommandIdReused)):
        return EXIT_CONFLICT
    if isinstance(error, GrantNotFound):
        return EXIT_NOT_FOUND
    if isinstance(error, (ValidationError, ValueError)):
        return EXIT_INVALID
    return 1


def error_body(error: Exception) -> dict[str, Any]:
    if isinstance(error, DomainError):
        return error.to_dict()
    if isinstance(error, ValidationError):
        return {
            "error": "invalid_input",
            "message": f"{error.error_count()} invalid field(s)",
            "details": [{"field": ".".join(map(str, e["loc"])), "problem": e["msg"]} for e in error.errors()],
            "hint": "correct the fields named in details and try again",
        }
    return {"error": "invalid_input" if isinstance(error, ValueError) else "error", "message": str(error), "hint": None}


def fail(error: Exception, as_json: bool) -> NoReturn:
    """Report an error (JSON on stdout with --json, rich on stderr otherwise) and exit with its code."""
    body = error_body(error)
    if as_json:
        print_json(body)
    else:
        if isinstance(error, TransitionRefused):
            err_console.print(f"[bold red]Refused[/] by rule [bold]{error.rule}[/]: {error.message}")
            err_console.print(f"  source: {error.source}")
        else:
            err_console.print(f"[bold red]Error[/]: {body['message']}")
            for detail in body.get("details", []):
                err_console.print(f"  {detail['field']}: {detail['problem']}")
        if body.get("hint"):
            err_console.print(f"  [cyan]what to do:[/] {body['hint']}")
    raise typer.Exit(exit_code_for(error))
