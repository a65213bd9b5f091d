//! `anonkos transform`: Arrow IPC stream on stdin → Arrow IPC stream on stdout (for Spark's
//! `mapInArrow`; see `docs/distributed.md`).
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;

use clap::Args;

use super::{Exit, exit_for, load_patterns, output};
use crate::config::pipeline::Pipeline;
use crate::error::Error;
use crate::stream::{self, Frozen, FrozenPlan};

/// `anonkos transform`.
#[derive(Debug, Args)]
#[command(after_help = TRANSFORM_HELP)]
pub struct TransformArgs {
    /// The pipeline file. Only row-local pipelines qualify: no [privacy], no ephemeral key.
    pub pipeline: PathBuf,
    /// Planning step: classify the sample stream on stdin, write the frozen plan (categories
    /// and actions, no values) to FILE and the output schema (a stream with no batches) to
    /// stdout.
    #[arg(long, value_name = "FILE", conflicts_with = "plan")]
    pub plan_out: Option<PathBuf>,
    /// Executor step: apply the frozen plan in FILE to the stream on stdin.
    #[arg(long, value_name = "FILE", required_unless_present = "plan_out")]
    pub plan: Option<PathBuf>,
    /// The dataset name the pipeline's `dataset = "…"` selectors match (planning step;
    /// with --plan it must equal the plan's).
    #[arg(long, value_name = "NAME", required_unless_present = "plan")]
    pub dataset: Option<String>,
    /// The secret key file (else ANONKOS_KEY). Planning only records its fingerprint.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Use the pattern packs in DIR instead of the embedded ones.
    #[arg(long, value_name = "DIR")]
    pub patterns: Option<PathBuf>,
}

const TRANSFORM_HELP: &str = "Two steps, so that every task of a distributed job decides alike:
  anonkos transform P.toml --dataset patients --plan-out plan.json < sample.arrows > schema.arrows
  anonkos transform P.toml --plan plan.json --key-file share.key < part.arrows > out.arrows

Exit codes:
  0    success
  1    the strict pipeline leaves personal columns without a rule (planning)
  2    usage or configuration: [privacy] or an ephemeral key, another pipeline or key than
       the plan's, a keyed action without a key
  3    the input stream is not Arrow IPC or does not match the plan
  4    the output stream could not be written";

/// `anonkos transform`.
pub fn run(a: TransformArgs) -> Exit {
    match run_inner(&a) {
        Ok(code) => code,
        Err(e) => {
            output::err(&e.to_string());
            exit_for(&e)
        }
    }
}

fn run_inner(a: &TransformArgs) -> Result<Exit, Error> {
    let pipeline = Pipeline::load(&a.pipeline)?;
    let patterns = load_patterns(a.patterns.as_ref())?;
    let stdin = BufReader::with_capacity(1 << 16, std::io::stdin());
    let stdout = BufWriter::with_capacity(1 << 16, output::stdout_stream());
    if let Some(plan_out) = &a.plan_out {
        let dataset = a.dataset.as_deref().unwrap_or("stdin");
        match stream::freeze(&pipeline, dataset, stdin, a.key_file.as_deref(), patterns)? {
            Frozen::Unsafe(plan) => {
                for u in &plan.uncovered {
                    output::err(&format!(
                        "{} / {} ({}): personal column without a rule",
                        u.dataset,
                        u.column,
                        u.what()
                    ));
                }
                output::err(
                    "the pipeline is strict and personal columns have no rule; no plan was written (exit 1)",
                );
                Ok(Exit::Policy)
            }
            Frozen::Ready {
                plan,
                output_schema,
            } => {
                crate::sink::atomic::write_atomic(plan_out, plan.to_json().as_bytes())
                    .map_err(Error::on_output)?;
                let mut w = arrow_ipc::writer::StreamWriter::try_new(stdout, &output_schema)
                    .and_then(|mut w| w.finish().map(|()| w))
                    .map_err(|e| Error::Output {
                        path: "<stdout>".into(),
                        source: std::io::Error::other(e.to_string()),
                    })?;
                std::io::Write::flush(w.get_mut()).map_err(|e| Error::Output {
                    path: "<stdout>".into(),
                    source: e,
                })?;
                Ok(Exit::Ok)
            }
        }
    } else {
        let path = a
            .plan
            .as_ref()
            .ok_or_else(|| Error::Usage("give --plan FILE or --plan-out FILE".into()))?;
        let frozen = FrozenPlan::load(path)?;
        if let Some(d) = &a.dataset
            && *d != frozen.dataset
        {
            return Err(Error::Usage(format!(
                "--dataset {d} is not the plan's dataset ({})",
                frozen.dataset
            )));
        }
        stream::transform(
            &pipeline,
            &frozen,
            a.key_file.as_deref(),
            patterns,
            stdin,
            stdout,
        )?;
        Ok(Exit::Ok)
    }
}
