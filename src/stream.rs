//! Arrow IPC stream in, Arrow IPC stream out: the row-local part of a pipeline, for
//! distributed engines (Spark's `mapInArrow`, see `docs/distributed.md`).
//!
//! A distributed job runs many copies of `anonkos transform` at once, one per partition, and
//! every copy must make the *same* decisions, or the same person would get different tokens
//! in different partitions and joins would break. So the work is split in two steps:
//!
//! 1. [`freeze`] (on the driver, once): classify a sample of the data, plan it with the
//!    pipeline, and write the result as a [`FrozenPlan`]: one category and action per column,
//!    the pipeline's SHA-256 and, when the driver holds the key, its fingerprint. No cell
//!    value is in it.
//! 2. [`transform`] (on every executor): re-plan from the frozen categories (no
//!    classification, so no partition can disagree), check that the pipeline and key are the
//!    ones the plan was made with, and stream every batch through
//!    [`crate::run::BatchTransform`], the same code `anonkos run` uses.
//!
//! Only row-local pipelines qualify: privacy models (`[privacy]`) need every row before the
//! first is written, and an ephemeral key would differ per process. Both are refused.
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_ipc::writer::StreamWriter;
use arrow_schema::{ArrowError, Schema, SchemaRef};
use serde::{Deserialize, Serialize};

use crate::config::pipeline::{KeyMode, Pipeline};
use crate::detect::{Category, PatternSet};
use crate::error::{Error, Location, Result};
use crate::key::Key;
use crate::plan::{DatasetPlan, Plan};
use crate::run::report::OutputResult;
use crate::run::{BatchTransform, PrivacyStage};
use crate::scan::{ColumnScan, DatasetScan, Scanner};
use crate::source::ReadOptions;
use crate::source::ipc::IpcSource;

/// The `schema` tag of a frozen plan file.
pub const PLAN_SCHEMA: &str = "anonkos.transform-plan/v1";

/// The decisions of one classification, shipped to every executor (contains no cell value).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrozenPlan {
    /// Always [`PLAN_SCHEMA`].
    pub schema: String,
    /// The pipeline's name.
    pub pipeline: String,
    /// SHA-256 of the pipeline file the plan was made with.
    pub pipeline_sha256: String,
    /// The dataset name the pipeline's `dataset = "…"` selectors were matched against.
    pub dataset: String,
    /// Rows the classification saw.
    pub rows_sampled: u64,
    /// Fingerprint of the key, when the planning process had one: executors must match it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_fingerprint: Option<String>,
    /// One entry per input column, in input order.
    pub columns: Vec<FrozenColumn>,
}

/// One column of a [`FrozenPlan`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrozenColumn {
    /// Column name.
    pub name: String,
    /// The category the plan used (after the planner's free-text promotion).
    pub category: Category,
    /// The action the pipeline chose for it.
    pub action: String,
}

impl FrozenPlan {
    /// Read a plan file written by [`FrozenPlan::to_json`].
    pub fn load(path: &Path) -> Result<FrozenPlan> {
        #[allow(clippy::disallowed_methods)] // a small plan file
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let plan: FrozenPlan = serde_json::from_str(&text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            line: Some(e.line()),
            msg: format!("not a transform plan: {e}"),
        })?;
        if plan.schema != PLAN_SCHEMA {
            return Err(Error::Config {
                path: path.to_path_buf(),
                line: None,
                msg: format!("schema is \"{}\", expected \"{PLAN_SCHEMA}\"", plan.schema),
            });
        }
        Ok(plan)
    }

    /// The plan as pretty JSON.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Refuse pipelines that cannot run partition by partition. Usage errors (exit 2).
pub fn check_row_local(pipeline: &Pipeline) -> Result<()> {
    if pipeline.privacy.is_some() {
        return Err(Error::Usage(format!(
            "{}: [privacy] (k-anonymity, l-diversity, t-closeness) needs every row of the dataset before the first can be written, so it cannot run batch by batch inside a distributed engine; use `anonkos run --shard i/n` (two-phase: every shard counts its quasi-identifier combinations, then one search, then every shard applies the result), or remove [privacy] for a row-local pseudonymisation",
            pipeline.path.display()
        )));
    }
    if pipeline.key.mode == KeyMode::Ephemeral {
        return Err(Error::Usage(format!(
            "{}: key.mode = \"ephemeral\" would make a different throw-away key in every task, so the same person would get different tokens in different partitions; use key.mode = \"required\" and give every task the same key (--key-file or ANONKOS_KEY)",
            pipeline.path.display()
        )));
    }
    Ok(())
}

