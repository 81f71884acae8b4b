// The page in headless Chromium (Debian's `chromium`, driven by puppeteer-core over the
// DevTools protocol: nothing is downloaded), served from target/web by a static server in
// this process. Against the native CLI: the table's tokens and dollars are `visionprep cost
// --format json`'s, prepared images have the native sizes and pass `visionprep check`,
// damaged files are rows with their codes, the page stays responsive while the worker works,
// makes no request off its own origin, and has no horizontal scroll at 360 px.
//
// Run: `bash web/build.sh && (cd web/test && npm ci && npm test)`. Screenshots go to
// web/test-output/ (for review, not asserted). CHROME_BIN and VISIONPREP_BIN override the
// browser and the CLI (default: /usr/bin/chromium, `cargo run`).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cli, pngHeader, root } from "../../packages/visionprep/test/support.mjs";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import puppeteer from "puppeteer-core";

const site = join(root, "target/web");
const output = join(root, "web/test-output");
const examples = join(root, "examples/images");
const names = readdirSync(examples).sort();
const models = ["claude-sonnet-4-6", "claude-opus-4-7"];

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".ts": "text/plain",
};

let server;
/** Files served changed, by path: a test's way to make the worker fail as a bug would. */
const rewrite = {};
let origin;
let browser;
/** Every URL the pages asked for. */
const requested = [];

before(async () => {
  assert.ok(existsSync(join(site, "pkg/wasm/visionprep_wasm_bg.wasm")), "run web/build.sh first");
  mkdirSync(output, { recursive: true });
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    const file = join(site, path.endsWith("/") ? `${path}index.html` : path);
    if (!file.startsWith(site) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    const body = readFileSync(file);
    res.end(rewrite[path] ? rewrite[path](body.toString("utf8")) : body);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await puppeteer.launch({
    executablePath: process.env.CHROME_BIN ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
  // Nothing but the page's own files, blobs and data: URLs.
  const foreign = requested.filter((u) => !u.startsWith(`${origin}/`) && !/^(blob|data):/.test(u));
  assert.deepEqual(foreign, [], "the page made requests off its own origin");
});

async function open({ width = 1280, height = 900, dark = false } = {}) {
  const page = await browser.newPage();
  const errors = [];
  page.on("request", (r) => requested.push(r.url()));
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.setViewport({ width, height });
  await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: dark ? "dark" : "light" }]);
  await page.goto(`${origin}/`, { waitUntil: "load" });
  await page.waitForSelector("html[data-ready=true]");
  return { page, errors };
}

/** Picks `files` through the file input and waits for the table. */
async function pick(page, files) {
  await page.evaluate(() => (window.visionprep.state.totals = null));
  const input = await page.$("#files");
  await input.uploadFile(...files);
  await page.waitForFunction(() => window.visionprep.state.totals !== null, { timeout: 30_000 });
}

async function chooseModels(page, ids) {
  await page.evaluate((ids) => {
    for (const box of document.querySelectorAll('input[name="model"]')) box.checked = ids.includes(box.value);
  }, ids);
  // The order of the table's columns follows the list; the estimate re-runs on change.
  await page.evaluate(() => (window.visionprep.state.totals = null));
  await page.$eval("#options", (f) => f.dispatchEvent(new Event("change")));
  await page.waitForFunction(() => window.visionprep.state.totals !== null);
}

/** The table as the user sees it: per row, the path, the error code, tokens and USD per model. */
function readTable(page) {
  return page.$$eval("#table tbody tr", (rows) =>
    rows.map((tr) => ({
      path: tr.dataset.path,
      error: tr.querySelector("td[data-code]")?.dataset.code ?? null,
      tokens: Object.fromEntries([...tr.querySelectorAll("td[data-tokens]")].map((td) => [td.dataset.model, Number(td.dataset.tokens)])),
      usd: Object.fromEntries([...tr.querySelectorAll("td[data-usd]")].map((td) => [td.dataset.model, Number(td.dataset.usd)])),
      text: tr.textContent,
    })),
  );
}

