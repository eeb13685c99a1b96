"""The back-office page, in Dutch: the regions a page at a time, searched and filtered by the API (GET /v1/regions:
status, stage, scheme, kind, a text, a deadline within N days; the result announced in a live region), one
grant's deadlines (ahead and passed), its decision letters (each downloadable as PDF) and timeline, and a form for each transition possible now;
for operators and auditors "Mijn werk": the work queue and one grant's case with its stages (adapters.http.page_work).

Server-rendered HTML (the frame and one form per transition, labels from the Dutch texts, adapters.http.texts)
with a little vanilla JavaScript (static/app.js, which imports static/work.js for "Mijn werk") that reads the JSON API
with the same bearer tokens, and sends the forms. Styled with NL Design System CSS (adapters.http.design_system). The token is typed in once
per browser tab and kept in that tab's sessionStorage (gone when the tab closes, or on "uitloggen"); it is never put
in a cookie, so the page needs no CSRF protection: nothing is sent without the script adding the header.

A transition's form is sent to the page's own endpoint, POST /page/grants/{region}/{transition} (or
/page/schemes/{scheme}/grants/...; not part of the API, for operators like the API's transitions), with the values as
typed: the server reads them (a date input's day becomes the business time, adapters.http.forms), builds and sends
the same command as the API would, and answers a wrong field or a refusal in Dutch (adapters.http.page_problems).
The page shows wrong fields the NL Design System / GOV.UK way: a summary at the top of the form that takes the
focus and links each wrong field, and at each field its message (`aria-describedby`, `aria-invalid="true"`); what
was typed stays in the form. The JSON API keeps its English problem details.
"""

from __future__ import annotations

import asyncio
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from adapters.engine.sender import result_view
from adapters.http import page_problems as nl
from adapters.http import page_work
from adapters.http.access import Access, GuardedRoute, access, principal
from adapters.http.design_system import URL as NLDS
from adapters.http.forms import FormField, form_fields, read_form
from adapters.http.texts import label, texts
from adapters.operators.tokens import TokenInfo
from adapters.operators.transitions import TRANSITIONS, Transition, work_now
from domain import commands as c
from domain.errors import DomainError

STATIC = Path(__file__).parent / "static"
INPUT = "utrecht-textbox utrecht-textbox--html-input"
SELECT = "utrecht-select utrecht-select--html-select"
TEXTAREA = "utrecht-textarea utrecht-textarea--html-textarea"
PRIMARY = "utrecht-button utrecht-button--primary-action"
SECONDARY = "utrecht-button utrecht-button--secondary-action"
FORMS = "/page"  # the page's own endpoint for its forms (not the API)


def t(key: str, **values: Any) -> str:
    return escape(label("page", key, **values))


def _choice(value: str) -> str:
    for section in ("choices", "region_kinds", "statuses"):
        if value in texts().get(section, {}):
            return label(section, value)
    return value


def _control(transition: Transition, field: FormField, ident: str, described: str) -> str:
    required = " required aria-required=\"true\"" if field.required else ""
    attrs = f'id="{ident}" name="{escape(field.name)}" data-kind="{field.kind}"{required}{described}'
    if field.kind == "choice":
        options = "" if field.required else f'<option value="">—</option>'
        options += "".join(f'<option value="{escape(c)}">{escape(_choice(c))}</option>' for c in field.choices)
        return f'<select class="{SELECT}" {attrs}>{options}</select>'
    if field.kind == "yesno":
        return f'<select class="{SELECT}" {attrs}><option value="true">{t("yes")}</option><option value="false">{t("no")}</option></select>'
    if field.kind == "number":
        return f'<input class="{INPUT}" type="number" min="0" step="1" inputmode="numeric" {attrs}>'
    if field.kind in ("date", "datetime"):  # a business time is asked as its date (adapters.http.forms)
        return f'<input class="{INPUT}" type="date" {attrs}>'
    if field.kind in ("lines", "json"):
        return f'<textarea class="{TEXTAREA}" rows="3" {attrs}></textarea>'
    return f'<input class="{INPUT}" type="text" {attrs}>'


def _field(transition: Transition, field: FormField) -> str:
    ident = f"{transition.name}-{escape(field.name)}"
    help_parts = []
    if field.name in texts().get("field_help", {}):
        help_parts.append(label("field_help", field.name))
    if field.kind == "lines":
        help_parts.append(label("page", "one_per_line"))
    if field.example:
        prefix = label("page", "json") + ", " if field.kind == "json" else ""
        help_parts.append(f"{prefix}bijv. {field.example}")
    described = f' aria-describedby="{ident}-help"' if help_parts else ""
    marker = f' <span class="required">({t("required")})</span>' if field.required else ""
    help_text = f'<div class="utrecht-form-field-description" id="{ident}-help">{escape("; ".join(help_parts))}</div>' if help_parts else ""
    return (f'<div class="utrecht-form-field field"><label class="utrecht-form-label" for="{ident}">'
            f'{escape(label("fields", field.name))}{marker}</label>{help_text}{_control(transition, field, ident, described)}</div>')


