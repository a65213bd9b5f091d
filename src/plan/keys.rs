//! Keys in the plan. A dump's DDL says which columns are primary, unique and foreign keys;
//! a key column's values identify rows and join tables, so:
//! - the columns linked by foreign keys get one action (the referenced key's, or the
//!   strongest among them), so equal values stay equal in every table and every reference
//!   still resolves;
//! - when the output keeps the input's schema (a dump), a key column may only get an action
//!   that keeps distinct values distinct (`keep`, `pseudonymise`, `fpe`): anything else
//!   would give many rows one value and break the key, so the plan refuses it by name; and a
//!   partition key may only be kept (a changed value could leave its partition's range).
//!
//! It also warns about keyed actions on columns of a handful of values ([`tiny_domains`]):
//! equal tokens, like equal keys, carry the column's equality structure into the output.
use std::collections::HashMap;

use super::{Conflict, DatasetPlan, Plan};
use crate::detect::Role;
use crate::scan::DatasetScan;
use crate::transform::ActionSpec;

/// A column of the plan: (dataset index, column index).
type Node = (usize, usize);

/// Whether `spec` maps distinct values to distinct values (and never to NULL).
pub fn keeps_values_distinct(spec: &ActionSpec) -> bool {
    matches!(
        spec,
        ActionSpec::Keep {}
            | ActionSpec::Pseudonymise { .. }
            | ActionSpec::Fpe { .. }
            | ActionSpec::Fictitious { .. }
    )
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// The scan of a planned dataset.
fn scan_of<'a>(scans: &'a [DatasetScan], d: &DatasetPlan) -> Option<&'a DatasetScan> {
    scans
        .iter()
        .find(|s| s.error.is_none() && s.source == d.source && s.table == d.table)
}

