// The page: pick or drop images, see what they cost from their headers alone (the rows and
// totals of `visionprep cost --format json`), prepare them in a worker, download the results.
// Every number comes from the WebAssembly module; this file only reads files and draws.
import * as vp from "./pkg/index.js";
import { zip } from "./zip.js";

const $ = (id) => document.getElementById(id);

const state = {
  /** [{name, file, found}] in path order. */
  files: [],
  /** The cost report's rows, by file index (null: passed over). */
  rows: [],
  totals: null,
  header: null,
  /** The estimate run in progress; a newer one makes it stop. */
  run: 0,
  worker: null,
  /** Prepared results by file index: {result} or {error}. */
  prepared: [],
  urls: [],
};

// ---------------------------------------------------------------- models and options

const listing = vp.models();
$("version").textContent = vp.version();
$("as-of").textContent = vp.pricesAsOf();

for (const m of listing.models) {
  if (m.status === "retired") continue;
  const label = document.createElement("label");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.name = "model";
  box.value = m.id;
  box.checked = m.id === listing.default_model;
  label.append(box, ` ${m.id}`);
  label.title = `${m.tier} tier, $${m.input_per_mtok} per million input tokens, ${m.status}`;
  $("models").append(label);
}

function chosenModels() {
  const ids = [...document.querySelectorAll('input[name="model"]:checked')].map((b) => b.value);
  return ids.length ? ids : [listing.default_model];
}

function costOptions() {
  return { models: chosenModels(), profile: $("profile").value, tokenRule: $("rule").value };
}

function prepareOptions() {
  const models = chosenModels();
  const target = models.includes($("target").value) ? $("target").value : models[0];
  return { model: target, profile: $("profile").value, tokenRule: $("rule").value };
}

/** The "Prepare for" list: the chosen models, keeping the one picked while it is chosen. */
function drawTargets(models) {
  const select = $("target");
  const keep = models.includes(select.value) ? select.value : models[0];
  select.replaceChildren(...models.map((m) => new Option(m, m, false, m === keep)));
}

$("options").addEventListener("change", () => estimate());
$("options").addEventListener("submit", (e) => e.preventDefault());

// ---------------------------------------------------------------- formatting

const usdFormat = (usd) => `$${usd.toFixed(usd >= 1 ? 2 : 6).replace(/0{1,4}$/, "")}`;
const numbers = new Intl.NumberFormat("en-US");
const group = (n) => numbers.format(n);
/** `n` and the noun, plural unless n is 1: "1 image", "3 images". */
const count = (n, noun) => `${group(n)} ${noun}${n === 1 ? "" : "s"}`;
function humanBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

// ---------------------------------------------------------------- picking and dropping

function setFiles(list) {
  list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  state.files = list;
  estimate();
}

$("files").addEventListener("change", (e) => {
  setFiles([...e.target.files].map((file) => ({ name: file.name, file, found: false })));
});
$("folder").addEventListener("change", (e) => {
  setFiles(
    [...e.target.files].map((file) => ({
      name: file.webkitRelativePath || file.name,
      file,
      found: true,
    })),
  );
});

const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", async (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  const entries = [...e.dataTransfer.items]
    .map((item) => item.webkitGetAsEntry?.())
    .filter(Boolean);
  const list = [];
  if (entries.length) {
    for (const entry of entries) await walk(entry, "", entry.isDirectory, list);
  } else {
    for (const file of e.dataTransfer.files) list.push({ name: file.name, file, found: false });
  }
  setFiles(list);
});

/** Every file under a dropped entry; files inside folders are `found` (non-images skipped). */
async function walk(entry, prefix, found, out) {
  if (entry.isFile) {
    const file = await new Promise((ok, fail) => entry.file(ok, fail));
    out.push({ name: prefix + entry.name, file, found });
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
      if (!batch.length) break;
      for (const child of batch) await walk(child, `${prefix}${entry.name}/`, true, out);
    }
  }
}

// ---------------------------------------------------------------- the cost table

