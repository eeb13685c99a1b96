// "Mijn werk" on the back-office page (adapters/http/page_work.py renders its frame): the work queue a page at a
// time (GET /v1/work-items, keyset pages) and one grant's case (GET /v1/grants/{region}/case): the stages taken, the
// open stage's checklist as form fields, and the work on it, sent to the page's own endpoint
// (POST /page/.../{transition}), which answers wrong fields and refusals in Dutch with their rule and source.
// Nothing here decides who may do what: the API's `myRoles` asks the domain, the buttons follow what the grant's
// state allows (its work_transitions) and the domain refuses what the person may not do.
//
// A module imported by app.js (the page's one script); it uses app.js's helpers, which are globals of that script:
// $, el, row, text, page, api, guarded, show, euro, date, status, grantPath, problemNode, showFieldErrors,
// clearFieldErrors, signOut, me and T.
"use strict";

const work = (key, values) => text("work", key, values);
const roleName = (r) => (T.work && T.work.roles && T.work.roles[r]) || r;
const outcomeName = (o) => (T.work && T.work.outcomes && T.work.outcomes[o]) || o;
let people = null;  // the organisation register's people, by name (GET /v1/mandates), read once
let workView = null;
let workCursors = [null];  // the cursor of each page walked so far (null: the first); the last one is on screen
let workRequest = 0;  // only the answer to the latest list request is shown
let current = null;  // the case on screen: {view, grant}
let commandIds = {};  // one command id per action until it is recorded: sending it again is a safe retry

async function register() {
  if (!people) {
    const view = await api("/v1/mandates?pageSize=1");  // the people come whole; the mandates are not needed here
    people = Object.fromEntries(view.people.map((p) => [p.name, p]));
  }
  return people;
}

function who(name) {  // "E. Smit (ic.smit)"
  const person = people && people[name];
  return person ? person.display_name + " (" + name + ")" : name;
}

function myRoles() {
  const person = people && me && people[me.name];
  if (!person) return work("no_roles");
  const parts = Object.entries(person.roles).map(([scheme, roles]) =>
    roles.map(roleName).join(", ") + " (" + (scheme === "*" ? work("all_schemes") : text("schemes", scheme)) + ")");
  return work("my_roles", { roles: parts.join("; ") });
}

// --- the list --------------------------------------------------------------------------------------------

function workQuery(cursor) {
  const which = document.querySelector("input[name='work-which']:checked");
  const params = new URLSearchParams(which ? which.dataset.query : "myRoles=true");
  params.set("pageSize", $("work-size").value || "25");
  for (const name of ["scheme", "stage"]) {
    const value = $("work-" + name).value;
    if (value) params.set(name, value);
  }
  const within = $("work-within").value.trim();
  if (within) params.set("dueWithin", within);
  if (cursor) params.set("cursor", cursor);
  return params.toString();
}

// `focus`: the list's heading takes the focus once shown (when "Mijn werk" was opened, not when a filter changed).
export function showWork(cursors = [null], focus = false) {
  return guarded(async () => {
    const request = ++workRequest;
    $("work-table").setAttribute("aria-busy", "true");
    $("work-shown").textContent = work("loading");
    const [view] = await Promise.all([api("/v1/work-items?" + workQuery(cursors[cursors.length - 1])), register()]);
    if (request !== workRequest) return;  // a later request is under way: its answer is the one to show
    workCursors = cursors;
    workView = view;
    if ($("work").hidden) show("work");
    $("work-roles").textContent = myRoles();
    renderWork();
    if (focus) $("work-title").focus();
  });
}

function caseHash(scheme, code) {
  return "#/schemes/" + encodeURIComponent(scheme) + "/grants/" + encodeURIComponent(code) + "/zaak";
}

function lateness(due) {
  if (!due) return [work("no_term"), work("not_applicable")];
  const late = due.overdue_days;
  const left = due.days_left;
  const said = late > 1 ? work("days_late", { n: late }) : late === 1 ? work("day_late")
    : left === 0 ? work("due_today") : left === 1 ? work("in_time_one") : work("in_time", { n: left });
  return [date(due.due), said];
}

