"""Decisions before the assessment: vooraanmelding, application, repair (herstel verzuim), acceptance, advice."""

from __future__ import annotations

from domain import commands as c
from domain import events as e
from domain.decide.core import AWB, Context, Decision, refuse
from domain.deadlines import find_pending, next_application_period
from domain.money import check_application_money
from domain.state import GrantState
from domain.values import PartnerKind


def _vooraanmelding(cmd: c.SubmitVooraanmelding, ctx: Context) -> Decision:
    reg, day = ctx.regulation, ctx.day
    key = reg.data.step_option("SubmitVooraanmelding", "term")
    if key is None:
        raise refuse(
            "scheme.step_option_missing",
            f"the scheme {reg.data.scheme_id} does not say by when a vooraanmelding is due (its step has no `term`)",
            ctx.regeling("vooraanmelding"),
            "add options = { term = \"...\" } to the SubmitVooraanmelding step (`sto schemes check` names it)",
        )
    term = reg.term(key, day)
    if day > term.due:
        raise refuse(
            "vooraanmelding.deadline",
            f"the vooraanmelding closed on {term.due.isoformat()} ('{term.wording}'); it is {day.isoformat()}",
            term.source,
            "a region that did not pre-register cannot apply under this regulation",
        )
    kinds = reg.data.region_kinds
    if kinds and reg.data.region_kind(cmd.kind.value) is None:
        raise refuse(
            "region.kind_in_scheme",
            f"the scheme {reg.data.scheme_id} has no region kind {cmd.kind.value}; its kinds: "
            + ", ".join(k.kind for k in kinds),
            ctx.regeling("soorten regio's"),
            "pre-register the region as one of the scheme's kinds",
        )
    for key, items, what in (
        ("region_min_vmbo_schools", set(cmd.vmbo_schools), "vmbo schools (6-character BRIN)"),
        ("region_min_mbo_institutions", set(cmd.mbo_institutions), "mbo institutions"),
        ("region_min_partners", {p.name for p in cmd.partners if p.kind is not PartnerKind.PO_SCHOOL_BOARD},
         "companies and/or municipalities"),
        ("region_min_po_school_boards", {p.name for p in cmd.partners if p.kind is PartnerKind.PO_SCHOOL_BOARD},
         "primary-school boards (po-samenwerking)"),
    ):
        if key == "region_min_po_school_boards" and not reg.has_param(key, day):
            continue  # a scheme without compulsory po cooperation
        minimum = reg.param(key, day)
        if len(items) < int(minimum.value):
            raise refuse(
                "region.composition",
                f"a region needs at least {minimum.value} distinct {what}; this one has {len(items)}",
                minimum.source,
                f"add {what} to the vooraanmelding",
            )
    return Decision(
        events=[
            (
                e.VooraanmeldingReceived,
                {
                    "scheme": reg.data.scheme.id if reg.data.scheme else None,
                    "region_code": cmd.region_code,
                    "region_name": cmd.region_name,
                    "kind": cmd.kind.value,
                    "penvoerder": cmd.penvoerder.model_dump(mode="json"),
                    "vmbo_schools": list(dict.fromkeys(cmd.vmbo_schools)),
                    "mbo_institutions": list(dict.fromkeys(cmd.mbo_institutions)),
                    "partners": [p.model_dump(mode="json") for p in cmd.partners],
                },
            )
        ],
        rule="lifecycle.vooraanmelding",
        legal_basis=term.source,
    )


def _application(state: GrantState, cmd: c.SubmitApplication, ctx: Context) -> Decision:
    reg, day = ctx.regulation, ctx.day
    eligible = next_application_period(state, reg)
    application_round = reg.data.application_round(cmd.period)
    if application_round is None:
        rounds = ", ".join(str(r.number) for r in reg.data.application_rounds) or "none"
        raise refuse(
            "application.period_in_scheme",
            f"the scheme {reg.data.scheme_id} has no application period {cmd.period} (its periods: {rounds})",
            ctx.regeling("aanvraagtijdvakken"),
            f"apply in period {eligible}" if eligible else "no application period is open to this region",
            state,
        )
    key = application_round.window
    created_later = all(reg.version(v.version).effective > reg.version(reg.data.scheme.regeling).effective
                        for t in reg.data.terms if t.key == key for v in t.values) if reg.data.scheme else False
    if created_later and not reg.has_term(key, day):
        creator = next(
            (reg.version(v.version) for t in reg.data.terms if t.key == key for v in t.values), None
        )
        raise refuse(
            f"application.period_{cmd.period}_exists",
            f"application period {cmd.period} does not exist on {day.isoformat()}"
            + (f": it was added by {creator.title} of {creator.signed.isoformat()}" if creator else ""),
            creator.source.label() if creator else ctx.regeling("aanvraagtijdvakken"),
            f"wait for the amendment that opens period {cmd.period}",
            state,
        )
    if eligible != cmd.period:
        if cmd.period == 1:
            why = "period 1 is for pre-registered regions that have not yet applied"
        else:
            why = f"period {cmd.period} is only for regions whose application in period {cmd.period - 1} was rejected"
        raise refuse(
            "application.period_eligibility",
            f"{state.region_code} cannot apply in period {cmd.period}: {why}"
            + (f"; it may apply in period {eligible}" if eligible else ""),
            reg.term(key, day).source if reg.has_term(key, day) else ctx.regeling("aanvraagtijdvakken"),
            f"apply in period {eligible}" if eligible else "no application period is open to this region",
            state,
        )
    if not reg.has_term(key, day):
        raise refuse(
            "application.period_window",
            f"application period {cmd.period} is not in force on {day.isoformat()}",
            ctx.regeling("aanvraagtijdvakken"),
            "`sto calendar` lists the application periods in force",
            state,
        )
    window = reg.term(key, day)
    if window.start and day < window.start:
        raise refuse(
            "application.period_window",
            f"application period {cmd.period} opens on {window.start.isoformat()} ('{window.wording}')",
            window.source,
            f"submit from {window.start.isoformat()} on",
            state,
        )
    if day > window.due:
        raise refuse(
            "application.period_window",
            f"application period {cmd.period} closed on {window.due.isoformat()} ('{window.wording}'); "
            f"it is {day.isoformat()}",
            window.source,
            "a late application cannot be taken into consideration",
            state,
        )
    if application_round.needs_addendum and not (cmd.documents.addendum and cmd.documents.addendum.strip()):
        raise refuse(
            "application.addendum",
            f"an application in period {cmd.period} needs an addendum describing the changes to the rejected plan",
            window.source,
            "add the addendum of changes",
            state,
        )
    maximum = check_application_money(cmd.documents, state.vmbo_schools, reg, day, kind=state.kind.value)
    return Decision(
        events=[
            (
                e.ApplicationSubmitted,
                {
                    "period": cmd.period,
                    "documents": cmd.documents.model_dump(mode="json"),
                    "requested_cents": cmd.documents.requested_cents,
                    "regional_maximum_cents": maximum,
                },
            )
        ],
        rule=f"application.period_{cmd.period}",
        legal_basis=window.source,
    )


