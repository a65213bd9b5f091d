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
//!
//! The report is built in named steps, one module each: the scan is read (`input`), its
//! datasets are mapped onto the catalogue's filing systems (`map`), each filing system is
//! summed up into an entry (`entries`) and checked by the finding rules (`rules`, listed once),
//! filing systems sharing identifiers are linked (`links`), and a run's outputs get their
//! Art. 9 verdicts (`runs`). In: a scan report, the catalogue and optionally a run report.
//! Out: a [`FilingReport`], which `report::html`, `report::filing_md` and JSON render.
use std::collections::BTreeSet;

use super::Tool;
use super::catalogue::Catalogue;
use super::law::{self, Article};
use super::run::{RUN_SCHEMA, RunReport};
use crate::error::{Error, Result};

mod entries;
mod input;
mod links;
mod map;
mod model;
mod rules;
mod runs;
#[cfg(test)]
mod tests;

pub use input::{ScanColumnInput, ScanDatasetInput, ScanInput};
pub use model::{
    CatalogueItems, ColumnEntry, DatasetEntry, FilingReport, FilingSystemEntry, Finding, Link,
    RunEntry, ScanSummary, Severity,
};

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

/// Build the report: map the datasets, sum up and check each filing system (declared ones,
/// then drafts for datasets in none), link them, judge the run's outputs, and sort the
/// findings, most severe first.
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
    let datasets = map::map_datasets(scan, cat, &mut findings);
    findings.extend(map::sources_matching_nothing(scan, cat));
    let mut entries = Vec::new();
    let mut sides = Vec::new();
    for (f, works) in cat.filing_systems.iter().zip(datasets.mapped) {
        let (entry, side) =
            entries::declared_entry(f, works, cat.large_scale_subjects, &mut findings);
        entries.push(entry);
        sides.push(side);
    }
    for w in datasets.unmapped {
        let (entry, side) = entries::draft_entry(w, cat.large_scale_subjects, &mut findings);
        entries.push(entry);
        sides.push(side);
    }
    let links = links::link_filing_systems(cat, &sides, &mut findings);
    let runs = runs::run_entries(cat, run, &mut findings);
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let articles = cited_articles(&findings);
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

/// The quoted text of every article the findings cite, in the law's order.
fn cited_articles(findings: &[Finding]) -> Vec<Article> {
    let mut cited: BTreeSet<&str> = BTreeSet::new();
    for f in findings {
        for c in &f.cites {
            cited.insert(c.anchor);
        }
    }
    law::articles()
        .into_iter()
        .filter(|a| cited.contains(a.id))
        .collect()
}
