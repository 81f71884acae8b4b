// The page's performance in headless Chromium, beside the native pure-Rust build in the same
// run (a benchmark, not a test: it prints medians and ratios, asserts nothing).
//
//   bash web/build.sh && (cd web/test && npm ci && node bench.mjs [a 12 MP JPEG])
//
// - the cost table for 1,000 files picked at once: time to the first rows on screen and to
//   the totals (headers only: two 64 KiB slices a file);
// - `prepare` of a 12 MP JPEG in the page's WebAssembly against `visionprep bench --threads
//   1` of the pure-Rust native build (`--no-default-features`, built into target/nodef), on
//   the same file: median of 7 runs each, and the ratio;
// - the module's size, raw and gzipped; the module alone on 1,000 files in memory (Node).
import { spawnSync } from "node:child_process";
import { existsSync, linkSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import puppeteer from "puppeteer-core";

const root = fileURLToPath(new URL("../../", import.meta.url));
const site = join(root, "target/web");
const corpusPhoto = join(root, "target/corpus/photos/cam12-bridge.jpg");
const photo = process.argv[2] ?? (existsSync(corpusPhoto) ? corpusPhoto : join(root, "examples/images/camera-4032x3024.jpg"));
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm" };
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const server = createServer((req, res) => {
  let path = new URL(req.url, "http://x").pathname;
  if (path.endsWith("/")) path += "index.html";
  const file = join(site, path);
  if (!file.startsWith(site) || !existsSync(file)) return res.writeHead(404).end();
  res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
  res.end(readFileSync(file));
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_BIN ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});

try {
  const wasm = join(site, "pkg/wasm/visionprep_wasm_bg.wasm");
  const raw = statSync(wasm).size;
  const gz = zlib.gzipSync(readFileSync(wasm), { level: 9 }).length;
  console.log(`module: ${(raw / 1e6).toFixed(2)} MB raw, ${(gz / 1e6).toFixed(2)} MB gzipped`);

  // The module alone on 1,000 headers (in memory, under Node): what the page's table costs
  // besides reading the files.
  {
    const vp = await import("../../packages/visionprep/index.js");
    const dir = join(root, "examples/images");
    const heads = readdirSync(dir).sort().map((n) => readFileSync(join(dir, n)));
    const runs = [];
    for (let run = 0; run < 5; run++) {
      const report = new vp.CostReport({ models: ["claude-sonnet-4-6", "claude-opus-4-7"] });
      const t0 = performance.now();
      for (let i = 0; i < 1000; i++) report.addBytes(`f${i}`, heads[i % heads.length], false);
      runs.push(performance.now() - t0);
      report.free();
    }
    console.log(`the module alone, 1,000 example files in memory (Node): ${median(runs).toFixed(0)} ms (median of 5)`);
  }

  // 1,000 files: hard links to a set of images, round-robin; the examples (small files, read
  // whole), and the photographs of the corpus when it is there (large JPEGs: head and tail).
  const sets = [["examples/images", join(root, "examples/images")]];
  const bulk = join(root, "target/corpus/bulk");
  if (existsSync(bulk)) sets.push(["corpus photographs", bulk]);
  for (const [label, from] of sets) {
    const names = readdirSync(from).filter((n) => /\.(jpe?g|png|gif|webp|heic|avif)$/i.test(n)).sort();
    const dir = mkdtempSync(join(tmpdir(), "visionprep-bench-"));
    const files = [];
    for (let i = 0; i < 1000; i++) {
      const name = names[i % names.length];
      const file = join(dir, `${String(i).padStart(4, "0")}-${name}`);
      linkSync(join(from, name), file);
      files.push(file);
    }
    const firsts = [];
    const alls = [];
    for (let run = 0; run < 5; run++) {
      const page = await browser.newPage();
      await page.goto(`${origin}/`);
      await page.waitForSelector("html[data-ready=true]");
      await page.evaluate(() => {
        window.timing = {};
        const body = document.querySelector("#table tbody");
        document.getElementById("files").addEventListener("input", () => (window.timing.start = performance.now()));
        new MutationObserver(() => {
          if (body.children.length && !window.timing.first) window.timing.first = performance.now();
        }).observe(body, { childList: true });
        const poll = () => {
          if (window.visionprep.state.totals?.files === 1000) window.timing.all = performance.now();
          else requestAnimationFrame(poll);
        };
        requestAnimationFrame(poll);
      });
      await (await page.$("#files")).uploadFile(...files);
      await page.waitForFunction(() => window.timing.all, { timeout: 60_000 });
      const t = await page.evaluate(() => window.timing);
      firsts.push(t.first - t.start);
      alls.push(t.all - t.start);
      await page.close();
    }
    rmSync(dir, { recursive: true, force: true });
    console.log(`1,000 files (${label}, ${names.length} distinct), headers only: first rows on screen after ` +
      `${median(firsts).toFixed(0)} ms, the whole table and totals after ${median(alls).toFixed(0)} ms ` +
      `(medians of 5; each run: ${alls.map((a) => a.toFixed(0)).join(", ")} ms)`);
  }

  // prepare of one 12 MP JPEG: the page's module, one thread.
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  await page.waitForSelector("html[data-ready=true]");
  const bytes = readFileSync(photo).toString("base64");
  const times = await page.evaluate(async (b64) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const p = new window.visionprep.vp.Preparer();
    p.prepare(data); // warm-up
    const out = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      p.prepare(data);
      out.push(performance.now() - t0);
    }
    p.free();
    return out;
  }, bytes);
  await page.close();
  const web = median(times);

  // The same file through the native pure-Rust build, one thread.
  let bin = process.env.VISIONPREP_PURE_BIN;
  if (!bin) {
    const b = spawnSync("cargo", ["build", "--release", "--quiet", "-p", "visionprep-cli", "--no-default-features", "--target-dir", "target/nodef"], { cwd: root, stdio: "inherit" });
    if (b.status !== 0) throw new Error("cannot build the pure-Rust CLI");
    bin = join(root, "target/nodef/release/visionprep");
  }
  const r = spawnSync(bin, ["bench", photo, "--threads", "1", "--repeat", "7", "--format", "json", "--no-progress"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  const native = JSON.parse(r.stdout).runs[0].kinds[0].prepare.median_ms;
  console.log(`prepare ${photo.split("/").pop()} (${(statSync(photo).size / 1e6).toFixed(1)} MB): ` +
    `page ${web.toFixed(0)} ms (median of 7), native pure-Rust ${native.toFixed(0)} ms: ${(web / native).toFixed(2)}x`);
} finally {
  await browser.close();
  server.close();
}
