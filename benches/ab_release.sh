#!/usr/bin/env bash
# Same-run A/B of two anonkos binaries on the research release, with polars' CSV → Parquet
# conversion of the same file as the baseline: polars, old, new, alternating REPS times;
# prints wall, user and system seconds and peak RSS per run, then medians and each median's
# ratio to polars'. Build the older commit as for benches/ab_scan.sh:
#   git worktree add /tmp/old <commit> && (cd /tmp/old && CARGO_TARGET_DIR=/tmp/tgt-old cargo build --release)
#   benches/ab_release.sh /tmp/tgt-old/release/anonkos target/release/anonkos bench-data/bench_7000000.csv 3
# Each binary's run report is kept (ab-release-old.json, ab-release-new.json in $OUT) to
# compare: only timings and token values may differ.
set -euo pipefail
OLD=$1
NEW=$2
FILE=${3:-bench-data/bench_7000000.csv}
REPS=${4:-3}
OUT=${OUT:-bench-data}
mkdir -p "$OUT"
python3 -c 'import polars' 2>/dev/null || python3 -m pip install --quiet polars
log=$(mktemp)
tf=$(mktemp)
for ((r = 1; r <= REPS; r++)); do
  for b in polars old new; do
    rm -rf "$OUT/ab-release"
    case $b in
      polars) cmd=(python3 -c "import polars as pl,sys; pl.scan_csv(sys.argv[1], infer_schema=False).sink_parquet(sys.argv[2])" "$FILE" "$OUT/ab-polars.parquet") ;;
      old) cmd=("$OLD" run pipelines/research-release.toml --input "$FILE" --out-dir "$OUT/ab-release" --quiet) ;;
      new) cmd=("$NEW" run pipelines/research-release.toml --input "$FILE" --out-dir "$OUT/ab-release" --quiet) ;;
    esac
    # The warning a release prints goes to /dev/null; time writes to its own file.
    /usr/bin/time -o "$tf" -f "%e %U %S %M" "${cmd[@]}" >/dev/null 2>/dev/null
    t=$(tail -n1 "$tf")
    [ "$b" = polars ] || cp "$OUT/ab-release/anonkos-run.json" "$OUT/ab-release-$b.json"
    echo "$r $b $t" | tee -a "$log"
  done
done
rm -rf "$OUT/ab-release" "$OUT/ab-polars.parquet"
median() { grep " $1 " "$log" | awk -v c="$2" '{print $c}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
base=$(median polars 3)
echo "medians (wall, user, system, peak RSS KB; ratio of wall to polars):"
for b in polars old new; do
  w=$(median "$b" 3)
  printf '%-6s %8.2f %8.2f %8.2f %10d %6.3f\n' "$b" "$w" "$(median "$b" 4)" "$(median "$b" 5)" "$(median "$b" 6)" "$(echo "$w $base" | awk '{print $1 / $2}')"
done
rm -f "$log" "$tf"
