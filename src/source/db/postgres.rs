//! Live PostgreSQL through the synchronous `postgres` crate.
//!
//! * **Connection.** `postgres://` / `postgresql://` URLs as libpq reads them (query
//!   parameters included). The password comes from the URL, else `PGPASSWORD`, else the
//!   password file ([`super::pgpass`]).
//! * **TLS.** `sslmode=disable|prefer|require|verify-ca|verify-full` and `sslrootcert=PATH`
//!   as libpq reads them (see [`super::tls`]), else `PGSSLMODE`/`PGSSLROOTCERT`; default
//!   `prefer`. The rustls connector
//!   ([`PgTls`]) serves the data connections and their cancel requests alike. Whether a
//!   session is encrypted is asked of the server (`pg_stat_ssl`), for the report.
//! * **Timeouts.** Every session sets `statement_timeout`: [`ReadOptions::read_timeout`] for a
//!   table's read, [`ReadOptions::quick_timeout`] for the catalogue; a table whose read runs
//!   longer fails alone, naming the table. At Ctrl-C the running query is cancelled on the
//!   server (a cancel request), and `client_connection_check_interval` (PostgreSQL 14+) makes
//!   the server stop the query of a client that went away.
//! * **Read-only.** Every session runs `SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`
//!   and reads inside `BEGIN READ ONLY`.
//! * **Tables.** Ordinary and partitioned tables (partitions are read through their parent),
//!   views, materialized views and foreign tables of every schema except `pg_catalog`,
//!   `information_schema` and the toast/temp schemas; named `schema.table`. Column types come
//!   from `format_type`.
//! * **Sampling** (`sample_rows = Some(n)`). The planner's estimate `pg_class.reltuples`
//!   decides: unknown (never analysed) or at most `4n` rows → `LIMIT n`; views and foreign
//!   tables → `LIMIT n`; otherwise `TABLESAMPLE SYSTEM (p) REPEATABLE (…)` with `p` chosen to
//!   return about `2n` rows from pages spread over the whole table, of which `n` are kept in
//!   a seeded random order (so reruns give the same sample). When SYSTEM returns fewer than
//!   `n/2` rows (stale statistics, very wide rows), the query is repeated with `BERNOULLI`
//!   (reads every page, still sends only the sample). The row count is then the estimate.
//! * **Full read.** `COPY (SELECT …) TO STDOUT`, streamed line by line with a bounded line
//!   buffer and decoded with [`crate::source::sqldump::copy::split_line`]; the row count is
//!   exact. A table with a single-column integer primary key is read `ORDER BY` that key, so
//!   the row order does not depend on the physical layout.
//! * **Shards.** Such a table splits into `n` key ranges for `--shard` (the span
//!   `min(key)..=max(key)` cut into `n` equal widths); a range is read with
//!   `WHERE key BETWEEN lo AND hi ORDER BY key`, and its row numbers start after the
//!   `count(*)` of smaller keys, so they match a full read. Shards read in separate
//!   transactions: the table must not change while a sharded run is in progress.
use std::borrow::Cow;
use std::io::{BufRead, Read};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use postgres::config::Host;
use postgres::error::SqlState;
use postgres::{Client, Config};

use super::tls::{PgTls, SslMode, TlsOptions, split_postgres_env};
use super::{
    CONNECT_TIMEOUT, CancelOnInterrupt, KeyedSource, PartCell, Secret, db_error, key_bounds,
    millis, pgpass, redact_url, sample_fraction, selected_part, timeout_hint,
};
use crate::error::{Error, Location, Result};
use crate::source::producer::{Emit, Producer, ProducerSource};
use crate::source::rows::{RowBatcher, quote_ident, text_schema};
use crate::source::sqldump::copy::{CopyError, split_line};
use crate::source::{DatasetInfo, Format, ReadOptions, RowCount, Source, table_selected};

/// Seed for `REPEATABLE` and `setseed`, so sampled scans are reproducible.
const SAMPLE_SEED: u32 = 2024;

/// One relation from the catalog.
#[derive(Debug, Clone)]
struct Table {
    schema: String,
    name: String,
    /// `r` table, `p` partitioned table, `v` view, `m` materialized view, `f` foreign table.
    kind: String,
    /// `pg_class.reltuples` (summed over partitions); negative when unknown.
    reltuples: f64,
    columns: Vec<(String, Option<String>)>,
    /// The single-column integer primary key, if there is one.
    key: Option<String>,
}

impl Table {
    fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    /// Whether `TABLESAMPLE` applies.
    fn samplable(&self) -> bool {
        matches!(self.kind.as_str(), "r" | "p" | "m")
    }
}

