//! The processing log of Art. 14(1.5) of Law 03/L-172 ("when personal data were … processed,
//! and who did so"): an append-only, hash-chained JSON Lines file.
//!
//! Each line is one entry:
//!
//! ```json
//! {"schema":"anonkos.log/v1","seq":1,"prev":"000…000","record":{…},"hash":"…"}
//! ```
//!
//! * `record` is a [`Record`]: user, host, time, command, pipeline and its SHA-256, inputs
//!   and outputs with SHA-256 and row counts, and the verification result. It holds **no
//!   personal value** (paths, hashes, counts, column names only);
//! * `hash` = SHA-256 of `"anonkos.log/v1\n{seq}\n{prev}\n{record}"`, where `{record}` is the
//!   record's JSON with keys in sorted order (as written);
//! * `prev` is the previous entry's `hash` (64 zeros for the first), `seq` counts from 1.
//!
//! [`verify`] recomputes the chain: an edited line breaks its hash, a deleted, inserted or
//! moved line breaks `seq` and `prev`. Removing lines **from the end** leaves a valid shorter
//! chain; to detect that, keep the head hash ([`VerifyReport::head`]) elsewhere (e.g. in
//! the run report or a ticket) and check it with `anonkos log verify --expect-head`.
//!
//! [`ProcessingLog::append`] verifies the existing chain first and refuses to extend a broken
//! one; it holds an exclusive lock on `FILE.lock` while it reads and rewrites the file, and
//! writes through [`AtomicFile`] (so a crash never leaves a half-written line).
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::sink::atomic::AtomicFile;

/// The schema of a log line.
pub const LOG_SCHEMA: &str = "anonkos.log/v1";

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A file read or written by a run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileRecord {
    /// Path or URL (without password), as given.
    pub path: String,
    /// SHA-256 of the file (hex), when it is a file.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Rows read or written.
    #[serde(default)]
    pub rows: Option<u64>,
}

impl FileRecord {
    /// A record for a local file, hashing it (streamed).
    pub fn of_file(path: &Path, rows: Option<u64>) -> Result<FileRecord> {
        Ok(FileRecord {
            path: path.display().to_string(),
            sha256: Some(sha256_file(path)?),
            rows,
        })
    }
}

/// The verification result of a run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogVerification {
    /// Whether the outputs passed.
    pub passed: bool,
    /// Columns still classified as direct identifiers (names only).
    #[serde(default)]
    pub remaining_direct_identifiers: Vec<String>,
}

/// One processing operation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// Operating-system user.
    pub user: String,
    /// Host name.
    pub host: String,
    /// RFC 3339 UTC time.
    pub time: String,
    /// The command (subcommand and options; never cell values).
    pub command: String,
    /// Pipeline file.
    #[serde(default)]
    pub pipeline: Option<String>,
    /// SHA-256 of the pipeline file.
    #[serde(default)]
    pub pipeline_sha256: Option<String>,
    /// Inputs.
    #[serde(default)]
    pub inputs: Vec<FileRecord>,
    /// Outputs.
    #[serde(default)]
    pub outputs: Vec<FileRecord>,
    /// Verification of the outputs.
    #[serde(default)]
    pub verification: Option<LogVerification>,
    /// Art. 12(3): recipient and legal basis of the outputs, when the pipeline names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure: Option<crate::config::pipeline::DisclosureSpec>,
}

impl Record {
    /// A record for `command`, with user, host and time filled from the environment.
    pub fn new(command: impl Into<String>) -> Record {
        Record {
            user: current_user(),
            host: current_host(),
            time: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            command: command.into(),
            pipeline: None,
            pipeline_sha256: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            verification: None,
            disclosure: None,
        }
    }
}

fn current_user() -> String {
    for v in ["USER", "LOGNAME", "USERNAME"] {
        if let Ok(u) = std::env::var(v)
            && !u.is_empty()
        {
            return u;
        }
    }
    "unknown".into()
}

