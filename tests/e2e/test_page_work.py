""""Mijn werk" on the back-office page in headless Chromium, against `sto serve` (issue 23): people of the organisation
register sign in with a token on their own name. A besluit drafted by a beoordelaar shows in the list of an interne
controle person, who claims it and passes its stage with the checklist; a colleague sees "in behandeling bij ..." and
is refused in Dutch (rule, source, who holds it) when acting; a coordinator above whose mandate the amount lies is
refused; the coordinator with the mandate signs and the besluit takes effect. A besluit sent back without a reason
shows the wrong field; with one, it goes back to its drafter. The list's filters (which work, scheme, stage, term)
and its pages ("Volgende pagina") show each item once. Everything in Dutch, without the API's English, with the
keyboard alone, and axe-core finds no WCAG 2.1 A/AA violation in the list, the case, a refusal or a wrong field."""

from __future__ import annotations

import re

import pytest

from tests.e2e.grant_bodies import take
from tests.e2e.page_support import (ENGLISH, IC_ANSWERS, axe, browser, checked, chromium, shot,  # noqa: F401 (fixtures)
                                    tab_to)

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

SCHEME = "sto-2020-2024"
DUTCH_DATE = re.compile(r"\d{1,2} (januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december) \d{4}")


def case_hash(code: str) -> str:
    return f"#/schemes/{SCHEME}/grants/{code}/zaak"


def tokens_of(served, *names: str) -> dict[str, str]:
    return {name: served.token("operator", name) for name in names}


def sign_in(page, served, token: str, where: str = "#/werk") -> None:
    page.goto(served.base_url + "/" + where)
    page.wait_for_selector("#sign-in:not([hidden])")
    page.fill("#token", token)
    page.click("#sign-in-form button")


def work_loads(page) -> int:
    return int(page.get_attribute("#work", "data-loads") or 0)


def listed(page, action=None, before: int | None = None) -> list[list[str]]:
    """Do `action` (or nothing: the sign-in's first list) and wait until the work list the API answered for it is
    shown (the page counts its lists in `data-loads`); its rows, cell by cell."""
    before = work_loads(page) if before is None else before
    if action is not None:
        action()
    for _ in range(1200):  # 60 s: a hang, not a busy machine
        if work_loads(page) > before:
            break
        page.wait_for_timeout(50)
    else:
        raise AssertionError("the work list was not shown within 60 s")
    page.wait_for_selector("#work-table[aria-busy='false']", state="attached")
    return [r.replace("\xa0", " ").split("\t") for r in page.locator("#work-rows tr").all_inner_texts()]  # € 1,00


def codes(rows: list[list[str]], prefix: str) -> list[str]:
    return [r[0].split()[0] for r in rows if r[0].startswith(prefix)]


def opened(page, served, token: str, code: str) -> None:
    sign_in(page, served, token, case_hash(code))
    page.wait_for_selector(f"#case:not([hidden])[data-code='{code}']")


def acted(page, button: str) -> str:
    """Press a button of the case; the notice of what was recorded (the case is read again before it is said)."""
    page.click(button)
    page.wait_for_selector("#case-notice:has-text('vastgelegd')")
    return page.inner_text("#case-notice")


def refused(page, button: str, rule: str) -> str:
    """Press a button of the case; it is refused by `rule`: the refusal in Dutch, with the rule and its source, has the
    focus, and no English is on the page."""
    page.click(button)
    page.wait_for_selector("#case-problem:not([hidden]) .problem-title")
    shown = page.inner_text("#case-problem")
    assert "Niet toegestaan door een regel" in shown and f"Regel\n{rule}" in shown and "Bron\n" in shown, shown
    assert "Uitleg\n" in shown and "er is niets vastgelegd" in shown, shown
    assert page.evaluate("document.activeElement.id") == "case-problem"
    assert not [fragment for fragment in ENGLISH if fragment in page.content()]
    return shown


def version(served, token: str, code: str) -> int:
    with served.client(token) as client:
        return client.get(f"/v1/grants/{code}/case").json()["version"]


