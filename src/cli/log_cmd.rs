//! `anonkos log verify|show`: the hash-chained processing log of Art. 14(1.5).
use std::fmt::Write;
use std::path::PathBuf;

use clap::Subcommand;

use super::{Exit, exit_for, output};
use crate::report::processing_log::{ProcessingLog, verify};

/// `anonkos log …`.
#[derive(Debug, Subcommand)]
pub enum LogCmd {
    /// Check the hash chain; exit 1 if an entry was edited, deleted, inserted or reordered.
    Verify {
        /// The log file (JSON Lines).
        file: PathBuf,
        /// Also require this head hash (detects entries removed from the end).
        #[arg(long, value_name = "HASH")]
        expect_head: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the entries, one line each (or the raw JSON Lines with --json).
    Show {
        /// The log file (JSON Lines).
        file: PathBuf,
        /// Print the entries as JSON Lines.
        #[arg(long)]
        json: bool,
    },
}

/// Run the subcommand.
pub fn run(c: LogCmd) -> Exit {
    match c {
        LogCmd::Verify {
            file,
            expect_head,
            json,
        } => {
            let mut r = match verify(&file) {
                Ok(r) => r,
                Err(e) => {
                    output::err(&e.to_string());
                    return exit_for(&e);
                }
            };
            if let Some(h) = expect_head
                && h != r.head
            {
                r.problems
                    .push(crate::report::processing_log::Problem {
                        line: r.entries as usize,
                        message: format!(
                            "head is {} but {h} was expected: entries were removed from the end or the log was replaced",
                            r.head
                        ),
                    });
            }
            let text = if json {
                let mut s = serde_json::to_string_pretty(&r).unwrap_or_default();
                s.push('\n');
                s
            } else if r.ok() {
                format!(
                    "{}: intact, {} entries, head {}\n",
                    file.display(),
                    r.entries,
                    r.head
                )
            } else {
                let mut s = format!(
                    "{}: TAMPERED ({} problems in {} entries)\n",
                    file.display(),
                    r.problems.len(),
                    r.entries
                );
                for p in &r.problems {
                    let _ = writeln!(s, "  line {}: {}", p.line, p.message);
                }
                s
            };
            let _ = if json {
                output::out(&text)
            } else {
                output::out_text(&text)
            };
            if r.ok() { Exit::Ok } else { Exit::Policy }
        }
        LogCmd::Show { file, json } => {
            let entries = match ProcessingLog::entries(&file) {
                Ok(e) => e,
                Err(e) => {
                    output::err(&e.to_string());
                    return exit_for(&e);
                }
            };
            let mut s = String::new();
            for e in &entries {
                if json {
                    let _ = writeln!(s, "{}", serde_json::to_string(e).unwrap_or_default());
                    continue;
                }
                let r = &e.record;
                let get = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("?").to_string();
                let count = |k: &str| r.get(k).and_then(|v| v.as_array()).map_or(0, Vec::len);
                let verdict = match r.get("verification").and_then(|v| v.get("passed")) {
                    Some(serde_json::Value::Bool(true)) => "verified",
                    Some(serde_json::Value::Bool(false)) => "VERIFICATION FAILED",
                    _ => "not verified",
                };
                let _ = writeln!(
                    s,
                    "#{} {} {}@{} {} · {} inputs → {} outputs · {}",
                    e.seq,
                    get("time"),
                    get("user"),
                    get("host"),
                    get("command"),
                    count("inputs"),
                    count("outputs"),
                    verdict
                );
            }
            // The command line names the inputs, which may be any file name.
            let written = if json {
                output::out(&s)
            } else {
                output::out_text(&s)
            };
            if let Err(e) = written {
                output::err(&format!("stdout: {e}"));
                return Exit::Output;
            }
            Exit::Ok
        }
    }
}
