//! Information loss of a generalisation: generalisation height, precision, non-uniform
//! entropy, discernibility, average class size and suppressed records.
use serde::Serialize;

use super::risk::{ClassSet, Classes};
use super::{Bound, ClassTable};

/// Utility metrics of one transformation (lower loss is better).
#[derive(Debug, Clone, Serialize)]
pub struct Utility {
    /// Sum of the chosen levels.
    pub height: usize,
    /// Precision loss: mean over QIs of level / top level (0 = original, 1 = all `*`).
    pub precision_loss: f64,
    /// Non-uniform entropy loss normalised to 0 (original) – 1 (everything suppressed).
    pub entropy_loss: f64,
    /// Non-uniform entropy loss in bits.
    pub entropy_bits: f64,
    /// Discernibility: Σ class size² + suppressed × records.
    pub discernibility: f64,
    /// Average size of the released classes.
    pub avg_class_size: f64,
    /// Equivalence classes released.
    pub classes: u64,
    /// Records suppressed.
    pub suppressed: u64,
}

/// Per-QI frequency of every value at every level, for non-uniform entropy.
pub struct Frequencies {
    /// `freq[qi][level][code]`.
    freq: Vec<Vec<Vec<u64>>>,
    /// `loss[qi][level][code]`: the bits one record with value `code` (level 0) loses at
    /// `level`, log2(its frequency there / its frequency at level 0); the last level entry
    /// is for a suppressed record, log2(records / frequency at level 0). Computed once per
    /// value, so a node's loss costs additions, not a logarithm per combination and QI.
    loss: Vec<Vec<Vec<f64>>>,
    /// The loss of suppressing everything, in bits.
    max_bits: f64,
}

impl Frequencies {
    /// Count once per table.
    pub fn new(table: &ClassTable, bound: &[Bound]) -> Frequencies {
        let mut freq: Vec<Vec<Vec<u64>>> = bound
            .iter()
            .map(|b| b.labels.iter().map(|l| vec![0u64; l.len()]).collect())
            .collect();
        for (combo, count) in table.combos.iter() {
            for (i, b) in bound.iter().enumerate() {
                for (l, m) in b.map.iter().enumerate() {
                    freq[i][l][m[combo[i] as usize] as usize] += count;
                }
            }
        }
        let n = table.rows as f64;
        let loss: Vec<Vec<Vec<f64>>> = bound
            .iter()
            .zip(&freq)
            .map(|(b, f)| {
                let at = |level: usize, c: usize| match b.map.get(level) {
                    Some(m) => f[level][m[c] as usize] as f64,
                    None => n,
                };
                (0..=b.map.len())
                    .map(|l| {
                        (0..f[0].len())
                            .map(|c| (at(l, c) / f[0][c] as f64).log2())
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let mut max_bits = 0.0;
        for (combo, count) in table.combos.iter() {
            for (i, l) in loss.iter().enumerate() {
                max_bits += count as f64 * l[l.len() - 1][combo[i] as usize];
            }
        }
        Frequencies {
            freq,
            loss,
            max_bits,
        }
    }

    /// Non-uniform entropy (bits) of `levels`, suppressed records counted as all `*`.
    pub fn entropy_bits(
        &self,
        table: &ClassTable,
        bound: &[Bound],
        levels: &[usize],
        suppressed: &ClassSet,
    ) -> f64 {
        let nq = bound.len();
        let mut key = vec![0u32; nq];
        let mut bits = 0.0;
        for (combo, count) in table.combos.iter() {
            for i in 0..nq {
                key[i] = bound[i].map[levels[i]][combo[i] as usize];
            }
            let sup = !suppressed.is_empty() && suppressed.contains(&key);
            for (i, loss) in self.loss.iter().enumerate() {
                let level = if sup { loss.len() - 1 } else { levels[i] };
                bits += count as f64 * loss[level][combo[i] as usize];
            }
        }
        bits
    }

    /// Loss (bits) of QI `i` alone at `level` when nothing is suppressed. Without suppression
    /// the non-uniform entropy is the sum of these over the QIs; suppression only adds, so
    /// the sum is a lower bound of [`entropy_bits`](Self::entropy_bits).
    pub fn attribute_bits(&self, bound: &Bound, i: usize, level: usize) -> f64 {
        let f = &self.freq[i];
        f[0].iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(c, &n)| {
                let g = f[level][bound.map[level][c] as usize];
                n as f64 * (g as f64 / n as f64).log2()
            })
            .sum()
    }

    /// Entropy loss normalised to 0–1.
    pub fn normalise(&self, bits: f64) -> f64 {
        if self.max_bits > 0.0 {
            bits / self.max_bits
        } else {
            0.0
        }
    }
}

/// All metrics of a transformation whose classes and suppressed classes are known.
pub fn utility(
    table: &ClassTable,
    bound: &[Bound],
    freq: &Frequencies,
    levels: &[usize],
    classes: &Classes,
    suppressed: &ClassSet,
) -> Utility {
    let mut sup = 0u64;
    let mut disc = 0.0;
    let mut kept_classes = 0u64;
    for (k, c) in classes {
        if suppressed.contains(k) {
            sup += c.size;
        } else {
            kept_classes += 1;
            disc += (c.size as f64) * (c.size as f64);
        }
    }
    disc += sup as f64 * table.rows as f64;
    let precision_loss = if bound.is_empty() {
        0.0
    } else {
        bound
            .iter()
            .zip(levels)
            .map(|(b, l)| *l as f64 / (b.height() - 1).max(1) as f64)
            .sum::<f64>()
            / bound.len() as f64
    };
    let bits = freq.entropy_bits(table, bound, levels, suppressed);
    Utility {
        height: levels.iter().sum(),
        precision_loss,
        entropy_loss: freq.normalise(bits),
        entropy_bits: bits,
        discernibility: disc,
        avg_class_size: if kept_classes > 0 {
            (table.rows - sup) as f64 / kept_classes as f64
        } else {
            0.0
        },
        classes: kept_classes,
        suppressed: sup,
    }
}
