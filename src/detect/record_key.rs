//! Record keys: columns that number the source's records (`id`, `employee_id`, `badge_no`, a
//! login name). Such a key is an identification number in the sense of Art. 2 of 03/L-172:
//! whoever holds the source finds the person by it, so a release that keeps it can be linked
//! back row by row.
//!
//! This is a step over a whole table, after every column is classified on its own: a column
//! classified `none` with key-shaped values (one token per value) becomes a record key when
//! - its header names a key of persons (`patient_id`, `nr_punetorit`, `username`), or
//! - its header names a key (`id`, `kod`, `ref_no`) or the source declares it a primary or
//!   unique key, and the table holds data about persons (some other column is personal): the
//!   `id` of a genres table numbers genres, the `id` of a patients table numbers patients;
//! - it is the first column, under a header that says nothing (`col1`, `F1`, none), unique,
//!   in a table about persons (exports put the key first).
use super::category::{Category, Role};
use super::classify::{Alternative, Classification, Evidence, round2};
use super::header::KeyName;
use super::patterns::PatternSet;
use super::profile::ColumnProfile;

/// At least this many values before "all distinct" says "unique per row".
const UNIQUE_MIN_VALUES: u64 = 20;

/// One column of a table, as the record-key step sees it.
pub struct KeyColumn<'a> {
    /// The header.
    pub name: &'a str,
    /// Its profile.
    pub profile: &'a ColumnProfile,
    /// The source declares it a primary or unique key (dump DDL, a live table's constraints).
    pub declared_key: bool,
}

/// Values that can key records: one word each (numbers, codes, logins, UUIDs), not text.
pub fn key_shaped(p: &ColumnProfile) -> bool {
    p.non_empty > 0 && p.mean_words() <= 1.05 && p.mean_len() <= 64.0
}

/// Every value seen is distinct, over enough values to mean it.
pub fn unique_per_row(p: &ColumnProfile) -> bool {
    p.non_empty >= UNIQUE_MIN_VALUES && p.distinct_ratio() >= 0.99
}

/// Whether a classified column says the table is about persons. Plain dates (an order date)
/// and free text (a product description) do not.
fn about_persons(c: &Classification) -> bool {
    matches!(
        c.role,
        Role::DirectIdentifier | Role::QuasiIdentifier | Role::Sensitive | Role::RecordKey
    ) && c.category != Category::Date
}

/// Promote the record keys of one table. `columns` and `classes` are parallel.
pub fn promote(columns: &[KeyColumn<'_>], classes: &mut [Classification], set: &PatternSet) {
    let candidates: Vec<(usize, KeyName)> = columns
        .iter()
        .zip(classes.iter())
        .enumerate()
        .filter(|(_, (col, c))| {
            c.category == Category::None
                && !names_no_person(col.name, set)
                && key_shaped(col.profile)
        })
        .map(|(i, (col, _))| (i, set.headers.record_keys.classify(col.name)))
        .collect();
    // Person keys first: `patient_id` in a visits table makes the table about persons.
    for &(i, kind) in &candidates {
        if kind == KeyName::PersonKey {
            mark(
                &mut classes[i],
                "the header names a key of persons' records",
            );
        }
    }
    if !classes.iter().any(about_persons) {
        return;
    }
    for &(i, kind) in &candidates {
        if classes[i].category != Category::None {
            continue;
        }
        let col = &columns[i];
        let why = if col.declared_key {
            "the source declares it a primary or unique key of a table about persons"
        } else if kind == KeyName::Key && unique_per_row(col.profile) {
            "the header names a key, every value is unique and the table is about persons"
        } else if kind == KeyName::Meaningless && i == 0 && unique_per_row(col.profile) {
            // Exports put the key first; a unique column elsewhere is as likely an amount.
            "the first column, under a header that says nothing, is unique and the table is \
             about persons"
        } else {
            continue;
        };
        mark(&mut classes[i], why);
    }
}

/// Labels of a lookup table: an `uncertain` column under a generic header (`name`,
/// `language_name`) in a table where nothing else is about persons (a genres, languages or
/// departments table) names things, not people. Anywhere else it stays uncertain.
pub fn lookup_labels(columns: &[KeyColumn<'_>], classes: &mut [Classification], set: &PatternSet) {
    let generic = |name: &str| {
        super::header::header_words(name)
            .iter()
            .any(|w| set.headers.generic_names.contains(w))
    };
    let others_personal = |i: usize, classes: &[Classification]| {
        classes
            .iter()
            .enumerate()
            .any(|(j, c)| j != i && c.category != Category::Uncertain && about_persons(c))
    };
    for i in 0..classes.len() {
        let c = &classes[i];
        let name_candidate = c
            .alternatives
            .iter()
            .any(|a| a.category == Category::PersonName);
        if c.category != Category::Uncertain
            || !name_candidate
            || !generic(columns[i].name)
            || others_personal(i, classes)
        {
            continue;
        }
        let c = &mut classes[i];
        c.category = Category::None;
        c.role = Role::NotPersonal;
        c.confidence = 0.6;
        c.evidence.push(Evidence::Note {
            detail: "a generic name header over values that are no known names, in a table where \
                     nothing else is about persons: labels of a lookup table"
                .into(),
        });
    }
}

/// `order id`, `invoice number`: a header synonym of `none` says what the key is of, and it is
/// no person.
fn names_no_person(name: &str, set: &PatternSet) -> bool {
    set.match_header(name)
        .is_some_and(|h| h.category == Category::None)
}

/// Make a column classified `none` a record key, keeping `none` as the runner-up.
fn mark(c: &mut Classification, why: &str) {
    let was = c.confidence;
    c.category = Category::RecordKey;
    c.role = Category::RecordKey.role();
    c.special_category = false;
    c.confidence = 0.8;
    c.evidence.push(Evidence::Note {
        detail: format!("{why}: a record key of the source, which re-links rows to persons"),
    });
    c.alternatives.retain(|a| a.category != Category::None);
    c.alternatives.insert(
        0,
        Alternative {
            category: Category::None,
            confidence: round2((1.0 - was).max(0.2)),
        },
    );
    c.alternatives.truncate(3);
}
