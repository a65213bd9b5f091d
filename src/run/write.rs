//! Writing a run's outputs: every dataset of every input streamed through its transforms
//! into a staging directory inside the output directory, then renamed into place only when all
//! are written.
//!
//! In: the inputs, the plan, the key and what the shard and `[privacy]` phases decided
//! ([`Writing`]). Out: the output files in place, and in the run report one
//! [`report::OutputResult`] per dataset with the output's path, SHA-256 and size.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::inputs::{Input, safe_name, stem, unique, url_of};
use super::pass::{Ctx, Stage, process, two_pass};
use super::shard::{self, Assignment};
use super::summary::Merged;
use super::{
    KeySource, PrivacyStage, RunOptions, RunReport, Suppression, aggregate, privacy, report,
};
use crate::config::pipeline::{FormatChoice, Pipeline};
use crate::detect::PatternSet;
use crate::error::{Error, Result};
use crate::key::Key;
use crate::plan::{DatasetPlan, Plan};
use crate::progress::Meter;
use crate::sink::{self, OutFormat, Writer};
use crate::source::{self, DatasetInfo, Format, Source};

/// A staged output file: where it is written, where it goes, its format.
pub(super) type Final = (PathBuf, PathBuf, OutFormat);

/// Everything the writing of the outputs reads.
pub(super) struct Writing<'a> {
    pub(super) pipeline: &'a Pipeline,
    pub(super) opts: &'a RunOptions,
    pub(super) inputs: &'a [Input],
    pub(super) inputs_text: &'a [String],
    pub(super) plan: &'a Plan,
    pub(super) patterns: &'a Arc<PatternSet>,
    pub(super) key: Option<&'a Key>,
    pub(super) key_source: KeySource,
    pub(super) suppression: Option<&'a Suppression>,
    /// This shard's work units (`--shard`).
    pub(super) assignment: Option<&'a Assignment>,
    /// The merged class counts of a sharded `[privacy]` run's apply phase.
    pub(super) merged: Option<&'a Merged>,
    pub(super) meter: Option<&'a Meter>,
    pub(super) out_dir: &'a Path,
}

/// The staging directory, inside the output directory (so the final renames stay on one file
/// system); removed when dropped.
pub(super) fn staging_dir(out_dir: &Path) -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(".anonkos-staging-")
        .tempdir_in(out_dir)
        .map_err(|e| Error::Output {
            path: out_dir.to_path_buf(),
            source: e,
        })
}

