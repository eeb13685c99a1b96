"""Property: no command, however wild its values, makes the engine fail other than by saying no.

Hypothesis draws commands of every type with values at and beyond every bound (amounts up to 10^30, dates
from year 1 to 9999, texts with control characters and of a megabyte, lists of many items), as a client
would send them (JSON). Each is parsed (pydantic may refuse it: invalid input), executed on a grant in one
of several states (the domain may refuse it: a rule), and whatever was stored is decoded by the codec and
projected into the read models (SQLite views). Anything else that is raised is a defect.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from adapters.read_side.read_models import ReadModels
from tests.support.scripted import GrantScript, at, years
from tests.support.stages import stage_command
from adapters.event_store.store import open_service
from domain import commands as c
from domain.authority.register import SHIPPED
from domain.commands import COMMAND_TYPES, parse_command
from domain.errors import DomainError
from domain.regulation.schemes import scheme, scheme_ids

AMOUNTS = st.one_of(
    st.sampled_from([0, 1, 10**11, 10**11 + 1, 2**53, 2**63 - 1, 2**63, 2**64, 10**30, -1, -(2**63)]),
    st.integers(min_value=-(10**31), max_value=10**31),
)
TEXTS = st.one_of(
    st.sampled_from(["", " ", "ok", "\x00", "a\x1bb", "x\u202ey", "line\nbreak", "tab\there", "é" * 5000, "y" * 1_000_001]),
    st.text(max_size=50),
)
TIMES = st.one_of(
    st.sampled_from(["2019-06-20T10:00:00+02:00", "2099-01-01T00:00:00+01:00", "0001-01-01T00:00:00+00:00",
                     "9999-12-31T23:59:59+00:00", "2019-06-20T10:00:00"]),
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(dt.timezone.utc)).map(
        lambda d: d.isoformat()),
)
DATES = st.one_of(st.sampled_from(["2019-06-20", "2099-01-01", "0001-01-01", "9999-12-31"]),
                  st.dates().map(lambda d: d.isoformat()))
YEARS = st.one_of(st.integers(min_value=2018, max_value=2030), st.integers())
SCALARS = st.one_of(AMOUNTS, TEXTS, st.booleans(), st.none())


SANE_AMOUNTS = st.integers(min_value=1, max_value=10**9)
SANE_TEXTS = st.sampled_from(["ok", "aanvraag ontvangen", "regiovisie onvoldoende", "cao-verhoging"])
SANE_TIMES = st.datetimes(min_value=dt.datetime(2018, 10, 1), max_value=dt.datetime(2026, 12, 1),
                          timezones=st.just(dt.timezone.utc)).map(lambda d: d.isoformat())
SANE_DATES = st.dates(min_value=dt.date(2018, 10, 1), max_value=dt.date(2026, 12, 1)).map(lambda d: d.isoformat())
# A besluit is drafted and its stages taken by people of the organisation register: with names only outside it,
# every besluit would be refused before its own rules and values were looked at.
PEOPLE = sorted({p.name for v in SHIPPED.versions for p in (v.people or [])})
SANE_ACTORS = st.one_of(st.sampled_from(PEOPLE), SANE_TEXTS)
_STAGES = [s for sid in scheme_ids() for p in scheme(sid).data.procedures for s in p.stages]
STAGE_IDS = sorted({s.id for s in _STAGES})
QUESTION_IDS = sorted({q.id for s in _STAGES for q in s.questions})


def either(draw, sane, wild):
    """Mostly a value a real client sends, one time in five a value at or beyond a bound."""
    return draw(wild) if draw(st.integers(0, 4)) == 0 else draw(sane)


def year_amounts(draw) -> list[dict]:
    years = st.lists(st.fixed_dictionaries({
        "year": st.one_of(st.integers(2020, 2024), YEARS) if draw(st.booleans()) else st.integers(2020, 2023),
        "amount_cents": st.one_of(SANE_AMOUNTS, AMOUNTS) if draw(st.booleans()) else SANE_AMOUNTS,
    }), min_size=1, max_size=4, unique_by=lambda a: a["year"])
    return draw(years)


def documents(draw) -> dict:
    from tests.support.scripted import PER_YEAR
    from adapters.replay.synthetic import application_documents, synthetic_region

    docs = application_documents(synthetic_region(draw(st.integers(1, 50))), PER_YEAR).model_dump(mode="json")
    if draw(st.booleans()):
        line = docs["begroting"][0]
        line["unit_price_cents"] = draw(AMOUNTS)
        line["quantity"] = draw(st.sampled_from(["1", "0.01", "9999999999.99", "1e30", "-1"]))
        docs["regiovisie"] = either(draw, SANE_TEXTS, TEXTS)
    return docs


@st.composite
def commands(draw, region: str) -> dict:
    kind = draw(st.sampled_from(sorted(COMMAND_TYPES)))
    fields: dict = {"type": kind, "region_code": region,
                    "actor": {"name": either(draw, SANE_ACTORS, TEXTS), "role": "operator"},
                    "reason": either(draw, SANE_TEXTS, TEXTS)}
    if draw(st.booleans()):
        fields["effective_at"] = either(draw, SANE_TIMES, TIMES)
    for name in COMMAND_TYPES[kind].model_fields:
        if name in fields or name in ("type", "command_id", "expected_version", "effective_at"):
            continue
        if name.endswith("_cents"):
            fields[name] = either(draw, SANE_AMOUNTS, AMOUNTS)
        elif name.endswith("per_year"):
            fields[name] = year_amounts(draw)
        elif name == "sent_on":
            if draw(st.booleans()):
                fields[name] = either(draw, SANE_DATES, DATES)
        elif name in ("documents",):
            fields[name] = documents(draw)
        elif name == "period":
            fields[name] = either(draw, st.integers(1, 3), st.integers(-3, 2**64))
        elif name == "number":
            fields[name] = either(draw, st.integers(1, 2), st.integers(-3, 2**64))
        elif name == "repair_days":
            fields[name] = either(draw, st.integers(1, 90), st.integers(-3, 2**64))
        elif name == "ranking_score":
            fields[name] = either(draw, st.integers(0, 100), st.integers(-3, 2**64))
        elif name in ("missing", "reasons"):
            fields[name] = [either(draw, SANE_TEXTS, TEXTS) for _ in range(draw(st.integers(1, 3)))]
        elif name == "criteria":
            fields[name] = [{"criterion": either(draw, SANE_TEXTS, TEXTS), "judgement": "sufficient",
                             "remark": either(draw, SANE_TEXTS, TEXTS)}]
        elif name == "positive":
            fields[name] = draw(st.booleans())
        elif name == "outcome":
            fields[name] = draw(st.sampled_from(["upheld", "dismissed"]))
        elif name == "deadline_key":
            fields[name] = draw(st.sampled_from(["objection_period:1", "progress_report_1", "application_period_1", "x" * 300, "\x00"]))
        elif name in ("grounds", "summary", "motivation"):
            fields[name] = either(draw, SANE_TEXTS, TEXTS)
        elif name in ("plan", "extension_plan"):
            if draw(st.booleans()):
                fields[name] = {"summary": either(draw, SANE_TEXTS, TEXTS), "requested_cents": either(draw, SANE_AMOUNTS, AMOUNTS)}
        elif name == "stage":
            fields[name] = either(draw, st.sampled_from(STAGE_IDS), SCALARS)
        elif name == "to":
            fields[name] = either(draw, st.sampled_from(PEOPLE), SCALARS)
        elif name == "answers":
            answer = st.one_of(st.booleans(), SANE_TEXTS, SCALARS)
            fields[name] = either(draw, st.dictionaries(st.sampled_from(QUESTION_IDS), answer, max_size=6),
                                  st.one_of(st.dictionaries(TEXTS, answer, max_size=60), SCALARS))
        elif name in ("region_name", "kind", "penvoerder", "vmbo_schools", "mbo_institutions", "partners"):
            continue  # a vooraanmelding of a region that has one is refused anyway; its own fields are tested above
        else:
            fields[name] = draw(SCALARS)
    return fields


def fresh_world() -> tuple:
    """Grants in several states (pre-registered, advised, approved, an approval waiting in its signing stage) on
    the in-memory store, with read models."""
    service = open_service("memory:")
    pre = GrantScript(service, index=901)
    pre.pre_register()
    advised = GrantScript(service, index=902)
    advised.pre_register()
    advised.apply()
    advised.accept()
    advised.advise()
    approved = GrantScript(service, index=903)
    approved.to_approved()
    waiting = GrantScript(service, index=904, stages=False)
    waiting.pre_register()
    waiting.apply()
    waiting.accept()
    waiting.advise()
    waiting.approve()  # drafted by op.jansen, passed by the interne controle: it waits for its signature
    approval = waiting.command(c.ApproveGrant, at(2019, 6, 21), granted_per_year=years(waiting.per_year))
    service.execute(stage_command(approval, service.regulation(), "interne_controle", "ic.smit"))
    models = ReadModels(service, "memory:")
    models.refresh()
    return service, models, [pre.code, advised.code, approved.code, waiting.code]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_command_makes_the_engine_fail_other_than_by_refusing_it(data):
    service, models, codes = fresh_world()
    for _ in range(data.draw(st.integers(1, 3))):  # a few commands in a row on the same grants
        raw = data.draw(commands(data.draw(st.sampled_from(codes))))
        try:
            command = parse_command(raw)
        except ValidationError:
            event("invalid input")
            continue  # refused before anything is sent
        try:
            service.execute(command)
            event(f"executed {command.name}")
        except DomainError as error:
            event(f"refused: {error.code}")  # refused by a rule (or a conflict): nothing written
    models.refresh()  # decode and project whatever is stored
    day = dt.date(2026, 12, 1)
    for code in codes:
        service.state(code)  # every grant still loads
        assert models.history(code)
    overview = models.regions()  # every grant is listed, none set apart as undecodable
    assert sorted(row["region_code"] for row in overview["regions"]) == sorted(codes), overview["regions"]
    assert overview["quarantined_records"] == 0 and not any(row["quarantined"] for row in overview["regions"])
    models.budget(day)
    models.deadlines(day)
