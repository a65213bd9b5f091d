"""Spark local mode through the anonkos-spark wheel: `mapInArrow` output equals `anonkos run`.

Run by python/ci.sh (which builds and installs the wheel first):

    python/ci.sh
"""

import os
import pathlib
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

import anonkos_spark
from anonkos_spark import AnonkosError, anonymise

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = anonkos_spark.find_anonkos_bin()


@pytest.fixture(scope="module")
def spark():
    # Local workers must use this interpreter, where the wheel is installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    s = (
        SparkSession.builder.master("local[2]")
        .appName("anonkos-test")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    path = tmp_path_factory.mktemp("key") / "share.key"
    subprocess.run([BIN, "keygen", "--out", str(path)], check=True, capture_output=True)
    return str(path)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """pseudonymised-share, writing Parquet (so `run` keeps types and nulls) and with the
    objection list at an absolute path (tasks may run in another directory)."""
    text = (ROOT / "pipelines/pseudonymised-share.toml").read_text(encoding="utf-8")
    text = text.replace('format = "same"', 'format = "parquet"')
    objections = ROOT / "pipelines/objections.example.txt"
    text = text.replace('"objections.example.txt"', f'"{objections}"')
    path = tmp_path_factory.mktemp("pipeline") / "share.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def read_csv(spark, name, sep=","):
    return (
        spark.read.option("header", True)
        .option("sep", sep)
        .option("multiLine", True)
        .option("escape", '"')
        .csv(str(ROOT / "sample-data" / name))
    )


def run_anonkos(pipeline, key, name, out_dir):
    proc = subprocess.run(
        [BIN, "run", pipeline, "--input", str(ROOT / "sample-data" / name),
         "--out-dir", str(out_dir), "--key-file", key, "--quiet"],
        capture_output=True, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    stem = name.split(".")[0]
    return pq.read_table(out_dir / f"{stem}.parquet").to_pylist()


def normalise(rows):
    # CSV cannot tell an empty field from a missing one and the two readers choose
    # differently (anonkos: "", Spark: null); everything else must match exactly.
    return sorted(
        tuple(sorted((k, "" if v is None else v) for k, v in r.items())) for r in rows
    )


@pytest.mark.parametrize("name,sep", [("patients.csv", ","), ("export_col.csv", "|")])
def test_spark_output_equals_anonkos_run(spark, key, pipeline, tmp_path, name, sep):
    expected = run_anonkos(pipeline, key, name, tmp_path / "run")
    df = read_csv(spark, name, sep).repartition(3)
    out = anonymise(df, pipeline, name, key_file=key)
    assert out.rdd.getNumPartitions() == 3
    got = [r.asDict() for r in out.collect()]
    assert len(got) == len(expected) > 0
    assert normalise(got) == normalise(expected)
    # Something was actually replaced: no input identifier survives in the first column.
    originals = {r[0] for r in df.collect()}
    assert not originals & {list(r.values())[0] for r in got}


def test_pseudonyms_join_across_partitions_and_plans(spark, key, pipeline):
    patients = read_csv(spark, "patients.csv")
    # A second table about the same people, planned separately and spread differently.
    visits = patients.select("nr_personal", "diagnoza").union(
        patients.select("nr_personal", "diagnoza")
    ).repartition(5)
    a = anonymise(patients.repartition(2), pipeline, "patients.csv", key_file=key)
    b = anonymise(visits, pipeline, "visits.csv", key_file=key)
    n_patients = a.count()
    joined = a.select("nr_personal").join(b.select("nr_personal"), "nr_personal")
    assert n_patients > 0
    assert joined.count() == 2 * n_patients


def test_row_local_only_privacy_pipeline_is_refused(spark, key):
    df = read_csv(spark, "patients.csv")
    with pytest.raises(AnonkosError) as e:
        anonymise(df, str(ROOT / "pipelines/research-release.toml"), "patients.csv",
                  key_file=key)
    assert e.value.exit_code == 2
    assert "--shard" in e.value.message


def test_a_task_failure_surfaces_exit_code_and_message(spark, key, pipeline, tmp_path):
    df = read_csv(spark, "patients.csv")
    p = anonkos_spark.plan(df, pipeline, "patients.csv", key_file=key)
    other = tmp_path / "other.key"
    subprocess.run([BIN, "keygen", "--out", str(other)], check=True, capture_output=True)
    # The driver planned with one key; the tasks get another: every task must refuse.
    with pytest.raises(Exception) as e:
        anonymise(df, pipeline, "patients.csv", key_file=str(other), frozen=p).collect()
    assert "not the key the plan was made with" in str(e.value)
    assert "1083513680" not in str(e.value)
