""""Mijn werk" on the page (adapters/http/page_work.py, static/work.js), without a browser: the frame the server renders
(every label names its field, the tables have a caption and column headers, the ids are unique, every text it and
the script ask for is in the Dutch texts, the filters are the API's), and the page's own endpoint taking the work on
a case in-process (the in-memory store, the commands executed as the workflow would): the checklist's answers pass
through as answers, a refusal keeps its rule and source in Dutch, a send-back without a reason is a wrong field, and
the answer says where the work waits next. The case read (GET /v1/grants/{region}/case) names the stages of its
procedure with their questions and whom a coordinator may give the stage to."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from fastapi.testclient import TestClient

from adapters.engine.business_clock import BusinessClock
from adapters.http import page_work
from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from adapters.http.page import page
from adapters.http.texts import texts
from domain import commands as c
from domain.authority.register import SHIPPED
from domain.regulation.procedures import default_procedure
from domain.regulation.schemes import scheme, scheme_ids
from domain.timekeeping import AMSTERDAM
from domain.values import Role
from tests.support.scripted import GrantScript, at, years

STATIC = Path(page_work.__file__).parent / "static"
ROOT = Path(__file__).parents[2]
IC_ANSWERS = {"advies_gevolgd": True, "bedrag_juist": True, "iban_juist": True, "beschikking_mag_verzonden": True}


class Elements(HTMLParser):
    """Every element of a page outside <template> (a transition's form is cloned into the page one at a time)."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "template":
            self.depth += 1
        elif not self.depth:
            self.found.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        if tag == "template":
            self.depth -= 1


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


# --- the frame -------------------------------------------------------------------------------------------

def test_the_ids_of_the_page_are_unique_and_every_label_and_description_names_an_element_of_it():
    found = elements(page())
    ids = [attrs["id"] for _, attrs in found if "id" in attrs]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    labels = [attrs["for"] for tag, attrs in found if tag == "label" and "for" in attrs]
    described = [part for _, attrs in found for part in attrs.get("aria-describedby", "").split()]
    assert {"work-within", "case-hold-to", "case-stage-reason", "case-stage-effective_at"} <= set(labels)
    assert set(labels) <= set(ids) and set(described) <= set(ids), (set(labels) | set(described)) - set(ids)


def test_the_lists_of_mijn_werk_are_tables_with_a_caption_and_a_dutch_header_per_column():
    html = page_work.sections()
    for table_id, columns in (("work-table", page_work.LIST_COLUMNS), ("case-taken-table", page_work.TAKEN_COLUMNS)):
        table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html).group(0)
        assert re.search(r'<caption class="utrecht-table__caption">[A-Z][^<]+</caption>', table)
        heads = re.findall(r'<th scope="col" class="utrecht-table__header-cell">([^<]+)</th>', table)
        assert heads == [texts()["work"][c] for c in columns] and all("_" not in h for h in heads)
    assert [h for h in re.findall(r'<th scope="col"[^>]*>([^<]+)', html)][:7] == [
        "Regio", "Regeling", "Besluit", "Fase en rol", "In behandeling bij", "Uiterste behandeldatum", "Te laat"]


def test_the_filters_are_the_apis_and_mine_and_my_roles_is_the_default():
    html = page_work.work_filters()
    radios = re.findall(r'<input class="[^"]*" type="radio" id="work-which-([a-z-]+)" name="work-which" value="\1" '
                        r'data-query="([^"]*)"( checked)?>', html)
    assert [(value, dict(parse_qsl(query)), bool(checked)) for value, query, checked in radios] == [
        ("my-roles", {"myRoles": "true"}, True), ("mine", {"mine": "true"}, False),
        ("unassigned", {"unassigned": "true"}, False), ("all", {}, False)]
    app = create_app(ApiSettings(database_url="memory:"))
    operation = app.openapi()["paths"]["/v1/work-items"]["get"]
    asked = {p["name"] for p in operation["parameters"]}
    names = set(re.findall(r'name="([A-Za-z]+)"', html)) - {"work"}
    assert {k for _, q, _ in radios for k, _ in parse_qsl(q)} | names <= asked, (names, asked)
    assert '<option value="25" selected>25</option>' in html and 'id="work-within"' in html and 'max="3650"' in html