/// The outcome of [`freeze`].
#[derive(Debug)]
pub enum Frozen {
    /// A plan every executor can apply, and the schema of what they will write.
    Ready {
        /// The plan to ship.
        plan: FrozenPlan,
        /// The output schema (give it to Spark as `mapInArrow`'s result schema).
        output_schema: SchemaRef,
    },
    /// A strict pipeline left personal columns without a rule (nothing may run).
    Unsafe(Plan),
}

/// Classify up to the pipeline's `[scan] sample_rows` rows of the Arrow IPC stream `input`
/// as dataset `dataset`, plan them, and freeze the result. `key_file` (or `ANONKOS_KEY`)
/// is optional here: when present, its fingerprint goes into the plan.
pub fn freeze<R: Read + Send + 'static>(
    pipeline: &Pipeline,
    dataset: &str,
    input: R,
    key_file: Option<&Path>,
    patterns: Arc<PatternSet>,
) -> Result<Frozen> {
    check_row_local(pipeline)?;
    let src = IpcSource::open(input, dataset, Some(pipeline.scan.sample_rows))?;
    let schema = crate::source::Source::schema(&src);
    let scanner = Scanner::new(
        patterns.clone(),
        ReadOptions {
            sample_rows: Some(pipeline.scan.sample_rows),
            ..ReadOptions::default()
        },
    );
    let scan = scanner.scan_source(Box::new(src));
    if let Some(e) = &scan.error {
        return Err(Error::input(Location::dataset(dataset), e.clone()));
    }
    let rows_sampled = scan.rows_scanned;
    let plan = crate::plan::plan(pipeline, std::slice::from_ref(&scan));
    if pipeline.meta.strict && !plan.is_safe() {
        return Ok(Frozen::Unsafe(plan));
    }
    let dp = plan
        .datasets
        .first()
        .ok_or_else(|| Error::Internal("the planner returned no dataset".into()))?;
    let key = optional_key(key_file)?;
    check_key_mode(pipeline, dp)?;
    // Output types do not depend on the key; a fixed stand-in lets the driver compute the
    // schema without holding the secret.
    let stand_in = Key::from_bytes([0; 32]);
    let tx = BatchTransform::new(
        Location::dataset(dataset),
        &schema,
        dp,
        Some(key.as_ref().unwrap_or(&stand_in)),
        &patterns,
        None,
        PrivacyStage::None,
    )?;
    let output_schema = tx.output_schema().clone();
    Ok(Frozen::Ready {
        plan: FrozenPlan {
            schema: PLAN_SCHEMA.into(),
            pipeline: pipeline.meta.name.clone(),
            pipeline_sha256: pipeline_sha256(pipeline)?,
            dataset: dataset.to_string(),
            rows_sampled,
            key_fingerprint: key.as_ref().map(Key::fingerprint),
            columns: dp
                .columns
                .iter()
                .map(|c| FrozenColumn {
                    name: c.name.clone(),
                    category: c.category,
                    action: c.action.clone(),
                })
                .collect(),
        },
        output_schema,
    })
}

/// Apply `frozen` to every batch of the Arrow IPC stream `input`, writing an Arrow IPC
/// stream to `output` batch by batch (memory holds one batch in and one out). An input with
/// no batches gives an output with no batches: the output schema alone.
pub fn transform<R: Read, W: Write>(
    pipeline: &Pipeline,
    frozen: &FrozenPlan,
    key_file: Option<&Path>,
    patterns: Arc<PatternSet>,
    input: R,
    output: W,
) -> Result<OutputResult> {
    check_row_local(pipeline)?;
    let loc = Location::dataset(frozen.dataset.clone());
    let reader = arrow_ipc::reader::StreamReader::try_new(input, None).map_err(|e| {
        Error::input(
            loc.clone(),
            format!("not an Arrow IPC stream (expected one on stdin): {e}"),
        )
    })?;
    let schema = reader.schema();
    let dp = thaw(pipeline, frozen, &schema)?;
    check_key_mode(pipeline, &dp)?;
    let needs_key = dp.columns.iter().any(|c| c.spec.needs_key()) || pipeline.suppress.is_some();
    let key = if needs_key {
        let (key, _, _) = crate::run::load_key(KeyMode::Required, key_file)?;
        key
    } else {
        None
    };
    if let (Some(want), Some(k)) = (&frozen.key_fingerprint, &key)
        && *want != k.fingerprint()
    {
        return Err(Error::Usage(format!(
            "the key here (fingerprint {}) is not the key the plan was made with ({want}): every task must use the same key, or the same person gets different tokens",
            k.fingerprint()
        )));
    }
    let suppression = match &pipeline.suppress {
        Some(s) => Some(crate::run::load_suppression(s, key.as_ref())?),
        None => None,
    };
    let mut tx = BatchTransform::new(
        loc.clone(),
        &schema,
        &dp,
        key.as_ref(),
        &patterns,
        suppression.as_ref(),
        PrivacyStage::None,
    )?;
    let mut writer = StreamWriter::try_new(output, tx.output_schema()).map_err(output_error)?;
    let mut row = 1u64;
    for next in reader {
        let batch = next.map_err(|e| {
            Error::input(
                loc.at_row(row),
                format!("reading the Arrow IPC stream: {e}"),
            )
        })?;
        row += batch.num_rows() as u64;
        let out = tx.apply(batch)?;
        writer.write(&out).map_err(output_error)?;
        // The reader on the other side may wait for this batch before sending more.
        writer.flush().map_err(output_error)?;
    }
    writer.finish().map_err(output_error)?;
    writer
        .into_inner()
        .and_then(|mut w| w.flush().map_err(|e| ArrowError::IoError(e.to_string(), e)))
        .map_err(output_error)?;
    Ok(tx.result)
}

