#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for TARGET_SECONDS (default 20),
# starting from the committed seeds (seeds/<target>/) and the local corpus
# (corpus/<target>/, git-ignored). Any crash fails the script; libFuzzer writes
# the input to artifacts/<target>/ (git-ignored) and prints how to replay it.
#
#   fuzz/run.sh 20            # CI smoke run: 20 s per target
#   fuzz/run.sh 600 env       # one target for 10 minutes
#
# Uses a nightly toolchain when one is installed; otherwise RUSTC_BOOTSTRAP=1
# lets stable accept the flags cargo-fuzz passes. No sanitizer: the crate
# forbids unsafe code, and coverage-guided speed matters more here.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-20}"
shift || true

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
  echo "==> fuzz $target for ${seconds}s"
  mkdir -p "corpus/$target"
  log="logs/$target.log"
  status=0
  "${fuzz[@]}" run --sanitizer none "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::average_exec_per_sec)' "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 80 "$log" >&2
    echo "fuzz target $target failed (exit $status): input in fuzz/artifacts/$target/, log in fuzz/$log" >&2
    exit "$status"
  fi
done
echo "==> fuzz: every target ran ${seconds}s without a crash"
