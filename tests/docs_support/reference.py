"""The reference pages of the documentation, generated from the code every time the site is built.

Nothing here is a fact of its own: the CLI reference walks the typer app (`adapters.cli.main.app`), the HTTP
reference renders the OpenAPI document the FastAPI app serves at /v1/openapi.json, the scheme file reference
reads the pydantic models of `domain.regulation` (and the comments beside their fields) and the lists the scheme
check reads, and the error table is `adapters.operators.error_table.TABLE`. `PAGES` maps each page's path in the
site to the function that writes it.
"""

from __future__ import annotations

import enum
import inspect
import io
import json
import re
import typing
from collections.abc import Callable
from typing import Any

GENERATED_NOTE = ("!!! note \"Generated from the code\"\n    This page is written by `tests/docs_support/reference.py` "
                  "from {source} each time the site is built: edit the code, not this page.\n\n")


def _cell(text: Any) -> str:
    """One table cell: on one line, pipes escaped."""
    value = "" if text is None else str(text)
    return " ".join(value.split()).replace("|", "\\|")


# --- the CLI --------------------------------------------------------------------------------------------------


def _cli_root():
    import typer.main

    from adapters.cli.main import app

    return typer.main.get_command(app)


def _param_row(param) -> str | None:
    if getattr(param, "hidden", False) or param.name == "help":
        return None
    if param.param_type_name == "argument":
        name = f"`{param.name.upper()}`"
        kind = "argument"
    else:
        name = " / ".join(f"`{n}`" for n in [*param.opts, *param.secondary_opts])
        kind = "flag" if param.is_flag else "option"
        if param.multiple:
            kind += ", repeatable"
    annotation = param.type_descriptor.annotation
    if typing.get_origin(annotation) is list:
        annotation = typing.get_args(annotation)[0]
    flag = getattr(param, "is_flag", False)
    type_name = "" if flag else _type_name(annotation)
    default = param.default
    if callable(default) or default in (None, (), [], False, True) or flag:
        default = ""
    if isinstance(default, enum.Enum):
        default = default.value
    envvar = param.envvar if isinstance(param.envvar, str) else ", ".join(param.envvar or [])
    help_text = getattr(param, "help", None) or ""
    if envvar:
        help_text += f" (env `{envvar}`)"
    required = "yes" if param.required else ""
    return (f"| {name} | {_cell(kind)} | {_cell(type_name)} | {required} | {_cell(default and f'`{default}`')} "
            f"| {_cell(help_text)} |")


def _cli_command(out: io.StringIO, command, path: list[str], depth: int) -> None:
    title = " ".join(path)
    out.write(f"{'#' * min(depth, 4)} `{title}`\n\n")
    help_text = inspect.cleandoc(command.help or "")
    if help_text:
        out.write(help_text.replace("\b\n", "") + "\n\n")
    rows = [row for row in map(_param_row, command.params) if row]
    if rows:
        out.write("| name | kind | type | required | default | meaning |\n|---|---|---|---|---|---|\n")
        out.write("\n".join(rows) + "\n\n")
    for name in sorted(getattr(command, "commands", {})):
        sub = command.commands[name]
        if not getattr(sub, "hidden", False):
            _cli_command(out, sub, [*path, name], depth + 1)


def cli_page() -> str:
    root = _cli_root()
    out = io.StringIO()
    out.write("# CLI reference\n\n")
    out.write(GENERATED_NOTE.format(source="the typer app `adapters.cli.main.app`"))
    out.write("Every command's exit code follows the [table of error kinds](errors.md). "
              "The options of `sto` itself come before the command: `sto --database-url URL regions`.\n\n")
    _cli_command(out, root, ["sto"], 2)
    return out.getvalue()


def cli_commands() -> list[str]:
    """Every command line `sto ...` the app takes, as `sto grant accept` (the test checks the docs against it)."""
    found: list[str] = []

    def walk(command, path):
        found.append(" ".join(path))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(_cli_root(), ["sto"])
    return found


# --- HTTP -----------------------------------------------------------------------------------------------------


def openapi_document() -> dict[str, Any]:
    """The document the app serves at /v1/openapi.json (an app on an in-memory store: the document does not
    depend on the store). The docs example test compares it with the one a running `sto serve` answers."""
    from adapters.http.app import create_app
    from adapters.http.context import ApiSettings

    app = create_app(ApiSettings(database_url="memory:"))
    try:
        return json.loads(json.dumps(app.openapi()))
    finally:
        app.state.api.close()