/// A driver error as one line (server message and SQLSTATE when there is one).
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => {
            let mut msg = e.to_string();
            if let Some(src) = std::error::Error::source(e) {
                let src = src.to_string();
                if !msg.contains(&src) {
                    msg = format!("{msg}: {src}");
                }
            }
            msg
        }
    }
}

/// Where to connect and how.
#[derive(Clone)]
struct Target {
    config: Config,
    tls: TlsOptions,
    connector: PgTls,
}

impl Target {
    /// The host of the URL, for messages.
    fn host(&self) -> String {
        match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            _ => "the server".to_string(),
        }
    }
}

/// The connection settings of `url` with the password filled in from `PGPASSWORD` or the
/// password file when the URL has none, and its TLS settings; `secret` learns every password
/// used.
fn target(url: &str, loc: &Location, secret: &mut Secret) -> Result<Target> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (rest, tls) = split_postgres_env(url, &env)
        .map_err(|e| db_error(loc, secret, format!("invalid URL: {e}")))?;
    let mut config = config(&rest, loc, secret)?;
    config.ssl_mode(PgTls::driver_mode(tls.mode));
    let connector = PgTls::new(&tls).map_err(|e| db_error(loc, secret, e))?;
    Ok(Target {
        config,
        tls,
        connector,
    })
}

/// The connection settings of `url` (without TLS parameters) with the password filled in
/// from `PGPASSWORD` or the password file when the URL has none; `secret` learns every
/// password used.
fn config(url: &str, loc: &Location, secret: &mut Secret) -> Result<Config> {
    let mut config: Config = url.parse().map_err(|e: postgres::Error| {
        db_error(loc, secret, format!("invalid URL: {}", describe(&e)))
    })?;
    if let Some(pw) = config.get_password() {
        secret.add(&String::from_utf8_lossy(pw));
    } else if let Some(pw) = std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()) {
        secret.add(&pw);
        config.password(pw);
    } else {
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            _ => "localhost".to_string(),
        };
        let user = config
            .get_user()
            .map(str::to_string)
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_default();
        let database = config.get_dbname().unwrap_or(&user).to_string();
        let q = pgpass::PgPassQuery {
            host: &host,
            port: config.get_ports().first().copied().unwrap_or(5432),
            database: &database,
            user: &user,
        };
        if let Some(pw) = pgpass::lookup_file(&q) {
            secret.add(&pw);
            config.password(pw);
        }
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    Ok(config)
}

/// Connect, make the session read-only and bound its statements by `timeout`.
fn connect(target: &Target, loc: &Location, secret: &Secret, timeout: Duration) -> Result<Client> {
    let mut result = target.config.connect(target.connector.clone());
    // libpq's prefer: a TLS handshake that fails (a server that speaks only TLS 1.0/1.1, a
    // certificate rustls cannot read) is retried without TLS. prefer verifies nothing, so
    // this gives up no protection an active attacker could not strip anyway.
    if target.tls.mode == SslMode::Prefer
        && matches!(&result, Err(e) if describe(e).contains("error performing TLS handshake"))
    {
        let mut plain = target.config.clone();
        plain.ssl_mode(postgres::config::SslMode::Disable);
        result = plain.connect(target.connector.clone());
    }
    let mut client = result.map_err(|e| {
        let msg = format!("cannot connect to the server: {}", describe(&e));
        db_error(loc, secret, target.tls.explain(&msg, &target.host()))
    })?;
    client
        .batch_execute(&format!(
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY; \
             SET default_transaction_read_only = on; SET DateStyle = ISO; \
             SET statement_timeout = {}",
            millis(timeout)
        ))
        .map_err(|e| {
            db_error(
                loc,
                secret,
                format!("cannot start a read-only session: {}", describe(&e)),
            )
        })?;
    // PostgreSQL 14+: notice a client that went away (killed, crashed) during a long query
    // and cancel it, instead of running it to its end. Older servers lack the setting; the
    // statement timeout still bounds their queries.
    let _ = client.batch_execute("SET client_connection_check_interval = 1000");
    Ok(client)
}

/// The TLS version of `client`'s session (`None`: not encrypted), as the server reports it.
fn tls_version(client: &mut Client, tls: &TlsOptions) -> Option<String> {
    let sql = "SELECT CASE WHEN ssl THEN coalesce(version, 'TLS') END \
               FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    match client.query_opt(sql, &[]) {
        Ok(row) => row.and_then(|r| r.try_get::<_, Option<String>>(0).ok().flatten()),
        // Only a connection that was asked to be encrypted and was opened is known to be.
        Err(_) => {
            (tls.mode != SslMode::Disable && tls.mode != SslMode::Prefer).then(|| "TLS".to_string())
        }
    }
}

