"""The scheme check's references: every name a scheme file uses exists in the file or in the engine's libraries.

The libraries are read from the code, never copied: the step library is the command kinds `domain.decide`
handles (and `domain.commands` defines), the conditions are `domain.deadlines.DONE_WHEN`, the consequences
`ConsequenceKind`, the states `GrantStatus`, the region kinds `RegionKind`. What this module knows itself is
which step reads which parameter and option and takes which besluit, so that a key can be checked against it.
"""

from __future__ import annotations

import difflib
from typing import Any, Callable

from domain.regulation.check_findings import Findings, Parsed, listed
from domain.regulation.check_procedures import check_procedures
from domain.regulation.model import TermKind
from domain.values import DecisionKind, RegionKind

# The engine's own steps: a passed term's consequence, a besluit's letter and the steps of a besluit's procedure
# (its stages, and who holds the work), allowed in every state and never declared by a scheme.
ENGINE_OWN_STEPS = frozenset({"ApplyDeadlineConsequence", "IssueDecisionLetter", "PassStage", "SendBackStage",
                              "ClaimCase", "ReleaseCase", "AssignCase"})
# The step that starts a grant (`decide` takes it when the region has no grant yet): its allowed_from is empty.
STARTS_A_GRANT = frozenset({"SubmitVooraanmelding"})

# Which step's rules can meet a condition of `domain.deadlines.DONE_WHEN`, and what its argument names.
CONDITION_STEP = {"progress_report": "SubmitProgressReport", "extension_plan": "SubmitExtensionPlan",
                  "final_report": "SubmitFinalReport", "detailed_plan": "SubmitDetailedPlan"}
CONDITION_ARGUMENT = {"progress_report": "reports", "extension_plan": None, "final_report": None, "detailed_plan": "plans"}

# The options each step's rules read (`Step.options`), and what kind of value each is.
STEP_OPTIONS: dict[str, dict[str, str]] = {
    "SubmitVooraanmelding": {"term": "term"},
    "SubmitFinalReport": {"term": "term"},
    "SubmitProgressReport": {"reports": "report_terms", "extension_plan_with_report": "report_number"},
    "SubmitExtensionPlan": {"term": "term"},
    "GrantExtension": {"term": "term"},
    "SubmitDetailedPlan": {"plans": "plan_specs"},
}

# The options without which a step's rule cannot decide at all.
REQUIRED_OPTIONS: dict[str, list[str]] = {
    "SubmitVooraanmelding": ["term"], "SubmitExtensionPlan": ["term"], "GrantExtension": ["term"],
    "SubmitProgressReport": ["reports"], "SubmitDetailedPlan": ["plans"],
}

CEILING_UNITS = {"cents_per_year", "cents"}  # a ceiling per year, or one amount (domain/budget.ceilings_from)
OBJECTION_TERM_UNITS = {"days"}

# The parameters each step's rules read: a step without them is refused on every day (regulation.not_in_force).
STEP_PARAMETERS: dict[str, list[str]] = {
    "SubmitVooraanmelding": ["region_min_vmbo_schools", "region_min_mbo_institutions", "region_min_partners"],
    "SubmitApplication": ["funded_years", "pupil_count_date", "pupil_rate_cents", "pupil_track_weight",
                          "cofinancing_threshold", "eligible_sectors", "hourly_rate_advised_cents", "hourly_rate_allowed_cents"],
    "RequestRepair": ["repair_period_days"],
    "ApproveGrant": ["funded_years"],
    "SubmitExtensionPlan": ["extension_year", "extension_cap_share"],
    "GrantExtension": ["extension_year", "extension_cap_share", "extension_budget_cents"],
    "RecordHourlyRateChange": ["hourly_rate_advised_cents", "hourly_rate_allowed_cents"],
    "SubmitFinalReport": ["funded_years"],
    "DetermineGrant": ["cofinancing_threshold", "cofinancing_shortfall_method"],
    "SubmitDetailedPlan": ["eligible_sectors", "funded_years"],
}


# The kind of besluit each step takes (domain/events/ records it; domain/deadlines.py looks its objection term up).
STEP_BESLUITEN = {"ApproveGrant": "approval", "RejectApplication": "rejection", "RequestRepair": "set_aside",
                  "GrantExtension": "extension", "DetermineGrant": "determination", "WithdrawGrant": "withdrawal",
                  "LowerGrant": "lowering"}


