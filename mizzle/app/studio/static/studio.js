// mizzle studio: the page. Plain JavaScript, no build step, nothing loaded from elsewhere.
// Every text from a database is set with textContent: a hostile name or value stays text.
"use strict";

const TOKEN = document.querySelector('meta[name="mizzle-token"]').content;
const state = {
  db: 0, readOnly: false, relations: [], relation: null,
  sort: null, desc: false, filters: [], after: null, offset: 0, pages: [], rows: [], columns: [],
  zoom: 1, svgText: "", running: null,
};
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

async function api(path, body) {
  const init = { headers: { "X-Mizzle-Token": TOKEN } };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const type = response.headers.get("content-type") || "";
  const payload = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const error = new Error(typeof payload === "string" ? payload : payload.error);
    error.payload = payload;
    throw error;
  }
  return payload;
}

function showError(message) {
  const box = $("error");
  box.hidden = !message;
  box.textContent = message || "";
}

async function guarded(run) {
  try { showError(""); await run(); } catch (err) { showError(err.message); }
}

// ---- databases and tabs --------------------------------------------------------------------
async function start() {
  const info = await api("/api/databases");
  state.readOnly = info.read_only;
  $("mode").textContent = info.read_only ? "read-only" : "";
  for (const db of info.databases) $("database").append(el("option", { value: db.id }, `${db.dialect}: ${db.url}`));
  $("database").addEventListener("change", () => guarded(async () => { state.db = Number($("database").value); await loadRelations(); refreshTab(); }));
  for (const button of document.querySelectorAll("nav button")) {
    button.addEventListener("click", () => selectTab(button.dataset.tab));
  }
  if (!info.has_schema) $("erd-source").value = "database";
  wireData(); wireSql(); wireSchema(); wireSync();
  document.body.dataset.readOnly = String(state.readOnly);
  await guarded(loadRelations);
  document.body.dataset.ready = "true";
}

let currentTab = "data";
function selectTab(name) {
  currentTab = name;
  for (const button of document.querySelectorAll("nav button")) button.classList.toggle("active", button.dataset.tab === name);
  for (const section of document.querySelectorAll(".tab")) section.hidden = section.id !== `tab-${name}`;
  refreshTab();
}

function refreshTab() {
  if (currentTab === "schema") guarded(loadErd);
  if (currentTab === "migrations") guarded(loadMigrations);
  if (currentTab === "sql") renderHistory();
  if (currentTab === "sync") guarded(loadSyncTables);
}

// ---- Data ------------------------------------------------------------------------------------
async function loadRelations() {
  state.relations = await api(`/api/db/${state.db}/relations`);
  const list = $("relations");
  list.replaceChildren();
  for (const rel of state.relations) {
    const item = el("li", { "data-name": rel.name, onclick: () => guarded(() => openRelation(rel.name)) },
      el("span", {}, rel.name + (rel.kind === "view" ? " (view)" : "")), el("span", { class: "count" }, rel.rows.toLocaleString("en")));
    list.append(item);
  }
  if (state.relations.length) await openRelation(state.relation && state.relations.some((r) => r.name === state.relation.name) ? state.relation.name : state.relations[0].name);
}

async function openRelation(name, filters = []) {
  state.relation = state.relations.find((r) => r.name === name);
  state.sort = null; state.desc = false; state.filters = filters; state.after = null; state.offset = 0; state.pages = [];
  for (const li of $("relations").children) li.classList.toggle("active", li.dataset.name === name);
  $("relation-name").textContent = name;
  $("filter-column").replaceChildren(...state.relation.columns.map((c) => el("option", { value: c.name }, c.name)));
  $("insert-row").disabled = state.readOnly || state.relation.kind !== "table" || !state.relation.primary_key.length;
  await loadPage();
}

async function loadPage() {
  const rel = state.relation;
  const page = await api(`/api/db/${state.db}/rows`, {
    table: rel.name, sort: state.sort, desc: state.desc, filters: state.filters,
    after: state.after, offset: state.offset, limit: 50,
  });
  state.columns = page.columns; state.rows = page.rows; state.next = page;
  renderFilters();
  renderRows();
  $("last-sql").textContent = page.sql;
  $("next-page").disabled = page.next_after === null && page.next_offset === null;
  $("page-info").textContent = `page ${state.pages.length + 1}, ${page.rows.length} rows`;
}

