//! Search the lattice of generalisation levels for the transformation that meets the
//! models with the least information loss.
//!
//! Like ARX's Flash, the search uses monotonicity: every specialisation of a node that fails
//! the models fails too, and every generalisation of a node that meets them meets them too.
//! Starting from the lowest unresolved node, a path to the top is binary-searched for the
//! boundary; checked nodes tag the nodes above (pass) or below (fail) them. Every minimal
//! passing node is checked and scored, so the result is the global optimum of the
//! (monotone) loss.
use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde::Serialize;

use super::risk::{self, Class, Limit, Risk};
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
    pub suppressed_classes: HashSet<Vec<u32>>,
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
    suppressed_classes: HashSet<Vec<u32>>,
    classes: HashMap<Vec<u32>, Class>,
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
    let mut set = HashSet::new();
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
    let overall = risk::overall(table);
    let budget = (models.suppression * table.rows as f64).floor() as u64;
    let max: Vec<usize> = bound.iter().map(|b| b.height() - 1).collect();
    let freq = Frequencies::new(table, &bound);

    // The top node: if it fails, nothing passes.
    let top = check(table, &bound, &max, models, &overall, budget);
    if !top.ok {
        let why = match top.limit {
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
        return Err(Error::Usage(format!("privacy: not achievable: {why}")));
    }
    let mut top_check = Some(top);

    // Enumerate nodes by height, then lexicographically (deterministic).
    let mut nodes: Vec<Vec<usize>> = vec![Vec::new()];
    for (m, b) in max.iter().zip(&bound) {
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
    nodes.sort_by(|a, b| {
        a.iter()
            .sum::<usize>()
            .cmp(&b.iter().sum::<usize>())
            .then_with(|| a.cmp(b))
    });
    // Flash-like: take the lowest unresolved node, walk a path from it to the top, and
    // binary-search the path for the boundary between failing and passing nodes. A node
    // that passes tags every generalisation of it (passes, not minimal: never scored); a
    // node that fails tags every specialisation of it. Every minimal passing node is
    // therefore checked, and the optimum of a monotone loss is among the checked ones.
    let lattice_size = nodes.len() as u64;
    let leq = |a: &[usize], b: &[usize]| a.iter().zip(b).all(|(x, y)| x <= y);
    let mut failing: Vec<Vec<usize>> = Vec::new();
    let mut anonymous: Vec<Vec<usize>> = Vec::new();
    let mut checked = 0u64;
    let mut best: Option<(f64, Vec<usize>, Check)> = None;
    for start in &nodes {
        if failing.iter().any(|f| leq(start, f)) || anonymous.iter().any(|p| leq(p, start)) {
            continue;
        }
        let mut path = vec![start.clone()];
        let mut cur = start.clone();
        for i in 0..cur.len() {
            while cur[i] < max[i] {
                cur[i] += 1;
                path.push(cur.clone());
            }
        }
        let (mut lo, mut hi) = (0usize, path.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let node = &path[mid];
            if failing.iter().any(|f| leq(node, f)) {
                lo = mid + 1;
                continue;
            }
            if anonymous.iter().any(|p| leq(p, node)) {
                hi = mid;
                continue;
            }
            let c = if *node == max {
                top_check
                    .take()
                    .unwrap_or_else(|| check(table, &bound, node, models, &overall, budget))
            } else {
                check(table, &bound, node, models, &overall, budget)
            };
            checked += 1;
            if !c.ok {
                failing.push(node.clone());
                lo = mid + 1;
                continue;
            }
            let sup = &c.suppressed_classes;
            let bits = freq.entropy_bits(table, &bound, node, &|k| sup.contains(k));
            // Ties: the first node found wins; the order is fixed, so the choice is
            // deterministic.
            if best.as_ref().is_none_or(|(b, _, _)| bits < *b - 1e-9) {
                best = Some((bits, node.clone(), c));
            }
            anonymous.push(node.clone());
            hi = mid;
        }
    }
    let minimal: Vec<Vec<usize>> = anonymous
        .iter()
        .filter(|n| {
            !anonymous
                .iter()
                .any(|m| m != *n && m.iter().zip(n.iter()).all(|(a, b)| a <= b))
        })
        .cloned()
        .collect();
    let Some((_, levels, chosen)) = best else {
        return Err(Error::Internal(
            "privacy: the top node passed but no node was chosen".into(),
        ));
    };
    // "Before" is the data as the pipeline's rules leave it: each QI at its lowest
    // allowed level (the original values unless a rule generalises the QI).
    let zero: Vec<usize> = bound
        .iter()
        .map(|b| b.min_level.min(b.height() - 1))
        .collect();
    let before_classes = risk::classes(table, Some(&bound), &zero, true);
    let utility_before = utility::utility(table, &bound, &freq, &zero, &before_classes, &|_| false);
    let sup_set = chosen.suppressed_classes;
    let utility_after = utility::utility(table, &bound, &freq, &levels, &chosen.classes, &|k| {
        sup_set.contains(k)
    });
    let after_classes: HashMap<Vec<u32>, Class> = if models.l.is_some() || models.t.is_some() {
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
    let search = Search {
        lattice_size,
        checked,
        minimal,
        elapsed_ms: start.elapsed().as_secs_f64() * 1e3,
    };
    Ok((
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
    ))
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
