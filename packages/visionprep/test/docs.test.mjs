// The JavaScript examples of the README, docs/ and this package's README, run under Node as
// written: each as an ES module in a sandbox holding a copy of examples/ (and photos/, a folder
// of its images), where `import ... from "visionprep"` resolves to this package. A block whose
// fence follows `<!-- not run: REASON -->` is left out (the Rust test of the docs checks that
// every block is run somewhere or says why not).
//
// Run: `bash web/build.sh && node --test packages/visionprep/test/docs.test.mjs`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "./support.mjs";

const documents = [
  "README.md",
  "packages/visionprep/README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];

/** The fenced blocks of a Markdown text: {line, lang, code, marker}. */
export function blocks(text) {
  const lines = text.split("\n");
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const stripped = lines[i].trimStart();
    if (!stripped.startsWith("```")) continue;
    const indent = lines[i].length - stripped.length;
    const lang = stripped.slice(3).trim().split(",")[0];
    const before = lines.slice(0, i).map((l) => l.trim()).filter((l) => l);
    const last = before[before.length - 1] ?? "";
    const marker = last.startsWith("<!--") && last.endsWith("-->") ? last.slice(4, -3).trim() : null;
    const line = i + 1;
    const code = [];
    for (i++; i < lines.length && lines[i].trim() !== "```"; i++) code.push(lines[i].slice(indent));
    out.push({ line, lang, code: code.join("\n") + "\n", marker });
  }
  return out;
}

const examples = documents.flatMap((doc) =>
  blocks(readFileSync(join(root, doc), "utf8"))
    .filter((b) => b.lang === "js" && !(b.marker ?? "").startsWith("not run:"))
    .map((b) => ({ name: `${doc}:${b.line}`, code: b.code })),
);

test("the docs have JavaScript examples", () => {
  assert.ok(examples.length >= 3, `${examples.length}`);
});

test("blocks are read with their markers and indentation", () => {
  const md = "<!-- not run: a browser -->\n```js\nf();\n```\n\n- a\n\n  ```js\n  g();\n  ```\n";
  assert.deepEqual(blocks(md), [
    { line: 2, lang: "js", code: "f();\n", marker: "not run: a browser" },
    { line: 8, lang: "js", code: "g();\n", marker: null },
  ]);
});

for (const { name, code } of examples) {
  test(`${name} runs under Node`, () => {
    const dir = mkdtempSync(join(tmpdir(), "visionprep-docs-"));
    cpSync(join(root, "examples"), join(dir, "examples"), { recursive: true });
    cpSync(join(root, "examples/images"), join(dir, "photos"), { recursive: true });
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(join(root, "packages/visionprep"), join(dir, "node_modules/visionprep"), "dir");
    writeFileSync(join(dir, "package.json"), '{"private": true, "type": "module"}\n');
    writeFileSync(join(dir, "example.mjs"), code);
    const run = spawnSync(process.execPath, ["example.mjs"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    assert.equal(run.status, 0, `${name}:\n${code}\n--- printed:\n${run.stdout}${run.stderr}`);
  });
}
