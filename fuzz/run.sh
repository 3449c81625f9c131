#!/usr/bin/env bash
# Bounded fuzzing of every target, one at a time, each from its committed seeds.
#
#   fuzz/run.sh [TOTAL_SECONDS] [TARGET...]
#
# TOTAL_SECONDS (default 60 per target) is shared equally among the targets
# run (all of them unless some are named), at least 10 s each. New inputs go to
# a scratch corpus under the target directory, never into fuzz/corpus (the
# seeds, written by fuzz/seed.py), so the tree stays clean; a crash is written
# to fuzz/artifacts/<target>/. Prints per-target executions, exec/s, time and
# coverage, and exits 1 if any target failed.
#
# Environment: CARGO_TARGET_DIR (default $HOME/.cache/fastio-core/fuzz-target),
# FUZZ_SANITIZER (default none: the core forbids unsafe code, and without a
# sanitizer the same time buys several times the executions; `address` works
# too), FUZZ_WORK (scratch corpora, default $CARGO_TARGET_DIR/fuzz-work).
# Nightly and cargo-fuzz are installed only when missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fastio-core/fuzz-target}"
work="${FUZZ_WORK:-$CARGO_TARGET_DIR/fuzz-work}"
sanitizer="${FUZZ_SANITIZER:-none}"

if ! rustup toolchain list | grep '^nightly' >/dev/null; then
  rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz --locked
fi

total="${1:-}"
shift || true
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir "$here")
fi
[ -n "$total" ] || total=$((60 * ${#targets[@]}))
each=$((total / ${#targets[@]}))
[ "$each" -ge 10 ] || each=10

flags=(--fuzz-dir "$here" -s "$sanitizer" --debug-assertions)
cargo +nightly fuzz build "${flags[@]}"

printf '%-20s %12s %10s %6s %7s %8s  %s\n' target execs exec/s secs cov ft result
failed=0
sum=0
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t" "$here/corpus/$t"
  log="$work/$t.log"
  start=$(date +%s)
  result=ok
  # The scratch corpus comes first: libFuzzer writes new inputs to it. The
  # inputs of past findings (fuzz/artifacts-found/) are replayed as seeds.
  corpora=("$work/corpus/$t" "$here/corpus/$t")
  [ -d "$here/artifacts-found/$t" ] && corpora+=("$here/artifacts-found/$t")
  if ! cargo +nightly fuzz run "${flags[@]}" "$t" "${corpora[@]}" -- \
      -max_total_time="$each" -timeout=20 -print_final_stats=1 >"$log" 2>&1; then
    result="FAILED (see $log, fuzz/artifacts/$t/)"
    failed=1
  fi
  # libFuzzer's own running time ("Done N runs in S second(s)"), without the build.
  secs=$( (grep -oE 'runs in [0-9]+ second' "$log" || true) | tail -1 | grep -oE '[0-9]+' || true)
  [ -n "$secs" ] || secs=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1 || true)
  cov=$( (grep -oE 'cov: [0-9]+' "$log" || true) | tail -1 | cut -d' ' -f2)
  ft=$( (grep -oE 'ft: [0-9]+' "$log" || true) | tail -1 | cut -d' ' -f2)
  sum=$((sum + ${execs:-0}))
  printf '%-20s %12s %10s %6s %7s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$secs" \
    "${cov:-?}" "${ft:-?}" "$result"
done
printf '%-20s %12s\n' total "$sum"
exit "$failed"
