//! Scan reports: one model ([`ScanReport`]), three renderings.
//!
//! * [`json`]: the `anonkos.scan/v1` contract of DESIGN.md §4 (keys may be added, never
//!   renamed);
//! * [`markdown`]: for people (data-protection officers, auditors);
//! * [`table`]: the terminal default.
//!
//! Every value shown is masked by [`crate::redact`]; the model holds no raw cell.
use serde::Serialize;

use crate::detect::{Category, Role};
use crate::scan::DatasetScan;
use crate::source::RowCount;

pub mod catalogue;
pub mod drift;
pub mod escape;
pub mod filing;
pub mod filing_md;
pub mod html;
pub mod json;
pub mod law;
pub mod markdown;
pub mod processing_log;
pub mod run;
pub mod table;
pub mod transfers;
pub mod verdict;

/// The contract's schema name.
pub const SCAN_SCHEMA: &str = "anonkos.scan/v1";

/// Tool identification.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// Always `anonkos`.
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

/// A scan report.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// `anonkos.scan/v1`.
    pub schema: &'static str,
    /// Which tool wrote it.
    pub tool: Tool,
    /// RFC 3339 UTC time.
    pub generated_at: String,
    /// `sample` or `full`.
    pub mode: String,
    /// Pattern set origin (`embedded` or a directory).
    pub patterns: String,
    /// Identifies the per-process sketch key (one-way), so overlaps are only computed between
    /// sketches of the same report (see [`crate::detect::sketch`]).
    pub sketch_key_id: String,
    /// Datasets in input order.
    pub datasets: Vec<DatasetReport>,
    /// With `--state`: what was read and what was reused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incremental: Option<IncrementalSummary>,
    /// With `--baseline`: the drift since the baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<drift::Drift>,
}

/// What an incremental scan read (`incremental` in `anonkos.scan/v1`).
#[derive(Debug, Clone, Serialize)]
pub struct IncrementalSummary {
    /// The state file.
    pub state: String,
    /// Datasets read (classified from their rows).
    pub datasets_read: usize,
    /// Datasets unchanged since the state, whose stored result was reused.
    pub datasets_reused: usize,
    /// Rows read by this scan (reused datasets count none).
    pub rows_read: u64,
    /// Bytes read to compute fingerprints (sampled blocks, dump tables' row ranges).
    pub fingerprint_bytes: u64,
}

impl IncrementalSummary {
    /// Count over a scan's datasets.
    pub fn new(state: &str, datasets: &[DatasetScan], fingerprint_bytes: u64) -> Self {
        let reused = datasets.iter().filter(|d| d.reused).count();
        IncrementalSummary {
            state: state.to_string(),
            datasets_read: datasets.len() - reused,
            datasets_reused: reused,
            rows_read: datasets
                .iter()
                .filter(|d| !d.reused)
                .map(|d| d.rows_scanned)
                .sum(),
            fingerprint_bytes,
        }
    }
}

/// One dataset in a report.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetReport {
    /// Path or URL as given (no password).
    pub source: String,
    /// Table name or null.
    pub table: Option<String>,
    /// Format name, or null when the file could not be identified.
    pub format: Option<&'static str>,
    /// `ok` or `failed`.
    pub status: &'static str,
    /// The error, for failed datasets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Rows examined.
    pub rows_scanned: u64,
    /// Total rows (exact or estimated), null when unknown.
    pub rows_total: Option<u64>,
    /// Whether `rows_total` is an estimate.
    pub rows_total_estimated: bool,
    /// Whether only a sample was read.
    pub sampled: bool,
    /// How the source was read (delimiter, encoding, ...).
    pub notes: Vec<String>,
    /// Columns in order.
    pub columns: Vec<ColumnReport>,
    /// Unchanged since the state of an incremental scan: not read, the stored result reused
    /// (`rows_scanned` is then the earlier read's; no examples, no sketch).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reused: bool,
    /// A hidden workbook sheet (scanned like the others); absent when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

/// One column in a report.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    /// Column name.
    pub name: String,
    /// Category (contract vocabulary).
    pub category: Category,
    /// Role.
    pub role: Role,
    /// Special category of personal data.
    pub special_category: bool,
    /// Confidence in `[0, 1]`.
    pub confidence: f64,
    /// Evidence.
    pub evidence: Vec<crate::detect::Evidence>,
    /// Runner-ups.
    pub alternatives: Vec<crate::detect::classify::Alternative>,
    /// Entities embedded in text cells, by category name.
    pub entities: std::collections::BTreeMap<Category, u64>,
    /// Masked examples.
    pub examples: Vec<String>,
    /// Arrow type as read.
    pub data_type: String,
    /// Nested column (not scanned).
    pub nested: bool,
    /// For identifier columns that can link filing systems ([`is_linking_identifier`]): a
    /// bottom-k sketch of keyed hashes (key discarded), never a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sketch: Option<SketchReport>,
    /// A hidden workbook column (scanned like the others); absent when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

/// A column's sketch as written into `anonkos.scan/v1` (an added, optional key).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SketchReport {
    /// `kmv-hmac-sha256-64`: bottom-k of the first 64 bits of HMAC-SHA256 under a random key.
    pub scheme: String,
    /// Hashes kept at most.
    pub k: usize,
    /// Estimated distinct values in the rows scanned.
    pub distinct_estimate: u64,
    /// Whether the sketch holds every distinct value (fewer than `k`).
    pub exact: bool,
    /// The kept hashes, 16 hex digits each, ascending.
    pub hashes: Vec<String>,
}

