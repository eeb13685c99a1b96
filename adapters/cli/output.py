"""Printing for people (rich) and programs (--json), and errors that say what to do next."""

from __future__ import annotations

import json
import re
import sys
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from adapters.operators.error_table import EXIT_FAILED, meaning
from domain.errors import DomainError, TransitionRefused

console = Console()
err_console = Console(stderr=True)

EXIT_INVALID = meaning("invalid_input").exit_code
EXIT_REFUSED = meaning("transition_refused").exit_code
EXIT_CONFLICT = meaning("concurrency_conflict").exit_code
EXIT_NOT_FOUND = meaning("grant_not_found").exit_code
EXIT_UNAVAILABLE = meaning("engine_unavailable").exit_code


_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def printable(text: Any) -> str:
    """Stored text made safe for a terminal: control characters (ESC, NUL, bidi overrides) as visible escapes
    (\\x1b, \\u202e). Input is checked for these since 2026-12; records written before may hold them."""
    value = "" if text is None else str(text)
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", value)


def shown(text: Any) -> str:
    """`printable`, and rich's markup ([bold] ...) taken literally: for a table cell or a line of rich output."""
    return escape(printable(text))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def exit_code_for(error: Exception) -> int:
    if isinstance(error, DomainError):
        return meaning(error.code).exit_code
    if isinstance(error, (ValidationError, ValueError)):
        return EXIT_INVALID
    return EXIT_FAILED


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
