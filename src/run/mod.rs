//! `anonkos run`: scan the inputs, plan one action per column, stream every dataset through
//! its transforms into the output files, verify the outputs, and write the run report.
//!
//! Safety properties, in order:
//! 1. nothing is written until every input has been scanned and the plan is safe (a strict
//!    pipeline with an uncovered personal column stops here, naming the columns);
//! 2. outputs are written into a staging directory inside the output directory and renamed
//!    into place only when every dataset has been written, so a failed or killed run leaves
//!    the previous outputs (or none), never a partial set;
//! 3. inputs are opened read-only and never equal an output path;
//! 4. the key is used in memory only; reports carry its fingerprint, never the key.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;

use crate::config::pipeline::{FormatChoice, KeyMode, Pipeline};
use crate::detect::{Category, PatternSet};
use crate::error::{Error, Location, Result};
use crate::key::Key;
use crate::plan::DatasetPlan;
use crate::scan::{DatasetScan, Scanner};
use crate::sink::{self, OutFormat, Writer};
use crate::source::{self, Format, ReadOptions, Source};
use crate::transform::{self, IdKind, SubjectList};

pub mod aggregate;
pub mod batch;
pub mod privacy;
pub mod report;
pub mod shard;
mod spill;
pub mod summary;
mod verdict;
pub mod verify;

pub use batch::{BatchTransform, PrivacyStage};
pub use report::RunReport;

/// Where the key came from (for the report; the key itself is never recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeySource {
    /// `--key-file`.
    File,
    /// `ANONKOS_KEY`.
    Env,
    /// Made for this run and discarded.
    Ephemeral,
    /// No key.
    None,
}

/// Options from the command line.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Replace the pipeline's inputs.
    pub inputs: Vec<String>,
    /// Replace the pipeline's output directory.
    pub out_dir: Option<PathBuf>,
    /// Key file.
    pub key_file: Option<PathBuf>,
    /// Plan only.
    pub dry_run: bool,
    /// Called with progress text (rows done) on long runs; the CLI decides whether to show it.
    pub progress: Option<fn(&str)>,
    /// The processing log to append to (Art. 14(1.5)); default `anonkos-processing.jsonl`
    /// in the output directory.
    pub log: Option<PathBuf>,
    /// `--shard i/n`: process only this shard's work units (see [`shard`]).
    pub shard: Option<shard::ShardSpec>,
    /// Phase 1 of a sharded `[privacy]` run: write this shard's class counts here and stop.
    pub summary_out: Option<PathBuf>,
    /// Phase 2 of a sharded `[privacy]` run: merge the summaries matching this glob.
    pub summaries: Option<String>,
}

/// The processing log's default name, in the output directory.
pub const LOG_NAME: &str = "anonkos-processing.jsonl";

/// A run's outcome: the report and what the exit code should say.
#[derive(Debug)]
pub struct Outcome {
    /// The report (also written to `anonkos-run.json` in the output directory when outputs
    /// were written).
    pub report: RunReport,
    /// Why the run stopped early, if it did.
    pub stop: Option<Stop>,
}

/// Why a run did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Strict pipeline, personal columns without a rule (nothing written).
    Unsafe,
    /// Planned actions the outputs cannot hold (keys, declared types; nothing written).
    Conflicts,
    /// Outputs written, but verification found personal data left.
    VerificationFailed,
}

/// The name of the run report in the output directory.
pub const REPORT_NAME: &str = "anonkos-run.json";

/// The run report's name: [`REPORT_NAME`], or `anonkos-run.shard-i-of-n.json` for a shard, so
/// that shards writing into one directory do not overwrite each other's reports.
pub fn report_name(shard: Option<shard::ShardSpec>) -> String {
    match shard {
        Some(s) => format!("anonkos-run.{}.json", s.tag()),
        None => REPORT_NAME.to_string(),
    }
}

/// The lock file a run holds in its output directory (hidden, so never read as an input).
pub const RUN_LOCK_NAME: &str = ".anonkos-run.lock";

