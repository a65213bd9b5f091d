//! Generalisation hierarchies: user hierarchies in ARX's CSV format and the built-in ones
//! (dates, ages, municipalities, postal codes, numbers), bound to the values a column holds.
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::detect::PatternSet;
use crate::error::{Error, Result};
use crate::transform::generalise::{Generalise, Level};

/// The label of the top level of every built-in hierarchy.
pub const SUPPRESSED: &str = "*";

/// A built-in hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    /// Date → year-month → year → 5-year band → 10-year band → `*`.
    Date,
    /// Age → 5-year band → 10-year band → 20-year band → `*`.
    Age,
    /// Municipality → district → `Kosovo` → `*`.
    Municipality,
    /// Postal code (5 digits) → 3 digits → 2 digits → 1 digit → `*`.
    PostalCode,
    /// Number → intervals of width w, 2w, 4w → `*` (w = `width`, default 10).
    Number,
    /// Any value → `*` (suppress the attribute or keep it).
    Flat,
}

/// The source of a hierarchy, before it is bound to the values of a column.
#[derive(Clone)]
pub enum Hierarchy {
    /// An ARX-style table: original value → labels of levels 1…h.
    Table {
        /// Original value → labels of the higher levels.
        rows: HashMap<String, Vec<String>>,
        /// Number of levels including the original (level 0).
        height: usize,
    },
    /// A built-in hierarchy: level functions applied to each value.
    Builtin {
        /// Which one.
        kind: Builtin,
        /// The level functions (level 1…h−1; the top is `*`).
        steps: Vec<Arc<Generalise>>,
        /// Interval width for `number`.
        width: u32,
    },
}

impl std::fmt::Debug for Hierarchy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Hierarchy::Table { rows, height } => {
                write!(
                    f,
                    "Hierarchy::Table({} values, {height} levels)",
                    rows.len()
                )
            }
            Hierarchy::Builtin { kind, .. } => write!(f, "Hierarchy::Builtin({kind:?})"),
        }
    }
}

/// A hierarchy bound to the distinct values of one attribute: integer codes per level.
#[derive(Debug, Clone)]
pub struct Bound {
    /// Attribute name.
    pub name: String,
    /// `map[level][value code]` = code of the generalised label at that level.
    pub map: Vec<Vec<u32>>,
    /// `labels[level][code]` = the label.
    pub labels: Vec<Vec<String>>,
    /// Lowest level the search may choose (a pipeline rule may already ask for a coarser
    /// level than the original values).
    pub min_level: usize,
}

impl Bound {
    /// A hierarchy over values already generalised to `floor` (the first pass counted them
    /// there): `upper[code]` holds the labels above `values[code]`. Levels below the floor
    /// repeat the floor's labels; the search never chooses them (`min_level` = `floor`).
    pub fn from_upper(
        name: &str,
        values: &[String],
        floor: usize,
        upper: &[Vec<String>],
    ) -> Result<Bound> {
        if values.is_empty() {
            return Ok(Bound {
                name: name.to_string(),
                map: vec![Vec::new(); floor + 2],
                labels: vec![vec![SUPPRESSED.to_string()]; floor + 2],
                min_level: floor,
            });
        }
        let above = upper.first().map_or(0, Vec::len);
        if upper.len() != values.len() || above == 0 || upper.iter().any(|u| u.len() != above) {
            return Err(Error::Internal(format!(
                "privacy: the labels above the values of `{name}` are incomplete"
            )));
        }
        let identity: Vec<u32> = (0..values.len() as u32).collect();
        let mut map = vec![identity; floor + 1];
        let mut labels = vec![values.to_vec(); floor + 1];
        for l in 0..above {
            let mut index: HashMap<&str, u32> = HashMap::new();
            let mut lab: Vec<String> = Vec::new();
            let m = upper
                .iter()
                .map(|u| {
                    let next = lab.len() as u32;
                    let code = *index.entry(u[l].as_str()).or_insert(next);
                    if code == next {
                        lab.push(u[l].clone());
                    }
                    code
                })
                .collect();
            map.push(m);
            labels.push(lab);
        }
        Ok(Bound {
            name: name.to_string(),
            map,
            labels,
            min_level: floor,
        })
    }

    /// Number of levels including level 0.
    pub fn height(&self) -> usize {
        self.map.len()
    }
}

