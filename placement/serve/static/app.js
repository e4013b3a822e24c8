// placement serve: the page's script, written for the project (no library, nothing fetched
// from elsewhere). Every input change re-solves through the JSON API; the previous result
// stays on the page, dimmed, until the new one has arrived and passed the checker.
"use strict";

const state = { meta: null, seq: 0, mapSeq: 0, explainSeq: 0, result: null, req: null, fn: null, timer: null };
const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, body) {
    super(typeof body === "object" && body && body.error ? body.error : String(body));
    this.status = status;
  }
}

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const r = await fetch(path, init);
  const text = await r.text();
  let data = text;
  try { data = JSON.parse(text); } catch (e) { /* a download: text */ }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}

function fmt(x, digits = 4) {
  if (x === null || x === undefined) return "–";
  if (typeof x !== "number") return String(x);
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2);
  return x.toLocaleString("en-GB", { maximumSignificantDigits: Math.max(digits, Math.ceil(Math.log10(Math.abs(x) + 1))) });
}
const pct = (x) => (x === null || x === undefined ? "–" : (100 * x).toFixed(1) + "%");

function setStatus(text, kind) {
  const s = $("status");
  s.textContent = text;
  s.className = "status " + (kind || "");
  s.dataset.state = kind || "";
}

// -- the judgements --------------------------------------------------------------------
function picked() {
  const id = $("scenario").value;
  return state.meta.scenarios.find((s) => s.id === id) || null;
}

function defaults() {
  const m = state.meta, sc = picked();
  const weights = {}, budgets = {}, caps = {};
  for (const c of m.criteria) weights[c.id] = sc && c.id in sc.weights ? sc.weights[c.id] : c.weight;
  for (const r of m.resources) {
    budgets[r.id] = sc && r.id in sc.budgets ? sc.budgets[r.id] : r.budget;
    caps[r.id] = Object.assign({}, r.caps, sc && sc.caps[r.id] ? sc.caps[r.id] : {});
  }
  let het = m.heterogeneity ? m.heterogeneity.value : null;
  if (sc && sc.heterogeneity !== null && sc.heterogeneity !== undefined) het = sc.heterogeneity;
  return { weights, budgets, caps, heterogeneity: het };
}

function request() {
  const d = defaults(), req = {};
  if ($("scenario").value) req.scenario = $("scenario").value;
  const weights = {};
  for (const c of state.meta.criteria) {
    const v = Number($("w-" + c.id).value);
    if (Math.abs(v - d.weights[c.id]) > 1e-12) weights[c.id] = v;
  }
  if (Object.keys(weights).length) req.weights = weights;
  if (state.meta.heterogeneity) {
    const v = Number($("w-heterogeneity").value);
    if (Math.abs(v - d.heterogeneity) > 1e-12) req.heterogeneity = v;
  }
  const budgets = {}, caps = {};
  for (const r of state.meta.resources) {
    const b = $("b-" + r.id).value.trim();
    if (b !== "" && Number(b) !== d.budgets[r.id]) budgets[r.id] = Number(b);
    for (const t of state.meta.tiers) {
      const c = $("c-" + r.id + "-" + t.id).value.trim();
      if (c !== "" && Number(c) !== d.caps[r.id][t.id]) (caps[r.id] = caps[r.id] || {})[t.id] = Number(c);
    }
  }
  if (Object.keys(budgets).length) req.budgets = budgets;
  if (Object.keys(caps).length) req.caps = caps;
  return req;
}

function slider(id, label, value, title) {
  const max = Math.max(5, 2 * value);
  const input = el("input", { type: "range", id, min: "0", max: String(max), step: "0.1",
    value: String(value), "aria-label": label });
  const out = el("output", { for: id, text: fmt(value) });
  input.addEventListener("input", () => { out.textContent = fmt(Number(input.value)); schedule(); });
  return el("div", { class: "weight", title: title || "" }, el("label", { for: id, text: label }), input, out);
}

