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
//!
//! [`run`] reads as the list of its steps: resolve the inputs, classify and plan
//! (`classify`, `plan_datasets`; a refusal or a dry run stops here), load the key, open the
//! output directory and record the inputs, load the objection list, take this shard's work
//! units (a phase-1 shard writes its summary and stops), write every dataset into staging
//! (`write`, through the passes of `pass`) and move it into place, then verify the outputs
//! and finish the report and the processing log (`log`).
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::pipeline::{KeyMode, Pipeline};
use crate::detect::{Category, PatternSet};
use crate::error::{Error, Location, Result};
use crate::key::Key;
use crate::plan::Plan;
use crate::scan::{DatasetScan, Scanner};
use crate::sink::OutFormat;
use crate::source::ReadOptions;
use crate::transform::{self, IdKind, SubjectList};

pub mod aggregate;
pub mod batch;
mod inputs;
mod log;
mod pass;
pub mod privacy;
pub mod report;
pub mod shard;
mod spill;
pub mod summary;
mod verdict;
pub mod verify;
mod write;

pub use batch::{BatchTransform, PrivacyStage};
pub use inputs::MAX_INPUTS;
pub(crate) use inputs::expand_glob;
use inputs::{Input, expand_inputs, url_of};
use pass::{Ctx, process};
pub use report::RunReport;
use write::out_format;

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

/// Run a pipeline.
pub fn run(pipeline: &Pipeline, opts: &RunOptions, patterns: Arc<PatternSet>) -> Result<Outcome> {
    let started = std::time::Instant::now();
    let (inputs_text, inputs, out_dir) = resolve_io(pipeline, opts)?;
    shard::check_shard_options(pipeline, opts)?;

    // 1. Classify every input (sampled) and plan; nothing is written before the plan is safe.
    let scans = classify(pipeline, &patterns, &inputs, &inputs_text)?;
    let mut report = RunReport::new(pipeline);
    let plan = plan_datasets(pipeline, opts, &scans, &mut report)?;
    if let Some((status, stop)) = stop_before_writing(pipeline, opts, &plan) {
        report.status = status.into();
        return Ok(Outcome { report, stop });
    }

    // 2. Key (only now: a dry run needs none).
    let (key, key_source) = load_run_key(pipeline, opts, &plan, &mut report)?;

    // 3. Outputs never overwrite inputs.
    let _run_lock = open_out_dir(&out_dir)?;
    let digests = record_inputs(&inputs, &out_dir, opts, &mut report)?;
    let suppression = match &pipeline.suppress {
        Some(s) => Some(load_suppression(s, key.as_ref())?),
        None => None,
    };
    let assignment = assign_shard(pipeline, opts, (&inputs, &inputs_text), &plan, &mut report)?;
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
    let merged = merge_summaries(opts, &mut report)?;
    let meter = opts.progress.map(|sink| {
        crate::progress::Meter::new(sink, shard::expected_rows(&scans, assignment.as_ref()))
    });

    // 4. Write everything into a staging directory, then move it into place.
    let staging = write::staging_dir(&out_dir)?;
    let writing = write::Writing {
        pipeline,
        opts,
        inputs: &inputs,
        inputs_text: &inputs_text,
        plan: &plan,
        patterns: &patterns,
        key: key.as_ref(),
        key_source,
        suppression: suppression.as_ref(),
        assignment: assignment.as_ref(),
        merged: merged.as_ref(),
        meter: meter.as_ref(),
        out_dir: &out_dir,
    };
    let finals = writing.write_all(staging.path(), &mut report)?;
    write::move_into_place(&finals, &out_dir, &mut report)?;
    drop(staging);
    if let Some(h) = digests {
        fill_input_digests(h, &mut report)?;
    }

    // 5. Verify what was written, with the plan as the manifest.
    let out_paths: Vec<PathBuf> = finals.iter().map(|(_, f, _)| f.clone()).collect();
    let passed = verify_outputs(
        &out_paths,
        (&plan, &scans),
        key_source,
        pipeline,
        &out_dir,
        patterns,
        &mut report,
    );
    report.seconds = started.elapsed().as_secs_f64();
    report.out_dir = Some(out_dir.display().to_string());
    let json = report.to_json();
    crate::sink::atomic::write_atomic(out_dir.join(report_name(opts.shard)), json.as_bytes())
        .map_err(Error::on_output)?;
    log::append_log(&report, opts, &out_dir, &inputs_text)?;
    Ok(Outcome {
        report,
        stop: (!passed).then_some(Stop::VerificationFailed),
    })
}

