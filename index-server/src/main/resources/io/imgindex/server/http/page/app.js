// The search page of an imgindex server (shard server or router): plain JavaScript, no build step, no network
// but this server. Every value from the index is put on the page as text (textContent), never as HTML.

const $ = (id) => document.getElementById(id);
const FIELDS = "metadata,duplicates,thumbnail_url";
let columns = {};
let selected = null;

/** Calls the API; throws an Error with the server's message for anything but 2xx. */
async function api(path, options = {}) {
  const res = await fetch(path, options);
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch (e) {
    body = null;
  }
  if (!res.ok) {
    const error = new Error((body && body.error) || `${res.status} ${res.statusText}`);
    error.status = res.status;
    throw error;
  }
  return body;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.entries(props).forEach(([k, v]) => {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("aria") || k === "role" || k.startsWith("data")) node.setAttribute(k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase()), v);
    else node[k] = v;
  });
  children.flat().filter((c) => c != null).forEach((c) => node.append(c));
  return node;
}

function status(message, error = false) {
  $("status").textContent = message;
  $("status").classList.toggle("error", error);
}

/** The filter the filter fields describe, or null: equality on string columns, a range on number columns. */
function currentFilter() {
  const filter = {};
  for (const [name, type] of Object.entries(columns)) {
    if (type === "number") {
      const range = {};
      const min = $(`f-${name}-min`).value.trim();
      const max = $(`f-${name}-max`).value.trim();
      if (min !== "") range.gte = Number(min);
      if (max !== "") range.lte = Number(max);
      if (Object.keys(range).length) filter[name] = range;
    } else {
      const v = $(`f-${name}`).value.trim();
      if (v !== "") filter[name] = v;
    }
  }
  return Object.keys(filter).length ? filter : null;
}

function params() {
  const p = new URLSearchParams({ k: $("k").value, fields: FIELDS });
  const filter = currentFilter();
  if (filter) p.set("filter", JSON.stringify(filter));
  return p;
}

function imageSource(hit) {
  if (hit.thumbnail_url) return hit.thumbnail_url;
  return /^https?:/i.test(hit.url || "") ? hit.url : null;
}

function showResults(answer, what) {
  const grid = $("results");
  grid.replaceChildren();
  const results = answer.results || [];
  status(`${results.length} result${results.length === 1 ? "" : "s"} for ${what}` +
    (answer.partial ? ` (partial: shards ${answer.missing_shards.join(", ")} did not answer)` : "") +
    ` — generation ${answer.generation}, ${answer.took_ms} ms`);
  results.forEach((hit) => {
    const src = imageSource(hit);
    const meta = Object.entries(hit.metadata || {}).map(([k, v]) => `${k}: ${v}`).join(" · ");
    const dups = hit.duplicates && hit.duplicates.length
      ? ` · ${hit.duplicates.length} duplicate${hit.duplicates.length === 1 ? "" : "s"}` : "";
    const pick = el("button", {
      className: "pick", type: "button",
      ariaLabel: `${hit.id}, score ${hit.score.toFixed(3)}: search by it and show its duplicates`,
    },
      src ? el("img", { src, alt: hit.metadata && hit.metadata.title ? hit.metadata.title : hit.id, loading: "lazy" })
        : el("div", { className: "noimage", text: "no thumbnail" }),
      el("span", { className: "id", text: hit.id }),
      el("span", { className: "score", text: `score ${hit.score.toFixed(4)}${dups}` }),
      meta ? el("span", { className: "meta", text: meta, title: meta }) : null);
    pick.addEventListener("click", () => {
      select(hit.id);
      bySimilar(hit.id);
    });
    const source = /^https?:/i.test(hit.url || "")
      ? el("a", { className: "source", href: hit.url, text: "source", rel: "noopener noreferrer", target: "_blank", ariaLabel: `source of ${hit.id}` })
      : el("span", { className: "source", text: hit.url || "", title: hit.url || "" });
    grid.append(el("article", { className: "result", dataId: hit.id }, pick, source));
  });
}

