//! Passes over one dataset: source → transforms → writer, in one pass or, for a `[privacy]`
//! release, two (counting into a spill, then generalising and suppressing from it).
//!
//! In: an open [`Source`], the dataset's plan and key ([`Ctx`]), a [`Writer`]. Out: the
//! rows written into the writer, and the dataset's [`report::OutputResult`] (with the
//! [`privacy::Release`] for a two-pass release).
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;

use super::{BatchTransform, PrivacyStage, Suppression, privacy, report, spill};
use crate::detect::PatternSet;
use crate::error::{Error, Result};
use crate::key::Key;
use crate::plan::DatasetPlan;
use crate::sink::Writer;
use crate::source::{self, Source};

/// How a dataset meets the pipeline's `[privacy]`.
pub(super) enum Stage<'p> {
    /// No privacy model (none in the pipeline, or no quasi-identifier in the dataset).
    Plain,
    /// A known solution (a shard's apply phase): one pass.
    Apply(Box<privacy::Release>),
    /// A declared aggregate table: the threshold rule instead of a row-level model.
    Aggregate(&'p crate::config::pipeline::AggregateSpec),
    /// Count, search, then generalise and suppress: two passes.
    TwoPass(
        &'p crate::config::pipeline::PrivacySpec,
        privacy::Attributes,
    ),
}

/// What every pass over a dataset needs besides the source and the writer.
pub(crate) struct Ctx<'a> {
    pub(crate) dp: &'a DatasetPlan,
    pub(crate) key: Option<&'a Key>,
    pub(crate) patterns: &'a Arc<PatternSet>,
    pub(crate) suppression: Option<&'a Suppression>,
    pub(crate) meter: Option<&'a crate::progress::Meter>,
}

/// Stream one dataset through its transforms into `w`.
pub(super) fn process(
    src: Box<dyn Source>,
    ctx: &Ctx<'_>,
    w: &mut dyn Writer,
    stage: PrivacyStage<'_>,
) -> Result<report::OutputResult> {
    let info = src.info().clone();
    let loc = info.location();
    if let Some(m) = ctx.meter {
        m.set_label(&loc.dataset);
    }
    let mut tx = BatchTransform::new(
        loc.clone(),
        &src.schema(),
        ctx.dp,
        ctx.key,
        ctx.patterns,
        ctx.suppression,
        stage,
    )?;
    let out_schema = tx.output_schema().clone();
    w.begin_table(info.table.as_deref(), &out_schema)
        .map_err(Error::on_output)?;
    let read_notes = pipe(src, w, &mut |data| metered(&mut tx, ctx.meter, data))?;
    w.end_table().map_err(Error::on_output)?;
    let mut result = tx.result;
    result.notes.extend(read_notes);
    Ok(result)
}

/// Transform one input batch and count its rows on the progress line.
pub(super) fn metered(
    tx: &mut BatchTransform<'_>,
    meter: Option<&crate::progress::Meter>,
    data: RecordBatch,
) -> Result<RecordBatch> {
    let n_in = data.num_rows() as u64;
    let out = tx.apply(data)?;
    if let Some(m) = meter {
        m.add(n_in);
    }
    Ok(out)
}

