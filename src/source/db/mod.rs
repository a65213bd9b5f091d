//! Live databases: PostgreSQL ([`postgres`]) and MariaDB/MySQL ([`mysql`]).
//!
//! Every selected table is one dataset named `schema.table` (MySQL: `database.table`), with
//! the URL, password removed, as its source. Connections are read-only sessions; each table
//! is read on its own thread and connection, opened when the table is scanned (see
//! [`super::producer`]), so one unreadable table (say, permission denied) fails alone while
//! the others are scanned. Passwords never appear in messages, reports or
//! [`super::DatasetInfo::source`]: URLs go through [`redact_url`] and driver messages through
//! [`Secret::scrub`].
//!
//! A table with a single-column integer primary key is read in key order and, for
//! `--shard`, splits into `n` key ranges (`KeyedSource`, `key_bounds`); both servers share
//! that logic so their sharded parts follow the same rules.
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::producer::ProducerSource;
use super::{DatasetInfo, ReadOptions, RowCount, Source};
use crate::error::{Error, Location, Result};

pub mod mycnf;
pub mod mysql;
pub mod pgpass;
pub mod postgres;
pub mod tls;
mod url_secret;

pub use url_secret::{redact_url, refuse_key_values};

/// How long to wait for a server to accept a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// While alive, runs `cancel` if Ctrl-C arrives, and again every half second until dropped: an
/// interrupt that arrives just before the query starts would otherwise cancel nothing. A reader blocked in a driver call
/// (a `COPY` of a view over `pg_sleep`, a MariaDB result set) never reaches the loops that
/// poll the interrupt flag, and its query would go on on the server after anonkos exits; the
/// watch cancels it server-side (PostgreSQL cancel request, MariaDB `KILL QUERY`).
pub(crate) struct CancelOnInterrupt {
    done: Arc<std::sync::atomic::AtomicBool>,
}

