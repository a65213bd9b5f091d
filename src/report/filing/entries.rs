//! Filing-system entries: the datasets of one filing system summed up (categories found,
//! special categories, estimated subjects, registration and impact-assessment triggers).
//!
//! In: a catalogue entry (or, for a dataset in none, a draft of one) and its mapped datasets
//! ([`Work`]). Out: the report's [`FilingSystemEntry`], the [`LinkSide`] that link detection
//! reads, and the entry's findings ([`super::rules`]).
use std::collections::BTreeMap;

use super::map::Work;
use super::model::{CatalogueItems, FilingSystemEntry, Finding};
use super::rules::{self, Declared, names, personal};
use super::{REGISTRATION_SUBJECTS, TO_COMPLETE};
use crate::detect::Category;
use crate::detect::sketch::Sketch;
use crate::report::catalogue::{Controller, FilingSystem};

/// A filing system as seen by link detection: id, declared, sensitive, criminal, sketches.
pub(super) type LinkSide = (String, bool, bool, bool, Vec<(Category, Sketch)>);

/// The entry of a declared filing system, and its findings (the catalogue rules, then the
/// common ones).
pub(super) fn declared_entry(
    f: &FilingSystem,
    works: Vec<Work>,
    large_scale: u64,
    findings: &mut Vec<Finding>,
) -> (FilingSystemEntry, LinkSide) {
    let (declared, unknown) = f.declared_categories();
    let (entry, sk) = summarise(
        f.id.clone(),
        f.title.clone(),
        true,
        f.public_body,
        f.criminal_records,
        items_of(f),
        works,
        large_scale,
    );
    rules::catalogue_findings(
        &Declared {
            f,
            entry: &entry,
            declared: &declared,
            unknown: &unknown,
        },
        findings,
    );
    rules::common_findings(&entry, findings);
    let side = (
        entry.id.clone(),
        entry.declared,
        !entry.special_categories.is_empty(),
        // Art. 72 concerns filing systems of official criminal and minor-offence records,
        // which the catalogue marks; a criminal-record column elsewhere is sensitive data
        // (Art. 71(3)).
        entry.criminal_records,
        sk,
    );
    (entry, side)
}

/// The draft entry of a dataset no filing system holds, and its findings (`unmapped_dataset`,
/// then the common ones when it holds personal data).
pub(super) fn draft_entry(
    w: Work,
    large_scale: u64,
    findings: &mut Vec<Finding>,
) -> (FilingSystemEntry, LinkSide) {
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
    let items = draft_items(title.clone(), found.clone());
    let (entry, sk) = summarise(
        id.clone(),
        title,
        false,
        false,
        false,
        items,
        vec![w],
        large_scale,
    );
    findings.push(rules::unmapped_dataset(&entry, &lbl, &found));
    if !found.is_empty() {
        rules::common_findings(&entry, findings);
    }
    let side = (
        entry.id.clone(),
        false,
        !entry.special_categories.is_empty(),
        // A draft is never a filing system of official criminal records (Art. 72).
        false,
        sk,
    );
    (entry, side)
}

/// The Art. 17(1) items of a draft: what the scan found, the rest left to the controller.
fn draft_items(title: String, found: Vec<String>) -> CatalogueItems {
    CatalogueItems {
        title,
        controller: Controller {
            name: TO_COMPLETE.into(),
            ..Controller::default()
        },
        legal_basis: TO_COMPLETE.into(),
        data_subjects: vec![TO_COMPLETE.into()],
        personal_data: found,
        purpose: TO_COMPLETE.into(),
        retention: TO_COMPLETE.into(),
        restrictions: TO_COMPLETE.into(),
        recipients: vec![TO_COMPLETE.into()],
        transfers_abroad: TO_COMPLETE.into(),
        transfers: Vec::new(),
        security_measures: TO_COMPLETE.into(),
        linked_filing_systems: vec![TO_COMPLETE.into()],
    }
}

/// A declared filing system's Art. 17(1) items, as shown.
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
            crate::report::transfers::Transfers::To(list) => list.clone(),
            _ => Vec::new(),
        },
        security_measures: f.security_measures.clone(),
        linked_filing_systems: f.linked_filing_systems.clone(),
    }
}

/// Sum up the datasets of one filing system into its entry; the identifier sketches are
/// merged per category for link detection.
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
