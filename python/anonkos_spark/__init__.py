"""Run an anonkos pipeline inside Spark, partition by partition, through Arrow.

    from anonkos_spark import anonymise
    out = anonymise(df, "pipelines/pseudonymised-share.toml", "patients.csv",
                    key_file="/secrets/share.key")

Two steps, so that every task decides alike (docs/distributed.md):

1. on the driver, a sample of ``df`` is classified once (``anonkos transform --plan-out``): the
   result is a *frozen plan* (category and action per column, pipeline SHA-256, key
   fingerprint; no cell value) and the output schema;
2. ``df.mapInArrow`` runs the bundled ``anonkos`` binary once per partition
   (``anonkos transform --plan``), streaming Arrow record batches through its stdin and stdout.

The key never passes through Python or Spark: every task's ``anonkos`` reads it from
``key_file`` (a path readable on the executors) or from ``ANONKOS_KEY`` in the executors'
environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, List, Optional

import pyarrow as pa

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

__all__ = ["AnonkosError", "Plan", "anonymise", "find_anonkos_bin", "plan"]

# The binary's own default ([scan] sample_rows): the binary reads at most the pipeline's value.
DEFAULT_SAMPLE_ROWS = 5000


class AnonkosError(RuntimeError):
    """``anonkos`` failed; ``exit_code`` follows its documented codes (1 policy, 2 usage or
    configuration, 3 input, 4 output) and ``message`` is its stderr, which never holds a raw
    cell value."""

    def __init__(self, exit_code: int, message: str):
        super().__init__(f"anonkos exited with {exit_code}: {message.strip()}")
        self.exit_code = exit_code
        self.message = message


def find_anonkos_bin() -> str:
    """The ``anonkos`` executable: ``$ANONKOS_BIN``, else the one this wheel installed into the
    environment's scripts directory, else the first on ``PATH``."""
    env = os.environ.get("ANONKOS_BIN")
    if env:
        return env
    exe = "anonkos" + (sysconfig.get_config_var("EXE") or "")
    candidates = [os.path.join(sysconfig.get_path("scripts"), exe)]
    user = sysconfig.get_path("scripts", f"{os.name}_user")
    if user:
        candidates.append(os.path.join(user, exe))
    candidates.append(os.path.join(os.path.dirname(sys.executable), exe))
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    found = shutil.which("anonkos")
    if found:
        return found
    raise FileNotFoundError(
        "the anonkos binary was not found: install the anonkos-spark wheel on every node "
        "or set ANONKOS_BIN"
    )


@dataclass(frozen=True)
class Plan:
    """The driver's decisions, shipped to every task (no cell values, no key)."""

    #: The frozen plan (``anonkos.transform-plan/v1`` JSON).
    json: str
    #: What every task writes.
    output_schema: pa.Schema


def _base_args(binary: str, pipeline: str, key_file: Optional[str]) -> List[str]:
    args = [binary, "transform", pipeline]
    if key_file:
        args += ["--key-file", key_file]
    return args


def _sample_table(df: "DataFrame", sample_rows: int) -> pa.Table:
    # Spread the sample over the whole DataFrame (the head of one partition may be one
    # region, one year, ...): one count, then a seeded Bernoulli sample.
    total = df.count()
    frac = 1.0 if total <= sample_rows else min(1.0, 1.2 * sample_rows / total)
    sample = df if frac >= 1.0 else df.sample(withReplacement=False, fraction=frac, seed=2024)
    sample = sample.limit(sample_rows)
    if hasattr(sample, "toArrow"):  # pyspark >= 4.0
        return sample.toArrow()
    from pyspark.sql.pandas.types import to_arrow_schema  # pyspark 3.x

    return pa.Table.from_batches(sample._collect_as_arrow(), schema=to_arrow_schema(df.schema))


