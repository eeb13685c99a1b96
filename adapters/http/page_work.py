""""Mijn werk" on the back-office page (issue 23): the work queue of the signed-in operator and the case of one grant,
in Dutch, server-rendered as a frame that the page's script (static/work.js) fills from the API.

- The list reads GET /v1/work-items, a keyset page at a time ("Volgende pagina"), with the API's filters: which work
  (mine and what my roles may take, four eyes and mandate applied: `myRoles`, the default; what I hold: `mine`;
  what nobody holds: `unassigned`; all of it), the scheme, the stage, the decision term within N days, and the
  page size. Each row: region, scheme, the besluit (kind, amount), the stage and its role, who holds it, the last
  day of the decision term and how many days it is overdue.
- The case (GET /v1/grants/{region}/case) shows the stages taken (who, role, when, answers, reason) and the open
  stage: its checklist as form fields made from the stage's questions (a yes/no question that must hold is a
  checkbox, another yes/no question two radio buttons, a text a text area, a choice a select), who holds it, and
  the buttons Oppakken, Vrijgeven, Toewijzen, Fase afronden and Terugsturen. They post to the page's own endpoint
  (POST /page/grants/{region}/{transition}, adapters/http/page.py), which answers wrong fields and refusals in
  Dutch with their rule and source; the domain decides (four eyes, role, mandate, a case held by another).

Who may take what is never decided here nor in the script: the list asks the API (`myRoles` asks the domain's
rules), the buttons show what the grant's state allows, and the domain refuses what the person may not do.
"""

from __future__ import annotations

from functools import cache
from html import escape
from typing import Any
from urllib.parse import urlencode

from adapters.http.texts import label, texts
from domain.regulation.procedures import default_procedure
from domain.regulation.schemes import scheme, scheme_ids

INPUT = "utrecht-textbox utrecht-textbox--html-input"
SELECT = "utrecht-select utrecht-select--html-select"
TEXTAREA = "utrecht-textarea utrecht-textarea--html-textarea"
PRIMARY = "utrecht-button utrecht-button--primary-action"
SECONDARY = "utrecht-button utrecht-button--secondary-action"
RADIO = "utrecht-radio-button utrecht-radio-button--html-input"
LINK = "utrecht-link utrecht-link--html-a"
# Which work the list shows: the value of the radio button -> the API's query (GET /v1/work-items)
WHICH = {"my-roles": {"myRoles": "true"}, "mine": {"mine": "true"}, "unassigned": {"unassigned": "true"}, "all": {}}
PAGE_SIZES = (10, 25, 50)
DEFAULT_PAGE_SIZE = 25
LIST_COLUMNS = ("col_region", "col_scheme", "col_besluit", "col_stage", "col_holder", "col_due", "col_late")
TAKEN_COLUMNS = ("col_round", "col_taken_stage", "col_outcome", "col_person", "col_role", "col_when", "col_answers",
                 "col_reason")


def w(key: str, **values: Any) -> str:
    """A text of the [work] section, escaped for HTML."""
    return escape(label("work", key, **values))


def stage_titles() -> dict[str, str]:
    """Every stage a besluit can wait in, by id, with its Dutch title, for the filter: the stages of every
    procedure of every scheme and of the engine's own procedure; a stage id with several titles (the signing
    stage of each procedure) gets its shortest."""
    found: dict[str, set[str]] = {}
    procedures = [p for s in scheme_ids() for p in scheme(s).data.procedures] + [default_procedure("ApproveGrant")]
    for procedure in procedures:
        for stage in procedure.stages:
            found.setdefault(stage.id, set()).add(stage.title_nl)
    titles = {sid: min(names, key=lambda n: (len(n), n)) for sid, names in found.items()}
    return dict(sorted(titles.items(), key=lambda item: (item[1].lower(), item[0])))


def options(choices: dict[str, str], selected: str | None = None, empty: str | None = None) -> str:
    """<option>s of a select, values and texts escaped; `empty` first with the value "" when given."""
    found = [f'<option value="">{escape(empty)}</option>'] if empty is not None else []
    for value, text in choices.items():
        chosen = " selected" if value == selected else ""
        found.append(f'<option value="{escape(value)}"{chosen}>{escape(text)}</option>')
    return "".join(found)


def table(caption: str, columns: tuple[str, ...], body_id: str, table_id: str) -> str:
    """A table with its caption and a header cell per column (scope="col"); the script fills its body."""
    heads = "".join(f'<th scope="col" class="utrecht-table__header-cell">{w(c)}</th>' for c in columns)
    return (f'<div class="table-scroll"><table class="utrecht-table" id="{table_id}" aria-busy="false">'
            f'<caption class="utrecht-table__caption">{caption}</caption>'
            f'<thead class="utrecht-table__header"><tr class="utrecht-table__row">{heads}</tr></thead>'
            f'<tbody class="utrecht-table__body" id="{body_id}"></tbody></table></div>')


