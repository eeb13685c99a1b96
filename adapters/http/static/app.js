// The back-office page: reads the JSON API with the bearer token kept in this tab's sessionStorage.
"use strict";

const TOKEN_KEY = "sto.token";
const $ = (id) => document.getElementById(id);
let me = null;

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function row(cells) {
  const tr = el("tr");
  for (const cell of cells) {
    const td = el("td");
    if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell ?? "";
    tr.appendChild(td);
  }
  return tr;
}

const euro = (cents) => "EUR " + ((cents || 0) / 100).toLocaleString("nl-NL", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

class ApiFailure extends Error {
  constructor(status, body) {
    super(body.message || ("HTTP " + status));
    this.status = status;
    this.body = body;
  }
}

async function api(path, options = {}) {
  const headers = { "Authorization": "Bearer " + sessionStorage.getItem(TOKEN_KEY), "Accept": "application/json" };
  if (options.body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({ message: "the server did not answer with JSON" }));
  if (!response.ok) throw new ApiFailure(response.status, body);
  return body;
}

function describe(failure) {
  const b = failure.body || {};
  const parts = [b.message || failure.message];
  if (b.rule) parts.push("rule " + b.rule);
  if (b.source) parts.push("source: " + b.source);
  if (b.details) parts.push(b.details.map((d) => d.field + ": " + d.problem).join("; "));
  if (b.hint) parts.push("what to do: " + b.hint);
  return parts.join(" — ");
}

function show(section) {
  for (const id of ["sign-in", "regions", "grant"]) $(id).hidden = id !== section;
  $("error").textContent = "";
  $("notice").textContent = "";
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  me = null;
  $("who").hidden = true;
  show("sign-in");
  $("sign-in-error").textContent = message || "";
}

async function start() {
  if (!sessionStorage.getItem(TOKEN_KEY)) return signOut();
  try {
    me = await api("/v1/me");
  } catch (failure) {
    return signOut(describe(failure));
  }
  $("who-name").textContent = me.name;
  $("who-role").textContent = me.region_code ? me.role + " " + me.region_code : me.role;
  $("who-today").textContent = me.business_today;
  $("who").hidden = false;
  route();
}

function route() {
  if (!me) return;
  const match = location.hash.match(/^#\/grants\/([A-Za-z0-9-]+)$/);
  if (match) return showGrant(match[1].toUpperCase());
  if (me.role === "region") { location.hash = "#/grants/" + me.region_code; return; }
  showRegions();
}

async function guarded(action) {
  try {
    await action();
  } catch (failure) {
    if (failure.status === 401) return signOut(describe(failure));
    $("error").textContent = describe(failure);
  }
}

function showRegions() {
  return guarded(async () => {
    const view = await api("/v1/regions");
    show("regions");
    $("counts").textContent = Object.entries(view.counts).filter(([, n]) => n).map(([s, n]) => s + ": " + n).join(", ") || "no grants yet";
    const rows = $("regions-rows");
    rows.replaceChildren();
    for (const r of view.regions) {
      const link = el("a", r.region_code, { href: "#/grants/" + r.region_code });
      rows.appendChild(row([link, r.region_name, r.kind, r.status, euro(r.money.requested_cents), euro(r.money.granted_cents), r.version]));
    }
  });
}

function showGrant(code) {
  return guarded(async () => {
    const g = await api("/v1/grants/" + encodeURIComponent(code));
    show("grant");
    $("grant-name").textContent = g.region_name;
    $("grant-code").textContent = g.region_code;
    $("grant-status").textContent = g.status;
    $("grant-status").dataset.status = g.status;
    $("grant-version").textContent = g.version;
    $("grant-requested").textContent = euro(g.money.requested_cents);
    $("grant-granted").textContent = euro(g.money.granted_total_cents);
    $("grant-as-of").textContent = g.as_of;
    const deadlines = $("deadline-rows");
    deadlines.replaceChildren();
    for (const d of g.deadlines) {
      deadlines.appendChild(row([d.due, d.overdue ? d.days_left + " (passed)" : d.days_left, d.title, d.addressee, d.source]));
    }
    showTransitions(g);
    await showTimeline(g.region_code);
  });
}

async function showTimeline(code) {
  const box = $("timeline");
  box.hidden = me.role === "region";  // the auditor's history is for operators and auditors
  if (box.hidden) return;
  const history = await api("/v1/grants/" + encodeURIComponent(code) + "/history");
  const rows = $("timeline-rows");
  rows.replaceChildren();
  for (const e of history.events) {
    rows.appendChild(row([e.version, e.effective_on, e.recorded_at.slice(0, 19), e.event, e.actor + " (" + e.role + ")", e.reason, e.rule, e.legal_basis]));
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
    const button = el("button", name, { type: "button", "data-transition": name });
    button.addEventListener("click", () => openForm(g, name));
    buttons.appendChild(button);
  }
  if (!g.allowed_transitions.length) buttons.appendChild(el("p", "nothing: the grant has ended"));
}

function openForm(g, name) {
  const holder = $("transition-form");
  holder.replaceChildren($("form-" + name).content.cloneNode(true));
  const form = holder.querySelector("form");
  const commandId = crypto.randomUUID();  // one per opened form: sending it again is a safe retry
  form.querySelector(".cancel").addEventListener("click", () => holder.replaceChildren());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const outcome = form.querySelector(".outcome");
    let body;
    try {
      body = { ...collect(form), command_id: commandId, expected_version: g.version };
    } catch (problem) {
      outcome.textContent = problem.message;
      return;
    }
    outcome.textContent = "sending…";
    try {
      const result = await api("/v1/grants/" + encodeURIComponent(g.region_code) + "/" + name, { method: "POST", body: JSON.stringify(body) });
      await showGrant(g.region_code);
      $("notice").textContent = result.region_code + ": " + name + " recorded " + result.events.join(", ") +
        (result.duplicate ? " (a repeat: nothing new)" : "") + "; status " + result.status + ", version " + result.version;
    } catch (failure) {
      if (failure.status === 401) return signOut(describe(failure));
      outcome.textContent = describe(failure);
    }
  });
  form.querySelector("input, select, textarea").focus();
}

function collect(form) {
  const body = {};
  for (const input of form.querySelectorAll("[data-kind]")) {
    const value = input.value.trim();
    if (value === "") continue;
    const kind = input.dataset.kind;
    if (kind === "number") body[input.name] = Number(value);
    else if (kind === "yesno") body[input.name] = value === "true";
    else if (kind === "choice") body[input.name] = /^[0-9]+$/.test(value) ? Number(value) : value;
    else if (kind === "lines") body[input.name] = value.split("\n").map((s) => s.trim()).filter(Boolean);
    else if (kind === "json") {
      try { body[input.name] = JSON.parse(value); } catch { throw new Error(input.name + " is not valid JSON"); }
    } else body[input.name] = value;
  }
  return body;
}

$("sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
  $("token").value = "";
  start();
});
$("sign-out").addEventListener("click", () => signOut());
window.addEventListener("hashchange", route);
start();
