#!/usr/bin/env bash
# Builds the libFuzzer harnesses of native/io (fuzz/native/*_fuzz.c) under AddressSanitizer and
# UndefinedBehaviorSanitizer into fuzz/native/build/ (git-ignored), runs each for a budget, and
# prints a table: harness, executions, seconds, coverage (libFuzzer's cov: edges and ft: features),
# corpus size, crashes. A crash leaves its input in fuzz/native/build/crashes/ and the script
# exits 1; replay one with: fuzz/native/build/NAME fuzz/native/build/crashes/NAME-crash-...
#
#   scripts/fuzz-native.sh                    # each harness for 120 s, growing build/corpus/NAME
#   scripts/fuzz-native.sh --time 600 http_batch
#   scripts/fuzz-native.sh --runs 20000 --fresh --seed 1   # CI: from the seeds only, reproducible
#   scripts/fuzz-native.sh --build-only
#   scripts/fuzz-native.sh --out /tmp/fz ...  # build and log elsewhere (the CI test does)
#
# The committed seeds (fuzz/native/corpus/NAME/, written by fuzz/native/seeds.js) are always run
# first, so a crashing input committed there as a regression is replayed by every run.
# Needs clang (Debian: apt-get install clang) and Node's headers (include/node next to node).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SRC="$ROOT/fuzz/native"
OUT="$SRC/build"
CC="${CC:-clang}"
time_budget=120
runs=""
fresh=0
seed=0
build_only=0
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) time_budget="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --build-only) build_only=1; shift ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    -*) echo "fuzz-native: unknown option $1" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
if [ ${#names[@]} -eq 0 ]; then
  for f in "$SRC"/*_fuzz.c; do n="$(basename "$f" _fuzz.c)"; names+=("$n"); done
fi
command -v "$CC" >/dev/null || { echo "fuzz-native: $CC not found (apt-get install clang)" >&2; exit 3; }
node_include="${npm_config_nodedir:+$npm_config_nodedir/include/node}"
[ -n "$node_include" ] || node_include="$(node -p "require('path').resolve(process.execPath, '../../include/node')")"
[ -f "$node_include/node_api.h" ] || { echo "fuzz-native: Node headers not found in $node_include" >&2; exit 3; }

mkdir -p "$OUT/crashes"
flags=(-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
  -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror -I "$node_include")
for n in "${names[@]}"; do
  [ -f "$SRC/${n}_fuzz.c" ] || { echo "fuzz-native: no harness $n (fuzz/native/${n}_fuzz.c)" >&2; exit 2; }
  "$CC" "${flags[@]}" -o "$OUT/$n" "$SRC/${n}_fuzz.c"
done
[ "$build_only" = 1 ] && { echo "fuzz-native: built ${names[*]} in ${OUT#"$ROOT"/}"; exit 0; }

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=0
rows=()
for n in "${names[@]}"; do
  if [ "$fresh" = 1 ]; then work="$(mktemp -d)"; else work="$OUT/corpus/$n"; mkdir -p "$work"; fi
  budget=(-max_total_time="$time_budget")
  [ -n "$runs" ] && budget=(-runs="$runs" -max_total_time="$time_budget")
  log="$OUT/$n.log"
  start=$(date +%s.%N)
  set +e
  "$OUT/$n" "${budget[@]}" -seed="$seed" -print_final_stats=1 -max_len=4096 \
    -artifact_prefix="$OUT/crashes/$n-" "$work" "$SRC/corpus/$n" >"$log" 2>&1
  rc=$?
  set -e
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  last=$(grep -aE '^#[0-9]+.*cov: ' "$log" | tail -n1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
  crashes=0
  if [ $rc -ne 0 ]; then
    crashes=1
    failed=1
    echo "fuzz-native: $n FAILED (exit $rc); log: ${log#"$ROOT"/}" >&2
    grep -aE 'ERROR|invariant|SUMMARY|runtime error' "$log" | head -n 5 >&2 || true
  fi
  [ "$fresh" = 1 ] && rm -rf "$work"
  rows+=("$(printf '| %-10s | %10s | %7s | %5s | %6s | %6s | %7s |' "$n" "${execs:-?}" "$secs" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes")")
done
echo "| harness    | executions | seconds |  cov: |    ft: | corpus | crashes |"
echo "|------------|------------|---------|-------|--------|--------|---------|"
printf '%s\n' "${rows[@]}"
exit $failed