/** Shows an item with its duplicate group, and offers to search by it. */
async function select(id) {
  selected = id;
  const panel = $("detail");
  try {
    const item = await api(`/v1/items/${encodeURIComponent(id)}`);
    if (selected !== id) return;
    const facts = el("dl");
    const add = (k, v) => { if (v != null && v !== "") facts.append(el("dt", { text: k }), el("dd", { text: String(v) })); };
    add("id", item.id);
    add("size", item.width ? `${item.width} × ${item.height} ${item.format}` : null);
    add("bytes", item.bytes);
    add("ingested", item.ingested_at);
    add("shard", item.shard);
    Object.entries(item.metadata || {}).forEach(([k, v]) => add(k, v));
    const src = item.thumbnail_url || (/^https?:/i.test(item.url) ? item.url : null);
    const dups = item.duplicates || [];
    const list = el("ul", { ariaLabel: "Duplicates" }, dups.map((d) => el("li", { className: "dup" },
      d.thumbnail_url ? el("img", { src: d.thumbnail_url, alt: `duplicate ${d.id}` }) : null,
      el("span", { text: `${d.id} — ${d.match === "exact" ? "exact copy (same bytes)" : "near-duplicate"}, similarity ${Number(d.similarity).toFixed(3)} ` }),
      /^https?:/i.test(d.url) ? el("a", { href: d.url, text: "source", rel: "noopener noreferrer", target: "_blank" }) : el("span", { text: d.url }))));
    panel.replaceChildren(
      el("h2", { text: item.id }),
      src ? el("img", { src, alt: (item.metadata && item.metadata.title) || item.id }) : null,
      facts,
      /^https?:/i.test(item.url) ? el("a", { href: item.url, text: "Open the source image", rel: "noopener noreferrer", target: "_blank" }) : el("p", { className: "hint", text: item.url }),
      el("h3", { text: dups.length ? `Duplicate group: ${dups.length} recorded duplicate${dups.length === 1 ? "" : "s"}` : "No recorded duplicates" }),
      dups.length ? list : null,
      el("button", { type: "button", id: "similar-button", text: "Search similar to this item", onclick: () => bySimilar(item.id) }));
    panel.hidden = false;
    $("layout").classList.add("with-detail");
  } catch (e) {
    status(`Could not read ${id}: ${e.message}`, true);
  }
}

async function run(what, call) {
  status(`Searching ${what}…`);
  try {
    showResults(await call(), what);
  } catch (e) {
    $("results").replaceChildren();
    status(`Search failed: ${e.message}`, true);
  }
}

function byImage(file) {
  if (!file || !file.type.startsWith("image/")) {
    status("That is not an image file.", true);
    return;
  }
  run(`the image ${file.name || "pasted"}`, () => api(`/v1/search/image?${params()}`, {
    method: "POST", headers: { "Content-Type": file.type }, body: file,
  }));
}

function byUrl(url) {
  const p = params();
  const body = { url, k: Number(p.get("k")), fields: FIELDS.split(",") };
  if (p.get("filter")) body.filter = JSON.parse(p.get("filter"));
  run(url, () => api("/v1/search/image", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  }));
}

function bySimilar(id) {
  $("item-id").value = id;
  run(`items similar to ${id}`, () => api(`/v1/items/${encodeURIComponent(id)}/similar?${params()}`));
}

function buildFilters(metadataColumns) {
  columns = metadataColumns || {};
  const box = $("filters");
  const names = Object.keys(columns).sort();
  $("no-filters").hidden = names.length > 0;
  names.forEach((name) => {
    if (columns[name] === "number") {
      box.append(
        el("label", { htmlFor: `f-${name}-min`, text: `${name} from` }),
        el("input", { id: `f-${name}-min`, type: "number", ariaLabel: `${name}, at least` }),
        el("label", { htmlFor: `f-${name}-max`, text: `${name} to` }),
        el("input", { id: `f-${name}-max`, type: "number", ariaLabel: `${name}, at most` }));
    } else {
      box.append(
        el("label", { htmlFor: `f-${name}`, text: name }),
        el("input", { id: `f-${name}`, type: "text", placeholder: "any", ariaLabel: `${name} equals` }));
    }
  });
}

