//! First pass: encode quasi-identifier and sensitive values to integer codes and count the
//! distinct combinations. Memory grows with distinct combinations, not with rows.
use std::collections::HashMap;

/// Interns the values of one column.
#[derive(Debug, Default, Clone)]
struct Interner {
    index: HashMap<String, u32>,
    values: Vec<String>,
}

impl Interner {
    fn code(&mut self, v: &str) -> u32 {
        if let Some(c) = self.index.get(v) {
            return *c;
        }
        let c = self.values.len() as u32;
        self.index.insert(v.to_string(), c);
        self.values.push(v.to_string());
        c
    }
}

/// Accumulates rows (QI values then sensitive values) into a [`ClassTable`].
#[derive(Debug, Clone)]
pub struct Encoder {
    qi: Vec<String>,
    sensitive: Vec<String>,
    cols: Vec<Interner>,
    counts: HashMap<Vec<u32>, u64>,
    key: Vec<u32>,
    rows: u64,
}

impl Encoder {
    /// An encoder for these quasi-identifiers and sensitive attributes.
    pub fn new(qi: Vec<String>, sensitive: Vec<String>) -> Encoder {
        let n = qi.len() + sensitive.len();
        Encoder {
            qi,
            sensitive,
            cols: vec![Interner::default(); n],
            counts: HashMap::new(),
            key: Vec::with_capacity(n),
            rows: 0,
        }
    }

    /// Add one row: `values` holds the QI values, then the sensitive values, in order.
    pub fn push<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) {
        self.push_count(values, 1);
    }

    /// Add `count` rows with the same values (merging per-shard summaries).
    pub fn push_count<'a>(&mut self, values: impl IntoIterator<Item = &'a str>, count: u64) {
        self.key.clear();
        for (col, v) in self.cols.iter_mut().zip(values) {
            self.key.push(col.code(v));
        }
        self.rows += count;
        if let Some(c) = self.counts.get_mut(&self.key) {
            *c += count;
        } else {
            self.counts.insert(self.key.clone(), count);
        }
    }

    /// Finish: a table sorted by value (deterministic whatever the row order).
    pub fn finish(self) -> ClassTable {
        let nq = self.qi.len();
        // Re-code every column in sorted value order so that codes do not depend on row order.
        let mut recode: Vec<Vec<u32>> = Vec::with_capacity(self.cols.len());
        let mut sorted_values: Vec<Vec<String>> = Vec::with_capacity(self.cols.len());
        for col in &self.cols {
            let mut order: Vec<u32> = (0..col.values.len() as u32).collect();
            order.sort_by(|a, b| col.values[*a as usize].cmp(&col.values[*b as usize]));
            let mut r = vec![0u32; order.len()];
            for (new, old) in order.iter().enumerate() {
                r[*old as usize] = new as u32;
            }
            sorted_values.push(
                order
                    .iter()
                    .map(|o| col.values[*o as usize].clone())
                    .collect(),
            );
            recode.push(r);
        }
        let mut combos: Vec<(Vec<u32>, u64)> = self
            .counts
            .into_iter()
            .map(|(k, c)| {
                (
                    k.iter()
                        .enumerate()
                        .map(|(i, v)| recode[i][*v as usize])
                        .collect(),
                    c,
                )
            })
            .collect();
        combos.sort_unstable();
        let sensitive_values = sorted_values.split_off(nq);
        ClassTable {
            qi: self.qi,
            sensitive: self.sensitive,
            qi_values: sorted_values,
            sensitive_values,
            combos,
            rows: self.rows,
        }
    }
}

/// Counts of every distinct combination of QI and sensitive codes.
#[derive(Debug, Clone)]
pub struct ClassTable {
    /// Quasi-identifier names.
    pub qi: Vec<String>,
    /// Sensitive attribute names.
    pub sensitive: Vec<String>,
    /// Distinct values of each QI (`qi_values[i][code]`).
    pub qi_values: Vec<Vec<String>>,
    /// Distinct values of each sensitive attribute.
    pub sensitive_values: Vec<Vec<String>>,
    /// (QI codes ++ sensitive codes, count), sorted.
    pub combos: Vec<(Vec<u32>, u64)>,
    /// Number of records.
    pub rows: u64,
}

impl ClassTable {
    /// Every combination as its values (QI values, then sensitive values) with its count, in
    /// the table's (sorted) order: the mergeable summary of a shard.
    pub fn combinations(&self) -> Vec<(Vec<String>, u64)> {
        let nq = self.qi.len();
        self.combos
            .iter()
            .map(|(codes, n)| {
                let values = codes
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| {
                        let col = if i < nq {
                            &self.qi_values[i]
                        } else {
                            &self.sensitive_values[i - nq]
                        };
                        col.get(c as usize).cloned().unwrap_or_default()
                    })
                    .collect();
                (values, *n)
            })
            .collect()
    }

    /// The table of the union of the rows that `parts` counted (same attributes in each): equal
    /// to the table of one pass over all those rows, because [`Encoder::finish`] orders
    /// everything by value.
    pub fn merge(
        qi: Vec<String>,
        sensitive: Vec<String>,
        parts: &[Vec<(Vec<String>, u64)>],
    ) -> ClassTable {
        let mut enc = Encoder::new(qi, sensitive);
        for part in parts {
            for (values, n) in part {
                enc.push_count(values.iter().map(String::as_str), *n);
            }
        }
        enc.finish()
    }
}

#[cfg(test)]
mod merge_tests {
    use super::*;

    fn table(rows: &[[&str; 3]]) -> ClassTable {
        let mut e = Encoder::new(vec!["age".into(), "city".into()], vec!["dx".into()]);
        for r in rows {
            e.push(r.iter().copied());
        }
        e.finish()
    }

    #[test]
    fn merged_shards_equal_one_pass() {
        let rows = [
            ["30", "Prishtinë", "flu"],
            ["41", "Pejë", "asthma"],
            ["30", "Prishtinë", "flu"],
            ["52", "Gjakovë", "flu"],
            ["41", "Pejë", "flu"],
            ["30", "Prizren", "asthma"],
        ];
        let whole = table(&rows);
        for cut in 0..=rows.len() {
            let (a, b) = rows.split_at(cut);
            let parts = [table(b).combinations(), table(a).combinations()];
            let merged = ClassTable::merge(whole.qi.clone(), whole.sensitive.clone(), &parts);
            assert_eq!(merged.combos, whole.combos, "cut at {cut}");
            assert_eq!(merged.qi_values, whole.qi_values);
            assert_eq!(merged.sensitive_values, whole.sensitive_values);
            assert_eq!(merged.rows, whole.rows);
        }
    }
}