const LIST_SQL: &str = "\
SELECT n.nspname::text, c.relname::text, c.relkind::text,
  CASE WHEN c.relkind = 'p' THEN coalesce((SELECT sum(greatest(ch.reltuples, 0))::float8
      FROM pg_inherits i JOIN pg_class ch ON ch.oid = i.inhrelid WHERE i.inhparent = c.oid), -1)
    ELSE c.reltuples::float8 END,
  a.attname::text, format_type(a.atttypid, a.atttypmod)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
ORDER BY n.nspname, c.relname, a.attnum";

fn list_tables(client: &mut Client) -> std::result::Result<Vec<Table>, postgres::Error> {
    let mut tx = client.build_transaction().read_only(true).start()?;
    let rows = tx.query(LIST_SQL, &[])?;
    tx.commit()?;
    let mut out: Vec<Table> = Vec::new();
    for r in rows {
        let schema: String = r.try_get(0)?;
        let name: String = r.try_get(1)?;
        let column: Option<String> = r.try_get(4)?;
        let ty: Option<String> = r.try_get(5)?;
        let same = out
            .last()
            .is_some_and(|t| t.schema == schema && t.name == name);
        if !same {
            out.push(Table {
                schema,
                name,
                kind: r.try_get(2)?,
                reltuples: r.try_get::<_, Option<f64>>(3)?.unwrap_or(-1.0),
                columns: Vec::new(),
                key: None,
            });
        }
        if let (Some(c), Some(t)) = (column, out.last_mut()) {
            t.columns.push((c, ty));
        }
    }
    let keys = tx_query(client, KEYS_SQL)?;
    for r in keys {
        let (schema, name, column): (String, String, String) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        if let Some(t) = out
            .iter_mut()
            .find(|t| t.schema == schema && t.name == name)
        {
            t.key = Some(column);
        }
    }
    Ok(out)
}

/// Single-column `smallint`/`integer`/`bigint` primary keys (for ordered reads and key-range
/// shard units).
const KEYS_SQL: &str = "\
SELECT n.nspname::text, c.relname::text, a.attname::text
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
WHERE i.indisprimary AND i.indnatts = 1
  AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)";

fn tx_query(
    client: &mut Client,
    sql: &str,
) -> std::result::Result<Vec<postgres::Row>, postgres::Error> {
    let mut tx = client.build_transaction().read_only(true).start()?;
    let rows = tx.query(sql, &[])?;
    tx.commit()?;
    Ok(rows)
}

/// Open every selected table of the PostgreSQL server at `url`.
pub fn open(url: &str, opts: &ReadOptions) -> Result<Vec<Box<dyn Source>>> {
    let shown = redact_url(url);
    let server = Location::dataset(shown.clone());
    let mut secret = Secret::from_url(url);
    let target = target(url, &server, &mut secret)?;
    let mut client = connect(&target, &server, &secret, opts.quick_timeout())?;
    let note = target
        .tls
        .note(tls_version(&mut client, &target.tls).as_deref());
    let tables = list_tables(&mut client).map_err(|e| {
        db_error(
            &server,
            &secret,
            format!("cannot list tables: {}", describe(&e)),
        )
    })?;
    drop(client);
    let mut out: Vec<Box<dyn Source>> = Vec::new();
    for t in tables {
        let full_name = format!("{}.{}", t.schema, t.name);
        if !table_selected(&full_name, opts) {
            continue;
        }
        let info = DatasetInfo {
            source: shown.clone(),
            table: Some(full_name.clone()),
            format: Format::Postgres,
            notes: vec![note.clone()],
        };
        let schema = text_schema(&t.columns);
        let part: PartCell = Arc::new(Mutex::new(None));
        let keyed = t.key.is_some();
        let est_bytes = (t.reltuples.max(1.0) as u64).saturating_mul(8 * t.columns.len() as u64);
        let job = Job {
            timeout: opts.read_timeout(),
            part: part.clone(),
            target: target.clone(),
            loc: info.location(),
            secret: secret.clone(),
            batcher: RowBatcher::new(schema.clone(), opts.batch_rows),
            max_line: opts
                .max_field_bytes
                .saturating_mul(t.columns.len().max(1))
                .saturating_add(t.columns.len()),
            table: t,
        };
        let sample = opts.sample_rows;
        let producer = Producer::new(format!("pg:{full_name}"), move |emit| {
            let mut job = job;
            job.run(emit, sample)
        });
        out.push(Box::new(KeyedSource {
            inner: ProducerSource::new(info, schema, producer),
            part,
            keyed,
            est_bytes,
        }));
    }
    Ok(out)
}

