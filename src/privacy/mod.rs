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

pub mod aggregate;
pub mod hierarchy;
pub mod lattice;
pub mod risk;
pub mod table;
mod tally;
pub mod utility;

pub use hierarchy::{Bound, Builtin, Hierarchy};
pub use lattice::{Exhaustive, Search, Solution, exhaustive, loss_if_passing, search};
pub use risk::{Risk, risk};
pub use table::{ClassTable, Counts, Encoder, Floor};
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

/// Column `col` of a batch as text (a cast only when it is not text already).
fn column_text(data: &arrow_array::RecordBatch, col: usize) -> Result<arrow_array::ArrayRef> {
    let arr = data.column(col);
    if arr.data_type() == &arrow_schema::DataType::Utf8 {
        return Ok(arr.clone());
    }
    arrow_cast::cast(arr, &arrow_schema::DataType::Utf8)
        .map_err(|e| Error::Internal(format!("privacy: cannot read a column as text: {e}")))
}

/// The string view of a [`column_text`] result.
fn as_text(a: &arrow_array::ArrayRef) -> Result<&arrow_array::StringArray> {
    a.as_any()
        .downcast_ref::<arrow_array::StringArray>()
        .ok_or_else(|| Error::Internal("privacy: cast to text gave no string array".into()))
}