/// An unsharded `[privacy]` release of one dataset in two passes over the data but one over
/// the input. Pass 1 reads the input, applies the objection list and every column
/// transform, counts the quasi-identifier classes (QIs at the levels the rules fix) and
/// spills the transformed batches, each QI as its integer code, into the staging
/// directory. The lattice search then runs on the counts. Pass 2 reads the spill back,
/// turns the codes into the labels of the chosen levels, drops the rows of suppressed
/// classes and writes the output. The input is parsed and transformed once; the spill costs a
/// write and a read of Arrow IPC.
#[allow(clippy::too_many_arguments)] // the pieces of a release; a struct would only rename them
pub(super) fn two_pass(
    src: Box<dyn Source>,
    ctx: &Ctx<'_>,
    w: &mut dyn Writer,
    spec: &crate::config::pipeline::PrivacySpec,
    pipeline_path: &Path,
    attrs: privacy::Attributes,
    staged: &Path,
) -> Result<(report::OutputResult, privacy::Release)> {
    let info = src.info().clone();
    let loc = info.location();
    if let Some(m) = ctx.meter {
        m.set_label(&loc.dataset);
    }
    let names: Vec<String> = attrs.qi.iter().chain(&attrs.sensitive).cloned().collect();
    let columns = crate::privacy::column_indices(src.as_ref(), &names)?;
    let encoder = crate::privacy::Encoder::with_floors(
        attrs.qi.clone(),
        attrs.sensitive.clone(),
        attrs.floors.clone(),
    );
    let mut tx = BatchTransform::new(
        loc.clone(),
        &src.schema(),
        ctx.dp,
        ctx.key,
        ctx.patterns,
        ctx.suppression,
        PrivacyStage::Count {
            encoder: Box::new(encoder),
            columns,
            n_qi: attrs.qi.len(),
        },
    )?;
    let spill_schema = tx.output_schema().clone();
    // Pass 1: input → transforms + counts → spill.
    let spill_path = {
        let mut p = staged.as_os_str().to_owned();
        p.push(".pass1.arrows");
        PathBuf::from(p)
    };
    let mut spill = spill::Spill::create(&spill_path, &spill_schema)?;
    let read_notes = pipe(src, &mut spill, &mut |data| {
        metered(&mut tx, ctx.meter, data)
    })?;
    let encoder = tx
        .take_encoder()
        .ok_or_else(|| Error::Internal("privacy: the first pass kept no counts".into()))?;
    encoder.check()?;
    let (table, recode) = encoder.finish_recoded();
    let mut table = Some(table);
    let mut table_of = |_: &privacy::Attributes| {
        table
            .take()
            .ok_or_else(|| Error::Internal("privacy: the class table was asked for twice".into()))
    };
    let release = privacy::prepare(spec, pipeline_path, ctx.dp, &mut table_of, ctx.patterns)?
        .ok_or_else(|| Error::Internal("privacy: the quasi-identifiers vanished".into()))?;
    // Pass 2: spill → the QI codes become the labels of the chosen levels, suppressed
    // classes go → output.
    let out_index = tx.output_index();
    let qi_out: Vec<usize> = release
        .qi_columns
        .iter()
        .map(|c| out_index.get(*c).copied().flatten())
        .collect::<Option<_>>()
        .ok_or_else(|| Error::Internal("privacy: a quasi-identifier was dropped".into()))?;
    let final_schema: arrow_schema::SchemaRef = {
        let mut fields: Vec<arrow_schema::Field> = spill_schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        for &c in &qi_out {
            fields[c] =
                arrow_schema::Field::new(fields[c].name(), arrow_schema::DataType::Utf8, true);
        }
        Arc::new(arrow_schema::Schema::new(fields))
    };
    let back = spill.reopen(&loc.dataset)?;
    if let Some(m) = ctx.meter {
        // The rows were counted in pass 1; say what the wait is for now.
        m.set_label(&format!("{}: applying the privacy models", loc.dataset));
        m.add(0);
    }
    w.begin_table(info.table.as_deref(), &final_schema)
        .map_err(Error::on_output)?;
    let mut suppressed = 0u64;
    let solution = &release.solution;
    pipe(Box::new(back), w, &mut |data: RecordBatch| {
        let (b, n) = crate::privacy::apply_codes(solution, &recode, &qi_out, &data, &final_schema)?;
        suppressed += n;
        Ok(b)
    })?;
    w.end_table().map_err(Error::on_output)?;
    // The spill goes now rather than with the staging directory: it can be large.
    let _ = std::fs::remove_file(&spill_path);
    let mut result = tx.result;
    result.notes.extend(read_notes);
    result.rows -= suppressed;
    result.rows_suppressed += suppressed;
    Ok((result, release))
}

/// Three stages so reading, transforming and writing overlap: a reader thread, `transform`
/// here (columns in parallel on the thread pool), a writer thread; at most two batches wait
/// between stages, so memory stays bounded.
pub(super) fn pipe(
    src: Box<dyn Source>,
    w: &mut dyn Writer,
    transform: &mut dyn FnMut(RecordBatch) -> Result<RecordBatch>,
) -> Result<Vec<String>> {
    // Notes a reader adds while it reads (rows dropped below a table) belong in the report.
    let known = src.info().notes.len();
    std::thread::scope(|scope| -> Result<Vec<String>> {
        let (in_tx, in_rx) =
            std::sync::mpsc::sync_channel::<Result<Option<crate::value::Batch>>>(2);
        let reader = scope.spawn(move || source::pump(src, in_tx));
        let (out_tx, out_rx) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
        let writer = scope.spawn(move || -> Result<()> {
            for b in out_rx {
                w.write(&b).map_err(Error::on_output)?;
            }
            Ok(())
        });
        let mut failed = None;
        for next in in_rx {
            if crate::interrupt::requested() {
                failed = Some(Error::Interrupted);
                break;
            }
            match next {
                Ok(Some(batch)) => match transform(batch.data) {
                    Ok(out) => {
                        if out_tx.send(out).is_err() {
                            break; // the writer failed; its error is reported below
                        }
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                },
                Ok(None) => break,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        drop(out_tx);
        let written = writer
            .join()
            .map_err(|_| Error::Internal("the writer thread panicked".into()))?;
        let src = reader
            .join()
            .map_err(|_| Error::Internal("the reader thread panicked".into()))?;
        match failed {
            Some(e) => Err(e),
            None => written.map(|()| src.info().notes.get(known..).unwrap_or(&[]).to_vec()),
        }
    })
}