/// Take the output directory's run lock, shared, for the whole run (shards of one run may
/// write into one directory at once). Before that, if no other run holds it, take it
/// exclusively for a moment and remove what a killed run left behind: staging directories
/// (`.anonkos-staging-*`) and temporary files (`.anonkos-*.tmp`). Both are hidden and never
/// taken as outputs or inputs; removing them is safe only while no live run holds the lock,
/// because a live run creates its own only after taking it.
fn lock_out_dir(out_dir: &Path) -> Result<std::fs::File> {
    let path = out_dir.join(RUN_LOCK_NAME);
    let lock = crate::sink::atomic::open_lock_file(&path).map_err(Error::on_output)?;
    if lock.try_lock().is_ok() {
        let entries = std::fs::read_dir(out_dir).map_err(|e| Error::io(out_dir, e).on_output())?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let p = e.path();
            // A leftover that cannot be removed is harmless (hidden); the run goes on.
            if name.starts_with(".anonkos-staging-") && p.is_dir() {
                let _ = std::fs::remove_dir_all(&p);
            } else if name.starts_with(".anonkos-") && name.ends_with(".tmp") && p.is_file() {
                let _ = std::fs::remove_file(&p);
            }
        }
        lock.unlock().map_err(|e| Error::io(&path, e).on_output())?;
    }
    lock.lock_shared()
        .map_err(|e| Error::io(&path, e).on_output())?;
    Ok(lock)
}

/// Load the key the pipeline asks for.
pub fn load_key(
    mode: KeyMode,
    key_file: Option<&Path>,
) -> Result<(Option<Key>, KeySource, Vec<String>)> {
    let mut notes = Vec::new();
    match mode {
        KeyMode::None => Ok((None, KeySource::None, notes)),
        KeyMode::Ephemeral => {
            if key_file.is_some() || std::env::var_os("ANONKOS_KEY").is_some() {
                notes.push(
                    "this pipeline uses a throw-away key (key.mode = \"ephemeral\"): the given key was not used, so tokens cannot be linked to other releases".into(),
                );
            }
            Ok((Some(Key::generate()?), KeySource::Ephemeral, notes))
        }
        KeyMode::Required => {
            if let Some(p) = key_file {
                let (key, warning) = Key::from_file(p)?;
                if let Some(w) = warning {
                    notes.push(w);
                }
                return Ok((Some(key), KeySource::File, notes));
            }
            match Key::from_env("ANONKOS_KEY")? {
                Some(k) => Ok((Some(k), KeySource::Env, notes)),
                None => Err(Error::Usage(
                    "this pipeline needs a secret key (key.mode = \"required\"): give --key-file FILE or set ANONKOS_KEY (create one with `anonkos keygen`)".into(),
                )),
            }
        }
    }
}

/// One input after expansion: a file or a database URL.
#[derive(Debug, Clone)]
struct Input {
    display: String,
    path: Option<PathBuf>,
}

fn expand_inputs(inputs: &[String]) -> Result<Vec<Input>> {
    let too_many = |n: usize| {
        Error::Usage(format!(
            "the inputs hold {n} or more files; a run takes at most {MAX_INPUTS} (split the \
             inputs over several runs)"
        ))
    };
    if inputs.len() > MAX_INPUTS {
        return Err(too_many(inputs.len()));
    }
    let mut out = Vec::new();
    for i in inputs {
        if source::is_database_url(i) {
            out.push(Input {
                display: source::db::redact_url(i),
                path: None,
            });
            continue;
        }
        if let Some((_, e)) = source::db::refuse_key_values(i) {
            return Err(e);
        }
        let files = if i.contains('*') || i.contains('?') {
            expand_glob(i)?
        } else {
            crate::scan::expand(Path::new(i))?
        };
        for (p, d) in files {
            out.push(Input {
                display: d,
                path: Some(p),
            });
        }
        if out.len() > MAX_INPUTS {
            return Err(too_many(out.len()));
        }
    }
    Ok(out)
}

/// Most input files (and database URLs) of one run. Every input costs a sampled scan, a
/// reader, output staging and an fsync'd rename, about 10 ms even when tiny: 20,000 inputs ran
/// for minutes with no sign of progress. Beyond this the run is refused up front.
pub const MAX_INPUTS: usize = 4096;

