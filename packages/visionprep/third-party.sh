#!/usr/bin/env bash
# Writes packages/visionprep/THIRD-PARTY-LICENSES.md: every crate compiled into the WebAssembly
# module (the normal dependencies of crates/wasm for wasm32, with the features that build
# resolves; build and dev dependencies left out), its version, its licence expression and the
# licence texts it ships, read from cargo's registry sources. Fails when a crate ships none.
#
#   bash packages/visionprep/third-party.sh      (run by web/build.sh, with its
#                                                VISIONPREP_WASM_FEATURES)
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo tree --locked -p visionprep-wasm --target wasm32-unknown-unknown -e normal \
  --features "${VISIONPREP_WASM_FEATURES:-}" --prefix none --format '{p}' | sed 's/ (\*)$//' | sort -u > "$work/tree"
cargo metadata --format-version 1 --locked > "$work/meta.json"
python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
MIT = """
Copyright (c) {authors}

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""
meta = json.load(open(os.path.join(work, "meta.json")))
by_name = {(p["name"], "v" + p["version"]): p for p in meta["packages"]}
crates = []
for line in open(os.path.join(work, "tree")):
    parts = line.split()
    p = by_name.get(tuple(parts[:2])) if len(parts) >= 2 else None
    if p is not None and p["source"] is not None:
        crates.append(p)
out = ["# Third-party licences", "",
       "The crates compiled into `wasm/visionprep_wasm_bg.wasm` besides visionprep's own, with",
       "the licence texts each one ships (made by `third-party.sh` from cargo's sources).", ""]
first = {}
for p in sorted(crates, key=lambda p: (p["name"], p["version"])):
    name, version = p["name"], p["version"]
    expr = p.get("license") or p.get("license_file") or "see the texts below"
    out += [f"## {name} {version} ({expr})", ""]
    folder = os.path.dirname(p["manifest_path"])
    texts = sorted(f for f in os.listdir(folder)
                   if f.upper().startswith(("LICENSE", "LICENCE", "COPYING", "NOTICE", "UNLICENSE"))
                   and os.path.isfile(os.path.join(folder, f)))
    if not texts:
        # A crate that ships no text of its licence: the standard text, with its authors.
        authors = ", ".join(a.split(" <")[0] for a in p.get("authors") or []) or f"the {name} authors"
        if "MIT" in expr.replace("(", " ").split():
            out += ["### MIT licence (the crate ships no text; the standard one)", "", "```text",
                    MIT.format(authors=authors).strip(), "```", ""]
        elif "Apache-2.0" in expr:
            out += ["The Apache License 2.0: its text is `LICENSE-APACHE` in this package.", ""]
        else:
            sys.exit(f"{name} {version} ({expr}) ships no licence file: add its text by hand")
    for f in texts:
        text = open(os.path.join(folder, f), errors="replace").read().strip()
        # The same text (Apache-2.0 above all) is written once and referred to after.
        key = " ".join(text.split())
        if key in first:
            out += [f"### {f}", "", f"The same text as {first[key]}.", ""]
            continue
        first[key] = f"{f} of {name} {version}"
        out += [f"### {f}", "", "```text", text, "```", ""]
with open("packages/visionprep/THIRD-PARTY-LICENSES.md", "w") as fh:
    fh.write("\n".join(out) + "\n")
print(f"THIRD-PARTY-LICENSES.md: {len(crates)} crates")
PY
