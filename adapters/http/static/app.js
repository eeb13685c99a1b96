// The back-office page, in Dutch: reads the JSON API (/v1) with the bearer token kept in this tab's sessionStorage.
// Texts come from /texts/nl.json (domain/regulation/data/texts/nl.toml); dates and amounts the Dutch way.
"use strict";

const TOKEN_KEY = "sto.token";
const $ = (id) => document.getElementById(id);
let me = null;
let T = null;  // the Dutch texts
let regionsView = null;
let deadlinesByRegion = null;
const PAGE_SIZE = 25;  // rows per page of the regions list
let pageCursors = [null];  // the cursor of each page walked so far (null: the first); the last one is on screen
let listRequest = 0;  // only the answer to the latest search is shown
let searchTimer = null;
let WORK = null;  // "Mijn werk" (static/work.js), imported once signed in as staff

function text(section, key, values = {}) {
  const found = (T && T[section] && T[section][key]) || key;
  return found.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : "{" + name + "}"));
}
const page = (key, values) => text("page", key, values);

function el(tag, content, attrs = {}) {
  const node = document.createElement(tag);
  if (content !== undefined && content !== null) node.textContent = String(content);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function row(cells) {
  const tr = el("tr", null, { class: "utrecht-table__row" });
  for (const cell of cells) {
    const td = el("td", null, { class: "utrecht-table__cell" });
    if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell ?? "";
    tr.appendChild(td);
  }
  return tr;
}

const EURO = new Intl.NumberFormat("nl-NL", { style: "currency", currency: "EUR", minimumFractionDigits: 2 });
const DAY = new Intl.DateTimeFormat("nl-NL", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
const MOMENT = new Intl.DateTimeFormat("nl-NL", { day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: "Europe/Amsterdam" });
const KB = new Intl.NumberFormat("nl-NL", { maximumFractionDigits: 1 });
const euro = (cents) => EURO.format((cents || 0) / 100);
function date(iso) {  // "2024-10-01" -> "1 oktober 2024"
  if (!iso) return "";
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return DAY.format(new Date(Date.UTC(y, m - 1, d)));
}
const moment = (iso) => (iso ? MOMENT.format(new Date(iso)) : "");
const status = (s) => text("statuses", s);
const kind = (k) => text("region_kinds", k);
const role = (r) => text("roles", r);

class ApiFailure extends Error {
  constructor(statusCode, body) {
    super(body.detail || ("HTTP " + statusCode));
    this.status = statusCode;
    this.body = body;
  }
}

async function api(path, options = {}) {
  const headers = { "Authorization": "Bearer " + sessionStorage.getItem(TOKEN_KEY), "Accept": "application/json, application/problem+json" };
  if (options.body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({ detail: page("no_json") }));
  if (!response.ok) throw new ApiFailure(response.status, body);
  return body;
}

// A problem (RFC 9457) in Dutch. The page's own endpoint answers in Dutch (`lang: "nl"`): shown as it is, with the
// rule's Dutch explanation, its code and legal source, and what to do. Of the API's answers (English) the page shows
// the kind of problem by its Dutch title and what to do next (texts [errors]), the rule and its source as named,
// and each wrong field by its Dutch label, never the English text.
function problemNode(failure) {
  const b = failure.body || {};
  const dutch = b.lang === "nl";
  const known = (T && T.errors && T.errors[b.code || "internal_error"]) || null;
  const answered = failure.status !== undefined;  // else the server was not reached (a network failure)
  const box = el("div", null, { class: "utrecht-alert__content" });
  box.appendChild(el("p", dutch ? b.title : answered && known ? known.title : page("error_title"), { class: "problem-title" }));
  const list = el("dl");
  const add = (term, value, attrs) => { if (value) { list.appendChild(el("dt", term)); list.appendChild(el("dd", value, attrs)); } };
  add(page("explanation"), dutch ? b.explanation : null);
  add(page("rule"), b.rule);
  add(page("source"), b.source);
  if (b.invalidParams) add(page("fields_wrong"), b.invalidParams.map((p) => (dutch ? p.reason : fieldName(p.name) + ": " + text("validation", "fallback"))).join("; "));
  add(page("what_now"), dutch ? b.hint : answered ? known && known.hint : page("no_answer"));
  add(page("server_said"), dutch ? b.serverDetail : null, { lang: "en" });  // a rule without a Dutch text yet
  box.appendChild(list);
  return box;
}

function fieldName(name) {  // a field of a form, or a filter of the list
  return (T && T.fields && T.fields[name]) || (T && T.page && T.page["filter_" + name]) || name;
}

function showProblem(target, failure) {
  target.replaceChildren(problemNode(failure));
  target.hidden = false;
}

function show(section) {
  for (const id of ["sign-in", "regions", "grant", "work", "case"]) $(id).hidden = id !== section;
  for (const [link, shows] of [["nav-regions", "regions"], ["nav-work", "work"]]) {
    if (shows === section) $(link).setAttribute("aria-current", "page"); else $(link).removeAttribute("aria-current");
  }
  $("error").hidden = true;
  $("error").replaceChildren();
  $("notice").textContent = "";
}

function signOut(failure) {
  sessionStorage.removeItem(TOKEN_KEY);
  me = null;
  $("who").hidden = true;
  $("site-nav").hidden = true;
  show("sign-in");
  const target = $("sign-in-error");
  if (failure) showProblem(target, failure); else target.replaceChildren();
  $("token").focus();
}

async function start() {
  if (!T) T = await (await fetch("/texts/nl.json")).json();
  if (!sessionStorage.getItem(TOKEN_KEY)) return signOut();
  try {
    me = await api("/v1/me");
  } catch (failure) {
    return signOut(failure);
  }
  $("who-name").textContent = me.name;
  $("who-role").textContent = me.region_code ? role(me.role) + " " + me.region_code : role(me.role);
  $("who-today").textContent = date(me.business_today);
  $("who").hidden = false;
  if (me.role !== "region") {  // the work queue and the cases are for operators and auditors
    try {
      WORK ||= await import("/static/work.js");
    } catch (failure) {
      return showProblem($("error"), failure);
    }
    $("site-nav").hidden = false;
  }
  route();
}

function route() {
  if (!me) return;
  const staff = WORK && me.role !== "region";  // the module stays loaded after a sign-out: the role decides
  const work = staff && location.hash.match(/^#\/(?:schemes\/([a-z0-9-]+)\/)?grants\/([A-Za-z0-9-]+)\/zaak$/);
  if (work || (staff && location.hash === "#/werk")) {
    clearTimeout(searchTimer);
    listRequest += 1;
    return work ? WORK.showCase(work[2].toUpperCase(), work[1], false, true) : WORK.showWork([null], true);
  }
  const match = location.hash.match(/^#\/(?:schemes\/([a-z0-9-]+)\/)?grants\/([A-Za-z0-9-]+)$/);
  if (match) {
    clearTimeout(searchTimer);  // a search still to be asked, or answered, would take the screen from the grant
    listRequest += 1;
    return showGrant(match[2].toUpperCase(), match[1]);
  }
  if (me.role === "region") { location.hash = "#/grants/" + me.region_code; return; }
  showRegions();
}

async function guarded(action) {
  try {
    await action();
  } catch (failure) {
    if (failure.status === 401) return signOut(failure);
    showProblem($("error"), failure);
  }
}

// The regions list: searched, filtered and paged by the API (GET /v1/regions), PAGE_SIZE rows at a time.
function listQuery(cursor) {
  const params = new URLSearchParams({ pageSize: String(PAGE_SIZE) });
  const q = $("filter-q").value.trim();
  if (q) params.set("q", q);
  for (const name of ["status", "stage", "scheme", "kind"]) {
    const value = $("filter-" + name).value;
    if (value) params.set(name, value);
  }
  const within = $("filter-within").value.trim();
  if (within) params.set("within", within);
  if (cursor) params.set("cursor", cursor);
  return params.toString();
}

function showRegions(cursors = [null]) {
  return guarded(async () => {
    const request = ++listRequest;
    const cursor = cursors[cursors.length - 1];
    $("regions-table").setAttribute("aria-busy", "true");
    $("shown").textContent = page("page_loading");
    const [view, deadlines] = await Promise.all([api("/v1/regions?" + listQuery(cursor)), api("/v1/deadlines?pageSize=500")]);
    if (request !== listRequest) return;  // a later search is under way: its answer is the one to show
    pageCursors = cursors;
    regionsView = view;
    deadlinesByRegion = {};
    for (const d of deadlines.deadlines) (deadlinesByRegion[d.scheme + "/" + d.region_code] ||= []).push(d);
    show("regions");
    $("counts").textContent = Object.entries(view.counts).filter(([, n]) => n).map(([s, n]) => status(s) + ": " + n).join(", ") || page("no_grants");
    renderRegions();
    await showWebhooks();
  });
}

function searchSoon() {  // typing in the search box: ask the API once the typing pauses
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => showRegions(), 250);
}

async function showWebhooks() {
  const box = $("webhooks");
  if (me.role !== "operator") { box.hidden = true; return; }  // subscriptions are the operators' to manage
  const view = await api("/v1/subscriptions");
  const summary = $("webhooks-summary");
  summary.textContent = view.subscriptions.length + " abonnement(en); " + (view.dead_letters
    ? view.dead_letters + " onbestelbaar: herstel de ontvanger en lever opnieuw af (`sto subscriptions redeliver ID`)"
    : "niets onbestelbaar");
  const rows = $("webhook-rows");
  rows.replaceChildren();
  for (const s of view.subscriptions) {
    rows.appendChild(row([s.subscription_id, s.callback_url, s.region_code || "alle regio's", s.deliveries.pending, s.deliveries.delivered, s.deliveries.dead]));
  }
  box.hidden = false;  // shown once its answer is written in it, never empty before (a test read it empty)
}

function renderRegions() {
  const rows = $("regions-rows");
  // an answer that lands while the keyboard is on a row's link (the search asks 250 ms after the typing pauses)
  // must not drop the focus to the page's body, where Enter opens nothing: it stays on that grant's new link
  const focused = rows.contains(document.activeElement) ? document.activeElement.getAttribute("href") : undefined;
  rows.replaceChildren();
  const listed = regionsView.regions;
  for (const r of listed) {
    const next = (deadlinesByRegion[r.scheme + "/" + r.region_code] || [])[0];
    // a region with grants in two schemes (next to each other in the list) links each by its scheme; with one, by the region alone
    const several = listed.filter((other) => other.region_code === r.region_code).length > 1;
    const link = el("a", r.region_code, { href: grantPath(several ? r.scheme : null, r.region_code, "#"), class: "utrecht-link utrecht-link--html-a" });
    rows.appendChild(row([link, text("schemes", r.scheme || ""), r.region_name, kind(r.kind), status(r.status), r.penvoerder && r.penvoerder.name,
      euro(r.money.requested_cents), euro(r.money.granted_cents), next ? date(next.due) + " · " + (next.title_nl || next.title) : ""]));
  }
  const first = (pageCursors.length - 1) * PAGE_SIZE + 1;
  $("shown").textContent = listed.length
    ? page("page_shown", { first, last: first + listed.length - 1 }) + (regionsView.next_cursor ? " " + page("page_more") : "")
    : page("no_regions");
  $("page-prev").disabled = pageCursors.length < 2;
  $("page-next").disabled = !regionsView.next_cursor;
  $("regions-table").setAttribute("aria-busy", "false");
  if (focused !== undefined) {  // that grant no longer listed: the table, announced with its caption, holds the focus
    const again = [...rows.querySelectorAll("a")].find((a) => a.getAttribute("href") === focused);
    if (again) again.focus(); else { $("regions-table").tabIndex = -1; $("regions-table").focus(); }
  }
  $("regions").dataset.loads = String(Number($("regions").dataset.loads || 0) + 1);  // one more list shown (tests wait on it)
}

function deadlineRow(d) {
  const days = d.overdue ? page("days_passed", { n: -d.days_left }) : d.days_left === 0 ? page("today")
    : d.days_left === 1 ? page("day_left") : page("days_left", { n: d.days_left });
  return row([date(d.due), days, d.title_nl || d.title, text("addressees", d.addressee), d.source]);
}

// A grant is its scheme's: /v1/schemes/{scheme}/grants/{region} (without a scheme: the region's newest grant).
function grantPath(scheme, code, base = "/v1") {
  return base + (scheme ? "/schemes/" + encodeURIComponent(scheme) : "") + "/grants/" + encodeURIComponent(code);
}

function showGrant(code, scheme) {
  // another grant than the one on screen: hide that one first, so that a refusal (403) leaves none of it shown
  if ($("grant-code").textContent !== code) $("grant").hidden = true;
  return guarded(async () => {
    const g = await api(grantPath(scheme, code));
    show("grant");
    $("grant-name").textContent = g.region_name;
    $("grant-code").textContent = g.region_code;
    $("grant-status").textContent = status(g.status);
    $("grant-status").dataset.status = g.status;
    $("grant-kind").textContent = kind(g.kind);
    $("grant-penvoerder").textContent = g.penvoerder ? g.penvoerder.name : "";
    $("grant-version").textContent = g.version;
    $("grant-requested").textContent = euro(g.money.requested_cents);
    $("grant-granted").textContent = euro(g.money.granted_total_cents);
    $("ahead-title").textContent = page("deadlines_ahead", { day: date(g.as_of) });
    const ahead = g.deadlines.filter((d) => !d.overdue);
    const passed = g.deadlines.filter((d) => d.overdue);
    $("deadline-rows").replaceChildren(...(ahead.length ? ahead.map(deadlineRow) : [row([page("no_deadlines_ahead"), "", "", "", ""])]));
    $("passed-rows").replaceChildren(...(passed.length ? passed.map(deadlineRow) : [row([page("no_deadlines_passed"), "", "", "", ""])]));
    showTransitions(g);
    $("timeline").hidden = me.role === "region";  // decided with the buttons, not once the letters are read after
    if (WORK) WORK.grantWork(g);  // where its besluit waits (hidden for a region)
    await showLetters(g.region_code, g.scheme);
    await showTimeline(g.region_code, g.scheme);
  });
}

// The grant's besluiten with their letters (operators, auditors and the grant's own region: the API says who).
async function showLetters(code, scheme) {
  const view = await api(grantPath(scheme, code) + "/letters");
  const rows = view.letters.map((l) => {
    const which = page("letter_which", { besluit: l.besluit, kind: text("besluiten", l.kind) });
    const link = el("a", page("letter_download", { size: KB.format(l.size / 1000) + " kB" }),
      { href: l.href, download: l.filename, class: "utrecht-link utrecht-link--html-a", "data-sha256": l.sha256 });
    link.appendChild(el("span", " (" + which + ")", { class: "visually-hidden" }));
    link.addEventListener("click", (event) => { event.preventDefault(); guarded(() => download(l)); });
    const hash = el("code", l.sha256.slice(0, 12) + "…", { class: "hash", title: page("letter_hash", { sha256: l.sha256 }) });
    return row([String(l.besluit), text("besluiten", l.kind), date(l.decided_on || l.issued_on), date(l.objection_deadline), hash, link]);
  });
  $("letter-rows").replaceChildren(...(rows.length ? rows : [row([page("no_letters"), "", "", "", "", ""])]));
  $("letters-without").textContent = view.without_letter.length ? page("without_letter", { numbers: view.without_letter.join(", ") }) : "";
}

// A letter's PDF: fetched with the bearer token (a plain link would carry none), then saved under its own name.
async function download(letter) {
  const response = await fetch(letter.href, { headers: { "Authorization": "Bearer " + sessionStorage.getItem(TOKEN_KEY) } });
  if (!response.ok) throw new ApiFailure(response.status, await response.json().catch(() => ({ detail: page("no_json") })));
  const url = URL.createObjectURL(await response.blob());
  const save = el("a", null, { href: url, download: letter.filename, hidden: "" });
  document.body.appendChild(save);
  save.click();
  save.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  $("notice").textContent = page("letter_downloaded", { filename: letter.filename });
}

async function showTimeline(code, scheme) {
  if ($("timeline").hidden) return;  // the auditor's history is for operators and auditors (showGrant decides)
  const history = await api(grantPath(scheme, code) + "/history?pageSize=500");
  const rows = $("timeline-rows");
  rows.replaceChildren();
  for (const e of history.events) {
    const name = T.events && T.events[e.event] ? T.events[e.event] + " (" + e.event + ")" : e.event;
    rows.appendChild(row([e.version, date(e.effective_on), moment(e.recorded_at), name, e.actor + " (" + role(e.role) + ")", e.reason, e.rule, e.legal_basis]));
  }
}

function showTransitions(g) {
  const box = $("transitions");
  box.hidden = me.role !== "operator";
  const buttons = $("transition-buttons");
  buttons.replaceChildren();
  $("transition-form").replaceChildren();
  if (box.hidden) return;
  for (const name of g.allowed_transitions) {
    const button = el("button", text("transitions", name), { type: "button", "data-transition": name, class: "utrecht-button utrecht-button--secondary-action" });
    button.addEventListener("click", () => openForm(g, name, button));
    buttons.appendChild(button);
  }
  if (!g.allowed_transitions.length) buttons.appendChild(el("p", page("nothing_possible"), { class: "utrecht-paragraph" }));
}

// The form of a transition: sent as typed to the page's own endpoint (/page/..., adapters/http/page.py), which reads
// the values (a date input gives the business date), checks and sends them like the API and answers in Dutch. Wrong
// fields are shown the NL Design System / GOV.UK way: a summary at the top of the form takes the focus and links
// each wrong field; each wrong field says what is wrong (aria-describedby) and is marked aria-invalid; what was
// typed stays in the form.
const INVALID = { INPUT: "utrecht-textbox--invalid", SELECT: "utrecht-select--invalid", TEXTAREA: "utrecht-textarea--invalid" };

function openForm(g, name, opener) {
  const holder = $("transition-form");
  holder.replaceChildren($("form-" + name).content.cloneNode(true));
  const form = holder.querySelector("form");
  const commandId = crypto.randomUUID();  // one per opened form: sending it again is a safe retry
  form.querySelector(".cancel").addEventListener("click", () => { holder.replaceChildren(); opener.focus(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const outcome = form.querySelector(".outcome");
    clearFieldErrors(form);
    outcome.classList.remove("utrecht-alert", "utrecht-alert--error", "problem");
    outcome.textContent = page("sending");
    try {
      const body = { ...typed(form), command_id: commandId, expected_version: g.version };
      const result = await api(grantPath(g.scheme, g.region_code, "/page") + "/" + name, { method: "POST", body: JSON.stringify(body) });
      await showGrant(g.region_code, g.scheme);
      $("notice").textContent = page("recorded", { region: result.region_code, transition: text("transitions", name),
        events: result.events.join(", "), status: status(result.status), version: result.version }) + (result.duplicate ? page("duplicate") : "");
      $("grant-title").focus();
    } catch (failure) {
      if (failure.status === 401) return signOut(failure);
      const answer = failure.body || {};
      if (answer.lang === "nl" && answer.invalidParams && answer.invalidParams.length) {
        outcome.textContent = "";
        return showFieldErrors(form, answer.invalidParams);
      }
      outcome.classList.add("utrecht-alert", "utrecht-alert--error", "problem");
      outcome.replaceChildren(problemNode(failure));
    }
  });
  form.querySelector("input, select, textarea").focus();
}

// What was typed, field by field; a date input the browser cannot read a whole date from (its value is then
// empty) is named as incomplete, so that the server says so instead of taking it for empty.
function typed(form) {
  const values = {};
  const incomplete = [];
  for (const input of form.querySelectorAll("[data-kind]")) {
    if (input.validity && input.validity.badInput) incomplete.push(input.name);
    else values[input.name] = input.value;
  }
  return { values, incomplete };
}

function showFieldErrors(form, params) {
  const summary = form.querySelector(".error-summary");
  const list = summary.querySelector("ul");
  list.replaceChildren();
  summary.querySelector("h4").textContent = params.length === 1 ? page("error_summary_one") : page("error_summary_many", { n: params.length });
  for (const p of params) {
    const input = form.querySelector('[data-kind][name="' + CSS.escape(p.name) + '"]');
    const item = el("li", null, { class: "utrecht-unordered-list__item" });
    if (input) {
      const link = el("a", p.reason, { href: "#" + input.id, class: "utrecht-link utrecht-link--html-a" });
      // the page's address is its route (app.js): go to the field without changing it
      link.addEventListener("click", (event) => { event.preventDefault(); input.focus(); });
      item.appendChild(link);
      markField(input, p.message);
    } else {
      item.textContent = p.reason;  // a field the form does not show (say, the region code of the address)
    }
    list.appendChild(item);
  }
  summary.hidden = false;
  summary.focus();
}

function markField(input, message) {
  const id = input.id + "-error";
  let note = input.parentElement.querySelector("#" + CSS.escape(id));
  if (!note) {
    note = el("p", null, { class: "utrecht-form-field-error-message", id });
    note.appendChild(el("span", page("error_prefix") + " ", { class: "visually-hidden" }));
    input.before(note);
    input.dataset.describedby = input.getAttribute("aria-describedby") || "";
    input.setAttribute("aria-describedby", (input.dataset.describedby + " " + id).trim());
  }
  note.appendChild(document.createTextNode((note.childNodes.length > 1 ? " " : "") + message));
  input.setAttribute("aria-invalid", "true");
  input.classList.add(INVALID[input.tagName]);
  input.closest(".field").classList.add("utrecht-form-field--invalid");
}

function clearFieldErrors(form) {
  for (const note of form.querySelectorAll(".utrecht-form-field-error-message")) note.remove();
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    const before = input.dataset.describedby;
    if (before) input.setAttribute("aria-describedby", before); else input.removeAttribute("aria-describedby");
    delete input.dataset.describedby;
    input.removeAttribute("aria-invalid");
    input.classList.remove(INVALID[input.tagName]);
    input.closest(".field").classList.remove("utrecht-form-field--invalid");
  }
  const summary = form.querySelector(".error-summary");
  summary.hidden = true;
  summary.querySelector("ul").replaceChildren();
}

$("sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
  $("token").value = "";
  start();
});
$("sign-out").addEventListener("click", () => signOut());
$("filters").addEventListener("submit", (event) => { event.preventDefault(); clearTimeout(searchTimer); showRegions(); });
$("filters").addEventListener("reset", () => setTimeout(() => showRegions(), 0));
$("filter-q").addEventListener("input", () => regionsView && searchSoon());
for (const name of ["status", "stage", "kind", "scheme"]) $("filter-" + name).addEventListener("change", () => regionsView && showRegions());
async function turnPage(cursors) {
  await showRegions(cursors);
  const focused = document.activeElement;
  if (!focused || focused === document.body || focused.disabled) {  // the button pressed is off now (first or last page)
    const other = [$("page-next"), $("page-prev")].find((b) => !b.disabled);
    (other || $("regions-rows").querySelector("a") || $("filter-q")).focus();
  }
}
$("page-next").addEventListener("click", () => regionsView && regionsView.next_cursor && turnPage([...pageCursors, regionsView.next_cursor]));
$("page-prev").addEventListener("click", () => pageCursors.length > 1 && turnPage(pageCursors.slice(0, -1)));
window.addEventListener("hashchange", route);
start();
