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

/// Text of every cell of column `col` of a batch (`""` for nulls).
fn column_text(batch: &crate::value::Batch, col: usize) -> Result<Vec<Option<String>>> {
    use arrow_array::Array;
    let arr = batch.data.column(col);
    let text = arrow_cast::cast(arr, &arrow_schema::DataType::Utf8)
        .map_err(|e| Error::Internal(format!("privacy: cannot read a column as text: {e}")))?;
    let s = text
        .as_any()
        .downcast_ref::<arrow_array::StringArray>()
        .ok_or_else(|| Error::Internal("privacy: cast to text gave no string array".into()))?;
    Ok((0..s.len())
        .map(|i| (!s.is_null(i)).then(|| s.value(i).to_string()))
        .collect())
}

/// Index of each named column in the source's schema; a missing column is an error.
pub fn column_indices(source: &dyn crate::source::Source, names: &[String]) -> Result<Vec<usize>> {
    let schema = source.schema();
    names
        .iter()
        .map(|n| {
            schema.index_of(n).map_err(|_| {
                Error::input(
                    source.info().location(),
                    format!("privacy: the dataset has no column `{n}`"),
                )
            })
        })
        .collect()
}

/// First pass: stream a source, reading only the QI and sensitive columns, into a
/// [`ClassTable`]. Nulls count as the empty string.
pub fn first_pass(
    source: &mut dyn crate::source::Source,
    qi: &[String],
    sensitive: &[String],
) -> Result<ClassTable> {
    let names: Vec<String> = qi.iter().chain(sensitive).cloned().collect();
    let idx = column_indices(source, &names)?;
    let mut enc = Encoder::new(qi.to_vec(), sensitive.to_vec());
    while let Some(batch) = source.next_batch()? {
        crate::interrupt::check()?;
        let cols: Vec<Vec<Option<String>>> = idx
            .iter()
            .map(|c| column_text(&batch, *c))
            .collect::<Result<_>>()?;
        for r in 0..batch.num_rows() {
            enc.push(cols.iter().map(|c| c[r].as_deref().unwrap_or("")));
        }
    }
    Ok(enc.finish())
}

/// Second pass on one batch: replace the QI columns by their generalised labels and drop
/// suppressed rows. Returns the new batch and the number of rows suppressed.
pub fn apply_batch(
    solution: &Solution,
    qi_columns: &[usize],
    batch: &crate::value::Batch,
) -> Result<(crate::value::Batch, u64)> {
    use std::sync::Arc;
    let cols: Vec<Vec<Option<String>>> = qi_columns
        .iter()
        .map(|c| column_text(batch, *c))
        .collect::<Result<_>>()?;
    let mut keep = Vec::with_capacity(batch.num_rows());
    let mut out: Vec<Vec<String>> = vec![Vec::new(); qi_columns.len()];
    let mut suppressed = 0u64;
    let mut vals: Vec<&str> = Vec::with_capacity(qi_columns.len());
    for r in 0..batch.num_rows() {
        vals.clear();
        vals.extend(cols.iter().map(|c| c[r].as_deref().unwrap_or("")));
        match solution.apply(&vals)? {
            Some(g) => {
                keep.push(true);
                for (o, v) in out.iter_mut().zip(g) {
                    o.push(v.to_string());
                }
            }
            None => {
                keep.push(false);
                suppressed += 1;
            }
        }
    }
    let mask = arrow_array::BooleanArray::from(keep);
    let filtered = arrow_select::filter::filter_record_batch(&batch.data, &mask)
        .map_err(|e| Error::Internal(format!("privacy: cannot drop suppressed rows: {e}")))?;
    let mut columns = filtered.columns().to_vec();
    let mut fields: Vec<arrow_schema::Field> = filtered
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    for (i, c) in qi_columns.iter().enumerate() {
        columns[*c] = Arc::new(arrow_array::StringArray::from(std::mem::take(&mut out[i])));
        fields[*c] =
            arrow_schema::Field::new(fields[*c].name(), arrow_schema::DataType::Utf8, true);
    }
    let data =
        arrow_array::RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), columns)
            .map_err(|e| Error::Internal(format!("privacy: cannot rebuild a batch: {e}")))?;
    Ok((
        crate::value::Batch {
            first_row: batch.first_row,
            data,
        },
        suppressed,
    ))
}
