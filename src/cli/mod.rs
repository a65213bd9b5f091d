//! Command-line glue: parse arguments, build engine options, print, map to exit codes.
//! The engine never depends on this module.
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::detect::PatternSet;
use crate::error::Error;
use crate::report::ReportFormat;

pub mod exit;
mod log_cmd;
mod nightly;
pub mod output;
mod patterns_cmd;
mod report_cmd;
mod risk_cmd;
mod run_cmd;
mod sample_cmd;
mod scan_cmd;
mod transform_cmd;

pub use exit::Exit;

/// Find personal and sensitive data in tabular data (Kosovo identifiers, Albanian/Serbian/
/// English vocabularies) and make it safe to reuse.
///
/// Reads CSV/TSV (also as spreadsheets save it: UTF-16, windows-1250/1251, `sep=` lines,
/// decimal commas; gzip, zstd), Parquet, workbooks (.xlsx, .xlsm, .xls, .ods), SQL dumps
/// (pg_dump, mysqldump), SQLite files and live PostgreSQL and MariaDB/MySQL databases.
#[derive(Debug, Parser)]
#[command(name = "anonkos", version, after_help = exit::HELP)]
pub struct Cli {
    /// Worker threads (default: all cores).
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Classify every column of files, directories and live databases: CSV/TSV, Parquet,
    /// workbooks, SQL dumps, SQLite, PostgreSQL and MariaDB/MySQL.
    ///
    /// Inputs: CSV/TSV/PSV and .txt exports (UTF-8, UTF-16 "Unicode text", windows-1250,
    /// windows-1251, ISO-8859-2; Excel's `sep=` line; decimal commas; gzip or zstd), Parquet,
    /// workbooks (.xlsx, .xlsm, .xls, .ods; every sheet a dataset), SQL dumps (pg_dump plain,
    /// custom, directory or tar; mysqldump / mariadb-dump), SQLite files, and database URLs
    /// (postgres://…, mysql://…, mariadb://…). Directories are walked for these files.
    Scan(ScanArgs),
    /// Show or test the active pattern packs.
    #[command(subcommand)]
    Patterns(PatternsCmd),
    /// Write synthetic Kosovo-like sample tables (CSV, windows-1250 CSV, Parquet), or one large
    /// benchmark file (CSV, Parquet, pg_dump or mysqldump).
    Sample(SampleArgs),
    /// Anonymise or pseudonymise data with a pipeline (pipelines/*.toml): reads what `scan`
    /// reads (files, workbooks, SQL dumps, SQLite, database URLs).
    ///
    /// Writes the outputs (the input's own format, or CSV, Parquet or SQLite as the pipeline
    /// says; dumps stay dumps, databases become Parquet), the run report
    /// (anonkos-run.json) and the processing log, then re-scans the outputs (`verify`).
    Run(RunArgs),
    /// Re-scan a run's outputs (CSV, Parquet, SQL dumps, SQLite); exit 1 if personal data the
    /// run did not handle is left.
    Verify(VerifyArgs),
    /// Write a new random 256-bit key file (mode 0600).
    Keygen(KeygenArgs),
    /// Decrypt values made by the `fpe` action (needs the key that made them).
    Reveal(RevealArgs),
    /// Filing-system report: a scan's JSON (and a run's report) mapped onto the Art. 17
    /// catalogues of filing-systems.toml, with findings (Markdown, HTML or JSON).
    Report(report_cmd::ReportArgs),
    /// The processing log (Art. 14(1.5); anonkos-processing.jsonl): verify its hash chain or
    /// show it.
    #[command(subcommand)]
    Log(log_cmd::LogCmd),
    /// Re-identification risk of CSV, Parquet, workbook, SQL dump or SQLite files
    /// (equivalence classes over the quasi-identifiers, JSON).
    Risk(risk_cmd::RiskArgs),
    /// Apply a row-local pipeline to an Arrow IPC stream (stdin → stdout), for Spark
    /// `mapInArrow` and other engines that exchange Arrow.
    Transform(transform_cmd::TransformArgs),
}

