"""The `sto` command line: typer + rich for people, `--json` for programs."""