/// The inputs as given (the pipeline's or `--input`), expanded, and the output directory.
fn resolve_io(
    pipeline: &Pipeline,
    opts: &RunOptions,
) -> Result<(Vec<String>, Vec<Input>, PathBuf)> {
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
    Ok((inputs_text, inputs, out_dir))
}

/// Classify every dataset of every input from a sample; a dataset that cannot be read stops
/// the run before anything is written.
fn classify(
    pipeline: &Pipeline,
    patterns: &Arc<PatternSet>,
    inputs: &[Input],
    inputs_text: &[String],
) -> Result<Vec<DatasetScan>> {
    let read = ReadOptions {
        sample_rows: Some(pipeline.scan.sample_rows),
        ..pipeline.scan.read_options()
    };
    let scanner = Scanner::new(patterns.clone(), read);
    let mut scans: Vec<DatasetScan> = Vec::new();
    for input in inputs {
        match &input.path {
            Some(p) => scans.extend(scanner.scan_path(p, &input.display)),
            None => {
                scans.extend(scanner.scan_inputs(std::slice::from_ref(&url_of(input, inputs_text))))
            }
        }
    }
    if let Some(failed) = scans.iter().find(|d| d.error.is_some()) {
        return Err(Error::input(
            Location::dataset(crate::plan::dataset_label(failed)),
            format!(
                "could not be read, so nothing was written: {}",
                failed.error.clone().unwrap_or_default()
            ),
        ));
    }
    Ok(scans)
}

/// Plan one action per column, fitted to what the outputs can hold (a dump output keeps the
/// input's schema); the plan and its notes go into the report.
fn plan_datasets(
    pipeline: &Pipeline,
    opts: &RunOptions,
    scans: &[DatasetScan],
    report: &mut RunReport,
) -> Result<Plan> {
    let mut plan = crate::plan::plan(pipeline, scans);
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
    crate::plan::fit_output(&mut plan, scans, &keeps_schema);
    let tiny = crate::plan::keys::tiny_domains(&mut plan, scans, pipeline.privacy.is_some());
    report.notes.extend(tiny);
    report.plan = Some(plan.clone());
    Ok(plan)
}

/// Why nothing is written, with the report's status: conflicts, an unsafe strict plan, or a
/// dry run.
fn stop_before_writing(
    pipeline: &Pipeline,
    opts: &RunOptions,
    plan: &Plan,
) -> Option<(&'static str, Option<Stop>)> {
    if !plan.conflicts.is_empty() {
        return Some(("refused", Some(Stop::Conflicts)));
    }
    if pipeline.meta.strict && !plan.is_safe() {
        return Some(("refused", Some(Stop::Unsafe)));
    }
    if opts.dry_run {
        return Some(("dry_run", None));
    }
    None
}

/// The key, if the plan or the pipeline needs one; its source and fingerprint go into the
/// report.
fn load_run_key(
    pipeline: &Pipeline,
    opts: &RunOptions,
    plan: &Plan,
    report: &mut RunReport,
) -> Result<(Option<Key>, KeySource)> {
    let needs_key = plan
        .datasets
        .iter()
        .flat_map(|d| &d.columns)
        .any(|c| c.spec.needs_key())
        || pipeline.suppress.is_some();
    let key_mode = shard::shard_key_mode(pipeline.key.mode, opts, report)?;
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
    Ok((key, key_source))
}

