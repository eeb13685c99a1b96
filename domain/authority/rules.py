"""The rules of who may decide, in one place for every path (CLI, API, page, workflow, replay): a role granted for
the scheme, four eyes on every case, a mandate that covers the besluit, and no beslissing op bezwaar by whoever
signed the besluit it is against. Nobody passes them, an administrator included: the engine knows no one above
them. Each refusal names the rule and its source, and says what to do."""

from __future__ import annotations

from domain.authority.register import Mandate, Person, RegisterView
from domain.errors import TransitionRefused
from domain.regulation.procedures import Procedure, Stage
from domain.state import CaseRecord, GrantState

AWB = "Algemene wet bestuursrecht"
FOUR_EYES = ("vier-ogenprincipe: één persoon neemt niet twee fasen van één zaak (werkwijze DUS-I; "
             "Algemene Rekenkamer, beoordelingskader subsidiebeheer: functiescheiding als key control)")
COORDINATOR = "coordinator"


def _refuse(rule: str, message: str, source: str, hint: str, state: GrantState) -> TransitionRefused:
    return TransitionRefused(rule, message, source, hint=hint, status=state.status.value)


def register_on(register_view: RegisterView | None, state: GrantState, day: str) -> RegisterView:
    if register_view is None:
        raise _refuse("authority.no_register", f"the organisation register has no version in force on {day}",
                      "Mandaat- en rollenregister DUS-I", "give a business date on which the register is in force "
                      "(`sto mandates` lists its versions)", state)
    return register_view


def person_in(view: RegisterView, name: str, state: GrantState) -> Person:
    person = view.person(name)
    if person is None:
        raise _refuse(
            "authority.unknown_person", f"{name} is not in the organisation register (version {view.version.number})",
            f"Mandaat- en rollenregister DUS-I, versie {view.version.number}: {view.version.source.label()}",
            "act under your own name as the register knows it (`sto mandates` lists the people and their roles); "
            "a new colleague is added by a new version of the register", state)
    return person


def check_role(view: RegisterView, name: str, role: str, scheme: str, state: GrantState, what: str) -> Person:
    person = person_in(view, name, state)
    if role not in person.roles_for(scheme):
        held = ", ".join(sorted(person.roles_for(scheme))) or "none"
        holders = ", ".join(p.name for p in view.holders_of(role, scheme)) or "nobody"
        raise _refuse(
            "authority.role", f"{what} is for the role {role} in the scheme {scheme}; {name} holds {held}",
            f"Mandaat- en rollenregister DUS-I, versie {view.version.number}: rollen per regeling",
            f"ask someone with the role {role} ({holders}), or have the role granted in a new version of the register",
            state)
    return person


def check_four_eyes(case: CaseRecord | None, name: str, stage: Stage, state: GrantState) -> None:
    """Whoever took one stage of a case takes no other stage of it, in any round (unless the stage allows it)."""
    if case is None or stage.same_person_allowed:
        return
    taken = case.takers.get(name)
    if taken is not None and taken != stage.id:
        raise _refuse(
            "four_eyes.one_stage_per_person",
            f"{name} took the stage {taken} of this {case.besluit_kind} besluit and cannot take the stage {stage.id} too",
            FOUR_EYES, "another person with the stage's role takes it (`sto work --stage` shows who may)", state)


def check_claim(state: GrantState, name: str) -> None:
    claim = state.claim
    if claim is not None and claim.person != name:
        raise _refuse(
            "work.claimed_by_other", f"{claim.person} holds this case ({claim.procedure}/{claim.stage}) since "
            f"{claim.since.isoformat()}", "werkverdeling DUS-I: één behandelaar per fase",
            f"ask {claim.person} or a coordinator to release it, or take another case (`sto work`)", state)


def check_answers(stage: Stage, answers: dict[str, object], state: GrantState, command_type: str, *, passing: bool) -> None:
    source = f"checklist van de fase {stage.title_nl} (regeling, procedures)"
    for key, value in answers.items():
        question = stage.question(key)
        if question is None:
            known = ", ".join(q.id for q in stage.questions) or "none"
            raise _refuse("stages.unknown_question", f"the stage {stage.id} has no question {key!r} (it has: {known})",
                          source, "answer the stage's own questions (`sto work show REGION`)", state)
        if (question.kind == "bool") != isinstance(value, bool) or (
                question.kind == "choice" and value not in question.options):
            expected = "yes or no (true/false)" if question.kind == "bool" else (
                "one of " + ", ".join(question.options) if question.kind == "choice" else "a text")
            raise _refuse("stages.answer_type", f"question {key!r} ({question.label_nl}) takes {expected}", source,
                          "give the answer in the question's form", state)
    if not passing:
        return
    asked = [q for q in stage.questions if q.asked_for(command_type)]
    missing = [q for q in asked if q.required and q.id not in answers]
    if missing:
        raise _refuse("stages.checklist_incomplete", "unanswered: " + "; ".join(f"{q.id} ({q.label_nl})" for q in missing),
                      source, "answer every question of the checklist", state)
    unmet = [q for q in asked if q.must_be_true and answers.get(q.id) is not True]
    if unmet:
        raise _refuse("stages.checklist_not_met", "not confirmed: " + "; ".join(q.label_nl for q in unmet), source,
                      "a stage whose checks do not hold sends the besluit back, with the reason", state)


def signing_mandate(view: RegisterView, person: Person, kind: str, scheme: str, amount_cents: int,
                    state: GrantState) -> Mandate:
    """The mandate under which `person` may sign a besluit of `kind` for `amount_cents` (Awb 10:1-10:3, 10:9)."""
    held = view.mandates_of(person.name, scheme)
    covering = [m for m in held if m.covers(kind, scheme, amount_cents)]
    if covering:
        return covering[0]
    source = f"{AWB} art. 10:1–10:3 en 10:9; Mandaat- en rollenregister DUS-I, versie {view.version.number}"
    able = [p.name for p in view.people if any(m.covers(kind, scheme, amount_cents) for m in view.mandates_of(p.name, scheme))]
    hint = f"the signing stage goes to someone whose mandate covers it ({', '.join(able) or 'nobody: the register needs a mandate for it'})"
    euros = f"EUR {amount_cents // 100:,}".replace(",", ".")
    limits = [m for m in held if kind in m.besluiten]
    if limits:
        top = max((m.max_cents or 0) for m in limits)
        raise _refuse("mandate.limit", f"{person.name}'s mandate ({', '.join(m.id for m in limits)}) goes up to "
                      f"EUR {top // 100:,}".replace(",", ".") + f"; this {kind} besluit is {euros}", source, hint, state)
    raise _refuse("mandate.none", f"{person.name} holds no mandate for {kind} besluiten in {scheme}", source, hint, state)


def check_objection_signer(state: GrantState, name: str) -> None:
    """Awb 10:3 lid 3: no mandate to decide on an objection for whoever took the contested besluit under mandate."""
    objection = state.objection
    if objection is None:
        return
    contested = [b for b in state.besluiten if b.kind == objection.against.value]
    if contested and contested[-1].taken_by == name:
        raise _refuse(
            "mandate.objection_by_contested_signer",
            f"{name} took the contested {objection.against.value} besluit (besluit {contested[-1].number}) and cannot "
            "decide on the objection against it", f"{AWB} art. 10:3 lid 3",
            "another person with a mandate for beslissingen op bezwaar signs it", state)


def drafter_of(case: CaseRecord, procedure: Procedure) -> str | None:
    first = procedure.stages[0].id
    drafts = [s.person for s in case.stages if s.stage == first]
    return drafts[-1] if drafts else None
