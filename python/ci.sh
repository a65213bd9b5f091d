#!/usr/bin/env bash
# Build the anonkos-spark wheel (the anonkos binary + the anonkos_spark module) and run the
# Spark local-mode tests in tests/spark. Exits non-zero on any failure.
#
# Reuses $CARGO_TARGET_DIR (default ./target): the wheel is built with the `dev` profile, so
# the binary `cargo test` already built is reused (ANONKOS_WHEEL_PROFILE=release for a
# shippable wheel). The Python environment lives in $CARGO_TARGET_DIR/py-venv and is reused
# between runs (pyspark alone is ~300 MB to download).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
venv=${ANONKOS_PY_VENV:-$target/py-venv}
profile=${ANONKOS_WHEEL_PROFILE:-dev}
wheels=$target/wheels
started=$(date +%s)

if ! java -version >/dev/null 2>&1; then
    echo "ci.sh: installing a Java runtime for Spark" >&2
    apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
    "maturin>=1.5,<2" "pyspark>=3.5" "pyarrow>=14" "pandas>=2.2,<3" "pytest>=7"

rm -rf "$wheels"
(cd "$root/python" && CARGO_TARGET_DIR=$target "$venv/bin/maturin" build --quiet \
    --profile "$profile" --compatibility linux --out "$wheels")
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall \
    --no-deps "$wheels"/anonkos_spark-*.whl

cd "$root"
"$venv/bin/python" -m pytest -q tests/spark
echo "ci.sh: spark tests passed in $(( $(date +%s) - started )) s" >&2
