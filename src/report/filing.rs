//! The filing-system report (`anonkos.report/v1`): a scan (and optionally a run) mapped onto
//! the Art. 17 catalogues of `filing-systems.toml`, with findings that cite their article.
//!
//! JSON contract `anonkos.report/v1` (keys may be added, never renamed):
//! * `schema`, `tool{name,version}`, `generated_at`, `scan{generated_at, mode, datasets}`,
//!   `catalogue` (path), `large_scale_subjects`;
//! * `filing_systems[]`: `id`, `title`, `declared` (true for entries of the catalogue, false
//!   for drafts), `public_body`, `criminal_records`, `catalogue` (the Art. 17(1) items, for
//!   drafts the items the scan could fill and `"TO BE COMPLETED BY THE CONTROLLER"`),
//!   `datasets[]` (`source`, `table`, `matched_by`, `rows_scanned`, `rows_total`,
//!   `subjects_estimate`, `columns[]` with `name`, `category`, `role`, `special_category`,
//!   `confidence`), `categories_found{category: columns}`, `special_categories[]`,
//!   `subjects_estimate` (distinct identifiers, from keyed sketches; null when the datasets
//!   have no identifier column), `registration_triggers[]`, `dpia_triggers[]`;
//! * `findings[]`: `code`, `severity` (`info` < `low` < `medium` < `high` < `critical`),
//!   `filing_system`, `datasets[]`, `columns[]`, `categories[]`, `message`, `action`,
//!   `cites[]` (`law`, `article`, `anchor`: the anchor of the quoted text in `articles`);
//! * `links[]`: filing-system pairs sharing an identifier category, with the estimated
//!   number of shared values;
//! * `runs[]` (with `--run`): per output `path`, `sha256`, `filing_system`, `art9{verdict,
//!   reasons}`, `risk`, `utility`, `privacy`;
//! * `articles[]`: `id`, `title`, `text` of every cited article.
//!
//! Finding codes (their citations: `docs/filing-report.md`): `undeclared_category`,
//! `declared_not_found`, `unknown_declared_category`, `legal_basis_art9`,
//! `special_categories`, `health_connecting_code_only`, `linkable_filing_systems`,
//! `unmapped_dataset`, `registration_required`, `dpia_required`, `source_matches_nothing`,
//! `dataset_mapped_twice`, `dataset_failed`, `art9_anonymised`, `art9_pseudonymised`, `art9_not_fit`,
//! `disclosure_unrecorded`, `links_undeclared`, `controller_identity_incomplete`,
//! `transfers_unstated`, `transfer_incomplete`, `transfer_needs_authorisation`,
//! `catalogue_outdated` (with a baseline: [`super::drift::attach`]).
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::catalogue::{Catalogue, Controller, FilingSystem};
use super::law::{self, Article, Cite, l082, l172};
use super::run::{Art9Assessment, BeforeAfter, Privacy, RUN_SCHEMA, RunReport};
use super::{SCAN_SCHEMA, SketchReport, Tool, is_connecting_code, is_linking_identifier};
use crate::detect::sketch::Sketch;
use crate::detect::{Category, Role};
use crate::error::{Error, Result};

/// The report's schema name.
pub const REPORT_SCHEMA: &str = "anonkos.report/v1";

/// Text put in draft catalogue items the scan cannot fill.
pub const TO_COMPLETE: &str = "TO BE COMPLETED BY THE CONTROLLER";

/// A registration condition as the 06/L-082 overview (§7.1, a secondary source whose wording is
/// not Kosovo's law) lists it: more than 250 data subjects. Shown for information only; 03/L-172
/// Art. 18(1) requires notifying every filing system whatever its size.
pub const REGISTRATION_SUBJECTS: u64 = 250;

/// The duty of Art. 9(3) of 03/L-172, as an action for a release to recipients.
const ART9_3: &str = "the recipients must destroy or delete the data on completion of processing and then inform you in writing, without delay, when and how they did so (Art. 9(3))";
/// The duty of Art. 9(4) of 03/L-172, as an action.
const ART9_4: &str = "the results of the statistical or research processing are published only in anonymised form, unless a law or the data subjects' (or deceased persons' heirs') prior written consent allows otherwise (Art. 9(4))";
/// The conditions of Art. 13(3)–(4) of 03/L-172 for deceased persons, as an action.
const ART13: &str = "data of deceased persons are disclosed for these purposes only if the deceased allowed it in writing beforehand or, where they had so allowed, their legal heirs allow it in writing (Art. 13(3)–(4))";

// ---------------------------------------------------------------- input: the scan report

/// The part of an `anonkos.scan/v1` report the filing-system report reads.
#[derive(Debug, Clone, Deserialize)]
pub struct ScanInput {
    /// Schema name.
    pub schema: String,
    /// When it was made.
    #[serde(default)]
    pub generated_at: Option<String>,
    /// `sample` or `full`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Key id of the sketches.
    #[serde(default)]
    pub sketch_key_id: Option<String>,
    /// Datasets.
    #[serde(default)]
    pub datasets: Vec<ScanDatasetInput>,
}

/// One dataset of a scan report.
#[derive(Debug, Clone, Deserialize)]
pub struct ScanDatasetInput {
    /// Path or URL.
    pub source: String,
    /// Table.
    #[serde(default)]
    pub table: Option<String>,
    /// `ok` or `failed`.
    #[serde(default)]
    pub status: Option<String>,
    /// Error text.
    #[serde(default)]
    pub error: Option<String>,
    /// Rows examined.
    #[serde(default)]
    pub rows_scanned: u64,
    /// Total rows.
    #[serde(default)]
    pub rows_total: Option<u64>,
    /// Columns.
    #[serde(default)]
    pub columns: Vec<ScanColumnInput>,
}

/// One column of a scan report.
#[derive(Debug, Clone, Deserialize)]
pub struct ScanColumnInput {
    /// Name.
    pub name: String,
    /// Category name (unknown names are read as `none`).
    pub category: String,
    /// Confidence.
    #[serde(default)]
    pub confidence: f64,
    /// Sketch (identifier columns only).
    #[serde(default)]
    pub sketch: Option<SketchReport>,
}

impl ScanInput {
    /// Parse a scan report, refusing other schemas with a clear message.
    pub fn parse(text: &str, origin: &str) -> Result<ScanInput> {
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::Usage(format!("{origin}: not a JSON scan report: {e}")))?;
        match v.get("schema").and_then(|s| s.as_str()) {
            Some(SCAN_SCHEMA) => {}
            Some(other) => {
                return Err(Error::Usage(format!(
                    "{origin}: unknown scan report schema {other:?}; this anonkos reads {SCAN_SCHEMA:?} (re-run `anonkos scan --format json`)"
                )));
            }
            None => {
                return Err(Error::Usage(format!(
                    "{origin}: no \"schema\" key; expected a {SCAN_SCHEMA:?} report from `anonkos scan --format json`"
                )));
            }
        }
        serde_json::from_value(v)
            .map_err(|e| Error::Usage(format!("{origin}: malformed {SCAN_SCHEMA} report: {e}")))
    }
}

fn category_of(name: &str) -> Category {
    Category::from_name(name).unwrap_or(Category::None)
}