function showAbout(info) {
  const dl = $("about-facts");
  dl.replaceChildren();
  const add = (k, v) => { if (v != null) dl.append(el("dt", { text: k }), el("dd", { text: typeof v === "object" ? JSON.stringify(v) : String(v) })); };
  add("index", info.name);
  add("generation", info.generation != null ? `${info.generation}${info.pinned ? " (pinned)" : ""}` : null);
  add("model", info.model ? `${info.model.id}, ${info.model.dimension} dimensions, ${info.model.metric}` : null);
  add("vectors", info.vectors);
  add("shards", info.shards_loaded ? `${info.shards_loaded.join(", ")} of ${info.shards_total}` : null);
  if (info.counts) {
    const c = info.counts;
    add("read", c.read);
    add("indexed", c.indexed);
    add("duplicates", c.duplicates);
    add("failed", c.failed);
    Object.entries(c.failed_by_reason || {}).forEach(([reason, n]) => add(`failed: ${reason}`, n));
  }
  if (info.generations) add("generations", info.generations.join(", "));
  if (info.backends) add("backends", info.backends.map((b) => `${b.backend}${b.ready ? "" : " (not answering)"}`).join(", "));
  const generation = info.generation != null ? info.generation : (info.generations || []).join(" and ");
  const served = info.vectors != null
    ? `${info.name || "index"} · generation ${generation} · ${info.vectors} items`
    : "no backend answering yet";
  $("summary").textContent = info.router ? `${served} · router` : served;
  // A router answers searches only: generations are switched on its shard servers.
  $("admin").hidden = Boolean(info.router);
}

/** Shows the index once it is served; a server still loading (503) is asked again, less often each time. */
async function loadIndex(delay = 1000) {
  try {
    const info = await api("/v1/index");
    showAbout(info);
    if (info.router && info.model == null) {
      setTimeout(() => loadIndex(Math.min(delay * 2, 10000)), delay); // no backend has answered the router yet
      return;
    }
    buildFilters(info.metadata_columns);
  } catch (e) {
    const again = e.status === 503;
    $("summary").textContent = `Not ready: ${e.message}${again ? " (asking again)" : ""}`;
    if (again) setTimeout(() => loadIndex(Math.min(delay * 2, 10000)), delay);
  }
}

async function init() {
  loadIndex();
  const drop = $("drop");
  $("file").addEventListener("change", (e) => byImage(e.target.files[0]));
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("file").click(); } });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); byImage(e.dataTransfer.files[0]); });
  document.addEventListener("paste", (e) => {
    const file = [...(e.clipboardData ? e.clipboardData.files : [])].find((f) => f.type.startsWith("image/"));
    if (file) byImage(file);
  });
  $("by-url").addEventListener("submit", (e) => { e.preventDefault(); byUrl($("url").value.trim()); });
  $("by-id").addEventListener("submit", (e) => { e.preventDefault(); bySimilar($("item-id").value.trim()); });
  const token = $("token");
  token.addEventListener("input", () => { $("switch-button").disabled = token.value === ""; });
  $("switch").addEventListener("submit", async (e) => {
    e.preventDefault();
    const g = $("generation").value.trim();
    try {
      const answer = await api("/admin/generation", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token.value}` },
        body: JSON.stringify({ generation: g === "latest" ? "latest" : Number(g) }),
      });
      status(`Now serving generation ${answer.generation}${answer.pinned ? " (pinned)" : ""}.`);
      showAbout(await api("/v1/index"));
    } catch (err) {
      status(`Switch refused: ${err.message}`, true);
    }
  });
}

init();
