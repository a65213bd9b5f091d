//! Search the lattice of generalisation levels for the transformation that meets the
//! models with the least information loss.
//!
//! Like ARX's Flash, the search uses monotonicity: every specialisation of a node that fails
//! the models fails too, and every generalisation of a node that meets them meets them too.
//! Starting from the unresolved node of least loss, a balanced path to the top is
//! binary-searched for the boundary; checked nodes tag the nodes above (pass) or below (fail)
//! them. The loss of a node is at least the sum of its QIs' losses alone (exact without
//! suppression), so once the best found is below that bound for the next start node, the
//! search stops. Every minimal passing node that could
//! beat the best is checked and scored, so the result is the global optimum of the
//! (monotone) loss.
use std::time::Instant;

use serde::Serialize;

use super::risk::{self, Limit, Risk};
use super::table::{Floor, MEMO_CAP};
use super::utility::{self, Frequencies, Utility};
use super::{Bound, ClassTable, Models};
use crate::detect::hash::FxHashMap;
use crate::error::{Error, Result};

/// Statistics of a search.
#[derive(Debug, Clone, Serialize)]
pub struct Search {
    /// Nodes in the lattice.
    pub lattice_size: u64,
    /// Transformations checked against the models.
    pub checked: u64,
    /// Minimal transformations that meet the models.
    pub minimal: Vec<Vec<usize>>,
    /// Wall time in milliseconds.
    pub elapsed_ms: f64,
}

/// The chosen transformation.
#[derive(Debug, Clone)]
pub struct Solution {
    /// QI names.
    pub qi: Vec<String>,
    /// Chosen level per QI.
    pub levels: Vec<usize>,
    /// Top level per QI.
    pub max_levels: Vec<usize>,
    /// The hierarchies.
    pub bound: Vec<Bound>,
    /// Generalised QI codes of the classes that are suppressed.
    pub suppressed_classes: risk::ClassSet,
    /// Records suppressed.
    pub suppressed: u64,
    /// Utility of the data at the levels the rules fix (the original where none does).
    pub utility_before: Utility,
    /// Utility after.
    pub utility_after: Utility,
    /// Risk of the data at the levels the rules fix (the original where none does).
    pub risk_before: Risk,
    /// Risk of the released data (suppressed records removed).
    pub risk_after: Risk,
    /// Value (at the QI's floor) → code, per QI.
    index: Vec<FxHashMap<String, u32>>,
    /// The level each QI was counted at; the second pass generalises raw values to it
    /// before looking them up.
    pub floors: Vec<Floor>,
}

/// Per-QI memo of the second pass: raw value → code at the floor, for QIs counted above
/// level 0 (so each distinct raw value is generalised once, not once per row).
#[derive(Debug, Default)]
pub struct Memo {
    raw: Vec<FxHashMap<String, u32>>,
}

struct Check {
    ok: bool,
    suppressed_classes: risk::ClassSet,
    classes: risk::Classes,
    limit: Option<Limit>,
}

fn check(
    table: &ClassTable,
    bound: &[Bound],
    levels: &[usize],
    models: &Models,
    overall: &[Vec<f64>],
    budget: u64,
) -> Check {
    let with_s = models.l.is_some() || models.t.is_some();
    let classes = risk::classes(table, Some(bound), levels, with_s);
    let mut sup = 0u64;
    let mut set = risk::ClassSet::default();
    let mut limit = None;
    for (k, c) in &classes {
        if let Some(l) = risk::class_fails(c, models, overall) {
            sup += c.size;
            set.insert(k.clone());
            // Report the most telling reason: a diversity limit over a size limit.
            if limit.is_none() || l != Limit::K {
                limit = Some(l);
            }
        }
    }
    Check {
        ok: sup <= budget,
        suppressed_classes: set,
        classes,
        limit,
    }
}