function renderFilters() {
  $("filters").replaceChildren(...state.filters.map((f, i) => el("span", { class: "chip" },
    `${f.column} ${f.op} ${f.value ?? ""}`,
    el("button", { title: "remove", onclick: () => guarded(async () => { state.filters.splice(i, 1); state.after = null; state.offset = 0; state.pages = []; await loadPage(); }) }, "×"))));
}

function columnInfo(name) { return state.relation.columns.find((c) => c.name === name) || { name, kind: "text" }; }

function renderRows() {
  const rel = state.relation;
  const editable = !state.readOnly && rel.kind === "table" && rel.primary_key.length > 0;
  const head = el("tr", {}, ...(editable ? [el("th", {}, "")] : []), ...state.columns.map((name) => el("th", {
    onclick: () => guarded(async () => {
      state.desc = state.sort === name ? !state.desc : false; state.sort = name;
      state.after = null; state.offset = 0; state.pages = []; await loadPage();
    }),
  }, name + (state.sort === name ? (state.desc ? " ▼" : " ▲") : ""))));
  const body = state.rows.map((row) => {
    const cells = row.map((value, i) => {
      const info = columnInfo(state.columns[i]);
      if (value === null) return el("td", { class: "null" }, "NULL");
      if (info.ref) {
        return el("td", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); guarded(() => openRelation(info.ref.table, [{ column: info.ref.column, op: "=", value }])); } }, String(value)));
      }
      return el("td", { title: String(value) }, String(value));
    });
    const actions = editable ? [el("td", {},
      el("button", { class: "edit", onclick: () => openForm("update", row) }, "Edit"), " ",
      el("button", { class: "delete", onclick: () => guarded(() => deleteRow(row)) }, "Delete"))] : [];
    return el("tr", {}, ...actions, ...cells);
  });
  $("rows").replaceChildren(el("thead", {}, head), el("tbody", {}, ...body));
}

function keyOf(row) {
  const key = {};
  for (const name of state.relation.primary_key) key[name] = row[state.columns.indexOf(name)];
  return key;
}

function showChange(done) {
  $("last-sql").textContent = `${done.sql}\n-- parameters: ${JSON.stringify(done.params)}`;
}

async function deleteRow(row) {
  const key = keyOf(row);
  if (!confirm(`Delete the row ${JSON.stringify(key)} of ${state.relation.name}?`)) return;
  const done = await api(`/api/db/${state.db}/change/delete`, { table: state.relation.name, key });
  await reloadAfterChange(done);
}

async function reloadAfterChange(done) {
  const sql = `${done.sql}\n-- parameters: ${JSON.stringify(done.params)}`;
  await loadRelationCounts();
  await loadPage();
  $("last-sql").textContent = sql;
}

async function loadRelationCounts() {
  state.relations = await api(`/api/db/${state.db}/relations`);
  state.relation = state.relations.find((r) => r.name === state.relation.name) || state.relation;
  for (const li of $("relations").children) {
    const rel = state.relations.find((r) => r.name === li.dataset.name);
    if (rel) li.querySelector(".count").textContent = rel.rows.toLocaleString("en");
  }
}

// the form: one field per column, typed by the column's kind
const INTEGER_KINDS = ["smallint", "integer", "bigint", "serial", "bigserial"];
function fieldFor(column, value, mode) {
  const id = `field-${column.name}`;
  let input;
  if (column.kind === "boolean" && !column.array) {
    input = el("input", { type: "checkbox", id });
    input.checked = value === true || value === 1;
  } else if (column.enum) {
    input = el("select", { id }, ...column.enum.map((v) => el("option", { value: v }, v)));
    if (value !== null && value !== undefined) input.value = value;
  } else if (["json", "jsonb"].includes(column.kind) || column.array) {
    input = el("textarea", { id, rows: 3 });
    input.value = value ?? "";
  } else {
    input = el("input", { type: "text", id });
    input.value = value ?? "";
  }
  input.dataset.column = column.name;
  const nullBox = el("input", { type: "checkbox", class: "is-null", title: "NULL" });
  nullBox.checked = value === null && mode === "update";
  const skipBox = el("input", { type: "checkbox", class: "use-default", title: "default" });
  skipBox.checked = mode === "insert" && column.has_default;
  const extras = [];
  if (column.nullable) extras.push(el("label", {}, nullBox, " NULL"));
  if (mode === "insert") extras.push(el("label", {}, skipBox, " default"));
  return el("div", { class: "field-block" }, el("label", { for: id }, `${column.name} (${column.type}${column.nullable ? "" : ", not null"})`),
    el("div", { class: "field" }, input, ...extras));
}

