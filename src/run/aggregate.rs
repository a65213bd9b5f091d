//! `[aggregate]` in a run: a declared aggregate table goes through its column transforms into
//! memory (aggregate tables are small: one row per combination), rows made equal by a
//! generalisation are summed, the threshold rule with secondary suppression is applied
//! ([`crate::privacy::aggregate`]), the published table is audited, and the output is
//! written with suppressed counts as NULL. The verdict facts come from the audit.
//!
//! A research release (`[privacy]`) that holds an aggregate-looking table it does not
//! declare gets a "not fit" verdict for it: k-anonymity counts rows, and a row of an
//! aggregate table is a group of people, so k says nothing about its small cells.
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use serde::Serialize;

use super::{Ctx, process, report};
use crate::config::pipeline::{AggregateSpec, Pipeline};
use crate::error::{Error, Result};
use crate::privacy::aggregate::{self as agg, Audit, Grid, Mark};
use crate::scan::DatasetScan;
use crate::sink::Writer;
use crate::source::Source;

/// What the threshold rule did to one aggregate table (run report, verdict facts).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AggregateResult {
    /// Counts `1..threshold` are not published.
    pub threshold: u64,
    /// The count column.
    pub count_column: String,
    /// The dimension columns.
    pub dimensions: Vec<String>,
    /// Rows read (after the transforms), before equal rows were summed.
    pub rows_in: u64,
    /// Cells published or suppressed.
    pub cells: u64,
    /// Cells below the threshold.
    pub primary: u64,
    /// Cells suppressed so that no primary cell can be recomputed.
    pub secondary: u64,
    /// Whether the table carries total rows or columns (by label).
    pub totals: bool,
    /// The audit of the published table.
    pub audit: Audit,
}

/// Collects a transformed table in memory.
#[derive(Default)]
struct Collect {
    schema: Option<SchemaRef>,
    batches: Vec<RecordBatch>,
}

impl Writer for Collect {
    fn begin_table(&mut self, _table: Option<&str>, schema: &SchemaRef) -> Result<()> {
        self.schema = Some(schema.clone());
        Ok(())
    }
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.batches.push(batch.clone());
        Ok(())
    }
    fn end_table(&mut self) -> Result<()> {
        Ok(())
    }
    fn commit(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

/// The count column of `names`: the declared one, else the one whose header is a count word.
fn count_column(spec: &AggregateSpec, names: &[String]) -> Option<usize> {
    match &spec.count {
        Some(c) => names.iter().position(|n| n.eq_ignore_ascii_case(c)),
        None => {
            let words = agg::count_words();
            names
                .iter()
                .position(|n| words.contains(&n.trim().to_lowercase()))
        }
    }
}

/// A column as text (NULL as the empty label).
fn strings(col: &ArrayRef) -> Result<Vec<Option<String>>> {
    let text = arrow_cast::cast(col, &DataType::Utf8)
        .map_err(|e| Error::Internal(format!("aggregate: a column as text: {e}")))?;
    let s = text
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| Error::Internal("aggregate: a text column is not Utf8".into()))?;
    Ok(s.iter().map(|v| v.map(str::to_string)).collect())
}

/// Release one declared aggregate table into `w`.
pub(super) fn release(
    src: Box<dyn Source>,
    ctx: &Ctx<'_>,
    w: &mut dyn Writer,
    spec: &AggregateSpec,
) -> Result<report::OutputResult> {
    let info = src.info().clone();
    let loc = info.location();
    let mut mem = Collect::default();
    let mut result = process(src, ctx, &mut mem, super::PrivacyStage::None)?;
    let schema = mem
        .schema
        .ok_or_else(|| Error::Internal("aggregate: the table was never begun".into()))?;
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let ci = count_column(spec, &names).ok_or_else(|| {
        Error::input(
            loc.clone(),
            format!(
                "[aggregate] declares this table, but it has no count column{}; name it with \
                 `count = \"…\"` (columns: {})",
                spec.count
                    .as_deref()
                    .map(|c| format!(" `{c}`"))
                    .unwrap_or_default(),
                names.join(", ")
            ),
        )
    })?;
    let dims: Vec<usize> = (0..names.len()).filter(|&i| i != ci).collect();
    let mut rows: Vec<(Vec<String>, u64)> = Vec::new();
    for b in &mem.batches {
        let counts = strings(b.column(ci))?;
        let labels: Vec<Vec<Option<String>>> = dims
            .iter()
            .map(|&d| strings(b.column(d)))
            .collect::<Result<_>>()?;
        for (r, c) in counts.iter().enumerate() {
            // The value itself is not shown: a count is not personal, but a mistyped cell
            // might be.
            let n = c
                .as_deref()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    Error::input(
                        loc.clone(),
                        format!(
                            "row {}: the count column `{}` holds a value that is not a whole \
                             number ≥ 0",
                            rows.len() + r + 1,
                            names[ci]
                        ),
                    )
                })?;
            let key = labels
                .iter()
                .map(|l| l[r].clone().unwrap_or_default())
                .collect();
            rows.push((key, n));
        }
    }
    let rows_in = rows.len() as u64;
    let grid = Grid::build(dims.len(), rows, &spec.total_labels());
    let marks = agg::suppress(&grid, spec.threshold);
    let (labels, published) = published(&grid, &marks);
    let audit = agg::audit(&labels, &published, spec.threshold);
    let batch = output_batch(&names, &dims, ci, &labels, &published)?;
    w.begin_table(info.table.as_deref(), &batch.schema())
        .map_err(Error::on_output)?;
    w.write(&batch).map_err(Error::on_output)?;
    w.end_table().map_err(Error::on_output)?;
    let count = |m: Mark| marks.iter().filter(|x| **x == m).count() as u64;
    if rows_in > grid.len() as u64 {
        result.notes.push(format!(
            "{} rows were summed into {} cells (rows a generalisation made equal)",
            rows_in,
            grid.len()
        ));
    }
    result.rows = grid.len() as u64;
    result.aggregate = Some(AggregateResult {
        threshold: spec.threshold,
        count_column: names[ci].clone(),
        dimensions: dims.iter().map(|&d| names[d].clone()).collect(),
        rows_in,
        cells: grid.len() as u64,
        primary: count(Mark::Primary),
        secondary: count(Mark::Secondary),
        totals: grid.totals.iter().any(Option::is_some),
        audit,
    });
    Ok(result)
}