/// Find the transformation with the least non-uniform entropy loss that meets `models`
/// within the suppression budget. A model that cannot be met is an error naming the
/// limiting attribute.
pub fn search(
    table: &ClassTable,
    bound: Vec<Bound>,
    models: &Models,
) -> Result<(Solution, Search)> {
    let start = Instant::now();
    validate(table, &bound, models)?;
    let Judge {
        overall,
        budget,
        freq,
        ..
    } = Judge::new(table, &bound, models);
    let max: Vec<usize> = bound.iter().map(|b| b.height() - 1).collect();

    // The top node: if it fails, nothing passes.
    let top = check(table, &bound, &max, models, &overall, budget);
    if !top.ok {
        return Err(not_achievable(table, &bound, models, top.limit));
    }
    let mut walk = Walk {
        table,
        bound: &bound,
        models,
        overall: &overall,
        budget,
        max: &max,
        lower: lower_bounds(&freq, &bound),
        freq: &freq,
        failing: Vec::new(),
        anonymous: Vec::new(),
        checked: 0,
        best: None,
        top: Some(top),
    };
    let nodes = walk.nodes_by_loss();
    let lattice_size = nodes.len() as u64;
    for node in &nodes {
        if walk.hopeless(node) {
            // Ordered by the lower bound: no later node can do better either.
            break;
        }
        walk.resolve_from(node);
    }
    let minimal = walk.minimal();
    let checked = walk.checked;
    let Some((_, levels, chosen)) = walk.best else {
        return Err(Error::Internal(
            "privacy: the top node passed but no node was chosen".into(),
        ));
    };
    let search = Search {
        lattice_size,
        checked,
        minimal,
        elapsed_ms: 0.0,
    };
    let (solution, mut search) = finish(table, bound, models, &freq, levels, chosen, search);
    search.elapsed_ms = start.elapsed().as_secs_f64() * 1e3;
    Ok((solution, search))
}

/// The reference a search is measured against: every node from the lowest allowed levels to
/// the top checked, in the search's order, and the passing node of least loss kept (the first
/// of equals). For benches and tests; a run uses [`search`].
#[derive(Debug, Clone)]
pub struct Exhaustive {
    /// The best passing node's levels.
    pub levels: Vec<usize>,
    /// Its non-uniform entropy loss in bits (suppressed records counted as fully lost).
    pub loss_bits: f64,
    /// Nodes checked (the whole lattice).
    pub checked: u64,
    /// Wall time in milliseconds.
    pub elapsed_ms: f64,
}

/// Check every node (see [`Exhaustive`]); `None` when no node passes.
pub fn exhaustive(table: &ClassTable, bound: &[Bound], models: &Models) -> Option<Exhaustive> {
    let start = Instant::now();
    let judge = Judge::new(table, bound, models);
    let max: Vec<usize> = bound.iter().map(|b| b.height() - 1).collect();
    let mut best: Option<(f64, Vec<usize>)> = None;
    let mut checked = 0;
    for node in all_nodes(bound, &max) {
        checked += 1;
        if let Some(loss) = judge.loss_if_passing(&node)
            && best.as_ref().is_none_or(|(b, _)| loss < *b - 1e-9)
        {
            best = Some((loss, node));
        }
    }
    best.map(|(loss_bits, levels)| Exhaustive {
        levels,
        loss_bits,
        checked,
        elapsed_ms: start.elapsed().as_secs_f64() * 1e3,
    })
}

/// The loss in bits of the transformation `levels` if it meets `models`, else `None`: what
/// [`exhaustive`] minimises, for comparing a search's choice with it.
pub fn loss_if_passing(
    table: &ClassTable,
    bound: &[Bound],
    models: &Models,
    levels: &[usize],
) -> Option<f64> {
    Judge::new(table, bound, models).loss_if_passing(levels)
}

/// What checking one node needs, computed once per table (the search takes its parts).
struct Judge<'a> {
    table: &'a ClassTable,
    bound: &'a [Bound],
    models: &'a Models,
    overall: Vec<Vec<f64>>,
    budget: u64,
    freq: Frequencies,
}

impl<'a> Judge<'a> {
    fn new(table: &'a ClassTable, bound: &'a [Bound], models: &'a Models) -> Self {
        Judge {
            table,
            bound,
            models,
            overall: risk::overall(table),
            budget: (models.suppression * table.rows as f64).floor() as u64,
            freq: Frequencies::new(table, bound),
        }
    }

    fn loss_if_passing(&self, levels: &[usize]) -> Option<f64> {
        let c = check(
            self.table,
            self.bound,
            levels,
            self.models,
            &self.overall,
            self.budget,
        );
        let sup = &c.suppressed_classes;
        c.ok.then(|| self.freq.entropy_bits(self.table, self.bound, levels, sup))
    }
}