function buildInputs() {
  const m = state.meta;
  const w = $("weights");
  w.replaceChildren();
  for (const c of m.criteria) w.append(slider("w-" + c.id, c.name || c.id, c.weight, c.description));
  if (m.heterogeneity) {
    w.append(slider("w-heterogeneity", "Heterogeneity (" + m.heterogeneity.criterion + ")",
      m.heterogeneity.value, "eta: the loss of a unit whose people differ"));
  }
  $("weights-section").hidden = !w.children.length;
  const res = $("resources");
  res.replaceChildren();
  for (const r of m.resources) {
    const table = el("table", { class: "resource" });
    const unit = r.unit ? " (" + r.unit + ")" : "";
    table.append(el("tr", {}, el("th", { text: "budget" + unit }),
      el("td", {}, el("input", { type: "number", min: "0", step: "any", id: "b-" + r.id,
        "aria-label": r.id + " budget", placeholder: "none", onchange: schedule }))));
    for (const t of m.tiers) {
      table.append(el("tr", {}, el("th", { text: "cap at " + t.id }),
        el("td", {}, el("input", { type: "number", min: "0", step: "any", id: "c-" + r.id + "-" + t.id,
          "aria-label": r.id + " cap at " + t.id, placeholder: "none", onchange: schedule }))));
    }
    res.append(el("h3", { text: r.name || r.id }), table);
  }
  $("resources-section").hidden = !m.resources.length;
  for (const sc of m.scenarios) $("scenario").append(el("option", { value: sc.id, text: sc.name }));
  for (const e of document.querySelectorAll(".per-area")) e.hidden = !m.per_area;
}

function resetInputs() {
  const d = defaults(), sc = picked();
  for (const c of state.meta.criteria) {
    $("w-" + c.id).value = d.weights[c.id];
    $("w-" + c.id).nextSibling.textContent = fmt(d.weights[c.id]);
  }
  if (state.meta.heterogeneity) {
    $("w-heterogeneity").value = d.heterogeneity;
    $("w-heterogeneity").nextSibling.textContent = fmt(d.heterogeneity);
  }
  for (const r of state.meta.resources) {
    $("b-" + r.id).value = d.budgets[r.id] ?? "";
    for (const t of state.meta.tiers) $("c-" + r.id + "-" + t.id).value = d.caps[r.id][t.id] ?? "";
  }
  $("scenario-description").textContent = sc ? sc.description : "";
}

function schedule() {
  clearTimeout(state.timer);
  state.timer = setTimeout(solve, 120);
}

// -- solving and drawing --------------------------------------------------------------
async function solve() {
  const req = request(), my = ++state.seq, t0 = performance.now();
  setStatus("solving…", "solving");
  $("results").classList.add("dim");
  try {
    const res = await api("/api/solve", req);
    if (my !== state.seq) return;
    if (res.checks && res.checks.ok === false) throw new Error("the result failed the independent checker; please report it");
    state.result = res; state.req = req;
    document.body.dataset.request = JSON.stringify(req);  // what the shown result answers
    const ms = Math.round(performance.now() - t0);
    const server = Math.round(1000 * ((res.build_seconds || 0) + (res.solve_seconds || 0)));
    setStatus(res.status + " in " + ms + " ms (solver " + server + " ms)", hasPlacement(res) ? "ok" : "error");
    render();
  } catch (e) {
    if (my === state.seq) setStatus(e.message, "error");
  } finally {
    if (my === state.seq) $("results").classList.remove("dim");
  }
}

const hasPlacement = (r) => Array.isArray(r.placements) && r.placements.length > 0;

function render() {
  const r = state.result;
  renderSummary(r);
  renderDiagnosis(r);
  renderBaselines(r);
  renderTable(r);
  $("command").textContent = commandLine();
  if (state.meta.map_levels.length && hasPlacement(r)) drawMap(); else $("map-section").hidden = true;
  if (state.fn && !state.meta.per_area) explain(state.fn);
}