async function estimate() {
  const run = ++state.run;
  resetPrepared();
  let report;
  try {
    report = new vp.CostReport(costOptions());
  } catch (e) {
    $("status").textContent = `Cannot estimate: ${e.message}`;
    return;
  }
  const models = chosenModels();
  state.rows = [];
  state.header = report.header();
  drawHead(models);
  drawTargets(models);
  const body = $("table").tBodies[0];
  body.replaceChildren();
  const started = performance.now();
  const files = state.files;
  $("status").textContent = files.length ? `Reading ${group(files.length)} headers…` : "No images yet.";
  // Then up to 512 files are read at once (two slices each at most: reads are cheap, the browser
  // serves them in parallel). Rows go on screen in path order as soon as every row before
  // them is in: the first screenful at the next frame, later ones twice a second (a table
  // laid out again at every frame would cost more than the reading).
  const done = new Array(files.length);
  let next = 0;
  let shown = 0;
  let lastFlush = 0;
  const flush = () => {
    if (run !== state.run) return;
    lastFlush = performance.now();
    const fragment = document.createDocumentFragment();
    while (shown < files.length && done[shown] !== undefined) {
      const row = done[shown];
      state.rows[shown] = row;
      if (row) fragment.append(drawRow(row, models));
      shown++;
    }
    body.append(fragment);
  };
  let frame = 0;
  const worker = async (upto) => {
    while (next < upto && run === state.run) {
      const i = next++;
      const { name, file, found } = files[i];
      done[i] = await vp.estimateFile(report, file, { name, found }).catch((e) => errorRow(name, file, e));
      const due = shown < first || performance.now() - lastFlush > 500;
      if (due && !frame) frame = requestAnimationFrame(() => ((frame = 0), flush()));
    }
  };
  // The first screenful first, on its own: 512 reads in flight would make it wait for all.
  const first = Math.min(24, files.length);
  await Promise.all(Array.from({ length: first }, () => worker(first)));
  flush();
  // Let the browser paint them before the rest of the reads keep it busy.
  await new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
  await Promise.all(Array.from({ length: Math.min(512, files.length) }, () => worker(files.length)));
  if (run !== state.run) {
    report.free();
    return;
  }
  if (frame) cancelAnimationFrame(frame);
  flush();
  state.totals = report.totals();
  report.free();
  const ms = performance.now() - started;
  drawSummary(models, ms);
  drawHistogram(models[0]);
  $("save-cost").disabled = !files.length;
  $("prepare").disabled = !state.totals.images;
}

/** A row for a file the report could not take (it could not even be read). */
function errorRow(name, file, e) {
  return {
    path: name,
    media_type: null,
    format: null,
    bytes: file.size,
    width: null,
    height: null,
    models: {},
    problems: [],
    error: { code: e.code ?? "unreadable", message: String(e.reason ?? e.message ?? e) },
  };
}

function drawHead(models) {
  const head = $("table").tHead;
  const tr = document.createElement("tr");
  const th = (text, cls) => {
    const h = document.createElement("th");
    h.scope = "col";
    h.textContent = text;
    if (cls) h.className = cls;
    tr.append(h);
  };
  th("File");
  th("Type");
  th("Size", "num");
  th("Pixels", "num");
  for (const m of models) {
    th(`${m}: seen as`, "num");
    th(`${m}: tokens`, "num");
    th(`${m}: USD`, "num");
  }
  th("Problems");
  head.replaceChildren(tr);
}

function drawRow(row, models) {
  const tr = document.createElement("tr");
  tr.dataset.path = row.path;
  cell(tr, row.path, "file");
  cell(tr, row.format ?? "");
  cell(tr, humanBytes(row.bytes), "num");
  if (row.error) {
    tr.className = "error";
    cell(tr, "", "num");
    const td = cell(tr, `${row.error.code}: ${row.error.message}`);
    td.colSpan = models.length * 3 + 1;
    td.dataset.code = row.error.code;
    return tr;
  }
  cell(tr, `${row.width}×${row.height}`, "num");
  for (const m of models) {
    const e = row.models[m];
    cell(tr, `${e.target_width}×${e.target_height}`, "num");
    const t = cell(tr, group(e.tokens), "num");
    t.dataset.model = m;
    t.dataset.tokens = e.tokens;
    const u = cell(tr, usdFormat(e.usd), "num");
    u.dataset.model = m;
    u.dataset.usd = e.usd;
  }
  const p = cell(tr, row.problems.join(", "), "problem");
  p.dataset.problems = row.problems.join(" ");
  return tr;
}

function drawSummary(models, ms) {
  const t = state.totals;
  const skipped = t.skipped ? `, ${count(t.skipped, "non-image file")} passed over` : "";
  const errors = t.errors ? `, ${group(t.errors)} could not be read` : "";
  $("status").textContent =
    `${count(t.images, "image")} (${humanBytes(t.bytes)})${errors}${skipped}; ` +
    `headers read in ${Math.round(ms)} ms.`;
  const box = $("summary");
  box.className = "summary";
  box.replaceChildren();
  for (const m of models) {
    const total = t.models[m];
    if (!total) continue;
    const div = document.createElement("div");
    div.className = "total";
    div.dataset.model = m;
    const per1000 = t.images ? (total.usd / t.images) * 1000 : 0;
    const h = document.createElement("h3");
    h.textContent = m;
    const p1 = document.createElement("p");
    p1.className = "big";
    p1.textContent = usdFormat(total.usd);
    p1.dataset.usd = total.usd;
    const p2 = document.createElement("p");
    p2.textContent = `${group(total.tokens)} tokens`;
    p2.dataset.tokens = total.tokens;
    const p3 = document.createElement("p");
    p3.textContent = `${usdFormat(per1000)} per 1,000 such images`;
    div.append(h, p1, p2, p3);
    box.append(div);
  }
}