test("the table's tokens and dollars are the CLI's; prepared images match the native ones", async () => {
  const native = JSON.parse(cli(["cost", "examples/images", ...models.flatMap((m) => ["-m", m]), "--format", "json"]));
  const { page, errors } = await open();
  await chooseModels(page, models);
  await pick(page, names.map((n) => join(examples, n)));
  const table = await readTable(page);
  assert.equal(table.length, native.files.length);
  for (const row of native.files) {
    const name = row.path.split("/").pop();
    const mine = table.find((r) => r.path === name);
    assert.ok(mine, `${name} is in the table`);
    assert.equal(mine.error, row.error?.code ?? null, name);
    for (const m of models) {
      if (row.error) continue;
      assert.equal(mine.tokens[m], row.models[m].tokens, `${name} ${m} tokens`);
      assert.equal(mine.usd[m], row.models[m].usd, `${name} ${m} usd`);
    }
  }
  const totals = await page.$$eval(".total", (divs) =>
    Object.fromEntries(divs.map((d) => [d.dataset.model, {
      tokens: Number(d.querySelector("[data-tokens]").dataset.tokens),
      usd: Number(d.querySelector("[data-usd]").dataset.usd),
    }])),
  );
  for (const m of models) {
    assert.equal(totals[m].tokens, native.totals.models[m].tokens, `${m} total tokens`);
    assert.equal(totals[m].usd, native.totals.models[m].usd, `${m} total usd`);
  }
  assert.match(await page.$eval("#status", (e) => e.textContent), /6 images/);

  // Prepare, in the worker, for the model picked in "Prepare for".
  await page.select("#target", models[0]);
  const target = await page.$eval("#target", (s) => s.value);
  assert.equal(target, models[0]);
  const out = mkdtempSync(join(tmpdir(), "visionprep-web-"));
  const prepared = JSON.parse(cli(["prepare", "examples/images", "--out", join(out, "native"), "-m", target, "--format", "json"], { status: 1 }));
  await page.click("#prepare");
  await page.waitForFunction(() => /Prepared \d+ of \d+ images in/.test(document.getElementById("prep-status").textContent), { timeout: 120_000 });
  const results = await page.evaluate(() =>
    window.visionprep.state.files.map((f, i) => {
      const p = window.visionprep.state.prepared[i];
      if (!p) return { name: f.name, skipped: true };
      if (p.error) return { name: f.name, error: p.error };
      const { data, ...facts } = p.result;
      return { name: f.name, ...facts };
    }),
  );
  for (const row of prepared.files) {
    const name = row.path.split("/").pop();
    const mine = results.find((r) => r.name === name);
    if (row.error) {
      assert.equal(mine.skipped ?? false, false, name);
      assert.equal(mine.error.code, row.error.code, name);
      continue;
    }
    assert.equal(mine.mediaType, row.output_media_type, name);
    assert.deepEqual([mine.width, mine.height], [row.output_width, row.output_height], name);
    assert.equal(mine.tokens, row.output_tokens, name);
    // The pixels: the browser decodes both and compares.
    const nativeBytes = readFileSync(row.output_path).toString("base64");
    const psnr = await page.evaluate(async (index, b64) => {
      const pixels = async (blob) => {
        const bmp = await createImageBitmap(blob);
        const c = new OffscreenCanvas(bmp.width, bmp.height);
        const g = c.getContext("2d");
        g.drawImage(bmp, 0, 0);
        return g.getImageData(0, 0, bmp.width, bmp.height).data;
      };
      const r = window.visionprep.state.prepared[index].result;
      const a = await pixels(new Blob([r.data], { type: r.mediaType }));
      const b = await pixels(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))]));
      if (a.length !== b.length) return -1;
      let se = 0;
      let n = 0;
      for (let i = 0; i < a.length; i++) {
        if (i % 4 === 3) continue;
        se += (a[i] - b[i]) ** 2;
        n++;
      }
      return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / n));
    }, results.indexOf(mine), nativeBytes);
    assert.ok(psnr >= 40, `${name}: PSNR ${psnr.toFixed(1)} dB against the native output`);
  }
  // The HEIC row says it needs the native build.
  assert.match(await page.$eval("#results", (e) => e.textContent), /HEIC needs the native build: run visionprep prepare/);

  // Downloads: the request body passes the native check; the images come as a zip.
  const downloads = join(out, "downloads");
  mkdirSync(downloads);
  const cdp = await page.createCDPSession();
  await cdp.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: downloads });
  await page.click("#save-request");
  await page.click("#save-images");
  const wait = async (file) => {
    for (let i = 0; i < 100 && !existsSync(join(downloads, file)); i++) await new Promise((ok) => setTimeout(ok, 100));
    assert.ok(existsSync(join(downloads, file)), `${file} downloaded`);
  };
  await wait("request.json");
  await wait("prepared.zip");
  const checked = cli(["check", join(downloads, "request.json"), "--format", "json"]);
  assert.ok(!checked.includes('"severity":"error"'), checked);
  const body = JSON.parse(readFileSync(join(downloads, "request.json"), "utf8"));
  assert.equal(body.model, target);
  assert.equal(body.messages[0].content.filter((b) => b.type === "image").length, results.filter((r) => r.mediaType).length);
  const listing = spawnSync("python3", ["-m", "zipfile", "-l", join(downloads, "prepared.zip")], { encoding: "utf8" });
  assert.equal(listing.status, 0, listing.stderr);
  for (const r of results.filter((r) => r.mediaType)) assert.ok(listing.stdout.includes(r.name.replace(/\.[^.]+$/, "")), r.name);
  assert.deepEqual(errors, []);
  await page.screenshot({ path: join(output, "page-1280-prepared.png"), fullPage: true });
  await page.close();
  rmSync(out, { recursive: true, force: true });
});

