//! [`BatchTransform`]: one dataset's plan applied to one Arrow batch at a time.
//!
//! This is the row-local heart of `anonkos run`, kept apart from files and writers so that
//! other drivers (the `anonkos transform` Arrow stream that Spark's `mapInArrow` feeds, see
//! `docs/distributed.md`) apply exactly the same code: same transforms, same output schema,
//! same objection-list filter, same per-subject keys. It holds no state between batches
//! except the per-column counters, so batches may come from any partition in any order.
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{Field, Schema, SchemaRef};
use rayon::prelude::*;

use super::Suppression;
use super::privacy::Release;
use super::report::{ColumnResult, OutputResult};
use crate::detect::{Category, PatternSet};
use crate::error::{Error, Location, Result};
use crate::key::Key;
use crate::plan::DatasetPlan;
use crate::transform::{self, ColumnTransform, IdKind};

/// Categories that identify the person a row is about, most reliable first: `date_shift` and
/// `noise` key their per-subject offsets on the first one present.
const SUBJECT_CATEGORIES: [Category; 6] = [
    Category::KosovoPersonalNumber,
    Category::Jmbg,
    Category::PassportNumber,
    Category::IdCardNumber,
    Category::Email,
    Category::PhoneNumber,
];

/// What a `[privacy]` release asks of one pass over a dataset.
pub enum PrivacyStage<'a> {
    /// No privacy model for this dataset.
    None,
    /// First pass of an unsharded release: count the QI classes (QIs at their floors, after
    /// the objection list) and write each QI as its first-pass code (`UInt32`). The second
    /// pass turns the codes into the labels of the chosen levels
    /// ([`crate::privacy::apply_codes`], over this pass's output).
    Count {
        /// The counts so far.
        encoder: Box<crate::privacy::Encoder>,
        /// Input columns: the QIs, then the sensitive attributes.
        columns: Vec<usize>,
        /// How many of `columns` are QIs.
        n_qi: usize,
    },
    /// Generalise and suppress from raw values by a known solution (a shard's apply phase).
    Apply(&'a Release),
}

impl PrivacyStage<'_> {
    fn qi_columns(&self) -> &[usize] {
        match self {
            PrivacyStage::None => &[],
            PrivacyStage::Count { columns, n_qi, .. } => &columns[..*n_qi],
            PrivacyStage::Apply(r) => &r.qi_columns,
        }
    }
}

/// Drop the rows of `data` whose subject is on the objection list `s` (identifier columns
/// `cols`); returns the rows left and how many were dropped.
pub fn objection_filter(
    s: &Suppression,
    cols: &[usize],
    data: RecordBatch,
) -> Result<(RecordBatch, u64)> {
    if cols.is_empty() {
        return Ok((data, 0));
    }
    let mut keep = vec![true; data.num_rows()];
    for &c in cols {
        let col = as_strings(data.column(c))?;
        let (m, _) = s.list.keep_mask(&col);
        for (k, i) in keep.iter_mut().zip(0..m.len()) {
            *k &= m.value(i);
        }
    }
    let before = data.num_rows();
    if keep.iter().all(|k| *k) {
        return Ok((data, 0));
    }
    let keep = arrow_array::BooleanArray::from(keep);
    let data = arrow_select::filter::filter_record_batch(&data, &keep)
        .map_err(|e| Error::Internal(format!("suppression filter: {e}")))?;
    let dropped = (before - data.num_rows()) as u64;
    Ok((data, dropped))
}

/// The input columns of `dp` that hold identifiers of the objection list's category.
pub fn objection_columns(s: &Suppression, dp: &DatasetPlan) -> Vec<usize> {
    dp.columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.category == s.category)
        .map(|(i, _)| i)
        .collect()
}

/// A dataset plan made executable: the built transforms, the output schema and the counters.
pub struct BatchTransform<'a> {
    loc: Location,
    txs: Vec<Box<dyn ColumnTransform>>,
    kept: Vec<bool>,
    out_schema: SchemaRef,
    subject_col: Option<(usize, Category)>,
    wants_subjects: bool,
    suppression: Option<&'a Suppression>,
    suppress_cols: Vec<usize>,
    privacy: PrivacyStage<'a>,
    /// Raw QI value → class-table code, for the privacy pass.
    memo: crate::privacy::lattice::Memo,
    /// Rows and per-column counts so far (the run report's figures for this dataset).
    pub result: OutputResult,
}

