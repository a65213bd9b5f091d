//! Privacy models for research releases: k-anonymity, distinct and entropy l-diversity and
//! t-closeness (equal ground distance), enforced by full-domain generalisation with record
//! suppression, with the least information loss found by a lattice search.
//!
//! ```text
//! pass 1: rows ──► Encoder (QI + sensitive columns → integer codes, count combinations)
//!                    └──► ClassTable ──► search (lattice of levels) ──► Solution
//! pass 2: rows ──► Solution::apply (generalise QIs, suppress rows of failing classes)
//! ```
//!
//! Memory grows with the number of distinct combinations of QI and sensitive values, not
//! with the number of rows; both passes stream.
use serde::Serialize;

use crate::error::{Error, Result};

pub mod hierarchy;
pub mod lattice;
pub mod risk;
pub mod table;
pub mod utility;

pub use hierarchy::{Bound, Builtin, Hierarchy};
pub use lattice::{Search, Solution, search};
pub use risk::{Risk, risk};
pub use table::{ClassTable, Encoder};
pub use utility::Utility;

/// The largest record-suppression budget anonkos accepts (5 %).
pub const MAX_SUPPRESSION: f64 = 0.05;

/// The kind of l-diversity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Diversity {
    /// At least l distinct sensitive values per class.
    Distinct,
    /// Entropy of the sensitive values per class at least log(l).
    Entropy,
}

/// The privacy models a release must meet.
#[derive(Debug, Clone, Serialize)]
pub struct Models {
    /// k of k-anonymity (≥ 2).
    pub k: u64,
    /// l of l-diversity for every sensitive attribute, when asked for.
    pub l: Option<u64>,
    /// Kind of l-diversity.
    pub diversity: Diversity,
    /// t of t-closeness (equal ground distance) for every sensitive attribute.
    pub t: Option<f64>,
    /// Share of records that may be suppressed (0 – 0.05).
    pub suppression: f64,
}

impl Models {
    /// Check the parameters (k ≥ 2, l ≥ 2, 0 < t ≤ 1, suppression 0 – 5 %).
    pub fn validate(&self) -> Result<()> {
        if self.k < 2 {
            return Err(Error::Usage(
                "privacy: k must be at least 2 (k = 1 protects nobody)".into(),
            ));
        }
        if let Some(l) = self.l
            && l < 2
        {
            return Err(Error::Usage(
                "privacy: l must be at least 2 (l = 1 is always met)".into(),
            ));
        }
        if let Some(t) = self.t
            && !(t > 0.0 && t <= 1.0)
        {
            return Err(Error::Usage("privacy: t must be in (0, 1]".into()));
        }
        if !(0.0..=MAX_SUPPRESSION).contains(&self.suppression) {
            return Err(Error::Usage(format!(
                "privacy: suppression must be between 0 and {MAX_SUPPRESSION} (5 % of records)"
            )));
        }
        Ok(())
    }

    /// Check parameters that depend on the data: l may not exceed the number of distinct
    /// values of any sensitive attribute.
    pub fn validate_for(&self, table: &ClassTable) -> Result<()> {
        self.validate()?;
        if let Some(l) = self.l {
            if table.sensitive.is_empty() {
                return Err(Error::Usage(
                    "privacy: l-diversity needs at least one sensitive attribute".into(),
                ));
            }
            for (i, name) in table.sensitive.iter().enumerate() {
                let d = table.sensitive_values[i].len() as u64;
                if l > d {
                    return Err(Error::Usage(format!(
                        "privacy: l = {l} is larger than the {d} distinct values of sensitive \
                         attribute `{name}`; no grouping can reach it"
                    )));
                }
            }
        }
        if self.t.is_some() && table.sensitive.is_empty() {
            return Err(Error::Usage(
                "privacy: t-closeness needs at least one sensitive attribute".into(),
            ));
        }
        Ok(())
    }
}