def plan(
    df: "DataFrame",
    pipeline: str,
    dataset: str,
    key_file: Optional[str] = None,
    *,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    binary: Optional[str] = None,
) -> Plan:
    """Classify a sample of ``df`` as dataset ``dataset`` and plan it with ``pipeline``.

    Raises :class:`AnonkosError` with exit code 1 when a strict pipeline leaves personal
    columns without a rule, and 2 for pipelines that cannot run row by row ([privacy],
    ephemeral keys)."""
    binary = binary or find_anonkos_bin()
    table = _sample_table(df, sample_rows)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    with tempfile.TemporaryDirectory(prefix="anonkos-plan-") as d:
        plan_path = os.path.join(d, "plan.json")
        args = _base_args(binary, os.path.abspath(pipeline), key_file)
        args += ["--dataset", dataset, "--plan-out", plan_path]
        proc = subprocess.run(args, input=sink.getvalue().to_pybytes(), capture_output=True)
        if proc.returncode != 0:
            raise AnonkosError(proc.returncode, proc.stderr.decode("utf-8", "replace"))
        with open(plan_path, encoding="utf-8") as f:
            text = f.read()
    schema = pa.ipc.open_stream(pa.py_buffer(proc.stdout)).schema
    return Plan(json=text, output_schema=schema)


def _spark_schema(schema: pa.Schema):
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def transform_batches(
    batches: Iterator[pa.RecordBatch],
    plan_json: str,
    pipeline: str,
    key_file: Optional[str] = None,
    binary: Optional[str] = None,
) -> Iterator[pa.RecordBatch]:
    """Stream ``batches`` through one ``anonkos transform`` process (the body of each
    ``mapInArrow`` task; usable without Spark). Memory holds a few batches at most."""
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        return  # an empty partition: nothing to send, nothing to yield
    binary = binary or find_anonkos_bin()
    with tempfile.TemporaryDirectory(prefix="anonkos-task-") as d:
        plan_path = os.path.join(d, "plan.json")
        with open(plan_path, "w", encoding="utf-8") as f:
            f.write(plan_json)
        args = _base_args(binary, pipeline, key_file) + ["--plan", plan_path]
        proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        stderr_chunks: List[bytes] = []
        feed_error: List[BaseException] = []

        def feed() -> None:
            # A thread of its own: anonkos writes output while it reads input, so feeding and
            # draining from one thread would deadlock once both pipe buffers are full.
            try:
                with pa.ipc.new_stream(proc.stdin, first.schema) as w:
                    w.write_batch(first)
                    for b in batches:
                        w.write_batch(b)
            except BaseException as e:  # reported after the child's own error, if any
                feed_error.append(e)
            finally:
                try:
                    proc.stdin.close()
                except OSError:
                    pass

        def drain_stderr() -> None:
            stderr_chunks.append(proc.stderr.read())

        feeder = threading.Thread(target=feed, name="anonkos-feed", daemon=True)
        errs = threading.Thread(target=drain_stderr, name="anonkos-stderr", daemon=True)
        feeder.start()
        errs.start()
        try:
            try:
                reader = pa.ipc.open_stream(proc.stdout)
                for out in reader:
                    yield out
            except pa.ArrowInvalid:
                pass  # the child failed before writing a stream: its exit code says why
            proc.stdout.close()
            code = proc.wait()
            feeder.join()
            errs.join()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if code != 0:
            raise AnonkosError(code, b"".join(stderr_chunks).decode("utf-8", "replace"))
        if feed_error:
            raise feed_error[0]


def anonymise(
    df: "DataFrame",
    pipeline: str,
    dataset: str,
    key_file: Optional[str] = None,
    *,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    binary: Optional[str] = None,
    frozen: Optional[Plan] = None,
) -> "DataFrame":
    """``df`` with ``pipeline``'s row-local actions applied, as a lazy DataFrame.

    ``dataset`` is the name the pipeline's ``dataset = "…"`` selectors match. ``pipeline`` and
    ``key_file`` must be readable at the same path on every executor (or leave ``key_file``
    out and set ``ANONKOS_KEY`` in the executors' environment). Give ``frozen`` (from
    :func:`plan`) to reuse a plan, e.g. one reviewed and kept with the job."""
    pipeline = os.path.abspath(pipeline)
    key_file = os.path.abspath(key_file) if key_file else None
    p = frozen or plan(df, pipeline, dataset, key_file, sample_rows=sample_rows, binary=binary)
    plan_json = p.json

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return transform_batches(batches, plan_json, pipeline, key_file, binary)

    return df.mapInArrow(run, _spark_schema(p.output_schema))