/// `anonkos reveal`.
#[derive(Debug, Args)]
pub struct RevealArgs {
    /// Identifier kind the values were encrypted as (e.g. personal_number, jmbg, iban, phone).
    #[arg(long)]
    pub kind: String,
    /// The key file (else ANONKOS_KEY).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Values to decrypt.
    #[arg(required = true)]
    pub values: Vec<String>,
}

/// `anonkos run`.
#[derive(Debug, Args)]
#[command(after_help = exit::HELP)]
pub struct RunArgs {
    /// The pipeline file.
    pub pipeline: PathBuf,
    /// Read these inputs instead of the pipeline's (files, directories, globs, database
    /// URLs; repeatable).
    #[arg(long, value_name = "PATH")]
    pub input: Vec<String>,
    /// Write into DIR instead of the pipeline's output directory.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// The secret key file (else the ANONKOS_KEY environment variable).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Show the plan (which action on which column, and why) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Append the processing record (Art. 14(1.5)) to this log instead of
    /// `anonkos-processing.jsonl` in the output directory (also: ANONKOS_LOG).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Summary format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    pub format: run_cmd::SummaryFormat,
    /// No progress and no summary (errors and warnings still go to stderr).
    #[arg(long, short)]
    pub quiet: bool,
    /// Use the pattern packs in DIR instead of the embedded ones.
    #[arg(long, value_name = "DIR")]
    pub patterns: Option<PathBuf>,
    /// Process only shard I of N (1-based) of the work units (files, Parquet row groups,
    /// tables, key ranges); see docs/sharding.md.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<crate::run::shard::ShardSpec>,
    /// Phase 1 of a sharded run with privacy models: write this shard's class counts to FILE (mode
    /// 0600; it holds quasi-identifier values) and write no outputs.
    #[arg(
        long,
        value_name = "FILE",
        requires = "shard",
        conflicts_with = "summaries"
    )]
    pub summary_out: Option<PathBuf>,
    /// Phase 2 of a sharded run with privacy models: merge the summaries of all shards (a glob such
    /// as 'dir/summary-*.json') and apply.
    #[arg(long, value_name = "GLOB", requires = "shard")]
    pub summaries: Option<String>,
}

fn parse_shard(s: &str) -> Result<crate::run::shard::ShardSpec, String> {
    crate::run::shard::ShardSpec::parse(s).map_err(|e| e.to_string())
}

/// `anonkos verify`.
#[derive(Debug, Args)]
#[command(after_help = exit::HELP)]
pub struct VerifyArgs {
    /// Output files or directories of a run.
    #[arg(required = true)]
    pub outputs: Vec<PathBuf>,
    /// Check every cell instead of a spread sample.
    #[arg(long)]
    pub full: bool,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    pub format: run_cmd::SummaryFormat,
    /// Use the pattern packs in DIR instead of the embedded ones.
    #[arg(long, value_name = "DIR")]
    pub patterns: Option<PathBuf>,
}

/// `anonkos keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the key (refuses to overwrite).
    #[arg(long, short, default_value = "anonkos.key")]
    pub out: PathBuf,
}

