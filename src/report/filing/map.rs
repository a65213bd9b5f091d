//! Mapping the scan's datasets onto the catalogue's filing systems.
//!
//! In: the scan's datasets and the catalogue. Out: per filing system the datasets it holds (as
//! [`Work`]: the report's entry and the identifier sketches), the datasets no filing system
//! holds, and the mapping's own findings (`dataset_failed`, `dataset_mapped_twice`,
//! `source_matches_nothing`).
use super::input::{ScanDatasetInput, ScanInput, category_of};
use super::model::{ColumnEntry, DatasetEntry, Finding, Severity};
use crate::detect::Category;
use crate::detect::sketch::Sketch;
use crate::report::catalogue::{Catalogue, FilingSystem, Sources, TableSource};
use crate::report::{SketchReport, is_linking_identifier};

/// One scanned dataset on its way into a filing system's entry.
pub(super) struct Work<'a> {
    pub(super) ds: &'a ScanDatasetInput,
    pub(super) entry: DatasetEntry,
    pub(super) sketches: Vec<(Category, Sketch)>,
}

/// The scan's datasets, sorted by filing system.
pub(super) struct Mapped<'a> {
    /// One list per filing system of the catalogue, in its order.
    pub(super) mapped: Vec<Vec<Work<'a>>>,
    /// Datasets no filing system's sources match.
    pub(super) unmapped: Vec<Work<'a>>,
}

/// Put each dataset into the first filing system whose sources match it; a failed scan or a
/// dataset matched twice is a finding.
pub(super) fn map_datasets<'a>(
    scan: &'a ScanInput,
    cat: &Catalogue,
    findings: &mut Vec<Finding>,
) -> Mapped<'a> {
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
        findings.extend(dataset_failed(cat, ds, &hits, &lbl));
        findings.extend(dataset_mapped_twice(cat, &hits, &lbl));
        match hits.into_iter().next() {
            Some((i, m)) => mapped[i].push(dataset_work(ds, Some(m))),
            None => unmapped.push(dataset_work(ds, None)),
        }
    }
    Mapped { mapped, unmapped }
}

/// `dataset_failed`: the scan of a dataset failed, so its columns may be incomplete.
fn dataset_failed(
    cat: &Catalogue,
    ds: &ScanDatasetInput,
    hits: &[(usize, String)],
    lbl: &str,
) -> Option<Finding> {
    if ds.status.as_deref() != Some("failed") && ds.error.is_none() {
        return None;
    }
    Some(Finding {
        code: "dataset_failed",
        severity: Severity::Medium,
        filing_system: hits.first().map(|(i, _)| cat.filing_systems[*i].id.clone()),
        datasets: vec![lbl.to_string()],
        columns: vec![],
        categories: vec![],
        message: format!(
            "the scan of {lbl} failed ({}); its columns may be incomplete",
            ds.error.as_deref().unwrap_or("unknown error")
        ),
        action: "fix the input and scan again before relying on this report".into(),
        // Tool housekeeping: no article of the law is at stake.
        cites: vec![],
    })
}

/// `dataset_mapped_twice`: the sources of several filing systems match one dataset.
fn dataset_mapped_twice(cat: &Catalogue, hits: &[(usize, String)], lbl: &str) -> Option<Finding> {
    if hits.len() <= 1 {
        return None;
    }
    Some(Finding {
        code: "dataset_mapped_twice",
        severity: Severity::Low,
        filing_system: Some(cat.filing_systems[hits[0].0].id.clone()),
        datasets: vec![lbl.to_string()],
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
    })
}

/// `source_matches_nothing`: a source of the catalogue that no scanned dataset matches.
pub(super) fn sources_matching_nothing(scan: &ScanInput, cat: &Catalogue) -> Vec<Finding> {
    let mut findings = Vec::new();
    for f in &cat.filing_systems {
        for pat in f.source_patterns() {
            let any = scan.datasets.iter().any(|d| {
                let probe = FilingSystem {
                    sources: Sources::default(),
                    ..f.clone()
                };
                let mut p = probe;
                if let Some((s, t)) = pat.split_once('#') {
                    p.sources.dump_tables.push(TableSource {
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
    findings
}

pub(super) fn label(source: &str, table: Option<&str>) -> String {
    match table {
        Some(t) => format!("{source}:{t}"),
        None => source.to_string(),
    }
}

/// A scanned dataset as the report shows it, with the sketches of its identifier columns.
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
pub(super) fn extrapolate(distinct: f64, scanned: u64, total: Option<u64>) -> u64 {
    match total {
        Some(t) if scanned > 0 && t > scanned && distinct >= 0.95 * scanned as f64 => {
            (distinct * t as f64 / scanned as f64).round() as u64
        }
        _ => distinct.round() as u64,
    }
}