function dueLeft(due) {  // "nog 5 dagen", "vandaag", "3 dagen te laat"
  const late = due.overdue_days;
  return late > 1 ? work("days_late", { n: late }) : late === 1 ? work("day_late")
    : due.days_left === 0 ? page("today") : due.days_left === 1 ? page("day_left") : page("days_left", { n: due.days_left });
}

function holderText(name, since, assignedBy) {
  if (!name) return work("nobody");
  return work("held_since", { person: who(name), day: date(since) }) + (assignedBy ? "; " + work("assigned_by", { person: who(assignedBy) }) : "");
}

function workRow(item) {
  const link = el("a", item.region_code, { href: caseHash(item.scheme, item.region_code), class: "utrecht-link utrecht-link--html-a" });
  const region = el("span");
  region.append(link, " " + item.region_name);
  const besluit = item.drafted ? text("besluiten", item.besluit_kind) + ", " + euro(item.amount_cents)
    : work("not_drafted", { procedure: item.procedure_title });
  const stage = work("stage_cell", { stage: item.stage_title, role: roleName(item.stage_role), n: item.stage_index + 1, count: item.stage_count })
    + "; " + work("waiting_since", { day: date(item.waiting_since) });
  const [due, late] = lateness(item.due);
  const tr = row([region, text("schemes", item.scheme), besluit, stage, holderText(item.claimed_by, item.claimed_since, item.assigned_by), due, late]);
  if (item.due && item.due.overdue) tr.classList.add("late");
  return tr;
}

function renderWork() {
  const items = workView.work_items;
  $("work-rows").replaceChildren(...items.map(workRow));
  const size = Number(workView.page_size);
  const first = (workCursors.length - 1) * size + 1;
  $("work-shown").textContent = (items.length
    ? work("shown", { first, last: first + items.length - 1 }) + (workView.next_cursor ? " " + work("more") : "")
    : work("none")) + " " + work("total", { n: workView.total });
  $("work-prev").disabled = workCursors.length < 2;
  $("work-next").disabled = !workView.next_cursor;
  $("work-table").setAttribute("aria-busy", "false");
  $("work").dataset.loads = String(Number($("work").dataset.loads || 0) + 1);  // one more list shown (tests wait on it)
}

async function turnWorkPage(cursors) {
  await showWork(cursors);
  const focused = document.activeElement;
  if (!focused || focused === document.body || focused.disabled) {  // the button pressed is off now (first or last page)
    const other = [$("work-next"), $("work-prev")].find((b) => !b.disabled);
    (other || $("work-rows").querySelector("a") || $("work-title")).focus();
  }
}

$("work-filters").addEventListener("submit", (event) => { event.preventDefault(); showWork(); });
$("work-filters").addEventListener("reset", () => setTimeout(() => showWork(), 0));
for (const input of $("work-filters").querySelectorAll("input[type=radio], select")) {
  input.addEventListener("change", () => workView && showWork());
}
$("work-next").addEventListener("click", () => workView && workView.next_cursor && turnWorkPage([...workCursors, workView.next_cursor]));
$("work-prev").addEventListener("click", () => workCursors.length > 1 && turnWorkPage(workCursors.slice(0, -1)));

// --- the case --------------------------------------------------------------------------------------------

// `keepProblem`: a refusal just shown stays (the case is read again beside it); `focus`: the case's heading takes
// the focus once shown (when the case was opened: from the list, a link or the address).
export function showCase(code, scheme, keepProblem = false, focus = false) {
  if ($("case").dataset.code !== code) $("case").hidden = true;  // another case: none of the last one stays shown
  return guarded(async () => {
    const path = grantPath(scheme, code);
    const [view, grant] = await Promise.all([api(path + "/case"), api(path), register()]);
    show("case");
    if (!keepProblem) {  // a refusal stays beside the case read again after it; anything else starts afresh
      $("case-problem").hidden = true;
      $("case-problem").replaceChildren();
      $("case-notice").textContent = "";
    }
    current = { view, grant };
    $("case").dataset.code = code;
    renderCase(view, grant);
    if (focus) $("case-title").focus();
  });
}