impl Writing<'_> {
    /// Write every input's datasets into `staging`; the staged files, in order.
    pub(super) fn write_all(&self, staging: &Path, report: &mut RunReport) -> Result<Vec<Final>> {
        let mut finals: Vec<Final> = Vec::new();
        let mut used_names: BTreeMap<String, usize> = BTreeMap::new();
        for (ii, input) in self.inputs.iter().enumerate() {
            // Names are reserved in every shard alike, so a shard names its outputs as the
            // unsharded run would.
            let base = unique(&mut used_names, stem(&input.display));
            if self.assignment.is_some_and(|a| !a.touches_input(ii)) {
                continue;
            }
            crate::interrupt::check()?;
            self.write_input(ii, input, &base, staging, &mut finals, report)?;
        }
        Ok(finals)
    }

    /// Write the datasets of one input: a multi-table output file is shared by its tables,
    /// and committed after the last.
    fn write_input(
        &self,
        ii: usize,
        input: &Input,
        base: &str,
        staging: &Path,
        finals: &mut Vec<Final>,
        report: &mut RunReport,
    ) -> Result<()> {
        let full = self.pipeline.scan.read_options();
        let sources: Vec<Box<dyn Source>> = match &input.path {
            Some(p) => source::open(p, &input.display, &full)?,
            None => source::open_url(&url_of(input, self.inputs_text), &full)?,
        };
        let mut shared: Option<Box<dyn Writer>> = None;
        for src in sources {
            let at = Staged {
                ii,
                input,
                base,
                staging,
            };
            self.write_dataset(&at, src, &mut shared, finals, report)?;
        }
        if let Some(w) = shared.take() {
            w.commit().map_err(Error::on_output)?;
        }
        Ok(())
    }

    /// Write one dataset (if the plan has it and it is this shard's) and record its result.
    fn write_dataset(
        &self,
        at: &Staged,
        mut src: Box<dyn Source>,
        shared: &mut Option<Box<dyn Writer>>,
        finals: &mut Vec<Final>,
        report: &mut RunReport,
    ) -> Result<()> {
        let (pipeline, opts, out_dir) = (self.pipeline, self.opts, self.out_dir);
        let info = src.info().clone();
        let Some(dp) = self
            .plan
            .datasets
            .iter()
            .find(|d| d.source == info.source && d.table == info.table)
        else {
            return Ok(());
        };
        let share = match self.assignment {
            Some(a) => match a.get(at.ii, &info.source, info.table.as_deref()) {
                Some(s) => match &s.mine {
                    Some(range) => {
                        // An aggregate table is one unit, read whole by its shard.
                        if aggregate::declared(pipeline, &info.source, info.table.as_deref())
                            .is_none()
                        {
                            src.select_units(range.clone(), a.spec.count)?;
                        }
                        Some(s)
                    }
                    None => return Ok(()),
                },
                None => return Ok(()),
            },
            None => None,
        };
        let stage = self.stage_of(&info, dp)?;
        let format = out_format(pipeline.output.format, info.format);
        let (rel, multi) = output_path(at.base, &info, format);
        let rel = match (share, opts.shard) {
            (Some(s), Some(spec)) if s.split => shard::part_path(&rel, spec),
            _ => rel,
        };
        let staged = at.staging.join(&rel);
        if let Some(parent) = staged.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e).on_output())?;
        }
        // One writer per output file: shared by the tables of a multi-table file, else
        // this dataset's own, committed (into staging) as soon as it is written.
        let mut own: Option<Box<dyn Writer>> = None;
        if multi && shared.is_none() {
            *shared = Some(
                sink::create(&staged, format, at.input.path.as_deref(), &pipeline.output)
                    .map_err(Error::on_output)?,
            );
            finals.push((staged.clone(), out_dir.join(&rel), format));
        }
        let w: &mut dyn Writer = match shared.as_mut() {
            Some(w) if multi => w.as_mut(),
            _ => own
                .insert(
                    sink::create(&staged, format, at.input.path.as_deref(), &pipeline.output)
                        .map_err(Error::on_output)?,
                )
                .as_mut(),
        };
        // A key thrown away after the run still joins the release's tables through
        // equal tokens; unless the pipeline asks for that, each table gets its own.
        let table_key = match (self.key, self.key_source, pipeline.key.link_tables) {
            (Some(k), KeySource::Ephemeral, false) => Some(Key::from_bytes(k.derive(&format!(
                "anonkos.release-table/{}",
                crate::plan::plan_label(dp)
            )))),
            _ => None,
        };
        let ctx = Ctx {
            dp,
            key: table_key.as_ref().or(self.key),
            patterns: self.patterns,
            suppression: self.suppression,
            meter: self.meter,
        };
        let (stats, release) = match stage {
            Stage::Plain => (process(src, &ctx, w, PrivacyStage::None)?, None),
            Stage::Aggregate(spec) => (aggregate::release(src, &ctx, w, spec)?, None),
            Stage::Apply(r) => (process(src, &ctx, w, PrivacyStage::Apply(&r))?, Some(*r)),
            Stage::TwoPass(spec, attrs) => {
                let (stats, r) = two_pass(src, &ctx, w, spec, &pipeline.path, attrs, &staged)
                    .map_err(|e| match e {
                        Error::Usage(m) => Error::Usage(format!("{}: {m}", info.location())),
                        other => other,
                    })?;
                (stats, Some(r))
            }
        };
        if let Some(w) = own {
            w.commit().map_err(Error::on_output)?;
            finals.push((staged.clone(), out_dir.join(&rel), format));
        }
        let (privacy, risk, utility) = match release {
            Some(r) => (Some(r.result), Some(r.risk), Some(r.utility)),
            None => (None, None, None),
        };
        // How a live table crossed the network (TLS or not, what was verified) belongs in
        // the record of the run (Law 03/L-172 Art. 7(2), 14).
        let mut stats = stats;
        if matches!(info.format, Format::Postgres | Format::Mysql) {
            stats.notes.splice(0..0, info.notes.iter().cloned());
        }
        report.outputs.push(report::OutputResult {
            input: info.source.clone(),
            table: info.table.clone(),
            path: rel.display().to_string(),
            format: Some(format),
            privacy,
            risk,
            utility,
            ..stats
        });
        Ok(())
    }

    /// How this dataset meets the pipeline's `[privacy]` or `[aggregate]`.
    fn stage_of(&self, info: &DatasetInfo, dp: &DatasetPlan) -> Result<Stage<'_>> {
        let (pipeline, patterns) = (self.pipeline, self.patterns);
        Ok(
            match (
                aggregate::declared(pipeline, &info.source, info.table.as_deref()),
                &pipeline.privacy,
            ) {
                (Some(spec), _) => Stage::Aggregate(spec),
                (None, Some(spec)) => {
                    let named = |e| match e {
                        Error::Usage(m) => Error::Usage(format!("{}: {m}", info.location())),
                        other => other,
                    };
                    match privacy::attributes(spec, &pipeline.path, dp, patterns).map_err(named)? {
                        None => Stage::Plain,
                        // Sharded apply phase: the merged summaries give the class table, so
                        // one pass generalises the raw values.
                        Some(_) if self.merged.is_some() => {
                            let mut table_of = |a: &privacy::Attributes| match self.merged {
                                Some(m) => m.table(&info.source, info.table.as_deref(), a),
                                None => Err(Error::Internal("no summaries".into())),
                            };
                            match privacy::prepare(
                                spec,
                                &pipeline.path,
                                dp,
                                &mut table_of,
                                patterns,
                            )
                            .map_err(named)?
                            {
                                Some(r) => Stage::Apply(Box::new(r)),
                                None => Stage::Plain,
                            }
                        }
                        Some(attrs) => Stage::TwoPass(spec, attrs),
                    }
                }
                (None, None) => Stage::Plain,
            },
        )
    }
}

