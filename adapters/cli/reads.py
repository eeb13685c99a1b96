"""Operator reads from the read models (`sto regions`, `sto deadlines`, `sto budget`, `sto projections`). Issue 4."""

from __future__ import annotations

import typer

projections_app = typer.Typer(help="Read models: rebuild or catch up.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach the read commands to the root app."""
    app.add_typer(projections_app, name="projections")