/// Every node from each QI's lowest allowed level to `max`, lexicographically.
fn all_nodes(bound: &[Bound], max: &[usize]) -> Vec<Vec<usize>> {
    let mut nodes: Vec<Vec<usize>> = vec![Vec::new()];
    for (m, b) in max.iter().zip(bound) {
        let lo = b.min_level.min(*m);
        nodes = nodes
            .into_iter()
            .flat_map(|n| {
                (lo..=*m).map(move |l| {
                    let mut x = n.clone();
                    x.push(l);
                    x
                })
            })
            .collect();
    }
    nodes
}

/// The parameters fit the table.
fn validate(table: &ClassTable, bound: &[Bound], models: &Models) -> Result<()> {
    models.validate_for(table)?;
    if bound.len() != table.qi.len() {
        return Err(Error::Internal(
            "privacy: one hierarchy per QI expected".into(),
        ));
    }
    if table.rows < models.k {
        return Err(Error::Usage(format!(
            "privacy: not achievable: k = {} needs at least {} records, the data has {}",
            models.k, models.k, table.rows
        )));
    }
    Ok(())
}

/// Why even the top of every hierarchy fails, naming the limiting attribute.
fn not_achievable(
    table: &ClassTable,
    bound: &[Bound],
    models: &Models,
    limit: Option<Limit>,
) -> Error {
    let why = match limit {
        Some(Limit::L(s)) => format!(
            "l-diversity of sensitive attribute `{}` cannot be met even with every \
             quasi-identifier fully generalised",
            table.sensitive[s]
        ),
        Some(Limit::T(s)) => format!(
            "t-closeness of sensitive attribute `{}` cannot be met even with every \
             quasi-identifier fully generalised",
            table.sensitive[s]
        ),
        _ => {
            // The QI whose top level still separates the most values limits k.
            let worst = bound
                .iter()
                .max_by_key(|b| b.labels[b.height() - 1].len())
                .map(|b| b.name.clone())
                .unwrap_or_default();
            format!(
                "k = {} cannot be met within the suppression budget even at the top of \
                 every hierarchy; limiting attribute `{worst}` (its hierarchy does not \
                 end in a single value)",
                models.k
            )
        }
    };
    Error::Usage(format!("privacy: not achievable: {why}"))
}

/// `lower[qi][level]`: the loss of each QI alone at each level (see
/// [`Frequencies::attribute_bits`]); a node's sum bounds its loss from below.
fn lower_bounds(freq: &Frequencies, bound: &[Bound]) -> Vec<Vec<f64>> {
    bound
        .iter()
        .enumerate()
        .map(|(i, b)| {
            (0..b.height())
                .map(|l| freq.attribute_bits(b, i, l))
                .collect()
        })
        .collect()
}

/// `a` is a specialisation of (or equal to) `b`.
fn leq(a: &[usize], b: &[usize]) -> bool {
    a.iter().zip(b).all(|(x, y)| x <= y)
}

/// The state of a search. Monotonicity both ways: every specialisation of a failing node
/// fails and every generalisation of a passing node passes, so checked nodes tag others
/// (predictive tagging). A bound on the loss: a node's loss is at least the sum of its QIs'
/// losses alone, so paths never start from nodes that cannot beat the best found.
struct Walk<'a> {
    table: &'a ClassTable,
    bound: &'a [Bound],
    models: &'a Models,
    overall: &'a [Vec<f64>],
    budget: u64,
    max: &'a [usize],
    lower: Vec<Vec<f64>>,
    freq: &'a Frequencies,
    failing: Vec<Vec<usize>>,
    anonymous: Vec<Vec<usize>>,
    checked: u64,
    best: Option<(f64, Vec<usize>, Check)>,
    /// The top node's check, made first; reused when a path reaches it.
    top: Option<Check>,
}