// ---------------------------------------------------------------- output model

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
    pub transfers: Vec<super::transfers::Transfer>,
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
    /// Drift since a baseline scan (`scan --baseline`; see [`super::drift`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<super::drift::Drift>,
    /// Which law the report maps to (03/L-172, replaced by 06/L-082).
    pub framing: &'static str,
    /// Shown beside every verdict: pseudonymised data stay personal data, k-anonymity is
    /// evidence not proof, not legal advice.
    pub caveats: &'static [&'static str],
}

// ---------------------------------------------------------------- building

/// A filing system as seen by link detection: id, declared, sensitive, criminal, sketches.
type LinkSide = (String, bool, bool, bool, Vec<(Category, Sketch)>);

struct Work<'a> {
    ds: &'a ScanDatasetInput,
    entry: DatasetEntry,
    sketches: Vec<(Category, Sketch)>,
}

/// Art. 17(1.12): two catalogued filing systems whose rows share identifier values, while
/// neither entry lists the other among its linked filing systems.
fn undeclared_link(cat: &Catalogue, a: &str, b: &str, cats: &[Category]) -> Option<Finding> {
    let fa = cat.filing_systems.iter().find(|f| f.id == a)?;
    let fb = cat.filing_systems.iter().find(|f| f.id == b)?;
    let declared = fa.linked_filing_systems.iter().any(|x| x == b)
        || fb.linked_filing_systems.iter().any(|x| x == a);
    if declared {
        return None;
    }
    Some(Finding {
        code: "links_undeclared",
        severity: Severity::Medium,
        filing_system: Some(a.to_string()),
        datasets: vec![a.to_string(), b.to_string()],
        columns: vec![],
        categories: cats.to_vec(),
        message: format!(
            "{a} and {b} share identifier values, but neither catalogue entry lists the other among \
             its linked filing systems (item 1.12)"
        ),
        action: "if they are linked, add each to the other's linked_filing_systems; the catalogue \
                 must be accurate and kept up to date (Art. 17(2))"
            .into(),
        cites: vec![
            l172("Art. 17(1.12)", "art-17"),
            l172("Art. 17(2)", "art-17"),
        ],
    })
}

/// Art. 12(3): a run whose outputs are still personal data (or a research release) must
/// register to whom, when and on what legal basis they went; the run report carries that as
/// `disclosure` when the pipeline names it.
fn disclosure_finding(r: &super::run::RunReport) -> Option<Finding> {
    if r.disclosure.is_some() || r.outputs.is_empty() {
        return None;
    }
    let personal: Vec<String> = r
        .outputs
        .iter()
        .filter(|o| o.privacy.is_some() || o.art9().verdict != super::verdict::ANONYMISED)
        .map(|o| o.path.clone())
        .collect();
    if personal.is_empty() {
        return None;
    }
    Some(Finding {
        code: "disclosure_unrecorded",
        severity: Severity::Medium,
        filing_system: None,
        datasets: personal,
        columns: vec![],
        categories: vec![],
        message: "the run's outputs are personal data or a research release, and the run report \
                  records no recipient or legal basis of their disclosure"
            .into(),
        action: "name the recipient and the legal basis in the pipeline's [disclosure] and run it \
                 again, so the run report and the processing log register which data went to \
                 whom, when and on what basis"
            .into(),
        cites: vec![l172("Art. 12(3)", "art-12")],
    })
}

fn label(source: &str, table: Option<&str>) -> String {
    match table {
        Some(t) => format!("{source}:{t}"),
        None => source.to_string(),
    }
}

fn dataset_work(ds: &ScanDatasetInput, matched_by: Option<String>) -> Work<'_> {
    let mut sketches = Vec::new();
    let mut columns = Vec::new();
    let mut best: Option<f64> = None;
    for c in &ds.columns {
        let cat = category_of(&c.category);
        let sk = c
            .sketch
            .as_ref()
            .filter(|_| is_linking_identifier(cat))
            .and_then(SketchReport::to_sketch);
        let distinct = sk.as_ref().map(Sketch::distinct);
        if let Some(d) = distinct {
            best = Some(best.map_or(d, |b: f64| b.max(d)));
        }
        if let Some(s) = sk {
            sketches.push((cat, s));
        }
        columns.push(ColumnEntry {
            name: c.name.clone(),
            category: cat,
            role: cat.role(),
            special_category: cat.is_special(),
            confidence: c.confidence,
            distinct_estimate: distinct.map(|d| d.round() as u64),
        });
    }
    let subjects = best.map(|d| extrapolate(d, ds.rows_scanned, ds.rows_total));
    Work {
        ds,
        entry: DatasetEntry {
            source: ds.source.clone(),
            table: ds.table.clone(),
            label: label(&ds.source, ds.table.as_deref()),
            matched_by,
            rows_scanned: ds.rows_scanned,
            rows_total: ds.rows_total,
            subjects_estimate: subjects,
            error: ds.error.clone(),
            columns,
        },
        sketches,
    }
}

/// Distinct identifiers in a sample → subjects in the whole dataset: when nearly every
/// sampled row has its own identifier (≥ 95 %), the whole dataset is assumed to as well
/// (`distinct × rows_total / rows_scanned`); otherwise the sample's count is kept (a lower
/// bound).
fn extrapolate(distinct: f64, scanned: u64, total: Option<u64>) -> u64 {
    match total {
        Some(t) if scanned > 0 && t > scanned && distinct >= 0.95 * scanned as f64 => {
            (distinct * t as f64 / scanned as f64).round() as u64
        }
        _ => distinct.round() as u64,
    }
}

/// Categories a catalogue's item 1.5 must declare. A record key is the filing system's own
/// numbering of its records, not a type of data about the person, so it is left out here (the
/// run verdict still counts it as personal data).
fn personal(c: Category) -> bool {
    matches!(
        c.role(),
        Role::DirectIdentifier | Role::QuasiIdentifier | Role::Sensitive
    )
}