function readField(block, column) {
  const input = block.querySelector("[data-column]");
  const nullBox = block.querySelector(".is-null");
  if (nullBox && nullBox.checked) return null;
  if (column.kind === "boolean" && !column.array) return input.checked;
  const text = input.value;
  if (column.array) return JSON.parse(text);
  if (["json", "jsonb"].includes(column.kind)) { JSON.parse(text); return text; }
  if (["real", "double"].includes(column.kind)) {
    const n = Number(text);
    if (text.trim() === "" || Number.isNaN(n)) throw new Error(`${column.name}: expects a number`);
    return n;
  }
  return text; // integers and numerics go as text: JSON numbers lose digits past 2^53
}

// A field still holding what the row held is not sent: integers come back from the form as text.
function unchanged(value, original) {
  if (value === original) return true;
  if (value === null || original === null) return false;
  if (typeof original === "number" && typeof value === "string") return value.trim() === String(original);
  return JSON.stringify(value) === JSON.stringify(original);
}

let formAction = null;
function openForm(mode, row) {
  const rel = state.relation;
  $("row-form-title").textContent = mode === "insert" ? `Insert into ${rel.name}` : `Edit ${rel.name} ${JSON.stringify(keyOf(row))}`;
  $("row-form-error").textContent = "";
  const blocks = rel.columns.map((c) => fieldFor(c, row ? row[state.columns.indexOf(c.name)] : null, mode));
  $("row-form-fields").replaceChildren(...blocks);
  formAction = async () => {
    const values = {};
    rel.columns.forEach((column, i) => {
      const block = blocks[i];
      const skip = block.querySelector(".use-default");
      if (skip && skip.checked) return;
      const value = readField(block, column);
      if (mode === "update" && unchanged(value, row[state.columns.indexOf(column.name)])) return;
      values[column.name] = value;
    });
    if (mode === "update" && !Object.keys(values).length) return;
    const body = mode === "insert" ? { table: rel.name, values } : { table: rel.name, key: keyOf(row), values };
    const done = await api(`/api/db/${state.db}/change/${mode}`, body);
    await reloadAfterChange(done);
  };
  $("row-form").showModal();
}

function wireData() {
  $("filter-add").addEventListener("click", () => guarded(async () => {
    const op = $("filter-op").value;
    const filter = { column: $("filter-column").value, op };
    if (op !== "null" && op !== "not null") filter.value = $("filter-value").value;
    state.filters.push(filter); state.after = null; state.offset = 0; state.pages = [];
    await loadPage();
  }));
  $("next-page").addEventListener("click", () => guarded(async () => {
    state.pages.push({ after: state.after, offset: state.offset });
    state.after = state.next.next_after; state.offset = state.next.next_offset ?? 0;
    await loadPage();
  }));
  $("first-page").addEventListener("click", () => guarded(async () => { state.after = null; state.offset = 0; state.pages = []; await loadPage(); }));
  $("insert-row").addEventListener("click", () => openForm("insert", null));
  $("row-form-save").addEventListener("click", async (event) => {
    event.preventDefault();
    try { await formAction(); $("row-form").close(); } catch (err) { $("row-form-error").textContent = err.message; }
  });
}

// ---- SQL ---------------------------------------------------------------------------------------
const HISTORY_KEY = "mizzle-studio-sql-history";
function history() { try { return JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]"); } catch { return []; } }
function renderHistory() {
  $("sql-history").replaceChildren(...history().map((text) => el("li", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); $("sql-text").value = text; } }, text))));
}

function wireSql() {
  $("sql-run").disabled = state.readOnly;
  if (state.readOnly) $("sql-status").textContent = "the SQL editor is off in --read-only";
  $("sql-run").addEventListener("click", () => guarded(async () => {
    const text = $("sql-text").value;
    const id = `q${Date.now()}${Math.random().toString(16).slice(2)}`;
    state.running = id;
    $("sql-run").disabled = true; $("sql-cancel").disabled = false;
    $("sql-status").textContent = "running…";
    const saved = [text, ...history().filter((t) => t !== text)].slice(0, 50);
    localStorage.setItem(HISTORY_KEY, JSON.stringify(saved));
    renderHistory();
    try {
      const result = await api(`/api/db/${state.db}/sql`, { sql: text, id });
      $("sql-status").textContent = `${result.rows.length} rows${result.truncated ? " (first rows only)" : ""}, ${result.duration_ms} ms` + (result.columns.length ? "" : `, ${result.rowcount} changed`);
      $("sql-result").replaceChildren(el("thead", {}, el("tr", {}, ...result.columns.map((c) => el("th", {}, c)))),
        el("tbody", {}, ...result.rows.map((row) => el("tr", {}, ...row.map((v) => v === null ? el("td", { class: "null" }, "NULL") : el("td", {}, String(v)))))));
    } catch (err) {
      const line = err.payload && err.payload.line ? ` (line ${err.payload.line})` : "";
      $("sql-status").textContent = `error${line}: ${err.message}`;
      $("sql-status").className = "error";
      $("sql-result").replaceChildren();
      return;
    } finally {
      state.running = null; $("sql-run").disabled = false; $("sql-cancel").disabled = true;
    }
    $("sql-status").className = "";
  }));
  $("sql-cancel").addEventListener("click", () => guarded(async () => {
    if (state.running) await api(`/api/db/${state.db}/sql/cancel`, { id: state.running });
  }));
}