/// Give every group of columns linked by foreign keys one action; then, for datasets whose
/// output keeps the input's schema (`keeps_schema`), refuse actions that break keys.
pub fn link(plan: &mut Plan, scans: &[DatasetScan], keeps_schema: &dyn Fn(&DatasetPlan) -> bool) {
    let nodes: Vec<Node> = plan
        .datasets
        .iter()
        .enumerate()
        .flat_map(|(di, d)| (0..d.columns.len()).map(move |ci| (di, ci)))
        .collect();
    let index: HashMap<Node, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut parent: Vec<usize> = (0..nodes.len()).collect();
    let mut is_referenced = vec![false; nodes.len()];
    for (i, &(di, ci)) in nodes.iter().enumerate() {
        let d = &plan.datasets[di];
        let Some(scan) = scan_of(scans, d) else {
            continue;
        };
        let Some((table, column)) = scan.columns.get(ci).and_then(|c| c.keys.references.clone())
        else {
            continue;
        };
        let target = plan.datasets.iter().enumerate().find_map(|(dj, e)| {
            (e.source == d.source && e.table.as_deref() == Some(table.as_str()))
                .then(|| {
                    e.columns
                        .iter()
                        .position(|c| c.name == column)
                        .map(|cj| (dj, cj))
                })
                .flatten()
        });
        if let Some(t) = target.and_then(|t| index.get(&t).copied()) {
            is_referenced[t] = true;
            let (a, b) = (find(&mut parent, i), find(&mut parent, t));
            parent[a] = b;
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..nodes.len() {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    for members in groups.values().filter(|m| m.len() > 1) {
        unify(plan, &nodes, members, &is_referenced);
    }
    refuse_broken_keys(plan, scans, keeps_schema);
}

/// Give `members` the action of their leader: a referenced key with an action other than
/// `keep`, else the member with the most identifying role that has one.
fn unify(plan: &mut Plan, nodes: &[Node], members: &[usize], is_referenced: &[bool]) {
    let rank = |role: Role| match role {
        Role::DirectIdentifier => 0,
        Role::RecordKey | Role::Uncertain => 1,
        Role::Sensitive => 1,
        Role::QuasiIdentifier => 2,
        Role::FreeText => 3,
        Role::NotPersonal => 4,
    };
    let leader = members
        .iter()
        .copied()
        .filter(|&m| {
            let (di, ci) = nodes[m];
            !matches!(plan.datasets[di].columns[ci].spec, ActionSpec::Keep {})
        })
        .min_by_key(|&m| {
            let (di, ci) = nodes[m];
            (!is_referenced[m], rank(plan.datasets[di].columns[ci].role))
        });
    let Some(leader) = leader else { return };
    let (ld, lc) = nodes[leader];
    let chosen = plan.datasets[ld].columns[lc].clone();
    let where_ = format!(
        "{}.{}",
        plan.datasets[ld].table.as_deref().unwrap_or(""),
        chosen.name
    );
    for &m in members {
        let (di, ci) = nodes[m];
        let c = &mut plan.datasets[di].columns[ci];
        if m == leader || (c.spec == chosen.spec && c.category == chosen.category) {
            continue;
        }
        c.reason = format!(
            "linked by a foreign key to {where_}: the same action ({}, as {}) so that equal \
             values stay equal and every reference resolves (was {}: {})",
            chosen.action,
            chosen.category.name(),
            c.action,
            c.reason
        );
        c.category = chosen.category;
        c.role = chosen.role;
        c.spec = chosen.spec.clone();
        c.action = chosen.action.clone();
        c.params = chosen.params.clone();
        c.rule = chosen.rule;
    }
}

fn refuse_broken_keys(
    plan: &mut Plan,
    scans: &[DatasetScan],
    keeps_schema: &dyn Fn(&DatasetPlan) -> bool,
) {
    for d in &plan.datasets {
        if !keeps_schema(d) {
            continue;
        }
        let Some(scan) = scan_of(scans, d) else {
            continue;
        };
        for (c, col) in d.columns.iter().zip(&scan.columns) {
            let k = &col.keys;
            if k.partition && !matches!(c.spec, ActionSpec::Keep {}) {
                plan.conflicts.push(Conflict {
                    dataset: super::plan_label(d),
                    column: c.name.clone(),
                    problem: format!(
                        "is a partition key: `{}` changes values, so a row could leave the \
                         range of its partition and the load would fail. Keep it (a rule with \
                         column = \"{}\" and action = \"keep\" says so explicitly) or write the \
                         output as CSV, Parquet or SQLite",
                        c.action, c.name
                    ),
                });
                continue;
            }
            if !k.is_key() || keeps_values_distinct(&c.spec) {
                continue;
            }
            let kind = if k.primary {
                "primary key"
            } else if k.unique {
                "unique key"
            } else {
                "foreign key"
            };
            plan.conflicts.push(Conflict {
                dataset: super::plan_label(d),
                column: c.name.clone(),
                problem: format!(
                    "is part of a {kind}; `{}` would not keep distinct values distinct, so the \
                     key would break in the output dump. Give it keep (if it is not personal), \
                     pseudonymise, fpe or fictitious",
                    c.action
                ),
            });
        }
    }
}

/// Keyed actions on columns with only a handful of values keep equality and frequency: one
/// known record, or the known share of each value, decodes the whole column. Each such column
/// gets a warning; in a release with a privacy model (an Art. 9 release) it is a conflict.
pub fn tiny_domains(plan: &mut Plan, scans: &[DatasetScan], release: bool) -> Vec<String> {
    const TINY: u64 = 10;
    let mut warnings = Vec::new();
    for d in &plan.datasets {
        let Some(scan) = scan_of(scans, d) else {
            continue;
        };
        for (c, col) in d.columns.iter().zip(&scan.columns) {
            if !c.spec.needs_key() || col.non_empty < 20 || col.distinct > TINY {
                continue;
            }
            let problem = format!(
                "has only {} distinct values in {} read: `{}` keeps which rows are equal and how \
                 often each value occurs, so one known record or the known share of each value \
                 decodes the column; generalise, keep or drop it instead",
                col.distinct, col.non_empty, c.action
            );
            warnings.push(format!("{} / {}: {problem}", super::plan_label(d), c.name));
            if release {
                plan.conflicts.push(Conflict {
                    dataset: super::plan_label(d),
                    column: c.name.clone(),
                    problem,
                });
            }
        }
    }
    warnings
}
