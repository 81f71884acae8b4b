// The npm package on examples/images, against the native CLI: the same cost rows and totals
// to the token and the micro-dollar, the same prepared sizes, request bodies the CLI's
// `check` accepts, and refusals with the CLI's codes.
//
// Run: `bash web/build.sh && node --test packages/visionprep/test/package.test.mjs` (the CLI is run through
// `cargo run`, or VISIONPREP_BIN when set).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, openAsBlob, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vp from "../index.js";
import { cli, pngHeader, root } from "./support.mjs";

const dir = "examples/images";
const names = readdirSync(join(root, dir)).sort();
const models = ["claude-sonnet-4-6", "claude-opus-4-7"];

test("cost rows and totals are the CLI's, from headers read by ranges", async () => {
  const native = JSON.parse(cli(["cost", dir, ...models.flatMap((m) => ["-m", m]), "--format", "json"]));
  const report = new vp.CostReport({ models });
  assert.deepEqual(report.header(), {
    token_rule: native.token_rule,
    prices_as_of: native.prices_as_of,
    model_status: native.model_status,
  });
  const rows = [];
  for (const name of names) {
    const blob = await openAsBlob(join(root, dir, name));
    const row = await vp.estimateFile(report, blob, { name: `${dir}/${name}`, found: true });
    if (row) rows.push(row);
  }
  assert.deepEqual(rows, native.files);
  assert.deepEqual(report.totals(), native.totals);
  report.free();
});

test("prepared images have the CLI's sizes, types and tokens, and pass the CLI's check", () => {
  const out = mkdtempSync(join(tmpdir(), "visionprep-npm-"));
  const native = JSON.parse(cli(["prepare", dir, "--out", join(out, "native"), "--format", "json"], { status: 1 }));
  const preparer = new vp.Preparer({ model: "claude-sonnet-4-6" });
  const prepared = [];
  for (const row of native.files) {
    const name = row.path.split("/").pop();
    const bytes = readFileSync(join(root, dir, name));
    if (row.error) {
      // HEIC: the default native build has no HEVC decoder either.
      assert.throws(() => preparer.prepare(bytes, name), (e) => vp.isVisionprepError(e) && e.code === row.error.code && e.path === name);
      continue;
    }
    const p = preparer.prepare(bytes, name);
    assert.equal(p.mediaType, row.output_media_type, name);
    assert.deepEqual([p.width, p.height], [row.output_width, row.output_height], name);
    assert.equal(p.tokens, row.output_tokens, name);
    assert.equal(p.usd, row.output_usd, name);
    assert.equal(p.bytes, p.data.length);
    prepared.push(p);
  }
  assert.ok(prepared.length >= 5);
  preparer.free();
  const bodies = vp.buildRequests(prepared, { prompt: "Describe each image.", model: "claude-sonnet-4-6" });
  assert.equal(bodies.length, 1);
  const block = vp.toContentBlock(prepared[0]);
  assert.deepEqual(bodies[0].messages[0].content[1], block);
  assert.equal(Buffer.from(block.source.data, "base64").compare(Buffer.from(prepared[0].data)), 0);
  const file = join(out, "request.json");
  writeFileSync(file, JSON.stringify(bodies[0]));
  const checked = JSON.parse(cli(["check", file, "--format", "json"]));
  assert.equal(JSON.stringify(checked).includes('"severity":"error"'), false);
  const report = vp.check(bodies[0]);
  assert.equal(report.passes, true);
});

test("refusals carry the CLI's codes; plan is the CLI's plan", () => {
  const jpeg = readFileSync(join(root, dir, "camera-4032x3024.jpg"));
  const cut = jpeg.subarray(0, 2000);
  assert.throws(() => vp.prepare(cut), (e) => e.name === "VisionprepError" && e.code === "truncated");
  assert.throws(() => vp.probe(new TextEncoder().encode("hello")), (e) => e.code === "not-an-image");
  // A 50000 x 50000 PNG header: refused from the header, nothing allocated.
  const bomb = pngHeader(50000, 50000);
  assert.throws(() => vp.prepare(bomb), (e) => e.code === "dimensions-too-large");
  assert.throws(() => new vp.CostReport({ models: ["claude-nope"] }), (e) => e.code === "unknown-model");
  assert.throws(() => vp.plan(10, 10, { tokenrule: "x" }), (e) => e.code === "invalid-options" && /tokenrule/.test(e.message));
  const parts = new vp.FileParts(jpeg.length);
  parts.add(0, jpeg.subarray(0, 20));
  assert.throws(() => vp.probeParts(parts), (e) => e.code === "need-bytes" && e.need.offset >= 0 && e.need.length > 0);
  parts.free();
  const native = cli(["plan", "4032", "3024", "-m", "claude-opus-4-7"]);
  const mine = vp.plan(4032, 3024, { model: "claude-opus-4-7" });
  assert.ok(native.includes(`to ${mine.targetWidth}x${mine.targetHeight}`), native);
  assert.ok(native.includes(`${mine.tokens.toLocaleString("en-US")} tokens`), native);
  assert.ok(native.includes(`$${mine.usd}`), native);
  assert.equal(vp.pricesAsOf(), vp.models().as_of);
  assert.match(vp.version(), /^\d+\.\d+\.\d+/);
});