function renderSummary(r) {
  const s = $("summary");
  s.replaceChildren(el("h2", { text: state.meta.name + (r.scenario ? " – scenario " + r.scenario : "") }));
  const dl = el("p", {}, "status ", el("b", { id: "result-status", text: r.status }),
    "; objective ", el("b", { id: "objective", text: fmt(r.objective, 6) }),
    " (" + r.sense + "imise); checker " + (r.checks ? (r.checks.ok ? "ok" : "VIOLATED") : "–"));
  s.append(dl);
  if (r.overrides && r.overrides.weights) {
    s.append(el("p", { class: "note", text: "weights changed: " +
      Object.entries(r.overrides.weights).map(([k, v]) => k + "=" + fmt(v)).join(", ") }));
  }
  const b = r.baselines;
  if (b && b.price_of_uniformity !== undefined) {
    const p = el("p", {}, "price of uniformity ", el("b", { text: pct(b.price_of_uniformity) }));
    if ("price_of_uniform_structure" in b) p.append("; price of uniform structure ", el("b", { text: pct(b.price_of_uniform_structure) }));
    if ("price_of_uniformity_free" in b) {
      p.append("; with pins kept ", el("b", { text: pct(b.price_of_uniformity_free) }),
        b.best_one_size_free ? " (best: " + b.best_one_size_free.tier + ")" : "");
    }
    s.append(p);
    if (b.price_of_uniformity_note) s.append(el("p", { class: "note", text: b.price_of_uniformity_note }));
  }
  for (const w of r.warnings || []) s.append(el("p", { class: "note", text: "warning: " + w }));
}

function renderDiagnosis(r) {
  const box = $("diagnosis"), d = r.diagnosis;
  box.hidden = !d && hasPlacement(r);
  const out = $("diagnosis-text");
  out.replaceChildren();
  if (!d) { if (!hasPlacement(r)) out.append(el("p", { text: r.message || r.status })); return; }
  out.append(el("p", { text: "The smallest relaxation:" }));
  out.append(el("ul", {}, ...(d.relaxations || []).map((x) => el("li", { text: x.message }))));
  if ((d.alternative || []).length) {
    out.append(el("p", { text: "Alternatively, keeping every budget and cap:" }));
    out.append(el("ul", {}, ...d.alternative.map((x) => el("li", { text: x.message }))));
  }
  for (const n of d.notes || []) out.append(el("p", { class: "note", text: n }));
}

function renderBaselines(r) {
  const b = r.baselines, box = $("baselines");
  box.replaceChildren(el("h2", { text: "One size for every function" }));
  if (!b) return;
  const t = el("table", { id: "one-size" });
  const free = b.one_size_free || null;
  const heads = ["every function at", "value", "feasible", "what it breaks"];
  if (free) heads.push("with pins kept: value", "feasible");
  t.append(el("tr", {}, ...heads.map((h) => el("th", { text: h }))));
  for (const [tier, v] of Object.entries(b.one_size || {})) {
    const tr = el("tr", {}, el("td", { text: tier }), el("td", { class: "num", text: fmt(v.value) }),
      el("td", { text: v.feasible ? "yes" : "no" }), breaks(v.breaks || []));
    if (free && free[tier]) {
      tr.append(el("td", { class: "num", text: fmt(free[tier].value) }),
        el("td", { text: free[tier].feasible ? "yes" : "no" }));
    }
    t.append(tr);
  }
  box.append(t);
  const p = el("p", {}, "Price of uniformity ", el("b", { id: "price-uniformity", text: pct(b.price_of_uniformity) }),
    b.best_one_size ? " (best one size: " + b.best_one_size.tier + ", " + fmt(b.best_one_size.value) + ")" : "");
  if ("price_of_uniform_structure" in b) {
    p.append("; price of uniform structure ", el("b", { id: "price-structure", text: pct(b.price_of_uniform_structure) }),
      " (one structure for every area)");
  }
  if ("price_of_uniformity_free" in b) {
    p.append("; with pins kept ", el("b", { id: "price-free", text: pct(b.price_of_uniformity_free) }),
      b.best_one_size_free ? " (best one size: " + b.best_one_size_free.tier + ", " + fmt(b.best_one_size_free.value) + ")" : "");
  }
  box.append(p);
  if (b.price_of_uniformity_note) box.append(el("p", { class: "note", text: b.price_of_uniformity_note }));
}