impl CancelOnInterrupt {
    /// Watch for Ctrl-C on a thread of its own until the guard is dropped.
    pub(crate) fn new(name: &str, cancel: impl Fn() + Send + 'static) -> Self {
        use std::sync::atomic::Ordering;
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = done.clone();
        // Without the thread the query could only be bounded by its statement timeout.
        let _ = std::thread::Builder::new()
            .name(format!("cancel:{name}"))
            .spawn(move || {
                while !seen.load(Ordering::Relaxed) {
                    if crate::interrupt::requested() {
                        cancel();
                        std::thread::sleep(Duration::from_millis(500));
                        continue;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
        CancelOnInterrupt { done }
    }
}

impl Drop for CancelOnInterrupt {
    fn drop(&mut self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Milliseconds of a timeout, at least 1 (0 would mean "no timeout" to both servers).
pub(crate) fn millis(d: Duration) -> u128 {
    d.as_millis().max(1)
}

/// What to add to a message about a statement the server stopped for its timeout.
pub(crate) fn timeout_hint(d: Duration) -> String {
    format!(
        " (the statement ran longer than the statement timeout of {} s: --statement-timeout, \
         or [scan] statement_timeout in a pipeline)",
        d.as_secs_f64()
    )
}

/// Open every selected table of a database URL.
pub fn open_url(url: &str, opts: &ReadOptions) -> Result<Vec<Box<dyn Source>>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        postgres::open(url, opts)
    } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
        mysql::open(url, opts)
    } else {
        Err(Error::input(
            Location::dataset(redact_url(url)),
            "not a database URL (expected postgres://, postgresql://, mysql:// or mariadb://)",
        ))
    }
}

/// Decode `%xx` escapes (URL user-info); invalid escapes are kept as they are.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every form of a password that must never be shown.
#[derive(Debug, Clone, Default)]
pub struct Secret {
    forms: Vec<String>,
}

impl Secret {
    /// Every string that a driver could read as a password in `url` (user-info and password
    /// parameters, under every grammar; see `url_secret::secret_candidates`).
    pub fn from_url(url: &str) -> Self {
        let mut s = Secret::default();
        for p in url_secret::secret_candidates(url) {
            s.add(&p);
        }
        s
    }

    /// Also hide `password` (raw and percent-decoded).
    pub fn add(&mut self, password: &str) {
        for form in [password.to_string(), percent_decode(password)] {
            if !form.is_empty() && !self.forms.contains(&form) {
                self.forms.push(form);
            }
        }
        // Longest first, so a password containing another one is removed whole.
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    /// `msg` with every form of the password replaced by `***`.
    pub fn scrub(&self, msg: &str) -> String {
        let mut out = msg.to_string();
        for f in &self.forms {
            out = out.replace(f.as_str(), "***");
        }
        out
    }
}

/// An input error at `loc` whose message is scrubbed of `secret`.
pub fn db_error(loc: &Location, secret: &Secret, msg: impl AsRef<str>) -> Error {
    Error::input(loc.clone(), secret.scrub(msg.as_ref()))
}

pub use crate::digest::hex;

/// Choose the share of a table to sample so that about `want` rows come back from about
/// `estimated` rows, as a fraction in (0, 1].
pub fn sample_fraction(want: usize, estimated: f64) -> f64 {
    if estimated <= 0.0 {
        return 1.0;
    }
    (want as f64 / estimated).clamp(1e-6, 1.0)
}

/// Which key ranges of `n` a sharded run reads; set by [`Source::select_units`] before the
/// reader thread reads it (`None`: the whole table).
pub(crate) type PartCell = Arc<Mutex<Option<(Range<usize>, usize)>>>;

/// The key ranges chosen in `cell`, if any.
pub(crate) fn selected_part(cell: &PartCell) -> Result<Option<(Range<usize>, usize)>> {
    cell.lock()
        .map(|g| g.clone())
        .map_err(|_| Error::Internal("database reader: shard state poisoned".into()))
}

/// A table source that a sharded run can restrict to key ranges: `n` units of equal
/// estimated weight when the table has an integer key (`keyed`), one unit otherwise. The
/// reader thread behind `inner` reads the choice from the shared [`PartCell`].
pub(crate) struct KeyedSource {
    /// The table's reader.
    pub inner: ProducerSource,
    /// The key ranges to read, shared with the reader thread.
    pub part: PartCell,
    /// Whether the table has a single-column integer primary key.
    pub keyed: bool,
    /// Estimated size (rows × columns × 8), the weight of the table's units.
    pub est_bytes: u64,
}

impl Source for KeyedSource {
    fn info(&self) -> &DatasetInfo {
        self.inner.info()
    }
    fn schema(&self) -> arrow_schema::SchemaRef {
        self.inner.schema()
    }
    fn next_batch(&mut self) -> Result<Option<crate::value::Batch>> {
        self.inner.next_batch()
    }
    fn rows_total(&self) -> Option<RowCount> {
        self.inner.rows_total()
    }
    fn shard_units(&self, n: usize) -> Option<Vec<u64>> {
        if self.keyed && n > 1 {
            Some(vec![self.est_bytes / n as u64; n])
        } else {
            Some(vec![self.est_bytes])
        }
    }
    fn select_units(&mut self, range: Range<usize>, n: usize) -> Result<()> {
        if !(self.keyed && n > 1) {
            return if range == (0..1) {
                Ok(())
            } else {
                Err(Error::Internal(format!(
                    "{}: a table without an integer key is one shard unit",
                    self.info().location()
                )))
            };
        }
        let mut cell = self
            .part
            .lock()
            .map_err(|_| Error::Internal("database reader: shard state poisoned".into()))?;
        *cell = Some((range, n));
        Ok(())
    }
}

/// Bounds `lo..=hi` of key ranges `range` of `n` over `min..=max` (`None`: empty). The span
/// is cut into `n` equal widths; `i128` holds both `bigint` and MariaDB's `bigint unsigned`
/// keys, and `span × j` cannot overflow for any `n` up to the shard limit.
pub(crate) fn key_bounds(
    min: i128,
    max: i128,
    range: &Range<usize>,
    n: usize,
) -> Option<(i128, i128)> {
    let span = max - min + 1;
    let at = |j: usize| min + span * j as i128 / n.max(1) as i128;
    let (lo, hi) = (at(range.start), at(range.end) - 1);
    (lo <= hi).then_some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ranges_tile_the_span() {
        let spans: [(i128, i128); 6] = [
            (1, 10),
            (-5, 5),
            (7, 7),
            (i64::MIN.into(), i64::MAX.into()),
            (0, u64::MAX.into()),
            (1, 2),
        ];
        for (min, max) in spans {
            for n in 1..=5 {
                let mut next = min;
                for j in 0..n {
                    if let Some((lo, hi)) = key_bounds(min, max, &(j..j + 1), n) {
                        assert_eq!(lo, next, "{min}..{max} {j}/{n}");
                        assert!(hi <= max, "{min}..{max} {j}/{n}");
                        next = hi + 1;
                    }
                }
                assert_eq!(next, max + 1, "{min}..{max} /{n}");
                assert_eq!(key_bounds(min, max, &(0..n), n), Some((min, max)));
            }
        }
    }

    #[test]
    fn passwords_are_removed() {
        assert_eq!(
            redact_url("postgres://u:s3cret@127.0.0.1:5432/db"),
            "postgres://u@127.0.0.1:5432/db"
        );
        assert_eq!(
            redact_url("mysql://root@localhost/test"),
            "mysql://root@localhost/test"
        );
        assert_eq!(redact_url("mariadb://a:b:c@h/d"), "mariadb://a@h/d");
        assert_eq!(
            redact_url("postgres://u:p@w@h/d?sslmode=disable&password=x"),
            "postgres://u@h/d?sslmode=disable"
        );
        assert_eq!(redact_url("postgres://h/d?password=x"), "postgres://h/d");
        assert_eq!(redact_url("postgres://h/d"), "postgres://h/d");
    }

    #[test]
    fn secrets_are_scrubbed_in_every_form() {
        let s = Secret::from_url("postgres://u:s3cret%40x@h/d?password=other");
        let msg = "auth failed for s3cret%40x / s3cret@x / other";
        let clean = s.scrub(msg);
        assert!(
            !clean.contains("s3cret") && !clean.contains("other"),
            "{clean}"
        );
        let none = Secret::from_url("mysql://root@h:3306");
        assert_eq!(none.scrub("root@h"), "root@h");
    }

    #[test]
    fn dispatch_rejects_other_schemes() {
        let e = match open_url("sqlite://x", &ReadOptions::default()) {
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        };
        assert!(e.contains("not a database URL"), "{e}");
        assert_eq!(percent_decode("a%40b%zz%4"), "a@b%zz%4");
        assert!((sample_fraction(10, 1000.0) - 0.01).abs() < 1e-12);
        assert_eq!(sample_fraction(10, 0.0), 1.0);
    }
}