def test_every_stage_a_besluit_can_wait_in_is_a_choice_of_the_filter_by_its_dutch_title():
    titles = page_work.stage_titles()
    stages = {s.id for sid in scheme_ids() for p in scheme(sid).data.procedures for s in p.stages}
    stages |= {s.id for s in default_procedure("ApproveGrant").stages}
    assert set(titles) == stages
    assert titles["ondertekening"] == "Ondertekening onder mandaat"  # the shortest of the signing stages' titles
    assert titles["interne_controle"] == "Interne controle" and all("_" not in t for t in titles.values())
    assert list(titles.values()) == sorted(titles.values(), key=str.lower)


def test_the_options_and_fields_escape_what_they_show():
    assert page_work.options({'a"b': "<x>"}, 'a"b', empty="alle") == \
        '<option value="">alle</option><option value="a&quot;b" selected>&lt;x&gt;</option>'
    field = page_work.field("f", "Naam", '<input id="f">', "uitleg")
    assert field == ('<div class="utrecht-form-field field"><label class="utrecht-form-label" for="f">Naam</label>'
                     '<div class="utrecht-form-field-description" id="f-help">uitleg</div><input id="f"></div>')


def test_every_text_mijn_werk_asks_for_is_in_the_dutch_texts():
    work = texts()["work"]
    source = (ROOT / "adapters/http/page_work.py").read_text()
    script = (STATIC / "work.js").read_text()
    asked = set(re.findall(r'\bw\("([a-z_]+)"', source)) | set(re.findall(r'\bwork\("([a-z_]+)"', script))
    asked |= {f"which_{v.replace('-', '_')}" for v in page_work.WHICH} | {f"{t}_reason" for t in ("claim", "release")}
    asked |= {k for k in re.findall(r'"(fact_[a-z]+)"', source)}
    assert len(asked) > 60 and asked <= set(work), sorted(asked - set(work))
    assert set(re.findall(r'\bpage\("([a-z_]+)"', script)) <= set(texts()["page"])
    assert all(re.fullmatch(r"[^_]*", text) for text in work.values() if isinstance(text, str))  # no raw names


def test_every_role_of_the_register_and_every_outcome_of_a_stage_has_a_dutch_name():
    roles = {r for v in SHIPPED.versions for p in (v.people or []) for rs in p.roles.values() for r in rs}
    assert roles and roles <= set(texts()["work"]["roles"]), sorted(roles - set(texts()["work"]["roles"]))
    events = (ROOT / "domain/events/stages.py").read_text()
    outcomes = set(re.findall(r'_stage\(self, state, "([a-z_]+)"', events))
    assert outcomes == set(texts()["work"]["outcomes"]) == {"drafted", "passed", "sent_back", "signed"}


def test_the_page_loads_mijn_werk_with_its_one_script_and_shows_its_menu_to_staff_only():
    html = page()
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/app.js">']
    app_js = (STATIC / "app.js").read_text()
    assert 'import("/static/work.js")' in app_js and 'me.role !== "region"' in app_js
    assert '<nav id="site-nav" class="site-nav" aria-label="Hoofdmenu" hidden>' in html
    assert 'href="#/werk" id="nav-work">Mijn werk</a>' in html


# --- the work on a case through the page's own endpoint -------------------------------------------------

class Direct:
    """The sender as the grant's workflow is to it: the command executed on the service (dated by the clock)."""

    def __init__(self, service, clock):
        self.service, self.clock = service, clock

    async def send(self, command):
        if command.effective_at is None:
            command = command.model_copy(update={"effective_at": self.clock.now()})
        return await asyncio.to_thread(self.service.execute, command)


