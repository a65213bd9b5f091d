#!/usr/bin/env bash
# Run every fuzz target (or the ones named) one after the other, SECS seconds each, in
# libFuzzer's fork mode so that a crash is recorded in artifacts/<target>/ and fuzzing goes on.
# Logs go to logs/<target>.log (not committed); RESULTS.md quotes their final stats.
#   SECS=420 ./run-all.sh [target...]
set -u
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
: "${CARGO_TARGET_DIR:=target}"
export CARGO_TARGET_DIR
secs=${SECS:-420}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(csv pgdump mysqldump parquet validators pipeline_toml transforms)
mkdir -p logs
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    cargo fuzz run -s none "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        >"logs/$t.log" 2>&1
    echo "$t: exit $? $(grep -E '^#[0-9]+: cov' "logs/$t.log" | tail -1)"
done
