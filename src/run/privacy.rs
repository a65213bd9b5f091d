//! `[privacy]` in a run: the first pass over one dataset (QI and sensitive columns only),
//! the lattice search, and what the run report says about it.
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::config::pipeline::PrivacySpec;
use crate::detect::{Category, PatternSet, Role};
use crate::error::{Error, Result};
use crate::plan::DatasetPlan;
use crate::privacy::{
    self, Bound, Builtin, ClassTable, Floor, Hierarchy, Models, Search, Solution,
};
use crate::report::run::BeforeAfter;
use crate::source::Source;

/// What the run report says about the privacy models of one output.
#[derive(Debug, Clone, Serialize)]
pub struct PrivacyResult {
    /// k required.
    pub k_target: u64,
    /// Smallest class in the output.
    pub k_achieved: u64,
    /// l required.
    pub l_target: Option<u64>,
    /// Smallest l in the output over the sensitive attributes (distinct or floor of entropy-l).
    pub l_achieved: Option<u64>,
    /// Kind of l-diversity.
    pub diversity: privacy::Diversity,
    /// t required.
    pub t_target: Option<f64>,
    /// Suppression budget (share).
    pub suppression_budget: f64,
    /// Rows suppressed to meet the models.
    pub rows_suppressed: u64,
    /// Quasi-identifiers.
    pub quasi_identifiers: Vec<String>,
    /// Sensitive attributes.
    pub sensitive: Vec<String>,
    /// Chosen level per QI (0 = original) and its hierarchy's top.
    pub levels: BTreeMap<String, [usize; 2]>,
    /// Lattice nodes, transformations checked, search time.
    pub search: Search,
    /// The release verdict's outcome (`anonymised`, `pseudonymised`, `not_fit`; see
    /// [`crate::report::verdict`]).
    pub verdict: String,
    /// Observations (fallback hierarchies).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The search result for one dataset plus its report entries.
pub struct Release {
    /// The chosen transformation.
    pub solution: Solution,
    /// QI column indices in the dataset.
    pub qi_columns: Vec<usize>,
    /// For the report.
    pub result: PrivacyResult,
    /// Risk before/after (numbers only).
    pub risk: BeforeAfter,
    /// Utility before/after (numbers only).
    pub utility: BeforeAfter,
}

fn default_builtin(c: Category) -> Builtin {
    match c {
        Category::Age => Builtin::Age,
        Category::DateOfBirth | Category::Date => Builtin::Date,
        Category::Municipality => Builtin::Municipality,
        Category::PostalCode => Builtin::PostalCode,
        _ => Builtin::Flat,
    }
}

/// The level of a built-in hierarchy that a `generalise` rule's parameters correspond to.
fn rule_level(kind: Builtin, params: &toml::Table) -> Option<usize> {
    let to = params.get("to").and_then(|v| v.as_str())?;
    let int = |k: &str, d: i64| params.get(k).and_then(|v| v.as_integer()).unwrap_or(d);
    Some(match (kind, to) {
        (Builtin::Date, "year_month") => 1,
        (Builtin::Date, "year") => 2,
        (Builtin::Date, "year_band") => match int("width", 5) {
            1 => 2,
            2..=5 => 3,
            6..=10 => 4,
            _ => 5,
        },
        (Builtin::Age, "age_band") => match int("width", 5) {
            1..=5 => 1,
            6..=10 => 2,
            11..=20 => 3,
            _ => 4,
        },
        (Builtin::Municipality, "district") => 1,
        (Builtin::Municipality, "country") => 2,
        (Builtin::PostalCode, "postal_prefix") => match int("digits", 2) {
            3.. => 1,
            2 => 2,
            _ => 3,
        },
        _ => return None,
    })
}

fn builtin_by_name(n: &str) -> Option<Builtin> {
    Some(match n {
        "date" => Builtin::Date,
        "age" => Builtin::Age,
        "municipality" => Builtin::Municipality,
        "postal_code" => Builtin::PostalCode,
        "number" => Builtin::Number,
        "flat" => Builtin::Flat,
        _ => return None,
    })
}

fn risk_numbers(r: &privacy::Risk) -> BTreeMap<String, f64> {
    BTreeMap::from([
        ("records".into(), r.records as f64),
        ("classes".into(), r.classes as f64),
        ("sample_uniques".into(), r.sample_uniques as f64),
        ("sample_unique_share".into(), r.sample_unique_share),
        ("records_at_risk".into(), r.records_below_k as f64),
        ("min_class_size".into(), r.min_class_size as f64),
        ("avg_prosecutor_risk".into(), r.avg_prosecutor_risk),
        ("max_prosecutor_risk".into(), r.max_prosecutor_risk),
    ])
}

fn utility_numbers(u: &privacy::Utility) -> BTreeMap<String, f64> {
    BTreeMap::from([
        ("generalisation_height".into(), u.height as f64),
        ("precision_loss".into(), u.precision_loss),
        ("entropy_loss".into(), u.entropy_loss),
        ("discernibility".into(), u.discernibility),
        ("avg_class_size".into(), u.avg_class_size),
        ("classes".into(), u.classes as f64),
        ("suppressed".into(), u.suppressed as f64),
    ])
}

/// The columns a privacy release is computed over.
#[derive(Debug, Clone)]
pub struct Attributes {
    /// Quasi-identifier column indices in the dataset.
    pub qi_columns: Vec<usize>,
    /// Their names.
    pub qi: Vec<String>,
    /// Sensitive attribute names.
    pub sensitive: Vec<String>,
    /// Each QI's hierarchy.
    pub hierarchies: Vec<Arc<Hierarchy>>,
    /// The level each QI is counted at: the level its `generalise` rule asks for (the
    /// search never goes below it), or the original values for a kept QI.
    pub floors: Vec<Floor>,
}

/// The hierarchy of QI `name` (column plan `cp`) and, when a rule generalises it, the level
/// that rule fixes.
fn hierarchy_of(
    spec: &PrivacySpec,
    base: &Path,
    name: &str,
    cp: &crate::plan::ColumnPlan,
    patterns: &Arc<PatternSet>,
) -> Result<(Arc<Hierarchy>, Option<usize>)> {
    let delim = spec.hierarchy_delimiter.unwrap_or(';');
    let h = match spec.hierarchies.get(name) {
        Some(h) => match builtin_by_name(h) {
            Some(b) => Hierarchy::builtin(b, None, patterns.clone())?,
            None => Hierarchy::from_arx_csv(&base.join(h), delim as u8)?,
        },
        None => Hierarchy::builtin(default_builtin(cp.category), None, patterns.clone())?,
    };
    let floor = if cp.action == "generalise" {
        // The search starts at the level the rule asks for, never below it.
        let chosen = spec
            .hierarchies
            .get(name)
            .map(|h| builtin_by_name(h))
            .unwrap_or(Some(default_builtin(cp.category)));
        Some(
            chosen
                .and_then(|kind| rule_level(kind, &cp.params))
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "privacy: the rules generalise `{name}` to a level its hierarchy does not \
                         have; plan it as `keep` or choose a matching built-in hierarchy"
                    ))
                })?,
        )
    } else {
        None
    };
    Ok((Arc::new(h), floor))
}