function stageTitle(view, id) {
  const found = view.case && view.case.procedure_stages.find((s) => s.id === id);
  return found ? found.title_nl : id;
}

function answerText(view, stageId, answers) {
  const found = view.case.procedure_stages.find((s) => s.id === stageId);
  return Object.entries(answers).map(([id, value]) => ((found && found.questions[id]) || id) + ": "
    + (value === true ? work("answer_yes") : value === false ? work("answer_no") : value)).join("; ");
}

function renderCase(view, grant) {
  const code = view.region_code;
  $("case-title").textContent = work("case_title", { name: view.region_name, code });
  $("case-grant").setAttribute("href", grantPath(view.scheme, code, "#"));
  $("case-draft-link").setAttribute("href", grantPath(view.scheme, code, "#"));
  const c = view.case;
  $("case-fact-scheme").textContent = text("schemes", view.scheme);
  $("case-fact-status").textContent = status(view.status);
  $("case-fact-besluit").textContent = c ? work("besluit_of", { kind: text("besluiten", c.besluit_kind), amount: euro(c.amount_cents), day: date(c.opened_on) }) : work("no_besluit");
  $("case-fact-round").textContent = c ? String(c.round) : "";
  const claim = view.claim;
  $("case-fact-holder").textContent = claim ? holderText(claim.person, claim.since, claim.assigned_by) : work("nobody");
  const due = view.open && view.open.due;
  $("case-fact-due").textContent = due ? date(due.due) + " (" + dueLeft(due) + ")" : work("no_term");
  const taken = c ? c.stages.map((s) => row([String(s.round), stageTitle(view, s.stage), outcomeName(s.outcome), who(s.person),
    roleName(s.role), date(s.taken_on), answerText(view, s.stage, s.answers), s.reason])) : [];
  $("case-taken-rows").replaceChildren(...(taken.length ? taken : [row([work("no_stages"), "", "", "", "", "", "", ""])]));
  renderOpen(view, grant);
}

function renderOpen(view, grant) {
  const open = view.open;
  const acting = me.role === "operator";
  $("case-open-title").textContent = open ? work("open_title", { stage: open.stage_title }) : work("nothing_open_title");
  $("case-open-info").textContent = open ? work("open_info", { procedure: open.procedure_title, n: open.index + 1,
    count: open.stages.length, role: roleName(open.role) }) : work("nothing_open");
  $("case-may-take").textContent = !open ? "" : open.may_take.length
    ? work("may_take", { people: open.may_take.map(who).join(", ") }) : work("may_take_nobody");
  const inStage = !!open && open.drafted && open.index > 0;  // a besluit drafted waits in a later stage
  $("case-draft").hidden = !open || inStage;
  $("case-draft-text").textContent = !open || inStage ? "" : view.case ? work("sent_back") : work("draft_due", { role: roleName(open.role) });
  $("case-look-only").hidden = !open || acting;
  $("case-hold").hidden = !open || !acting;
  $("case-stage").hidden = !inStage || !acting;
  if (!open) return;
  const claim = view.claim;
  $("case-holder").textContent = !claim ? work("holder_nobody") : claim.assigned_by
    ? work("holder_assigned", { person: who(claim.person), day: date(claim.since), by: who(claim.assigned_by) })
    : work("holder", { person: who(claim.person), day: date(claim.since) });
  const possible = new Set(grant.work_transitions || []);
  $("case-claim").hidden = !possible.has("claim") || (!!claim && claim.person === me.name);  // not what I hold already
  $("case-release").hidden = !possible.has("release");
  const assignable = open.may_be_assigned || open.may_take;
  const to = $("case-hold-to");
  to.replaceChildren(...(assignable.length ? assignable.map((name) => el("option", who(name), { value: name }))
    : [el("option", work("assign_nobody"), { value: "" })]));
  to.closest(".assign").hidden = !possible.has("assign");
  $("case-stage-title").textContent = work("checklist_title", { stage: open.stage_title });
  $("case-questions-legend").textContent = work("checklist_legend", { stage: open.stage_title });
  const key = [view.scheme, view.region_code, open.stage, view.case ? view.case.round : 0].join("/");
  if ($("case-questions").dataset.key !== key) {  // the same stage read again (after a refusal): what was typed stays
    $("case-questions").dataset.key = key;
    const fields = open.questions.filter((q) => q.asked).map(questionField);
    $("case-questions").replaceChildren($("case-questions-legend"),
      ...(fields.length ? fields : [el("p", work("checklist_none"), { class: "utrecht-paragraph" })]));
  }
  $("case-pass").hidden = !possible.has("pass");
  $("case-send-back").hidden = !possible.has("send-back");
}