/// Build the report.
pub fn build(scan: &ScanInput, cat: &Catalogue, run: Option<&RunReport>) -> Result<FilingReport> {
    if let Some(r) = run
        && r.schema != RUN_SCHEMA
    {
        return Err(Error::Usage(format!(
            "unknown run report schema {:?}; this anonkos reads {RUN_SCHEMA:?}",
            r.schema
        )));
    }
    let mut findings = Vec::new();
    // Map datasets.
    let mut mapped: Vec<Vec<Work>> = cat.filing_systems.iter().map(|_| Vec::new()).collect();
    let mut unmapped: Vec<Work> = Vec::new();
    for ds in &scan.datasets {
        let hits: Vec<(usize, String)> = cat
            .filing_systems
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                f.matching_source(&ds.source, ds.table.as_deref())
                    .map(|m| (i, m))
            })
            .collect();
        let lbl = label(&ds.source, ds.table.as_deref());
        if ds.status.as_deref() == Some("failed") || ds.error.is_some() {
            findings.push(Finding {
                code: "dataset_failed",
                severity: Severity::Medium,
                filing_system: hits.first().map(|(i, _)| cat.filing_systems[*i].id.clone()),
                datasets: vec![lbl.clone()],
                columns: vec![],
                categories: vec![],
                message: format!(
                    "the scan of {lbl} failed ({}); its columns may be incomplete",
                    ds.error.as_deref().unwrap_or("unknown error")
                ),
                action: "fix the input and scan again before relying on this report".into(),
                // Tool housekeeping: no article of the law is at stake.
                cites: vec![],
            });
        }
        if hits.len() > 1 {
            findings.push(Finding {
                code: "dataset_mapped_twice",
                severity: Severity::Low,
                filing_system: Some(cat.filing_systems[hits[0].0].id.clone()),
                datasets: vec![lbl.clone()],
                columns: vec![],
                categories: vec![],
                message: format!(
                    "{lbl} matches the sources of {} filing systems ({}); it is counted in the first",
                    hits.len(),
                    hits.iter()
                        .map(|(i, _)| cat.filing_systems[*i].id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                action: "make the source globs of the catalogue disjoint".into(),
                // Tool housekeeping: no article of the law is at stake.
                cites: vec![],
            });
        }
        match hits.into_iter().next() {
            Some((i, m)) => mapped[i].push(dataset_work(ds, Some(m))),
            None => unmapped.push(dataset_work(ds, None)),
        }
    }
    // Sources matching nothing.
    for f in &cat.filing_systems {
        for pat in f.source_patterns() {
            let any = scan.datasets.iter().any(|d| {
                let probe = FilingSystem {
                    sources: super::catalogue::Sources::default(),
                    ..f.clone()
                };
                let mut p = probe;
                if let Some((s, t)) = pat.split_once('#') {
                    p.sources.dump_tables.push(super::catalogue::TableSource {
                        source: s.into(),
                        table: t.into(),
                    });
                } else {
                    p.sources.files.push(pat.clone());
                }
                p.matches(&d.source, d.table.as_deref())
            });
            if !any {
                findings.push(Finding {
                    code: "source_matches_nothing",
                    severity: Severity::Low,
                    filing_system: Some(f.id.clone()),
                    datasets: vec![],
                    columns: vec![],
                    categories: vec![],
                    message: format!(
                        "source {pat:?} of filing system {:?} matches no scanned dataset",
                        f.id
                    ),
                    action: "scan that source too, or correct the catalogue's sources".into(),
                    // Tool housekeeping: no article of the law is at stake.
                    cites: vec![],
                });
            }
        }
    }

    let mut entries: Vec<FilingSystemEntry> = Vec::new();
    let mut fs_sketches: Vec<LinkSide> = Vec::new();

    for (f, works) in cat.filing_systems.iter().zip(mapped) {
        let (declared, unknown) = f.declared_categories();
        let (entry, sk) = summarise(
            f.id.clone(),
            f.title.clone(),
            true,
            f.public_body,
            f.criminal_records,
            items_of(f),
            works,
            cat.large_scale_subjects,
        );
        let missing = f.controller.missing_identity();
        if !missing.is_empty() {
            findings.push(Finding {
                code: "controller_identity_incomplete",
                severity: Severity::Medium,
                filing_system: Some(f.id.clone()),
                datasets: vec![],
                columns: vec![],
                categories: vec![],
                message: format!(
                    "item 1.2 of the catalogue entry lacks the controller's {}",
                    missing.join(", ")
                ),
                action: "complete [filing_system.controller]: kind, and for a natural person the \
                         address; for an independent trader the registered office or seat and the \
                         registration number; for a legal person the founder, the address or seat \
                         and the registration number"
                    .into(),
                cites: vec![l172("Art. 17(1.2)", "art-17")],
            });
        }
        findings.extend(super::transfers::findings(&f.id, &f.transfers_abroad));
        // Undeclared categories.
        let mut undeclared: BTreeMap<Category, Vec<String>> = BTreeMap::new();
        for d in &entry.datasets {
            for c in &d.columns {
                if personal(c.category) && !declared.contains(&c.category) {
                    undeclared
                        .entry(c.category)
                        .or_default()
                        .push(format!("{}: {}", d.label, c.name));
                }
            }
        }
        if !undeclared.is_empty() {
            let cats: Vec<Category> = undeclared.keys().copied().collect();
            findings.push(Finding {
                code: "undeclared_category",
                severity: Severity::High,
                filing_system: Some(f.id.clone()),
                datasets: entry.datasets.iter().map(|d| d.label.clone()).collect(),
                columns: undeclared.values().flatten().cloned().collect(),
                categories: cats.clone(),
                message: format!(
                    "{} found in {:?} but not declared in item 1.5 of its catalogue",
                    names(&cats),
                    f.id
                ),
                action: "add them to item 1.5 of the catalogue (Art. 17(2)); new categories of personal data must be notified to the Agency at least 20 days before they are entered (Art. 18(1)) — these are already in the data, so notify now — and the modified catalogue within 8 days of the modification (Art. 18(2)); the Agency then checks the processing beforehand and its proposals must be respected (prior checking, Art. 19)".into(),
                cites: vec![
                    l172("Art. 17(1.5)", "art-17"),
                    l172("Art. 17(2)", "art-17"),
                    l172("Art. 18(1)", "art-18"),
                    l172("Art. 18(2)", "art-18"),
                    l172("Art. 19", "art-19"),
                ],
            });
        }
        if !entry.datasets.is_empty() {
            let found: BTreeSet<Category> = entry.categories_found.keys().copied().collect();
            let missing: Vec<Category> = declared
                .iter()
                .copied()
                .filter(|c| !found.contains(c))
                .collect();
            if !missing.is_empty() {
                findings.push(Finding {
                    code: "declared_not_found",
                    severity: Severity::Low,
                    filing_system: Some(f.id.clone()),
                    datasets: entry.datasets.iter().map(|d| d.label.clone()).collect(),
                    columns: vec![],
                    categories: missing.clone(),
                    message: format!(
                        "{} declared in item 1.5 of {:?} but found in no column of its datasets",
                        names(&missing),
                        f.id
                    ),
                    action: "check whether the data lives in a source not scanned; otherwise correct item 1.5 so the catalogue is accurate (Art. 17(2))".into(),
                    cites: vec![l172("Art. 17(2)", "art-17")],
                });
            }
        }
        if !unknown.is_empty() {
            findings.push(Finding {
                code: "unknown_declared_category",
                severity: Severity::Info,
                filing_system: Some(f.id.clone()),
                datasets: vec![],
                columns: vec![],
                categories: vec![],
                message: format!(
                    "item 1.5 of {:?} names categories outside the scan vocabulary ({}); they are not compared",
                    f.id,
                    unknown.join(", ")
                ),
                action: "use the category names of `anonkos scan` where one fits".into(),
                cites: vec![l172("Art. 17(1.5)", "art-17")],
            });
        }
        if gives_art9_as_basis(&f.legal_basis) {
            findings.push(Finding {
                code: "legal_basis_art9",
                severity: Severity::Medium,
                filing_system: Some(f.id.clone()),
                datasets: vec![],
                columns: vec![],
                categories: vec![],
                message: format!(
                    "item 1.3 of {:?} gives Art. 9 of 03/L-172 as its legal basis; Art. 9 permits further processing for historical, statistical and scientific-research purposes, it is not a legal basis for processing",
                    f.id
                ),
                action: "give the legal basis of Art. 5(1) in item 1.3 (e.g. a legal obligation, 5(1.3), or a task in the public interest, 5(1.5), with the law that sets it), and of Art. 6(1) for sensitive data; Art. 9 may be named in addition for the further processing".into(),
                cites: vec![
                    l172("Art. 17(1.3)", "art-17"),
                    l172("Art. 5(1)", "art-5"),
                    l172("Art. 6(1)", "art-6"),
                    l172("Art. 9(1)", "art-9"),
                ],
            });
        }
        common_findings(&entry, &mut findings);
        fs_sketches.push((
            entry.id.clone(),
            entry.declared,
            !entry.special_categories.is_empty(),
            // Art. 72 concerns filing systems of official criminal and minor-offence records,
            // which the catalogue marks; a criminal-record column elsewhere is sensitive data
            // (Art. 71(3)).
            entry.criminal_records,
            sk,
        ));
        entries.push(entry);
    }

    for w in unmapped {
        let lbl = w.entry.label.clone();
        let id = format!("draft:{lbl}");
        let found: Vec<String> = {
            let mut s: Vec<Category> = w
                .entry
                .columns
                .iter()
                .map(|c| c.category)
                .filter(|c| personal(*c))
                .collect();
            s.sort();
            s.dedup();
            s.into_iter().map(|c| c.name().to_string()).collect()
        };
        let stem = std::path::Path::new(&w.ds.source)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| lbl.clone());
        let title = match &w.ds.table {
            Some(t) => format!("{t} ({stem}) — draft"),
            None => format!("{stem} — draft"),
        };
        let items = CatalogueItems {
            title: title.clone(),
            controller: Controller {
                name: TO_COMPLETE.into(),
                ..Controller::default()
            },
            legal_basis: TO_COMPLETE.into(),
            data_subjects: vec![TO_COMPLETE.into()],
            personal_data: found.clone(),
            purpose: TO_COMPLETE.into(),
            retention: TO_COMPLETE.into(),
            restrictions: TO_COMPLETE.into(),
            recipients: vec![TO_COMPLETE.into()],
            transfers_abroad: TO_COMPLETE.into(),
            transfers: Vec::new(),
            security_measures: TO_COMPLETE.into(),
            linked_filing_systems: vec![TO_COMPLETE.into()],
        };
        let (entry, sk) = summarise(
            id.clone(),
            title,
            false,
            false,
            false,
            items,
            vec![w],
            cat.large_scale_subjects,
        );
        let has_personal = !found.is_empty();
        findings.push(Finding {
            code: "unmapped_dataset",
            severity: if has_personal { Severity::High } else { Severity::Info },
            filing_system: Some(id.clone()),
            datasets: vec![lbl.clone()],
            columns: vec![],
            categories: found.iter().map(|n| category_of(n)).collect(),
            message: if has_personal {
                format!(
                    "{lbl} belongs to no declared filing system but holds personal data ({}); a draft catalogue entry was generated{}",
                    found.join(", "),
                    entry
                        .subjects_estimate
                        .map(|n| format!(" (about {n} data subjects)"))
                        .unwrap_or_default()
                )
            } else {
                format!("{lbl} belongs to no declared filing system; no personal data was found in it")
            },
            action: if has_personal {
                "complete the draft catalogue (items marked for the controller), add it to filing-systems.toml and notify the Agency at least 20 days before establishing the filing system (Art. 18(1)); the Agency then checks the processing beforehand (prior checking, Art. 19)".into()
            } else {
                "no catalogue is needed if the dataset indeed holds no personal data".into()
            },
            cites: if has_personal {
                vec![
                    l172("Art. 17(1)", "art-17"),
                    l172("Art. 18(1)", "art-18"),
                    l172("Art. 19", "art-19"),
                ]
            } else {
                vec![l172("Art. 17(1)", "art-17")]
            },
        });
        if has_personal {
            common_findings(&entry, &mut findings);
        }
        fs_sketches.push((
            entry.id.clone(),
            false,
            !entry.special_categories.is_empty(),
            // A draft is never a filing system of official criminal records (Art. 72).
            false,
            sk,
        ));
        entries.push(entry);
    }

    // Links between filing systems.
    let mut links = Vec::new();
    for i in 0..fs_sketches.len() {
        for j in i + 1..fs_sketches.len() {
            let (a, _, a_sens, a_crim, a_sk) = &fs_sketches[i];
            let (b, _, b_sens, b_crim, b_sk) = &fs_sketches[j];
            let mut shared_cats: Vec<(Category, u64, bool)> = Vec::new();
            for (ca, sa) in a_sk {
                for (cb, sb) in b_sk {
                    if ca == cb {
                        let o = sa.overlap(sb).round() as u64;
                        shared_cats.push((*ca, o, sa.is_exact() && sb.is_exact()));
                    }
                }
            }
            if shared_cats.is_empty() {
                continue;
            }
            for &(c, o, exact) in &shared_cats {
                links.push(Link {
                    a: a.clone(),
                    b: b.clone(),
                    category: c,
                    shared_estimate: o,
                    exact,
                });
            }
            let overlapping: Vec<&(Category, u64, bool)> =
                shared_cats.iter().filter(|s| s.1 > 0).collect();
            let cats: Vec<Category> = shared_cats.iter().map(|s| s.0).collect();
            // A connecting code is "used" when values of one are shared (or, before any
            // overlap is measured, when both hold one).
            let code_used = if overlapping.is_empty() {
                cats.iter().any(|c| is_connecting_code(*c))
            } else {
                overlapping.iter().any(|s| is_connecting_code(s.0))
            };
            let sensitive = *a_sens || *b_sens;
            let criminal = *a_crim || *b_crim;
            let (severity, mut cites, action) = if criminal {
                (
                    Severity::Critical,
                    vec![l172("Art. 72", "art-72")],
                    "do not link: linking filing systems of criminal records and minor-offence records (marked `criminal_records = true` in the catalogue) to other filing systems is prohibited (Art. 72); make sure the shared identifiers cannot be used to join them".to_string(),
                )
            } else if sensitive || code_used {
                (
                    Severity::High,
                    vec![l172("Art. 71(2)", "art-71"), l172("Art. 71(3)", "art-71")],
                    format!(
                        "notify the Agency in writing before linking (Art. 71(2)); linking needs the Agency's prior authorisation because {} (Art. 71(3))",
                        match (sensitive, code_used) {
                            (true, true) => "sensitive data and a connecting code are involved",
                            (true, false) => "sensitive data are involved",
                            _ => "it would use a connecting code",
                        }
                    ),
                )
            } else {
                (
                    Severity::Medium,
                    vec![l172("Art. 71(2)", "art-71")],
                    "notify the Agency in writing before linking the filing systems (Art. 71(2))"
                        .to_string(),
                )
            };
            if code_used {
                cites.push(l172("Art. 2(1.17)", "art-2"));
            }
            let (severity, message, action) = if overlapping.is_empty() {
                (
                    Severity::Info,
                    format!(
                        "{a} and {b} hold the same kind of identifier ({}) but no common value was found in the rows scanned; they could be linked if their populations overlap",
                        names(&cats)
                    ),
                    format!("nothing to do now; before linking them: {action}"),
                )
            } else {
                (
                    severity,
                    format!(
                        "{a} and {b} can be linked through shared identifiers: {}",
                        overlapping
                            .iter()
                            .map(|(c, o, exact)| format!(
                                "{c} ({}{o} common values)",
                                if *exact { "" } else { "about " }
                            ))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    action,
                )
            };
            if !overlapping.is_empty()
                && let Some(f) = undeclared_link(cat, a, b, &cats)
            {
                findings.push(f);
            }
            findings.push(Finding {
                code: "linkable_filing_systems",
                severity,
                filing_system: Some(a.clone()),
                datasets: vec![a.clone(), b.clone()],
                columns: vec![],
                categories: cats,
                message,
                action,
                cites,
            });
        }
    }

    // Runs.
    let mut runs = Vec::new();
    if let Some(r) = run {
        for o in &r.outputs {
            let fs = o.input.as_deref().and_then(|inp| {
                cat.filing_systems
                    .iter()
                    .find(|f| f.matches(inp, o.table.as_deref()))
                    .map(|f| f.id.clone())
            });
            let art9 = o.art9();
            let (code, severity) = match art9.verdict {
                "anonymised" => ("art9_anonymised", Severity::Info),
                "pseudonymised" => ("art9_pseudonymised", Severity::Medium),
                _ => ("art9_not_fit", Severity::High),
            };
            findings.push(Finding {
                code,
                severity,
                filing_system: fs.clone(),
                datasets: vec![o.path.clone()],
                columns: o
                    .verification
                    .as_ref()
                    .map(|v| v.remaining_direct_identifiers.clone())
                    .unwrap_or_default(),
                categories: vec![],
                message: format!(
                    "output {} is {}: {}",
                    o.path,
                    match art9.verdict {
                        "anonymised" => "anonymised (the technical checks of Art. 2(1.15) are met)",
                        "pseudonymised" => "pseudonymised and still personal data, not anonymised",
                        _ => "NOT fit for release as anonymised data",
                    },
                    art9.reasons.join("; ")
                ),
                action: match art9.verdict {
                    "anonymised" => format!("keep the run report and the processing log with the release; {ART9_4}"),
                    "pseudonymised" => format!("share it only as personal data: for statistical or research reuse a non-anonymised disclosure needs a provision of law or the data subjects' prior written consent (Art. 9(2)); {ART9_3}; {ART9_4}; {ART13}; for Art. 9 reuse prefer a release without keyed, reversible or record-key columns"),
                    _ => format!("do not release: change the pipeline and run it again; if personal data are nonetheless disclosed under Art. 9(2), {ART9_3}; {ART9_4}; {ART13}"),
                },
                cites: {
                    let mut c = vec![
                        l172("Art. 9(2)", "art-9"),
                        l172("Art. 2(1.15)", "art-2"),
                        l172("Art. 9(4)", "art-9"),
                    ];
                    if art9.verdict != "anonymised" {
                        c.push(l172("Art. 9(3)", "art-9"));
                        c.push(l172("Art. 13(3)", "art-13"));
                        c.push(l172("Art. 13(4)", "art-13"));
                    }
                    c
                },
            });
            runs.push(super::filing::RunEntry {
                path: o.path.clone(),
                sha256: o.sha256.clone(),
                input: o.input.clone(),
                filing_system: fs,
                rows: o.rows,
                art9,
                privacy: o.privacy.clone(),
                risk: o.risk.clone(),
                utility: o.utility.clone(),
            });
        }
        if let Some(f) = disclosure_finding(r) {
            findings.push(f);
        }
    }

    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let mut cited: BTreeSet<&str> = BTreeSet::new();
    for f in &findings {
        for c in &f.cites {
            cited.insert(c.anchor);
        }
    }
    let articles = law::articles()
        .into_iter()
        .filter(|a| cited.contains(a.id))
        .collect();
    Ok(FilingReport {
        schema: REPORT_SCHEMA,
        tool: Tool {
            name: "anonkos",
            version: env!("CARGO_PKG_VERSION"),
        },
        generated_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        scan: ScanSummary {
            generated_at: scan.generated_at.clone(),
            mode: scan.mode.clone(),
            datasets: scan.datasets.len(),
        },
        catalogue: cat.path.clone(),
        large_scale_subjects: cat.large_scale_subjects,
        filing_systems: entries,
        findings,
        links,
        runs,
        framing: super::verdict::FRAMING,
        caveats: super::verdict::CAVEATS,
        articles,
        drift: None,
    })
}

