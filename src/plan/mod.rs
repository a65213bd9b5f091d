//! Planning: pipeline rules × column classifications → one action per column, with the reason.
//!
//! The most specific rule wins (column name > category > role; a dataset scope breaks ties;
//! then file order). Under `strict`, a personal column (identifier, quasi-identifier,
//! special category or free text) that no rule covers makes the plan unsafe: the run stops
//! before writing anything and names the columns.
use serde::Serialize;

use crate::config::pipeline::{Pipeline, Rule};
use crate::detect::{Category, Role};
use crate::scan::DatasetScan;
use crate::source::glob_match;
use crate::transform::ActionSpec;

pub mod fit;
pub mod keys;

/// The decision for one column.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnPlan {
    /// Column name.
    pub name: String,
    /// Detected category.
    pub category: Category,
    /// Its role.
    pub role: Role,
    /// Classification confidence.
    pub confidence: f64,
    /// Action name.
    pub action: String,
    /// The rule's parameters as written (no secrets can be in a pipeline file).
    #[serde(skip_serializing_if = "toml::Table::is_empty")]
    pub params: toml::Table,
    /// Why this action.
    pub reason: String,
    /// The rule number, if a rule chose it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
    /// What the action guarantees where that matters for who the values can reach:
    /// `fictitious` (in a range no one holds, not reversible) or `fpe` (reversible, and
    /// outputs may be other people's real identifiers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The category was declared (`[[declare]]`), not detected: where and why. `verify`
    /// judges the output column by the declared category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared: Option<String>,
    /// The parsed action.
    #[serde(skip)]
    pub spec: ActionSpec,
}

/// The plan for one dataset.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetPlan {
    /// Source path or URL (password removed).
    pub source: String,
    /// Table for multi-table sources.
    pub table: Option<String>,
    /// One entry per input column, in input order.
    pub columns: Vec<ColumnPlan>,
}

/// Personal columns without a rule.
#[derive(Debug, Clone, Serialize)]
pub struct Uncovered {
    /// Dataset (source, or source:table).
    pub dataset: String,
    /// Column.
    pub column: String,
    /// Its category.
    pub category: Category,
    /// Other personal categories the scan considered (what the column might be).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Category>,
}

impl Uncovered {
    /// What the column is and might be: `record_key` or `record_key; might also be:
    /// kosovo_personal_number`.
    pub fn what(&self) -> String {
        let mut s = self.category.name().to_string();
        if !self.candidates.is_empty() {
            let c: Vec<&str> = self.candidates.iter().map(|c| c.name()).collect();
            s.push_str("; might also be: ");
            s.push_str(&c.join(", "));
        }
        s
    }
}

/// A column whose planned action the output cannot hold (a key it would break, a declared
/// type its values do not fit). Any conflict stops the run, strict or not.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    /// Dataset (source, or source:table).
    pub dataset: String,
    /// Column.
    pub column: String,
    /// What goes wrong (names the type or key, never a value).
    pub problem: String,
}

/// A whole plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Per dataset.
    pub datasets: Vec<DatasetPlan>,
    /// Personal columns no rule covers (kept as they are unless the pipeline is strict).
    pub uncovered: Vec<Uncovered>,
    /// Actions the output cannot hold.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
}

impl Plan {
    /// Whether a strict pipeline may run this plan.
    pub fn is_safe(&self) -> bool {
        self.uncovered.is_empty() && self.conflicts.is_empty()
    }
}

/// The plan's note on what a pseudonymising action guarantees (issue 21): which of
/// `fictitious` and `fpe` a column gets, and the caveat of `fpe` on dense identifier spaces.
pub fn guarantee_note(spec: &ActionSpec, cat: Category) -> Option<String> {
    match spec {
        ActionSpec::Fictitious { .. } => Some(
            "fictitious: values in a range no one holds (not reversible); see docs/test-copies.md"
                .into(),
        ),
        ActionSpec::Fpe { .. } => {
            let free = crate::transform::fictitious::KINDS
                .contains(&crate::transform::IdKind::from_category(cat));
            Some(if free {
                "fpe: reversible with the key, but outputs lie among real identifiers and may be \
                 other people's; use fictitious for a copy that leaves the controller"
                    .into()
            } else {
                "fpe: reversible with the key; WARNING: no unissued range exists for this \
                 identifier, so outputs may be real identifiers of other people"
                    .into()
            })
        }
        _ => None,
    }
}

/// The name of a planned dataset, as [`dataset_label`] names its scan.
pub fn plan_label(d: &DatasetPlan) -> String {
    match &d.table {
        Some(t) => format!("{}:{t}", d.source),
        None => d.source.clone(),
    }
}

/// Adjust the plan to the source's keys and the output's schema: columns linked by foreign
/// keys get one action; where the output keeps the input's schema (`keeps_schema`, a dump),
/// actions that break a key or do not fit a declared type become conflicts.
pub fn fit_output(
    plan: &mut Plan,
    scans: &[DatasetScan],
    keeps_schema: &dyn Fn(&DatasetPlan) -> bool,
) {
    keys::link(plan, scans, keeps_schema);
    fit::check(plan, scans, keeps_schema);
}

/// The name a dataset is matched by in `dataset = "…"` globs and shown as.
pub fn dataset_label(ds: &DatasetScan) -> String {
    match &ds.table {
        Some(t) => format!("{}:{t}", ds.source),
        None => ds.source.clone(),
    }
}