// A question of the checklist as a form field: a yes/no question that must hold is a checkbox, another yes/no
// question two radio buttons (and "geen antwoord" when it is not required), a text a text area, a choice a select.
// What it asks of the answer (verplicht, moet kloppen, niet verplicht) is said in its description.
function questionField(q) {
  const id = "case-q-" + q.id;
  const note = q.kind === "bool" && q.must_be_true ? work("must_be_true") : q.required ? work("required") : work("optional");
  const help = el("div", null, { class: "utrecht-form-field-description", id: id + "-help" });
  help.textContent = q.kind === "bool" && q.must_be_true ? work("check_it") + " " + note[0].toUpperCase() + note.slice(1) + "." : "(" + note + ")";
  if (q.kind === "bool" && q.must_be_true) {
    const box = el("div", null, { class: "utrecht-form-field utrecht-form-field--checkbox field question choice", "data-question": q.id });
    const input = el("input", null, { type: "checkbox", id, name: q.id, class: "utrecht-checkbox utrecht-checkbox--html-input", "aria-describedby": id + "-help" });
    const labelled = el("div");
    labelled.append(el("label", q.label_nl, { for: id, class: "utrecht-form-label utrecht-form-label--checkbox" }), help);
    box.append(input, labelled);
    return box;
  }
  if (q.kind === "bool") {
    const set = el("fieldset", null, { class: "utrecht-form-fieldset utrecht-form-fieldset--html-fieldset field question", "data-question": q.id, "aria-describedby": id + "-help" });
    set.append(el("legend", q.label_nl, { class: "utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend" }), help);
    const choices = [["true", work("answer_yes")], ["false", work("answer_no")], ...(q.required ? [] : [["", work("no_answer")]])];
    for (const [value, shown] of choices) {
      const one = el("div", null, { class: "utrecht-form-field utrecht-form-field--radio choice" });
      const input = el("input", null, { type: "radio", id: id + "-" + (value || "none"), name: q.id, value, class: "utrecht-radio-button utrecht-radio-button--html-input" });
      if (!q.required && value === "") input.defaultChecked = true;
      one.append(input, el("label", shown, { for: input.id, class: "utrecht-form-label utrecht-form-label--radio" }));
      set.appendChild(one);
    }
    return set;
  }
  const box = el("div", null, { class: "utrecht-form-field field question", "data-question": q.id });
  box.append(el("label", q.label_nl, { for: id, class: "utrecht-form-label" }), help);
  let input;
  if (q.kind === "choice") {
    input = el("select", null, { id, name: q.id, class: "utrecht-select utrecht-select--html-select" });
    input.appendChild(el("option", q.required ? work("choose") : work("no_answer"), { value: "" }));
    for (const option of q.options) input.appendChild(el("option", text("choices", option), { value: option }));
  } else {
    input = el("textarea", null, { id, name: q.id, rows: "2", class: "utrecht-textarea utrecht-textarea--html-textarea" });
  }
  input.setAttribute("aria-describedby", id + "-help");
  if (q.required) input.setAttribute("aria-required", "true");
  box.appendChild(input);
  return box;
}

function answers() {  // the checklist as answered: yes/no as true/false, a question left open is left out
  const found = {};
  for (const q of current.view.open.questions.filter((x) => x.asked)) {
    const id = "case-q-" + q.id;
    if (q.kind === "bool" && q.must_be_true) found[q.id] = $(id).checked;
    else if (q.kind === "bool") {
      const chosen = $("case-questions").querySelector("input[name='" + CSS.escape(q.id) + "']:checked");
      if (chosen && chosen.value) found[q.id] = chosen.value === "true";
    } else if ($(id).value.trim()) found[q.id] = $(id).value.trim();
  }
  return found;
}