function breaks(list) {
  const all = list.join("; "), cut = all.length > 140 ? all.slice(0, 137) + "…" : all;
  return el("td", { class: "breaks", title: all, text: cut });
}

function tierCell(p) {
  if (!p.tiers) return p.tier;
  return Object.entries(p.tiers).sort((a, b) => b[1] - a[1]).map(([t, s]) => t + " " + pct(s)).join(", ");
}

function renderTable(r) {
  const t = $("placement"), per = state.meta.per_area;
  const names = Object.fromEntries(state.meta.functions.map((f) => [f.id, f.name]));
  t.tHead.replaceChildren(el("tr", {}, ...["function", "name", per ? "tier (share of people)" : "tier", "value", "today", "moved"]
    .map((h, i) => el("th", { class: i === 3 ? "num" : "", text: h }))));
  const body = t.tBodies[0];
  body.replaceChildren();
  for (const p of r.placements || []) {
    const tr = el("tr", { "data-function": p.function, "data-tier": p.tier },
      el("td", { text: p.function }), el("td", { text: names[p.function] || "" }),
      el("td", { class: "tier", text: tierCell(p) }), el("td", { class: "num", text: fmt(p.value) }),
      el("td", { text: p.current || "" }), el("td", { text: per ? pct(p.moved_share) : (p.moved ? "yes" : "") }));
    if (p.function === state.fn) tr.classList.add("selected");
    tr.addEventListener("click", () => pickFunction(p.function));
    body.append(tr);
  }
}

function pickFunction(fid) {
  state.fn = fid;
  for (const tr of $("placement").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.function === fid);
  if (state.meta.per_area) {
    $("map-function").value = fid;
    drawMap();
    $("explain-section").hidden = false;
    $("explain-title").textContent = "Explanation of " + fid;
    $("explain").replaceChildren(el("p", { class: "note", text: "Click an area on the map to explain " + fid + " there." }));
  } else explain(fid);
}

async function drawMap() {
  const fid = $("map-function").value, level = $("map-level").value, req = state.req;
  const my = state.seq, mine = ++state.mapSeq;  // only the latest map request draws
  $("map-section").hidden = false;
  try {
    const m = await api("/api/map", Object.assign({}, req, { function: fid, level }));
    if (my !== state.seq || mine !== state.mapSeq) return;
    const box = $("map");
    box.innerHTML = m.svg;
    box.dataset.function = fid;
    for (const path of box.querySelectorAll("path")) {
      path.addEventListener("click", () => {
        const area = (path.dataset.areas || "").split(" ").filter(Boolean)[0];
        if (area) explain(fid, area);
      });
    }
    const used = new Set(m.hexes.map((h) => h.tier).filter(Boolean));
    $("legend").replaceChildren(...state.meta.tiers.filter((t) => used.has(t.id)).map((t) =>
      el("span", {}, el("i", { class: "swatch", style: "background:" + t.colour }), t.name)));
  } catch (e) { setStatus(e.message, "error"); }
}