/// Everything a table's reader thread needs.
struct Job {
    target: Target,
    loc: Location,
    secret: Secret,
    table: Table,
    batcher: RowBatcher,
    /// Longest COPY line accepted.
    max_line: usize,
    /// Key ranges to read, for a sharded run.
    part: PartCell,
    /// Statement timeout of the session.
    timeout: Duration,
}

impl Job {
    fn err(&self, what: &str, e: &postgres::Error) -> Error {
        let code = e.as_db_error().map(|db| db.code().clone());
        if code == Some(SqlState::QUERY_CANCELED) {
            if crate::interrupt::requested() {
                return Error::Interrupted;
            }
            let hint = timeout_hint(self.timeout);
            return db_error(
                &self.loc,
                &self.secret,
                format!("{what}: {}{hint}", describe(e)),
            );
        }
        db_error(&self.loc, &self.secret, format!("{what}: {}", describe(e)))
    }

    fn run(&mut self, emit: &Emit, sample: Option<usize>) -> Result<Option<RowCount>> {
        let mut client = connect(&self.target, &self.loc, &self.secret, self.timeout)?;
        // The cancel request is a connection of its own, with the session's TLS settings.
        let (token, tls) = (client.cancel_token(), self.target.connector.clone());
        let _watch = CancelOnInterrupt::new(&self.table.name, move || {
            let _ = token.cancel_query(tls.clone());
        });
        client
            .batch_execute(&format!(
                "BEGIN READ ONLY; SELECT setseed({})",
                f64::from(SAMPLE_SEED % 1000) / 1000.0
            ))
            .map_err(|e| self.err("cannot start a read-only transaction", &e))?;
        if self.table.columns.is_empty() {
            return Ok(None);
        }
        let cols = self
            .table
            .columns
            .iter()
            .map(|(c, _)| quote_ident(c))
            .collect::<Vec<_>>()
            .join(", ");
        let from = self.table.qualified();
        let select = format!("SELECT {cols} FROM {from}");
        let Some(n) = sample else {
            let part = selected_part(&self.part)?;
            let mut select = select;
            if let Some(k) = self.table.key.as_deref().map(quote_ident) {
                if let Some((range, n)) = part {
                    let sql = format!("SELECT min({k})::int8, max({k})::int8 FROM {from}");
                    let row = client
                        .query_one(&sql, &[])
                        .map_err(|e| self.err("cannot read the key range", &e))?;
                    let bounds: std::result::Result<(Option<i64>, Option<i64>), _> =
                        row.try_get(0).and_then(|a| Ok((a, row.try_get(1)?)));
                    let (min, max) =
                        bounds.map_err(|e| self.err("cannot read the key range", &e))?;
                    let Some((lo, hi)) = min
                        .zip(max)
                        .and_then(|(a, b)| key_bounds(a.into(), b.into(), &range, n))
                    else {
                        return Ok(Some(RowCount::Exact(0)));
                    };
                    let before: i64 = client
                        .query_one(
                            &format!("SELECT count(*) FROM {from} WHERE {k} < {lo}"),
                            &[],
                        )
                        .and_then(|r| r.try_get(0))
                        .map_err(|e| self.err("cannot count the rows before the key range", &e))?;
                    self.batcher.set_next_row(before.max(0) as u64 + 1);
                    select = format!("{select} WHERE {k} BETWEEN {lo} AND {hi}");
                }
                select = format!("{select} ORDER BY {k}");
            }
            let rows = self.copy(&mut client, &select, &mut |line, job| job.push(line, emit))?;
            self.flush(emit)?;
            return Ok(Some(RowCount::Exact(rows)));
        };
        let est = self.table.reltuples;
        if !self.table.samplable() || est < 0.0 || est <= 4.0 * n as f64 {
            let rows = self.copy(
                &mut client,
                &format!("{select} LIMIT {n}"),
                &mut |line, job| job.push(line, emit),
            )?;
            self.flush(emit)?;
            return Ok(if rows < n as u64 {
                Some(RowCount::Exact(rows))
            } else if est > 0.0 {
                Some(RowCount::Estimated(est as u64))
            } else {
                None
            });
        }
        let pct = 100.0 * sample_fraction(2 * n, est);
        let mut lines = Vec::new();
        for method in ["SYSTEM", "BERNOULLI"] {
            lines.clear();
            let sql = format!(
                "SELECT * FROM ({select} TABLESAMPLE {method} ({pct:.6}) REPEATABLE \
                 ({SAMPLE_SEED})) s ORDER BY random() LIMIT {n}"
            );
            self.copy(&mut client, &sql, &mut |line, _| {
                lines.push(line.to_vec());
                Ok(())
            })?;
            if lines.len() >= n / 2 {
                emit.note(format!(
                    "sampled with TABLESAMPLE {method} ({pct:.4}%) from about {} rows",
                    est as u64
                ))?;
                break;
            }
        }
        for line in &lines {
            self.push(line, emit)?;
        }
        self.flush(emit)?;
        Ok(Some(RowCount::Estimated(est as u64)))
    }