/// The sketch scheme name.
pub const SKETCH_SCHEME: &str = "kmv-hmac-sha256-64";

impl SketchReport {
    /// From an in-memory sketch.
    pub fn from_sketch(s: &crate::detect::sketch::Sketch) -> Self {
        SketchReport {
            scheme: SKETCH_SCHEME.to_string(),
            k: crate::detect::sketch::SKETCH_K,
            distinct_estimate: s.distinct().round() as u64,
            exact: s.is_exact(),
            hashes: s.hashes().map(|h| format!("{h:016x}")).collect(),
        }
    }

    /// Back to a sketch; `None` for an unknown scheme or malformed hashes.
    pub fn to_sketch(&self) -> Option<crate::detect::sketch::Sketch> {
        if self.scheme != SKETCH_SCHEME {
            return None;
        }
        let hs: Option<Vec<u64>> = self
            .hashes
            .iter()
            .map(|h| u64::from_str_radix(h, 16).ok())
            .collect();
        hs.map(crate::detect::sketch::Sketch::from_hashes)
    }
}

pub use crate::detect::sketch::is_linking_identifier;

/// Connecting codes in the sense of Art. 2(1.17) of 03/L-172 (personal identification numbers
/// defined by law).
pub fn is_connecting_code(c: Category) -> bool {
    matches!(
        c,
        Category::KosovoPersonalNumber | Category::Jmbg | Category::IdCardNumber
    )
}

impl ScanReport {
    /// Build the report model from scan results.
    pub fn new(datasets: &[DatasetScan], full: bool, patterns: &str) -> Self {
        ScanReport {
            schema: SCAN_SCHEMA,
            tool: Tool {
                name: "anonkos",
                version: env!("CARGO_PKG_VERSION"),
            },
            generated_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            mode: if full { "full" } else { "sample" }.to_string(),
            patterns: patterns.to_string(),
            sketch_key_id: crate::detect::sketch::key_id(),
            datasets: datasets.iter().map(DatasetReport::from).collect(),
            incremental: None,
            drift: None,
        }
    }

    /// Whether any dataset failed.
    pub fn any_failed(&self) -> bool {
        self.datasets.iter().any(|d| d.status == "failed")
    }
}

impl From<&DatasetScan> for DatasetReport {
    fn from(d: &DatasetScan) -> Self {
        DatasetReport {
            source: d.source.clone(),
            table: d.table.clone(),
            format: d.format.map(|f| f.name()),
            status: if d.error.is_some() { "failed" } else { "ok" },
            error: d.error.clone(),
            rows_scanned: d.rows_scanned,
            rows_total: d.rows_total.map(RowCount::value),
            rows_total_estimated: matches!(d.rows_total, Some(RowCount::Estimated(_))),
            sampled: d.sampled,
            notes: d.notes.clone(),
            reused: d.reused,
            columns: d
                .columns
                .iter()
                .map(|c| ColumnReport {
                    name: c.name.clone(),
                    category: c.classification.category,
                    role: c.classification.role,
                    special_category: c.classification.special_category,
                    confidence: c.classification.confidence,
                    evidence: c.classification.evidence.clone(),
                    alternatives: c.classification.alternatives.clone(),
                    entities: c.classification.entities.clone(),
                    examples: c.examples.clone(),
                    data_type: c.data_type.clone(),
                    nested: c.nested,
                    sketch: (is_linking_identifier(c.classification.category)
                        && !c.sketch.is_empty())
                    .then(|| SketchReport::from_sketch(&c.sketch)),
                    hidden: c.hidden,
                })
                .collect(),
            hidden: d.hidden,
        }
    }
}

/// Output formats of `anonkos scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Terminal table.
    Table,
    /// `anonkos.scan/v1` JSON.
    Json,
    /// Markdown.
    Md,
    /// HTML (only with `--filing-systems`).
    Html,
}

/// Render a report.
pub fn render(report: &ScanReport, format: ReportFormat) -> String {
    match format {
        ReportFormat::Table => table::render(report),
        ReportFormat::Json => json::render(report),
        ReportFormat::Md | ReportFormat::Html => markdown::render(report),
    }
}

/// One-line summary of a column's evidence, for tables.
pub fn evidence_summary(c: &ColumnReport) -> String {
    use crate::detect::Evidence;
    let mut parts = Vec::new();
    for e in &c.evidence {
        match e {
            Evidence::Header { detail, .. } => parts.push(format!("header {detail}")),
            Evidence::Values {
                detector,
                category,
                matched,
                validated,
                non_empty,
            } if *category == c.category => parts.push(format!(
                "{detector} {matched}/{non_empty} ({validated} valid)"
            )),
            Evidence::Vocabulary {
                category,
                cells,
                non_empty,
            } if *category == c.category => parts.push(format!("vocabulary {cells}/{non_empty}")),
            Evidence::Names { cells, non_empty } if c.category == Category::PersonName => {
                parts.push(format!("names {cells}/{non_empty}"))
            }
            _ => {}
        }
    }
    if !c.entities.is_empty() {
        let total: u64 = c.entities.values().sum();
        parts.push(format!("{total} entities"));
    }
    parts.join("; ")
}
