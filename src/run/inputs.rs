//! A run's inputs: the given paths, globs and database URLs expanded into files and tables,
//! and the names their outputs take.
//!
//! In: the pipeline's inputs or `--input` (text). Out: the [`Input`]s to scan and read (a file
//! path, or a URL shown without its password), and file-name stems for the outputs.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::source;

/// One input after expansion: a file or a database URL.
#[derive(Debug, Clone)]
pub(crate) struct Input {
    pub(crate) display: String,
    pub(crate) path: Option<PathBuf>,
}

pub(super) fn expand_inputs(inputs: &[String]) -> Result<Vec<Input>> {
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

/// Database URLs are kept verbatim (with any password) only in memory, to reconnect.
pub(crate) fn url_of(input: &Input, given: &[String]) -> String {
    given
        .iter()
        .find(|g| source::db::redact_url(g) == input.display)
        .cloned()
        .unwrap_or_else(|| input.display.clone())
}

pub(super) fn unique(used: &mut BTreeMap<String, usize>, name: String) -> String {
    let n = used.entry(name.clone()).or_insert(0);
    *n += 1;
    if *n == 1 { name } else { format!("{name}-{n}") }
}

/// A file-name stem for an input: `patients.csv.gz` → `patients`, a URL → its database.
pub(super) fn stem(display: &str) -> String {
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
pub(super) fn safe_name(name: &str) -> String {
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
