//! `anonkos report`: map a scan (and a run) onto the filing-system catalogues of Art. 17.
use std::path::{Path, PathBuf};

use clap::Args;

use super::{Exit, exit_for, output};
use crate::error::Error;
use crate::report::catalogue::Catalogue;
use crate::report::drift::{Baseline, Drift};
use crate::report::filing::{self, FilingReport, ScanInput};
use crate::report::run::RunReport;
use crate::sink::atomic::write_atomic;

/// Formats of the filing-system report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FilingFormat {
    /// `anonkos.report/v1` JSON.
    Json,
    /// Markdown.
    Md,
    /// One self-contained HTML file.
    Html,
}

/// `anonkos report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// An `anonkos.scan/v1` report (`anonkos scan --format json`).
    #[arg(long, value_name = "SCAN.json")]
    pub scan: PathBuf,
    /// An `anonkos.run/v1` report: adds the Art. 9 assessment of every output.
    #[arg(long, value_name = "RUN.json")]
    pub run: Option<PathBuf>,
    /// The filing-system catalogues (`filing-systems.toml`).
    #[arg(long, value_name = "FILE")]
    pub filing_systems: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: FilingFormat,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

fn read_small(path: &Path) -> Result<String, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > 512 * 1024 * 1024 {
        return Err(Error::Usage(format!(
            "{}: larger than 512 MiB",
            path.display()
        )));
    }
    #[allow(clippy::disallowed_methods)] // a report file, size checked above
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// Render a filing-system report.
pub fn render(r: &FilingReport, f: FilingFormat) -> String {
    match f {
        FilingFormat::Json => {
            let mut s = serde_json::to_string_pretty(r)
                .unwrap_or_else(|e| format!("{{\"error\": \"could not serialise report: {e}\"}}"));
            s.push('\n');
            s
        }
        FilingFormat::Md => crate::report::filing_md::render(r),
        FilingFormat::Html => crate::report::html::render(r),
    }
}

/// Build, render and write; shared with `scan --filing-systems`.
pub fn emit(
    scan: &ScanInput,
    catalogue: &Path,
    run: Option<&Path>,
    drift: Option<(&Drift, &Baseline)>,
    format: FilingFormat,
    out: Option<&Path>,
) -> Exit {
    let result = (|| {
        let cat = Catalogue::load(catalogue)?;
        let run = match run {
            Some(p) => {
                let text = read_small(p)?;
                let r: RunReport = serde_json::from_str(&text).map_err(|e| {
                    Error::Usage(format!(
                        "{}: not an anonkos.run/v1 report: {e}",
                        p.display()
                    ))
                })?;
                Some(r)
            }
            None => None,
        };
        filing::build(scan, &cat, run.as_ref())
    })();
    let report = match result {
        Ok(mut r) => {
            if let Some((d, b)) = drift {
                crate::report::drift::attach(&mut r, d, b);
            }
            r
        }
        Err(e) => {
            output::err(&e.to_string());
            return exit_for(&e);
        }
    };
    for f in &report.findings {
        if f.code == "source_matches_nothing" {
            output::err(&format!("warning: {}", f.message));
        }
    }
    let text = render(&report, format);
    let written = match out {
        Some(path) => write_atomic(path, text.as_bytes()).map_err(|e| e.to_string()),
        None => output::out(&text).map_err(|e| format!("stdout: {e}")),
    };
    if let Err(msg) = written {
        output::err(&msg);
        return Exit::Output;
    }
    Exit::Ok
}

/// Run the subcommand.
pub fn run(a: ReportArgs) -> Exit {
    let scan = match read_small(&a.scan)
        .and_then(|t| ScanInput::parse(&t, &a.scan.display().to_string()))
    {
        Ok(s) => s,
        Err(e) => {
            output::err(&e.to_string());
            return exit_for(&e);
        }
    };
    emit(
        &scan,
        &a.filing_systems,
        a.run.as_deref(),
        None,
        a.format,
        a.output.as_deref(),
    )
}