def field(ident: str, text: str, control: str, help_text: str = "") -> str:
    """One labelled form field; its description (if any) is named by the control's aria-describedby."""
    described = f'<div class="utrecht-form-field-description" id="{ident}-help">{help_text}</div>' if help_text else ""
    return (f'<div class="utrecht-form-field field"><label class="utrecht-form-label" for="{ident}">{text}</label>'
            f'{described}{control}</div>')


def radio(name: str, value: str, text: str, checked: bool = False, query: str = "") -> str:
    ident = f"{name}-{value}"
    mark = " checked" if checked else ""
    return (f'<div class="utrecht-form-field utrecht-form-field--radio choice">'
            f'<input class="{RADIO}" type="radio" id="{ident}" name="{name}" value="{value}" data-query="{escape(query)}"{mark}>'
            f'<label class="utrecht-form-label utrecht-form-label--radio" for="{ident}">{text}</label></div>')


def work_filters() -> str:
    """The list's filters, the API's (GET /v1/work-items): which work, scheme, stage, due within, page size."""
    which = "".join(radio("work-which", value, w(f"which_{value.replace('-', '_')}"), value == "my-roles",
                          urlencode(query)) for value, query in WHICH.items())
    within = (f'<input class="{INPUT}" type="number" min="0" max="3650" step="1" inputmode="numeric" id="work-within" '
              f'name="dueWithin" aria-describedby="work-within-help">')
    sizes = {str(n): str(n) for n in PAGE_SIZES}
    return (
        f'<form id="work-filters" class="filters" role="search" aria-label="{w("filters")}" novalidate>'
        f'<fieldset class="utrecht-form-fieldset utrecht-form-fieldset--html-fieldset which"><legend '
        f'class="utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend">{w("which")}</legend>{which}</fieldset>'
        + field("work-scheme", w("filter_scheme"),
                f'<select class="{SELECT}" id="work-scheme" name="scheme">{options(texts()["schemes"], empty=label("page", "filter_all"))}</select>')
        + field("work-stage", w("filter_stage"),
                f'<select class="{SELECT}" id="work-stage" name="stage">{options(stage_titles(), empty=label("page", "filter_all"))}</select>')
        + field("work-within", w("filter_within"), within, w("filter_within_help"))
        + field("work-size", w("page_size"),
                f'<select class="{SELECT}" id="work-size" name="pageSize">{options(sizes, str(DEFAULT_PAGE_SIZE))}</select>')
        + f'<div class="utrecht-button-group"><button type="submit" class="{PRIMARY}">{escape(label("page", "filter_apply"))}</button>'
        f'<button type="reset" class="{SECONDARY}" id="work-reset">{escape(label("page", "filter_reset"))}</button></div></form>'
    )


def work_section() -> str:
    """The list "Mijn werk": heading, who I am in the register, filters, the live count, the table and its pager."""
    return (
        '<section id="work" hidden aria-labelledby="work-title">'
        f'<h1 class="utrecht-heading-1" id="work-title" tabindex="-1">{w("title")}</h1>'
        f'<p class="utrecht-paragraph">{w("intro")}</p><p class="utrecht-paragraph" id="work-roles"></p>'
        f'{work_filters()}'
        '<p id="work-shown" class="utrecht-paragraph" role="status" aria-live="polite"></p>'
        f'{table(w("caption"), LIST_COLUMNS, "work-rows", "work-table")}'
        f'<nav class="pager" aria-label="{w("pages")}"><div class="utrecht-button-group">'
        f'<button type="button" class="{SECONDARY}" id="work-prev" disabled>{escape(label("page", "page_prev"))}</button>'
        f'<button type="button" class="{SECONDARY}" id="work-next" disabled>{escape(label("page", "page_next"))}</button>'
        '</div></nav></section>'
    )


def _summary(form: str) -> str:
    """The summary of a form's wrong fields (filled and focused by the script, as the transition forms' one)."""
    return (f'<div class="utrecht-alert utrecht-alert--error error-summary" id="summary-{form}" tabindex="-1" hidden>'
            f'<div role="alert"><h4 class="utrecht-heading-4" id="summary-title-{form}"></h4>'
            f'<p class="utrecht-paragraph">{escape(label("page", "error_summary_help"))}</p>'
            '<ul class="utrecht-unordered-list"></ul></div></div>')


def _date(form: str) -> str:
    ident = f"{form}-effective_at"
    control = (f'<input class="{INPUT}" type="date" id="{ident}" name="effective_at" data-kind="datetime" '
               f'aria-describedby="{ident}-help">')
    return field(ident, escape(label("fields", "effective_at")), control, escape(label("field_help", "effective_at")))