/// Where one input's output goes in the staging directory.
struct Staged<'a> {
    ii: usize,
    input: &'a Input,
    base: &'a str,
    staging: &'a Path,
}

/// The output's path relative to the output directory, and whether the file holds several
/// tables: `<base>.<ext>` for a multi-table format or a single dataset, else
/// `<base>/<table>.<ext>`.
fn output_path(base: &str, info: &DatasetInfo, format: OutFormat) -> (PathBuf, bool) {
    if format.is_multi_table() {
        (
            PathBuf::from(format!("{base}.{}", format.extension())),
            true,
        )
    } else {
        match &info.table {
            Some(t) => (
                PathBuf::from(base).join(format!("{}.{}", safe_name(t), format.extension())),
                false,
            ),
            None => (
                PathBuf::from(format!("{base}.{}", format.extension())),
                false,
            ),
        }
    }
}

/// Move the staged files into place, once every folder on the way is checked, and record
/// each output's SHA-256 and size.
pub(super) fn move_into_place(
    finals: &[Final],
    out_dir: &Path,
    report: &mut RunReport,
) -> Result<()> {
    // The last moment an interrupt stops the run with nothing renamed into place.
    crate::interrupt::check()?;
    // Every folder is checked before the first rename, so a refusal leaves no output behind.
    for (_, fin, _) in finals {
        refuse_linked_folders(out_dir, fin.strip_prefix(out_dir).unwrap_or(fin))?;
    }
    for (staged, fin, format) in finals {
        refuse_linked_folders(out_dir, fin.strip_prefix(out_dir).unwrap_or(fin))?;
        if let Some(parent) = fin.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e).on_output())?;
        }
        std::fs::rename(staged, fin).map_err(|e| Error::io(fin, e).on_output())?;
        let (sha, bytes) = crate::digest::sha256_file(fin)?;
        let rel = fin
            .strip_prefix(out_dir)
            .unwrap_or(fin)
            .display()
            .to_string();
        for o in report.outputs.iter_mut().filter(|o| o.path == rel) {
            o.sha256 = Some(sha.clone());
            o.bytes = Some(bytes);
            o.format = Some(*format);
        }
    }
    Ok(())
}

/// The output format for a dataset of `format`.
pub(crate) fn out_format(choice: FormatChoice, format: Format) -> OutFormat {
    match choice {
        FormatChoice::Csv => OutFormat::Csv,
        FormatChoice::Parquet => OutFormat::Parquet,
        FormatChoice::Sqlite => OutFormat::Sqlite,
        FormatChoice::Xlsx => OutFormat::Xlsx,
        FormatChoice::Same => match format {
            Format::Csv => OutFormat::Csv,
            Format::Parquet | Format::Postgres | Format::Mysql | Format::ArrowIpc => {
                OutFormat::Parquet
            }
            Format::PgDump => OutFormat::PgDump,
            Format::MysqlDump => OutFormat::MysqlDump,
            Format::Sqlite => OutFormat::Sqlite,
            // Sheets become one CSV each (`format = "xlsx"` writes a workbook again).
            Format::Workbook => OutFormat::Csv,
        },
    }
}

/// Refuse to write `rel` under `out_dir` when a folder on the way is a symbolic link (a link
/// planted in the output directory would make the run write wherever it points). The last
/// step may be a link: the output is renamed over it, which replaces the link itself.
fn refuse_linked_folders(out_dir: &Path, rel: &Path) -> Result<()> {
    let mut at = out_dir.to_path_buf();
    let mut steps: Vec<_> = rel.components().collect();
    steps.pop();
    for step in steps {
        at.push(step);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::Output {
                    path: at,
                    source: std::io::Error::other(
                        "is a symbolic link inside the output directory; anonkos does not write \
                         through links (remove it or choose another --out-dir)",
                    ),
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(&at, e).on_output()),
        }
    }
    Ok(())
}
