#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each one. Any crash fails the script;
# libFuzzer writes the input to artifacts/<target>/ (git-ignored) and prints how
# to replay it.
#
#   fuzz/run.sh --smoke        # CI: deterministic. Replays the committed seeds
#                              # (seeds/<target>/), then a fixed number of
#                              # mutations from a fixed seed (SMOKE_RUNS, default
#                              # 20000; SMOKE_SEED, default 1). Same binary, same
#                              # inputs: same result.
#   fuzz/run.sh 600 env        # open-ended: one target for 10 minutes, from the
#                              # seeds and the local corpus (corpus/<target>/,
#                              # git-ignored). Each find becomes a seed and a
#                              # named test.
#
# Uses a nightly toolchain when one is installed; otherwise RUSTC_BOOTSTRAP=1
# lets stable accept the flags cargo-fuzz passes. No sanitizer: the crate
# forbids unsafe code, and coverage-guided speed matters more here.
set -euo pipefail
cd "$(dirname "$0")"

smoke=
if [ "${1:-}" = "--smoke" ]; then
  smoke=1
  shift
  seconds=
else
  seconds="${1:-20}"
  shift || true
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <("${fuzz[@]}" list)
fi

echo "==> building ${#targets[@]} fuzz targets"
"${fuzz[@]}" build --sanitizer none

mkdir -p logs
for target in "${targets[@]}"; do
  log="logs/$target.log"
  status=0
  if [ -n "$smoke" ]; then
    runs="${SMOKE_RUNS:-20000}"
    echo "==> fuzz $target: replay seeds/$target, then $runs runs from seed ${SMOKE_SEED:-1}"
    # A scratch corpus, so that nothing found locally changes what CI runs.
    scratch=$(mktemp -d)
    "${fuzz[@]}" run --sanitizer none "$target" "$scratch" "seeds/$target" -- \
      -seed="${SMOKE_SEED:-1}" -runs="$runs" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 >"$log" 2>&1 || status=$?
    rm -rf "$scratch"
  else
    echo "==> fuzz $target for ${seconds}s"
    mkdir -p "corpus/$target"
    "${fuzz[@]}" run --sanitizer none "$target" "corpus/$target" "seeds/$target" -- \
      -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 >"$log" 2>&1 || status=$?
  fi
  grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::average_exec_per_sec)' "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 80 "$log" >&2
    echo "fuzz target $target failed (exit $status): input in fuzz/artifacts/$target/, log in fuzz/$log" >&2
    exit "$status"
  fi
done
if [ -n "$smoke" ]; then
  echo "==> fuzz: every target replayed its seeds and ran ${SMOKE_RUNS:-20000} fixed-seed mutations without a crash"
else
  echo "==> fuzz: every target ran ${seconds}s without a crash"
fi