fn current_host() -> String {
    if let Ok(h) = std::env::var("HOSTNAME")
        && !h.is_empty()
    {
        return h;
    }
    for p in ["/proc/sys/kernel/hostname", "/etc/hostname"] {
        #[allow(clippy::disallowed_methods)] // a one-line system file
        if let Ok(h) = std::fs::read_to_string(p) {
            let h = h.trim();
            if !h.is_empty() {
                return h.to_string();
            }
        }
    }
    "unknown".into()
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    crate::digest::sha256_file(path).map(|(sha, _)| sha)
}

fn entry_hash(seq: u64, prev: &str, record_json: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("{LOG_SCHEMA}\n{seq}\n{prev}\n{record_json}").as_bytes());
    crate::digest::hex(&h.finalize())
}

/// One line of the log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    /// `anonkos.log/v1`.
    pub schema: String,
    /// 1-based position.
    pub seq: u64,
    /// Hash of the previous entry.
    pub prev: String,
    /// The record.
    pub record: serde_json::Value,
    /// This entry's hash.
    pub hash: String,
}

/// A problem found by [`verify`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The result of [`verify`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VerifyReport {
    /// Entries read.
    pub entries: u64,
    /// Hash of the last entry (the head), or the genesis value for an empty log.
    pub head: String,
    /// Problems; empty when the chain is intact.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether the chain is intact.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Check a log's chain. I/O errors are errors; a broken chain is a report with problems.
pub fn verify(path: &Path) -> Result<VerifyReport> {
    let text = read_log(path)?;
    Ok(verify_text(&text))
}

fn read_log(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    String::from_utf8(bytes).map_err(|_| {
        Error::input(
            crate::Location::dataset(path.display().to_string()),
            "the processing log is not UTF-8 (tampered or not a log)",
        )
    })
}

/// [`verify`] on text already read.
pub fn verify_text(text: &str) -> VerifyReport {
    let mut problems = Vec::new();
    let mut prev = GENESIS.to_string();
    let mut entries = 0u64;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            problems.push(Problem {
                line: n,
                message: "empty line".into(),
            });
            continue;
        }
        entries += 1;
        let e: Entry = match serde_json::from_str(line) {
            Ok(e) => e,
            Err(err) => {
                problems.push(Problem {
                    line: n,
                    message: format!("not a log entry ({err})"),
                });
                continue;
            }
        };
        if e.schema != LOG_SCHEMA {
            problems.push(Problem {
                line: n,
                message: format!("unknown schema {:?}", e.schema),
            });
        }
        if e.seq != entries {
            problems.push(Problem {
                line: n,
                message: format!(
                    "sequence number {} where {} was expected: an entry was deleted, inserted or moved",
                    e.seq, entries
                ),
            });
        }
        if e.prev != prev {
            problems.push(Problem {
                line: n,
                message:
                    "does not chain to the entry before it (deleted, inserted or reordered entries)"
                        .into(),
            });
        }
        let record_json = serde_json::to_string(&e.record).unwrap_or_default();
        if entry_hash(e.seq, &e.prev, &record_json) != e.hash {
            problems.push(Problem {
                line: n,
                message: "contents changed after the entry was written (hash mismatch)".into(),
            });
        }
        prev = e.hash;
    }
    if !text.is_empty() && !text.ends_with('\n') {
        problems.push(Problem {
            line: text.lines().count(),
            message: "the last line is incomplete (no newline)".into(),
        });
    }
    VerifyReport {
        entries,
        head: prev,
        problems,
    }
}

/// The log file API.
pub struct ProcessingLog;