def _schema_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#schema-{name.lower()})"
    if schema.get("type") == "array":
        return f"array of {_schema_name(schema.get('items'))}"
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " or ".join(_schema_name(s) for s in schema[key])
    kind = schema.get("type", "object")
    if "enum" in schema:
        kind += " (" + ", ".join(f"`{v}`" for v in schema["enum"]) + ")"
    if "format" in schema:
        kind += f" ({schema['format']})"
    return kind


def http_page(document: dict[str, Any] | None = None) -> str:
    from adapters.http.access import ACCESS_KEY, Access

    doc = document or openapi_document()
    out = io.StringIO()
    out.write("# HTTP API reference\n\n")
    out.write(GENERATED_NOTE.format(source="the OpenAPI document the app serves at `/v1/openapi.json`"))
    info = doc["info"]
    out.write(f"**{info['title']}**, version `{info['version']}` (OpenAPI {doc['openapi']}). A running `sto serve` "
              "serves the same document at `/v1/openapi.json`, Swagger UI at `/docs` and ReDoc at `/redoc`.\n\n")
    out.write(info.get("description", "") + "\n\n")
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            by_tag.setdefault((op.get("tags") or ["other"])[0], []).append((path, method, op))
    out.write("## Operations\n\n")
    for tag, ops in by_tag.items():
        out.write(f"### {tag}\n\n| method | path | operation | who | summary |\n|---|---|---|---|---|\n")
        for path, method, op in ops:
            who = Access(op[ACCESS_KEY]).description if ACCESS_KEY in op else ""
            out.write(f"| `{method.upper()}` | `{path}` | [{op['operationId']}](#op-{op['operationId'].lower()}) "
                      f"| {_cell(who)} | {_cell(op.get('summary'))} |\n")
        out.write("\n")
    out.write("## Each operation\n\n")
    for tag, ops in by_tag.items():
        for path, method, op in ops:
            out.write(f"### `{method.upper()} {path}` {{ #op-{op['operationId'].lower()} }}\n\n")
            out.write(_cell(op.get("description") or op.get("summary")) + "\n\n")
            params = op.get("parameters", [])
            if params:
                out.write("| parameter | in | required | type | meaning |\n|---|---|---|---|---|\n")
                for p in params:
                    out.write(f"| `{p['name']}` | {p['in']} | {'yes' if p.get('required') else ''} "
                              f"| {_cell(_schema_name(p.get('schema')))} | {_cell(p.get('description'))} |\n")
                out.write("\n")
            body = op.get("requestBody")
            if body:
                for media, content in body.get("content", {}).items():
                    out.write(f"Body (`{media}`): {_schema_name(content.get('schema'))}\n\n")
            answers = []
            for status, answer in op.get("responses", {}).items():
                media = ", ".join(f"`{m}` {_schema_name(c.get('schema'))}" for m, c in answer.get("content", {}).items())
                answers.append(f"| {status} | {_cell(answer.get('description'))} | {_cell(media)} |")
            out.write("| status | meaning | body |\n|---|---|---|\n" + "\n".join(answers) + "\n\n")
    out.write("## Schemas\n\n")
    for name, schema in sorted(doc.get("components", {}).get("schemas", {}).items()):
        out.write(f"### {name} {{ #schema-{name.lower()} }}\n\n")
        if schema.get("description"):
            out.write(_cell(schema["description"]) + "\n\n")
        props = schema.get("properties", {})
        if props:
            required = set(schema.get("required", []))
            out.write("| field | type | required | meaning |\n|---|---|---|---|\n")
            for field, spec in props.items():
                out.write(f"| `{field}` | {_cell(_schema_name(spec))} | {'yes' if field in required else ''} "
                          f"| {_cell(spec.get('description') or spec.get('title'))} |\n")
            out.write("\n")
        elif "enum" in schema:
            out.write("One of " + ", ".join(f"`{v}`" for v in schema["enum"]) + ".\n\n")
    return out.getvalue()


# --- the scheme file ------------------------------------------------------------------------------------------


def _field_comments(model: type) -> dict[str, str]:
    """The comment beside each field in the model's source: what the field means, where the code says it."""
    comments: dict[str, str] = {}
    for line in inspect.getsource(model).splitlines():
        match = re.match(r"\s+(\w+): [^#]*#\s*(.+)$", line)
        if match:
            comments[match.group(1)] = match.group(2).strip()
    return comments


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(names) + (" (optional)" if type(None) in args else "")
    if origin in (list, tuple):
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"table of {_type_name(args[1])}" if args else "table"
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return "one of " + ", ".join(f"`{m.value}`" for m in annotation)
        if annotation.__module__.startswith("domain."):
            return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
        return {"str": "text", "int": "whole number", "bool": "true or false", "date": "date (YYYY-MM-DD)",
                "Decimal": "number"}.get(annotation.__name__, annotation.__name__)
    if annotation is Any:
        return "any value (its unit says which)"
    return str(annotation)