async function explain(fid, area) {
  const box = $("explain"), sec = $("explain-section"), mine = ++state.explainSeq;
  sec.hidden = false;
  delete box.dataset.function;
  $("explain-title").textContent = "Explanation of " + fid + (area ? " in " + area : "");
  box.replaceChildren(el("p", { class: "note", text: "explaining…" }));
  try {
    const body = Object.assign({}, state.req, { function: fid });
    if (area) body.area = area;
    const e = await api("/api/explain", body);
    if (mine !== state.explainSeq) return;  // a later click asked for another
    box.replaceChildren();
    box.dataset.function = fid;
    const margin = e.tiers.filter((t) => t.status === "forced").map((t) => t.forcing_cost);
    box.append(el("p", { id: "explain-summary", text: fid + (e.area_name ? " in " + e.area_name : "") + " sits at " + e.tier +
      "; runner-up " + (e.runner_up || "none") + (margin.length ? ", margin " + fmt(Math.min(...margin)) : "") + "." }));
    const t = el("table", {});
    t.append(el("tr", {}, ...["tier", "status", "value there", "forcing cost", "why not"].map((h) => el("th", { text: h }))));
    for (const o of e.tiers) {
      t.append(el("tr", {}, el("td", { text: o.tier }), el("td", { text: o.status }),
        el("td", { class: "num", text: fmt(o.value) }), el("td", { class: "num", text: fmt(o.forcing_cost) }),
        el("td", { text: o.reason || "" })));
    }
    box.append(t);
    if (e.contributions) {
      const c = el("table", {});
      const crit = Object.keys(e.contributions.chosen || {});
      c.append(el("tr", {}, el("th", { text: "criterion" }), el("th", { class: "num", text: "at " + e.tier }),
        el("th", { class: "num", text: "at " + (e.runner_up || "–") })));
      for (const k of crit) {
        c.append(el("tr", {}, el("td", { text: k }), el("td", { class: "num", text: fmt(e.contributions.chosen[k]) }),
          el("td", { class: "num", text: fmt((e.contributions.runner_up || {})[k]) })));
      }
      box.append(el("h3", { text: "Criterion contributions" }), c);
    }
  } catch (err) {
    if (mine === state.explainSeq) box.replaceChildren(el("p", { class: "status error", text: err.message }));
  }
}

// -- downloads and the command line ----------------------------------------------------
function save(blob, name) {
  const a = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a); a.click(); a.remove();
}

async function download(path, extra, name) {
  const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(Object.assign({}, state.req, extra || {})) });
  if (!r.ok) { setStatus((await r.json()).error, "error"); return; }
  save(await r.blob(), name);
}

function commandLine() {
  const req = state.req || {}, path = state.meta.path;
  if (req.budgets || req.caps || req.heterogeneity !== undefined) {
    return "placement solve " + path + " --scenario " + (req.scenario ? req.scenario + "-page" : "page") +
      "   (after pasting the scenario TOML into instance.toml)";
  }
  let cmd = "placement solve " + path + (req.scenario ? " --scenario " + req.scenario : "");
  for (const [k, v] of Object.entries(req.weights || {})) cmd += " --weight " + k + "=" + v;
  return cmd;
}

async function start() {
  try {
    state.meta = await api("/api/instance");
  } catch (e) { setStatus(e.message, "error"); return; }
  const m = state.meta;
  document.title = "placement serve: " + m.name;
  $("title").textContent = m.name;
  $("description").textContent = m.description;
  buildInputs();
  resetInputs();
  $("scenario").addEventListener("change", () => { resetInputs(); schedule(); });
  $("reset").addEventListener("click", () => { resetInputs(); schedule(); });
  for (const f of m.functions) $("map-function").append(el("option", { value: f.id, text: f.name || f.id }));
  for (const lv of m.map_levels) $("map-level").append(el("option", { value: lv, text: lv === "utla" ? "by upper-tier authority" : "by integrated care board" }));
  $("map-function").addEventListener("change", () => pickFunction($("map-function").value));
  $("map-level").addEventListener("change", drawMap);
  $("dl-toml").addEventListener("click", () => download("/api/scenario.toml", {}, m.name + "-scenario.toml"));
  $("dl-csv").addEventListener("click", () => download("/api/result.csv", {}, m.name + ".csv"));
  $("dl-csv-area").addEventListener("click", () => download("/api/result.csv", { by_area: true }, m.name + "-by-area.csv"));
  $("dl-xlsx").addEventListener("click", () => download("/api/result.xlsx", {}, m.name + ".xlsx"));
  $("dl-json").addEventListener("click", () => save(new Blob([JSON.stringify(state.result, null, 2)], { type: "application/json" }), m.name + ".json"));
  if (m.per_area) state.fn = null;
  await solve();
}

start();
