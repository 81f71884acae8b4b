#!/usr/bin/env bash
# Builds the page (web/build.sh) and serves it on http://127.0.0.1:${PORT:-8000}/ with
# Python's static file server. Nothing leaves the machine: the page makes no other requests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash web/build.sh
port=${PORT:-8000}
echo "visionprep page: http://127.0.0.1:$port/" >&2
exec python3 -m http.server --bind 127.0.0.1 --directory target/web "$port"