def _request_repair(state: GrantState, cmd: c.RequestRepair, ctx: Context) -> Decision:
    reg, day = ctx.regulation, ctx.day
    param = reg.param("repair_period_days", day)
    days = cmd.repair_days or int(param.value)
    due = reg.relative_deadline(
        "repair", "repair", "repair_period_days", day, day, days=days, counted_from_label="the repair request of"
    ).due
    return Decision(
        events=[(e.RepairRequested, {"missing": list(cmd.missing), "days": days, "due": due})],
        rule="application.repair_request",
        legal_basis=f"{AWB} art. 4:5 (repair period), 4:15 (decision term suspended)",
    )


def _submit_repair(state: GrantState, cmd: c.SubmitRepair, ctx: Context) -> Decision:
    reg, day = ctx.regulation, ctx.day
    repair = state.repair
    assert repair is not None
    pending = find_pending(state, reg, day, f"repair_period:{len(state.applications)}")
    due = pending.due if pending else repair.due
    if day > due:
        raise refuse(
            "application.repair_period",
            f"the repair period ended on {due.isoformat()}; it is {day.isoformat()}",
            f"{AWB} art. 4:5",
            "the application will be set aside; the region may object to that decision",
            state,
        )
    application = state.application
    assert application is not None
    requested, maximum = application.requested_cents, application.regional_maximum_cents
    documents = None
    if cmd.documents is not None:
        maximum = check_application_money(cmd.documents, state.vmbo_schools, reg, day, kind=state.kind.value)
        requested = cmd.documents.requested_cents
        documents = cmd.documents.model_dump(mode="json")
    # Awb 4:15: suspended from the day after the request until the day the application is completed.
    suspended = state.suspended_days + (day - repair.requested_on).days
    return Decision(
        events=[
            (
                e.RepairSubmitted,
                {
                    "documents": documents,
                    "requested_cents": requested,
                    "regional_maximum_cents": maximum,
                    "suspended_days": suspended,
                },
            )
        ],
        rule="application.repair_submitted",
        legal_basis=f"{AWB} art. 4:5, 4:15",
    )


def _accept(state: GrantState, cmd: c.AcceptApplication, ctx: Context) -> Decision:
    return Decision(
        events=[(e.ApplicationAccepted, {})],
        rule="application.complete",
        legal_basis=ctx.regeling("beoordelingskader: volledige aanvraag naar de beoordelingscommissie"),
    )


def _advice(state: GrantState, cmd: c.RecordAdvice, ctx: Context) -> Decision:
    kinds = ctx.regulation.data.region_kinds
    ranked_kinds = [k for k in kinds if k.ranked]
    ranked_names = " and ".join(f"{k.title_nl}'s" for k in ranked_kinds) or "no region kind"
    source = ctx.regeling(f"beoordelingskader (bijlage); rangschikking alleen voor {ranked_names}")
    kind = ctx.regulation.data.region_kind(state.kind.value) if state.kind is not None else None
    if kind is not None and kind.ranked and cmd.ranking_score is None:
        raise refuse(
            "advice.ranking_techniekarme",
            f"the advice on a {kind.title_nl} needs a ranking score: their ceiling can be exceeded, so they are ranked",
            source,
            "add the committee's ranking score (0-100)",
            state,
        )
    if kind is not None and not kind.ranked and cmd.ranking_score is not None:
        raise refuse(
            "advice.ranking_techniekarme",
            f"only {ranked_names} are ranked; a {kind.title_nl} gets no ranking score",
            source,
            "leave the ranking score out",
            state,
        )
    criteria = [a.criterion for a in cmd.criteria]
    if len(set(criteria)) != len(criteria):
        raise refuse("advice.criteria", "each criterion may be judged once", source, "merge the duplicates", state)
    return Decision(
        events=[
            (
                e.AdviceRecorded,
                {
                    "positive": cmd.positive,
                    "criteria": [a.model_dump(mode="json") for a in cmd.criteria],
                    "ranking_score": cmd.ranking_score,
                },
            )
        ],
        rule="advice.recorded",
        legal_basis=source,
    )