def step_library() -> set[str]:
    """The command kinds a scheme's step may name: those `decide` handles, and every command of domain/commands."""
    from domain import commands as c
    from domain.decide import _HANDLERS

    kinds = {cls.__name__ for cls in _HANDLERS}
    kinds |= {name for name, obj in vars(c).items() if isinstance(obj, type) and issubclass(obj, c.Command) and obj is not c.Command}
    return kinds - ENGINE_OWN_STEPS


def conditions() -> set[str]:
    from domain.deadlines import DONE_WHEN

    return set(DONE_WHEN)


# --- references -----------------------------------------------------------------------------------------


def check_references(parsed: Parsed, findings: Findings) -> None:
    versions = parsed.declared("versions", "id")
    terms = parsed.keyed("terms", "key")
    term_keys = parsed.declared("terms", "key")
    params = parsed.keyed("parameters", "key")
    param_keys = parsed.declared("parameters", "key")

    def version(place: str, name: Any) -> None:
        if name not in versions:
            findings.error(place, f"names version {name!r}, which the file does not declare",
                           f"{_suggest(name, versions)}add it under [[versions]] or name one of {listed(versions)}", "reference.version")

    def term(place: str, name: Any, what: str) -> bool:
        if name not in term_keys:
            findings.error(place, f"{what} names term {name!r}, which the file does not declare",
                           f"{_suggest(name, term_keys)}add it under [[terms]] or name one of {listed(term_keys)}", "reference.term")
            return False
        return True

    def param(place: str, name: Any, what: str, units: set[str]) -> None:
        if name not in param_keys:
            findings.error(place, f"{what} names parameter {name!r}, which the file does not declare",
                           f"{_suggest(name, param_keys)}add it under [[parameters]] or name one of {listed(param_keys)}", "reference.parameter")
        elif name in params and params[name][1].unit not in units:
            findings.error(place, f"{what} reads parameter {name!r} as {listed(units)}; its unit is {params[name][1].unit!r}",
                           f"name a parameter in {listed(units)}", "parameter.unit")

    if parsed.scheme is not None:
        version("scheme.regeling", parsed.scheme.regeling)
    for i, t in parsed.section("terms"):
        for j, value in enumerate(t.values):
            version(f"terms[{i}].values[{j}].version", value.version)
    for i, p in parsed.section("parameters"):
        for j, value in enumerate(p.values):
            version(f"parameters[{i}].values[{j}].version", value.version)
    kinds = {k.value for k in DecisionKind}
    for i, b in parsed.section("besluiten"):
        param(f"besluiten[{i}].objection_term", b.objection_term, f"besluit {b.kind!r}", OBJECTION_TERM_UNITS)
        if b.kind not in kinds:
            findings.note(f"besluiten[{i}].kind", f"{b.kind!r} is not a kind of decision the engine records ({listed(kinds)})",
                          "no decision looks this besluit up; correct the name if you meant one of them", "reference.besluit")
        if b.remedy not in ("bezwaar", "beroep"):
            findings.warning(f"besluiten[{i}].remedy", f"remedy {b.remedy!r}", "write bezwaar (Awb 6:4) or beroep (Awb 8:1)", "reference.remedy")
    _check_steps(parsed, findings, term, terms, param_keys)
    check_procedures(parsed, findings)
    for i, r in parsed.section("application_rounds"):
        if term(f"application_rounds[{i}].window", r.window, f"round {r.number}") and r.window in terms:
            if terms[r.window][1].kind not in (TermKind.WINDOW, TermKind.DEADLINE):
                findings.error(f"application_rounds[{i}].window", f"term {r.window!r} is a {terms[r.window][1].kind.value}, not a window or deadline",
                               "name a term of kind window (with a start) or deadline", "reference.term_kind")
        if term(f"application_rounds[{i}].decision", r.decision, f"round {r.number}") and r.decision in terms:
            if terms[r.decision][1].kind is not TermKind.DECISION:
                findings.warning(f"application_rounds[{i}].decision", f"term {r.decision!r} is a {terms[r.decision][1].kind.value}, not a decision term",
                                 "name a term of kind decision (addressed to the operator)", "reference.term_kind")
    numbers = {r.number for _, r in parsed.section("application_rounds")}
    for i, r in parsed.section("application_rounds"):
        if r.after_rejection_in is not None and (r.after_rejection_in not in numbers or r.after_rejection_in == r.number):
            findings.error(f"application_rounds[{i}].after_rejection_in", f"round {r.number} opens after a rejection in round {r.after_rejection_in}, which is not another round of the file",
                           f"name an earlier round ({listed(numbers - {r.number})}) or leave it out for a round open to pre-registered regions", "reference.round")
    if parsed.section("application_rounds") and not any(r.after_rejection_in is None for _, r in parsed.section("application_rounds")):
        findings.warning("application_rounds", "no round is open to pre-registered regions", "leave after_rejection_in out of the first round", "reference.round")
    for i, d in parsed.section("deadlines"):
        if term(f"deadlines[{i}].term", d.term, "the deadline") and d.term in terms and terms[d.term][1].kind is TermKind.MILESTONE:
            findings.warning(f"deadlines[{i}].term", f"term {d.term!r} is a milestone: nobody must act by it",
                             "name a deadline or window term, or make the term a deadline", "reference.term_kind")
        if d.until is not None:
            _check_condition(parsed, findings, f"deadlines[{i}].until", d.until, d.term)
    for i, k in parsed.section("region_kinds"):
        if k.kind not in {r.value for r in RegionKind}:
            findings.error(f"region_kinds[{i}].kind", f"{k.kind!r} is not a region kind of the engine",
                           f"use one of {listed({r.value for r in RegionKind})}; a new kind of region needs a programmer (domain/values.py RegionKind)", "reference.region_kind")
        param(f"region_kinds[{i}].ceiling", k.ceiling, f"region kind {k.kind!r}", CEILING_UNITS)