impl Walk<'_> {
    /// Every node from the lowest allowed levels to the top, by lower bound of the loss,
    /// then height, then lexicographically (deterministic).
    fn nodes_by_loss(&self) -> Vec<Vec<usize>> {
        let nodes = all_nodes(self.bound, self.max);
        let mut keyed: Vec<(f64, usize, Vec<usize>)> = nodes
            .into_iter()
            .map(|n| (self.lower_bound(&n), n.iter().sum(), n))
            .collect();
        keyed.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(a.1.cmp(&b.1))
                .then_with(|| a.2.cmp(&b.2))
        });
        keyed.into_iter().map(|(_, _, n)| n).collect()
    }

    fn lower_bound(&self, node: &[usize]) -> f64 {
        node.iter()
            .enumerate()
            .map(|(i, &l)| self.lower[i][l])
            .sum()
    }

    /// No node at or above `node` can have less loss than the best found.
    fn hopeless(&self, node: &[usize]) -> bool {
        self.best
            .as_ref()
            .is_some_and(|(b, _, _)| self.lower_bound(node) >= *b - 1e-9)
    }

    fn fails(&self, node: &[usize]) -> bool {
        self.failing.iter().any(|f| leq(node, f))
    }

    fn passes(&self, node: &[usize]) -> bool {
        self.anonymous.iter().any(|p| leq(p, node))
    }

    /// A chain from `start` to the top, one level of one QI per step (Flash's paths): each
    /// step takes an untagged successor while there is one, raising the QI lowest in its
    /// hierarchy relative to its height. Balanced paths cross the boundary between failing
    /// and passing nodes where a failing node has the most nodes below it to tag: on Adult
    /// they need 63 checks where raising one QI to its top before the next needed 244, and
    /// raising the QI that adds the least loss 208.
    fn path(&self, start: &[usize]) -> Vec<Vec<usize>> {
        let mut path = vec![start.to_vec()];
        let mut cur = start.to_vec();
        loop {
            let key = |i: usize| {
                let mut next = cur.clone();
                next[i] += 1;
                let tagged = self.fails(&next) || self.passes(&next);
                (tagged, cur[i] as f64 / self.max[i] as f64)
            };
            let step = (0..cur.len())
                .filter(|&i| cur[i] < self.max[i])
                .map(|i| (key(i), i))
                .min_by(|((ta, la), a), ((tb, lb), b)| {
                    ta.cmp(tb).then(la.total_cmp(lb)).then(a.cmp(b))
                });
            let Some((_, i)) = step else { break };
            cur[i] += 1;
            path.push(cur.clone());
        }
        path
    }

    /// Resolve the boundary on a path from `start` by binary search. A passing node is
    /// scored; every minimal passing node is the start of some path (nothing below it
    /// passes, so nothing tags it), so the optimum of the loss is among the scored ones.
    fn resolve_from(&mut self, start: &[usize]) {
        if self.fails(start) || self.passes(start) {
            return;
        }
        let path = self.path(start);
        let (mut lo, mut hi) = (0usize, path.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let node = &path[mid];
            if self.fails(node) {
                lo = mid + 1;
                continue;
            }
            // Checked even when it cannot beat the best: a failing node high on the path
            // tags many below it (skipping such nodes cost more checks than it saved).
            if self.passes(node) {
                hi = mid;
                continue;
            }
            let c = match self.top.take() {
                Some(t) if node.as_slice() == self.max => t,
                other => {
                    self.top = other;
                    check(
                        self.table,
                        self.bound,
                        node,
                        self.models,
                        self.overall,
                        self.budget,
                    )
                }
            };
            self.checked += 1;
            if !c.ok {
                self.failing.push(node.clone());
                lo = mid + 1;
                continue;
            }
            let sup = &c.suppressed_classes;
            let bits = self.freq.entropy_bits(self.table, self.bound, node, sup);
            // Ties: the first node found wins; the order is fixed, so the choice is
            // deterministic.
            if self.best.as_ref().is_none_or(|(b, _, _)| bits < *b - 1e-9) {
                self.best = Some((bits, node.clone(), c));
            }
            self.anonymous.push(node.clone());
            hi = mid;
        }
    }

    /// The passing nodes checked that no other checked passing node lies below.
    fn minimal(&self) -> Vec<Vec<usize>> {
        self.anonymous
            .iter()
            .filter(|n| !self.anonymous.iter().any(|m| m != *n && leq(m, n)))
            .cloned()
            .collect()
    }
}