/// Create the output directory and take its run lock (held while the file lives).
fn open_out_dir(out_dir: &Path) -> Result<std::fs::File> {
    std::fs::create_dir_all(out_dir).map_err(|e| Error::Output {
        path: out_dir.to_path_buf(),
        source: e,
    })?;
    lock_out_dir(out_dir)
}

/// The inputs' digests, hashed on a thread while the run goes on.
type Digests = std::thread::JoinHandle<Result<Vec<(usize, (String, u64))>>>;

/// Record the inputs in the report, refusing one inside the output directory. Their digests
/// are for the report, except that sharded privacy phases check them first: otherwise the
/// hashing (a full read of each input) overlaps the processing ([`Digests`]).
fn record_inputs(
    inputs: &[Input],
    out_dir: &Path,
    opts: &RunOptions,
    report: &mut RunReport,
) -> Result<Option<Digests>> {
    let out_canon = out_dir.canonicalize().map_err(|e| Error::io(out_dir, e))?;
    let hash_now = opts.summary_out.is_some() || opts.summaries.is_some();
    let mut to_hash: Vec<(usize, PathBuf)> = Vec::new();
    for i in inputs {
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
    Ok((!to_hash.is_empty()).then(|| {
        std::thread::spawn(move || -> Result<Vec<(usize, (String, u64))>> {
            to_hash
                .into_iter()
                .map(|(k, p)| crate::digest::sha256_file(&p).map(|d| (k, d)))
                .collect()
        })
    }))
}

/// Put the digests hashed on the side into the report.
fn fill_input_digests(h: Digests, report: &mut RunReport) -> Result<()> {
    let done = h
        .join()
        .map_err(|_| Error::Internal("the input hashing thread panicked".into()))??;
    for (k, (sha, bytes)) in done {
        report.inputs[k].sha256 = Some(sha);
        report.inputs[k].bytes = Some(bytes);
    }
    Ok(())
}

/// Sharded: which units of which datasets are this shard's (recorded in the report).
fn assign_shard(
    pipeline: &Pipeline,
    opts: &RunOptions,
    (inputs, inputs_text): (&[Input], &[String]),
    plan: &Plan,
    report: &mut RunReport,
) -> Result<Option<shard::Assignment>> {
    let assignment = match opts.shard {
        Some(spec) => Some(shard::assign_units(
            spec,
            inputs,
            inputs_text,
            plan,
            pipeline,
        )?),
        None => None,
    };
    if let (Some(a), Some(spec)) = (&assignment, opts.shard) {
        report.shard = Some(shard::shard_info(a, spec, opts));
    }
    Ok(assignment)
}

/// Phase 2 of a sharded `[privacy]` run: the shards' class counts, merged (their files are
/// recorded in the report).
fn merge_summaries(opts: &RunOptions, report: &mut RunReport) -> Result<Option<summary::Merged>> {
    let merged = match &opts.summaries {
        Some(glob) => {
            let ids: Vec<summary::InputId> = summary::input_ids(report);
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
    Ok(merged)
}

/// Verify what was written (the plan is the manifest), judge each output's verdict and set
/// the report's verification and status; whether verification passed.
fn verify_outputs(
    out_paths: &[PathBuf],
    (plan, scans): (&Plan, &[DatasetScan]),
    key_source: KeySource,
    pipeline: &Pipeline,
    out_dir: &Path,
    patterns: Arc<PatternSet>,
    report: &mut RunReport,
) -> bool {
    let v = verify::verify(out_paths, Some((&*report, out_dir)), patterns, false);
    let passed = v.passed;
    verdict::judge_outputs(
        &mut report.outputs,
        &v,
        (plan, scans),
        key_source,
        pipeline,
        out_dir,
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
    passed
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