/// `dir/*.csv`-style globs: wildcards in the file name only.
pub(crate) fn expand_glob(pattern: &str) -> Result<Vec<(PathBuf, String)>> {
    let p = Path::new(pattern);
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
        let e = e.map_err(|e| Error::io(&dir, e))?;
        let f = e.file_name().to_string_lossy().into_owned();
        if source::glob_match(&name, &f) && e.path().is_file() {
            let path = e.path();
            out.push((path.clone(), path.display().to_string()));
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(Error::Usage(format!("{pattern}: no file matches")));
    }
    Ok(out)
}

/// The output format for a dataset of `format`.
fn out_format(choice: FormatChoice, format: Format) -> OutFormat {
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

/// A file-name stem for an input: `patients.csv.gz` → `patients`, a URL → its database.
fn stem(display: &str) -> String {
    let last = display
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(display);
    let last = last.split('?').next().unwrap_or(last);
    let base = last.split('.').next().unwrap_or(last);
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        "data".into()
    } else {
        clean
    }
}

/// Names used in file paths (tables may hold any character). A name never starts with `.`:
/// a table named `.bashrc` or `..` must not become a hidden file or a path step.
fn safe_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() || clean.starts_with('.') {
        format!("_{clean}")
    } else {
        clean
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

/// Run a pipeline.
pub fn run(pipeline: &Pipeline, opts: &RunOptions, patterns: Arc<PatternSet>) -> Result<Outcome> {
    let started = std::time::Instant::now();
    let inputs_text = if opts.inputs.is_empty() {
        pipeline.meta.inputs.clone()
    } else {
        opts.inputs.clone()
    };
    if inputs_text.is_empty() {
        return Err(Error::Usage(
            "no inputs: list them in [pipeline] inputs or give --input".into(),
        ));
    }
    let inputs = expand_inputs(&inputs_text)?;
    if inputs.is_empty() {
        return Err(Error::Usage("the inputs hold no supported files".into()));
    }
    let out_dir = opts
        .out_dir
        .clone()
        .or_else(|| pipeline.output.dir.clone())
        .ok_or_else(|| {
            Error::Usage("no output directory: set [output] dir or give --out-dir".into())
        })?;

    shard::check_shard_options(pipeline, opts)?;

    // 1. Classify every input (sampled) and plan.
    let read = ReadOptions {
        sample_rows: Some(pipeline.scan.sample_rows),
        ..pipeline.scan.read_options()
    };
    let scanner = Scanner::new(patterns.clone(), read);
    let mut scans: Vec<DatasetScan> = Vec::new();
    for input in &inputs {
        match &input.path {
            Some(p) => scans.extend(scanner.scan_path(p, &input.display)),
            None => scans
                .extend(scanner.scan_inputs(std::slice::from_ref(&url_of(input, &inputs_text)))),
        }
    }
    let mut report = RunReport::new(pipeline);
    if let Some(failed) = scans.iter().find(|d| d.error.is_some()) {
        return Err(Error::input(
            Location::dataset(crate::plan::dataset_label(failed)),
            format!(
                "could not be read, so nothing was written: {}",
                failed.error.clone().unwrap_or_default()
            ),
        ));
    }
    let mut plan = crate::plan::plan(pipeline, &scans);
    let keeps_schema = |d: &crate::plan::DatasetPlan| {
        scans
            .iter()
            .find(|s| s.source == d.source && s.table == d.table)
            .and_then(|s| s.format)
            .is_some_and(|f| {
                matches!(
                    out_format(pipeline.output.format, f),
                    OutFormat::PgDump | OutFormat::MysqlDump
                )
            })
    };
    if let Some(spec) = opts.shard
        && plan.datasets.iter().any(keeps_schema)
    {
        return Err(Error::Usage(format!(
            "--shard {spec}: a dump output is one file, the input dump with its rows rewritten, \
             so it cannot be written in parts; run without --shard, or set [output] format to \
             parquet, csv or sqlite"
        )));
    }
    crate::plan::fit_output(&mut plan, &scans, &keeps_schema);
    let tiny = crate::plan::keys::tiny_domains(&mut plan, &scans, pipeline.privacy.is_some());
    report.notes.extend(tiny);
    report.plan = Some(plan.clone());
    if !plan.conflicts.is_empty() {
        report.status = "refused".into();
        return Ok(Outcome {
            report,
            stop: Some(Stop::Conflicts),
        });
    }
    if pipeline.meta.strict && !plan.is_safe() {
        report.status = "refused".into();
        return Ok(Outcome {
            report,
            stop: Some(Stop::Unsafe),
        });
    }
    if opts.dry_run {
        report.status = "dry_run".into();
        return Ok(Outcome { report, stop: None });
    }

    // 2. Key (only now: a dry run needs none).
    let needs_key = plan
        .datasets
        .iter()
        .flat_map(|d| &d.columns)
        .any(|c| c.spec.needs_key())
        || pipeline.suppress.is_some();
    let key_mode = shard::shard_key_mode(pipeline.key.mode, opts, &mut report)?;
    let (key, key_source, key_notes) = if needs_key || pipeline.key.mode == KeyMode::Ephemeral {
        load_key(key_mode, opts.key_file.as_deref())?
    } else {
        (None, KeySource::None, Vec::new())
    };
    if needs_key && key.is_none() {
        return Err(Error::Usage(
            "the plan has keyed actions but the pipeline's key.mode is \"none\"".into(),
        ));
    }
    report.key = report::KeyInfo {
        source: key_source,
        fingerprint: key.as_ref().map(Key::fingerprint),
    };
    report.notes.extend(key_notes);

    // 3. Outputs never overwrite inputs.
    std::fs::create_dir_all(&out_dir).map_err(|e| Error::Output {
        path: out_dir.clone(),
        source: e,
    })?;
    let _run_lock = lock_out_dir(&out_dir)?;
    let out_canon = out_dir.canonicalize().map_err(|e| Error::io(&out_dir, e))?;
    // The inputs' digests are for the report, except that sharded privacy phases check them
    // first: otherwise the hashing (a full read of each input) overlaps the processing.
    let hash_now = opts.summary_out.is_some() || opts.summaries.is_some();
    let mut to_hash: Vec<(usize, PathBuf)> = Vec::new();
    for i in &inputs {
        if let Some(p) = &i.path {
            let (sha, bytes) = if hash_now {
                let (sha, bytes) = crate::digest::sha256_file(p)?;
                (Some(sha), Some(bytes))
            } else {
                to_hash.push((report.inputs.len(), p.clone()));
                (None, None)
            };
            report.inputs.push(report::FileInfo {
                path: i.display.clone(),
                sha256: sha,
                bytes,
            });
            if let Ok(c) = p.canonicalize()
                && c.starts_with(&out_canon)
            {
                return Err(Error::Usage(format!(
                    "{}: an input is inside the output directory {}; choose another --out-dir",
                    i.display,
                    out_dir.display()
                )));
            }
        } else {
            report.inputs.push(report::FileInfo {
                path: i.display.clone(),
                sha256: None,
                bytes: None,
            });
        }
    }

    let digests = (!to_hash.is_empty()).then(|| {
        std::thread::spawn(move || -> Result<Vec<(usize, (String, u64))>> {
            to_hash
                .into_iter()
                .map(|(k, p)| crate::digest::sha256_file(&p).map(|d| (k, d)))
                .collect()
        })
    });

    let suppression = match &pipeline.suppress {
        Some(s) => Some(load_suppression(s, key.as_ref())?),
        None => None,
    };

    // Sharded: which units of which datasets are this shard's.
    let full = pipeline.scan.read_options();
    let assignment = match opts.shard {
        Some(spec) => Some(shard::assign_units(
            spec,
            &inputs,
            &inputs_text,
            &plan,
            pipeline,
        )?),
        None => None,
    };
    if let (Some(a), Some(spec)) = (&assignment, opts.shard) {
        report.shard = Some(shard::shard_info(a, spec, opts));
    }
    if let (Some(spec), Some(path)) = (&pipeline.privacy, &opts.summary_out) {
        let a = assignment
            .as_ref()
            .ok_or_else(|| Error::Internal("a summary without shards".into()))?;
        let ctx = summary::Context {
            spec,
            pipeline_path: &pipeline.path,
            plan: &plan,
            patterns: &patterns,
            suppression: suppression.as_ref(),
            aggregate: pipeline.aggregate.as_ref(),
        };
        summary::write_summary(&ctx, a, &inputs, &inputs_text, &report, path)?;
        report.status = "summary".into();
        report.seconds = started.elapsed().as_secs_f64();
        return Ok(Outcome { report, stop: None });
    }
    let merged = match &opts.summaries {
        Some(glob) => {
            let ids: Vec<summary::InputId> = summary::input_ids(&report);
            let count = opts.shard.map_or(1, |s| s.count);
            Some(summary::load(
                glob,
                report.pipeline_sha256.as_deref(),
                &ids,
                count,
            )?)
        }
        None => None,
    };
    if let (Some(m), Some(sh)) = (&merged, report.shard.as_mut()) {
        sh.summaries = m.files.iter().map(|p| p.display().to_string()).collect();
    }
    let meter = opts.progress.map(|sink| {
        crate::progress::Meter::new(sink, shard::expected_rows(&scans, assignment.as_ref()))
    });

    // 4. Write everything into a staging directory, then move it into place.
    let staging = tempfile::Builder::new()
        .prefix(".anonkos-staging-")
        .tempdir_in(&out_dir)
        .map_err(|e| Error::Output {
            path: out_dir.clone(),
            source: e,
        })?;
    let mut finals: Vec<(PathBuf, PathBuf, OutFormat)> = Vec::new();
    let mut used_names: BTreeMap<String, usize> = BTreeMap::new();
    for (ii, input) in inputs.iter().enumerate() {
        // Names are reserved in every shard alike, so a shard names its outputs as the
        // unsharded run would.
        let base = unique(&mut used_names, stem(&input.display));
        if assignment.as_ref().is_some_and(|a| !a.touches_input(ii)) {
            continue;
        }
        crate::interrupt::check()?;
        let sources: Vec<Box<dyn Source>> = match &input.path {
            Some(p) => source::open(p, &input.display, &full)?,
            None => source::open_url(&url_of(input, &inputs_text), &full)?,
        };
        let mut shared: Option<Box<dyn Writer>> = None;
        for mut src in sources {
            let info = src.info().clone();
            let Some(dp) = plan
                .datasets
                .iter()
                .find(|d| d.source == info.source && d.table == info.table)
            else {
                continue;
            };
            let share = match &assignment {
                Some(a) => match a.get(ii, &info.source, info.table.as_deref()) {
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
                        None => continue,
                    },
                    None => continue,
                },
                None => None,
            };
            let stage = match (
                aggregate::declared(pipeline, &info.source, info.table.as_deref()),
                &pipeline.privacy,
            ) {
                (Some(spec), _) => Stage::Aggregate(spec),
                (None, Some(spec)) => {
                    let named = |e| match e {
                        Error::Usage(m) => Error::Usage(format!("{}: {m}", info.location())),
                        other => other,
                    };
                    match privacy::attributes(spec, &pipeline.path, dp, &patterns).map_err(named)? {
                        None => Stage::Plain,
                        // Sharded apply phase: the merged summaries give the class table, so
                        // one pass generalises the raw values.
                        Some(_) if merged.is_some() => {
                            let mut table_of = |a: &privacy::Attributes| match &merged {
                                Some(m) => m.table(&info.source, info.table.as_deref(), a),
                                None => Err(Error::Internal("no summaries".into())),
                            };
                            match privacy::prepare(
                                spec,
                                &pipeline.path,
                                dp,
                                &mut table_of,
                                &patterns,
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
            };
            let format = out_format(pipeline.output.format, info.format);
            let (rel, multi) = if format.is_multi_table() {
                (
                    PathBuf::from(format!("{base}.{}", format.extension())),
                    true,
                )
            } else {
                match &info.table {
                    Some(t) => (
                        PathBuf::from(&base).join(format!(
                            "{}.{}",
                            safe_name(t),
                            format.extension()
                        )),
                        false,
                    ),
                    None => (
                        PathBuf::from(format!("{base}.{}", format.extension())),
                        false,
                    ),
                }
            };
            let rel = match (share, opts.shard) {
                (Some(s), Some(spec)) if s.split => shard::part_path(&rel, spec),
                _ => rel,
            };
            let staged = staging.path().join(&rel);
            if let Some(parent) = staged.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e).on_output())?;
            }
            // One writer per output file: shared by the tables of a multi-table file, else
            // this dataset's own, committed (into staging) as soon as it is written.
            let mut own: Option<Box<dyn Writer>> = None;
            if multi && shared.is_none() {
                shared = Some(
                    sink::create(&staged, format, input.path.as_deref(), &pipeline.output)
                        .map_err(Error::on_output)?,
                );
                finals.push((staged.clone(), out_dir.join(&rel), format));
            }
            let w: &mut dyn Writer = match shared.as_mut() {
                Some(w) if multi => w.as_mut(),
                _ => own
                    .insert(
                        sink::create(&staged, format, input.path.as_deref(), &pipeline.output)
                            .map_err(Error::on_output)?,
                    )
                    .as_mut(),
            };
            // A key thrown away after the run still joins the release's tables through
            // equal tokens; unless the pipeline asks for that, each table gets its own.
            let table_key = match (&key, key_source, pipeline.key.link_tables) {
                (Some(k), KeySource::Ephemeral, false) => Some(Key::from_bytes(k.derive(
                    &format!("anonkos.release-table/{}", crate::plan::plan_label(dp)),
                ))),
                _ => None,
            };
            let ctx = Ctx {
                dp,
                key: table_key.as_ref().or(key.as_ref()),
                patterns: &patterns,
                suppression: suppression.as_ref(),
                meter: meter.as_ref(),
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
        }
        if let Some(w) = shared.take() {
            w.commit().map_err(Error::on_output)?;
        }
    }
    // The last moment an interrupt stops the run with nothing renamed into place.
    crate::interrupt::check()?;
    // Every folder is checked before the first rename, so a refusal leaves no output behind.
    for (_, fin, _) in &finals {
        refuse_linked_folders(&out_dir, fin.strip_prefix(&out_dir).unwrap_or(fin))?;
    }
    for (staged, fin, format) in &finals {
        refuse_linked_folders(&out_dir, fin.strip_prefix(&out_dir).unwrap_or(fin))?;
        if let Some(parent) = fin.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e).on_output())?;
        }
        std::fs::rename(staged, fin).map_err(|e| Error::io(fin, e).on_output())?;
        let (sha, bytes) = crate::digest::sha256_file(fin)?;
        let rel = fin
            .strip_prefix(&out_dir)
            .unwrap_or(fin)
            .display()
            .to_string();
        for o in report.outputs.iter_mut().filter(|o| o.path == rel) {
            o.sha256 = Some(sha.clone());
            o.bytes = Some(bytes);
            o.format = Some(*format);
        }
    }
    drop(staging);

    if let Some(h) = digests {
        let done = h
            .join()
            .map_err(|_| Error::Internal("the input hashing thread panicked".into()))??;
        for (k, (sha, bytes)) in done {
            report.inputs[k].sha256 = Some(sha);
            report.inputs[k].bytes = Some(bytes);
        }
    }

    // 5. Verify what was written, with the plan as the manifest.
    let out_paths: Vec<PathBuf> = finals.iter().map(|(_, f, _)| f.clone()).collect();
    let v = verify::verify(
        &out_paths,
        Some((&report, out_dir.as_path())),
        patterns,
        false,
    );
    let passed = v.passed;
    verdict::judge_outputs(
        &mut report.outputs,
        &v,
        (&plan, &scans),
        key_source,
        pipeline,
        &out_dir,
    );
    if report.disclosure.is_none()
        && report.outputs.iter().any(|o| {
            o.verdict
                .as_ref()
                .is_none_or(|v| v.outcome != crate::report::verdict::ANONYMISED)
                || o.privacy.is_some()
        })
    {
        report.notes.push(
            "Art. 12(3) of Law 03/L-172: these outputs are personal data or a research release, \
             and the pipeline names no [disclosure] recipient and legal_basis; add them so the \
             run report and the processing log register to whom, when and on what basis the \
             data went"
                .into(),
        );
    }
    report.verification = Some(v);
    report.status = if passed {
        "ok".into()
    } else {
        "verification_failed".into()
    };
    report.seconds = started.elapsed().as_secs_f64();
    report.out_dir = Some(out_dir.display().to_string());
    let json = report.to_json();
    crate::sink::atomic::write_atomic(out_dir.join(report_name(opts.shard)), json.as_bytes())
        .map_err(Error::on_output)?;
    append_log(&report, opts, &out_dir, &inputs_text)?;
    Ok(Outcome {
        report,
        stop: (!passed).then_some(Stop::VerificationFailed),
    })
}