impl<'a> BatchTransform<'a> {
    /// Build the transforms of `dp` for input batches of `schema`. `loc` names the dataset in
    /// errors. Fails (usage error) when an action cannot be built for its column, e.g. a
    /// keyed action without a key.
    pub fn new(
        loc: Location,
        schema: &Schema,
        dp: &DatasetPlan,
        key: Option<&Key>,
        patterns: &Arc<PatternSet>,
        suppression: Option<&'a Suppression>,
        privacy: PrivacyStage<'a>,
    ) -> Result<Self> {
        if schema.fields().len() != dp.columns.len() {
            return Err(Error::Internal(format!(
                "{loc}: the plan and the source disagree on the columns"
            )));
        }
        let mut txs: Vec<Box<dyn ColumnTransform>> = Vec::with_capacity(dp.columns.len());
        let mut fields: Vec<Field> = Vec::new();
        let mut kept: Vec<bool> = Vec::with_capacity(dp.columns.len());
        let keep_spec = transform::ActionSpec::Keep {};
        for (i, (f, cp)) in schema.fields().iter().zip(&dp.columns).enumerate() {
            // QIs of a privacy release are generalised by the chosen levels, then kept.
            let is_qi = privacy.qi_columns().contains(&i);
            let spec = if is_qi { &keep_spec } else { &cp.spec };
            let t = transform::build(spec, cp.category, key, patterns.clone()).map_err(
                |e| match e {
                    Error::Config { msg, .. } | Error::Usage(msg) => {
                        Error::Usage(format!("{loc}: column \"{}\": {msg}", f.name()))
                    }
                    other => other,
                },
            )?;
            // A counting pass carries each QI as its code (the second pass labels it).
            let counting = matches!(privacy, PrivacyStage::Count { .. });
            let out_type = if is_qi && counting {
                t.output_type(&arrow_schema::DataType::UInt32)
            } else if is_qi {
                t.output_type(&arrow_schema::DataType::Utf8)
            } else {
                t.output_type(f.data_type())
            };
            kept.push(out_type.is_some());
            if let Some(dt) = out_type {
                let keep_meta = cp.action == "keep" && !is_qi;
                let field = Field::new(f.name(), dt, !(is_qi && counting));
                fields.push(if keep_meta {
                    field.with_metadata(f.metadata().clone())
                } else {
                    field
                });
            }
            txs.push(t);
        }
        let wants_subjects = dp
            .columns
            .iter()
            .any(|c| matches!(c.action.as_str(), "date_shift" | "noise"));
        let subject_col = SUBJECT_CATEGORIES.iter().find_map(|cat| {
            dp.columns
                .iter()
                .position(|c| c.category == *cat)
                .map(|i| (i, *cat))
        });
        let suppress_cols: Vec<usize> = match suppression {
            Some(s) => objection_columns(s, dp),
            None => Vec::new(),
        };
        let mut result = OutputResult::default();
        if let Some(s) = suppression
            && suppress_cols.is_empty()
        {
            result.notes.push(format!(
                "no column of category {} here: the objection list could not be applied to this dataset",
                s.category.name()
            ));
        }
        result.columns = dp
            .columns
            .iter()
            .map(|c| ColumnResult {
                name: c.name.clone(),
                action: c.action.clone(),
                ..Default::default()
            })
            .collect();
        Ok(BatchTransform {
            loc,
            txs,
            kept,
            // Schema metadata (a hidden sheet) travels to the writer.
            out_schema: Arc::new(Schema::new(fields).with_metadata(schema.metadata().clone())),
            subject_col,
            wants_subjects,
            suppression,
            suppress_cols,
            privacy,
            memo: Default::default(),
            result,
        })
    }

    /// The class counts of a [`PrivacyStage::Count`] pass (`None` in other stages).
    pub fn take_encoder(&mut self) -> Option<crate::privacy::Encoder> {
        match std::mem::replace(&mut self.privacy, PrivacyStage::None) {
            PrivacyStage::Count { encoder, .. } => Some(*encoder),
            other => {
                self.privacy = other;
                None
            }
        }
    }

    /// The output column of each input column (`None` when dropped).
    pub fn output_index(&self) -> Vec<Option<usize>> {
        let mut n = 0;
        self.kept
            .iter()
            .map(|&k| {
                k.then(|| {
                    n += 1;
                    n - 1
                })
            })
            .collect()
    }

