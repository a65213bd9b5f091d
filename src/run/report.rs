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

/// Verification of one output dataset.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OutputVerification {
    /// No finding for this dataset.
    pub passed: bool,
    /// Columns still classified as direct identifiers that the plan did not transform (names
    /// only).
    pub remaining_direct_identifiers: Vec<String>,
}

/// One dataset written: where from, where to, what happened.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OutputResult {
    /// The input it was made from (path or URL without password).
    pub input: String,
    /// Input table, for multi-table sources.
    pub table: Option<String>,
    /// Output file, relative to the output directory.
    pub path: String,
    /// Output format.
    pub format: Option<OutFormat>,
    /// SHA-256 of the output file (shared by the tables of one dump or SQLite file).
    pub sha256: Option<String>,
    /// Size of the output file.
    pub bytes: Option<u64>,
    /// Rows written.
    pub rows: u64,
    /// Rows read.
    pub rows_in: u64,
    /// Rows of people on the objection list, left out.
    pub rows_suppressed: u64,
    /// Per column.
    pub columns: Vec<ColumnResult>,
    /// The re-scan of this dataset.
    pub verification: Option<OutputVerification>,
    /// Observations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// `[privacy]`: models, chosen levels, achieved k and l, verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privacy: Option<super::privacy::PrivacyResult>,
    /// `[privacy]`: re-identification risk before and after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<crate::report::run::BeforeAfter>,
    /// `[privacy]`: utility (information loss) before and after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utility: Option<crate::report::run::BeforeAfter>,
    /// `[aggregate]`: the threshold rule's suppression and its audit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<super::aggregate::AggregateResult>,
    /// The release verdict (anonymised / pseudonymised / not fit) and the facts behind it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<crate::report::verdict::Verdict>,
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
    /// The pipeline file.
    pub pipeline: String,
    /// `[pipeline] name`.
    pub pipeline_name: String,
    /// SHA-256 of the pipeline file.
    pub pipeline_sha256: Option<String>,
    /// Whether the pipeline was strict.
    pub strict: bool,
    /// The key's origin and fingerprint.
    pub key: KeyInfo,
    /// Output directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_dir: Option<String>,
    /// Inputs.
    pub inputs: Vec<FileInfo>,
    /// The plan.
    pub plan: Option<Plan>,
    /// One entry per dataset written.
    pub outputs: Vec<OutputResult>,
    /// Re-scan of the outputs.
    pub verification: Option<Verification>,
    /// Wall time.
    pub seconds: f64,
    /// Observations (key warnings, …).
    pub notes: Vec<String>,
    /// For `--shard i/n`: which shard, and the work units it processed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// Art. 12(3): to whom and on what legal basis the outputs are disclosed (the data and the
    /// time are the outputs' columns and `generated_at`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disclosure: Option<crate::config::pipeline::DisclosureSpec>,
}

/// What a sharded run did (`anonkos-run.shard-i-of-n.json`).
#[derive(Debug, Clone, Serialize)]
pub struct ShardInfo {
    /// 1-based shard number.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
    /// `summary` (phase 1 of a privacy run), `apply` (phase 2) or `run`.
    pub phase: String,
    /// Work units of the whole run (all shards).
    pub units_total: usize,
    /// The units this shard processed.
    pub units: Vec<UnitInfo>,
    /// Privacy summaries merged (phase 2) or written (phase 1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub summaries: Vec<String>,
}

/// One work unit of a sharded run.
#[derive(Debug, Clone, Serialize)]
pub struct UnitInfo {
    /// The input as given.
    pub input: String,
    /// Table, for multi-table inputs.
    pub table: Option<String>,
    /// Unit number within the dataset (0-based: row group or key range) and how many the
    /// dataset has.
    pub part: [usize; 2],
    /// Estimated weight in bytes (what the assignment balanced).
    pub weight: u64,
}

impl RunReport {
    /// An empty report for `pipeline`.
    pub fn new(pipeline: &Pipeline) -> Self {
        let sha = crate::digest::sha256_file(&pipeline.path)
            .ok()
            .map(|(s, _)| s);
        RunReport {
            schema: SCHEMA,
            tool: serde_json::json!({"name": "anonkos", "version": env!("CARGO_PKG_VERSION")}),
            generated_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            status: "started".into(),
            pipeline: pipeline.path.display().to_string(),
            pipeline_name: pipeline.meta.name.clone(),
            pipeline_sha256: sha,
            strict: pipeline.meta.strict,
            key: KeyInfo {
                source: KeySource::None,
                fingerprint: None,
            },
            out_dir: None,
            inputs: Vec::new(),
            plan: None,
            outputs: Vec::new(),
            verification: None,
            seconds: 0.0,
            notes: Vec::new(),
            shard: None,
            disclosure: pipeline.disclosure.clone(),
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
