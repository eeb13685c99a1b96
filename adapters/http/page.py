"""The back-office page: regions overview, one grant's timeline and deadlines, and its transitions.

Server-rendered HTML (the frame and one form per transition) with a little vanilla JavaScript
(static/app.js) that reads the JSON API with the same bearer tokens. The token is typed in once per browser
tab and kept in that tab's sessionStorage (gone when the tab closes, or on "sign out"); it is never put in a
cookie, so the page needs no CSRF protection: nothing is sent without the script adding the header.
"""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from adapters.http.forms import FormField, form_fields
from adapters.operators.transitions import TRANSITIONS, Transition

STATIC = Path(__file__).parent / "static"


def _input(transition: Transition, field: FormField) -> str:
    name = escape(field.name)
    ident = f"{transition.name}-{name}"
    required = " required" if field.required else ""
    attrs = f'id="{ident}" name="{name}" data-kind="{field.kind}"{required}'
    if field.kind in ("lines", "json"):
        placeholder = field.example or ("one per line" if field.kind == "lines" else "JSON")
    else:
        placeholder = field.example
    example = f' placeholder="{escape(placeholder)}"' if placeholder else ""
    if field.kind == "choice":
        options = "" if field.required else '<option value=""></option>'
        options += "".join(f'<option value="{escape(c)}">{escape(c)}</option>' for c in field.choices)
        control = f"<select {attrs}>{options}</select>"
    elif field.kind == "yesno":
        control = f'<select {attrs}><option value="true">yes</option><option value="false">no</option></select>'
    elif field.kind == "number":
        control = f'<input type="number" min="0" step="1" {attrs}>'
    elif field.kind == "date":
        control = f'<input type="date" {attrs}>'
    elif field.kind in ("lines", "json"):
        control = f'<textarea rows="3" {attrs}{example}></textarea>'
    else:  # text, datetime (ISO with offset)
        control = f'<input type="text" {attrs}{example}>'
    return f'<label for="{ident}">{escape(field.label)}{" *" if field.required else ""}</label>{control}'


def transition_form(transition: Transition) -> str:
    inputs = "".join(f'<div class="field">{_input(transition, f)}</div>' for f in form_fields(transition))
    return (
        f'<template id="form-{transition.name}"><form class="transition" data-transition="{transition.name}">'
        f"<h3>{escape(transition.name)}</h3><p class=\"title\">{escape(transition.title)}</p>{inputs}"
        f'<div class="actions"><button type="submit" class="send">Send {escape(transition.name)}</button>'
        '<button type="button" class="cancel">Cancel</button></div><p class="outcome" role="status"></p></form></template>'
    )


@cache
def page() -> str:
    forms = "".join(transition_form(t) for t in TRANSITIONS.values())
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>STO back office</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css">
</head>
<body>
<header>
  <h1><a href="#/">STO back office</a></h1>
  <p id="who" hidden><span id="who-name"></span> (<span id="who-role"></span>) · business day <span id="who-today"></span>
    · <button type="button" id="sign-out">Sign out</button></p>
</header>
<main>
  <p id="notice" role="status"></p>
  <p id="error" class="error" role="alert"></p>
  <section id="sign-in" hidden>
    <h2>Sign in</h2>
    <form id="sign-in-form">
      <label for="token">Token</label>
      <input type="password" id="token" autocomplete="off" required placeholder="sto_…">
      <button type="submit">Sign in</button>
    </form>
    <p class="note">A token comes from <code>sto token create</code>. It is kept in this browser tab only
      (sessionStorage) until you close the tab or sign out.</p>
    <p id="sign-in-error" class="error" role="alert"></p>
  </section>
  <section id="regions" hidden>
    <h2>Regions</h2>
    <p id="counts"></p>
    <table><thead><tr><th>region</th><th>name</th><th>kind</th><th>status</th><th>requested</th><th>granted</th><th>v</th></tr></thead>
    <tbody id="regions-rows"></tbody></table>
    <div id="webhooks" hidden><h3>Webhooks (events for other systems)</h3>
    <p id="webhooks-summary" role="status"></p>
    <table><thead><tr><th>subscription</th><th>callback URL</th><th>region</th><th>pending</th><th>delivered</th><th>dead letters</th></tr></thead>
    <tbody id="webhook-rows"></tbody></table></div>
  </section>
  <section id="grant" hidden>
    <h2><span id="grant-name"></span> <small id="grant-code"></small></h2>
    <p>status <strong id="grant-status"></strong> · version <span id="grant-version"></span>
      · requested <span id="grant-requested"></span> · granted <span id="grant-granted"></span></p>
    <div id="transitions"><h3>Possible now</h3><div id="transition-buttons"></div><div id="transition-form"></div></div>
    <h3>Pending deadlines (as of <span id="grant-as-of"></span>)</h3>
    <table><thead><tr><th>due</th><th>days</th><th>what</th><th>who acts</th><th>source</th></tr></thead>
    <tbody id="deadline-rows"></tbody></table>
    <div id="timeline"><h3>Timeline</h3>
    <table><thead><tr><th>v</th><th>effective</th><th>recorded</th><th>event</th><th>actor (role)</th><th>reason</th><th>rule</th><th>legal basis</th></tr></thead>
    <tbody id="timeline-rows"></tbody></table></div>
  </section>
</main>
{forms}
<script src="/static/app.js"></script>
</body>
</html>
"""


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/", response_class=HTMLResponse)
    def index() -> str:
        return page()

    return routes


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC)