    /// Run `COPY (sql) TO STDOUT` and hand each line (newline removed) to `on_line`.
    fn copy(
        &mut self,
        client: &mut Client,
        sql: &str,
        on_line: &mut dyn FnMut(&[u8], &mut Self) -> Result<()>,
    ) -> Result<u64> {
        let mut reader = client
            .copy_out(&format!("COPY ({sql}) TO STDOUT"))
            .map_err(|e| self.err("cannot read the table", &e))?;
        let mut line = Vec::new();
        let mut rows = 0u64;
        loop {
            line.clear();
            let got = reader
                .by_ref()
                .take(self.max_line as u64 + 1)
                .read_until(b'\n', &mut line)
                .map_err(|e| {
                    // A server error during the COPY (its statement timeout, a cancel) comes
                    // wrapped in an I/O error.
                    match e
                        .get_ref()
                        .and_then(|i| i.downcast_ref::<postgres::Error>())
                    {
                        Some(pe) => self.err("reading the table failed", pe),
                        None => db_error(
                            &self.loc,
                            &self.secret,
                            format!("reading the table failed: {e}"),
                        ),
                    }
                })?;
            if got == 0 {
                break;
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            } else if line.len() > self.max_line {
                return Err(Error::input(
                    self.loc.at_row(rows + 1),
                    format!("a row is larger than {} bytes", self.max_line),
                ));
            }
            rows += 1;
            on_line(&line, self)?;
        }
        Ok(rows)
    }

    fn push(&mut self, line: &[u8], emit: &Emit) -> Result<()> {
        let mut fields: Vec<Option<Cow<'_, str>>> = Vec::with_capacity(self.batcher.width());
        let row = self.batcher.rows_pushed() + 1;
        split_line(line, self.batcher.width(), &mut fields).map_err(|e| match e {
            CopyError::FieldCount { found } => Error::input(
                self.loc.at_row(row),
                format!(
                    "the server sent {found} fields for {} columns",
                    self.batcher.width()
                ),
            ),
            CopyError::BadText { field } => {
                let mut loc = self.loc.at_row(row);
                if let Some((c, _)) = self.table.columns.get(field - 1) {
                    loc = loc.in_column(c.clone());
                }
                Error::input(loc, "the server sent text that is not valid UTF-8")
            }
        })?;
        self.batcher.push(&fields);
        if self.batcher.is_full() {
            self.flush(emit)?;
        }
        Ok(())
    }

    fn flush(&mut self, emit: &Emit) -> Result<()> {
        if let Some(b) = self.batcher.take()? {
            emit.batch(b)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        let t = Table {
            schema: "Public".into(),
            name: "x y".into(),
            kind: "v".into(),
            reltuples: -1.0,
            columns: Vec::new(),
            key: None,
        };
        assert_eq!(t.qualified(), "\"Public\".\"x y\"");
        assert!(!t.samplable());
    }

    #[test]
    fn url_password_is_kept_secret_and_parsed() {
        let loc = Location::dataset("x");
        let mut secret = Secret::default();
        let c = config(
            "postgresql://alice:s3cretPW@db.example:6543/clinic?connect_timeout=3",
            &loc,
            &mut secret,
        )
        .unwrap();
        assert_eq!(c.get_user(), Some("alice"));
        assert_eq!(c.get_dbname(), Some("clinic"));
        assert_eq!(c.get_ports(), &[6543]);
        assert_eq!(c.get_password(), Some(&b"s3cretPW"[..]));
        assert_eq!(secret.scrub("no s3cretPW here"), "no *** here");
        let e = config(
            "postgres://u:s3cretPW@h:notaport/db",
            &loc,
            &mut Secret::default(),
        );
        assert!(e.is_err());
    }
}
