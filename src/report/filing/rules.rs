//! The findings of the filing report, as small named rules listed once, in the order their
//! findings appear (before the report sorts them by severity, stably).
//!
//! In: a filing system's entry (for [`CATALOGUE_RULES`] also its catalogue entry, the
//! categories it declares and the names it declares outside the vocabulary). Out: the
//! findings, each citing the articles it rests on.
use std::collections::{BTreeMap, BTreeSet};

use super::input::category_of;
use super::model::{ColumnEntry, FilingSystemEntry, Finding, Severity};
use crate::detect::{Category, Role};
use crate::report::catalogue::FilingSystem;
use crate::report::is_connecting_code;
use crate::report::law::{self, l082, l172};

/// A rule on a declared filing system: look at it, file zero or more findings.
type CatalogueRule = for<'a> fn(&Declared<'a>, &mut Vec<Finding>);

/// A rule on any filing system's entry, declared or draft.
type CommonRule = fn(&FilingSystemEntry, &mut Vec<Finding>);

/// A declared filing system as the catalogue rules see it.
pub(super) struct Declared<'a> {
    /// The catalogue entry.
    pub(super) f: &'a FilingSystem,
    /// What the report shows of it (datasets, categories found).
    pub(super) entry: &'a FilingSystemEntry,
    /// Categories item 1.5 declares.
    pub(super) declared: &'a [Category],
    /// Names in item 1.5 outside the scan vocabulary.
    pub(super) unknown: &'a [String],
}

/// Rules on a declared filing system's catalogue entry, in order.
const CATALOGUE_RULES: &[CatalogueRule] = &[
    controller_identity_incomplete,
    transfers,
    undeclared_category,
    declared_not_found,
    unknown_declared_category,
    legal_basis_art9,
];

/// Rules that apply to declared filing systems and drafts alike, in order.
const COMMON_RULES: &[CommonRule] = &[
    special_categories,
    health_connecting_code_only,
    registration_required,
    dpia_required,
];

/// File the findings of every catalogue rule.
pub(super) fn catalogue_findings(d: &Declared, findings: &mut Vec<Finding>) {
    for rule in CATALOGUE_RULES {
        rule(d, findings);
    }
}

/// File the findings that apply to declared filing systems and drafts alike.
pub(super) fn common_findings(e: &FilingSystemEntry, findings: &mut Vec<Finding>) {
    for rule in COMMON_RULES {
        rule(e, findings);
    }
}

/// `controller_identity_incomplete`: item 1.2 lacks part of the controller's identity (Art. 17(1.2)).
fn controller_identity_incomplete(d: &Declared, findings: &mut Vec<Finding>) {
    let Declared { f, .. } = *d;
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
}

/// `transfers_unstated`, `transfer_incomplete`, `transfer_needs_authorisation`: item 1.10
/// (see [`crate::report::transfers`]).
fn transfers(d: &Declared, findings: &mut Vec<Finding>) {
    let Declared { f, .. } = *d;
    findings.extend(crate::report::transfers::findings(
        &f.id,
        &f.transfers_abroad,
    ));
}

/// `undeclared_category`: personal data found but not declared in item 1.5 (Art. 17(2), 18).
fn undeclared_category(d: &Declared, findings: &mut Vec<Finding>) {
    let Declared {
        f, entry, declared, ..
    } = *d;
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
}

/// `declared_not_found`: item 1.5 declares a category no column of the datasets holds.
fn declared_not_found(d: &Declared, findings: &mut Vec<Finding>) {
    let Declared {
        f, entry, declared, ..
    } = *d;
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
}

/// `unknown_declared_category`: item 1.5 names categories outside the scan vocabulary.
fn unknown_declared_category(d: &Declared, findings: &mut Vec<Finding>) {
    let Declared { f, unknown, .. } = *d;
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
}

/// `legal_basis_art9`: item 1.3 gives Art. 9 as the legal basis.
fn legal_basis_art9(d: &Declared, findings: &mut Vec<Finding>) {
    let Declared { f, .. } = *d;
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
}

/// `special_categories`: the filing system holds sensitive data (Art. 2(1.16), 6, 7).
fn special_categories(e: &FilingSystemEntry, findings: &mut Vec<Finding>) {
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
}

/// `health_connecting_code_only`: health data keyed only by a connecting code (Art. 11).
fn health_connecting_code_only(e: &FilingSystemEntry, findings: &mut Vec<Finding>) {
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
}

/// `registration_required`: every filing system is notified to the Agency (Art. 18(1)).
fn registration_required(e: &FilingSystemEntry, findings: &mut Vec<Finding>) {
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
}

/// `dpia_required`: impact-assessment triggers are met (06/L-082 overview §7.4).
fn dpia_required(e: &FilingSystemEntry, findings: &mut Vec<Finding>) {
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

/// `unmapped_dataset`: a dataset in no declared filing system (with a draft entry `entry`);
/// `found` names the personal categories it holds.
pub(super) fn unmapped_dataset(entry: &FilingSystemEntry, lbl: &str, found: &[String]) -> Finding {
    let id = &entry.id;
    let has_personal = !found.is_empty();
    Finding {
        code: "unmapped_dataset",
        severity: if has_personal {
            Severity::High
        } else {
            Severity::Info
        },
        filing_system: Some(id.clone()),
        datasets: vec![lbl.to_string()],
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
    }
}

/// True when a catalogue's legal basis (item 1.3) names Art. 9 of 03/L-172 but neither Art. 5
/// nor Art. 6, the articles that give a legal basis.
pub(super) fn gives_art9_as_basis(basis: &str) -> bool {
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

/// Category names, comma-separated.
pub(super) fn names(cats: &[Category]) -> String {
    cats.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
}

/// Categories a catalogue's item 1.5 must declare. A record key is the filing system's own
/// numbering of its records, not a type of data about the person, so it is left out here (the
/// run verdict still counts it as personal data).
pub(super) fn personal(c: Category) -> bool {
    matches!(
        c.role(),
        Role::DirectIdentifier | Role::QuasiIdentifier | Role::Sensitive
    )
}