def transition_form(transition: Transition) -> str:
    name = transition.name
    inputs = "".join(_field(transition, f) for f in form_fields(transition))
    return (
        f'<template id="form-{name}"><form class="transition" data-transition="{name}" aria-labelledby="form-title-{name}" novalidate>'
        f'<h3 class="utrecht-heading-3" id="form-title-{name}" tabindex="-1">{escape(label("transitions", name))}</h3>'
        f'<p class="utrecht-paragraph title">{escape(label("transition_help", name))}</p>'
        f'<div class="utrecht-alert utrecht-alert--error error-summary" id="summary-{name}" tabindex="-1" hidden>'
        f'<div role="alert"><h4 class="utrecht-heading-4" id="summary-title-{name}"></h4>'
        f'<p class="utrecht-paragraph">{t("error_summary_help")}</p><ul class="utrecht-unordered-list"></ul></div></div>{inputs}'
        f'<div class="utrecht-button-group actions"><button type="submit" class="{PRIMARY} send">{t("send")}</button>'
        f'<button type="button" class="{SECONDARY} cancel">{t("cancel")}</button></div>'
        '<div class="outcome" role="alert"></div></form></template>'
    )


def _table(caption: str, columns: list[str], body_id: str, table_id: str | None = None) -> str:
    ident = f' id="{table_id}"' if table_id else ""
    heads = "".join(f'<th scope="col" class="utrecht-table__header-cell">{t(c)}</th>' for c in columns)
    return (f'<div class="table-scroll"><table class="utrecht-table"{ident}><caption class="utrecht-table__caption">{caption}</caption>'
            f'<thead class="utrecht-table__header"><tr class="utrecht-table__row">{heads}</tr></thead>'
            f'<tbody class="utrecht-table__body" id="{body_id}"></tbody></table></div>')


def _filters() -> str:
    return f"""<form id="filters" class="filters" role="search" aria-label="{t('regions')}">
      <div class="utrecht-form-field"><label class="utrecht-form-label" for="filter-q">{t('search')}</label>
        <div class="utrecht-form-field-description" id="filter-q-help">{t('search_help')}</div>
        <input class="{INPUT}" type="search" id="filter-q" name="q" aria-describedby="filter-q-help"></div>
      <div class="utrecht-form-field"><label class="utrecht-form-label" for="filter-status">{t('filter_status')}</label>
        <select class="{SELECT}" id="filter-status" name="status"><option value="">{t('filter_all')}</option>{_options('statuses')}</select></div>
      <div class="utrecht-form-field"><label class="utrecht-form-label" for="filter-stage">{t('filter_stage')}</label>
        <select class="{SELECT}" id="filter-stage" name="stage"><option value="">{t('filter_all')}</option>{_options('stages')}</select></div>
      <div class="utrecht-form-field"><label class="utrecht-form-label" for="filter-scheme">{t('filter_scheme')}</label>
        <select class="{SELECT}" id="filter-scheme" name="scheme"><option value="">{t('filter_all')}</option>{_options('schemes')}</select></div>
      <div class="utrecht-form-field"><label class="utrecht-form-label" for="filter-kind">{t('filter_kind')}</label>
        <select class="{SELECT}" id="filter-kind" name="kind"><option value="">{t('filter_all')}</option>{_options('region_kinds')}</select></div>
      <div class="utrecht-form-field"><label class="utrecht-form-label" for="filter-within">{t('filter_within')}</label>
        <div class="utrecht-form-field-description" id="filter-within-help">{t('filter_within_help')}</div>
        <input class="{INPUT}" type="number" min="0" max="3650" step="1" inputmode="numeric" id="filter-within" name="within" aria-describedby="filter-within-help"></div>
      <div class="utrecht-button-group"><button type="submit" class="{PRIMARY}">{t('filter_apply')}</button>
        <button type="reset" class="{SECONDARY}" id="filter-reset">{t('filter_reset')}</button></div>
    </form>"""


def _options(section: str) -> str:
    return "".join(f'<option value="{escape(k)}">{escape(v)}</option>' for k, v in texts()[section].items())


