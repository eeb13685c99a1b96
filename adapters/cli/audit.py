"""`sto audit ...`: auditor tools (history, as-of, verify). Filled in by issue 4."""

from __future__ import annotations

import typer

app = typer.Typer(help="Auditor tools: replay what happened, the grant as of a date, and verify the log.", no_args_is_help=True)
