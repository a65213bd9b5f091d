//! `anonkos scan`: classify every column of every input.
use super::{Exit, ScanArgs, exit_for, load_patterns, output};
use crate::detect::PatternSet;
use crate::report::{ScanReport, render};
use crate::scan::Scanner;
use crate::sink::atomic::write_atomic;
use crate::source::ReadOptions;
use std::sync::Arc;

/// Parse a `--delimiter` value: one ASCII character, `\t` or `tab` for tab.
fn delimiter(s: &str) -> Result<u8, String> {
    match s {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "--delimiter must be one ASCII character or \\t, not {s:?}"
        )),
    }
}

/// The read options of the command line (bad `--delimiter` or `--encoding`: exit 2).
fn read_options(a: &ScanArgs) -> Result<ReadOptions, Exit> {
    let delim = match a.delimiter.as_deref().map(delimiter).transpose() {
        Ok(d) => d,
        Err(msg) => {
            output::err(&msg);
            return Err(Exit::Usage);
        }
    };
    if let Some(label) = &a.encoding
        && let Err(e) = crate::source::csv::check_encoding_label(label)
    {
        output::err(&e.to_string());
        return Err(Exit::Usage);
    }
    Ok(ReadOptions {
        sample_rows: (!a.full).then_some(a.sample_rows.max(1)),
        encoding: a.encoding.clone(),
        delimiter: delim,
        has_header: a.no_header.then_some(false),
        include_tables: a.include.clone(),
        exclude_tables: a.exclude.clone(),
        statement_timeout: std::time::Duration::from_secs(a.statement_timeout),
        ..ReadOptions::default()
    })
}

/// The pattern files' digest, and the compiled set unless the scan is incremental.
fn patterns(a: &ScanArgs) -> Result<(String, Option<Arc<PatternSet>>), Exit> {
    // Read (not compiled) up front: the state is tied to the pattern files' digest.
    let digest = match crate::detect::PatternSet::digest_of(a.patterns.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            output::err(&e.to_string());
            return Err(exit_for(&e));
        }
    };
    // An incremental scan compiles the patterns only if some dataset changed; otherwise they
    // are compiled now, so a broken pattern file stops the scan before any read (exit 2).
    let patterns = if a.state.is_some() {
        None
    } else {
        match load_patterns(a.patterns.as_ref()) {
            Ok(p) => Some(p),
            Err(e) => {
                output::err(&e.to_string());
                return Err(exit_for(&e));
            }
        }
    };
    Ok((digest, patterns))
}