/// The published table: labels per cell and the count, `None` where suppressed.
fn published(g: &Grid, marks: &[Mark]) -> (Vec<Vec<String>>, Vec<Option<u64>>) {
    let labels = g
        .coords
        .iter()
        .map(|c| {
            c.iter()
                .enumerate()
                .map(|(d, &v)| g.labels[d][v as usize].clone())
                .collect()
        })
        .collect();
    let counts = g
        .counts
        .iter()
        .zip(marks)
        .map(|(&c, m)| (*m == Mark::Published).then_some(c))
        .collect();
    (labels, counts)
}

/// The output: the columns in their input order, dimensions as text, the count as Int64
/// with NULL for a suppressed cell.
fn output_batch(
    names: &[String],
    dims: &[usize],
    ci: usize,
    labels: &[Vec<String>],
    published: &[Option<u64>],
) -> Result<RecordBatch> {
    let mut fields = Vec::with_capacity(names.len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        if i == ci {
            fields.push(Field::new(name, DataType::Int64, true));
            columns.push(Arc::new(Int64Array::from_iter(
                published
                    .iter()
                    .map(|p| p.and_then(|c| i64::try_from(c).ok())),
            )));
        } else {
            let d = dims
                .iter()
                .position(|&x| x == i)
                .ok_or_else(|| Error::Internal("aggregate: a dimension went missing".into()))?;
            fields.push(Field::new(name, DataType::Utf8, true));
            columns.push(Arc::new(StringArray::from_iter_values(
                labels.iter().map(|l| l[d].as_str()),
            )));
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::Internal(format!("aggregate: the output table: {e}")))
}

/// Why a dataset looks like an aggregate table: a column named like a count, a few other
/// columns, none of them a direct identifier or free text. `None` when it does not.
pub(super) fn looks_aggregate(scan: &DatasetScan) -> Option<String> {
    use crate::detect::Role;
    let words = agg::count_words();
    let count = scan
        .columns
        .iter()
        .find(|c| words.contains(&c.name.trim().to_lowercase()))?;
    let others = scan.columns.len().saturating_sub(1);
    let row_level = scan.columns.iter().any(|c| {
        matches!(
            c.classification.role,
            Role::DirectIdentifier | Role::FreeText
        )
    });
    (!row_level && (1..=6).contains(&others)).then(|| {
        format!(
            "it looks like an aggregate table (count column `{}` and {others} categorical \
             columns) but [aggregate] does not declare it: k-anonymity counts rows, and each row \
             of an aggregate table is a group of people, so its small counts are not checked; \
             declare it under [aggregate] datasets so the threshold rule applies",
            count.name
        )
    })
}

/// Add the aggregate facts of output `o` to its verdict facts.
pub(super) fn add_facts(
    facts: &mut crate::report::verdict::Facts,
    o: &report::OutputResult,
    pipeline: &Pipeline,
    scans: &[DatasetScan],
) {
    if let Some(a) = &o.aggregate {
        facts.aggregate = Some(crate::report::verdict::AggregateFacts {
            threshold: a.threshold,
            cells: a.cells,
            primary: a.primary,
            secondary: a.secondary,
            below_threshold: a.audit.below_threshold,
            lone_suppressed_lines: a.audit.lone_suppressed_lines,
        });
        return;
    }
    if pipeline.privacy.is_none() {
        return;
    }
    facts.undeclared_aggregate = scans
        .iter()
        .find(|s| s.source == o.input && s.table == o.table)
        .and_then(looks_aggregate);
}

/// The `[aggregate]` spec that declares dataset (`source`, `table`), if any.
pub(super) fn declared<'p>(
    pipeline: &'p Pipeline,
    source: &str,
    table: Option<&str>,
) -> Option<&'p AggregateSpec> {
    pipeline
        .aggregate
        .as_ref()
        .filter(|a| a.declares(source, table))
}