/// `anonkos scan`.
#[derive(Debug, Args)]
#[command(after_help = exit::HELP)]
pub struct ScanArgs {
    /// Files, directories or database URLs (CSV/TSV/.txt, .csv.gz, .csv.zst, Parquet,
    /// .xlsx/.xls/.ods workbooks, SQL dumps, SQLite, postgres://…, mysql://…, mariadb://…).
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Rows sampled per dataset, spread across the whole input.
    #[arg(long, default_value_t = crate::scan::DEFAULT_SAMPLE_ROWS, conflicts_with = "full")]
    pub sample_rows: usize,
    /// Check every cell and count every hit (an audit).
    #[arg(long)]
    pub full: bool,
    /// Databases and SQLite views: stop a statement after SECONDS, failing that table alone
    /// (sampled reads and catalogue queries use at most 60 s).
    #[arg(long, value_name = "SECONDS", default_value_t = crate::source::DEFAULT_STATEMENT_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub statement_timeout: u64,
    /// Force the text encoding of CSV files (utf-8, windows-1250, windows-1251, iso-8859-2,
    /// utf-16le, utf-16be); by default it is detected (a UTF-16 byte-order mark or NUL-byte
    /// pattern, valid UTF-8, else the likelier legacy encoding).
    #[arg(long)]
    pub encoding: Option<String>,
    /// Force the CSV delimiter (one character; `\t` for tab); by default Excel's `sep=` first
    /// line, else sniffed among `,` `;` TAB `|`.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// The CSV files have no header row.
    #[arg(long)]
    pub no_header: bool,
    /// Dumps, SQLite and databases: only tables matching GLOB (`schema.table` or `table`;
    /// repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Dumps, SQLite and databases: skip tables matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Use the pattern packs in DIR instead of the embedded ones.
    #[arg(long, value_name = "DIR")]
    pub patterns: Option<PathBuf>,
    /// Also map the scan onto these filing-system catalogues and print the filing-system
    /// report instead (`--format json|md|html`; `table` means md).
    #[arg(long, value_name = "FILE")]
    pub filing_systems: Option<PathBuf>,
    /// Apply the `[[declare]]` entries of this annotations file (the controller's word on
    /// what a column holds) over the classification.
    #[arg(long, value_name = "FILE")]
    pub annotations: Option<PathBuf>,
    /// Incremental scan: datasets unchanged since the state in FILE (fingerprints) are not
    /// read again, their stored result is reused and marked `reused`; FILE is then updated
    /// atomically (created if missing). See docs/nightly.md.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Report the drift since PREV (an earlier `scan --format json` report, or a --state
    /// file); exit 5 when personal data appeared where there was none.
    #[arg(long, value_name = "PREV")]
    pub baseline: Option<PathBuf>,
    /// Benchmark baseline: read and decode every row, detect nothing, print the row count.
    #[arg(long, hide = true, conflicts_with_all = ["state", "baseline"])]
    pub parse_only: bool,
}

/// `anonkos patterns …`.
#[derive(Debug, Subcommand)]
pub enum PatternsCmd {
    /// List the active pattern files and detectors.
    List(PatternsOpt),
    /// Show what every detector says about one value (printed masked).
    Test {
        /// The value to test.
        value: String,
        /// Also match it as a column header.
        #[arg(long)]
        header: bool,
        /// Which pattern set.
        #[command(flatten)]
        opt: PatternsOpt,
    },
    /// Check every example in every pattern file (exit 2 on failure).
    Check(PatternsOpt),
}

/// Shared option of `patterns` subcommands.
#[derive(Debug, Args)]
pub struct PatternsOpt {
    /// Use the pattern packs in DIR instead of the embedded ones.
    #[arg(long, value_name = "DIR")]
    pub patterns: Option<PathBuf>,
}

/// `anonkos sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Directory to write into (created if missing).
    #[arg(long, default_value = "sample-data")]
    pub out: PathBuf,
    /// Rows per table.
    #[arg(long, default_value_t = crate::sample::DEFAULT_ROWS)]
    pub rows: usize,
    /// Random seed (same seed, same files).
    #[arg(long, default_value_t = crate::sample::DEFAULT_SEED)]
    pub seed: u64,
    /// Instead of the sample tables, write one large benchmark file with this many rows.
    #[arg(long, value_name = "ROWS")]
    pub bench_rows: Option<usize>,
    /// Format of the benchmark file.
    #[arg(long, value_parser = ["csv", "parquet", "pgdump", "mysqldump"], default_value = "csv")]
    pub bench_format: String,
}