// ---- Schema ------------------------------------------------------------------------------------
async function loadErd() {
  const source = $("erd-source").value;
  const text = await api(`/api/db/${state.db}/erd.svg?source=${source}`);
  state.svgText = text;
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const svg = document.importNode(doc.documentElement, true);
  state.baseWidth = Number(svg.getAttribute("width")); state.baseHeight = Number(svg.getAttribute("height"));
  $("erd").replaceChildren(svg);
  applyZoom();
  const link = $("erd-export");
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  for (const group of svg.querySelectorAll("g.table")) {
    group.addEventListener("click", () => guarded(() => showTable(group.dataset.table)));
  }
}

function applyZoom() {
  const svg = $("erd").querySelector("svg");
  if (!svg) return;
  svg.setAttribute("width", String(state.baseWidth * state.zoom));
  svg.setAttribute("height", String(state.baseHeight * state.zoom));
}

async function showTable(name) {
  const source = $("erd-source").value;
  const detail = await api(`/api/db/${state.db}/tables/${encodeURIComponent(name)}?source=${source}`);
  const rows = detail.columns.map((c) => el("tr", {}, el("td", {}, c.name), el("td", {}, c.type), el("td", {}, c.nullable ? "" : "not null"),
    el("td", {}, detail.primary_key.includes(c.name) ? "PK" : ""), el("td", {}, c.ref ? `→ ${c.ref.table}.${c.ref.column}` : "")));
  const list = (title, items) => items.length ? [el("h4", {}, title), el("ul", {}, ...items.map((i) => el("li", {}, i)))] : [];
  const ddl = Object.entries(detail.ddl).map(([dialect, statements]) => el("div", { class: `ddl-${dialect}` }, el("h4", {}, dialect),
    el("pre", {}, Array.isArray(statements) ? statements.map((s) => s.trim().replace(/;$/, "") + ";").join("\n\n") : statements)));
  $("table-detail").replaceChildren(el("h3", {}, `${detail.name}${detail.sync ? " (sync table)" : ""}`),
    el("table", {}, el("tbody", {}, ...rows)),
    ...list("Indexes", detail.indexes.map((i) => `${i.name}${i.unique ? " (unique)" : ""}: ${i.keys.join(", ")}`)),
    ...list("Unique", detail.uniques.map((u) => `${u.name}: ${u.columns.join(", ")}`)),
    ...list("Checks", detail.checks.map((c) => `${c.name}: ${c.expr}`)),
    ...(detail.row_security !== "off" ? [el("h4", {}, `Row level security: ${detail.row_security}`)] : []),
    ...list("Policies", detail.policies.map((p) => `${p.name}: ${p.permissive ? "permissive" : "restrictive"} ${p.command} to ${p.roles.join(", ")}`
      + (p.using ? ` using (${p.using})` : "") + (p.check ? ` with check (${p.check})` : ""))),
    ...list("Triggers", detail.triggers.map((t) => `${t.name}${t.state !== "enabled" ? ` (${t.state})` : ""}: `
      + [t.postgresql && "PostgreSQL", t.sqlite && "SQLite"].filter(Boolean).join(" and "))),
    el("h4", {}, "DDL"), el("div", { class: "ddl" }, ...ddl));
}

function wireSchema() {
  $("erd-source").addEventListener("change", () => guarded(loadErd));
  $("zoom-in").addEventListener("click", () => { state.zoom = Math.min(4, state.zoom * 1.25); applyZoom(); });
  $("zoom-out").addEventListener("click", () => { state.zoom = Math.max(0.2, state.zoom / 1.25); applyZoom(); });
  $("zoom-fit").addEventListener("click", () => { state.zoom = 1; applyZoom(); });
}