/// The dataset plan for `schema` from the frozen categories: the pipeline's rules are applied
/// again (the pipeline stays the one source of actions), then checked against the frozen ones.
pub fn thaw(pipeline: &Pipeline, frozen: &FrozenPlan, schema: &Schema) -> Result<DatasetPlan> {
    let sha = pipeline_sha256(pipeline)?;
    if sha != frozen.pipeline_sha256 {
        return Err(Error::Usage(format!(
            "{}: this pipeline file differs from the one the plan was made with (SHA-256 {} vs {}); ship the same file to every task",
            pipeline.path.display(),
            short(&sha),
            short(&frozen.pipeline_sha256)
        )));
    }
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let planned: Vec<&str> = frozen.columns.iter().map(|c| c.name.as_str()).collect();
    if names != planned {
        return Err(Error::input(
            Location::dataset(frozen.dataset.clone()),
            format!(
                "the stream's columns [{}] are not the planned ones [{}]; make the plan from the same DataFrame",
                names.join(", "),
                planned.join(", ")
            ),
        ));
    }
    let scan = DatasetScan {
        source: frozen.dataset.clone(),
        table: None,
        format: Some(crate::source::Format::ArrowIpc),
        rows_scanned: 0,
        rows_total: None,
        sampled: true,
        notes: Vec::new(),
        hidden: false,
        columns: frozen
            .columns
            .iter()
            .zip(schema.fields())
            .map(|(c, f)| ColumnScan {
                name: c.name.clone(),
                data_type: f.data_type().to_string(),
                nested: f.data_type().is_nested(),
                cells: 0,
                classification: crate::detect::Classification {
                    category: c.category,
                    role: c.category.role(),
                    special_category: c.category.is_special(),
                    confidence: 1.0,
                    evidence: Vec::new(),
                    alternatives: Vec::new(),
                    entities: Default::default(),
                },
                examples: Vec::new(),
                sketch: Default::default(),
                keys: Default::default(),
                non_empty: 0,
                distinct: 0,
                hidden: false,
            })
            .collect(),
        error: None,
        reused: false,
        fingerprint: None,
    };
    let plan = crate::plan::plan(pipeline, std::slice::from_ref(&scan));
    let dp = plan
        .datasets
        .into_iter()
        .next()
        .ok_or_else(|| Error::Internal("the planner returned no dataset".into()))?;
    for (c, f) in dp.columns.iter().zip(&frozen.columns) {
        if c.action != f.action {
            return Err(Error::Usage(format!(
                "column \"{}\": the pipeline now gives action {} where the plan says {}; make the plan again with this anonkos version",
                c.name, c.action, f.action
            )));
        }
    }
    Ok(dp)
}

/// Keyed actions under `key.mode = "none"` are a configuration error, as in `anonkos run`.
fn check_key_mode(pipeline: &Pipeline, dp: &DatasetPlan) -> Result<()> {
    let keyed = dp.columns.iter().any(|c| c.spec.needs_key()) || pipeline.suppress.is_some();
    if keyed && pipeline.key.mode == KeyMode::None {
        return Err(Error::Usage(
            "the plan has keyed actions but the pipeline's key.mode is \"none\"".into(),
        ));
    }
    Ok(())
}

/// The key if one is given; planning does not need it.
fn optional_key(key_file: Option<&Path>) -> Result<Option<Key>> {
    if let Some(p) = key_file {
        return Key::from_file(p).map(|(k, _)| Some(k));
    }
    Key::from_env("ANONKOS_KEY")
}

fn pipeline_sha256(pipeline: &Pipeline) -> Result<String> {
    crate::digest::sha256_file(&pipeline.path).map(|(sha, _)| sha)
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// Writing the output stream failed: the reading side went away or the pipe broke (exit 4).
fn output_error(e: ArrowError) -> Error {
    let source = match e {
        ArrowError::IoError(_, io) => io,
        other => std::io::Error::other(other.to_string()),
    };
    Error::Output {
        path: PathBuf::from("<stdout>"),
        source,
    }
}
