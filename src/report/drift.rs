//! Drift since a baseline (`anonkos scan --baseline PREV`): datasets and columns that appeared
//! or went away, columns whose category or role changed, and special categories new to a
//! dataset or filing system.
//!
//! The baseline is a previous `anonkos.scan/v1` report (`scan --format json`) or an
//! incremental scan's state file ([`crate::incremental`]). A change **alerts** when personal
//! data appeared where there was none: a new column (or a column of a new dataset) that is
//! personal, or a column whose role became more sensitive on the scale
//! `not_personal` < `uncertain`, `free_text` < `record_key`, `quasi_identifier` <
//! `direct_identifier` < `sensitive` (a special category counts as `sensitive`). `anonkos
//! scan` then exits with [`crate::cli::Exit::Drift`] (5), so a scheduler can alert.
//!
//! JSON (key `drift` of `anonkos.scan/v1`, and of `anonkos.report/v1` with
//! `--filing-systems`): `baseline`, `baseline_generated_at`, `alert`, `counts{kind: n}`,
//! `changes[]` with `kind` (`new_dataset`, `dropped_dataset`, `new_column`, `dropped_column`,
//! `changed_column`, `new_special_category`), `dataset` (`source` or `source:table`),
//! `source`, `table`, `column`, `before`/`after` (`category`, `role`, `special_category`),
//! `category` (new special categories) and `alert`.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use super::escape::visible;
use crate::detect::{Category, Role};
use crate::error::{Error, Result};
use crate::scan::DatasetScan;

/// What a column was or is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ColumnState {
    /// Category.
    pub category: Category,
    /// Role.
    pub role: Role,
    /// Special category of personal data.
    pub special_category: bool,
}

impl ColumnState {
    /// Sensitivity rank (0: not personal).
    pub fn rank(self) -> u8 {
        if self.special_category {
            return 4;
        }
        match self.role {
            Role::NotPersonal => 0,
            Role::Uncertain | Role::FreeText => 1,
            Role::RecordKey | Role::QuasiIdentifier => 2,
            Role::DirectIdentifier => 3,
            Role::Sensitive => 4,
        }
    }

    fn label(self) -> String {
        format!(
            "{} ({}{})",
            self.category.name(),
            self.role.name(),
            if self.special_category {
                ", special"
            } else {
                ""
            }
        )
    }
}

/// Kinds of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A dataset the baseline does not have.
    NewDataset,
    /// A baseline dataset this scan did not see.
    DroppedDataset,
    /// A column new to a dataset of the baseline (or a column of a new dataset).
    NewColumn,
    /// A baseline column gone from its dataset.
    DroppedColumn,
    /// A column whose category, role or special flag changed.
    ChangedColumn,
    /// A special category a dataset did not hold before.
    NewSpecialCategory,
}

impl ChangeKind {
    /// The JSON name.
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::NewDataset => "new_dataset",
            ChangeKind::DroppedDataset => "dropped_dataset",
            ChangeKind::NewColumn => "new_column",
            ChangeKind::DroppedColumn => "dropped_column",
            ChangeKind::ChangedColumn => "changed_column",
            ChangeKind::NewSpecialCategory => "new_special_category",
        }
    }
}

/// One change.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// `source` or `source:table`.
    pub dataset: String,
    /// Path or URL.
    pub source: String,
    /// Table.
    pub table: Option<String>,
    /// Column (column changes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Before (changed and dropped columns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<ColumnState>,
    /// After (new and changed columns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<ColumnState>,
    /// The special category (new special categories).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// Personal data appeared where there was none.
    pub alert: bool,
}

/// The drift section.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// The baseline file as given.
    pub baseline: String,
    /// When the baseline was made.
    pub baseline_generated_at: Option<String>,
    /// Whether any change alerts.
    pub alert: bool,
    /// Changes per kind.
    pub counts: BTreeMap<&'static str, usize>,
    /// The changes, in dataset order.
    pub changes: Vec<Change>,
}

/// A baseline dataset: source, table, columns in order.
#[derive(Debug, Clone)]
pub struct BaseDataset {
    /// Path or URL.
    pub source: String,
    /// Table.
    pub table: Option<String>,
    /// Whether it failed in the baseline (its columns are then unknown, not absent).
    pub failed: bool,
    /// Columns.
    pub columns: Vec<(String, ColumnState)>,
}

/// A loaded baseline.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The file as given.
    pub origin: String,
    /// When it was made.
    pub generated_at: Option<String>,
    /// Datasets.
    pub datasets: Vec<BaseDataset>,
}

fn label(source: &str, table: Option<&str>) -> String {
    match table {
        Some(t) => format!("{source}:{t}"),
        None => source.to_string(),
    }
}

