//! `anonkos run`, `anonkos verify`, `anonkos keygen`.
use std::io::IsTerminal;
use std::path::PathBuf;

use super::{Exit, KeygenArgs, RevealArgs, RunArgs, VerifyArgs, exit_for, load_patterns, output};
use crate::config::pipeline::Pipeline;
use crate::key::Key;
use crate::plan::Plan;
use crate::report::escape::visible;
use crate::run::{self, RunOptions, Stop};

/// Output of `run` and `verify` on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryFormat {
    /// Human-readable.
    Text,
    /// The report as JSON.
    Json,
}

fn progress(msg: &str) {
    output::progress(msg);
}

/// `anonkos run`.
pub fn run(a: RunArgs) -> Exit {
    let pipeline = match Pipeline::load(&a.pipeline) {
        Ok(p) => p,
        Err(e) => {
            output::err(&e.to_string());
            return exit_for(&e);
        }
    };
    let patterns = match load_patterns(a.patterns.as_ref()) {
        Ok(p) => p,
        Err(e) => {
            output::err(&e.to_string());
            return exit_for(&e);
        }
    };
    // Never in JSON mode: a script reading the report should see nothing but the report.
    let show_progress =
        !a.quiet && a.format == SummaryFormat::Text && std::io::stderr().is_terminal();
    let opts = RunOptions {
        inputs: a.input.clone(),
        out_dir: a.out_dir.clone(),
        key_file: a.key_file.clone(),
        dry_run: a.dry_run,
        progress: show_progress.then_some(progress as fn(&str)),
        log: a
            .log
            .clone()
            .or_else(|| std::env::var_os("ANONKOS_LOG").map(PathBuf::from)),
        shard: a.shard,
        summary_out: a.summary_out.clone(),
        summaries: a.summaries.clone(),
    };
    let outcome = match run::run(&pipeline, &opts, patterns) {
        Ok(o) => o,
        Err(e) => {
            output::clear_progress();
            output::err(&e.to_string());
            return exit_for(&e);
        }
    };
    output::clear_progress();
    let r = &outcome.report;
    let text = match a.format {
        SummaryFormat::Json => r.to_json(),
        SummaryFormat::Text => summary(r, a.dry_run),
    };
    if !(a.quiet && a.format == SummaryFormat::Text) || outcome.stop.is_some() {
        let _ = match a.format {
            SummaryFormat::Json => output::out(&text),
            SummaryFormat::Text => output::out_text(&text),
        };
    }
    for n in &r.notes {
        output::err(&format!("warning: {n}"));
    }
    match outcome.stop {
        Some(Stop::Unsafe) => {
            output::err(
                "the pipeline is strict and personal columns have no rule; nothing was written (exit 1)",
            );
            Exit::Policy
        }
        Some(Stop::Conflicts) => {
            output::err(
                "the outputs cannot hold some planned actions (keys, declared types); nothing was written (exit 1)",
            );
            Exit::Policy
        }
        Some(Stop::VerificationFailed) => {
            output::err(
                "verification found personal data left in the outputs (exit 1); see the report",
            );
            Exit::Policy
        }
        None => Exit::Ok,
    }
}