/// True when a catalogue's legal basis (item 1.3) names Art. 9 of 03/L-172 but neither Art. 5
/// nor Art. 6, the articles that give a legal basis.
fn gives_art9_as_basis(basis: &str) -> bool {
    let names = |n: &str| {
        basis.match_indices(&format!("Art. {n}")).any(|(i, m)| {
            !basis[i + m.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
    };
    names("9") && !names("5") && !names("6")
}

fn names(cats: &[Category]) -> String {
    cats.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
}

fn items_of(f: &FilingSystem) -> CatalogueItems {
    CatalogueItems {
        title: f.title.clone(),
        controller: f.controller.clone(),
        legal_basis: f.legal_basis.clone(),
        data_subjects: f.data_subjects.clone(),
        personal_data: f.personal_data.clone(),
        purpose: f.purpose.clone(),
        retention: f.retention.clone(),
        restrictions: f.restrictions.clone(),
        recipients: f.recipients.clone(),
        transfers_abroad: f.transfers_abroad.to_string(),
        transfers: match &f.transfers_abroad {
            super::transfers::Transfers::To(list) => list.clone(),
            _ => Vec::new(),
        },
        security_measures: f.security_measures.clone(),
        linked_filing_systems: f.linked_filing_systems.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
fn summarise(
    id: String,
    title: String,
    declared: bool,
    public_body: bool,
    criminal_records: bool,
    catalogue: CatalogueItems,
    works: Vec<Work>,
    large_scale: u64,
) -> (FilingSystemEntry, Vec<(Category, Sketch)>) {
    let mut categories_found: BTreeMap<Category, u64> = BTreeMap::new();
    let mut union: BTreeMap<Category, Sketch> = BTreeMap::new();
    let mut ratio: BTreeMap<Category, f64> = BTreeMap::new();
    let mut datasets = Vec::new();
    for w in works {
        for c in &w.entry.columns {
            if c.category != Category::None {
                *categories_found.entry(c.category).or_default() += 1;
            }
        }
        let scale = match w.entry.rows_total {
            Some(t) if w.entry.rows_scanned > 0 && t > w.entry.rows_scanned => {
                t as f64 / w.entry.rows_scanned as f64
            }
            _ => 1.0,
        };
        for (c, s) in w.sketches {
            let r = ratio.entry(c).or_insert(1.0);
            *r = r.max(scale);
            union.entry(c).or_default().merge(&s);
        }
        datasets.push(w.entry);
    }
    let subjects_estimate = union
        .iter()
        .map(|(c, s)| {
            let d = s.distinct();
            let r = ratio.get(c).copied().unwrap_or(1.0);
            // Extrapolate only unique-per-row identifiers (see `extrapolate`).
            if r > 1.0 {
                let scanned: u64 = datasets.iter().map(|d| d.rows_scanned).sum();
                if d >= 0.95 * scanned as f64 {
                    return (d * r).round() as u64;
                }
            }
            d.round() as u64
        })
        .max();
    let special_categories: Vec<Category> = categories_found
        .keys()
        .copied()
        .filter(|c| c.is_special())
        .collect();
    let mut registration_triggers = Vec::new();
    if let Some(n) = subjects_estimate
        && n > REGISTRATION_SUBJECTS
    {
        registration_triggers.push(format!(
            "more than {REGISTRATION_SUBJECTS} data subjects (about {n})"
        ));
    }
    if !special_categories.is_empty() {
        registration_triggers.push(format!("sensitive data ({})", names(&special_categories)));
    }
    if public_body {
        registration_triggers.push("belongs to a public body".to_string());
    }
    let mut dpia_triggers = Vec::new();
    if !special_categories.is_empty()
        && let Some(n) = subjects_estimate
        && n >= large_scale
    {
        dpia_triggers.push(format!(
            "large-scale processing of special categories (about {n} data subjects ≥ {large_scale})"
        ));
    }
    let sketches = union.into_iter().collect();
    (
        FilingSystemEntry {
            id,
            title,
            declared,
            public_body,
            criminal_records,
            catalogue,
            datasets,
            categories_found,
            special_categories,
            subjects_estimate,
            registration_triggers,
            dpia_triggers,
        },
        sketches,
    )
}

/// Findings that apply to declared filing systems and drafts alike.
fn common_findings(e: &FilingSystemEntry, findings: &mut Vec<Finding>) {
    if !e.special_categories.is_empty() {
        let mut cols = Vec::new();
        for d in &e.datasets {
            for c in &d.columns {
                if c.special_category {
                    cols.push(format!("{}: {} ({})", d.label, c.name, c.category));
                }
            }
        }
        // Each category with the words of Art. 2(1.16) it falls under, or its 06/L-082 source.
        let mut cites = vec![
            l172("Art. 2(1.16)", "art-2"),
            l172("Art. 6(1)", "art-6"),
            l172("Art. 7", "art-7"),
        ];
        let described: Vec<String> = e
            .special_categories
            .iter()
            .map(|c| match law::special_category_source(*c) {
                Some((words, cite)) => {
                    if !cites.contains(&cite) {
                        cites.push(cite);
                    }
                    format!("{c} ({words})")
                }
                None => c.name().to_string(),
            })
            .collect();
        findings.push(Finding {
            code: "special_categories",
            severity: Severity::High,
            filing_system: Some(e.id.clone()),
            datasets: e.datasets.iter().map(|d| d.label.clone()).collect(),
            columns: cols,
            categories: e.special_categories.clone(),
            message: format!(
                "{:?} holds sensitive personal data (Art. 2(1.16) of 03/L-172): {}",
                e.id,
                described.join("; ")
            ),
            action: "make sure one of the legal grounds of Art. 6(1) applies and is recorded in item 1.3, and that the data are specifically protected and classified (Art. 7)".into(),
            cites,
        });
    }
    // Health data keyed by a connecting code only.
    for d in &e.datasets {
        let cats: BTreeSet<Category> = d.columns.iter().map(|c| c.category).collect();
        let health = cats.contains(&Category::Health);
        let codes: Vec<&ColumnEntry> = d
            .columns
            .iter()
            .filter(|c| is_connecting_code(c.category))
            .collect();
        let other_ident = d.columns.iter().any(|c| {
            matches!(
                c.category,
                Category::PersonName | Category::DateOfBirth | Category::StreetAddress
            )
        });
        if health && !codes.is_empty() && !other_ident {
            findings.push(Finding {
                code: "health_connecting_code_only",
                severity: Severity::High,
                filing_system: Some(e.id.clone()),
                datasets: vec![d.label.clone()],
                columns: codes
                    .iter()
                    .map(|c| format!("{}: {} ({})", d.label, c.name, c.category))
                    .collect(),
                categories: vec![Category::Health],
                message: format!(
                    "{} holds health data identified only by a connecting code ({})",
                    d.label,
                    codes
                        .iter()
                        .map(|c| c.category.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                action: "health data must not be collected and processed by using only a connecting code (Art. 11(1)): key the records by other identifying data as well. The code may be used alone only exceptionally, when it is the only data element in a specific case to protect the life or body of data subjects, and each such use must be recorded without delay in an official annotation or other written record attached to the data (Art. 11(2))".into(),
                cites: vec![
                    l172("Art. 11(1)", "art-11"),
                    l172("Art. 11(2)", "art-11"),
                    l172("Art. 2(1.17)", "art-2"),
                ],
            });
        }
    }
    // Art. 18(1) of 03/L-172 requires notifying every filing system; the overview's §7.1
    // triggers are a secondary source's paraphrase of 06/L-082, shown for information only.
    findings.push(Finding {
        code: "registration_required",
        severity: Severity::Medium,
        filing_system: Some(e.id.clone()),
        datasets: e.datasets.iter().map(|d| d.label.clone()).collect(),
        columns: vec![],
        categories: e.special_categories.clone(),
        message: if e.registration_triggers.is_empty() {
            format!(
                "{:?} is a filing system: every filing system is notified to the Agency (Art. 18(1) of 03/L-172)",
                e.id
            )
        } else {
            format!(
                "{:?} is a filing system: every filing system is notified to the Agency (Art. 18(1) of 03/L-172). For information, it also meets registration conditions listed by the 06/L-082 overview §7.1, a secondary source whose wording is not Kosovo's law: {}",
                e.id,
                e.registration_triggers.join("; ")
            )
        },
        action: "unless already done, notify the Agency of the catalogue items of Art. 17(1) at least 20 days before establishing the filing system or entering new categories (Art. 18(1)), and of any modification within 8 days (Art. 18(2)); the Agency checks the processing beforehand (Art. 19)".into(),
        cites: {
            let mut c = vec![
                l172("Art. 18(1)", "art-18"),
                l172("Art. 18(2)", "art-18"),
                l172("Art. 19", "art-19"),
            ];
            if !e.registration_triggers.is_empty() {
                c.push(l082("§7.1", "l082-registration"));
            }
            c
        },
    });
    if !e.dpia_triggers.is_empty() {
        findings.push(Finding {
            code: "dpia_required",
            severity: Severity::Medium,
            filing_system: Some(e.id.clone()),
            datasets: e.datasets.iter().map(|d| d.label.clone()).collect(),
            columns: vec![],
            categories: e.special_categories.clone(),
            message: format!(
                "{:?} meets impact-assessment triggers: {}",
                e.id,
                e.dpia_triggers.join("; ")
            ),
            action: "carry out a data protection impact assessment before (further) processing"
                .into(),
            cites: vec![l082("§7.4", "l082-dpia")],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ------------------------------------------------ the citation defects, one test each

    fn scan_of(datasets: serde_json::Value) -> ScanInput {
        let v = serde_json::json!({"schema": SCAN_SCHEMA, "datasets": datasets});
        ScanInput::parse(&v.to_string(), "scan.json").expect("scan")
    }

    /// A complete catalogue entry; `extra` adds flag lines such as `public_body = true`.
    fn entry(id: &str, basis: &str, personal: &[&str], files: &[&str], extra: &str) -> String {
        let q = |v: &[&str]| {
            v.iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "[[filing_system]]\nid = {id:?}\n{extra}\ntitle = \"T\"\nlegal_basis = {basis:?}\ndata_subjects = [\"s\"]\npersonal_data = [{}]\npurpose = \"p\"\nretention = \"r\"\nrestrictions = \"none\"\nrecipients = []\ntransfers_abroad = \"none\"\nsecurity_measures = \"m\"\nlinked_filing_systems = []\n[filing_system.controller]\nname = \"C\"\n[filing_system.sources]\nfiles = [{}]\n\n",
            q(personal),
            q(files)
        )
    }

    fn cat_of(text: &str) -> Catalogue {
        Catalogue::parse(text, "fs.toml").expect("catalogue")
    }

    fn col(name: &str, category: &str) -> serde_json::Value {
        serde_json::json!({"name": name, "category": category, "confidence": 0.9})
    }

    fn labels(f: &Finding) -> Vec<String> {
        f.cites.iter().map(|c| c.label()).collect()
    }

    fn quoted<'a>(r: &'a FilingReport, anchor: &str) -> &'a str {
        r.articles
            .iter()
            .find(|a| a.id == anchor)
            .map(|a| a.text)
            .unwrap_or_else(|| panic!("{anchor} not quoted"))
    }

    fn with_code<'a>(r: &'a FilingReport, code: &str) -> Vec<&'a Finding> {
        r.findings.iter().filter(|f| f.code == code).collect()
    }

    fn run_of(outcome: &str) -> RunReport {
        serde_json::from_value(serde_json::json!({
            "schema": RUN_SCHEMA,
            "outputs": [{"input": "a.csv", "path": "out/a.csv",
                "verification": {"passed": true, "remaining_direct_identifiers": []},
                "verdict": {"outcome": outcome, "reasons": ["r"]}}]
        }))
        .expect("run report")
    }

    fn art9_report(outcome: &str) -> FilingReport {
        let scan = scan_of(serde_json::json!([
            {"source": "a.csv", "columns": [col("age", "age")]}
        ]));
        let cat = cat_of(&entry("s", "Art. 5(1.5)", &["age"], &["a.csv"], ""));
        build(&scan, &cat, Some(&run_of(outcome))).expect("report")
    }

    #[test]
    fn defect01_art9_verdict_quotes_anonymity_of_art_2_1_15() {
        for (outcome, code) in [
            ("anonymised", "art9_anonymised"),
            ("pseudonymised", "art9_pseudonymised"),
            ("not_fit", "art9_not_fit"),
        ] {
            let r = art9_report(outcome);
            let f = with_code(&r, code);
            assert_eq!(f.len(), 1, "{outcome}");
            assert!(labels(f[0]).contains(&"Art. 2(1.15) 03/L-172".to_string()));
            let t = quoted(&r, "art-2");
            assert!(t.contains("1.15 Anonymity"), "{t}");
            assert!(t.contains("can no longer be linked to the data subject"));
        }
    }

    #[test]
    fn defect02_art9_4_results_published_only_in_anonymised_form() {
        for outcome in ["anonymised", "pseudonymised", "not_fit"] {
            let r = art9_report(outcome);
            let f = r
                .findings
                .iter()
                .find(|f| f.code.starts_with("art9_"))
                .expect("art9 finding");
            assert!(labels(f).contains(&"Art. 9(4) 03/L-172".to_string()));
            assert!(f.action.contains("published only in anonymised form"));
            assert!(f.action.contains("(Art. 9(4))"));
            assert!(quoted(&r, "art-9").contains("shall be published in anonymised form"));
        }
    }

    #[test]
    fn defect03_art9_3_and_13_3_4_are_actions_of_a_release() {
        for outcome in ["pseudonymised", "not_fit"] {
            let r = art9_report(outcome);
            let f = r
                .findings
                .iter()
                .find(|f| f.code.starts_with("art9_"))
                .expect("art9 finding");
            let l = labels(f);
            for a in [
                "Art. 9(3) 03/L-172",
                "Art. 13(3) 03/L-172",
                "Art. 13(4) 03/L-172",
            ] {
                assert!(l.contains(&a.to_string()), "{a} in {l:?}");
            }
            assert!(
                f.action
                    .contains("destroy or delete the data on completion of processing")
            );
            assert!(f.action.contains("inform you in writing"));
            assert!(f.action.contains("deceased"));
            assert!(quoted(&r, "art-9").contains("shall without delay inform in writing"));
            let t13 = quoted(&r, "art-13");
            assert!(t13.contains("deceased individual has preliminarily allowed in writing"));
            assert!(t13.contains("the legal heirs may allow in writing"));
        }
    }

    #[test]
    fn defect04_special_categories_are_exactly_art_2_1_16() {
        let scan = scan_of(serde_json::json!([{"source": "a.csv", "columns": [
            col("etnia", "ethnic_origin"), col("partia", "political_opinion"),
            col("gjurmet", "biometric"), col("adn", "genetic"), col("seks", "sex_life")
        ]}]));
        let cat = cat_of(&entry(
            "s",
            "Art. 5(1.3)",
            &[
                "ethnic_origin",
                "political_opinion",
                "biometric",
                "genetic",
                "sex_life",
            ],
            &["a.csv"],
            "",
        ));
        let r = build(&scan, &cat, None).expect("report");
        let f = with_code(&r, "special_categories");
        assert_eq!(f.len(), 1);
        let m = &f[0].message;
        assert!(m.contains("racial or ethnic origin"), "{m}");
        assert!(m.contains("political or philosophical opinions"), "{m}");
        assert!(
            m.contains("sensitive only if they enable the identification"),
            "{m}"
        );
        assert!(m.contains("genetic data: named by 06/L-082 (overview §7.9), not by 03/L-172"));
        assert!(m.contains("sexual orientation is named only by 06/L-082"));
        let l = labels(f[0]);
        assert!(l.contains(&"Art. 2(1.16) 03/L-172".to_string()));
        assert!(l.contains(&"06/L-082 overview §7.9".to_string()), "{l:?}");
        let t = quoted(&r, "art-2");
        assert!(t.contains("racial or ethnic origin, political or philosophical opinions"));
        assert!(t.contains("if they enable the identification of a data subject in connection"));
        assert!(!t.contains("genetic"));
        assert!(quoted(&r, "l082-special").contains("genetic data"));
    }

    #[test]
    fn defect05_tool_housekeeping_cites_nothing() {
        let scan = scan_of(serde_json::json!([
            {"source": "a.csv", "status": "failed", "error": "bad bytes", "columns": []}
        ]));
        let text = entry("one", "Art. 5(1.3)", &[], &["a.csv", "missing/*.csv"], "")
            + &entry("two", "Art. 5(1.3)", &[], &["*.csv"], "");
        let r = build(&scan, &cat_of(&text), None).expect("report");
        for code in [
            "dataset_failed",
            "dataset_mapped_twice",
            "source_matches_nothing",
        ] {
            let f = with_code(&r, code);
            assert!(!f.is_empty(), "{code}");
            assert!(f.iter().all(|f| f.cites.is_empty()), "{code} cites {f:?}");
        }
        assert!(
            !r.findings.iter().any(|f| f.code != "registration_required"
                && labels(f).iter().any(|c| c.starts_with("Art. 17(2)"))),
            "no housekeeping finding cites Art. 17(2)"
        );
    }

    #[test]
    fn defect07_art11_2_only_with_its_condition() {
        let scan = scan_of(serde_json::json!([{"source": "a.csv", "columns": [
            col("nr_personal", "kosovo_personal_number"), col("diagnoza", "health")
        ]}]));
        let cat = cat_of(&entry(
            "c",
            "Art. 6(1.6)",
            &["kosovo_personal_number", "health"],
            &["a.csv"],
            "",
        ));
        let r = build(&scan, &cat, None).expect("report");
        let f = with_code(&r, "health_connecting_code_only");
        assert_eq!(f.len(), 1);
        assert!(labels(f[0]).contains(&"Art. 11(2) 03/L-172".to_string()));
        let a = &f[0].action;
        assert!(
            a.contains(
                "only data element in a specific case to protect the life or body of data subjects"
            ),
            "{a}"
        );
        assert!(a.contains("written record"));
        assert!(quoted(&r, "art-11").contains(
            "if this is the only data element in a specific case to protect the life or body"
        ));
    }

    #[test]
    fn defect08_art18_1_twenty_days_before_then_prior_check_art19() {
        let scan = scan_of(serde_json::json!([
            {"source": "a.csv", "columns": [col("email", "email")]},
            {"source": "b.csv", "columns": [col("email", "email")]}
        ]));
        let cat = cat_of(&entry("s", "Art. 5(1.3)", &["person_name"], &["a.csv"], ""));
        let r = build(&scan, &cat, None).expect("report");
        for code in ["undeclared_category", "unmapped_dataset"] {
            let f = with_code(&r, code);
            assert_eq!(f.len(), 1, "{code}");
            let l = labels(f[0]);
            assert!(l.contains(&"Art. 18(1) 03/L-172".to_string()), "{code}");
            assert!(l.contains(&"Art. 19 03/L-172".to_string()), "{code}");
            assert!(
                f[0].action.contains("at least 20 days before"),
                "{}",
                f[0].action
            );
            assert!(f[0].action.contains("prior checking, Art. 19"));
            assert!(!f[0].action.contains("before entry"));
        }
        assert!(
            quoted(&r, "art-18")
                .contains("at least twenty (20) days prior to establishing a filing system")
        );
        assert!(quoted(&r, "art-19").contains(
            "the Agency checks whether the processing operation is likely to present specific risks"
        ));
    }

    #[test]
    fn defect09_art9_in_item_1_3_is_no_legal_basis() {
        let scan =
            scan_of(serde_json::json!([{"source": "a.csv", "columns": [col("age", "age")]}]));
        let cat = cat_of(&entry(
            "stats",
            "Law on Statistics; Art. 9 of Law No. 03/L-172",
            &["age"],
            &["a.csv"],
            "",
        ));
        let r = build(&scan, &cat, None).expect("report");
        let f = with_code(&r, "legal_basis_art9");
        assert_eq!(f.len(), 1);
        let l = labels(f[0]);
        assert!(l.contains(&"Art. 5(1) 03/L-172".to_string()), "{l:?}");
        assert!(f[0].message.contains("Art. 9 permits further processing"));
        assert!(quoted(&r, "art-5").contains("Personal data may only be processed if"));
        assert!(quoted(&r, "art-9").contains(
            "may be further processed for historical, statistical and scientific-research purposes"
        ));
    }

    fn registration(public: bool) -> FilingReport {
        let scan =
            scan_of(serde_json::json!([{"source": "a.csv", "columns": [col("age", "age")]}]));
        let extra = if public { "public_body = true" } else { "" };
        let cat = cat_of(&entry("s", "Art. 5(1.3)", &["age"], &["a.csv"], extra));
        build(&scan, &cat, None).expect("report")
    }

    #[test]
    fn defect10_overview_registration_conditions_are_secondary() {
        let r = registration(true);
        let f = with_code(&r, "registration_required");
        assert_eq!(f.len(), 1);
        let m = &f[0].message;
        assert!(
            m.contains(
                "06/L-082 overview §7.1, a secondary source whose wording is not Kosovo's law"
            ),
            "{m}"
        );
        assert!(labels(f[0]).contains(&"06/L-082 overview §7.1".to_string()));
        assert!(quoted(&r, "l082-registration").contains("more than 250 data subjects"));
        let title = r
            .articles
            .iter()
            .find(|a| a.id == "l082-registration")
            .map(|a| a.title)
            .unwrap_or_default();
        assert!(title.contains("secondary source"), "{title}");
    }

    #[test]
    fn defect11_art18_every_filing_system_is_notified() {
        // No overview condition met: still a notification finding under Art. 18(1).
        let r = registration(false);
        let f = with_code(&r, "registration_required");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .contains("every filing system is notified to the Agency (Art. 18(1)")
        );
        let l = labels(f[0]);
        assert!(l.contains(&"Art. 18(1) 03/L-172".to_string()), "{l:?}");
        assert!(!l.iter().any(|c| c.contains("06/L-082")), "{l:?}");
        assert!(
            quoted(&r, "art-18")
                .contains("information from the points of paragraph 1 of Article 17")
        );
    }

    #[test]
    fn defect12_overview_citations_read_06_l_082_overview() {
        let r = registration(true);
        for f in &r.findings {
            for c in &f.cites {
                if c.anchor.starts_with("l082-") {
                    assert_eq!(c.law, "06/L-082 overview");
                    assert!(
                        c.label().starts_with("06/L-082 overview §"),
                        "{}",
                        c.label()
                    );
                } else {
                    assert_eq!(c.law, "03/L-172");
                }
            }
        }
        let md = super::super::filing_md::render(&r);
        assert!(md.contains("06/L-082 overview §7.1"), "{md}");
        assert!(!md.contains("§7.1 06/L-082"));
    }

    #[test]
    fn art9_is_no_legal_basis() {
        assert!(gives_art9_as_basis(
            "Law on Official Statistics; Art. 9 of Law No. 03/L-172"
        ));
        assert!(!gives_art9_as_basis(
            "Law on Official Statistics; Art. 5(1.5) of Law No. 03/L-172 (further processing: Art. 9)"
        ));
        assert!(!gives_art9_as_basis("Art. 90"));
        assert!(!gives_art9_as_basis("Art. 6(1.6)"));
    }

    #[test]
    fn sampled_unique_identifiers_are_extrapolated() {
        assert_eq!(extrapolate(5_000.0, 5_000, Some(1_000_000)), 1_000_000);
        // Repeating identifiers (several rows per person): the sample count is kept.
        assert_eq!(extrapolate(1_200.0, 5_000, Some(1_000_000)), 1_200);
        assert_eq!(extrapolate(300.0, 300, Some(300)), 300);
        assert_eq!(extrapolate(300.0, 300, None), 300);
    }

    #[test]
    fn unknown_scan_schema_is_a_clear_error() {
        let e = ScanInput::parse(r#"{"schema":"anonkos.scan/v2"}"#, "s.json")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("anonkos.scan/v2") && e.contains("anonkos.scan/v1"),
            "{e}"
        );
        assert!(ScanInput::parse("[]", "s.json").is_err());
        assert!(
            ScanInput::parse(r#"{"schema":"anonkos.scan/v1","datasets":7}"#, "s.json").is_err()
        );
    }
}
