"""Entry point of `sto`: one composition root per process."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from adapters.cli import audit as audit_cmd
from adapters.cli import calendar as calendar_cmd
from adapters.cli import demo as demo_cmd
from adapters.cli import grant as grant_cmd
from adapters.cli import letters as letters_cmd
from adapters.cli import mandates as mandates_cmd
from adapters.cli import money as money_cmd
from adapters.cli import programme as programme_cmd
from adapters.cli import reads as reads_cmd
from adapters.cli import regulation as regulation_cmd
from adapters.cli import runtime as runtime_cmd
from adapters.cli import schemes as schemes_cmd
from adapters.cli import subscriptions as subscriptions_cmd
from adapters.cli import tokens as tokens_cmd
from adapters.cli import work as work_cmd
from adapters.cli.context import STATE
from adapters.logging import configure_logging

app = typer.Typer(
    name="sto",
    help="Grant lifecycle engine for Sterk Techniekonderwijs (STO).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    database_url: Annotated[
        Optional[str],
        typer.Option("--database-url", envvar="STO_DATABASE_URL", help="sqlite:///PATH (default var/sto.sqlite) or postgresql://USER@HOST:PORT/DB"),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", envvar="STO_LOG_LEVEL", help="DEBUG, INFO, WARNING")] = "WARNING",
) -> None:
    configure_logging(log_level)
    STATE.database_url = database_url


app.command("calendar")(calendar_cmd.calendar)
letters_cmd.register(grant_cmd.app)
app.add_typer(grant_cmd.app, name="grant")
app.command("demo")(demo_cmd.demo)
app.add_typer(audit_cmd.app, name="audit")
app.command("worker")(runtime_cmd.worker)
app.command("serve")(runtime_cmd.serve)
app.add_typer(programme_cmd.app, name="programme")
app.add_typer(regulation_cmd.app, name="regulation")
app.add_typer(schemes_cmd.app, name="schemes")
app.add_typer(tokens_cmd.app, name="token")
app.add_typer(subscriptions_cmd.app, name="subscriptions")
reads_cmd.register(app)
app.add_typer(work_cmd.app, name="work")
app.command("mandates")(mandates_cmd.mandates)
app.add_typer(money_cmd.app, name="money")


def main() -> None:
    """Run the CLI. A process that used Temporal leaves with os._exit after flushing: the SDK's native
    threads can crash the interpreter's finalisation ("PyGILState_Release") after all work is done."""
    code = 0
    try:
        app()
    except SystemExit as leaving:
        code = leaving.code if isinstance(leaving.code, int) else (0 if leaving.code is None else 1)
    except Exception as error:  # noqa: BLE001 - the last line of defence: a clear message, never a traceback
        code = _unexpected(error)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    temporal = sys.modules.get("adapters.engine.temporal")  # imported only by commands that talk to Temporal
    if temporal is not None and temporal.temporal_runtime_in_use():
        os._exit(code)
    sys.exit(code)


def _unexpected(error: Exception) -> int:
    """An error no command caught: a database that cannot be reached, or a bug. Said plainly, with its exit code."""
    from adapters.cli.output import err_console, print_json
    from adapters.operators.error_table import EXIT_FAILED, meaning

    names = {cls.__name__ for cls in type(error).__mro__}
    as_json = "--json" in sys.argv
    if names & {"OperationalError", "InterfaceError", "ConnectionError", "PoolTimeout"}:
        body = {"error": "store_unavailable", "message": f"the event store cannot be reached: {str(error)[:300]}",
                "hint": "check STO_DATABASE_URL (or --database-url) and that the database server runs, then retry"}
        code = meaning("store_unavailable").exit_code
    else:
        body = {"error": "internal_error", "message": f"{type(error).__name__}: {str(error)[:300]}",
                "hint": "this is a bug: report it with the command line and the time (run with STO_LOG_LEVEL=DEBUG for details)"}
        code = EXIT_FAILED
    if as_json:
        print_json(body)
    else:
        err_console.print(f"[bold red]Error[/]: {body['message']}")
        err_console.print(f"  [cyan]what to do:[/] {body['hint']}")
    return code


if __name__ == "__main__":
    main()