def test_a_drafted_besluit_is_claimed_checked_and_signed_in_mijn_werk_and_every_state_passes_axe(served, checked):
    code = "STO-E2E-MW"
    people = tokens_of(served, "op.jansen", "ic.smit", "ic.mulder", "co.meijer", "co.de-vries")
    with served.client(people["op.jansen"]) as op:
        take(op, code, 120, "pre-register", "apply", "accept", "advise", "approve")  # the verlening, drafted
    smit = checked
    sign_in(smit, served, people["ic.smit"])
    listed(smit, before=0)
    assert smit.inner_text("#work-title") == "Mijn werk" and smit.evaluate("document.activeElement.id") == "work-title"
    assert "interne controle (alle regelingen)" in smit.inner_text("#work-roles")
    assert smit.is_checked("#work-which-my-roles") and smit.get_attribute("#nav-work", "aria-current") == "page"
    rows = listed(smit, lambda: smit.select_option("#work-stage", "interne_controle"))
    (ours,) = [r for r in rows if r[0].startswith(code + " ")]
    assert ours[1:5] == ["STO 2020–2024", "Verlening, € 3.800.000,00",
                         "Interne controle (rol interne controle), fase 2 van 3; wacht sinds 20 juni 2019", "niemand"], ours
    assert DUTCH_DATE.fullmatch(ours[5]) and ours[6].startswith("nee, nog "), ours  # the decision term, not passed
    assert smit.get_attribute("#work-table caption", "class") == "utrecht-table__caption"
    assert smit.locator("#work-table th[scope='col']").count() == 7
    axe(smit, "Mijn werk")
    shot(smit, "work-list")

    smit.click(f"#work-rows a[href='{case_hash(code)}']")
    smit.wait_for_selector(f"#case:not([hidden])[data-code='{code}']")
    assert re.fullmatch(rf"Zaak .+ \({code}\)", smit.inner_text("#case-title"))
    assert smit.evaluate("document.activeElement.id") == "case-title"
    assert smit.locator("#case-taken-rows tr").all_inner_texts() == [
        "1\tEerste beoordeling\topgesteld\tA. Jansen (op.jansen)\tbeoordelaar\t20 juni 2019\t\tapprove (test)"]
    assert smit.inner_text("#case-open-title") == "Open fase: Interne controle"
    assert smit.inner_text("#case-holder") == "Niemand behandelt deze zaak."
    boxes = smit.locator("#case-questions input[type=checkbox]")
    assert boxes.count() == 4 and smit.locator("#case-questions textarea#case-q-notitie").count() == 1
    assert "moet kloppen om de fase af te ronden" in smit.inner_text("#case-q-iban_juist-help")
    assert smit.inner_text("label[for='case-q-iban_juist']") == "Het IBAN is juist vermeld in de verplichting"
    assert "niet verplicht" in smit.inner_text("#case-q-notitie-help")
    axe(smit, "a case")
    shot(smit, "work-case")

    smit.fill("#case-hold-effective_at", "2019-06-21")
    notice = acted(smit, "#case-claim")
    assert "Zaak oppakken vastgelegd (Zaak opgepakt)" in notice and "In behandeling bij E. Smit (ic.smit)." in notice
    assert smit.inner_text("#case-holder") == "In behandeling bij E. Smit (ic.smit), sinds 21 juni 2019."
    assert smit.evaluate("document.activeElement.id") == "case-title"  # the focus back on the case once read again

    smit.click("#case-grant")  # the grant's page says where its besluit waits, and leads back to the case
    smit.wait_for_selector("#grant-work:not([hidden])")
    assert smit.inner_text("#grant-work-text") == ("Wacht in de fase Interne controle (rol interne controle). "
                                                   "In behandeling bij E. Smit (ic.smit).")
    smit.click("#grant-case-link")
    smit.wait_for_selector(f"#case:not([hidden])[data-code='{code}']")

    # a colleague with the same role: not in their own work (another holds it), but in "Alles", and refused in Dutch
    mulder = smit.context.new_page()  # a tab of its own: its own token
    sign_in(mulder, served, people["ic.mulder"])
    assert code not in codes(listed(mulder, before=0), code)
    rows = listed(mulder, lambda: mulder.check("#work-which-all"))
    (ours,) = [r for r in rows if r[0].startswith(code + " ")]
    assert ours[4] == "E. Smit (ic.smit), sinds 21 juni 2019"
    mulder.click(f"#work-rows a[href='{case_hash(code)}']")
    mulder.wait_for_selector(f"#case:not([hidden])[data-code='{code}']")
    assert mulder.inner_text("#case-holder") == "In behandeling bij E. Smit (ic.smit), sinds 21 juni 2019."
    before = version(served, people["ic.mulder"], code)
    for question in IC_ANSWERS:
        mulder.check(f"#case-q-{question}")
    mulder.fill("#case-stage-effective_at", "2019-06-21")
    shown = refused(mulder, "#case-pass", "work.claimed_by_other")
    assert "Een collega behandelt deze zaak." in shown and "In behandeling bij\nE. Smit (ic.smit), sinds 21 juni 2019" in shown
    assert "werkverdeling DUS-I" in shown
    assert all(mulder.is_checked(f"#case-q-{question}") for question in IC_ANSWERS)  # what was filled in stays
    mulder.fill("#case-hold-effective_at", "2019-06-21")
    refused(mulder, "#case-claim", "work.claimed_by_other")
    assert version(served, people["ic.mulder"], code) == before  # nothing written
    axe(mulder, "a refusal: another holds the case")
    shot(mulder, "work-refusal")

    # the holder passes the stage: a check that does not hold refuses it, the rest stays as typed
    smit.bring_to_front()
    for question in ("advies_gevolgd", "bedrag_juist", "beschikking_mag_verzonden"):
        smit.check(f"#case-q-{question}")
    smit.fill("#case-q-notitie", "IBAN gecontroleerd")
    smit.fill("#case-stage-effective_at", "2019-06-21")
    shown = refused(smit, "#case-pass", "stages.checklist_not_met")
    assert "Niet alle controles van de checklist kloppen" in shown
    assert smit.is_checked("#case-q-bedrag_juist") and smit.input_value("#case-q-notitie") == "IBAN gecontroleerd"
    axe(smit, "a refusal: the checklist does not hold")
    smit.check("#case-q-iban_juist")
    notice = acted(smit, "#case-pass")
    assert "Fase afronden vastgelegd (Fase afgerond)" in notice
    assert "Het besluit wacht nu in de fase Uitvoeringscoördinator: ondertekening onder mandaat (rol coördinator)." in notice
    taken = smit.locator("#case-taken-rows tr").all_inner_texts()
    assert len(taken) == 2 and taken[1].startswith("1\tInterne controle\tafgerond\tE. Smit (ic.smit)\tinterne controle\t21 juni 2019\t")
    assert "Het IBAN is juist vermeld in de verplichting: ja" in taken[1] and "Interne notitie: IBAN gecontroleerd" in taken[1]
    assert taken[1].endswith("Fase Interne controle afgerond.")
    assert smit.inner_text("#case-open-title") == "Open fase: Uitvoeringscoördinator: ondertekening onder mandaat"
    assert "mr. G. de Vries (co.de-vries)" in smit.inner_text("#case-may-take") and "ic.smit" not in smit.inner_text("#case-may-take")

    # a coordinator whose mandate ends below the amount: not in their work, refused when signing
    meijer = smit.context.new_page()
    sign_in(meijer, served, people["co.meijer"])
    assert code not in codes(listed(meijer, before=0), code)
    meijer.goto(served.base_url + "/" + case_hash(code))
    meijer.wait_for_selector(f"#case:not([hidden])[data-code='{code}'] #case-q-akkoord")
    meijer.check("#case-q-akkoord")
    meijer.fill("#case-stage-effective_at", "2019-06-24")
    shown = refused(meijer, "#case-pass", "mandate.limit")
    assert "boven de grens van uw mandaat" in shown and "10:1–10:3" in shown

    # the coordinator with the mandate signs: the besluit takes effect
    devries = smit.context.new_page()
    sign_in(devries, served, people["co.de-vries"])
    rows = listed(devries, before=0)
    (ours,) = [r for r in rows if r[0].startswith(code + " ")]
    assert ours[3].startswith("Uitvoeringscoördinator: ondertekening onder mandaat (rol coördinator), fase 3 van 3")
    devries.click(f"#work-rows a[href='{case_hash(code)}']")
    devries.wait_for_selector(f"#case:not([hidden])[data-code='{code}'] #case-q-akkoord")
    devries.check("#case-q-akkoord")
    devries.fill("#case-stage-effective_at", "2019-06-24")
    notice = acted(devries, "#case-pass")
    assert "(Besluit ondertekend, Subsidie verleend" in notice and "status Verleend" in notice and "Er wacht niets meer" in notice
    assert devries.inner_text("#case-open-title") == "Niets open" and devries.is_hidden("#case-hold")
    with served.client(people["co.de-vries"]) as client:
        grant = client.get(f"/v1/grants/{code}").json()
        events = client.get(f"/v1/grants/{code}/history").json()["events"]
    assert grant["status"] == "approved"
    signed = next(e for e in events if e["event"] == "BesluitSigned")
    assert signed["actor"] == "co.de-vries"
    axe(devries, "a case whose besluit was signed")


