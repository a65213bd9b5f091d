//! The filing report's output model (`anonkos.report/v1`): filing systems with their
//! datasets and columns, findings, links, run outputs.
//!
//! In: nothing (plain data). Out: the serialised shape of the JSON contract described in
//! [`super`]; the renderers (`report::html`, `report::filing_md`) read these types.
use std::collections::BTreeMap;

use serde::Serialize;

use crate::detect::{Category, Role};
use crate::report::Tool;
use crate::report::catalogue::Controller;
use crate::report::law::{Article, Cite};
use crate::report::run::{Art9Assessment, BeforeAfter, Privacy};

/// Severity of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For information.
    Info,
    /// Housekeeping.
    Low,
    /// A duty to act on.
    Medium,
    /// A likely breach of the law.
    High,
    /// A prohibited processing.
    Critical,
}

impl Severity {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable code (see module docs).
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// The filing system concerned (id; drafts are `draft:<dataset>`).
    pub filing_system: Option<String>,
    /// Datasets concerned.
    pub datasets: Vec<String>,
    /// Columns concerned (`dataset: column`).
    pub columns: Vec<String>,
    /// Categories concerned.
    pub categories: Vec<Category>,
    /// What was found.
    pub message: String,
    /// What the controller should do.
    pub action: String,
    /// Articles it rests on.
    pub cites: Vec<Cite>,
}

/// One column in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnEntry {
    /// Name.
    pub name: String,
    /// Category.
    pub category: Category,
    /// Role.
    pub role: Role,
    /// Special category.
    pub special_category: bool,
    /// Confidence.
    pub confidence: f64,
    /// Estimated distinct values (identifier columns with a sketch).
    pub distinct_estimate: Option<u64>,
}

/// One dataset in the report.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetEntry {
    /// Path or URL.
    pub source: String,
    /// Table.
    pub table: Option<String>,
    /// `source` or `source:table`.
    pub label: String,
    /// The source pattern that mapped it (null for unmapped datasets).
    pub matched_by: Option<String>,
    /// Rows scanned.
    pub rows_scanned: u64,
    /// Total rows.
    pub rows_total: Option<u64>,
    /// Estimated data subjects (most distinct identifier column, extrapolated when sampled).
    pub subjects_estimate: Option<u64>,
    /// Scan error.
    pub error: Option<String>,
    /// Columns.
    pub columns: Vec<ColumnEntry>,
}

/// The Art. 17(1) catalogue as shown (declared or drafted).
#[derive(Debug, Clone, Serialize)]
pub struct CatalogueItems {
    /// 1.1
    pub title: String,
    /// 1.2
    pub controller: Controller,
    /// 1.3
    pub legal_basis: String,
    /// 1.4
    pub data_subjects: Vec<String>,
    /// 1.5
    pub personal_data: Vec<String>,
    /// 1.6
    pub purpose: String,
    /// 1.7
    pub retention: String,
    /// 1.8
    pub restrictions: String,
    /// 1.9
    pub recipients: Vec<String>,
    /// 1.10, as text.
    pub transfers_abroad: String,
    /// 1.10, each declared transfer (key added to `anonkos.report/v1`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transfers: Vec<crate::report::transfers::Transfer>,
    /// 1.11
    pub security_measures: String,
    /// 1.12
    pub linked_filing_systems: Vec<String>,
}

/// One filing system in the report.
#[derive(Debug, Clone, Serialize)]
pub struct FilingSystemEntry {
    /// Id (`draft:<dataset>` for drafts).
    pub id: String,
    /// Title.
    pub title: String,
    /// Declared in the catalogue (false: a draft generated from the scan).
    pub declared: bool,
    /// Kept by a public body.
    pub public_body: bool,
    /// A filing system of official criminal or minor-offence records (the catalogue flag; Art. 72).
    pub criminal_records: bool,
    /// The catalogue items.
    pub catalogue: CatalogueItems,
    /// Datasets mapped to it.
    pub datasets: Vec<DatasetEntry>,
    /// Columns per category found.
    pub categories_found: BTreeMap<Category, u64>,
    /// Special categories found.
    pub special_categories: Vec<Category>,
    /// Estimated data subjects (union of identifier sketches across its datasets).
    pub subjects_estimate: Option<u64>,
    /// Registration triggers met (06/L-082 overview §7.1).
    pub registration_triggers: Vec<String>,
    /// Impact-assessment triggers met (06/L-082 overview §7.4).
    pub dpia_triggers: Vec<String>,
}

/// Two filing systems sharing an identifier category.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    /// First filing system.
    pub a: String,
    /// Second filing system.
    pub b: String,
    /// The shared identifier category.
    pub category: Category,
    /// Estimated values present in both (from sketches of the scanned rows).
    pub shared_estimate: u64,
    /// Whether both sketches were exact (then the count is exact for the rows scanned).
    pub exact: bool,
}

/// One run output in the report.
#[derive(Debug, Clone, Serialize)]
pub struct RunEntry {
    /// Output path.
    pub path: String,
    /// SHA-256.
    pub sha256: Option<String>,
    /// Input dataset.
    pub input: Option<String>,
    /// Filing system of the input.
    pub filing_system: Option<String>,
    /// Rows.
    pub rows: Option<u64>,
    /// Art. 9 assessment.
    pub art9: Art9Assessment,
    /// Privacy models.
    pub privacy: Option<Privacy>,
    /// Risk before/after.
    pub risk: Option<BeforeAfter>,
    /// Utility before/after.
    pub utility: Option<BeforeAfter>,
}

/// Summary of the scan the report was made from.
#[derive(Debug, Clone, Serialize)]
pub struct ScanSummary {
    /// When the scan was made.
    pub generated_at: Option<String>,
    /// `sample` or `full`.
    pub mode: Option<String>,
    /// Datasets scanned.
    pub datasets: usize,
}

/// The filing-system report.
#[derive(Debug, Clone, Serialize)]
pub struct FilingReport {
    /// `anonkos.report/v1`.
    pub schema: &'static str,
    /// Tool.
    pub tool: Tool,
    /// RFC 3339 UTC.
    pub generated_at: String,
    /// The scan.
    pub scan: ScanSummary,
    /// Catalogue path.
    pub catalogue: String,
    /// Large-scale threshold used for DPIA triggers.
    pub large_scale_subjects: u64,
    /// Filing systems (declared first, then drafts).
    pub filing_systems: Vec<FilingSystemEntry>,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Links.
    pub links: Vec<Link>,
    /// Run outputs.
    pub runs: Vec<RunEntry>,
    /// Quoted text of every cited article.
    pub articles: Vec<Article>,
    /// Drift since a baseline scan (`scan --baseline`; see [`crate::report::drift`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<crate::report::drift::Drift>,
    /// Which law the report maps to (03/L-172, replaced by 06/L-082).
    pub framing: &'static str,
    /// Shown beside every verdict: pseudonymised data stay personal data, k-anonymity is
    /// evidence not proof, not legal advice.
    pub caveats: &'static [&'static str],
}