@cache
def page() -> str:
    forms = "".join(transition_form(tr) for tr in TRANSITIONS.values())
    return f"""<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t('title')}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{NLDS}/utrecht.css">
<link rel="stylesheet" href="{NLDS}/voorbeeld-theme.css">
<link rel="stylesheet" href="/static/app.css">
</head>
<body class="voorbeeld-theme utrecht-document">
<a class="utrecht-skip-link utrecht-skip-link--visible-on-focus" href="#main">{t('skip')}</a>
<header class="utrecht-page-header site-header">
  <p class="site-title"><a class="utrecht-link utrecht-link--html-a" href="#/">{t('title')}</a> <span class="programme">{t('programme')}</span></p>
  <p id="who" hidden>{t('signed_in_as')} <strong id="who-name"></strong> (<span id="who-role"></span>) · {t('business_day')} <span id="who-today"></span>
    <button type="button" class="{SECONDARY}" id="sign-out">{t('sign_out')}</button></p>
  {page_work.nav()}
</header>
<main id="main" class="utrecht-page-content" tabindex="-1">
  <p id="notice" role="status" class="notice"></p>
  <div id="error" class="utrecht-alert utrecht-alert--error problem" role="alert" hidden></div>
  <section id="sign-in" hidden aria-labelledby="sign-in-title">
    <h1 class="utrecht-heading-1" id="sign-in-title">{t('sign_in')}</h1>
    <form id="sign-in-form">
      <div class="utrecht-form-field"><label class="utrecht-form-label" for="token">{t('token')}</label>
        <div class="utrecht-form-field-description" id="token-help">{t('token_help')}</div>
        <input class="{INPUT}" type="password" id="token" autocomplete="off" required aria-required="true" aria-describedby="token-help"></div>
      <button type="submit" class="{PRIMARY}">{t('sign_in')}</button>
    </form>
    <div id="sign-in-error" class="problem" role="alert"></div>
  </section>
  <section id="regions" hidden aria-labelledby="regions-title">
    <h1 class="utrecht-heading-1" id="regions-title">{t('regions')}</h1>
    <p id="counts" class="utrecht-paragraph"></p>
    {_filters()}
    <p id="shown" class="utrecht-paragraph" role="status" aria-live="polite"></p>
    {_table(t('regions'), ['col_region', 'col_scheme', 'col_name', 'col_kind', 'col_status', 'col_penvoerder', 'col_requested', 'col_granted', 'col_next_deadline'], 'regions-rows', 'regions-table')}
    <nav class="pager" aria-label="{t('pages')}"><div class="utrecht-button-group">
      <button type="button" class="{SECONDARY}" id="page-prev" disabled>{t('page_prev')}</button>
      <button type="button" class="{SECONDARY}" id="page-next" disabled>{t('page_next')}</button></div></nav>
    <div id="webhooks" hidden><h2 class="utrecht-heading-2" id="webhooks-title">Webhooks (gebeurtenissen voor andere systemen)</h2>
    <p id="webhooks-summary" class="utrecht-paragraph" role="status"></p>
    <table class="utrecht-table" aria-labelledby="webhooks-title"><thead class="utrecht-table__header"><tr class="utrecht-table__row"><th class="utrecht-table__header-cell" scope="col">abonnement</th><th class="utrecht-table__header-cell" scope="col">callback-URL</th><th class="utrecht-table__header-cell" scope="col">regio</th><th class="utrecht-table__header-cell" scope="col">wachtend</th><th class="utrecht-table__header-cell" scope="col">afgeleverd</th><th class="utrecht-table__header-cell" scope="col">onbestelbaar</th></tr></thead>
    <tbody id="webhook-rows" class="utrecht-table__body"></tbody></table></div>
  </section>
  <section id="grant" hidden aria-labelledby="grant-title">
    <p><a class="utrecht-link utrecht-link--html-a" href="#/" id="back">{t('back')}</a></p>
    <h1 class="utrecht-heading-1" id="grant-title" tabindex="-1"><span id="grant-name"></span> <small id="grant-code"></small></h1>
    <dl class="facts">
      <div><dt>{t('grant_status')}</dt><dd id="grant-status"></dd></div>
      <div><dt>{t('grant_kind')}</dt><dd id="grant-kind"></dd></div>
      <div><dt>{t('grant_penvoerder')}</dt><dd id="grant-penvoerder"></dd></div>
      <div><dt>{t('grant_version')}</dt><dd id="grant-version"></dd></div>
      <div><dt>{t('grant_requested')}</dt><dd id="grant-requested"></dd></div>
      <div><dt>{t('grant_granted')}</dt><dd id="grant-granted"></dd></div>
    </dl>
    {page_work.grant_work()}
    <section id="transitions" aria-labelledby="transitions-title"><h2 class="utrecht-heading-2" id="transitions-title">{t('possible_now')}</h2>
      <div id="transition-buttons" class="utrecht-button-group"></div><div id="transition-form"></div></section>
    <h2 class="utrecht-heading-2" id="ahead-title"></h2>
    {_table(t('deadlines_ahead_caption'), ['col_due', 'col_days', 'col_what', 'col_who', 'col_source'], 'deadline-rows')}
    <h2 class="utrecht-heading-2">{t('deadlines_passed')}</h2>
    {_table(t('deadlines_passed'), ['col_due', 'col_days', 'col_what', 'col_who', 'col_source'], 'passed-rows')}
    <section id="letters" aria-labelledby="letters-title"><h2 class="utrecht-heading-2" id="letters-title">{t('letters')}</h2>
    <p class="utrecht-paragraph">{t('letters_help')}</p>
    {_table(t('letters'), ['col_besluit', 'col_besluit_kind', 'col_besluit_date', 'col_objection_deadline', 'col_sha256', 'col_letter'], 'letter-rows')}
    <p id="letters-without" class="utrecht-paragraph" role="status"></p></section>
    <section id="timeline" aria-labelledby="timeline-title"><h2 class="utrecht-heading-2" id="timeline-title">{t('timeline')}</h2>
    {_table(t('timeline'), ['col_version', 'col_effective', 'col_recorded', 'col_event', 'col_actor', 'col_reason', 'col_rule', 'col_legal_basis'], 'timeline-rows')}</section>
  </section>
  {page_work.sections()}
</main>
{forms}
<script src="/static/app.js"></script>
</body>
</html>
"""