test("damaged files, a pixel bomb and a non-image are rows with their codes; the page stays responsive", async () => {
  const dir = mkdtempSync(join(tmpdir(), "visionprep-web-bad-"));
  const jpeg = readFileSync(join(examples, "camera-4032x3024.jpg"));
  writeFileSync(join(dir, "cut.jpg"), jpeg.subarray(0, jpeg.length >> 1));
  writeFileSync(join(dir, "bomb.png"), pngHeader(50000, 50000));
  writeFileSync(join(dir, "notes.txt"), "not an image\n".repeat(100));
  writeFileSync(join(dir, "garbage.png"), Buffer.concat([pngHeader(1, 1).subarray(0, 8), Buffer.from("this is no chunk at all, just text")]));
  const files = ["cut.jpg", "bomb.png", "notes.txt", "garbage.png"].map((n) => join(dir, n));
  const native = JSON.parse(cli(["cost", ...files, "--format", "json"], { status: 1 }));
  assert.equal(native.files.length, files.length);

  const { page, errors } = await open();
  await pick(page, [...files, join(examples, "camera-4032x3024.jpg")]);
  const table = await readTable(page);
  for (const row of native.files) {
    const name = row.path.split("/").pop();
    const mine = table.find((r) => r.path === name);
    assert.ok(mine, name);
    assert.ok(row.error, `${name} is an error natively`);
    assert.equal(mine.error, row.error.code, name);
    assert.ok(mine.text.includes(row.error.message), `${name}: ${mine.text} has ${row.error.message}`);
  }
  assert.equal(table.find((r) => r.path === "bomb.png").error, "dimensions-too-large");
  // Only the good image is prepared; while the worker works, the page answers at once.
  await page.click("#prepare");
  const lags = [];
  for (let i = 0; i < 10; i++) {
    const t0 = Date.now();
    await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => ok())));
    lags.push(Date.now() - t0);
  }
  await page.waitForFunction(() => /Prepared 1 of 1 images/.test(document.getElementById("prep-status").textContent), { timeout: 120_000 });
  lags.sort((a, b) => a - b);
  assert.ok(lags[5] < 250, `the page's frames while preparing: ${lags.join(", ")} ms`);
  // Cancel stops a run at once.
  await page.click("#prepare");
  await page.click("#cancel");
  assert.equal(await page.$eval("#prep-status", (e) => e.textContent), "Cancelled.");
  assert.equal(await page.$eval("#cancel", (e) => e.disabled), true);
  assert.deepEqual(errors, []);
  await page.screenshot({ path: join(output, "page-1280-errors.png"), fullPage: true });
  await page.close();
  rmSync(dir, { recursive: true, force: true });
});

