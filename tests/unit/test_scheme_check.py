"""`check_scheme`: a shipped scheme checks clean, and a broken one is told every problem with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.regulation.check import check_scheme, has_errors
from domain.regulation.check_findings import Level
from domain.regulation.schemes import _files, scheme_ids

SHIPPED = Path(__file__).parents[2] / "domain" / "regulation" / "data" / "schemes" / "sto-2020-2024.toml"

# Each change breaks one thing in a copy of the 2020-2024 file: (text, replacement, the place and check it must
# be found at). Places count from 0 in the order the file declares its items.
BREAKS = [
    ('command = "DecideObjection"\nallowed_from = ["in_objection"]', 'command = "DecideObjection"\nallowed_from = ["in_objection", "granted"]',
     "steps[9].allowed_from[1]", "model.enum"),
    ('term = "spending_end"\napplies_in', 'term = "spending_ends"\napplies_in', "deadlines[3].term", "reference.term"),
    ("start = 2020-03-16", "start = 2020-06-16", "terms[9].values[0].start", "date.window"),
    ('consequence = "extension_forfeited"', 'consequence = "extension_lost"', "deadlines[2].consequence", "model.enum"),
    ('until = "final_report"', 'until = "final_reports"', "deadlines[4].until", "reference.condition"),
    ('version = "brief-2021-05-20"', 'version = "brief-2021-05-21"', "terms[11].values[1].version", "reference.version"),
]
DUPLICATE_STEP = '''
[[steps]]
command = "DetermineGrant"
allowed_from = ["final_report_submitted"]
title_nl = "Subsidie nog eens vaststellen"
source = { instrument = "Algemene wet bestuursrecht", provision = "art. 4:46" }
'''


def where(findings, level=Level.ERROR):
    return sorted((f.place, f.rule) for f in findings if f.level is level)


@pytest.fixture(scope="module")
def clean():
    return check_scheme(SHIPPED)


@pytest.mark.parametrize("scheme_id", scheme_ids())
def test_every_shipped_scheme_checks_without_error(scheme_id):
    findings = check_scheme(_files()[scheme_id])
    assert not has_errors(findings), "\n".join(f"{f.place}: {f.problem}" for f in findings if f.level is Level.ERROR)


def test_a_shipped_scheme_lists_its_unconfirmed_sources_as_notes_and_its_steps_without_source_as_warnings(clean):
    unconfirmed = [f for f in clean if f.rule == "source.unconfirmed"]
    assert {f.level for f in unconfirmed} == {Level.NOTE}
    assert "terms[18].values[0].source" in {f.place for f in unconfirmed}  # the disputed final-report date
    assert any("final_report" in f.problem for f in unconfirmed)
    assert not [f for f in clean if f.rule == "source.missing"], "every step of the shipped scheme names its source"


def test_a_step_without_a_legal_source_is_warned_about(tmp_path):
    text = SHIPPED.read_text(encoding="utf-8")
    start = text.index('command = "AcceptApplication"')
    line = text.index("\nsource = ", start)
    stripped = text[:line] + text[text.index("\n", line + 1):]
    copy = tmp_path / "no-source.toml"
    copy.write_text(stripped.replace('id = "sto-2020-2024"', 'id = "sto-no-source"', 1), encoding="utf-8")
    no_source = {f.place for f in check_scheme(copy) if f.rule == "source.missing" and f.level is Level.WARNING}
    assert "steps[4]" in no_source and "steps[0]" not in no_source  # AcceptApplication has none now, the vooraanmelding has one


def test_a_broken_copy_is_told_exactly_its_problems_with_their_places(tmp_path, clean):
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new, _, _ in BREAKS:
        assert text.count(old) >= 1, old
        text = text.replace(old, new, 1)
    broken = tmp_path / "broken.toml"
    broken.write_text(text.replace('id = "sto-2020-2024"', 'id = "sto-broken"', 1) + DUPLICATE_STEP, encoding="utf-8")
    findings = check_scheme(broken)
    expected = sorted([(place, rule) for _, _, place, rule in BREAKS] + [("steps[19].command", "unique.steps")])
    assert where(findings) == expected
    # every error says what to do, and the unknown names are named
    errors = {f.place: f for f in findings if f.level is Level.ERROR}
    assert all(f.hint for f in errors.values())
    assert "'granted'" in errors["steps[9].allowed_from[1]"].problem
    assert "spending_ends" in errors["deadlines[3].term"].problem and "spending_end" in errors["deadlines[3].term"].hint
    assert "final_reports" in errors["deadlines[4].until"].problem and "progress_report" in errors["deadlines[4].until"].hint
    assert "deadline_missed" in errors["deadlines[2].consequence"].hint
    assert "steps[15]" in errors["steps[19].command"].problem
    # the breaks add no warning of their own beyond the duplicate's and the broken items' (which no longer parse)
    assert set(where(findings, Level.WARNING)) <= set(where(clean, Level.WARNING))


def test_a_new_file_may_not_take_the_id_of_a_shipped_scheme(tmp_path):
    copy = tmp_path / "copy.toml"
    copy.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    assert where(check_scheme(copy)) == [("scheme.id", "unique.scheme_id")]
    assert not has_errors(check_scheme(SHIPPED))  # the shipped file itself has it by right


def test_rule_parameters_need_the_unit_and_shape_their_rule_reads(tmp_path):
    text = SHIPPED.read_text(encoding="utf-8").replace('id = "sto-2020-2024"', 'id = "sto-units"', 1)
    text = text.replace('key = "repair_period_days"\ntitle = "Default repair period (herstel verzuim) in days"\nunit = "days"',
                        'key = "repair_period_days"\ntitle = "Default repair period (herstel verzuim) in days"\nunit = "weeks"')
    text = text.replace("value = 5500", "value = -5500")
    text = text.replace('value = "0.25"', 'value = "1.25"')
    path = tmp_path / "units.toml"
    path.write_text(text, encoding="utf-8")
    findings = check_scheme(path)
    assert where(findings) == [("parameters[0].unit", "parameter.unit"), ("parameters[12].values[0].value", "parameter.value"),
                               ("parameters[17].values[0].value", "parameter.value")]


def test_a_deadline_on_a_report_the_step_does_not_have_and_a_round_decided_before_it_closes(tmp_path):
    text = SHIPPED.read_text(encoding="utf-8").replace('id = "sto-2020-2024"', 'id = "sto-order"', 1)
    text = text.replace('until = "progress_report:2"', 'until = "progress_report:3"')
    text = text.replace('number = 3\nwindow = "application_period_3"\ndecision = "decision_period_3"',
                        'number = 3\nwindow = "application_period_3"\ndecision = "decision_period_2"')
    text = text.replace("[scheme]\n", "[scheme]\nlapses_typo = 2025-01-01\n")
    path = tmp_path / "order.toml"
    path.write_text(text, encoding="utf-8")
    findings = check_scheme(path)
    assert where(findings) == [("application_rounds[2].decision", "date.round"), ("deadlines[1].until", "reference.condition"),
                               ("scheme.lapses_typo", "model.extra_forbidden")]
    typo = next(f for f in findings if f.place == "scheme.lapses_typo")
    assert "lapses" in typo.hint  # the fields of the [scheme] table are listed


def test_a_file_that_is_not_toml_or_lacks_its_sections_is_one_clear_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[scheme\nid = 1\n", encoding="utf-8")
    assert where(check_scheme(bad)) == [("", "file.toml")]
    empty = check_scheme({"name": "x"})
    assert where(empty) == [("parameters", "file.section"), ("scheme", "file.section"), ("terms", "file.section"),
                            ("versions", "file.section")]


ODD_VALUES = [None, 0, -1, "", "zz", [], {}, [["x"]], {"a": {"b": 1}}]


def _mutations(raw):
    """Every field of the first and the last item of each section (and of its first value) set to each odd value,
    one at a time."""
    for section, items in raw.items():
        targets = [(section, None)] if isinstance(items, dict) else [(section, 0), (section, -1)] if isinstance(items, list) and items else []
        for section_name, index in targets:
            item = raw[section_name] if index is None else raw[section_name][index]
            paths = [(k,) for k in item] + [("values", 0, k) for k in (item.get("values") or [{}])[0]]
            for path in paths:
                for odd in ODD_VALUES:
                    yield section_name, index, path, odd


def test_no_mutation_of_a_scheme_makes_the_check_crash_and_what_it_passes_the_engine_can_answer_from():
    import copy
    import tomllib

    from domain.regulation.calendar import Regulation
    from domain.regulation.model import RegulationData

    raw = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))
    raw["scheme"]["id"] = "sto-mutated"
    runs = passed = 0
    for section, index, path, odd in _mutations(raw):
        mutated = copy.deepcopy(raw)
        target = mutated[section] if index is None else mutated[section][index]
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = odd
        findings = check_scheme(mutated)  # never raises
        runs += 1
        if not has_errors(findings):
            passed += 1
            regulation = Regulation(RegulationData.model_validate(check_stringified(mutated)))
            for day in regulation.change_dates():
                regulation.in_force(day)
    assert runs > 800 and 0 < passed < runs


def check_stringified(raw):
    from domain.regulation.check_findings import stringify_keys

    return stringify_keys(raw)


MINIMAL = Path(__file__).parents[1] / "fixtures" / "schemes" / "minimal.toml"


def test_the_readmes_minimal_scheme_checks_clean_and_decides_by_its_own_dates():
    import datetime as dt

    from domain import commands as c
    from domain.decide import Context, decide
    from domain.errors import TransitionRefused
    from domain.values import RegionKind
    from domain.regulation.calendar import Regulation
    from adapters.replay.synthetic import synthetic_region
    from tests.support.scripted import OPERATOR

    assert check_scheme(MINIMAL) == []
    regulation = Regulation.from_toml(MINIMAL)
    fields = synthetic_region(1, kind=RegionKind.TECHNIEKREGIO).vooraanmelding_fields()
    when = dt.datetime(2029, 9, 30, 12, tzinfo=dt.timezone.utc)
    command = c.SubmitVooraanmelding(**fields, actor=OPERATOR, reason="vooraanmelding", effective_at=when)
    assert [event.__name__ for event, _ in decide(None, command, Context(regulation, when)).events] == ["VooraanmeldingReceived"]
    late = command.model_copy(update={"effective_at": when + dt.timedelta(days=1)})
    with pytest.raises(TransitionRefused) as refused:
        decide(None, late, Context(regulation, late.effective_at))
    assert refused.value.rule == "vooraanmelding.deadline" and "2029-09-30" in refused.value.message


def test_the_guide_to_adding_a_scheme_names_every_step_kind_condition_consequence_and_unit_the_check_knows():
    from domain.deadlines import DONE_WHEN
    from domain.regulation.check_rules import step_library
    from domain.regulation.check_units import SHAPES
    from domain.regulation.lifecycle import ConsequenceKind

    section = (Path(__file__).parents[2] / "docs" / "engineers" / "add-a-scheme.md").read_text(encoding="utf-8")
    names = [*step_library(), *DONE_WHEN, *(k.value for k in ConsequenceKind), *SHAPES]
    assert [n for n in names if f"`{n}" not in section] == []


def _library_has(step: str) -> bool:
    from domain.regulation.check_rules import step_library

    return step in step_library()


@pytest.mark.skipif(not _library_has("SubmitDetailedPlan"), reason="the step library has no detailed plans yet")
def test_detailed_plans_name_their_terms_and_a_deadline_names_one_of_the_plans(tmp_path):
    text = MINIMAL.read_text(encoding="utf-8").replace('id = "voorbeeld-2030"', 'id = "voorbeeld-plans"', 1)
    text += '''
[[steps]]
command = "SubmitDetailedPlan"
allowed_from = ["approved"]
title_nl = "Uitgewerkt plan indienen"
options = { plans = { "2030" = { term = "final_report", years = [2030] }, "2031" = { term = "plan_2031", years = [2031] } } }
source = { instrument = "Subsidieregeling voorbeeld techniekonderwijs 2030–2031", provision = "art. 8" }

[[deadlines]]
term = "decision_period"
applies_in = ["approved"]
until = "detailed_plan:2032"
consequence = "deadline_missed"
'''
    path = tmp_path / "plans.toml"
    path.write_text(text, encoding="utf-8")
    findings = check_scheme(path)
    assert where(findings) == [("deadlines[1].until", "reference.condition"), ("steps[13].options.plans.2031.term", "reference.term")]
    assert "2030, 2031" in next(f.problem for f in findings if f.place == "deadlines[1].until")
