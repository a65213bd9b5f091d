#!/usr/bin/env bash
# Same-run A/B of two anonkos binaries on one file: `scan --parse-only --full` and
# `scan --full`, alternating binaries and commands REPS times; prints wall, user and system
# seconds per run, then medians. Build the older commit in its own worktree and target dir:
#   git worktree add /tmp/old <commit> && (cd /tmp/old && CARGO_TARGET_DIR=/tmp/tgt-old cargo build --release)
#   benches/ab_scan.sh /tmp/tgt-old/release/anonkos target/release/anonkos bench-data/bench_7000000.csv 3
# The two scan reports are kept (ab-old.json, ab-new.json in $OUT) to compare: only the
# fields made with the per-process sketch key may differ.
set -euo pipefail
OLD=$1
NEW=$2
FILE=${3:-bench-data/bench_7000000.csv}
REPS=${4:-3}
OUT=${OUT:-bench-data}
mkdir -p "$OUT"
log=$(mktemp)
for ((r = 1; r <= REPS; r++)); do
  for b in old new; do
    bin=$OLD
    [ "$b" = new ] && bin=$NEW
    for m in parse full; do
      if [ "$m" = parse ]; then
        args=(scan --parse-only --full "$FILE")
        dest=/dev/null
      else
        args=(scan --full --format json "$FILE")
        dest="$OUT/ab-$b.json"
      fi
      t=$( { /usr/bin/time -f "%e %U %S" "$bin" "${args[@]}" >"$dest"; } 2>&1 | tail -n1)
      echo "$r $b $m $t" | tee -a "$log"
    done
  done
done
echo "medians (wall, user, system):"
for b in old new; do
  for m in parse full; do
    printf '%s %-5s' "$b" "$m"
    for col in 4 5 6; do
      grep " $b $m " "$log" | awk -v c=$col '{print $c}' | sort -n | awk '{a[NR]=$1} END {printf " %8.2f", a[int((NR+1)/2)]}'
    done
    echo
  done
done
rm -f "$log"