/// Run the subcommand.
pub fn run(a: ScanArgs) -> Exit {
    let (digest, patterns) = match patterns(&a) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let read = match read_options(&a) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if a.format == crate::report::ReportFormat::Html && a.filing_systems.is_none() {
        output::err(
            "--format html needs --filing-systems (the scan report itself is table, json or md)",
        );
        return Exit::Usage;
    }
    if a.parse_only {
        return parse_only(&a.inputs, &read);
    }
    let origin = a
        .patterns
        .as_ref()
        .map_or_else(|| "embedded".to_string(), |d| d.display().to_string());
    let state_options = super::nightly::options(&a, &read, &digest);
    use std::io::IsTerminal;
    let show_progress = a.format == crate::report::ReportFormat::Table
        && a.output.is_none()
        && std::io::stderr().is_terminal();
    let scanner = match patterns {
        Some(p) => Scanner::new(p, read),
        None => {
            let dir = a.patterns.clone();
            Scanner::lazy(Box::new(move || load_patterns(dir.as_ref())), read)
        }
    }
    .with_progress(show_progress.then_some(output::progress as fn(&str)));
    let declarations = match a
        .annotations
        .as_deref()
        .map(crate::config::declare::load_annotations)
    {
        None => Vec::new(),
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            output::err(&e.to_string());
            return Exit::Usage;
        }
    };
    let nightly = match super::nightly::prepare(&a, state_options, &declarations) {
        Ok(n) => n,
        Err(e) => {
            output::err(&e.to_string());
            return exit_for(&e);
        }
    };
    let scanner = scanner.with_incremental(nightly.state.as_ref().map(|s| s.1.clone()));
    let mut datasets = scanner.scan_inputs(&a.inputs);
    // Stored before the annotations: they are applied again to reused results.
    let next_state = nightly
        .state
        .as_ref()
        .map(|(p, inc)| (p, inc.next_state(nightly.options.clone(), &datasets), inc));
    crate::config::declare::apply_to_scans(&declarations, &mut datasets);
    output::clear_progress();
    if crate::interrupt::requested() {
        output::err("interrupted; no report was written");
        return Exit::Interrupted;
    }
    let mut report = ScanReport::new(&datasets, a.full, &origin);
    if let Some((path, _, inc)) = &next_state {
        report.incremental = Some(crate::report::IncrementalSummary::new(
            &path.display().to_string(),
            &datasets,
            inc.fingerprint_bytes(),
        ));
    }
    report.drift = nightly
        .baseline
        .as_ref()
        .map(|b| crate::report::drift::compare(b, &datasets));
    // After the report is out: a failed write leaves the old state for the retry.
    let finish = |code: Exit| -> Exit {
        if code != Exit::Ok && code != Exit::Input {
            return code;
        }
        if let Some((path, state, _)) = &next_state
            && let Err(e) = state.save(path)
        {
            output::err(&e.to_string());
            return Exit::Output;
        }
        if report.drift.as_ref().is_some_and(|d| d.alert) {
            return Exit::Drift;
        }
        code
    };
    for d in &report.datasets {
        if let Some(e) = &d.error {
            output::err(e);
        }
    }
    if let Some(fs) = &a.filing_systems {
        // One step: the sketches' key is still in this process's memory.
        let scan = serde_json::to_value(&report)
            .and_then(serde_json::from_value::<crate::report::filing::ScanInput>);
        let scan = match scan {
            Ok(s) => s,
            Err(e) => {
                output::err(&format!(
                    "internal error (please report this as a bug): {e}"
                ));
                return Exit::Usage;
            }
        };
        let format = match a.format {
            crate::report::ReportFormat::Json => super::report_cmd::FilingFormat::Json,
            crate::report::ReportFormat::Html => super::report_cmd::FilingFormat::Html,
            _ => super::report_cmd::FilingFormat::Md,
        };
        let drift = report.drift.as_ref().zip(nightly.baseline.as_ref());
        let code = super::report_cmd::emit(&scan, fs, None, drift, format, a.output.as_deref());
        if code == Exit::Ok && report.any_failed() {
            return finish(Exit::Input);
        }
        return finish(code);
    }
    let text = render(&report, a.format);
    let written = match &a.output {
        Some(path) => write_atomic(path, text.as_bytes()).map_err(|e| e.to_string()),
        None if a.format == crate::report::ReportFormat::Table => {
            output::out_text(&text).map_err(|e| format!("stdout: {e}"))
        }
        None => output::out(&text).map_err(|e| format!("stdout: {e}")),
    };
    if let Err(msg) = written {
        output::err(&msg);
        return Exit::Output;
    }
    finish(if report.any_failed() {
        Exit::Input
    } else {
        Exit::Ok
    })
}

/// The benchmark baseline: the same readers, no detection.
fn parse_only(inputs: &[String], read: &ReadOptions) -> Exit {
    let mut rows = 0u64;
    let mut code = Exit::Ok;
    let drain = |sources: Vec<Box<dyn crate::source::Source>>, rows: &mut u64, code: &mut Exit| {
        for mut src in sources {
            loop {
                match src.next_batch() {
                    Ok(Some(b)) => *rows += b.num_rows() as u64,
                    Ok(None) => break,
                    Err(e) => {
                        output::err(&e.to_string());
                        *code = Exit::Input;
                        break;
                    }
                }
            }
        }
    };
    for input in inputs {
        if crate::source::is_database_url(input) {
            match crate::source::open_url(input, read) {
                Ok(sources) => drain(sources, &mut rows, &mut code),
                Err(e) => {
                    output::err(&e.to_string());
                    code = Exit::Input;
                }
            }
            continue;
        }
        let files = match crate::scan::expand(std::path::Path::new(input)) {
            Ok(f) => f,
            Err(e) => {
                output::err(&e.to_string());
                code = Exit::Input;
                continue;
            }
        };
        for (path, display) in files {
            let sources = match crate::source::open(&path, &display, read) {
                Ok(s) => s,
                Err(e) => {
                    output::err(&e.to_string());
                    code = Exit::Input;
                    continue;
                }
            };
            drain(sources, &mut rows, &mut code);
        }
    }
    let _ = output::out(&format!("{rows} rows\n"));
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters() {
        assert_eq!(delimiter(";"), Ok(b';'));
        assert_eq!(delimiter("\\t"), Ok(b'\t'));
        assert!(delimiter(";;").is_err());
        assert!(delimiter("ë").is_err());
    }
}