/// Cell `r` of a text column (`""` for null).
fn cell(s: &arrow_array::StringArray, r: usize) -> &str {
    use arrow_array::Array;
    if s.is_null(r) { "" } else { s.value(r) }
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

/// Count the rows of `data` into `enc`: columns `idx` are the QIs, then the sensitive
/// attributes. With `codes`, also return each QI's column of codes at its floor
/// ([`Encoder::push_columns`]; what a two-pass run spills for the QIs in its first pass). A
/// value that a QI's hierarchy does not cover is an error naming the attribute (never the
/// value).
pub fn count_batch(
    enc: &mut Encoder,
    data: &arrow_array::RecordBatch,
    idx: &[usize],
    n_qi: usize,
    codes: bool,
) -> Result<Vec<arrow_array::ArrayRef>> {
    let arrays: Vec<arrow_array::ArrayRef> = idx
        .iter()
        .map(|c| column_text(data, *c))
        .collect::<Result<_>>()?;
    let cols: Vec<&arrow_array::StringArray> = arrays.iter().map(as_text).collect::<Result<_>>()?;
    let Some(mut all) = enc.push_columns(&cols) else {
        enc.check()?;
        return Err(Error::Internal(
            "privacy: a value was not counted but no attribute reports it".into(),
        ));
    };
    if !codes {
        return Ok(Vec::new());
    }
    all.truncate(n_qi);
    Ok(all
        .into_iter()
        .map(|v| std::sync::Arc::new(arrow_array::UInt32Array::from(v)) as arrow_array::ArrayRef)
        .collect())
}

/// Second pass of a two-pass release on one batch of the first pass's spill: the QI
/// columns `qi_columns` hold first-pass codes (`recode` maps them to the class table's);
/// replace them by the labels of the chosen levels and drop the rows of suppressed classes.
/// Returns the new batch (QI columns as text, `schema`) and the number of rows suppressed.
pub fn apply_codes(
    solution: &Solution,
    recode: &[Vec<u32>],
    qi_columns: &[usize],
    data: &arrow_array::RecordBatch,
    schema: &arrow_schema::SchemaRef,
) -> Result<(arrow_array::RecordBatch, u64)> {
    use arrow_array::Array;
    let codes: Vec<&arrow_array::UInt32Array> = qi_columns
        .iter()
        .map(|c| {
            data.column(*c)
                .as_any()
                .downcast_ref::<arrow_array::UInt32Array>()
                .filter(|a| a.null_count() == 0)
                .ok_or_else(|| Error::Internal("privacy: the spill lost its QI codes".into()))
        })
        .collect::<Result<_>>()?;
    let (labels, keep, suppressed) =
        release_columns(solution, qi_columns.len(), data.num_rows(), |i, r| {
            recode[i]
                .get(codes[i].value(r) as usize)
                .copied()
                .ok_or_else(|| Error::Internal("privacy: a QI code out of range".into()))
        })?;
    let out = replace_and_filter(data, schema, qi_columns, labels, keep, suppressed)?;
    Ok((out, suppressed))
}

/// The released QI columns of a batch of `rows` rows (labels of the chosen levels, null
/// where the row is suppressed), which rows to keep and how many are suppressed. `code(i, r)`
/// is the class-table code of QI `i` in row `r`.
fn release_columns(
    solution: &Solution,
    n_qi: usize,
    rows: usize,
    mut code: impl FnMut(usize, usize) -> Result<u32>,
) -> Result<(Vec<arrow_array::ArrayRef>, Vec<bool>, u64)> {
    let mut keep = Vec::with_capacity(rows);
    let mut out: Vec<arrow_array::builder::StringBuilder> = (0..n_qi)
        .map(|_| arrow_array::builder::StringBuilder::with_capacity(rows, rows * 8))
        .collect();
    let mut suppressed = 0u64;
    let mut row: Vec<u32> = vec![0; n_qi];
    let mut key: Vec<u32> = Vec::with_capacity(n_qi);
    for r in 0..rows {
        for (i, c) in row.iter_mut().enumerate() {
            *c = code(i, r)?;
        }
        if solution.generalise(&row, &mut key) {
            keep.push(true);
            for (i, (o, c)) in out.iter_mut().zip(&key).enumerate() {
                o.append_value(solution.label(i, *c));
            }
        } else {
            // A placeholder: the row is filtered out.
            keep.push(false);
            suppressed += 1;
            for o in out.iter_mut() {
                o.append_null();
            }
        }
    }
    let labels = out
        .iter_mut()
        .map(|b| std::sync::Arc::new(b.finish()) as arrow_array::ArrayRef)
        .collect();
    Ok((labels, keep, suppressed))
}

/// `data` with its QI columns replaced by `labels` (typed as `schema` says) and the rows
/// `keep` marks false dropped.
fn replace_and_filter(
    data: &arrow_array::RecordBatch,
    schema: &arrow_schema::SchemaRef,
    qi_columns: &[usize],
    labels: Vec<arrow_array::ArrayRef>,
    keep: Vec<bool>,
    suppressed: u64,
) -> Result<arrow_array::RecordBatch> {
    let mut columns = data.columns().to_vec();
    for (c, l) in qi_columns.iter().zip(labels) {
        columns[*c] = l;
    }
    let rebuilt = arrow_array::RecordBatch::try_new(schema.clone(), columns)
        .map_err(|e| Error::Internal(format!("privacy: cannot rebuild a batch: {e}")))?;
    // Most batches lose no row: filtering would copy every column for nothing.
    if suppressed == 0 {
        return Ok(rebuilt);
    }
    let mask = arrow_array::BooleanArray::from(keep);
    arrow_select::filter::filter_record_batch(&rebuilt, &mask)
        .map_err(|e| Error::Internal(format!("privacy: cannot drop suppressed rows: {e}")))
}

/// First pass: stream a source, reading only the QI and sensitive columns, into a
/// [`ClassTable`], each QI counted at its floor (`floors[i]` for `qi[i]`), after `filter`
/// (the objection list) has removed rows. Nulls count as the empty string.
pub fn first_pass(
    source: &mut dyn crate::source::Source,
    qi: &[String],
    sensitive: &[String],
    floors: Vec<table::Floor>,
    filter: &mut dyn FnMut(arrow_array::RecordBatch) -> Result<arrow_array::RecordBatch>,
) -> Result<ClassTable> {
    let names: Vec<String> = qi.iter().chain(sensitive).cloned().collect();
    let idx = column_indices(source, &names)?;
    let mut enc = Encoder::with_floors(qi.to_vec(), sensitive.to_vec(), floors);
    while let Some(batch) = source.next_batch()? {
        crate::interrupt::check()?;
        let data = filter(batch.data)?;
        count_batch(&mut enc, &data, &idx, qi.len(), false)?;
    }
    enc.check()?;
    Ok(enc.finish())
}

/// Second pass on one batch: replace the QI columns by their generalised labels and drop
/// suppressed rows. Returns the new batch and the number of rows suppressed.
pub fn apply_batch(
    solution: &Solution,
    qi_columns: &[usize],
    batch: &crate::value::Batch,
    memo: &mut lattice::Memo,
) -> Result<(crate::value::Batch, u64)> {
    use std::sync::Arc;
    let arrays: Vec<arrow_array::ArrayRef> = qi_columns
        .iter()
        .map(|c| column_text(&batch.data, *c))
        .collect::<Result<_>>()?;
    let cols: Vec<&arrow_array::StringArray> = arrays.iter().map(as_text).collect::<Result<_>>()?;
    let (labels, keep, suppressed) =
        release_columns(solution, qi_columns.len(), batch.num_rows(), |i, r| {
            solution.code(i, cell(cols[i], r), memo)
        })?;
    let mut fields: Vec<arrow_schema::Field> = batch
        .data
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    for c in qi_columns {
        fields[*c] =
            arrow_schema::Field::new(fields[*c].name(), arrow_schema::DataType::Utf8, true);
    }
    let schema = Arc::new(arrow_schema::Schema::new(fields));
    let data = replace_and_filter(&batch.data, &schema, qi_columns, labels, keep, suppressed)?;
    Ok((
        crate::value::Batch {
            first_row: batch.first_row,
            data,
        },
        suppressed,
    ))
}
