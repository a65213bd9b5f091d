#!/usr/bin/env bash
# Dump benchmark against the real clients, in ONE run: for a generated patients table loaded
# into the local PostgreSQL and MariaDB and dumped back by the real pg_dump / mariadb-dump
# (with an integer primary key added), times
#   restore — loading that dump with psql / mariadb into a fresh database (the baseline)
#   scan    — `anonkos scan --full` of the dump
#   run     — `anonkos run pipelines/test-copy.toml` on the dump (a dump output)
#   reload  — loading the anonymised output with psql / mariadb (it must load: ON_ERROR_STOP)
# alternating the commands REPS times; prints medians, ratios to the restore and peak RSS.
#
#   benches/bench_dump.sh [ROWS] [REPS]      (defaults 1,000,000 and 3)
#   DBS=pg DATA=/var/tmp/anonkos-dump benches/bench_dump.sh 2000000 1   (PostgreSQL only,
#                                             files outside the repository)
#
# Needs psql, pg_dump, mariadb, mariadb-dump and the servers at 127.0.0.1:5432 (trust) and
# 127.0.0.1:3306 (root, no password). Machines here are shared: read the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
REPS=${2:-3}
DATA=${DATA:-bench-data/dump}
DBS=${DBS:-pg my}
DB=${DB:-anonkos}  # database names ${DB}_bench, ${DB}_load
has() { case " $DBS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
mkdir -p "$DATA"
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet
BIN=$PWD/${CARGO_TARGET_DIR:-target}/release/anonkos
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres)
MY=(mariadb -h 127.0.0.1 -u root)

if has pg; then
  "$BIN" sample --out "$DATA" --bench-rows "$ROWS" --bench-format pgdump >/dev/null
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS ${DB}_bench" -c "CREATE DATABASE ${DB}_bench"
  "${PSQL[@]}" -d ${DB}_bench -f "$DATA/bench.pg.sql"
  "${PSQL[@]}" -d ${DB}_bench -c "ALTER TABLE patients ADD COLUMN id serial PRIMARY KEY"
  pg_dump -h 127.0.0.1 -U postgres -f "$DATA/real.pg.sql" ${DB}_bench
fi
if has my; then
  "$BIN" sample --out "$DATA" --bench-rows "$ROWS" --bench-format mysqldump >/dev/null
  "${MY[@]}" -e "DROP DATABASE IF EXISTS ${DB}_bench; CREATE DATABASE ${DB}_bench"
  "${MY[@]}" ${DB}_bench < "$DATA/bench.mysql.sql"
  "${MY[@]}" ${DB}_bench -e "ALTER TABLE patients ADD COLUMN id int AUTO_INCREMENT PRIMARY KEY"
  mariadb-dump -h 127.0.0.1 -u root --routines --triggers ${DB}_bench > "$DATA/real.my.sql"
fi
"$BIN" keygen --out "$DATA/bench.key" 2>/dev/null || true

# time_of NAME CMD... : wall seconds and peak RSS (MB) of one run, appended to $DATA/times.
time_of() {
  local name=$1; shift
  local t0 t1 rss
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$DATA/rss" "$@" >/dev/null 2>"$DATA/err" || { cat "$DATA/err" >&2; exit 1; }
  t1=$(date +%s.%N)
  rss=$(tail -n1 "$DATA/rss")
  echo "$name $(echo "$t1 - $t0" | bc) $((rss / 1024))" >> "$DATA/times"
}
fresh_pg() { "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS ${DB}_load" -c "CREATE DATABASE ${DB}_load"; }
fresh_my() { "${MY[@]}" -e "DROP DATABASE IF EXISTS ${DB}_load; CREATE DATABASE ${DB}_load"; }
# (/usr/bin/time runs programs, not shell functions: MariaDB loads go through sh -c.)

rm -f "$DATA/times"
for _ in $(seq "$REPS"); do
  if has pg; then
    fresh_pg; time_of pg-restore "${PSQL[@]}" -d ${DB}_load -f "$DATA/real.pg.sql"
    time_of pg-scan "$BIN" scan --full "$DATA/real.pg.sql" --format json --output "$DATA/scan.json"
    rm -rf "$DATA/out-pg"
    time_of pg-run "$BIN" run pipelines/test-copy.toml --quiet --input "$DATA/real.pg.sql" \
      --out-dir "$DATA/out-pg" --key-file "$DATA/bench.key"
    fresh_pg; time_of pg-reload "${PSQL[@]}" -d ${DB}_load -f "$DATA/out-pg/real.sql"
  fi
  if has my; then
    fresh_my; time_of my-restore sh -c "mariadb -h 127.0.0.1 -u root ${DB}_load < '$DATA/real.my.sql'"
    time_of my-scan "$BIN" scan --full "$DATA/real.my.sql" --format json --output "$DATA/scan.json"
    rm -rf "$DATA/out-my"
    time_of my-run "$BIN" run pipelines/test-copy.toml --quiet --input "$DATA/real.my.sql" \
      --out-dir "$DATA/out-my" --key-file "$DATA/bench.key"
    fresh_my; time_of my-reload sh -c "mariadb -h 127.0.0.1 -u root ${DB}_load < '$DATA/out-my/real.sql'"
  fi
done
has pg && "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS ${DB}_load" -c "DROP DATABASE IF EXISTS ${DB}_bench"
has my && "${MY[@]}" -e "DROP DATABASE IF EXISTS ${DB}_load; DROP DATABASE IF EXISTS ${DB}_bench"

echo "rows $ROWS; medians of $REPS"
for f in "$DATA/real.pg.sql" "$DATA/real.my.sql"; do [ -f "$f" ] && echo "$f: $(du -m "$f" | cut -f1) MB"; done
python3 - "$DATA/times" <<'PY'
import sys, statistics, collections
t = collections.defaultdict(list); m = collections.defaultdict(int)
for line in open(sys.argv[1]):
    name, secs, rss = line.split()
    t[name].append(float(secs)); m[name] = max(m[name], int(rss))
for db in ("pg", "my"):
    if f"{db}-restore" not in t:
        continue
    base = statistics.median(t[f"{db}-restore"])
    for step in ("restore", "scan", "run", "reload"):
        k = f"{db}-{step}"; med = statistics.median(t[k])
        print(f"{k:12} {med:8.2f} s  {med / base:6.2f} x restore  peak {m[k]:5d} MB")
PY
