//! Equivalence classes of a generalisation and the re-identification risk they carry.
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{Bound, ClassTable, Diversity, Models};

/// One equivalence class: its size and the distribution of each sensitive attribute.
#[derive(Debug, Clone, Default)]
pub struct Class {
    /// Records in the class.
    pub size: u64,
    /// Per sensitive attribute: code → count.
    pub sensitive: Vec<BTreeMap<u32, u64>>,
}

/// Equivalence classes by their generalised QI codes. The keys are hashed with
/// [`MixBuild`](crate::detect::hash::MixBuild): a search groups the whole table once per node
/// it checks, and SipHash was most of that cost. An unkeyed hash is safe here: the keys are
/// codes the encoder hands out densely in order of first sight, which data cannot choose.
pub type Classes = HashMap<Vec<u32>, Class, crate::detect::hash::MixBuild>;

/// A set of classes (the suppressed ones), hashed like [`Classes`].
pub type ClassSet = std::collections::HashSet<Vec<u32>, crate::detect::hash::MixBuild>;

/// Group the table by the QIs generalised to `levels` (`None` = original values).
pub fn classes(
    table: &ClassTable,
    bound: Option<&[Bound]>,
    levels: &[usize],
    with_sensitive: bool,
) -> Classes {
    let nq = table.qi.len();
    let ns = table.sensitive.len();
    let mut out = Classes::default();
    let mut key = vec![0u32; nq];
    for (combo, count) in table.combos.iter() {
        for i in 0..nq {
            key[i] = match bound {
                Some(b) => b[i].map[levels[i]][combo[i] as usize],
                None => combo[i],
            };
        }
        let class = match out.get_mut(&key) {
            Some(c) => c,
            None => out.entry(key.clone()).or_insert_with(|| Class {
                size: 0,
                sensitive: if with_sensitive {
                    vec![BTreeMap::new(); ns]
                } else {
                    Vec::new()
                },
            }),
        };
        class.size += count;
        if with_sensitive {
            for s in 0..ns {
                *class.sensitive[s].entry(combo[nq + s]).or_default() += count;
            }
        }
    }
    out
}

/// Entropy-l of a distribution: exp(H) (natural log), the "effective number" of values.
pub fn entropy_l(dist: &BTreeMap<u32, u64>) -> f64 {
    let n: u64 = dist.values().sum();
    if n == 0 {
        return 0.0;
    }
    let h: f64 = dist
        .values()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n as f64;
            -p * p.ln()
        })
        .sum();
    h.exp()
}

/// Distance (equal ground distance EMD = half the L1 distance) between a class's sensitive
/// distribution and the overall one.
pub fn closeness(dist: &BTreeMap<u32, u64>, overall: &[f64]) -> f64 {
    let n: u64 = dist.values().sum();
    let mut d = 0.0;
    for (code, p) in overall.iter().enumerate() {
        let q = dist.get(&(code as u32)).copied().unwrap_or(0) as f64 / n.max(1) as f64;
        d += (q - p).abs();
    }
    d / 2.0
}

/// Overall distribution of each sensitive attribute (probabilities by code).
pub fn overall(table: &ClassTable) -> Vec<Vec<f64>> {
    let nq = table.qi.len();
    let mut out: Vec<Vec<f64>> = table
        .sensitive_values
        .iter()
        .map(|v| vec![0.0; v.len()])
        .collect();
    for (combo, count) in table.combos.iter() {
        for (s, o) in out.iter_mut().enumerate() {
            o[combo[nq + s] as usize] += count as f64;
        }
    }
    let n = table.rows.max(1) as f64;
    for o in &mut out {
        for p in o.iter_mut() {
            *p /= n;
        }
    }
    out
}

/// Does a class meet the models (k, l, t)? Returns the reason when not.
pub fn class_fails(class: &Class, models: &Models, overall: &[Vec<f64>]) -> Option<Limit> {
    if class.size < models.k {
        return Some(Limit::K);
    }
    for (s, dist) in class.sensitive.iter().enumerate() {
        if let Some(l) = models.l {
            let ok = match models.diversity {
                Diversity::Distinct => dist.len() as u64 >= l,
                Diversity::Entropy => entropy_l(dist) + 1e-9 >= l as f64,
            };
            if !ok {
                return Some(Limit::L(s));
            }
        }
        if let Some(t) = models.t
            && closeness(dist, &overall[s]) > t + 1e-12
        {
            return Some(Limit::T(s));
        }
    }
    None
}

/// Which model a class misses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Too small.
    K,
    /// Not diverse enough in sensitive attribute i.
    L(usize),
    /// Too far from the overall distribution in sensitive attribute i.
    T(usize),
}