/// Which columns are quasi-identifiers and sensitive attributes, with the QIs' hierarchies
/// (ARX files relative to the pipeline file); `Ok(None)`: the dataset has no
/// quasi-identifier (nothing to enforce).
pub fn attributes(
    spec: &PrivacySpec,
    pipeline_path: &Path,
    dp: &DatasetPlan,
    patterns: &Arc<PatternSet>,
) -> Result<Option<Attributes>> {
    let pick = |names: &Option<Vec<String>>, role: Role, actions: &[&str]| -> Vec<usize> {
        match names {
            Some(n) => dp
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| n.contains(&c.name))
                .map(|(i, _)| i)
                .collect(),
            None => dp
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.role == role && actions.contains(&c.action.as_str()))
                .map(|(i, _)| i)
                .collect(),
        }
    };
    let qi_columns = pick(
        &spec.quasi_identifiers,
        Role::QuasiIdentifier,
        &["keep", "generalise"],
    );
    if qi_columns.is_empty() {
        return Ok(None);
    }
    let sens_columns: Vec<usize> = pick(&spec.sensitive, Role::Sensitive, &["keep"])
        .into_iter()
        .filter(|i| !qi_columns.contains(i))
        .collect();
    for &i in qi_columns.iter().chain(&sens_columns) {
        let a = dp.columns[i].action.as_str();
        if !matches!(a, "keep" | "generalise") {
            return Err(Error::Usage(format!(
                "privacy: column `{}` is a quasi-identifier or sensitive attribute but the rules \
                 {a} it; plan it as `keep` or `generalise`",
                dp.columns[i].name
            )));
        }
    }
    let qi: Vec<String> = qi_columns
        .iter()
        .map(|i| dp.columns[*i].name.clone())
        .collect();
    let sensitive: Vec<String> = sens_columns
        .iter()
        .map(|i| dp.columns[*i].name.clone())
        .collect();
    let base = pipeline_path.parent().unwrap_or(Path::new("."));
    let mut hierarchies = Vec::with_capacity(qi.len());
    let mut floors = Vec::with_capacity(qi.len());
    for (&ci, name) in qi_columns.iter().zip(&qi) {
        let (h, floor) = hierarchy_of(spec, base, name, &dp.columns[ci], patterns)?;
        floors.push(match floor {
            Some(level) => Floor::Level {
                hierarchy: h.clone(),
                level,
            },
            None => Floor::Original,
        });
        hierarchies.push(h);
    }
    Ok(Some(Attributes {
        qi_columns,
        qi,
        sensitive,
        hierarchies,
        floors,
    }))
}