async def send_form(request: Request, name: str, region: str, scheme: str | None, who: TokenInfo) -> JSONResponse:
    """A transition's form as typed: read, checked and sent like the API's transition; a wrong field or a refusal
    answered in Dutch. Body: {"values": {field: text}, "incomplete": [date fields the browser could not read],
    "command_id": ..., "expected_version": ...}."""
    instance = request.url.path
    transition = TRANSITIONS.get(name)
    if transition is None:
        return nl.answer("not_found", instance)
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("values", {}), dict):
        return nl.invalid(instance, [nl.invalid_param(("body",), nl.message("fallback"), {})])
    api = request.app.state.api
    today = api.clock.today()
    incomplete = [n for n in body.get("incomplete") or [] if isinstance(n, str)]
    fields, problems = read_form(transition, body.get("values") or {}, incomplete, today)
    fields.update({k: body[k] for k in ("command_id", "expected_version") if body.get(k) is not None})
    named = {p.loc[0] for p in problems}
    errors: list[Any] = []
    try:
        command = transition.build(region, c.Actor(name=who.name, role=who.role),
                                   {k: v for k, v in fields.items() if k not in named}, scheme)
    except ValidationError as error:
        errors = list(error.errors(include_url=False))
    if problems or errors:
        return nl.invalid(instance, nl.invalid_params(transition, problems, errors, today))
    try:
        result = await (await api.sender()).send(command)
    except DomainError as error:
        return nl.refused(error, instance, transition, today)
    view = result_view(result)  # and where the open work stands now (the stage that waits next, who holds it)
    view.update(await asyncio.to_thread(work_now, api.service, view["region_code"], view["scheme"]))
    return JSONResponse(view, headers=nl.HEADERS)


def form_router() -> APIRouter:
    """POST /page/grants/{region}/{transition} and /page/schemes/{scheme}/grants/{region}/{transition}: operators only,
    like the API's transitions (a token is checked first: 401 and 403 come as the API's problems)."""
    routes = APIRouter(route_class=GuardedRoute, include_in_schema=False)

    async def send(request: Request, region: str, transition: str, who: TokenInfo = Depends(principal)) -> JSONResponse:
        return await send_form(request, transition, region, None, who)

    async def send_in_scheme(request: Request, scheme: str, region: str, transition: str,
                             who: TokenInfo = Depends(principal)) -> JSONResponse:
        return await send_form(request, transition, region, scheme, who)

    for path, endpoint in (("/grants/{region}/{transition}", send), ("/schemes/{scheme}/grants/{region}/{transition}", send_in_scheme)):
        routes.add_api_route(FORMS + path, endpoint, methods=["POST"], openapi_extra=access(Access.OPERATOR))
    return routes


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)
    routes.include_router(form_router())

    @routes.get("/", response_class=HTMLResponse)
    def index() -> str:
        return page()

    @routes.get("/texts/nl.json")
    def dutch() -> dict[str, Any]:
        return texts()

    return routes


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC)