def test_a_besluit_sent_back_asks_a_reason_and_the_case_works_with_the_keyboard_alone(served, checked):
    code = "STO-E2E-MW-BACK"
    people = tokens_of(served, "op.jansen", "ic.smit", "co.de-vries")
    with served.client(people["op.jansen"]) as op:
        take(op, code, 121, "pre-register", "apply", "accept", "advise", "approve")
    with served.client(people["ic.smit"]) as ic:
        passed = ic.post(f"/v1/grants/{code}/pass", json={"reason": "gecontroleerd", "stage": "interne_controle",
                                                          "answers": IC_ANSWERS, "effective_at": "2019-06-21T10:00:00+02:00"})
        assert passed.status_code == 200, passed.text
    page = checked
    page.goto(served.base_url + "/#/werk")
    page.wait_for_selector("#sign-in:not([hidden])")
    page.keyboard.type(people["co.de-vries"])  # the sign-in form has the focus
    page.keyboard.press("Enter")
    listed(page, before=0)
    tab_to(page, f"el.getAttribute('href') === '{case_hash(code)}'", limit=300)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#case:not([hidden])[data-code='{code}'] #case-q-akkoord")
    assert page.evaluate("document.activeElement.id") == "case-title"
    tab_to(page, "el.id === 'case-send-back'")
    page.keyboard.press("Enter")  # without a reason: the wrong field, said in Dutch, with the summary in focus
    page.wait_for_selector("#summary-case-stage:not([hidden]) li")
    assert page.evaluate("document.activeElement.id") == "summary-case-stage"
    assert page.locator("#summary-case-stage li").all_inner_texts() == ["Reden: dit veld is verplicht. Vul het in."]
    assert page.get_attribute("#case-stage-reason", "aria-invalid") == "true"
    assert "case-stage-reason-error" in page.get_attribute("#case-stage-reason", "aria-describedby")
    assert not [fragment for fragment in ENGLISH if fragment in page.content()]
    axe(page, "a case with a wrong field")
    tab_to(page, "el.getAttribute('href') === '#case-stage-reason'")
    page.keyboard.press("Enter")  # the summary's link takes the focus to the field
    assert page.evaluate("document.activeElement.id") == "case-stage-reason"
    page.keyboard.type("Het bedrag per jaar klopt niet met de begroting.")
    tab_to(page, "el.id === 'case-stage-effective_at'")
    page.keyboard.type("07072019")  # the same day and month: whatever order the browser's language gives the date input
    assert page.input_value("#case-stage-effective_at") == "2019-07-07"
    tab_to(page, "el.id === 'case-send-back'")
    page.keyboard.press("Enter")
    page.wait_for_selector("#case-notice:has-text('vastgelegd')")
    assert "Terugsturen naar het concept vastgelegd (Besluit teruggestuurd)" in page.inner_text("#case-notice")
    assert page.evaluate("document.activeElement.id") == "case-title"
    taken = page.locator("#case-taken-rows tr").all_inner_texts()
    assert taken[-1].startswith("1\tUitvoeringscoördinator: ondertekening onder mandaat\tteruggestuurd\tmr. G. de Vries (co.de-vries)")
    assert taken[-1].endswith("Het bedrag per jaar klopt niet met de begroting.")
    assert page.inner_text("#case-open-title") == "Open fase: Eerste beoordeling"
    assert page.is_visible("#case-draft") and page.is_hidden("#case-stage")  # drafted anew on the grant's page
    assert page.get_attribute("#case-draft-link", "href") == f"#/schemes/{SCHEME}/grants/{code}"
    assert page.inner_text("#case-holder").startswith("In behandeling bij A. Jansen (op.jansen)")  # back to its drafter
    axe(page, "a case sent back")

    page.fill("#case-hold-effective_at", "2019-07-08")  # the coordinator releases the drafter's claim and assigns it
    assert "Zaak vrijgeven vastgelegd (Zaak vrijgegeven)" in acted(page, "#case-release")
    assert page.inner_text("#case-holder") == "Niemand behandelt deze zaak." and page.is_hidden("#case-release")
    options = page.locator("#case-hold-to option").all_inner_texts()
    assert "B. Bakker (op.bakker)" in options and "A. Jansen (op.jansen)" in options and not [o for o in options if "ic." in o]
    page.select_option("#case-hold-to", "op.bakker")
    page.fill("#case-hold-effective_at", "2019-07-08")
    assert "Zaak toewijzen vastgelegd (Zaak opgepakt)" in acted(page, "#case-assign")
    assert page.inner_text("#case-holder") == ("In behandeling bij B. Bakker (op.bakker), sinds 8 juli 2019 "
                                               "(toegewezen door mr. G. de Vries (co.de-vries)).")

    auditor = page.context.new_page()  # an auditor reads the case, and has no buttons
    sign_in(auditor, served, served.token("auditor", "accountant.mw"), case_hash(code))
    auditor.wait_for_selector(f"#case:not([hidden])[data-code='{code}']")
    assert auditor.is_visible("#case-look-only") and auditor.is_hidden("#case-hold") and auditor.is_hidden("#case-stage")
    axe(auditor, "a case, as an auditor reads it")


