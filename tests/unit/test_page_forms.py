"""The page's forms, sent to its own endpoint (POST /page/grants/{region}/{transition}) in-process, with a sender that
records what reaches it: a wrong field is answered in Dutch (its Dutch label, what is wrong, what to do; never the
library's English) and nothing is sent; a date input's day lands as the business time (09:00 in Amsterdam, as the
CLI reads a date alone; today: the clock's now); a refusal keeps its rule and legal source with the rule's Dutch
text; the JSON API (/v1) keeps its English problem details."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from fastapi.testclient import TestClient

from adapters.engine.business_clock import BusinessClock, parse_business_time
from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from adapters.http.forms import business_time, read_date
from adapters.http.page_problems import message
from adapters.http.texts import texts
from domain.errors import GrantNotFound, InvalidInput, StaleVersion, TransitionRefused
from domain.results import CommandResult
from domain.timekeeping import AMSTERDAM
from domain.values import GrantStatus

TODAY = dt.date(2019, 5, 1)
ENGLISH = ["Input should", "invalid field", "field required", "Field required", "Value error", "correct the fields",
           "is not a valid", "must not be blank", "Extra inputs", "at least", "greater than"]


class Recorder:
    """A sender that records the commands it gets, and answers one result or raises one error."""

    def __init__(self):
        self.sent = []
        self.error = None

    async def send(self, command):
        self.sent.append(command)
        if self.error:
            raise self.error
        return CommandResult(region_code=command.region_code, grant_id=uuid.uuid4(), command_id=command.command_id,
                             command_type=command.name, status=GrantStatus.UNDER_ASSESSMENT, version=3,
                             events=["ApplicationAccepted"])


@pytest.fixture(scope="module")
def served():
    clock = BusinessClock.starting_at(dt.datetime(2019, 5, 1, 14, tzinfo=AMSTERDAM))
    app = create_app(ApiSettings(database_url="memory:", clock=clock))
    tokens = app.state.api.tokens
    issued = {role: tokens.issue(f"{role} page", role, "STO-R001" if role == "region" else None, created_by="tests").token
              for role in ("operator", "auditor", "region")}
    with TestClient(app) as client:
        yield client, issued, app.state.api


@pytest.fixture
def page(served):
    client, issued, api = served
    recorder = Recorder()
    api._sender = recorder

    def post(transition: str, values: dict, incomplete=(), token: str = "operator", **meta):
        body = {"values": values, "incomplete": list(incomplete), "command_id": str(uuid.uuid4()), "expected_version": 2, **meta}
        return client.post(f"/page/grants/STO-R001/{transition}", json=body, headers={"Authorization": f"Bearer {issued[token]}"})

    post.sent = recorder.sent
    post.recorder = recorder
    yield post
    api._sender = None


def english_in(text: str) -> list[str]:
    return [fragment for fragment in ENGLISH if fragment in text]


def test_an_invalid_date_is_said_in_dutch_by_its_label_and_nothing_is_sent(page):
    answer = page("accept", {"reason": "compleet", "effective_at": "31-02-2019"})
    assert answer.status_code == 400 and answer.headers["content-language"] == "nl"
    body = answer.json()
    assert body["lang"] == "nl" and body["code"] == "invalid_input" and body["title"] == "Onjuiste invoer"
    assert body["detail"] == "1 veld is niet goed ingevuld" and "Er is niets vastgelegd" in body["hint"]
    (param,) = body["invalidParams"]
    assert param == {"name": "effective_at", "in": "body", "label": "Datum van ingang",
                     "message": "Dit is geen geldige datum. Vul een datum in (dag, maand, jaar).",
                     "reason": "Datum van ingang: dit is geen geldige datum. Vul een datum in (dag, maand, jaar)."}
    assert page.sent == [] and not english_in(answer.text)


def test_an_incomplete_date_input_is_not_taken_for_an_empty_one(page):
    answer = page("accept", {"reason": "compleet", "effective_at": ""}, incomplete=["effective_at"])
    assert answer.status_code == 400 and page.sent == []
    assert answer.json()["invalidParams"][0]["reason"] == "Datum van ingang: dit is geen geldige datum. Vul dag, maand en jaar in."


def test_every_wrong_field_is_named_at_once_each_in_dutch(page):
    answer = page("request-repair", {"reason": "  ", "missing": "\n \n", "repair_days": "twee", "effective_at": "1900-01-01"})
    params = {p["name"]: p["reason"] for p in answer.json()["invalidParams"]}
    assert params == {
        "reason": "Reden: dit veld is verplicht. Vul het in.",  # only spaces: left empty
        "missing": "Wat ontbreekt: dit veld is verplicht. Vul het in.",
        "repair_days": "Hersteltermijn (dagen): dit is geen geheel getal. Vul alleen cijfers in, zonder punt, komma of spatie.",
        "effective_at": "Datum van ingang: deze datum valt buiten de jaren die de engine kent. Kies een datum in de looptijd van de regeling.",
    }
    assert answer.json()["detail"] == "4 velden zijn niet goed ingevuld" and page.sent == [] and not english_in(answer.text)
    zero = page("request-repair", {"reason": "x", "missing": "begroting", "repair_days": "0"}).json()["invalidParams"]
    assert zero[0]["reason"] == "Hersteltermijn (dagen): dit getal is te klein. Vul 1 of meer in."


def test_json_and_parts_within_it_are_named_by_line(page):
    broken = page("approve", {"reason": "verleend", "granted_per_year": "[{year: 2020}"}).json()["invalidParams"]
    assert broken[0]["reason"].startswith("Verleend per jaar (centen): dit is geen geldige JSON.")
    within = page("approve", {"reason": "verleend", "granted_per_year": '[{"year": "twintig", "amount_cents": -1}]'}).json()
    reasons = sorted(p["reason"] for p in within["invalidParams"])
    assert reasons == ["Verleend per jaar (centen) (onderdeel 1, amount_cents): dit getal is te klein. Vul 0 of meer in.",
                       "Verleend per jaar (centen) (onderdeel 1, year): dit is geen geheel getal. Vul alleen cijfers in, zonder punt, komma of spatie."]
    schools = page("pre-register", {"reason": "x", "region_name": "Gooi", "kind": "techniekregio", "penvoerder": "{}",
                                    "vmbo_schools": "12AB00\nniet-een-brin", "mbo_institutions": "ROC", "partners": "[]"}).json()
    assert "Vmbo-scholen (BRIN) (regel 2): dit is geen BRIN met vestigingsnummer." in " ".join(p["reason"] for p in schools["invalidParams"])
    assert not english_in(str(within)) and not english_in(str(schools)) and page.sent == []


def test_a_date_input_lands_as_nine_in_the_morning_in_amsterdam_like_the_cli(page):
    answer = page("accept", {"reason": "compleet", "effective_at": "2019-04-01"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "under_assessment" and answer.json()["transition"] == "accept"
    (command,) = page.sent
    assert command.effective_at == dt.datetime(2019, 4, 1, 9, tzinfo=AMSTERDAM) == parse_business_time("2019-04-01")
    assert command.effective_at.isoformat() == "2019-04-01T09:00:00+02:00" and command.expected_version == 2
    assert command.actor.name == "operator page" and command.reason == "compleet"
    winter = page("accept", {"reason": "compleet", "effective_at": "1-3-2019"})  # typed the Dutch way, in winter time
    assert winter.status_code == 200 and page.sent[-1].effective_at.isoformat() == "2019-03-01T09:00:00+01:00"


def test_today_or_an_empty_date_is_the_business_clocks_now(page):
    assert page("accept", {"reason": "compleet", "effective_at": TODAY.isoformat()}).status_code == 200
    assert page("accept", {"reason": "compleet", "effective_at": ""}).status_code == 200
    assert [c.effective_at for c in page.sent] == [None, None]  # the sender dates them now
    assert business_time(TODAY, TODAY) is None and business_time(dt.date(2019, 4, 30), TODAY).hour == 9
    assert read_date("2019-02-29") is None and read_date("29-02-2020") == dt.date(2020, 2, 29) and read_date("gisteren") is None


def test_other_fields_are_read_from_their_inputs(page):
    page("advise", {"reason": "advies", "positive": "true", "criteria": '[{"criterion": "regiovisie", "judgement": "sufficient"}]',
                    "ranking_score": ""})
    page("reject", {"reason": "afgewezen", "reasons": "te laat\n\nonvolledig", "sent_on": "2019-04-30"})
    advise, reject = page.sent
    assert advise.positive is True and advise.ranking_score is None and advise.criteria[0].criterion == "regiovisie"
    assert reject.reasons == ["te laat", "onvolledig"] and reject.sent_on == dt.date(2019, 4, 30)


def test_a_refusal_keeps_its_rule_and_source_and_says_the_rule_in_dutch(page):
    page.recorder.error = TransitionRefused("time.business_order", "AcceptApplication takes effect on 2019-04-01T09:00:00+02:00, "
                                            "before the grant's last event", "audit integrity", hint="give a later time",
                                            status="application_submitted")
    body = page("accept", {"reason": "compleet", "effective_at": "2019-04-01"}).json()
    assert body["status"] == 409 and body["title"] == "Niet toegestaan door een regel"
    assert body["rule"] == "time.business_order" and body["source"] == "audit integrity"
    assert body["explanation"] == texts()["rules"]["time.business_order"] == body["detail"]
    assert "serverDetail" not in body and not english_in(str(body)) and "takes effect" not in str(body)
    page.recorder.error = TransitionRefused("extension.with_report_2", "the plan comes with progress report 2", "Regeling art. 9")
    assert page("accept", {"reason": "x"}).json()["explanation"] == texts()["rules"]["extension.with_report_N"]
    page.recorder.error = TransitionRefused("brand.new_rule", "a rule without a Dutch text yet", "Awb 1:1", hint="wait")
    unknown = page("accept", {"reason": "x"}).json()
    assert unknown["rule"] == "brand.new_rule" and unknown["detail"] == "Niet toegestaan door een regel"
    assert unknown["serverDetail"] == "a rule without a Dutch text yet wait"  # shown marked as English (lang="en")


def test_the_engines_own_checks_and_conflicts_are_said_in_dutch(page):
    page.recorder.error = InvalidInput("effective_at 2019-05-09T09:00:00+02:00 lies ahead of the business clock",
                                       field="effective_at", hint="date it on or before 2019-05-02")
    ahead = page("accept", {"reason": "x", "effective_at": "2019-05-09"})
    assert ahead.status_code == 400 and ahead.json()["invalidParams"][0]["reason"] == (
        "Datum van ingang: deze datum ligt te ver in de toekomst: een handeling gaat in wanneer ze wordt vastgelegd. "
        "Kies vandaag (1 mei 2019) of een eerdere dag.")
    page.recorder.error = StaleVersion("STO-R001", 2, 4)
    stale = page("accept", {"reason": "x"})
    assert stale.status_code == 409 and stale.json()["title"] == "De subsidie is intussen gewijzigd"
    assert "Laad de subsidie opnieuw" in stale.json()["hint"] and not english_in(stale.text) and "another writer" not in stale.text
    page.recorder.error = GrantNotFound("STO-R001")
    assert page("accept", {"reason": "x"}).json()["title"] == "Geen subsidie voor deze regio"


def test_only_operators_send_forms_and_the_api_keeps_its_english(served, page):
    client, issued, _ = served
    assert page("accept", {"reason": "x"}, token="auditor").status_code == 403
    assert page("no-such-step", {"reason": "x"}).json()["title"] == "Niet gevonden"
    assert page.sent == []
    api = client.post("/v1/grants/STO-R001/accept", json={"reason": "x", "effective_at": "2019"},
                      headers={"Authorization": f"Bearer {issued['operator']}"})
    assert api.status_code == 400 and "content-language" not in api.headers
    assert api.json()["detail"].startswith("1 invalid field(s): body.effective_at") and "lang" not in api.json()
    assert page.sent == []


def test_every_kind_of_validation_error_reads_as_dutch_with_its_values_filled_in():
    table = texts()["validation"]
    context = {"ge": 1, "gt": 0, "le": 10, "lt": 11, "min_length": 1, "max_length": 5}
    for kind in table:
        text = message(kind, context, today=TODAY)
        assert "{" not in text and not english_in(text) and text.endswith("."), (kind, text)
    assert message("some_kind_pydantic_adds_later") == table["fallback"]
    assert message("value_error", english="Value error, something new") == table["value_error"]
    assert message("greater_than_equal", {}) == table["fallback"]  # a missing value never shows a placeholder
    for text in [*texts()["validation_checks"].values(), *texts()["rules"].values()]:
        assert re.match(r"[A-Za-z]", text) and not english_in(text), text


def test_every_rule_the_domain_refuses_with_has_a_dutch_text():
    """A rule without one still shows on the page, with the server's English marked as English: add its text."""
    import pathlib

    import domain

    codes = set()
    for path in pathlib.Path(domain.__file__).parent.rglob("*.py"):
        for found in re.finditer(r'(?:refuse|TransitionRefused)\(\s*f?"([a-z_0-9{}.]+)"', path.read_text()):
            codes.add(re.sub(r"\{[^}]*\}", "N", found.group(1)))
    assert len(codes) > 40
    assert codes <= set(texts()["rules"]), sorted(codes - set(texts()["rules"]))


def test_each_form_asks_dates_with_date_inputs_and_has_a_summary_for_wrong_fields():
    from adapters.http.page import page

    html = page()
    assert re.search(r'<input class="[^"]*" type="date" id="accept-effective_at" name="effective_at"', html)
    assert re.search(r'type="date" id="approve-sent_on"', html)
    assert "T10:00:00+02:00" not in html and "tijdzone" not in html and 'type="datetime-local"' not in html
    assert 'id="accept-effective_at-help">Leeg laten: vandaag' in html
    transition_forms = re.findall(r'<form class="transition"[^>]*>', html)
    assert len(transition_forms) > 10 and all(f.endswith(" novalidate>") for f in transition_forms)
    assert '<div class="utrecht-alert utrecht-alert--error error-summary" id="summary-accept" tabindex="-1" hidden>' in html
