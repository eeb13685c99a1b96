"""The back office's Dutch texts (domain/regulation/data/texts/nl.toml) name everything the page shows: every
status, region kind, role, transition, form field and kind of error, and the page itself is Dutch (lang="nl",
no raw enum names in its labels)."""

from __future__ import annotations

import re

from adapters.http.forms import form_fields
from adapters.http.page import page
from adapters.http.texts import label, texts
from adapters.operators.error_table import TABLE
from adapters.operators.transitions import TRANSITIONS
from domain.regulation.model import Addressee
from domain.values import GrantStatus, RegionKind, Role


def test_every_status_kind_role_and_addressee_has_a_dutch_name():
    nl = texts()
    assert set(nl["statuses"]) == {s.value for s in GrantStatus}
    assert set(nl["region_kinds"]) == {k.value for k in RegionKind}
    assert {r.value for r in Role} <= set(nl["roles"])
    assert set(nl["addressees"]) == {a.value for a in Addressee}
    assert label("region_kinds", "techniekarme_regio") == "Techniekarme regio"


def test_every_transition_and_each_of_its_fields_has_a_dutch_label():
    nl = texts()
    assert set(nl["transitions"]) == set(TRANSITIONS) == set(nl["transition_help"])
    fields = {f.name for t in TRANSITIONS.values() for f in form_fields(t)}
    assert fields <= set(nl["fields"]), sorted(fields - set(nl["fields"]))


def test_every_event_of_the_timeline_has_a_dutch_name():
    from domain import events

    kinds = {name for name, value in vars(events).items()
             if isinstance(value, type) and issubclass(value, events.GrantEvent) and value is not events.GrantEvent}
    assert kinds and kinds <= set(texts()["events"]), sorted(kinds - set(texts()["events"]))


def test_every_kind_of_error_has_a_dutch_title_and_what_to_do_next():
    errors = texts()["errors"]
    assert set(errors) == set(TABLE)
    assert all(e["title"] and e["hint"] for e in errors.values())


def test_the_page_is_dutch_and_shows_no_raw_names():
    html = page()
    assert '<html lang="nl">' in html
    labels = re.findall(r'<label[^>]*>([^<]*)', html) + re.findall(r"<h3[^>]*>([^<]*)</h3>", html)
    assert labels and not [text for text in labels if "_" in text or re.fullmatch(r"[a-z-]+", text.strip())]
    assert "Techniekarme regio" in html and "techniekarme_regio</option>" not in html


def test_every_kind_of_besluit_of_the_letters_list_has_a_dutch_name():
    from domain.values import DecisionKind

    assert set(texts()["besluiten"]) == {k.value for k in DecisionKind} | {"objection_decision"}
    assert 'id="letter-rows"' in page() and label("page", "letters") == "Besluiten en brieven"