def test_the_filters_and_pages_of_mijn_werk_show_each_item_once(served, checked):
    prefix = "STO-E2E-MWP-"
    ours = [f"{prefix}{n:02d}" for n in range(1, 12)]
    people = tokens_of(served, "op.visser", "op.bakker")
    with served.client(people["op.visser"]) as op:
        for n, code in enumerate(ours):
            take(op, code, 122 + n, "pre-register", "apply", "accept", "advise")  # the verlening or afwijzing is due
    with served.client(people["op.bakker"]) as op:
        held = op.post(f"/v1/grants/{ours[2]}/claim", json={"reason": "pak ik op", "effective_at": "2019-06-08T10:00:00+02:00"})
        assert held.status_code == 200, held.text
    page = checked
    sign_in(page, served, people["op.visser"])
    listed(page, before=0)  # their own work: the drafts due, not the one op.bakker holds
    listed(page, lambda: page.select_option("#work-size", "50"))
    mine = codes(listed(page, lambda: page.select_option("#work-stage", "eerste_beoordeling")), prefix)
    assert sorted(mine) == sorted(set(ours) - {ours[2]})
    rows = listed(page, lambda: page.check("#work-which-all"))
    (held_row,) = [r for r in rows if r[0].startswith(ours[2] + " ")]
    assert held_row[2] == "nog op te stellen: Besluit op de aanvraag (verlening of afwijzing)"
    assert held_row[4] == "B. Bakker (op.bakker), sinds 8 juni 2019"
    assert ours[2] not in codes(listed(page, lambda: page.check("#work-which-unassigned")), prefix)
    assert not codes(listed(page, lambda: page.select_option("#work-scheme", "sto-2025-2028")), prefix)
    listed(page, lambda: page.select_option("#work-scheme", SCHEME))
    page.check("#work-which-all")  # and with the term: none of these ends within 0 days, all within 400
    page.fill("#work-within", "0")
    assert not codes(listed(page, lambda: page.click("#work-filters button[type=submit]")), prefix)
    page.fill("#work-within", "400")
    rows = listed(page, lambda: page.click("#work-filters button[type=submit]"))
    assert sorted(codes(rows, prefix)) == ours and all(r[6].startswith("nee, nog ") for r in rows if r[0].startswith(prefix))
    axe(page, "Mijn werk, filtered")

    listed(page, lambda: page.select_option("#work-size", "10"))  # page by page, with the keyboard's "Volgende pagina"
    seen: list[str] = []
    turn = 0
    while True:
        found = [r.split("\t")[0].split()[0] for r in page.locator("#work-rows tr").all_inner_texts()]
        assert 0 < len(found) <= 10, found
        announced = page.inner_text("#work-shown")
        assert announced.startswith(f"Werk {len(seen) + 1} tot en met {len(seen) + len(found)} getoond."), announced
        axe(page, f"Mijn werk, page {turn + 1}")
        seen.extend(found)
        if page.get_attribute("#work-next", "disabled") is not None:
            assert "Er is meer" not in announced
            break
        assert "Er is meer: kies Volgende pagina." in announced
        page.focus("#work-next")
        listed(page, lambda: page.keyboard.press("Enter"))
        turn += 1
        assert turn < 30, "the walk did not end"
    assert turn >= 1 and len(seen) == len(set(seen)), sorted(c for c in seen if seen.count(c) > 1)
    assert set(ours) <= set(seen)
    listed(page, lambda: page.click("#work-prev"))
    assert page.inner_text("#work-shown").startswith(f"Werk {10 * (turn - 1) + 1} tot en met {10 * turn} getoond.")

    bakker = page.context.new_page()  # what op.bakker holds, and nothing else of these
    sign_in(bakker, served, people["op.bakker"])
    listed(bakker, before=0)
    assert codes(listed(bakker, lambda: bakker.check("#work-which-mine")), prefix) == [ours[2]]

    region = page.context.new_page()  # a region's token: no menu, no work, its own grant
    sign_in(region, served, served.token("region", "penvoerder mwp", ours[0]), "#/werk")
    region.wait_for_selector("#grant-status[data-status='advised']")
    assert region.is_hidden("#site-nav") and region.is_hidden("#grant-work") and region.is_hidden("#work")