/// Database URLs are kept verbatim (with any password) only in memory, to reconnect.
fn url_of(input: &Input, given: &[String]) -> String {
    given
        .iter()
        .find(|g| source::db::redact_url(g) == input.display)
        .cloned()
        .unwrap_or_else(|| input.display.clone())
}

fn unique(used: &mut BTreeMap<String, usize>, name: String) -> String {
    let n = used.entry(name.clone()).or_insert(0);
    *n += 1;
    if *n == 1 { name } else { format!("{name}-{n}") }
}

/// The objection list, matched on columns of its category.
pub struct Suppression {
    list: SubjectList,
    category: Category,
}

/// Load the pipeline's objection list; its identifiers are matched through keyed tokens, so
/// the key is required.
pub fn load_suppression(
    s: &crate::config::pipeline::SuppressSpec,
    key: Option<&Key>,
) -> Result<Suppression> {
    let key = key.ok_or_else(|| {
        Error::Usage("[suppress] needs a key (the list is matched through keyed tokens)".into())
    })?;
    let cat_name = s
        .category
        .clone()
        .unwrap_or_else(|| "kosovo_personal_number".into());
    let category = Category::from_name(&cat_name).ok_or_else(|| {
        Error::Usage(format!(
            "[suppress] category `{cat_name}` is unknown{}",
            crate::config::hint::did_you_mean(&cat_name, Category::ALL.iter().map(|c| c.name()))
        ))
    })?;
    let params = transform::pseudonymise::TokenParams::new(s.token_length, s.token_prefix.clone())?;
    let list = SubjectList::load(&s.list, IdKind::from_category(category), key, params)?;
    Ok(Suppression { list, category })
}