test("a decompression bomb within the pixel limit is prepared in bounded memory", () => {
  // 11000 x 11000 (121 MP, under the 134 MP limit), 350 KB of PNG.
  const bomb = pngHeader(11000, 11000, { pixels: true });
  const before = process.memoryUsage().rss;
  const p = vp.prepare(bomb);
  assert.deepEqual([p.width, p.height], [1092, 1092]);
  const grew = process.memoryUsage().rss - before;
  // The decoded pixels are 363 MB: the module holds them once, not several copies.
  assert.ok(grew < 1e9, `RSS grew by ${(grew / 1e6).toFixed(0)} MB`);
});

test("outputs are named as `visionprep prepare` names them: colliding names stay distinct", () => {
  const dir = mkdtempSync(join(tmpdir(), "visionprep-npm-names-"));
  const inputs = join(dir, "in");
  mkdirSync(inputs);
  const examples = join(root, "examples/images");
  writeFileSync(join(inputs, "A.PNG"), readFileSync(join(examples, "screenshot-2560x1440.png")));
  writeFileSync(join(inputs, "a.gif"), readFileSync(join(examples, "animation-480x360.gif")));
  writeFileSync(join(inputs, "a.png"), readFileSync(join(examples, "chart-1092x1092.png")));
  cli(["prepare", inputs, "--out", join(dir, "out"), "-m", "claude-sonnet-4-6"]);
  const written = readdirSync(join(dir, "out")).filter((n) => !n.startsWith(".")).sort();
  // All three are PNG after preparing (the GIF's first frame included).
  const named = vp.outputNames(["A.PNG", "a.gif", "a.png"], ["image/png", "image/png", "image/png"]);
  assert.deepEqual([...named].sort(), written);
  assert.deepEqual(vp.outputNames(["dir/b.jpeg"], ["image/jpeg"]), ["dir/b.jpg"]);
  assert.throws(() => vp.outputNames(["a.png"], ["image/heic"]), (e) => e.code === "invalid-options");
  assert.throws(() => vp.outputNames(["a.png", "b.png"], ["image/png"]), (e) => e.code === "invalid-options");
});

test("every setting the parity table gives JavaScript reaches the module as the CLI's flag does", async () => {
  const prices = '[[models]]\nid = "claude-test-9"\ntier = "high-resolution"\ninput = "7"\ncontext_window = 1000000\n';
  const priceFile = join(mkdtempSync(join(tmpdir(), "visionprep-npm-prices-")), "prices.toml");
  writeFileSync(priceFile, prices);
  const cases = [
    [["--cache", "read"], { cache: "read" }],
    [["--us-only"], { usOnly: true }],
    [["--batch", "--prompt-tokens", "300000"], { batch: true, promptTokens: 300000 }],
    [["--token-budget", "400", "--token-rule", "patch28"], { tokenBudget: 400, tokenRule: "patch28" }],
    [["--tiles", "always", "--min-scale", "0.75"], { tiles: "always", minScale: 0.75 }],
    [["--prices", priceFile, "-m", "claude-test-9"], { pricesToml: prices, models: ["claude-test-9"] }],
    [["--tier", "standard", "--price-per-mtok", "4", "-m", "claude-later-1"],
      { tier: "standard", pricePerMtok: "4", model: "claude-later-1" }],
  ];
  for (const [flags, options] of cases) {
    const native = JSON.parse(cli(["cost", dir, "--format", "json", ...flags]));
    const report = new vp.CostReport(options);
    for (const name of names) {
      const blob = await openAsBlob(join(root, dir, name));
      await vp.estimateFile(report, blob, { name: `${dir}/${name}`, found: true });
    }
    assert.deepEqual(report.totals(), native.totals, flags.join(" "));
    report.free();
  }
  assert.throws(() => new vp.CostReport({ prices: priceFile }), (e) => e.code === "invalid-options" && /pricesToml/.test(e.message));
  assert.throws(() => new vp.CostReport({ cache: "forever" }), (e) => e.code === "invalid-options");
});

test("tiles: prepareTiles gives the tiles `prepare --tiles` writes", () => {
  const out = mkdtempSync(join(tmpdir(), "visionprep-npm-tiles-"));
  const scan = join(root, dir, "scan-a4-2480x3508.webp");
  cli(["prepare", scan, "--out", out, "--tiles", "always"]);
  const written = readdirSync(out).filter((n) => !n.startsWith(".")).sort();
  const preparer = new vp.Preparer({ tiles: "always" });
  const tiles = preparer.prepareTiles(readFileSync(scan), "scan.webp");
  assert.equal(tiles.length, written.length);
  tiles.forEach((t, i) => {
    assert.equal(t.tile.index, i);
    assert.equal(t.tile.count, tiles.length);
    assert.ok(t.tile.label.startsWith(`Image 1, part ${i + 1} of ${tiles.length}`), t.tile.label);
    assert.equal(t.bytes, readFileSync(join(out, written[i])).length, written[i]);
  });
  assert.throws(() => preparer.prepare(readFileSync(scan)), (e) => e.code === "invalid-options" && /prepareTiles/.test(e.message));
  preparer.free();
});