impl Baseline {
    /// From a previous scan's results (a state file's datasets).
    pub fn from_scans(origin: &str, generated_at: Option<String>, scans: &[DatasetScan]) -> Self {
        Baseline {
            origin: origin.to_string(),
            generated_at,
            datasets: scans
                .iter()
                .map(|d| BaseDataset {
                    source: d.source.clone(),
                    table: d.table.clone(),
                    failed: d.error.is_some(),
                    columns: d
                        .columns
                        .iter()
                        .map(|c| {
                            let k = &c.classification;
                            (
                                c.name.clone(),
                                ColumnState {
                                    category: k.category,
                                    role: k.role,
                                    special_category: k.special_category,
                                },
                            )
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// From an `anonkos.scan/v1` report. Errors name `origin`.
    pub fn from_scan_json(origin: &str, v: &serde_json::Value) -> Result<Self> {
        let bad = |what: &str| {
            Error::Usage(format!(
                "{origin}: malformed {} report ({what})",
                super::SCAN_SCHEMA
            ))
        };
        let datasets = v
            .get("datasets")
            .and_then(|d| d.as_array())
            .ok_or_else(|| bad("no datasets"))?;
        let mut out = Vec::new();
        for d in datasets {
            let source = d
                .get("source")
                .and_then(|s| s.as_str())
                .ok_or_else(|| bad("a dataset without source"))?;
            let table = d.get("table").and_then(|s| s.as_str()).map(str::to_string);
            let failed = d.get("status").and_then(|s| s.as_str()) == Some("failed");
            let mut columns = Vec::new();
            for c in d
                .get("columns")
                .and_then(|c| c.as_array())
                .into_iter()
                .flatten()
            {
                let name = c
                    .get("name")
                    .and_then(|s| s.as_str())
                    .ok_or_else(|| bad("a column without name"))?;
                let category = c
                    .get("category")
                    .and_then(|s| s.as_str())
                    .and_then(Category::from_name)
                    .ok_or_else(|| bad("a column with an unknown category"))?;
                let role = c
                    .get("role")
                    .cloned()
                    .and_then(|r| serde_json::from_value::<Role>(r).ok())
                    .unwrap_or(category.role());
                let special_category = c
                    .get("special_category")
                    .and_then(|s| s.as_bool())
                    .unwrap_or(category.is_special());
                columns.push((
                    name.to_string(),
                    ColumnState {
                        category,
                        role,
                        special_category,
                    },
                ));
            }
            out.push(BaseDataset {
                source: source.to_string(),
                table,
                failed,
                columns,
            });
        }
        Ok(Baseline {
            origin: origin.to_string(),
            generated_at: v
                .get("generated_at")
                .and_then(|s| s.as_str())
                .map(str::to_string),
            datasets: out,
        })
    }
}

fn state_of(c: &crate::scan::ColumnScan) -> ColumnState {
    ColumnState {
        category: c.classification.category,
        role: c.classification.role,
        special_category: c.classification.special_category,
    }
}

fn specials<'a>(cols: impl Iterator<Item = &'a ColumnState>) -> BTreeSet<Category> {
    cols.filter(|c| c.special_category)
        .map(|c| c.category)
        .collect()
}

/// Compare this scan's datasets with the baseline. Failed datasets on either side are not
/// compared column by column (their columns are unknown), and a dataset failing now is not
/// reported as dropped.
pub fn compare(base: &Baseline, now: &[DatasetScan]) -> Drift {
    let mut changes = Vec::new();
    let key = |s: &str, t: Option<&str>| (s.to_string(), t.map(str::to_string));
    let before: BTreeMap<_, &BaseDataset> = base
        .datasets
        .iter()
        .map(|d| (key(&d.source, d.table.as_deref()), d))
        .collect();
    let change = |kind, d: &DatasetScan| Change {
        kind,
        dataset: label(&d.source, d.table.as_deref()),
        source: d.source.clone(),
        table: d.table.clone(),
        column: None,
        before: None,
        after: None,
        category: None,
        alert: false,
    };
    for d in now {
        let Some(b) = before.get(&key(&d.source, d.table.as_deref())) else {
            let mut c = change(ChangeKind::NewDataset, d);
            let personal = d.columns.iter().any(|c| state_of(c).rank() > 0);
            c.alert = personal;
            changes.push(c);
            for col in &d.columns {
                let s = state_of(col);
                changes.push(Change {
                    column: Some(col.name.clone()),
                    after: Some(s),
                    alert: s.rank() > 0,
                    ..change(ChangeKind::NewColumn, d)
                });
            }
            continue;
        };
        if d.error.is_some() || b.failed {
            continue;
        }
        let old: BTreeMap<&str, ColumnState> =
            b.columns.iter().map(|(n, s)| (n.as_str(), *s)).collect();
        let new_names: BTreeSet<&str> = d.columns.iter().map(|c| c.name.as_str()).collect();
        for col in &d.columns {
            let s = state_of(col);
            match old.get(col.name.as_str()) {
                None => changes.push(Change {
                    column: Some(col.name.clone()),
                    after: Some(s),
                    alert: s.rank() > 0,
                    ..change(ChangeKind::NewColumn, d)
                }),
                Some(o) if *o != s => changes.push(Change {
                    column: Some(col.name.clone()),
                    before: Some(*o),
                    after: Some(s),
                    alert: s.rank() > o.rank(),
                    ..change(ChangeKind::ChangedColumn, d)
                }),
                Some(_) => {}
            }
        }
        for (name, s) in &b.columns {
            if !new_names.contains(name.as_str()) {
                changes.push(Change {
                    column: Some(name.clone()),
                    before: Some(*s),
                    ..change(ChangeKind::DroppedColumn, d)
                });
            }
        }
        let was = specials(b.columns.iter().map(|(_, s)| s));
        let states: Vec<ColumnState> = d.columns.iter().map(state_of).collect();
        for cat in specials(states.iter()).difference(&was) {
            changes.push(Change {
                category: Some(*cat),
                alert: true,
                ..change(ChangeKind::NewSpecialCategory, d)
            });
        }
    }
    let seen: BTreeSet<_> = now
        .iter()
        .map(|d| key(&d.source, d.table.as_deref()))
        .collect();
    for b in &base.datasets {
        if !seen.contains(&key(&b.source, b.table.as_deref())) {
            changes.push(Change {
                kind: ChangeKind::DroppedDataset,
                dataset: label(&b.source, b.table.as_deref()),
                source: b.source.clone(),
                table: b.table.clone(),
                column: None,
                before: None,
                after: None,
                category: None,
                alert: false,
            });
        }
    }
    let mut counts = BTreeMap::new();
    for c in &changes {
        *counts.entry(c.kind.name()).or_insert(0) += 1;
    }
    Drift {
        baseline: base.origin.clone(),
        baseline_generated_at: base.generated_at.clone(),
        alert: changes.iter().any(|c| c.alert),
        counts,
        changes,
    }
}

impl Change {
    /// One line for people (names from the data are not yet escaped).
    pub fn describe(&self) -> String {
        let col = self.column.as_deref().unwrap_or("");
        match self.kind {
            ChangeKind::NewDataset => format!("new dataset {}", self.dataset),
            ChangeKind::DroppedDataset => format!("dropped dataset {}", self.dataset),
            ChangeKind::NewColumn => format!(
                "new column {col} in {}: {}",
                self.dataset,
                self.after.map(ColumnState::label).unwrap_or_default()
            ),
            ChangeKind::DroppedColumn => format!(
                "dropped column {col} in {} (was {})",
                self.dataset,
                self.before.map(ColumnState::label).unwrap_or_default()
            ),
            ChangeKind::ChangedColumn => format!(
                "column {col} in {}: {} -> {}",
                self.dataset,
                self.before.map(ColumnState::label).unwrap_or_default(),
                self.after.map(ColumnState::label).unwrap_or_default()
            ),
            ChangeKind::NewSpecialCategory => format!(
                "new special category {} in {}",
                self.category.map(Category::name).unwrap_or(""),
                self.dataset
            ),
        }
    }
}

/// The drift as text for the terminal (names escaped with [`visible`]).
pub fn render_text(d: &Drift) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Drift since {}{}: {}",
        visible(&d.baseline),
        d.baseline_generated_at
            .as_deref()
            .map(|g| format!(" ({})", visible(g)))
            .unwrap_or_default(),
        if d.changes.is_empty() {
            "no change".to_string()
        } else {
            let parts: Vec<String> = d.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
            parts.join(", ")
        }
    );
    for c in &d.changes {
        let _ = writeln!(
            o,
            "  {} {}",
            if c.alert { "ALERT" } else { "     " },
            visible(&c.describe())
        );
    }
    if d.alert {
        let _ = writeln!(
            o,
            "Personal data appeared where there was none (exit code 5)."
        );
    }
    o
}

/// The drift as Markdown (names escaped).
pub fn render_md(d: &Drift) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "## Drift since the baseline\n");
    let _ = writeln!(
        o,
        "Baseline {}{}.\n",
        super::escape::markdown(&d.baseline),
        d.baseline_generated_at
            .as_deref()
            .map(|g| format!(" ({})", super::escape::markdown(g)))
            .unwrap_or_default()
    );
    if d.changes.is_empty() {
        let _ = writeln!(o, "No change.\n");
        return o;
    }
    let _ = writeln!(o, "| alert | change |\n| --- | --- |");
    for c in &d.changes {
        let _ = writeln!(
            o,
            "| {} | {} |",
            if c.alert { "**yes**" } else { "" },
            super::escape::markdown(&c.describe())
        );
    }
    o.push('\n');
    o
}

#[cfg(test)]
mod tests;

/// Hook the drift into a filing-system report: the `drift` section, and per filing system
/// whose datasets changed a `catalogue_outdated` finding citing Art. 17(2) of 03/L-172 (the
/// catalogue must be kept accurate and up to date), listing the special categories new to it.
pub fn attach(r: &mut super::filing::FilingReport, drift: &Drift, base: &Baseline) {
    use super::filing::{Finding, Severity};
    let base_specials = |labels: &BTreeSet<String>| -> BTreeSet<Category> {
        specials(
            base.datasets
                .iter()
                .filter(|d| labels.contains(&label(&d.source, d.table.as_deref())))
                .flat_map(|d| d.columns.iter().map(|(_, s)| s)),
        )
    };
    let mut findings = Vec::new();
    for fs in &r.filing_systems {
        let labels: BTreeSet<String> = fs.datasets.iter().map(|d| d.label.clone()).collect();
        let changes: Vec<&Change> = drift
            .changes
            .iter()
            .filter(|c| labels.contains(&c.dataset))
            .collect();
        if changes.is_empty() {
            continue;
        }
        let was = base_specials(&labels);
        let new_special: Vec<Category> = fs
            .special_categories
            .iter()
            .filter(|c| !was.contains(c))
            .copied()
            .collect();
        let alert = changes.iter().any(|c| c.alert);
        let mut columns: Vec<String> = changes
            .iter()
            .filter_map(|c| c.column.as_ref().map(|n| format!("{}: {n}", c.dataset)))
            .collect();
        columns.dedup();
        let mut message = format!(
            "since the baseline {}, {} change(s) in the datasets of this filing system: {}",
            drift.baseline,
            changes.len(),
            changes
                .iter()
                .map(|c| c.describe())
                .collect::<Vec<_>>()
                .join("; ")
        );
        if !new_special.is_empty() {
            let _ = write!(
                message,
                "; special categories new to the filing system: {}",
                new_special
                    .iter()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        findings.push(Finding {
            code: "catalogue_outdated",
            severity: if alert || !new_special.is_empty() {
                Severity::Medium
            } else {
                Severity::Low
            },
            filing_system: Some(fs.id.clone()),
            datasets: changes
                .iter()
                .map(|c| c.dataset.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            columns,
            categories: new_special,
            message,
            action: "review and update this filing system's catalogue entry (item 1.5, the categories of personal data, and the items that follow from them) so that it is accurate and up to date".into(),
            cites: vec![super::law::l172("Art. 17(2)", "art-17")],
        });
    }
    r.findings.extend(findings);
    r.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    if !r.articles.iter().any(|a| a.id == "art-17")
        && r.findings.iter().any(|f| f.code == "catalogue_outdated")
        && let Some(a) = super::law::article("art-17")
    {
        r.articles.push(a);
    }
    r.drift = Some(drift.clone());
}

/// The drift as an HTML section (`section#drift`, rows `tr.drift[data-kind]`), every name
/// escaped.
pub fn render_html(d: &Drift) -> String {
    let esc = |s: &str| super::html::esc(&visible(s));
    let mut h = String::new();
    let _ = write!(
        h,
        "<section id=\"drift\"><h2>Drift since the baseline</h2><p>Baseline <code>{}</code>{}. A filing system whose datasets changed has a <code>catalogue_outdated</code> finding: Art. 17(2) requires its catalogue entry to be kept accurate and up to date.</p>",
        esc(&d.baseline),
        d.baseline_generated_at
            .as_deref()
            .map(|g| format!(" ({})", esc(g)))
            .unwrap_or_default()
    );
    if d.changes.is_empty() {
        h.push_str("<p>No change.</p></section>\n");
        return h;
    }
    h.push_str("<table><thead><tr><th>Alert</th><th>Change</th></tr></thead><tbody>");
    for c in &d.changes {
        let _ = write!(
            h,
            "<tr class=\"drift\" data-kind=\"{}\"><td>{}</td><td>{}</td></tr>",
            c.kind.name(),
            if c.alert { "<b>yes</b>" } else { "" },
            esc(&c.describe())
        );
    }
    h.push_str("</tbody></table></section>\n");
    h
}