fn rule_matches(rule: &Rule, ds: &DatasetScan, column: &str, category: Category) -> bool {
    let s = &rule.selector;
    if let Some(c) = s.category
        && c != category
    {
        return false;
    }
    if let Some(r) = s.role
        && r != category.role()
    {
        return false;
    }
    if let Some(g) = &s.column
        && !glob_match(g, column)
        && !glob_match(&g.to_lowercase(), &column.to_lowercase())
    {
        return false;
    }
    if let Some(g) = &s.dataset
        && !dataset_glob_matches(g, &ds.source, ds.table.as_deref())
    {
        return false;
    }
    true
}

/// Whether a rule's `dataset` glob names the dataset: its label, source, file name, table
/// or the table's last dotted part.
pub fn dataset_glob_matches(glob: &str, source: &str, table: Option<&str>) -> bool {
    let label = match table {
        Some(t) => format!("{source}:{t}"),
        None => source.to_string(),
    };
    let file = source.rsplit('/').next().unwrap_or(source);
    let table = table.unwrap_or("");
    let short = table.rsplit('.').next().unwrap_or(table);
    [label.as_str(), source, file, table, short]
        .iter()
        .any(|t| !t.is_empty() && glob_match(glob, t))
}

fn describe(rule: &Rule) -> String {
    let s = &rule.selector;
    let mut parts = Vec::new();
    if let Some(c) = &s.column {
        parts.push(format!("column = {c}"));
    }
    if let Some(c) = s.category {
        parts.push(format!("category = {c}"));
    }
    if let Some(r) = s.role {
        parts.push(format!("role = {}", r.name()));
    }
    if let Some(d) = &s.dataset {
        parts.push(format!("dataset = {d}"));
    }
    let mut text = format!("rule {} ({})", rule.number, parts.join(", "));
    if let Some(w) = &rule.why {
        text.push_str(": ");
        text.push_str(w);
    }
    text
}

/// Plan every scanned dataset. Failed scans are skipped here (the run reports them).
pub fn plan(pipeline: &Pipeline, scans: &[DatasetScan]) -> Plan {
    let mut datasets = Vec::new();
    let mut uncovered = Vec::new();
    for ds in scans.iter().filter(|d| d.error.is_none()) {
        let mut columns = Vec::new();
        for col in &ds.columns {
            // A column not classified as personal that still holds identifiers inside its
            // text (a comment field with one phone number) is planned as free text: safe by
            // default beats a tidy classification.
            let embedded: u64 = col
                .classification
                .entities
                .iter()
                .filter(|(c, _)| c.role() == Role::DirectIdentifier)
                .map(|(_, n)| *n)
                .sum();
            let declared = crate::config::declare::find(&pipeline.declarations, &col.name, |g| {
                dataset_glob_matches(g, &ds.source, ds.table.as_deref())
            });
            let cat = match (declared, col.classification.category) {
                // The controller's declaration overrides the evidence, embedded entities too.
                (Some(d), _) => d.category,
                (None, c) if c.role() == Role::NotPersonal && embedded > 0 => Category::FreeText,
                (None, c) => c,
            };
            let best = pipeline
                .rules
                .iter()
                .filter(|r| rule_matches(r, ds, &col.name, cat))
                // Highest specificity, then earliest in the file.
                .max_by(|a, b| {
                    a.selector
                        .specificity()
                        .cmp(&b.selector.specificity())
                        .then(b.number.cmp(&a.number))
                });
            let personal = cat.role() != Role::NotPersonal;
            let (spec, params, reason, rule) = match best {
                Some(r) => (
                    r.action.clone(),
                    r.params.clone(),
                    describe(r),
                    Some(r.number),
                ),
                None if personal => {
                    uncovered.push(Uncovered {
                        dataset: dataset_label(ds),
                        column: col.name.clone(),
                        category: cat,
                        candidates: col
                            .classification
                            .alternatives
                            .iter()
                            .map(|a| a.category)
                            .filter(|c| *c != cat && c.role() != Role::NotPersonal)
                            .collect(),
                    });
                    (
                        ActionSpec::Keep {},
                        toml::Table::new(),
                        format!(
                            "no rule covers this {} column: kept as is",
                            cat.role().name()
                        ),
                        None,
                    )
                }
                None => (
                    ActionSpec::Keep {},
                    toml::Table::new(),
                    if declared.is_some() {
                        "declared not personal: kept".to_string()
                    } else {
                        "not personal: kept".to_string()
                    },
                    None,
                ),
            };
            columns.push(ColumnPlan {
                name: col.name.clone(),
                category: cat,
                role: cat.role(),
                confidence: if declared.is_some() {
                    1.0
                } else {
                    col.classification.confidence
                },
                declared: declared.map(|d| {
                    format!(
                        "declared {} in {} (detected: {}): {}",
                        d.category,
                        d.file.display(),
                        col.classification.category,
                        d.why
                    )
                }),
                action: spec.name().to_string(),
                params,
                reason,
                rule,
                note: guarantee_note(&spec, cat),
                spec,
            });
        }
        datasets.push(DatasetPlan {
            source: ds.source.clone(),
            table: ds.table.clone(),
            columns,
        });
    }
    Plan {
        datasets,
        uncovered,
        conflicts: Vec::new(),
    }
}