@pytest.fixture(scope="module")
def case():
    clock = BusinessClock.starting_at(dt.datetime(2019, 6, 25, 14, tzinfo=AMSTERDAM))
    app = create_app(ApiSettings(database_url="memory:", clock=clock))
    api = app.state.api
    api._sender = Direct(api.service, clock)
    grant = GrantScript(api.service, index=1, stages=False)
    for step in (grant.pre_register, grant.apply, grant.accept, grant.advise):
        step()
    api.service.execute(grant.command(c.ApproveGrant, at(2019, 6, 20), actor=c.Actor(name="op.jansen", role=Role.OPERATOR),
                                      granted_per_year=years(grant.per_year)))
    tokens = {name: api.tokens.issue(name, "operator", created_by="tests").token for name in ("ic.smit", "ic.mulder")}
    with TestClient(app) as client:
        def post(who: str, transition: str, values: dict, **meta):
            body = {"values": values, "incomplete": [], "command_id": str(uuid.uuid4()), **meta}
            return client.post(f"/page/grants/{grant.code}/{transition}", json=body,
                               headers={"Authorization": f"Bearer {tokens[who]}"})

        def read(who: str) -> dict:
            return client.get(f"/v1/grants/{grant.code}/case", headers={"Authorization": f"Bearer {tokens[who]}"}).json()
        yield post, read


def test_the_work_on_a_case_goes_through_the_pages_endpoint_and_its_refusals_are_dutch(case):
    post, read = case
    opened = read("ic.smit")
    labels = {s["id"]: s["questions"] for s in opened["case"]["procedure_stages"]}
    assert list(labels) == ["eerste_beoordeling", "interne_controle", "ondertekening"]
    assert labels["interne_controle"]["iban_juist"] == "Het IBAN is juist vermeld in de verplichting"
    assert opened["open"]["may_take"] == opened["open"]["may_be_assigned"] == ["ic.smit", "ic.mulder"]

    claimed = post("ic.smit", "claim", {"reason": "Zaak opgepakt.", "effective_at": "2019-06-21"},
                   expected_version=opened["version"])
    assert claimed.status_code == 200, claimed.text
    result = claimed.json()
    assert result["events"] == ["CaseClaimed"] and result["waiting"]["claimed_by"] == "ic.smit"
    assert result["waiting"]["stage_title"] == "Interne controle" and "pass" in result["work_transitions"]
    held = read("ic.mulder")["open"]
    assert held["may_take"] == ["ic.smit"] and held["may_be_assigned"] == ["ic.smit", "ic.mulder"]  # whom to give it to

    version = read("ic.mulder")["version"]
    other = post("ic.mulder", "pass", {"reason": "Fase afgerond.", "stage": "interne_controle", "answers": IC_ANSWERS})
    assert other.status_code == 409 and other.headers["content-language"] == "nl"
    problem = other.json()
    assert problem["lang"] == "nl" and problem["title"] == "Niet toegestaan door een regel"
    assert problem["rule"] == "work.claimed_by_other" and problem["source"].startswith("werkverdeling DUS-I")
    assert problem["explanation"].startswith("Een collega behandelt deze zaak.") and "serverDetail" not in problem
    assert read("ic.mulder")["version"] == version  # nothing written

    back = post("ic.smit", "send-back", {"reason": "", "stage": "interne_controle", "answers": {}})
    assert back.status_code == 400
    assert [p["reason"] for p in back.json()["invalidParams"]] == ["Reden: dit veld is verplicht. Vul het in."]

    unmet = post("ic.smit", "pass", {"reason": "Fase afgerond.", "stage": "interne_controle",
                                     "answers": {**IC_ANSWERS, "iban_juist": False}})
    assert unmet.status_code == 409 and unmet.json()["rule"] == "stages.checklist_not_met"
    assert unmet.json()["explanation"].startswith("Niet alle controles van de checklist kloppen.")

    passed = post("ic.smit", "pass", {"reason": "Fase afgerond.", "stage": "interne_controle",
                                      "answers": {**IC_ANSWERS, "notitie": "IBAN gecontroleerd"}, "effective_at": "2019-06-21"})
    assert passed.status_code == 200, passed.text
    assert passed.json()["events"] == ["StagePassed"] and passed.json()["waiting"]["stage"] == "ondertekening"
    taken = read("ic.smit")["case"]["stages"][-1]
    assert (taken["stage"], taken["person"], taken["answers"]["notitie"]) == ("interne_controle", "ic.smit", "IBAN gecontroleerd")
    assert taken["taken_on"] == "2019-06-21"  # the day of the date input