/// The solution at `levels`: risk and utility before (the data at the rules' levels) and
/// after, and the value index the second pass maps through.
fn finish(
    table: &ClassTable,
    bound: Vec<Bound>,
    models: &Models,
    freq: &Frequencies,
    levels: Vec<usize>,
    chosen: Check,
    search: Search,
) -> (Solution, Search) {
    // "Before" is the data as the pipeline's rules leave it: each QI at its lowest
    // allowed level (the original values unless a rule generalises the QI).
    let zero: Vec<usize> = bound
        .iter()
        .map(|b| b.min_level.min(b.height() - 1))
        .collect();
    let max: Vec<usize> = bound.iter().map(|b| b.height() - 1).collect();
    let before_classes = risk::classes(table, Some(&bound), &zero, true);
    let utility_before = utility::utility(
        table,
        &bound,
        freq,
        &zero,
        &before_classes,
        &risk::ClassSet::default(),
    );
    let sup_set = chosen.suppressed_classes;
    let utility_after = utility::utility(table, &bound, freq, &levels, &chosen.classes, &sup_set);
    let after_classes: risk::Classes = if models.l.is_some() || models.t.is_some() {
        chosen.classes
    } else {
        risk::classes(table, Some(&bound), &levels, true)
    };
    let risk_after = risk::risk_of(
        after_classes
            .iter()
            .filter(|(k, _)| !sup_set.contains(*k))
            .map(|(_, c)| c),
        &table.sensitive,
        models.k,
    );
    let risk_before = risk::risk_of(before_classes.values(), &table.sensitive, models.k);
    let index = table
        .qi_values
        .iter()
        .map(|vs| {
            vs.iter()
                .enumerate()
                .map(|(i, v)| (v.clone(), i as u32))
                .collect()
        })
        .collect();
    let suppressed = utility_after.suppressed;
    (
        Solution {
            qi: table.qi.clone(),
            levels,
            max_levels: max,
            bound,
            suppressed_classes: sup_set,
            suppressed,
            utility_before,
            utility_after,
            risk_before,
            risk_after,
            index,
            floors: vec![Floor::Original; table.qi.len()],
        },
        search,
    )
}

impl Solution {
    fn unseen(&self, i: usize) -> Error {
        Error::Usage(format!(
            "privacy: a value of `{}` was not seen in the first pass (did the input change \
             between the two passes?)",
            self.qi[i]
        ))
    }

    /// The code of raw value `v` of QI `i` in the class table.
    pub fn code(&self, i: usize, v: &str, memo: &mut Memo) -> Result<u32> {
        let (hierarchy, level) = match &self.floors[i] {
            Floor::Level { hierarchy, level } => (hierarchy, *level),
            Floor::Original | Floor::Labelled(_) => {
                return self.index[i].get(v).copied().ok_or_else(|| self.unseen(i));
            }
        };
        if memo.raw.len() < self.qi.len() {
            memo.raw.resize_with(self.qi.len(), FxHashMap::default);
        }
        if let Some(c) = memo.raw[i].get(v) {
            return Ok(*c);
        }
        let label = hierarchy.label_at(v, level).ok_or_else(|| self.unseen(i))?;
        let c = *self.index[i].get(&label).ok_or_else(|| self.unseen(i))?;
        if memo.raw[i].len() >= MEMO_CAP {
            memo.raw[i].clear();
        }
        memo.raw[i].insert(v.to_string(), c);
        Ok(c)
    }

    /// The released class of a record given its QI codes (from [`Solution::code`]), written
    /// into `key`; `false` when the record is suppressed.
    pub fn generalise(&self, codes: &[u32], key: &mut Vec<u32>) -> bool {
        key.clear();
        key.extend(
            codes
                .iter()
                .enumerate()
                .map(|(i, c)| self.bound[i].map[self.levels[i]][*c as usize]),
        );
        self.suppressed_classes.is_empty() || !self.suppressed_classes.contains(key)
    }

    /// The label of generalised code `c` of QI `i`.
    pub fn label(&self, i: usize, c: u32) -> &str {
        &self.bound[i].labels[self.levels[i]][c as usize]
    }

