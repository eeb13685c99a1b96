"""The page's problems in Dutch: what its forms answer when a field is wrong or a rule refuses a step.

The JSON API (/v1) keeps its English problem details (adapters.http.errors); the page's forms are checked and sent
by the same code (the transition's command, the sender, the domain's rules) and only the answer is rendered here,
from the Dutch texts (domain/regulation/data/texts/nl.toml): per field its Dutch label and what is wrong and
what to do, by the kind of error pydantic names (`[validation]`, the engine's own checks in `[validation_checks]`,
a field nothing names in `fallback`: never the library's English); a refusal keeps its rule's code and legal source
and says what the rule means in Dutch (`[rules]`), where that text exists. The body has the shape of a problem
(RFC 9457) with `lang: "nl"` and a `Content-Language: nl` header; each invalid field carries its `label` and
its `message` besides the `reason` ("label: message").
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable

from fastapi.responses import JSONResponse

from adapters.http.forms import FieldProblem, form_fields
from adapters.http.problems import MEDIA_TYPE, problem_body
from adapters.http.texts import label, texts
from adapters.operators.error_table import meaning
from adapters.operators.transitions import Transition
from domain.errors import DomainError, InvalidInput, TransitionRefused

HEADERS = {"Content-Language": "nl", "Cache-Control": "no-store"}
# What the engine's own checks of a field (InvalidInput) say, as a kind of [validation]
DOMAIN_INPUT = {"lies ahead of the business clock": "ahead_of_clock"}


def dutch_date(day: dt.date) -> str:
    """1 april 2019"""
    return f"{day.day} {texts()['dates']['months'][day.month - 1]} {day.year}"


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _check(message: str) -> str | None:
    """The Dutch text of one of the engine's own checks, by how its English message starts."""
    message = message.removeprefix("Value error, ").strip()
    for start, dutch in texts().get("validation_checks", {}).items():
        if message.startswith(start):
            return dutch
    return None


def message(kind: str, context: dict[str, Any] | None = None, english: str = "", today: dt.date | None = None) -> str:
    """What is wrong and what to do, in Dutch, for an error of pydantic's `kind` (or one of [validation]'s own)."""
    table = texts()["validation"]
    text = (_check(english) if kind == "value_error" and english else None) or table.get(kind) or table["fallback"]
    values = {k: v for k, v in (context or {}).items() if isinstance(v, (int, float, str))}
    values["today"] = dutch_date(today) if today else ""
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        return table["fallback"]


def field_label(loc: Iterable[str | int], kinds: dict[str, str]) -> str:
    """A field by its Dutch label; a part within it (a line of a list, a member of JSON) after it."""
    name, *within = [str(part) if not isinstance(part, int) else part for part in loc] or ["body"]
    where = [label("page", "at_line" if kinds.get(str(name)) == "lines" else "at_item", n=part + 1)
             if isinstance(part, int) else part for part in within]
    text = label("fields", str(name))
    return f"{text} ({', '.join(where)})" if where else text


def invalid_param(loc: tuple[str | int, ...], text: str, kinds: dict[str, str]) -> dict[str, str]:
    name = str(loc[0]) if loc else "body"
    shown = field_label(loc, kinds)
    return {"name": name, "in": "body", "label": shown, "message": _first_upper(text), "reason": f"{shown}: {text}"}


def invalid_params(transition: Transition, problems: list[FieldProblem], errors: list[dict[str, Any]],
                   today: dt.date) -> list[dict[str, str]]:
    """The form's own problems, then pydantic's errors of fields it did not already name."""
    kinds = {f.name: f.kind for f in form_fields(transition)}
    params = [invalid_param(p.loc, message(p.type, p.ctx, today=today), kinds) for p in problems]
    named = {p.loc[0] for p in problems}
    for error in errors:
        loc = tuple(error.get("loc") or ())
        if loc and loc[0] in named:
            continue
        params.append(invalid_param(loc, message(error.get("type", ""), error.get("ctx"), error.get("msg", ""), today), kinds))
    return params


def _rule_text(rule: str) -> str | None:
    rules = texts().get("rules", {})
    return rules.get(rule) or rules.get(re.sub(r"\d+", "N", rule))


def _kind(code: str) -> dict[str, str]:
    return texts()["errors"].get(code) or {"title": label("page", "error_title"), "hint": ""}


def answer(code: str, instance: str, *, detail: str | None = None, **extensions: Any) -> JSONResponse:
    """A problem of kind `code` in Dutch: its Dutch title and what to do next (texts [errors])."""
    kind = _kind(code)
    body = problem_body(code, detail or kind["title"], instance, kind["hint"] or None, lang="nl", **extensions)
    body["title"] = kind["title"]
    return JSONResponse(body, status_code=body["status"], headers=HEADERS, media_type=MEDIA_TYPE)


def invalid(instance: str, params: list[dict[str, str]]) -> JSONResponse:
    count = label("page", "error_summary_one") if len(params) == 1 else label("page", "error_summary_many", n=len(params))
    return answer("invalid_input", instance, detail=count, invalidParams=params)


def refused(error: DomainError, instance: str, transition: Transition, today: dt.date) -> JSONResponse:
    """A domain error in Dutch: a refusal with its rule, source and the rule's Dutch text (else the server's
    English, marked as such in `serverDetail`); a field the engine's own check refused as an invalid field."""
    if isinstance(error, InvalidInput):
        field = error.field.split(".", 1)[-1] if error.field.startswith("body.") else error.field
        kind = next((k for fragment, k in DOMAIN_INPUT.items() if fragment in error.message), "value_error")
        text = message(kind, english=error.message, today=today)
        kinds = {f.name: f.kind for f in form_fields(transition)}
        return invalid(instance, [invalid_param((field,), text, kinds)])
    if isinstance(error, TransitionRefused):
        explanation = _rule_text(error.rule)
        english = None if explanation else " ".join(filter(None, [error.message, error.hint]))
        return answer(error.code, instance, detail=explanation, rule=error.rule, source=error.source,
                      grantStatus=error.status, explanation=explanation, serverDetail=english)
    return answer(error.code, instance)