def _check_steps(parsed: Parsed, findings: Findings, term: Callable[..., bool], terms: dict, param_keys: set) -> None:
    library = step_library()
    declared = {s.command for _, s in parsed.section("steps")}
    besluiten = parsed.declared("besluiten", "kind")
    for i, s in parsed.section("steps"):
        place = f"steps[{i}]"
        if s.command in ENGINE_OWN_STEPS:
            findings.error(f"{place}.command", f"{s.command} is the engine's own step (a passed term's consequence), allowed in every state",
                           "remove this step: a deadline's consequence is declared under [[deadlines]]", "reference.step")
            continue
        if s.command not in library:
            findings.error(f"{place}.command", f"{s.command!r} is not a kind of step of the step library",
                           f"{_suggest(s.command, library)}use one of {listed(library)}; a genuinely new kind of step needs a programmer (a command in domain/commands.py and its handler in domain/decide/)", "reference.step")
            continue
        if s.command in STARTS_A_GRANT and s.allowed_from:
            findings.warning(f"{place}.allowed_from", f"{s.command} starts a grant: it is taken when the region has none, whatever allowed_from says",
                             "write allowed_from = []", "step.start")
        if s.command not in STARTS_A_GRANT and not s.allowed_from:
            findings.error(f"{place}.allowed_from", f"{s.command} is allowed from no state, so it can never be taken",
                           "list the states it is allowed from; only a step that starts a grant has none", "step.never")
        seen: set[str] = set()
        for j, status in enumerate(s.allowed_from):
            if status.value in seen:
                findings.warning(f"{place}.allowed_from[{j}]", f"state {status.value!r} is listed twice", "list it once", "step.state_twice")
            seen.add(status.value)
        for key in STEP_PARAMETERS.get(s.command, []):
            if key not in param_keys:
                findings.warning(place, f"{s.command}'s rules read parameter {key!r}, which the file does not declare: the step would be refused on every day",
                                 f"add [[parameters]] key = {key!r}, or leave the step out", "step.parameter")
        _check_options(findings, place, s, term, terms)
        besluit = STEP_BESLUITEN.get(s.command)
        if besluit is not None and besluit not in besluiten:
            findings.error(place, f"{s.command} takes a besluit of kind {besluit!r}, which [[besluiten]] does not declare: its objection term cannot be counted",
                           f"declare [[besluiten]] kind = {besluit!r} with its objection term and source", "reference.besluit")
    if parsed.section("steps") and not declared & STARTS_A_GRANT:
        findings.warning("steps", "no step starts a grant", f"declare {listed(STARTS_A_GRANT)} with allowed_from = []", "step.start")