    /// Generalise one record's QI values (in QI order). `Ok(None)`: the record is
    /// suppressed. A value that was not in the first pass is an error (the input changed).
    pub fn apply<'s>(&'s self, values: &[&str]) -> Result<Option<Vec<&'s str>>> {
        let mut memo = Memo::default();
        let codes = values
            .iter()
            .enumerate()
            .map(|(i, v)| self.code(i, v, &mut memo))
            .collect::<Result<Vec<u32>>>()?;
        let mut key = Vec::new();
        if !self.generalise(&codes, &mut key) {
            return Ok(None);
        }
        Ok(Some(
            key.iter()
                .enumerate()
                .map(|(i, c)| self.label(i, *c))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::{Diversity, Encoder, Hierarchy};

    fn table() -> (ClassTable, Vec<Bound>) {
        let mut e = Encoder::new(vec!["age".into(), "zip".into()], vec!["d".into()]);
        let rows = [
            ("21", "10001", "flu"),
            ("22", "10002", "cold"),
            ("23", "10003", "flu"),
            ("24", "10004", "hiv"),
            ("31", "20001", "flu"),
            ("32", "20002", "cold"),
            ("33", "20003", "hiv"),
            ("34", "20004", "flu"),
        ];
        for (a, z, d) in rows {
            e.push([a, z, d]);
        }
        let t = e.finish();
        let p = std::sync::Arc::new(crate::detect::PatternSet::embedded().expect("patterns"));
        let b = vec![
            Hierarchy::builtin(crate::privacy::Builtin::Age, None, p.clone())
                .expect("h")
                .bind("age", &t.qi_values[0])
                .expect("bind"),
            Hierarchy::builtin(crate::privacy::Builtin::PostalCode, None, p)
                .expect("h")
                .bind("zip", &t.qi_values[1])
                .expect("bind"),
        ];
        (t, b)
    }

    #[test]
    fn finds_minimal_k_anonymous_node() {
        let (t, b) = table();
        let m = Models {
            k: 4,
            l: Some(2),
            diversity: Diversity::Distinct,
            t: None,
            suppression: 0.0,
        };
        let (s, st) = search(&t, b, &m).expect("search");
        assert!(s.risk_after.min_class_size >= 4);
        assert!(s.risk_after.l_diversity[0].distinct_l >= 2);
        assert_eq!(s.suppressed, 0);
        assert!(st.checked < st.lattice_size);
        let out = s.apply(&["21", "10001"]).expect("apply").expect("kept");
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn invalid_and_unreachable() {
        let (t, b) = table();
        let mut m = Models {
            k: 1,
            l: None,
            diversity: Diversity::Distinct,
            t: None,
            suppression: 0.0,
        };
        assert!(search(&t, b.clone(), &m).is_err());
        m.k = 2;
        m.l = Some(4);
        let e = search(&t, b.clone(), &m).expect_err("l too large");
        assert!(e.to_string().contains("`d`"), "{e}");
        m.l = None;
        m.k = 9;
        assert!(search(&t, b, &m).is_err());
    }
}

/// The search against brute force: every node of small random lattices checked.
#[cfg(test)]
mod exhaustive_tests {
    use super::*;
    use crate::privacy::{Diversity, Encoder};
    use proptest::prelude::*;

    /// A QI with values `v0..v{n}` and a hierarchy that halves them per level, then `*`.
    fn halving(name: &str, values: &[String], levels: usize) -> Bound {
        let num = |v: &String| v[1..].parse::<u32>().expect("vN");
        let mut map = Vec::new();
        let mut labels = Vec::new();
        for l in 0..levels {
            let group = |v: &String| {
                if l + 1 == levels {
                    "*".to_string()
                } else {
                    format!("g{l}:{}", num(v) >> l)
                }
            };
            let mut lab: Vec<String> = values.iter().map(group).collect();
            lab.sort();
            lab.dedup();
            map.push(
                values
                    .iter()
                    .map(|v| lab.binary_search(&group(v)).expect("label") as u32)
                    .collect(),
            );
            labels.push(lab);
        }
        Bound {
            name: name.into(),
            map,
            labels,
            min_level: 0,
        }
    }

    fn all_nodes(max: &[usize]) -> Vec<Vec<usize>> {
        let mut nodes = vec![Vec::new()];
        for &m in max {
            nodes = nodes
                .into_iter()
                .flat_map(|n: Vec<usize>| {
                    (0..=m).map(move |l| {
                        let mut x = n.clone();
                        x.push(l);
                        x
                    })
                })
                .collect();
        }
        nodes
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The chosen node passes, is at least as good as every minimal passing node, and
        /// without suppression (a monotone loss) is the best of all passing nodes.
        #[test]
        fn search_finds_the_brute_force_optimum(
            rows in proptest::collection::vec((0u32..12, 0u32..6, 0u32..9, 0u32..3), 20..160),
            k in 2u64..6,
            sup in prop_oneof![Just(0.0), Just(0.02), Just(0.05)],
            l in prop_oneof![Just(None), Just(Some(2u64))],
        ) {
            let qi: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
            let mut e = Encoder::new(qi.clone(), vec!["s".into()]);
            for (a, b, c, d) in &rows {
                let vals = [format!("v{a}"), format!("v{b}"), format!("v{c}"), format!("d{d}")];
                e.push(vals.iter().map(String::as_str));
            }
            let t = e.finish();
            let bound: Vec<Bound> = (0..3)
                .map(|i| halving(&qi[i], &t.qi_values[i], [4, 3, 5][i]))
                .collect();
            let models = Models { k, l, diversity: Diversity::Distinct, t: None, suppression: sup };
            let overall = risk::overall(&t);
            let budget = (sup * t.rows as f64).floor() as u64;
            let max: Vec<usize> = bound.iter().map(|b| b.height() - 1).collect();
            let freq = Frequencies::new(&t, &bound);
            let mut passing: Vec<(Vec<usize>, f64)> = Vec::new();
            for n in all_nodes(&max) {
                let c = check(&t, &bound, &n, &models, &overall, budget);
                if c.ok {
                    let s = &c.suppressed_classes;
                    passing.push((n.clone(), freq.entropy_bits(&t, &bound, &n, s)));
                }
            }
            let found = search(&t, bound.clone(), &models);
            if passing.is_empty() {
                prop_assert!(found.is_err());
                return Ok(());
            }
            let (sol, st) = match found {
                Ok(x) => x,
                Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
            };
            let minimal_best = passing
                .iter()
                .filter(|(n, _)| !passing.iter().any(|(m, _)| m != n && leq(m, n)))
                .map(|(_, b)| *b)
                .fold(f64::INFINITY, f64::min);
            let all_best = passing.iter().map(|(_, b)| *b).fold(f64::INFINITY, f64::min);
            let got = passing.iter().find(|(n, _)| *n == sol.levels).map(|(_, b)| *b);
            prop_assert!(got.is_some(), "chosen {:?} does not pass", sol.levels);
            let got = got.unwrap_or(f64::INFINITY);
            prop_assert!(got <= minimal_best + 1e-9, "{} > best minimal {}", got, minimal_best);
            if sup == 0.0 {
                prop_assert!((got - all_best).abs() < 1e-9, "{} vs {}", got, all_best);
            }
            prop_assert!(st.checked <= st.lattice_size);
            // The public reference the benches use agrees with this brute force.
            let Some(ex) = exhaustive(&t, &bound, &models) else {
                return Err(TestCaseError::fail("exhaustive found no passing node"));
            };
            prop_assert!((ex.loss_bits - all_best).abs() < 1e-9, "{} vs {}", ex.loss_bits, all_best);
            prop_assert_eq!(ex.checked, super::all_nodes(&bound, &max).len() as u64);
            let again = loss_if_passing(&t, &bound, &models, &sol.levels);
            prop_assert!(again.is_some_and(|l| (l - got).abs() < 1e-9));
        }
    }
}

#[cfg(test)]
mod floor_tests {
    use super::*;
    use crate::privacy::{Builtin, Diversity, Encoder, Hierarchy};
    use std::sync::Arc;

    /// A search over birth dates counted at the 5-year band: the second pass maps raw dates
    /// (seen or not in the first pass, as long as their band was) to released labels.
    #[test]
    fn floor_search_and_apply() {
        let p = Arc::new(crate::detect::PatternSet::embedded().expect("patterns"));
        let h = Arc::new(Hierarchy::builtin(Builtin::Date, None, p).expect("date"));
        let floor = Floor::Level {
            hierarchy: h,
            level: 3,
        };
        let mut e = Encoder::with_floors(vec!["dob".into()], Vec::new(), vec![floor.clone()]);
        for y in 1980..1990 {
            e.push([format!("{y}-05-0{}", y % 9 + 1).as_str()]);
        }
        let t = e.finish();
        let b = vec![Bound::from_upper("dob", &t.qi_values[0], 3, &t.upper[0]).expect("bound")];
        let m = Models {
            k: 5,
            l: None,
            diversity: Diversity::Distinct,
            t: None,
            suppression: 0.0,
        };
        let (mut s, _) = search(&t, b, &m).expect("search");
        assert_eq!(s.levels, vec![3], "two bands of five rows each meet k = 5");
        s.floors = vec![floor];
        let out = s.apply(&["1983-12-24"]).expect("apply").expect("kept");
        assert_eq!(out, vec!["1980-1984"]);
        assert!(
            s.apply(&["2001-01-01"]).is_err(),
            "a band the first pass never saw"
        );
    }
}