impl ProcessingLog {
    /// Append `record` to the log at `path` (created if missing) and return the new entry.
    /// Refuses to extend a log whose chain is broken.
    pub fn append(path: &Path, record: &Record) -> Result<Entry> {
        let lock_path = lock_path(path);
        let lock = crate::sink::atomic::open_lock_file(&lock_path)?;
        lock.lock().map_err(|e| Error::io(&lock_path, e))?;
        let existing = match std::fs::metadata(path) {
            Ok(_) => read_log(path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::io(path, e)),
        };
        let report = verify_text(&existing);
        if !report.ok() {
            let first = &report.problems[0];
            return Err(Error::input(
                crate::Location::dataset(path.display().to_string()),
                format!(
                    "the processing log is broken (line {}: {}); not appending — run `anonkos log verify`",
                    first.line, first.message
                ),
            ));
        }
        let value = serde_json::to_value(record)
            .map_err(|e| Error::Internal(format!("log record: {e}")))?;
        let record_json = serde_json::to_string(&value)
            .map_err(|e| Error::Internal(format!("log record: {e}")))?;
        let seq = report.entries + 1;
        let hash = entry_hash(seq, &report.head, &record_json);
        let entry = Entry {
            schema: LOG_SCHEMA.into(),
            seq,
            prev: report.head,
            record: value,
            hash,
        };
        let line = serde_json::to_string(&entry)
            .map_err(|e| Error::Internal(format!("log entry: {e}")))?;
        let mut f = AtomicFile::create(path)?;
        f.write_all(existing.as_bytes())
            .and_then(|()| f.write_all(line.as_bytes()))
            .and_then(|()| f.write_all(b"\n"))
            .map_err(|e| Error::io(path, e))?;
        f.commit()?;
        drop(lock);
        Ok(entry)
    }

    /// Read every entry (for `anonkos log show`); lines that do not parse are skipped and
    /// reported by [`verify`].
    pub fn entries(path: &Path) -> Result<Vec<Entry>> {
        let text = read_log(path)?;
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests tamper with the log directly
mod tests {
    use super::*;

    fn rec(i: u64) -> Record {
        let mut r = Record::new(format!("run pipelines/research-release.toml #{i}"));
        r.inputs.push(FileRecord {
            path: "sample-data/patients.csv".into(),
            sha256: Some("ab".repeat(32)),
            rows: Some(300),
        });
        r.verification = Some(LogVerification {
            passed: true,
            remaining_direct_identifiers: vec![],
        });
        r
    }

    fn log_with(n: u64) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("processing.jsonl");
        for i in 0..n {
            ProcessingLog::append(&p, &rec(i)).unwrap();
        }
        (dir, p)
    }

    fn rewrite(p: &Path, f: impl FnOnce(&mut Vec<String>)) {
        let mut lines: Vec<String> = std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        f(&mut lines);
        let mut s = lines.join("\n");
        s.push('\n');
        crate::sink::atomic::write_atomic(p, s.as_bytes()).unwrap();
    }

    #[test]
    fn appended_log_verifies() {
        let (_d, p) = log_with(3);
        let r = verify(&p).unwrap();
        assert!(r.ok(), "{:?}", r.problems);
        assert_eq!(r.entries, 3);
        let e = ProcessingLog::entries(&p).unwrap();
        assert_eq!(e[2].prev, e[1].hash);
        assert_eq!(r.head, e[2].hash);
    }

    #[test]
    fn edit_is_detected() {
        let (_d, p) = log_with(3);
        rewrite(&p, |l| l[1] = l[1].replace("\"rows\":300", "\"rows\":299"));
        let r = verify(&p).unwrap();
        assert!(!r.ok());
        assert_eq!(r.problems[0].line, 2);
        assert!(r.problems[0].message.contains("hash mismatch"));
        // And append refuses to extend it.
        assert!(ProcessingLog::append(&p, &rec(9)).is_err());
    }

    #[test]
    fn deletion_and_reordering_are_detected() {
        let (_d, p) = log_with(4);
        rewrite(&p, |l| {
            l.remove(1);
        });
        let r = verify(&p).unwrap();
        assert!(
            r.problems
                .iter()
                .any(|x| x.line == 2 && x.message.contains("sequence"))
        );

        let (_d2, p2) = log_with(4);
        rewrite(&p2, |l| l.swap(1, 2));
        let r = verify(&p2).unwrap();
        assert!(!r.ok());
        assert!(r.problems.iter().any(|x| x.message.contains("chain")));
    }

    #[test]
    fn truncation_from_the_end_changes_the_head() {
        let (_d, p) = log_with(3);
        let head = verify(&p).unwrap().head;
        rewrite(&p, |l| {
            l.pop();
        });
        let r = verify(&p).unwrap();
        assert!(r.ok());
        assert_ne!(r.head, head);
    }

    #[test]
    fn garbage_is_a_problem_not_a_panic() {
        let r = verify_text("{not json\n\n{\"schema\":1}\n");
        assert!(r.problems.len() >= 3);
    }
}