/// The first pass over a source (a shard's summary phase), after `filter` (the objection
/// list) has removed rows.
pub fn first_pass(
    src: &mut dyn Source,
    a: &Attributes,
    filter: &mut dyn FnMut(arrow_array::RecordBatch) -> Result<arrow_array::RecordBatch>,
) -> Result<ClassTable> {
    privacy::first_pass(src, &a.qi, &a.sensitive, a.floors.clone(), filter)
}

/// First pass and search for one dataset. `table` makes the class table (one pass over the
/// dataset, or merged shard summaries). `Ok(None)`: the dataset has no quasi-identifier
/// (nothing to enforce).
pub fn prepare(
    spec: &PrivacySpec,
    pipeline_path: &Path,
    dp: &DatasetPlan,
    table: &mut dyn FnMut(&Attributes) -> Result<ClassTable>,
    patterns: &Arc<PatternSet>,
) -> Result<Option<Release>> {
    let models: Models = spec.models()?;
    let Some(attrs) = attributes(spec, pipeline_path, dp, patterns)? else {
        return Ok(None);
    };
    let Attributes {
        qi_columns,
        qi,
        sensitive,
        hierarchies,
        floors,
    } = attrs.clone();
    // Models that need sensitive attributes apply only where the dataset has some.
    let models = if sensitive.is_empty() {
        Models {
            l: None,
            t: None,
            ..models
        }
    } else {
        models
    };
    let table = table(&attrs)?;
    let levels: Vec<usize> = floors.iter().map(Floor::level).collect();
    if table.floors != levels {
        return Err(Error::Internal(
            "privacy: the class table was counted at other levels than the rules fix".into(),
        ));
    }
    let mut bound = Vec::with_capacity(qi.len());
    let mut notes = Vec::new();
    for (n, (&ci, name)) in qi_columns.iter().zip(&qi).enumerate() {
        let cp = &dp.columns[ci];
        if table.floors[n] > 0 {
            bound.push(Bound::from_upper(
                name,
                &table.qi_values[n],
                table.floors[n],
                &table.upper[n],
            )?);
            continue;
        }
        let b = match hierarchies[n].bind(name, &table.qi_values[n]) {
            Ok(b) => b,
            // A kept column whose values do not fit the default built-in hierarchy (an age
            // column that already holds bands): keep it or suppress it, nothing in between.
            Err(_) if cp.action == "keep" && !spec.hierarchies.contains_key(name) => {
                notes.push(format!(
                    "`{name}`: values do not fit the default hierarchy; using original → *"
                ));
                Hierarchy::builtin(Builtin::Flat, None, patterns.clone())?
                    .bind(name, &table.qi_values[n])?
            }
            Err(e) => return Err(e),
        };
        bound.push(b);
    }
    let (mut solution, search) = privacy::search(&table, bound, &models)?;
    solution.floors = floors;
    let l_achieved = models.l.map(|_| {
        solution
            .risk_after
            .l_diversity
            .iter()
            .map(|d| match models.diversity {
                privacy::Diversity::Distinct => d.distinct_l,
                privacy::Diversity::Entropy => (d.entropy_l + 1e-9).floor() as u64,
            })
            .min()
            .unwrap_or(0)
    });
    let result = PrivacyResult {
        k_target: models.k,
        k_achieved: solution.risk_after.min_class_size,
        l_target: models.l,
        l_achieved,
        diversity: models.diversity,
        t_target: models.t,
        suppression_budget: models.suppression,
        rows_suppressed: solution.suppressed,
        quasi_identifiers: qi.clone(),
        sensitive,
        levels: qi
            .iter()
            .enumerate()
            .map(|(i, q)| (q.clone(), [solution.levels[i], solution.max_levels[i]]))
            .collect(),
        search,
        verdict: "undetermined (not verified yet)".into(),
        notes,
    };
    let risk = BeforeAfter {
        before: risk_numbers(&solution.risk_before),
        after: risk_numbers(&solution.risk_after),
    };
    let utility = BeforeAfter {
        before: utility_numbers(&solution.utility_before),
        after: utility_numbers(&solution.utility_after),
    };
    Ok(Some(Release {
        solution,
        qi_columns,
        result,
        risk,
        utility,
    }))
}
