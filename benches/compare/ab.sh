#!/usr/bin/env bash
# A/B of two visionprep binaries on the benchmark corpus, run alternately in the same session
# (the machine's noise hits both alike): `prepare` of the photographs and phone formats that
# prepare.sh measures (2 workers), and `cost` of the 5,000 files cost.sh measures. Prints each
# binary's median wall time and peak RSS, and B's time over A's.
#
#   bash benches/compare/ab.sh OLD_BINARY NEW_BINARY [REPS]     (default 5 runs each)
#
# Build the two binaries with the same features (prepare.sh's: heif and jxl-native where the
# machine has their libraries), e.g. the old one from a worktree of the old commit:
#   git worktree add /tmp/old OLD && (cd /tmp/old && cargo build --release -p visionprep-cli)
# Needs the corpus that prepare.sh and cost.sh build (target/corpus, target/bench-prepare/list,
# target/corpus/bulk5000.list): run each of them once first.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { sed -n 2,13p "$0" >&2; exit 2; }
a=$1 b=$2 reps=${3:-5}
list=target/bench-prepare/list bulk=target/corpus/bulk5000.list
for f in "$a" "$b" "$list" "$bulk"; do
  [ -e "$f" ] || { echo "missing $f (see the comment at the top)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "GNU time missing: apt-get install time" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# One timed run (exit status 0 or 1: some corpus files are meant to fail): prints "seconds
# peak_kb", the time to the nanosecond (GNU time rounds to 10 ms).
run() {
  local start end status=0
  start=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$out/t" "$@" >/dev/null 2>"$out/err" || status=$?
  end=$(date +%s%N)
  if [ "$status" -gt 1 ]; then
    cat "$out/err" >&2
    exit 1
  fi
  echo "$(( (end - start) / 1000 ))e-6 $(tail -1 "$out/t")"
}
for task in prepare cost; do
  : > "$out/a.$task" && : > "$out/b.$task"
  for _ in $(seq "$reps"); do
    for side in a b; do
      bin=$a && [ "$side" = b ] && bin=$b
      if [ "$task" = prepare ]; then
        # shellcheck disable=SC2046
        run "$bin" prepare --force --no-progress -j 2 -o "$out/prepared" $(cat "$list") >> "$out/$side.$task"
      else
        run "$bin" cost --no-progress --format csv $(cat "$bulk") >> "$out/$side.$task"
      fi
    done
  done
done
python3 - "$out" "$a" "$b" "$reps" "$(wc -w < "$list")" "$(wc -l < "$bulk")" <<'PY'
import statistics, sys
out, a, b, reps, n_prepare, n_cost = sys.argv[1:]
print(f"A = {a}\nB = {b}\n{reps} alternating runs each, medians")
print(f"{'task':<34}{'A s':>9}{'B s':>9}{'B/A':>8}{'A MB':>8}{'B MB':>8}")
for task, what in [("prepare", f"prepare -j 2, {n_prepare} files"), ("cost", f"cost, {n_cost} files")]:
    rows = {}
    for side in "ab":
        runs = [tuple(map(float, l.split())) for l in open(f"{out}/{side}.{task}") if l.strip()]
        rows[side] = (statistics.median(r[0] for r in runs), max(r[1] for r in runs) / 1024)
    (ta, ma), (tb, mb) = rows["a"], rows["b"]
    print(f"{what:<34}{ta:9.3f}{tb:9.3f}{tb / ta:8.3f}{ma:8.0f}{mb:8.0f}")
PY