/** A histogram of tokens per image for `model`: 12 bins from 0 to the largest. */
function drawHistogram(model) {
  const tokens = state.rows.filter((r) => r && !r.error && r.models[model]).map((r) => r.models[model].tokens);
  const fig = $("histogram");
  fig.hidden = tokens.length < 2;
  if (fig.hidden) return;
  fig.querySelector("figcaption").textContent = `Tokens per image on ${model}`;
  const bins = 12;
  const max = Math.max(...tokens, 1);
  const width = Math.ceil(max / bins);
  const counts = new Array(bins).fill(0);
  for (const t of tokens) counts[Math.min(bins - 1, Math.floor(t / width))]++;
  const most = Math.max(...counts);
  const svg = $("bars");
  svg.setAttribute("viewBox", `0 0 ${bins * 40} 130`);
  svg.setAttribute("preserveAspectRatio", "xMinYMid meet");
  const ns = "http://www.w3.org/2000/svg";
  const title = svg.querySelector("title");
  svg.replaceChildren(title);
  counts.forEach((c, i) => {
    const h = most ? (c / most) * 100 : 0;
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("x", i * 40 + 3);
    rect.setAttribute("y", 110 - h);
    rect.setAttribute("width", 34);
    rect.setAttribute("height", h);
    const tip = document.createElementNS(ns, "title");
    tip.textContent = `${group(i * width)}–${group((i + 1) * width)} tokens: ${c} images`;
    rect.append(tip);
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", i * 40 + 20);
    label.setAttribute("y", 124);
    label.setAttribute("text-anchor", "middle");
    label.textContent = i % 2 === 0 ? group(i * width) : "";
    svg.append(rect, label);
  });
}

$("save-cost").addEventListener("click", () => {
  const report = {
    ...state.header,
    files: state.rows.filter(Boolean),
    totals: state.totals,
  };
  download(new Blob([JSON.stringify(report, null, 1)], { type: "application/json" }), "cost.json");
});

// ---------------------------------------------------------------- prepare

function resetPrepared() {
  cancel();
  state.prepared = [];
  for (const url of state.urls) URL.revokeObjectURL(url);
  state.urls = [];
  $("results").replaceChildren();
  $("prep-status").textContent = "";
  $("progress").value = 0;
  $("save-images").disabled = true;
  $("save-request").disabled = true;
}

function cancel() {
  if (state.worker) {
    state.worker.terminate();
    state.worker = null;
    $("prep-status").textContent = "Cancelled.";
  }
  $("cancel").disabled = true;
  $("prepare").disabled = !state.totals?.images;
}

$("cancel").addEventListener("click", cancel);

$("prepare").addEventListener("click", () => {
  resetPrepared();
  const todo = state.files
    .map((f, index) => ({ ...f, index }))
    .filter((f) => state.rows[f.index] && !state.rows[f.index].error);
  if (!todo.length) return;
  const options = prepareOptions();
  $("prepare").disabled = true;
  $("cancel").disabled = false;
  $("progress").max = todo.length;
  let done = 0;
  const started = performance.now();
  const finish = () => {
    state.worker?.terminate();
    state.worker = null;
    $("cancel").disabled = true;
    $("prepare").disabled = false;
  };
  // One worker prepares todo[from..]; should the module ever fail inside (a bug, not a bad
  // image: those are errors with codes), that image gets the error and a new worker, with a
  // fresh module, goes on from the next one.
  const start = (from) => {
    const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    state.worker = worker;
    worker.onmessage = ({ data }) => {
      if (state.worker !== worker) return;
      if (data.fatal) {
        $("prep-status").textContent = `Cannot prepare: ${data.fatal.message}`;
        finish();
        return;
      }
      if (data.done) {
        const ok = state.prepared.filter((p) => p?.result).length;
        const s = ((performance.now() - started) / 1000).toFixed(1);
        $("prep-status").textContent =
          `Prepared ${ok} of ${todo.length} images in ${s} s for ${options.model}.`;
        finish();
        $("save-images").disabled = !ok;
        $("save-request").disabled = !ok;
        return;
      }
      const at = from + data.index;
      const f = todo[at];
      state.prepared[f.index] = data;
      done++;
      $("progress").value = done;
      $("prep-status").textContent = `Prepared ${done} of ${todo.length}…`;
      $("results").append(drawResult(f, data));
      if (data.crashed) {
        worker.terminate();
        if (at + 1 < todo.length) start(at + 1);
        else worker.onmessage({ data: { done: true } });
      }
    };
    worker.onerror = (e) => {
      $("prep-status").textContent = `The worker failed: ${e.message}`;
      finish();
    };
    worker.postMessage({
      files: todo.slice(from).map(({ name, file }) => ({ name, file })),
      options,
    });
  };
  start(0);
});