def _model_table(out: io.StringIO, model: type, heading: str, section: str) -> None:
    comments = _field_comments(model)
    out.write(f"### {heading} {{ #{model.__name__.lower()} }}\n\n")
    doc = inspect.getdoc(model)
    if doc and doc != inspect.getdoc(model.__mro__[1]):
        out.write(doc.split("\n\n")[0].replace("\n", " ") + "\n\n")
    if section:
        out.write(f"In the file: {section}.\n\n")
    out.write("| key | type | required | default | meaning |\n|---|---|---|---|---|\n")
    for name, field in model.model_fields.items():
        required = field.is_required()
        default = "" if required or field.default is None else field.default
        if field.default_factory is not None:
            default = field.default_factory()
        if isinstance(default, enum.Enum):
            default = default.value
        default_text = f"`{json.dumps(default)}`" if default not in ("", None) else ""
        out.write(f"| `{name}` | {_cell(_type_name(field.annotation))} | {'yes' if required else ''} "
                  f"| {_cell(default_text)} | {_cell(comments.get(name, ''))} |\n")
    out.write("\n")


def scheme_page() -> str:
    from domain.deadlines import DONE_WHEN
    from domain.regulation import check_rules, check_units
    from domain.regulation.lifecycle import (ApplicationRound, ConsequenceKind, DeadlineRule, RegionKindRule,
                                             SchemeInfo, Step)
    from domain.regulation.model import (Besluit, Parameter, ParameterValue, RegulationData, RegulationVersion,
                                         Term, TermValue)
    from domain.regulation.advances import AdvancePart, AdvanceRule
    from domain.regulation.procedures import Procedure, Question, Stage
    from domain.regulation.source import LegalSource
    from domain.values import DecisionKind, GrantStatus, RegionKind

    out = io.StringIO()
    out.write("# Scheme file reference\n\n")
    out.write(GENERATED_NOTE.format(source="the models of `domain/regulation` and the lists the scheme check reads"))
    out.write("A scheme (regeling) is one TOML file; the engine reads it into `RegulationData` "
              "(`domain/regulation/model.py`). [How to add a scheme](../engineers/add-a-scheme.md) walks "
              "through writing one; `sto schemes check FILE` checks it with these same models. Unknown keys "
              "are refused everywhere.\n\n## Sections and their keys\n\n")
    sections = [(RegulationData, "The whole file", "the top level"),
                (SchemeInfo, "scheme", "`[scheme]`"),
                (RegulationVersion, "versions", "`[[versions]]`"),
                (Term, "terms", "`[[terms]]`"),
                (TermValue, "terms.values", "`[[terms.values]]`"),
                (Parameter, "parameters", "`[[parameters]]`"),
                (ParameterValue, "parameters.values", "`[[parameters.values]]`"),
                (Besluit, "besluiten", "`[[besluiten]]`"),
                (Step, "steps", "`[[steps]]`"),
                (ApplicationRound, "application_rounds", "`[[application_rounds]]`"),
                (DeadlineRule, "deadlines", "`[[deadlines]]`"),
                (RegionKindRule, "region_kinds", "`[[region_kinds]]`"),
                (Procedure, "procedures", "`[[procedures]]`"),
                (Stage, "procedures.stages", "`[[procedures.stages]]`"),
                (Question, "procedures.stages.questions", "`questions = [{ ... }]` of a stage"),
                (AdvanceRule, "advances", "`[advances]`"),
                (AdvancePart, "advances.parts", "`parts = [{ ... }]` of `[advances]`"),
                (LegalSource, "source", "every `source = { ... }`")]
    for model, heading, section in sections:
        _model_table(out, model, heading, section)

    out.write("## What the names may be\n\n### Step kinds { #step-kinds }\n\n")
    out.write("`command` of a `[[steps]]`: the command kinds `domain.decide` handles. The engine's own steps "
              f"({', '.join(f'`{s}`' for s in sorted(check_rules.ENGINE_OWN_STEPS))}) are never declared.\n\n")
    out.write("| step kind | parameters its rules read | options | besluit it takes |\n|---|---|---|---|\n")
    for kind in sorted(check_rules.step_library()):
        params = ", ".join(f"`{p}`" for p in check_rules.STEP_PARAMETERS.get(kind, []))
        options = ", ".join(f"`{o}`" + (" (required)" if o in check_rules.REQUIRED_OPTIONS.get(kind, []) else "")
                            for o in check_rules.STEP_OPTIONS.get(kind, {}))
        starts = " (starts a grant: `allowed_from = []`)" if kind in check_rules.STARTS_A_GRANT else ""
        out.write(f"| `{kind}`{starts} | {params} | {options} | {check_rules.STEP_BESLUITEN.get(kind, '')} |\n")
    out.write("\n### States { #states }\n\n`allowed_from` and `applies_in`: "
              + ", ".join(f"`{s.value}`" for s in GrantStatus) + ".\n\n")
    out.write("### Conditions { #conditions }\n\n`until` of a `[[deadlines]]` (`DONE_WHEN` in `domain/deadlines.py`):\n\n")
    out.write("| condition | met by the step | its argument names an entry of the step's option |\n|---|---|---|\n")
    for name in DONE_WHEN:
        arg = check_rules.CONDITION_ARGUMENT.get(name)
        out.write(f"| `{name}{':KEY' if arg else ''}` | `{check_rules.CONDITION_STEP.get(name, '')}` "
                  f"| {f'`options.{arg}`' if arg else ''} |\n")
    out.write("\n### Consequences { #consequences }\n\n`consequence` of a `[[deadlines]]` (`ConsequenceKind`):\n\n")
    for kind in ConsequenceKind:
        out.write(f"- `{kind.value}`: {_field_comments_enum(ConsequenceKind).get(kind.name, '')}\n")
    out.write("\n### Region kinds and besluiten { #kinds }\n\n")
    out.write("`kind` of a `[[region_kinds]]` (`RegionKind`): " + ", ".join(f"`{k.value}`" for k in RegionKind) + ".\n\n")
    out.write("`kind` of a `[[besluiten]]` (`DecisionKind`, and `objection_decision`): "
              + ", ".join(f"`{k.value}`" for k in DecisionKind) + ", `objection_decision`.\n\n")
    out.write("### Parameters the rules read { #parameters }\n\n| parameter | unit | read by |\n|---|---|---|\n")
    for key, (units, where) in check_units.RULE_UNITS.items():
        out.write(f"| `{key}` | {', '.join(f'`{u}`' for u in sorted(units))} | {_cell(where)} |\n")
    out.write("\n| unit | an example value |\n|---|---|\n")
    for unit, example in check_units.UNIT_EXAMPLES.items():
        out.write(f"| `{unit}` | {_cell(example)} |\n")
    out.write("\nAnother unit is accepted and noted as unchecked. Money is in whole cents and never negative.\n")
    return out.getvalue()


