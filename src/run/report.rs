//! The run report, `anonkos.run/v1`: what was read (with SHA-256), the plan, what each dataset
//! became (rows in/out/suppressed, per-column changes and problems), the outputs (with
//! SHA-256) and the verification. It never holds a raw value or the key.
use serde::Serialize;

use super::KeySource;
use super::verify::Verification;
use crate::config::pipeline::Pipeline;
use crate::plan::Plan;
use crate::sink::OutFormat;

/// The schema name.
pub const SCHEMA: &str = "anonkos.run/v1";

/// Pipeline identity.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineInfo {
    /// Path as given.
    pub path: String,
    /// `[pipeline] name`.
    pub name: String,
    /// SHA-256 of the pipeline file.
    pub sha256: Option<String>,
    /// Whether it was strict.
    pub strict: bool,
}

/// Where the key came from.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    /// file, env, ephemeral or none.
    pub source: KeySource,
    /// Short keyed fingerprint (safe to print) to tell keys apart.
    pub fingerprint: Option<String>,
}

/// An input file.
#[derive(Debug, Clone, Serialize)]
pub struct FileInfo {
    /// Path or URL (password removed).
    pub path: String,
    /// SHA-256 (files only).
    pub sha256: Option<String>,
    /// Size in bytes (files only).
    pub bytes: Option<u64>,
}

/// An output file.
#[derive(Debug, Clone, Serialize)]
pub struct OutputInfo {
    /// Path relative to the output directory.
    pub path: String,
    /// Its format.
    pub format: OutFormat,
    /// SHA-256.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// What happened to one column.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ColumnResult {
    /// Column.
    pub name: String,
    /// Action applied.
    pub action: String,
    /// Values changed (dropped columns: every row).
    pub changed: u64,
    /// Values the action could not handle (written as NULL, never passed through).
    pub problems: u64,
    /// One such value, masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem_example: Option<String>,
}

/// What happened to one dataset.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DatasetResult {
    /// Source.
    pub source: String,
    /// Table.
    pub table: Option<String>,
    /// Output file (relative to the output directory).
    pub output: String,
    /// Rows read.
    pub rows_in: u64,
    /// Rows written.
    pub rows_out: u64,
    /// Rows of people on the objection list.
    pub rows_suppressed: u64,
    /// Per column.
    pub columns: Vec<ColumnResult>,
    /// Observations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The whole run report.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// `anonkos.run/v1`.
    pub schema: &'static str,
    /// Tool name and version.
    pub tool: serde_json::Value,
    /// UTC time.
    pub generated_at: String,
    /// ok, refused (unsafe plan), dry_run, verification_failed.
    pub status: String,
    /// The pipeline.
    pub pipeline: PipelineInfo,
    /// The key's origin and fingerprint.
    pub key: KeyInfo,
    /// Output directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_dir: Option<String>,
    /// Inputs.
    pub inputs: Vec<FileInfo>,
    /// The plan.
    pub plan: Option<Plan>,
    /// Per dataset.
    pub datasets: Vec<DatasetResult>,
    /// Outputs.
    pub outputs: Vec<OutputInfo>,
    /// Re-scan of the outputs.
    pub verification: Option<Verification>,
    /// Wall time.
    pub seconds: f64,
    /// Observations (key warnings, …).
    pub notes: Vec<String>,
}

impl RunReport {
    /// An empty report for `pipeline`.
    pub fn new(pipeline: &Pipeline) -> Self {
        let sha = super::digest::sha256_file(&pipeline.path)
            .ok()
            .map(|(s, _)| s);
        RunReport {
            schema: SCHEMA,
            tool: serde_json::json!({"name": "anonkos", "version": env!("CARGO_PKG_VERSION")}),
            generated_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            status: "started".into(),
            pipeline: PipelineInfo {
                path: pipeline.path.display().to_string(),
                name: pipeline.meta.name.clone(),
                sha256: sha,
                strict: pipeline.meta.strict,
            },
            key: KeyInfo {
                source: KeySource::None,
                fingerprint: None,
            },
            out_dir: None,
            inputs: Vec::new(),
            plan: None,
            datasets: Vec::new(),
            outputs: Vec::new(),
            verification: None,
            seconds: 0.0,
            notes: Vec::new(),
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }
}
