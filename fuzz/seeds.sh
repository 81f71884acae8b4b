#!/usr/bin/env bash
# Seed corpora for the fuzz targets from the committed fixtures and example images.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in sniff probe probe_pieces prepare; do
  mkdir -p "fuzz/corpus/$t"
  cp crates/visionprep/tests/fixtures/*.{webp,heic,avif,jxl,jpg,png} "fuzz/corpus/$t/" 2>/dev/null || true
  cp examples/images/chart-1092x1092.png examples/images/animation-480x360.gif "fuzz/corpus/$t/"
  cp crates/visionprep/tests/regression/* "fuzz/corpus/$t/"
done
mkdir -p fuzz/corpus/fit_target
printf '\x80\x07\0\0\x38\x04\0\0\x20\x06\0\0\x20\x06\0\0\x1c\0\0\0' > fuzz/corpus/fit_target/1920x1080-standard
mkdir -p fuzz/corpus/prices fuzz/corpus/request
cp crates/core/prices.toml fuzz/corpus/prices/
printf '%s' '{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"text","text":"hi"}]}]}' > fuzz/corpus/request/body.json
# Hand-written bodies of every block kind, an agent transcript and a Claude Code session.
cp crates/visionprep/tests/fixtures/bodies/*.json fuzz/corpus/request/
cp examples/transcripts/computer-use.jsonl examples/sessions/claude-code.jsonl fuzz/corpus/request/
echo "seed corpora under fuzz/corpus"