def _check_options(findings: Findings, place: str, step: Any, term: Callable[..., bool], terms: dict) -> None:
    known = STEP_OPTIONS.get(step.command)
    for name in REQUIRED_OPTIONS.get(step.command, []):
        if name not in step.options:
            findings.error(f"{place}.options", f"{step.command} needs the option {name!r}: its rule reads it",
                           f"add options = {{ {name} = ... }} (see the shipped schemes)", "step.option")
    for name, value in step.options.items():
        where = f"{place}.options.{name}"
        kind = (known or {}).get(name) or ("term" if name == "term" or name.endswith("_term") else None)
        if kind is None:
            if known is not None:
                findings.warning(where, f"no rule of {step.command} reads option {name!r}",
                                 f"remove it or correct its name; {step.command} reads {listed(set(known))}", "step.option")
            else:
                findings.note(where, f"option {name!r} of {step.command} is not checked", "make sure its rule reads it", "step.option")
        elif kind == "term":
            if not isinstance(value, str):
                findings.error(where, f"{value!r} is not a term key", "write the key of a term", "step.option")
            else:
                term(where, value, f"step {step.command}")
        elif kind == "report_terms":
            if not isinstance(value, dict) or not value:
                findings.error(where, "the reports are not a table of number = term key", 'write reports = { "1" = "progress_report_1" }', "step.option")
                continue
            for number, key in value.items():
                if not str(number).isdigit() or int(number) < 1:
                    findings.error(f"{where}.{number}", f"report number {number!r} is not a positive whole number", "number the reports 1, 2, ...", "step.option")
                term(f"{where}.{number}", key, f"report {number}")
        elif kind == "plan_specs":
            if not isinstance(value, dict) or not value:
                findings.error(where, "the plans are not a table of plan key = { term, years }",
                               'write plans = { "2030-2031" = { term = "detailed_plan_2030_2031", years = [2030, 2031] } }', "step.option")
                continue
            for key, spec in value.items():
                if not isinstance(spec, dict) or not isinstance(spec.get("term"), str) or not isinstance(spec.get("years"), list) \
                        or not spec["years"] or not all(isinstance(y, int) and not isinstance(y, bool) for y in spec["years"]):
                    findings.error(f"{where}.{key}", f"plan {key!r} needs a term key and a list of years",
                                   'write { term = "detailed_plan_2030_2031", years = [2030, 2031] }', "step.option")
                else:
                    term(f"{where}.{key}.term", spec["term"], f"plan {key}")
        elif kind == "report_number":
            reports = _table_or_empty(step.options.get("reports"))
            if str(value) not in {str(k) for k in reports}:
                findings.error(where, f"report {value!r} is not one of the step's reports ({listed({str(k) for k in reports})})",
                               "name a report number of options.reports", "step.option")


def _check_condition(parsed: Parsed, findings: Findings, place: str, until: str, term_key: str) -> None:
    name, _, argument = until.partition(":")
    known = conditions()
    if name not in known:
        findings.error(place, f"{name!r} is not a condition the engine knows",
                       f"{_suggest(name, known)}use one of {listed(known)} (domain/deadlines.py DONE_WHEN); a new condition needs a programmer", "reference.condition")
        return
    steps = parsed.keyed("steps", "command")
    step = CONDITION_STEP.get(name)
    if step is not None and step not in steps:
        findings.warning(place, f"condition {name!r} is met by the step {step}, which the scheme does not declare: the deadline always passes",
                         f"declare the step {step} or choose another condition", "reference.condition")
    expects = CONDITION_ARGUMENT.get(name, "unknown")
    if expects is None and argument:
        findings.warning(place, f"condition {name!r} takes no argument; {argument!r} is ignored", f"write until = {name!r}", "reference.condition")
    elif expects in ("reports", "plans"):
        # the argument names one of the step's reports (its term key) or plans (a table with its term key)
        table = _table_or_empty(steps[step][1].options.get(expects)) if step in steps else {}
        terms_of = {str(k): (v.get("term") if isinstance(v, dict) else v) for k, v in table.items()}
        if argument not in terms_of:
            findings.error(place, f"{until!r}: {argument or 'nothing'} is not one of the {expects} of the step {step} ({listed(set(terms_of))})",
                           f"write {name}:KEY with KEY a key of {step}'s options.{expects}", "reference.condition")
        elif terms_of[argument] != term_key:
            findings.warning(place, f"{expects[:-1]} {argument} has term {terms_of[argument]!r}, but this deadline is {term_key!r}",
                             f"let the deadline and the {expects[:-1]} name the same term", "reference.condition")
    elif expects == "unknown":
        findings.note(place, f"the argument of condition {name!r} is not checked", "make sure its rule reads it", "reference.condition")


def _table_or_empty(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _suggest(name: Any, names: set[Any]) -> str:
    close = difflib.get_close_matches(str(name), [str(n) for n in names if n is not None], n=1)
    return f"did you mean {close[0]!r}? Otherwise " if close else ""