def hold_form() -> str:
    """Who holds the case: Oppakken, Vrijgeven, and Toewijzen to a colleague (a coordinator's)."""
    assign = (f'<select class="{SELECT}" id="case-hold-to" name="to" data-kind="text" aria-describedby="case-hold-to-help">'
              '</select>')
    return (
        f'<form id="case-hold" class="work-form" aria-labelledby="case-hold-title" novalidate>'
        f'<h3 class="utrecht-heading-3" id="case-hold-title">{w("hold_title")}</h3>'
        '<p class="utrecht-paragraph" id="case-holder"></p>'
        f'{_summary("case-hold")}{_date("case-hold")}'
        f'<div class="utrecht-button-group actions"><button type="button" class="{PRIMARY}" id="case-claim" data-transition="claim">{w("claim")}</button>'
        f'<button type="button" class="{SECONDARY}" id="case-release" data-transition="release">{w("release")}</button></div>'
        f'<div class="assign">{field("case-hold-to", w("assign_to"), assign, w("assign_help"))}'
        f'<button type="button" class="{SECONDARY}" id="case-assign" data-transition="assign">{w("assign")}</button></div>'
        '</form>'
    )


def stage_form() -> str:
    """The open stage's checklist (the script makes a field per question) and Fase afronden / Terugsturen."""
    reason = (f'<textarea class="{TEXTAREA}" rows="3" id="case-stage-reason" name="reason" data-kind="text" '
              'aria-describedby="case-stage-reason-help"></textarea>')
    return (
        f'<form id="case-stage" class="work-form" aria-labelledby="case-stage-title" novalidate>'
        '<h3 class="utrecht-heading-3" id="case-stage-title"></h3>'
        f'{_summary("case-stage")}'
        '<fieldset class="utrecht-form-fieldset utrecht-form-fieldset--html-fieldset checklist" id="case-questions">'
        '<legend class="utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend" id="case-questions-legend">'
        '</legend></fieldset>'
        f'{field("case-stage-reason", w("reason"), reason, w("reason_help"))}{_date("case-stage")}'
        f'<div class="utrecht-button-group actions"><button type="button" class="{PRIMARY}" id="case-pass" data-transition="pass">{w("pass")}</button>'
        f'<button type="button" class="{SECONDARY}" id="case-send-back" data-transition="send-back">{w("send_back")}</button></div>'
        '</form>'
    )


def case_section() -> str:
    """One grant's case: its facts, the stages taken, the open stage with who holds it and its checklist."""
    facts = "".join(f'<div><dt>{w(key)}</dt><dd id="case-{key.replace("_", "-")}"></dd></div>'
                    for key in ("fact_scheme", "fact_status", "fact_besluit", "fact_round", "fact_holder", "fact_due"))
    return (
        '<section id="case" hidden aria-labelledby="case-title">'
        f'<p class="links"><a class="{LINK}" href="#/werk" id="case-back">{w("case_back")}</a> '
        f'<a class="{LINK}" href="#/" id="case-grant">{w("case_grant")}</a></p>'
        '<h1 class="utrecht-heading-1" id="case-title" tabindex="-1"></h1>'
        f'<dl class="facts">{facts}</dl>'
        '<p id="case-notice" class="notice" role="status" aria-live="polite"></p>'
        '<div id="case-problem" class="utrecht-alert utrecht-alert--error problem" role="alert" tabindex="-1" hidden></div>'
        f'<section id="case-taken" aria-labelledby="case-taken-title"><h2 class="utrecht-heading-2" id="case-taken-title">{w("taken_title")}</h2>'
        f'{table(w("taken_caption"), TAKEN_COLUMNS, "case-taken-rows", "case-taken-table")}</section>'
        '<section id="case-open" aria-labelledby="case-open-title"><h2 class="utrecht-heading-2" id="case-open-title"></h2>'
        '<p class="utrecht-paragraph" id="case-open-info"></p><p class="utrecht-paragraph" id="case-may-take"></p>'
        f'<p class="utrecht-paragraph" id="case-draft" hidden><span id="case-draft-text"></span> '
        f'<a class="{LINK}" id="case-draft-link" href="#/">{w("open_grant")}</a></p>'
        f'<p class="utrecht-paragraph" id="case-look-only" hidden>{w("look_only")}</p>'
        f'{hold_form()}{stage_form()}</section>'
        '</section>'
    )


def nav() -> str:
    """The page's menu: the regions and "Mijn werk" (for operators and auditors; the script shows it)."""
    return (f'<nav id="site-nav" class="site-nav" aria-label="{w("nav_label")}" hidden><ul class="utrecht-link-list">'
            f'<li class="utrecht-link-list__item"><a class="{LINK}" href="#/" id="nav-regions">{w("nav_regions")}</a></li>'
            f'<li class="utrecht-link-list__item"><a class="{LINK}" href="#/werk" id="nav-work">{w("nav_work")}</a></li>'
            '</ul></nav>')


@cache
def sections() -> str:
    return work_section() + case_section()


def grant_work() -> str:
    """On a grant's page: where its besluit waits, who holds it, and the link to its case (the script fills it)."""
    return (f'<p id="grant-work" class="utrecht-paragraph" hidden><span id="grant-work-text"></span> '
            f'<a class="{LINK}" id="grant-case-link" href="#/">{w("grant_case")}</a></p>')