test("360 px and 1280 px, light and dark: no sideways scroll on a phone, every control labelled", async () => {
  for (const [width, dark] of [[360, false], [360, true], [1280, false], [1280, true]]) {
    const { page, errors } = await open({ width, height: 800, dark });
    await chooseModels(page, models);
    await pick(page, names.map((n) => join(examples, n)));
    const scroll = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(scroll[0] <= scroll[1], `${width} px${dark ? " dark" : ""}: page is ${scroll[0]} px wide`);
    const unlabelled = await page.$$eval("input, select, button", (els) =>
      els.filter((e) => !(e.labels?.length || e.getAttribute("aria-label") || e.textContent.trim())).map((e) => e.id || e.outerHTML),
    );
    assert.deepEqual(unlabelled, []);
    // The keyboard reaches the pickers: Tab from the top lands on the file input first.
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "files");
    await page.screenshot({ path: join(output, `page-${width}${dark ? "-dark" : ""}.png`), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test("files dropped on the page fill the table", async () => {
  const { page, errors } = await open();
  const chart = readFileSync(join(examples, "chart-1092x1092.png")).toString("base64");
  await page.evaluate(() => (window.visionprep.state.totals = null));
  // A drop as the page receives it: a DataTransfer holding files (entries are only for real
  // drags from the desktop; the page falls back to the files).
  await page.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], "chart.png", { type: "image/png" }));
    dt.items.add(new File(["just text"], "readme.txt", { type: "text/plain" }));
    const drop = document.getElementById("drop");
    drop.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    drop.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, chart);
  await page.waitForFunction(() => window.visionprep.state.totals !== null);
  const table = await readTable(page);
  assert.deepEqual(table.map((r) => [r.path, r.error]), [["chart.png", null], ["readme.txt", "not-an-image"]]);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a.gif, a.png and A.PNG prepared together are three files in the zip, named as `prepare` names them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "visionprep-web-names-"));
  const inputs = join(dir, "in");
  mkdirSync(inputs);
  writeFileSync(join(inputs, "a.gif"), readFileSync(join(examples, "animation-480x360.gif")));
  writeFileSync(join(inputs, "a.png"), readFileSync(join(examples, "chart-1092x1092.png")));
  writeFileSync(join(inputs, "A.PNG"), readFileSync(join(examples, "screenshot-2560x1440.png")));
  cli(["prepare", inputs, "--out", join(dir, "native"), "-m", models[0]]);
  const expected = readdirSync(join(dir, "native")).filter((n) => !n.startsWith(".")).sort();
  assert.equal(expected.length, 3, expected.join(", "));
  const { page, errors } = await open();
  await chooseModels(page, [models[0]]);
  await pick(page, ["A.PNG", "a.gif", "a.png"].map((n) => join(inputs, n)));
  await page.select("#target", models[0]);
  await page.click("#prepare");
  await page.waitForFunction(() => /Prepared \d+ of \d+ images in/.test(document.getElementById("prep-status").textContent), { timeout: 120_000 });
  const downloads = join(dir, "downloads");
  mkdirSync(downloads);
  const cdp = await page.createCDPSession();
  await cdp.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: downloads });
  await page.click("#save-images");
  const zipPath = join(downloads, "prepared.zip");
  for (let i = 0; i < 100 && !existsSync(zipPath); i++) await new Promise((ok) => setTimeout(ok, 100));
  assert.ok(existsSync(zipPath), "prepared.zip downloaded");
  const listed = spawnSync("python3", ["-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))", zipPath], { encoding: "utf8" });
  assert.equal(listed.status, 0, listed.stderr);
  assert.deepEqual(listed.stdout.trim().split("\n").sort(), expected);
  assert.deepEqual(errors, []);
  await page.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a folder picked is walked: its non-images are passed over, as `cost` does", async () => {
  const dir = mkdtempSync(join(tmpdir(), "visionprep-web-folder-"));
  const top = join(dir, "shots");
  mkdirSync(join(top, "sub"), { recursive: true });
  writeFileSync(join(top, "chart.png"), readFileSync(join(examples, "chart-1092x1092.png")));
  writeFileSync(join(top, "sub", "anim.gif"), readFileSync(join(examples, "animation-480x360.gif")));
  writeFileSync(join(top, "notes.txt"), "not an image\n");
  const native = JSON.parse(cli(["cost", top, "--format", "json"]));
  const { page, errors } = await open();
  await page.evaluate(() => (window.visionprep.state.totals = null));
  await (await page.$("#folder")).uploadFile(top);
  await page.waitForFunction(() => window.visionprep.state.totals !== null);
  const table = await readTable(page);
  assert.deepEqual(table.map((r) => r.path), ["shots/chart.png", "shots/sub/anim.gif"]);
  const totals = await page.evaluate(() => window.visionprep.state.totals);
  assert.deepEqual(totals, native.totals);
  assert.match(await page.$eval("#status", (e) => e.textContent), /2 images \(.*\), 1 non-image file passed over/);
  assert.deepEqual(errors, []);
  await page.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a file gone since it was picked is an unreadable row, counted as an error", async () => {
  const dir = mkdtempSync(join(tmpdir(), "visionprep-web-gone-"));
  const gone = join(dir, "gone.png");
  writeFileSync(gone, readFileSync(join(examples, "chart-1092x1092.png")));
  const { page, errors } = await open();
  await pick(page, [gone, join(examples, "chart-1092x1092.png")]);
  rmSync(gone);
  // Another token rule: the table is made again from the files.
  await page.evaluate(() => (window.visionprep.state.totals = null));
  await page.select("#rule", "patch28");
  await page.waitForFunction(() => window.visionprep.state.totals !== null);
  const table = await readTable(page);
  assert.deepEqual(table.map((r) => [r.path, r.error]), [["chart-1092x1092.png", null], ["gone.png", "unreadable"]]);
  const totals = await page.evaluate(() => window.visionprep.state.totals);
  assert.equal(totals.errors, 1);
  assert.equal(totals.files, 2);
  assert.deepEqual(errors, []);
  await page.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a worker whose module fails inside is replaced: the batch goes on", async () => {
  // The worker as served traps on files named crash*: what a bug in the module would do.
  rewrite["/worker.js"] = (src) => {
    const at = "const result = preparer.prepare(bytes, name);";
    assert.ok(src.includes(at));
    return src.replace(at, `if (name.startsWith("crash")) throw new WebAssembly.RuntimeError("unreachable"); ${at}`);
  };
  const dir = mkdtempSync(join(tmpdir(), "visionprep-web-crash-"));
  writeFileSync(join(dir, "crash.png"), readFileSync(join(examples, "chart-1092x1092.png")));
  const { page, errors } = await open();
  try {
    await pick(page, [join(dir, "crash.png"), join(examples, "chart-1092x1092.png"), join(examples, "screenshot-2560x1440.png")]);
    await page.click("#prepare");
    await page.waitForFunction(() => /Prepared \d+ of 3 images in/.test(document.getElementById("prep-status").textContent), { timeout: 60_000 });
    const results = await page.evaluate(() =>
      window.visionprep.state.files.map((f, i) => [f.name, window.visionprep.state.prepared[i]?.error?.code ?? "ok"]),
    );
    assert.deepEqual(results, [["chart-1092x1092.png", "ok"], ["crash.png", "internal"], ["screenshot-2560x1440.png", "ok"]]);
    assert.match(await page.$eval("#prep-status", (e) => e.textContent), /Prepared 2 of 3/);
    assert.deepEqual(errors, []);
  } finally {
    delete rewrite["/worker.js"];
    await page.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