/// Load the pattern set named on the command line.
pub(crate) fn load_patterns(dir: Option<&PathBuf>) -> Result<Arc<PatternSet>, Error> {
    PatternSet::load(dir.map(PathBuf::as_path)).map(Arc::new)
}

/// Map an engine error to its exit code.
pub(crate) fn exit_for(e: &Error) -> Exit {
    match e {
        Error::Usage(_) | Error::Config { .. } => Exit::Usage,
        Error::Input { .. } => Exit::Input,
        Error::Io { .. } => Exit::Input,
        Error::Output { .. } => Exit::Output,
        Error::Internal(_) => Exit::Usage,
        Error::Interrupted => Exit::Interrupted,
    }
}

/// Replace Rust's default panic message with one that names only the code location.
///
/// The default message can quote input data: a string slicing panic prints the string, and an
/// `expect` message may format a value. A panic that [`crate::error::catch_panic`] turns into
/// an input error prints nothing. The process still exits with Rust's panic code 101.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if crate::error::panic_is_caught() {
            return;
        }
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        output::err(&format!(
            "internal error (please report this as a bug): a thread panicked{at}; \
             its message is withheld because it may quote input data"
        ));
    }));
}

/// Entry point of the binary.
pub fn main() -> std::process::ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            };
            let _ = e.print();
            return code.into();
        }
    };
    if let Some(n) = cli.threads
        && let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
    {
        output::err(&format!("--threads: {e}"));
        return Exit::Usage.into();
    }
    if let Err(e) = crate::interrupt::install() {
        output::err(&e.to_string());
    }
    let code = match cli.command {
        Command::Scan(a) => scan_cmd::run(a),
        Command::Patterns(p) => patterns_cmd::run(p),
        Command::Sample(a) => sample_cmd::run(a),
        Command::Run(a) => run_cmd::run(a),
        Command::Verify(a) => run_cmd::verify(a),
        Command::Keygen(a) => run_cmd::keygen(a),
        Command::Reveal(a) => run_cmd::reveal(a),
        Command::Report(a) => report_cmd::run(a),
        Command::Log(c) => log_cmd::run(c),
        Command::Risk(a) => risk_cmd::run(a),
        Command::Transform(a) => transform_cmd::run(a),
    };
    code.into()
}

#[cfg(test)]
mod tests {
    /// The hook never prints a panic's message (which may hold a cell value), in any thread;
    /// a panic caught by `catch_panic` prints nothing at all. Checked in a child process,
    /// since a panic hook is process-wide.
    #[test]
    fn panic_hook_withholds_the_message() {
        const SECRET: &str = "Arbën Krasniqi 1234567890";
        if std::env::var_os("ANONKOS_PANIC_CHILD").is_some() {
            super::install_panic_hook();
            let caught = crate::error::catch_panic(|| panic!("caught {SECRET}"));
            assert!(caught.is_err());
            let v = String::from(SECRET);
            let t = std::thread::spawn(move || {
                // Slicing inside `ë` panics with a message quoting the whole string.
                let cut = std::hint::black_box(4);
                v[..cut].len()
            });
            assert!(t.join().is_err());
            panic!("main {SECRET}");
        }
        let exe = std::env::current_exe().unwrap();
        let o = std::process::Command::new(exe)
            .args([
                "--exact",
                "cli::tests::panic_hook_withholds_the_message",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("ANONKOS_PANIC_CHILD", "1")
            .output()
            .unwrap();
        let text =
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "the child must fail: {text}");
        assert_eq!(
            text.matches("internal error (please report this as a bug)")
                .count(),
            2,
            "one line per uncaught panic, none for the caught one: {text}"
        );
        assert!(text.contains("src/cli/mod.rs"), "{text}");
        for part in ["Krasniqi", "1234567890", "Arb"] {
            assert!(
                !text.contains(part),
                "panic message leaked `{part}`: {text}"
            );
        }
    }
}
