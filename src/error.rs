//! One error type for the whole engine. Input errors carry a [`Location`] naming the dataset,
//! row and column; no variant ever holds a raw cell value (use [`crate::redact::Masked`]).
use std::fmt;
use std::path::PathBuf;

/// Where in the input an error happened. Rows are 1-based data rows (the header is row 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The dataset as the user named it (path or URL without password), plus `:table` if any.
    pub dataset: String,
    /// 1-based data row, when known.
    pub row: Option<u64>,
    /// Column name, when known.
    pub column: Option<String>,
}

impl Location {
    /// A location naming only the dataset.
    pub fn dataset(dataset: impl Into<String>) -> Self {
        Location {
            dataset: dataset.into(),
            row: None,
            column: None,
        }
    }

    /// The same dataset at a given row.
    pub fn at_row(&self, row: u64) -> Self {
        Location {
            row: Some(row),
            ..self.clone()
        }
    }

    /// The same location narrowed to a column.
    pub fn in_column(&self, column: impl Into<String>) -> Self {
        Location {
            column: Some(column.into()),
            ..self.clone()
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.dataset)?;
        match (&self.row, &self.column) {
            (Some(r), Some(c)) => write!(f, ": row {r}, column \"{c}\""),
            (Some(r), None) => write!(f, ": row {r}"),
            (None, Some(c)) => write!(f, ": column \"{c}\""),
            (None, None) => Ok(()),
        }
    }
}

/// Every error the engine can report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is unreadable or malformed at a known place.
    #[error("{loc}: {msg}")]
    Input {
        /// Where.
        loc: Location,
        /// What went wrong (never a raw value).
        msg: String,
    },
    /// A configuration or pattern file is invalid.
    #[error("{path}{}: {msg}", line.map(|l| format!(": line {l}")).unwrap_or_default())]
    Config {
        /// The file.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What went wrong.
        msg: String,
    },
    /// An operating-system I/O error on a named path.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An output could not be written (exit code 4).
    #[error("cannot write {}: {source}", path.display())]
    Output {
        /// The output file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The command line asks for something impossible.
    #[error("{0}")]
    Usage(String),
    /// Stopped by Ctrl-C or SIGTERM (exit code 130); nothing was renamed into place.
    #[error("interrupted")]
    Interrupted,
    /// A bug in anonkos; the message asks the user to report it.
    #[error("internal error (please report this as a bug): {0}")]
    Internal(String),
}

impl Error {
    /// An input error at `loc`.
    pub fn input(loc: Location, msg: impl Into<String>) -> Self {
        Error::Input {
            loc,
            msg: msg.into(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl Error {
    /// The same error, classed as an output failure when it is an I/O error.
    pub fn on_output(self) -> Self {
        match self {
            Error::Io { path, source } => Error::Output { path, source },
            other => other,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

thread_local! {
    /// Depth of [`catch_panic`] calls on this thread.
    static CATCHING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Run `f` and catch a panic in it (a third-party decoder crashing on malformed input), so the
/// caller can report an input error with a location instead. While `f` runs,
/// [`panic_is_caught`] is true on this thread, which keeps the CLI's panic hook silent about a
/// panic that is handled.
pub fn catch_panic<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    CATCHING.with(|c| c.set(c.get() + 1));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(c.get().saturating_sub(1)));
    r
}

/// Whether the current thread is inside [`catch_panic`].
pub fn panic_is_caught() -> bool {
    CATCHING.with(|c| c.get() > 0)
}