def _field_comments_enum(cls: type) -> dict[str, str]:
    comments: dict[str, str] = {}
    for line in inspect.getsource(cls).splitlines():
        match = re.match(r"\s+(\w+) = [^#]*#\s*(.+)$", line)
        if match:
            comments[match.group(1)] = match.group(2).strip()
    return comments


# --- exit codes and statuses ----------------------------------------------------------------------------------


def errors_page() -> str:
    from adapters.operators.error_table import EXIT_FAILED, TABLE, UNKNOWN

    out = io.StringIO()
    out.write("# Exit codes and HTTP statuses\n\n")
    out.write(GENERATED_NOTE.format(source="`adapters/operators/error_table.py`"))
    out.write("One table gives, for every kind of error, the CLI's exit code and the API's HTTP status. The CLI "
              "prints the kind as `error` with `--json`; the API answers `application/problem+json` with the kind "
              f"as `code` and the summary as `title`. Exit 0 is success; {EXIT_FAILED} is anything the table does "
              "not give another code (a bug says so).\n\n")
    out.write("| kind (`code`) | exit code | HTTP status | what it means |\n|---|---:|---:|---|\n")
    for code, meaning in TABLE.items():
        out.write(f"| `{code}` | {meaning.exit_code} | {meaning.http_status} | {_cell(meaning.summary)} |\n")
    out.write(f"| any other kind | {UNKNOWN.exit_code} | {UNKNOWN.http_status} | {_cell(UNKNOWN.summary)} |\n\n")
    by_exit: dict[int, list[str]] = {}
    for code, meaning in TABLE.items():
        by_exit.setdefault(meaning.exit_code, []).append(f"`{code}`")
    out.write("By exit code:\n\n| exit code | kinds |\n|---:|---|\n")
    for exit_code in sorted(by_exit):
        out.write(f"| {exit_code} | {', '.join(by_exit[exit_code])} |\n")
    return out.getvalue()


PAGES: dict[str, Callable[[], str]] = {
    "reference/cli.md": cli_page,
    "reference/http.md": http_page,
    "reference/scheme-file.md": scheme_page,
    "reference/errors.md": errors_page,
}