function dated(form, values) {  // the form's date input: its day, or named as incomplete when the browser cannot read it
  const input = form.querySelector("input[type=date]");
  if (input.validity && input.validity.badInput) return { values, incomplete: [input.name] };
  if (input.value) values.effective_at = input.value;
  return { values, incomplete: [] };
}

function workValues(transition) {
  const open = current.view.open;
  if (transition === "pass" || transition === "send-back") {
    const reason = $("case-stage-reason").value.trim();
    return { reason: reason || (transition === "pass" ? work("pass_reason", { stage: open.stage_title }) : ""), stage: open.stage, answers: answers() };
  }
  if (transition === "assign") return { to: $("case-hold-to").value, reason: work("assign_reason", { person: who($("case-hold-to").value) }) };
  return { reason: work(transition + "_reason") };
}

async function act(transition, button) {
  const form = button.closest("form");
  const { view } = current;
  const problem = $("case-problem");
  clearFieldErrors(form);
  problem.hidden = true;
  problem.replaceChildren();
  $("case-notice").textContent = page("sending");
  const body = { ...dated(form, workValues(transition)), command_id: commandIds[transition] ||= crypto.randomUUID(), expected_version: view.version };
  try {
    const result = await api(grantPath(view.scheme, view.region_code, "/page") + "/" + transition, { method: "POST", body: JSON.stringify(body) });
    commandIds = {};
    form.reset();  // done: the next action starts from an empty form (a checklist passed is made anew for the next stage)
    await showCase(view.region_code, view.scheme);
    const waiting = result.waiting;
    const next = !waiting ? work("result_done") : work("result_waiting", { stage: waiting.stage_title, role: roleName(waiting.role) })
      + (waiting.claimed_by ? work("result_held", { person: who(waiting.claimed_by) }) : "");
    $("case-notice").textContent = page("recorded", { region: result.region_code, transition: text("transitions", transition),
      events: result.events.map((e) => text("events", e)).join(", "), status: status(result.status), version: result.version }) + (result.duplicate ? page("duplicate") : "") + " " + next;
    $("case-title").focus();
  } catch (failure) {
    if (failure.status === 401) return signOut(failure);
    const answer = failure.body || {};
    if (answer.lang === "nl" && answer.invalidParams && answer.invalidParams.length) {
      $("case-notice").textContent = "";
      return showFieldErrors(form, answer.invalidParams);
    }
    await showCase(view.region_code, view.scheme, true);  // the case as it is now (who holds it), what was typed kept
    $("case-notice").textContent = "";
    const shown = problemNode(failure);
    const claim = current && current.view.claim;
    const list = shown.querySelector("dl");
    if (list && claim && claim.person !== me.name) {  // say who holds it, beside the rule that refused
      list.append(el("dt", work("refusal_holder")), el("dd", holderText(claim.person, claim.since, claim.assigned_by)));
    }
    problem.replaceChildren(shown);
    problem.hidden = false;
    problem.focus();
  }
}

for (const button of document.querySelectorAll("#case-hold button[data-transition], #case-stage button[data-transition]")) {
  button.addEventListener("click", () => current && act(button.dataset.transition, button));
}
for (const form of [$("case-hold"), $("case-stage")]) form.addEventListener("submit", (event) => event.preventDefault());

// --- on a grant's page: where its besluit waits, and the way to its case ---------------------------------

export function grantWork(g) {
  const box = $("grant-work");
  box.hidden = me.role === "region" || !g.waiting;
  if (box.hidden) return;
  const waiting = g.waiting;
  $("grant-work-text").textContent = work("grant_waiting", { stage: waiting.stage_title, role: roleName(waiting.role) })
    + (waiting.claimed_by ? work("grant_held", { person: who(waiting.claimed_by) }) : "");
  $("grant-case-link").setAttribute("href", caseHash(g.scheme, g.region_code));
}