// ---- Migrations --------------------------------------------------------------------------------
async function loadMigrations() {
  const box = $("migrations");
  box.replaceChildren(el("p", {}, "loading…"));
  const [history, drift] = await Promise.all([api(`/api/db/${state.db}/migrations`), api(`/api/db/${state.db}/drift`)]);
  const parts = [];
  if (!history.folder) parts.push(el("p", {}, "No migrations folder."));
  else {
    parts.push(el("h3", {}, `Applied (${history.applied.length})`),
      el("table", { id: "applied" }, el("thead", {}, el("tr", {}, el("th", {}, "migration"), el("th", {}, "applied at"), el("th", {}, "duration"), el("th", {}, "checksum"))),
        el("tbody", {}, ...history.applied.map((a) => el("tr", {}, el("td", {}, a.name), el("td", {}, a.applied_at), el("td", {}, `${a.duration_ms} ms`), el("td", {}, a.checksum.slice(0, 12)))))),
      el("h3", {}, `Pending (${history.pending.length})`),
      el("ul", { id: "pending" }, ...history.pending.map((p) => el("li", { class: "pending" }, p))));
    if (history.problems.length) parts.push(el("h3", {}, "Problems"), el("ul", { id: "problems", class: "error" }, ...history.problems.map((p) => el("li", {}, p))));
    parts.push(el("h3", {}, "Migrations"), ...history.migrations.map((m) => el("details", {},
      el("summary", {}, `${m.name}${m.applied ? "" : " (pending)"}`),
      el("h4", {}, "up"), el("pre", { class: "sql" }, m.sql ?? "(none for this database)"),
      el("h4", {}, "down"), el("pre", { class: "sql" }, m.down_sql ?? "(none)"))));
  }
  parts.push(el("h3", {}, "Drift"));
  if (!drift.schema) parts.push(el("p", {}, "No schema file in the config: nothing to compare with."));
  else if (!drift.differences.length) parts.push(el("p", { id: "drift" }, "The database matches the schema."));
  else parts.push(el("ul", { id: "drift" }, ...drift.differences.map((d) => el("li", {}, d))),
    el("p", {}, "What `mizzle push` would run:"), el("pre", { class: "sql", id: "drift-sql" }, drift.sql));
  box.replaceChildren(...parts);
}

// ---- Sync ----------------------------------------------------------------------------------------
async function loadSyncTables() {
  const info = await api(`/api/db/${state.db}/sync`);
  const select = $("sync-table");
  const chosen = select.value;
  select.replaceChildren(...info.tables.map((t) => el("option", { value: t }, t)));
  if (info.tables.includes(chosen)) select.value = chosen;
  $("sync-summary").textContent = info.tables.length ? "" : "No sync table in this database.";
}

async function pullChanges() {
  const table = $("sync-table").value;
  if (!table) return;
  const since = $("sync-since").value.trim();
  const pulled = await api(`/api/db/${state.db}/sync?table=${encodeURIComponent(table)}&since=${encodeURIComponent(since)}`);
  state.syncCursor = pulled.cursor;
  $("sync-cursor").textContent = `next cursor: ${pulled.cursor}`;
  $("sync-next").disabled = false;
  $("sync-summary").textContent = `${pulled.total_rows} rows changed${pulled.total_rows > pulled.rows.length ? ` (first ${pulled.rows.length} shown)` : ""}, ${pulled.deletes.length} deleted`;
  const first = ["sync_version", "last_modified_at", "device_id"];
  const columns = pulled.rows.length ? [...first, ...Object.keys(pulled.rows[0]).filter((c) => !first.includes(c))] : [];
  const cell = (v) => v === null ? el("td", { class: "null" }, "NULL") : el("td", {}, typeof v === "object" ? JSON.stringify(v) : String(v));
  $("sync-rows").replaceChildren(el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", {}, c)))),
    el("tbody", {}, ...pulled.rows.map((row) => el("tr", {}, ...columns.map((c) => cell(row[c]))))));
  $("sync-deletes").replaceChildren(el("thead", {}, el("tr", {}, ...["key", "sync_version", "deleted_at", "device_id"].map((c) => el("th", {}, c)))),
    el("tbody", {}, ...pulled.deletes.map((d) => el("tr", {}, cell(d.pk), cell(d.sync_version), cell(d.deleted_at), cell(d.device_id)))));
}

function wireSync() {
  $("sync-pull").addEventListener("click", () => guarded(pullChanges));
  $("sync-next").addEventListener("click", () => guarded(async () => { $("sync-since").value = state.syncCursor; await pullChanges(); }));
}

start().catch((err) => showError(err.message));