function drawResult(f, data) {
  const li = document.createElement("li");
  li.dataset.path = f.name;
  const title = document.createElement("p");
  title.textContent = f.name;
  li.append(title);
  if (data.error) {
    const p = document.createElement("p");
    p.className = "error";
    p.dataset.code = data.error.code;
    const native = data.error.code === "unsupported-format" && /^(HEIC|AVIF|JPEG XL)\b/.exec(data.error.message);
    p.textContent = native
      ? `${native[1]} needs the native build: run visionprep prepare on your computer (this page has no ${native[1] === "JPEG XL" ? "JPEG XL" : "HEVC or AV1"} decoder).`
      : `${data.error.code}: ${data.error.message}`;
    li.append(p);
    return li;
  }
  const r = data.result;
  const pair = document.createElement("div");
  pair.className = "pair";
  const before = URL.createObjectURL(f.file);
  const after = URL.createObjectURL(new Blob([r.data], { type: r.mediaType }));
  state.urls.push(before, after);
  pair.append(figure(before, `Before: ${r.inputWidth}×${r.inputHeight}`, f.name),
    figure(after, `After: ${r.width}×${r.height}`, vp.outputNames([f.name], [r.mediaType])[0]));
  const p = document.createElement("p");
  p.className = "facts";
  p.dataset.width = r.width;
  p.dataset.height = r.height;
  p.dataset.mediaType = r.mediaType;
  p.textContent = `${r.mediaType}, ${humanBytes(r.bytes)} (was ${humanBytes(f.file.size)}), ` +
    `${group(r.tokens)} tokens, ${usdFormat(r.usd)}; ${r.actions.join(", ") || "as it was"}`;
  li.append(pair, p);
  return li;
}

function figure(url, caption, alt) {
  const fig = document.createElement("figure");
  const img = document.createElement("img");
  img.src = url;
  img.alt = alt;
  img.loading = "lazy";
  img.onerror = () => {
    const div = document.createElement("div");
    div.className = "noimg";
    div.textContent = "this browser cannot show it";
    img.replaceWith(div);
  };
  const cap = document.createElement("figcaption");
  cap.textContent = caption;
  fig.append(img, cap);
  return fig;
}

/** The prepared images: [{name, result}] in path order. */
function preparedList() {
  return state.files
    .map((f, i) => ({ name: f.name, result: state.prepared[i]?.result }))
    .filter((p) => p.result);
}

$("save-images").addEventListener("click", () => {
  const list = preparedList();
  // Named by the library, as `visionprep prepare` names them: a.gif and a.png both prepared
  // as PNG are two files, never one over the other.
  const names = vp.outputNames(list.map((p) => p.name), list.map((p) => p.result.mediaType));
  if (list.length === 1) {
    const { result } = list[0];
    download(new Blob([result.data], { type: result.mediaType }), names[0].split("/").pop());
  } else {
    const entries = list.map(({ result }, i) => ({ name: names[i], data: result.data }));
    download(zip(entries), "prepared.zip");
  }
});

$("save-request").addEventListener("click", () => {
  const list = preparedList();
  let bodies;
  try {
    bodies = vp.buildRequests(
      list.map(({ result }) => result),
      { prompt: $("prompt").value || "Describe each image.", model: prepareOptions().model, profile: $("profile").value },
    );
  } catch (e) {
    $("prep-status").textContent = `Cannot build the request: ${e.message}`;
    return;
  }
  const json = (b) => new TextEncoder().encode(JSON.stringify(b));
  if (bodies.length === 1) {
    download(new Blob([json(bodies[0])], { type: "application/json" }), "request.json");
  } else {
    const entries = bodies.map((b, i) => ({ name: `request-${String(i + 1).padStart(3, "0")}.json`, data: json(b) }));
    download(zip(entries), "requests.zip");
  }
  $("prep-status").textContent = `${bodies.length} request ${bodies.length === 1 ? "body" : "bodies"} for ${list.length} images.`;
});

function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

// For the tests and the curious: the state, read-only in spirit.
window.visionprep = { state, vp };
document.documentElement.dataset.ready = "true";
