"""A nightly warehouse job: read a table, pseudonymise it with anonkos inside Spark, write Parquet.

Runs locally on Spark ``local[2]`` against the bundled synthetic sample data:

    anonkos keygen --out share.key                       # once; keep it apart from the data
    python examples/spark/nightly_job.py --key-file share.key
    # -> out/spark/patients/part-*.parquet

On a cluster the same code runs unchanged: install the anonkos-spark wheel on every node (or
ship a packed virtualenv with ``spark.archives``), put the pipeline and the key at the same path
on every executor (a mounted secret), and read from the warehouse instead of a CSV file.
See docs/distributed.md.
"""

import argparse
import os
import sys
import time

from pyspark.sql import SparkSession

from anonkos_spark import anonymise


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", default="sample-data/patients.csv")
    ap.add_argument("--pipeline", default="pipelines/pseudonymised-share.toml")
    ap.add_argument(
        "--dataset",
        default=None,
        help="the name the pipeline's dataset selectors see (default: the input's file name)",
    )
    ap.add_argument(
        "--key-file",
        default=os.environ.get("ANONKOS_KEY_FILE"),
        help="secret key, readable on every executor (else ANONKOS_KEY in their environment)",
    )
    ap.add_argument("--out", default="out/spark/patients")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=4)
    args = ap.parse_args()

    # Local workers must use this interpreter, where the wheel is installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master(args.master)
        .appName("anonkos-nightly")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    started = time.time()
    # Every column as text, as anonkos reads CSV; quoted fields may hold commas and newlines.
    df = (
        spark.read.option("header", True)
        .option("multiLine", True)
        .option("escape", '"')
        .csv(args.input)
        .repartition(args.partitions)
    )
    dataset = args.dataset or os.path.basename(args.input)
    # The plan is made once, here on the driver; every task applies it to its partition.
    safe = anonymise(df, args.pipeline, dataset, key_file=args.key_file)
    safe.write.mode("overwrite").parquet(args.out)
    rows = spark.read.parquet(args.out).count()
    print(
        f"{dataset}: {rows} rows written to {args.out} "
        f"({args.partitions} partitions, {time.time() - started:.1f} s)"
    )
    spark.stop()


if __name__ == "__main__":
    main()