/// How a dataset meets the pipeline's `[privacy]`.
enum Stage<'p> {
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
struct Ctx<'a> {
    dp: &'a DatasetPlan,
    key: Option<&'a Key>,
    patterns: &'a Arc<PatternSet>,
    suppression: Option<&'a Suppression>,
    meter: Option<&'a crate::progress::Meter>,
}

/// Stream one dataset through its transforms into `w`.
fn process(
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
fn metered(
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
fn two_pass(
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
fn pipe(
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

/// Append this run to the processing log (who processed what, when; no personal values).
fn append_log(
    report: &RunReport,
    opts: &RunOptions,
    out_dir: &Path,
    inputs: &[String],
) -> Result<()> {
    use crate::report::processing_log::{FileRecord, LogVerification, ProcessingLog, Record};
    let path = opts.log.clone().unwrap_or_else(|| out_dir.join(LOG_NAME));
    let shown: Vec<String> = inputs.iter().map(|i| source::db::redact_url(i)).collect();
    let mut rec = Record::new(format!(
        "anonkos run {} --input {} --out-dir {}{}",
        report.pipeline,
        shown.join(" --input "),
        out_dir.display(),
        opts.shard
            .map(|s| format!(" --shard {s}"))
            .unwrap_or_default()
    ));
    rec.pipeline = Some(report.pipeline.clone());
    rec.pipeline_sha256 = report.pipeline_sha256.clone();
    rec.disclosure = report.disclosure.clone();
    rec.inputs = report
        .inputs
        .iter()
        .map(|i| FileRecord {
            path: i.path.clone(),
            sha256: i.sha256.clone(),
            rows: None,
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for o in &report.outputs {
        if seen.insert(o.path.clone()) {
            let rows = report
                .outputs
                .iter()
                .filter(|x| x.path == o.path)
                .map(|x| x.rows)
                .sum();
            rec.outputs.push(FileRecord {
                path: out_dir.join(&o.path).display().to_string(),
                sha256: o.sha256.clone(),
                rows: Some(rows),
            });
        }
    }
    rec.verification = report.verification.as_ref().map(|v| LogVerification {
        passed: v.passed,
        remaining_direct_identifiers: v
            .findings
            .iter()
            .filter(|f| f.reason.contains("direct identifier"))
            .map(|f| format!("{}:{}", f.output, f.column))
            .collect(),
    });
    ProcessingLog::append(&path, &rec)
        .map(|_| ())
        .map_err(Error::on_output)
}