fn plan_text(plan: &Plan) -> String {
    let mut s = String::new();
    for d in &plan.datasets {
        match &d.table {
            Some(t) => s.push_str(&format!("{} [{}]\n", visible(&d.source), visible(t))),
            None => s.push_str(&format!("{}\n", visible(&d.source))),
        }
        let w = d
            .columns
            .iter()
            .map(|c| visible(&c.name).chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        for c in &d.columns {
            s.push_str(&format!(
                "  {:<w$}  {:<24} {:<16} {}\n",
                visible(&c.name),
                c.category.name(),
                c.action,
                c.reason,
            ));
            if let Some(n) = &c.note {
                s.push_str(&format!("  {:<w$}  ! {n}\n", ""));
            }
            if let Some(d) = &c.declared {
                s.push_str(&format!("  {:<w$}  ! {}\n", "", visible(d)));
            }
        }
        s.push('\n');
    }
    if !plan.conflicts.is_empty() {
        s.push_str("Actions the output cannot hold (nothing is written until they change):\n");
        for c in &plan.conflicts {
            s.push_str(&format!(
                "  {} / {}: {}\n",
                visible(&c.dataset),
                visible(&c.column),
                visible(&c.problem)
            ));
        }
    }
    if !plan.uncovered.is_empty() {
        s.push_str(
            "Personal columns no rule covers (add a rule, or declare the category with [[declare]]):\n",
        );
        for u in &plan.uncovered {
            s.push_str(&format!(
                "  {} / {} ({})\n",
                visible(&u.dataset),
                visible(&u.column),
                u.what()
            ));
        }
    }
    s
}

fn summary(r: &run::RunReport, dry_run: bool) -> String {
    let mut s = String::new();
    if let Some(p) = &r.plan {
        s.push_str(&plan_text(p));
    }
    if dry_run || r.status == "refused" {
        return s;
    }
    if r.status == "summary" {
        if let Some(sh) = &r.shard {
            s.push_str(&format!(
                "shard {}/{}: counted {} of {} work units; summary written to {} (phase 1, no outputs)\n",
                sh.index,
                sh.count,
                sh.units.len(),
                sh.units_total,
                sh.summaries.join(", ")
            ));
        }
        return s;
    }
    s.push_str(&format!("pipeline {} — {}\n", r.pipeline_name, r.status));
    for d in &r.outputs {
        let name = match &d.table {
            Some(t) => format!("{} [{}]", visible(&d.input), visible(t)),
            None => visible(&d.input).into_owned(),
        };
        s.push_str(&format!(
            "  {name} → {}: {} rows in, {} out, {} suppressed\n",
            visible(&d.path),
            d.rows_in,
            d.rows,
            d.rows_suppressed
        ));
        if let Some(a) = &d.aggregate {
            s.push_str(&format!(
                "    aggregate table ({} cells): {} counts below {} suppressed, {} more so that \
                 none can be recomputed\n",
                a.cells, a.primary, a.threshold, a.secondary
            ));
        }
        if let Some(v) = &d.verdict {
            let outcome = match v.outcome.as_str() {
                "pseudonymised" => "pseudonymised — still personal data",
                "not_fit" => "NOT fit for release as anonymised data",
                other => other,
            };
            s.push_str(&format!(
                "    verdict: {outcome}: {}\n",
                visible(&v.reasons.join("; "))
            ));
        }
        for c in d.columns.iter().filter(|c| c.problems > 0) {
            s.push_str(&format!(
                "    {}: {} values {} could not handle (written as empty){}\n",
                visible(&c.name),
                c.problems,
                c.action,
                c.problem_example
                    .as_deref()
                    .map(|e| format!(", e.g. {e}"))
                    .unwrap_or_default()
            ));
        }
    }
    if let Some(v) = &r.verification {
        s.push_str(&format!(
            "verification: {} ({} datasets, {} columns re-scanned)\n",
            if v.passed { "passed" } else { "FAILED" },
            v.datasets_checked,
            v.columns_checked
        ));
        s.push_str(&findings_text(v));
    }
    if let Some(sh) = &r.shard {
        s.push_str(&format!(
            "shard {}/{}: {} of {} work units\n",
            sh.index,
            sh.count,
            sh.units.len(),
            sh.units_total
        ));
    }
    if let Some(dir) = &r.out_dir {
        let shard = r.shard.as_ref().map(|sh| run::shard::ShardSpec {
            index: sh.index,
            count: sh.count,
        });
        s.push_str(&format!("report: {}/{}\n", dir, run::report_name(shard)));
    }
    s
}

/// One line per verification finding (column names and categories, never values).
fn findings_text(v: &run::verify::Verification) -> String {
    v.findings
        .iter()
        .map(|f| {
            format!(
                "  {} {} / {}: {} ({})\n",
                visible(&f.output),
                visible(f.table.as_deref().unwrap_or("")),
                visible(&f.column),
                f.reason,
                f.category
            )
        })
        .collect()
}

/// `anonkos verify`.
pub fn verify(a: VerifyArgs) -> Exit {
    let patterns = match load_patterns(a.patterns.as_ref()) {
        Ok(p) => p,
        Err(e) => {
            output::err(&e.to_string());
            return exit_for(&e);
        }
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for o in &a.outputs {
        match crate::scan::expand(o) {
            Ok(f) => files.extend(f.into_iter().map(|(p, _)| p)),
            Err(e) => {
                output::err(&e.to_string());
                return Exit::Input;
            }
        }
    }
    let v = run::verify::verify(&files, None, patterns, a.full);
    let text = match a.format {
        SummaryFormat::Json => {
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
        SummaryFormat::Text => {
            let mut s = format!(
                "{}: {} datasets, {} columns checked{}{}\n",
                if v.passed { "passed" } else { "FAILED" },
                v.datasets_checked,
                v.columns_checked,
                if v.full {
                    " (every cell)"
                } else {
                    " (sampled)"
                },
                if v.manifest {
                    ", with the run manifest"
                } else {
                    ", no run manifest found"
                }
            );
            s.push_str(&findings_text(&v));
            s
        }
    };
    let _ = match a.format {
        SummaryFormat::Json => output::out(&text),
        SummaryFormat::Text => output::out_text(&text),
    };
    if v.passed { Exit::Ok } else { Exit::Policy }
}

/// `anonkos keygen`.
pub fn keygen(a: KeygenArgs) -> Exit {
    match Key::write_new(&a.out) {
        Ok(k) => {
            let _ = output::out(&format!(
                "wrote {} (mode 0600, fingerprint {}); keep it apart from the data it protects\n",
                a.out.display(),
                k.fingerprint()
            ));
            Exit::Ok
        }
        Err(e) => {
            output::err(&e.to_string());
            match e {
                crate::Error::Io { .. } | crate::Error::Output { .. } => Exit::Output,
                other => exit_for(&other),
            }
        }
    }
}

/// `anonkos reveal`: decrypt `fpe` values for the controller holding the key.
pub fn reveal(a: RevealArgs) -> Exit {
    let Some(kind) = crate::transform::IdKind::from_name(&a.kind) else {
        output::err(&format!("unknown kind `{}`", a.kind));
        return Exit::Usage;
    };
    let key = match crate::run::load_key(
        crate::config::pipeline::KeyMode::Required,
        a.key_file.as_deref(),
    ) {
        Ok((Some(k), _, notes)) => {
            for n in notes {
                output::err(&format!("warning: {n}"));
            }
            k
        }
        Ok((None, _, _)) => return Exit::Usage,
        Err(e) => {
            output::err(&e.to_string());
            return exit_for(&e);
        }
    };
    let mut text = String::new();
    let mut code = Exit::Ok;
    for v in &a.values {
        match crate::transform::reveal(kind, &key, v) {
            Ok(plain) => text.push_str(&format!("{plain}\n")),
            Err(e) => {
                output::err(&e.to_string());
                code = Exit::Input;
            }
        }
    }
    let _ = output::out(&text);
    code
}
