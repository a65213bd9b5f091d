//! Compare a scan report with the labels and print the per-class table. Misses name the
//! dataset, column and categories only, never a value.
use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::formats::Written;
use super::layouts::{Class, Table};

/// One labelled column and what the scan said.
pub struct Outcome {
    pub dataset: &'static str,
    /// The header, or `#n` (1-based) for a headerless file.
    pub column: String,
    pub class: Class,
    pub expect: &'static str,
    pub got: String,
    pub correct: bool,
    pub direct_or_special: bool,
}

/// The file name without its extension: the dataset name the corpus gave it.
fn stem(source: &str) -> &str {
    let file = source.rsplit(['/', '\\']).next().unwrap_or(source);
    file.split('.').next().unwrap_or(file)
}

/// Each labelled column of each written dataset with the scan's category (`missing` when the
/// dataset or column is absent from the report). Columns are matched by position, since a
/// headerless file's columns get names from the reader.
pub fn compare(tables: &[Table], written: &[Written], scan: &serde_json::Value) -> Vec<Outcome> {
    let mut by_name: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for d in scan["datasets"].as_array().into_iter().flatten() {
        let cats = if d["status"] == "ok" {
            d["columns"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| c["category"].as_str().unwrap_or("missing").to_string())
                .collect()
        } else {
            // A dataset the scan could not read: every column is a miss, not a gap.
            vec!["unreadable".to_string(); 64]
        };
        by_name.insert(stem(d["source"].as_str().unwrap_or("")), cats);
    }
    let mut out = Vec::new();
    for t in tables {
        if !written.iter().any(|w| w.name == t.spec.name) {
            continue;
        }
        let got = by_name.get(t.spec.name);
        for (i, col) in t.spec.cols.iter().enumerate() {
            let g = got
                .and_then(|v| v.get(i))
                .cloned()
                .unwrap_or_else(|| "missing".to_string());
            out.push(Outcome {
                dataset: t.spec.name,
                column: if t.spec.header {
                    col.header.to_string()
                } else {
                    format!("#{}", i + 1)
                },
                class: col.class,
                expect: col.expect,
                correct: col.accepts(&g),
                got: g,
                direct_or_special: col.is_direct_or_special(),
            });
        }
    }
    out
}

/// Totals of a comparison.
pub struct Summary {
    pub columns: usize,
    pub correct: usize,
    pub direct_special: usize,
    pub direct_special_missed: usize,
}

impl Summary {
    pub fn of(o: &[Outcome]) -> Self {
        Summary {
            columns: o.len(),
            correct: o.iter().filter(|x| x.correct).count(),
            direct_special: o.iter().filter(|x| x.direct_or_special).count(),
            direct_special_missed: o
                .iter()
                .filter(|x| x.direct_or_special && !x.correct)
                .count(),
        }
    }

    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.columns.max(1) as f64
    }
}

/// The per-class table (Markdown) with every miss as `dataset.column expected→got`.
pub fn table(o: &[Outcome]) -> String {
    let mut classes: BTreeMap<Class, Vec<&Outcome>> = BTreeMap::new();
    for x in o {
        classes.entry(x.class).or_default().push(x);
    }
    let mut s = String::from(
        "| class | columns | correct | accuracy | misses |\n|---|---:|---:|---:|---|\n",
    );
    for (class, xs) in &classes {
        let ok = xs.iter().filter(|x| x.correct).count();
        let misses: Vec<String> = xs
            .iter()
            .filter(|x| !x.correct)
            // `a|b` would split a Markdown table cell.
            .map(|x| {
                let want = x.expect.replace('|', "/");
                format!("`{}.{}` {want}→{}", x.dataset, x.column, x.got)
            })
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {ok} | {:.3} | {} |",
            class.label(),
            xs.len(),
            ok as f64 / xs.len().max(1) as f64,
            misses.join(", ")
        );
    }
    let sum = Summary::of(o);
    let _ = writeln!(
        s,
        "| **all** | {} | {} | {:.3} | direct/special missed: {} of {} |",
        sum.columns,
        sum.correct,
        sum.accuracy(),
        sum.direct_special_missed,
        sum.direct_special
    );
    s
}
