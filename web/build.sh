#!/usr/bin/env bash
# Builds the WebAssembly module (crates/wasm, pure Rust, SIMD128), generates its JS glue and
# TypeScript types into packages/visionprep/wasm (the npm package), and assembles the page
# into target/web (web/ + the package under pkg/). Prints the module's size, raw and gzipped.
#
# Needs the wasm32 target and the wasm-bindgen command of the exact version of the
# wasm-bindgen crate in Cargo.lock: both are installed here when missing (rustup, and
# `cargo install` into target/tools).
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown ||
  rustup target add wasm32-unknown-unknown

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
bindgen=${WASM_BINDGEN:-}
if [ -z "$bindgen" ]; then
  if command -v wasm-bindgen >/dev/null && [ "$(wasm-bindgen --version)" = "wasm-bindgen $version" ]; then
    bindgen=wasm-bindgen
  else
    bindgen=target/tools/bin/wasm-bindgen
    if [ ! -x "$bindgen" ] || [ "$($bindgen --version)" != "wasm-bindgen $version" ]; then
      echo "web/build.sh: installing wasm-bindgen-cli $version into target/tools" >&2
      # Not --locked: the lock file of wasm-bindgen-cli 0.2.130 names a webpki-roots release
      # the registry no longer serves; the version itself is pinned exactly.
      cargo install --quiet wasm-bindgen-cli --version "=$version" --root target/tools
    fi
  fi
fi

cargo build --quiet --locked -p visionprep-wasm --target wasm32-unknown-unknown --profile wasm \
  --features "${VISIONPREP_WASM_FEATURES:-}"
"$bindgen" --target web --remove-name-section --remove-producers-section \
  --out-dir packages/visionprep/wasm --out-name visionprep_wasm \
  target/wasm32-unknown-unknown/wasm/visionprep_wasm.wasm

wasm=packages/visionprep/wasm/visionprep_wasm_bg.wasm
# The npm package's licences: the project's (copied: npm packs no symlinks) and those of every
# crate compiled into the module.
cp LICENSE-MIT LICENSE-APACHE packages/visionprep/
bash packages/visionprep/third-party.sh >&2

rm -rf target/web
mkdir -p target/web/pkg/wasm
cp web/index.html web/*.js web/*.css target/web/
cp packages/visionprep/index.js packages/visionprep/index.d.ts target/web/pkg/
cp packages/visionprep/wasm/* target/web/pkg/wasm/

raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
echo "web/build.sh: $wasm: $raw bytes ($((raw / 1024)) KiB), $gz gzipped ($((gz / 1024)) KiB)" >&2
echo "web/build.sh: the page is in target/web" >&2