    /// The schema of every output batch (dropped columns removed, changed types applied).
    pub fn output_schema(&self) -> &SchemaRef {
        &self.out_schema
    }

    /// Transform one batch: privacy levels, the objection list, then every column (in
    /// parallel on the rayon pool). Input errors name the dataset and column, never a value.
    pub fn apply(&mut self, mut data: RecordBatch) -> Result<RecordBatch> {
        let result = &mut self.result;
        let loc = &self.loc;
        result.rows_in += data.num_rows() as u64;
        if let PrivacyStage::Apply(r) = &self.privacy {
            let (b, n) = crate::privacy::apply_batch(
                &r.solution,
                &r.qi_columns,
                &crate::value::Batch { first_row: 0, data },
                &mut self.memo,
            )?;
            data = b.data;
            result.rows_suppressed += n;
        }
        if let Some(s) = self.suppression {
            let (d, n) = objection_filter(s, &self.suppress_cols, data)?;
            data = d;
            result.rows_suppressed += n;
        }
        if let PrivacyStage::Count {
            encoder,
            columns,
            n_qi,
        } = &mut self.privacy
        {
            let codes = crate::privacy::count_batch(encoder, &data, columns, *n_qi, true)?;
            let mut cols = data.columns().to_vec();
            let mut fields: Vec<Field> = data
                .schema()
                .fields()
                .iter()
                .map(|f| f.as_ref().clone())
                .collect();
            for (&c, codes) in columns[..*n_qi].iter().zip(codes) {
                cols[c] = codes;
                fields[c] = Field::new(fields[c].name(), arrow_schema::DataType::UInt32, false);
            }
            data = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)
                .map_err(|e| Error::Internal(format!("{loc}: QI codes: {e}")))?;
        }
        let subjects: Option<StringArray> = match (self.wants_subjects, self.subject_col) {
            (true, Some((i, cat))) => {
                Some(subject_ids(data.column(i), IdKind::from_category(cat))?)
            }
            _ => None,
        };
        let outs: Vec<Option<Result<transform::Transformed>>> = self
            .txs
            .par_iter()
            .zip(data.columns().par_iter())
            .zip(self.kept.par_iter())
            .map(|((t, col), &k)| k.then(|| t.apply(col, subjects.as_ref())))
            .collect();
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.out_schema.fields().len());
        for (o, stats) in outs.into_iter().zip(result.columns.iter_mut()) {
            let Some(o) = o else {
                // Dropped: every value is gone.
                stats.changed += data.num_rows() as u64;
                continue;
            };
            let o = o.map_err(|e| match e {
                Error::Input { msg, .. } => Error::input(loc.in_column(stats.name.clone()), msg),
                other => other,
            })?;
            stats.changed += o.changed;
            stats.problems += o.problems;
            if stats.problem_example.is_none() {
                stats.problem_example = o.problem_example;
            }
            arrays.push(o.array);
        }
        if arrays.is_empty() {
            // Arrow (and Parquet, CSV) cannot hold rows without columns.
            return Err(Error::input(
                loc.clone(),
                "the plan drops every column of this dataset: there is nothing to write (leave \
                 the dataset out of the inputs, or keep a column)",
            ));
        }
        let out = RecordBatch::try_new(self.out_schema.clone(), arrays)
            .map_err(|e| Error::Internal(format!("{loc}: assembling the output batch: {e}")))?;
        result.rows += out.num_rows() as u64;
        Ok(out)
    }
}

/// A column as Utf8 (identifiers may be stored as numbers).
fn as_strings(col: &ArrayRef) -> Result<StringArray> {
    let s = arrow_cast::cast(col, &arrow_schema::DataType::Utf8)
        .map_err(|e| Error::Internal(format!("reading identifiers as text: {e}")))?;
    s.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| Error::Internal("cast to Utf8 gave another type".into()))
}

/// Normalised subject identifiers per row (nulls where a value does not normalise).
fn subject_ids(col: &ArrayRef, kind: IdKind) -> Result<StringArray> {
    let s = as_strings(col)?;
    Ok((0..s.len())
        .map(|i| {
            if s.is_null(i) {
                None
            } else {
                transform::normalise_identifier(kind, s.value(i))
            }
        })
        .collect())
}