/// l-diversity of one sensitive attribute over all classes.
#[derive(Debug, Clone, Serialize)]
pub struct Diversities {
    /// The attribute.
    pub attribute: String,
    /// Smallest number of distinct values in a class (distinct l achieved).
    pub distinct_l: u64,
    /// Smallest entropy-l of a class.
    pub entropy_l: f64,
    /// Classes with a single sensitive value.
    pub homogeneous_classes: u64,
}

/// Re-identification risk of a set of equivalence classes (prosecutor model).
#[derive(Debug, Clone, Serialize)]
pub struct Risk {
    /// Records considered (not suppressed).
    pub records: u64,
    /// Equivalence classes.
    pub classes: u64,
    /// Class size → number of classes, for sizes 1…9 and buckets `10-99`, `100+`.
    pub class_sizes: BTreeMap<String, u64>,
    /// Records that are unique on the QIs.
    pub sample_uniques: u64,
    /// Share of records that are unique.
    pub sample_unique_share: f64,
    /// Records in classes smaller than k.
    pub records_below_k: u64,
    /// k used for `records_below_k`.
    pub k: u64,
    /// Smallest class (achieved k).
    pub min_class_size: u64,
    /// Average prosecutor risk (classes / records).
    pub avg_prosecutor_risk: f64,
    /// Maximum prosecutor risk (1 / smallest class).
    pub max_prosecutor_risk: f64,
    /// l-diversity per sensitive attribute.
    pub l_diversity: Vec<Diversities>,
}

/// Risk of the classes (after removing suppressed ones, when the caller did).
pub fn risk_of<'a>(
    classes: impl IntoIterator<Item = &'a Class>,
    sensitive: &[String],
    k: u64,
) -> Risk {
    let mut r = Risk {
        records: 0,
        classes: 0,
        class_sizes: BTreeMap::new(),
        sample_uniques: 0,
        sample_unique_share: 0.0,
        records_below_k: 0,
        k,
        min_class_size: 0,
        avg_prosecutor_risk: 0.0,
        max_prosecutor_risk: 0.0,
        l_diversity: sensitive
            .iter()
            .map(|a| Diversities {
                attribute: a.clone(),
                distinct_l: u64::MAX,
                entropy_l: f64::INFINITY,
                homogeneous_classes: 0,
            })
            .collect(),
    };
    let mut min = u64::MAX;
    for c in classes {
        r.records += c.size;
        r.classes += 1;
        min = min.min(c.size);
        let bucket = match c.size {
            0..=9 => format!("{}", c.size),
            10..=99 => "10-99".to_string(),
            _ => "100+".to_string(),
        };
        *r.class_sizes.entry(bucket).or_default() += 1;
        if c.size == 1 {
            r.sample_uniques += 1;
        }
        if c.size < k {
            r.records_below_k += c.size;
        }
        for (d, dist) in r.l_diversity.iter_mut().zip(&c.sensitive) {
            d.distinct_l = d.distinct_l.min(dist.len() as u64);
            d.entropy_l = d.entropy_l.min(entropy_l(dist));
            if dist.len() == 1 {
                d.homogeneous_classes += 1;
            }
        }
    }
    if r.records > 0 {
        r.sample_unique_share = r.sample_uniques as f64 / r.records as f64;
        r.avg_prosecutor_risk = r.classes as f64 / r.records as f64;
        r.max_prosecutor_risk = 1.0 / min as f64;
        r.min_class_size = min;
    }
    for d in &mut r.l_diversity {
        if d.distinct_l == u64::MAX {
            d.distinct_l = 0;
            d.entropy_l = 0.0;
        }
    }
    r
}

/// Risk of the original data (QIs at level 0).
pub fn risk(table: &ClassTable, k: u64) -> Risk {
    let cls = classes(table, None, &vec![0; table.qi.len()], true);
    risk_of(cls.values(), &table.sensitive, k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::Encoder;

    #[test]
    fn uniques_and_prosecutor_risk() {
        let mut e = Encoder::new(vec!["a".into()], vec!["s".into()]);
        for (a, s) in [("x", "1"), ("x", "2"), ("y", "1"), ("z", "1"), ("z", "1")] {
            e.push([a, s]);
        }
        let t = e.finish();
        let r = risk(&t, 2);
        assert_eq!(
            (r.records, r.classes, r.sample_uniques, r.records_below_k),
            (5, 3, 1, 1)
        );
        assert!((r.avg_prosecutor_risk - 0.6).abs() < 1e-12);
        assert!((r.max_prosecutor_risk - 1.0).abs() < 1e-12);
        assert_eq!(r.l_diversity[0].distinct_l, 1);
        assert_eq!(r.l_diversity[0].homogeneous_classes, 2);
    }
}