impl Hierarchy {
    /// Read an ARX hierarchy file (one row per value, one column per level; `delimiter`
    /// is `;` in ARX). Rows of different lengths and duplicate values are errors.
    pub fn from_arx_csv(path: &Path, delimiter: u8) -> Result<Hierarchy> {
        #[allow(clippy::disallowed_methods)] // hierarchy files are small configuration files
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut rows = HashMap::new();
        let mut height = 0usize;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let cells: Vec<String> = line
                .split(delimiter as char)
                .map(|c| c.trim().to_string())
                .collect();
            let cfg = |msg: String| Error::Config {
                path: path.to_path_buf(),
                line: Some(i + 1),
                msg,
            };
            if height == 0 {
                height = cells.len();
            } else if cells.len() != height {
                return Err(cfg(format!(
                    "ragged hierarchy: {} levels here, {height} in the first row",
                    cells.len()
                )));
            }
            if height < 2 {
                return Err(cfg("a hierarchy needs at least two levels".into()));
            }
            let mut it = cells.into_iter();
            let v = it.next().unwrap_or_default();
            if rows.insert(v, it.collect::<Vec<_>>()).is_some() {
                return Err(cfg("a value appears twice in the hierarchy".into()));
            }
        }
        if rows.is_empty() {
            return Err(Error::Config {
                path: path.to_path_buf(),
                line: None,
                msg: "empty hierarchy".into(),
            });
        }
        Ok(Hierarchy::Table { rows, height })
    }

    /// A built-in hierarchy. `width` is used by `number` only.
    pub fn builtin(
        kind: Builtin,
        width: Option<u32>,
        patterns: Arc<PatternSet>,
    ) -> Result<Hierarchy> {
        let g = |to: Level, w: Option<u32>| -> Result<Arc<Generalise>> {
            Ok(Arc::new(Generalise::new(
                to,
                w,
                None,
                None,
                patterns.clone(),
            )?))
        };
        let steps = match kind {
            Builtin::Date => vec![
                g(Level::YearMonth, None)?,
                g(Level::Year, None)?,
                g(Level::YearBand, Some(5))?,
                g(Level::YearBand, Some(10))?,
            ],
            Builtin::Age => vec![
                g(Level::AgeBand, Some(5))?,
                g(Level::AgeBand, Some(10))?,
                g(Level::AgeBand, Some(20))?,
            ],
            Builtin::Municipality => vec![g(Level::District, None)?, g(Level::Country, None)?],
            Builtin::PostalCode | Builtin::Number | Builtin::Flat => Vec::new(),
        };
        let width = width.unwrap_or(10);
        if width == 0 {
            return Err(Error::Usage("privacy: `width` must be at least 1".into()));
        }
        Ok(Hierarchy::Builtin { kind, steps, width })
    }

    /// The label of `v` at `level` (≥ 1): `chain(v)[level − 1]`, computing only that level
    /// where the hierarchy allows (the second pass asks this once per distinct value).
    pub fn label_at(&self, v: &str, level: usize) -> Option<String> {
        if let Hierarchy::Builtin { kind, steps, .. } = self
            && matches!(kind, Builtin::Date | Builtin::Age | Builtin::Municipality)
            && level >= 1
            && level <= steps.len()
        {
            return steps[level - 1].label(v);
        }
        self.chain(v)?.get(level.checked_sub(1)?).cloned()
    }

    /// Whether this is the built-in date hierarchy. Its labels above level 0 are a function
    /// of the year and month [`crate::detect::validators::date::parse`] reads from a value,
    /// and it knows exactly the values that parse.
    pub fn is_date(&self) -> bool {
        matches!(
            self,
            Hierarchy::Builtin {
                kind: Builtin::Date,
                ..
            }
        )
    }

    /// Labels of levels 1…h−1 for `v` (the top, `*`, last), or `None` when the hierarchy
    /// does not know it.
    pub fn chain(&self, v: &str) -> Option<Vec<String>> {
        match self {
            Hierarchy::Table { rows, .. } => rows.get(v).cloned(),
            Hierarchy::Builtin { kind, steps, width } => {
                let mut out: Vec<String> = match kind {
                    Builtin::PostalCode => {
                        let t = v.trim();
                        if t.len() != 5 || !t.bytes().all(|b| b.is_ascii_digit()) {
                            return None;
                        }
                        vec![t[..3].to_string(), t[..2].to_string(), t[..1].to_string()]
                    }
                    Builtin::Number => {
                        let x: f64 = v.trim().parse().ok().filter(|x: &f64| x.is_finite())?;
                        [1u32, 2, 4]
                            .iter()
                            .map(|m| {
                                let w = f64::from(width * m);
                                let s = (x / w).floor() * w;
                                format!("[{s}, {})", s + w)
                            })
                            .collect()
                    }
                    Builtin::Flat => Vec::new(),
                    _ => {
                        let mut o = Vec::with_capacity(steps.len());
                        for s in steps {
                            o.push(s.label(v)?);
                        }
                        o
                    }
                };
                out.push(SUPPRESSED.to_string());
                Some(out)
            }
        }
    }

    /// Bind to the distinct values of attribute `name` (`values[code]`). A value the
    /// hierarchy does not cover is an error naming the attribute (never the value).
    pub fn bind(&self, name: &str, values: &[String]) -> Result<Bound> {
        let mut labels: Vec<Vec<String>> = vec![values.to_vec()];
        let mut index: Vec<HashMap<String, u32>> = Vec::new();
        let mut map: Vec<Vec<u32>> = vec![(0..values.len() as u32).collect()];
        let mut missing = 0usize;
        for v in values {
            let Some(ls) = self.chain(v) else {
                missing += 1;
                continue;
            };
            if labels.len() == 1 {
                labels.resize(ls.len() + 1, Vec::new());
                index.resize(ls.len(), HashMap::new());
                map.resize(ls.len() + 1, Vec::new());
            }
            if ls.len() + 1 != labels.len() {
                return Err(Error::Usage(format!(
                    "privacy: hierarchy of `{name}` has rows of different heights"
                )));
            }
            for (l, lab) in ls.into_iter().enumerate() {
                let next = labels[l + 1].len() as u32;
                let code = *index[l].entry(lab.clone()).or_insert_with(|| next);
                if code == next {
                    labels[l + 1].push(lab);
                }
                map[l + 1].push(code);
            }
        }
        if missing > 0 {
            return Err(Error::Usage(format!(
                "privacy: {missing} distinct value(s) of `{name}` are missing from its hierarchy \
                 (add them to the hierarchy file or choose another built-in hierarchy)"
            )));
        }
        if labels.len() == 1 {
            // No values at all: a flat two-level hierarchy.
            labels.push(vec![SUPPRESSED.to_string()]);
            map.push(Vec::new());
        }
        Ok(Bound {
            name: name.to_string(),
            map,
            labels,
            min_level: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // test fixture
    fn ragged_and_missing_are_errors() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("h.csv");
        std::fs::write(&p, "a;x;*\nb;*\n").expect("write");
        let e = Hierarchy::from_arx_csv(&p, b';').expect_err("ragged");
        assert!(e.to_string().contains("ragged"), "{e}");
        std::fs::write(&p, "a;x;*\nb;x;*\n").expect("write");
        let h = Hierarchy::from_arx_csv(&p, b';').expect("ok");
        let b = h.bind("col", &["b".into(), "a".into()]).expect("bind");
        assert_eq!(b.height(), 3);
        assert_eq!(b.map[1], vec![0, 0]);
        let e = h
            .bind("col", &["secret-value".into()])
            .expect_err("missing");
        assert!(e.to_string().contains("`col`") && !e.to_string().contains("secret"));
    }

    #[test]
    fn builtin_age_and_postal() {
        let p = Arc::new(PatternSet::embedded().expect("patterns"));
        let h = Hierarchy::builtin(Builtin::Age, None, p.clone()).expect("age");
        let b = h
            .bind("age", &["37".into(), "33".into(), "41".into()])
            .expect("bind");
        assert_eq!(b.height(), 5);
        assert_eq!(b.labels[1], vec!["35-39", "30-34", "40-44"]);
        assert_eq!(b.map[2], vec![0, 0, 1]);
        assert_eq!(b.map[4], vec![0, 0, 0]);
        let h = Hierarchy::builtin(Builtin::PostalCode, None, p).expect("postal");
        let b = h
            .bind("zip", &["10000".into(), "10060".into()])
            .expect("bind");
        assert_eq!(b.map[1], vec![0, 0]);
        assert_eq!(b.map[0], vec![0, 1]);
    }
}
