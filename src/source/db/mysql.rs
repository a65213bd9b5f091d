//! Live MariaDB / MySQL through the pure-Rust `mysql` crate (`minimal-rust`, TLS by rustls).
//!
//! * **TLS.** `ssl-mode=DISABLED|PREFERRED|REQUIRED|VERIFY_CA|VERIFY_IDENTITY` and
//!   `ssl-ca=PATH` in the URL (see [`super::tls`]); default `PREFERRED`. Under `PREFERRED` a
//!   server without TLS gets a plain connection. A TLS connection to a loopback address stays
//!   on TCP (the driver would otherwise move it to the Unix socket, unencrypted), and the
//!   `KILL QUERY` connection uses the same settings.
//!
//! * **Connection.** `mysql://` or `mariadb://` (rewritten to `mysql://`) URLs; the password
//!   comes from the URL, `MYSQL_PWD` or `~/.my.cnf` ([`super::mycnf`], which also gives the
//!   user, port and host a URL leaves out). The URL path names one database; without it every
//!   database except `mysql`, `information_schema`, `performance_schema` and `sys` is read.
//! * **Read-only.** `SET SESSION TRANSACTION READ ONLY`, then `START TRANSACTION READ ONLY`.
//! * **Timeouts.** Every session bounds its statements ([`ReadOptions::read_timeout`] for a
//!   table's read, [`ReadOptions::quick_timeout`] for the catalogue): MariaDB
//!   `max_statement_time`, MySQL `max_execution_time`. A table whose read runs longer fails
//!   alone, naming the table; at Ctrl-C its query is stopped with `KILL QUERY` from a second
//!   connection.
//! * **Tables.** Base tables and views from `information_schema` (what the user can see),
//!   named `database.table`; column types from `COLUMN_TYPE`.
//! * **Sampling** (`sample_rows = Some(n)`). `information_schema.TABLES.TABLE_ROWS` (an
//!   estimate for InnoDB) decides: unknown, at most `4n`, or a view → `LIMIT n`. A larger
//!   table with a one-column integer primary key is read in 200 short key ranges
//!   (`WHERE pk >= start ORDER BY pk LIMIT n/200`) whose starts are spread evenly between
//!   `MIN(pk)` and `MAX(pk)`: only index range reads, so the cost does not grow with the
//!   table, and gaps in the key only shorten the sample. Other tables (no key, composite or
//!   text keys, common in exports) use `WHERE RAND(seed) < p LIMIT n` with `p` set for about
//!   `1.1·n` rows: the sample spreads over the whole table, is the same on every run (seeded)
//!   and only the sample crosses the network, but the server scans the table once. If the
//!   estimate was stale and fewer than `n/2` rows come back, the query is repeated with a
//!   ten times larger `p`.
//! * **Full read.** A streaming text-protocol result set (`query_iter`), never the whole table
//!   in memory; the row count is exact. A table with a single-column integer primary key is
//!   read `ORDER BY` that key, so the row order does not depend on the storage engine's.
//! * **Shards.** Such a table splits into `n` key ranges for `--shard`, exactly as a
//!   PostgreSQL table does (`KeyedSource`, `key_bounds` in `super`): a range is read
//!   with `WHERE key BETWEEN lo AND hi ORDER BY key` and its row numbers start after the
//!   `COUNT(*)` of smaller keys, so they match a full read. Shards read in separate
//!   transactions: the table must not change while a sharded run is in progress.
//! * **Values.** Text as sent; bytes that are not UTF-8 (BLOB, BINARY) become lower-case hex
//!   with a note; dates and times as ISO strings.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, DriverError, Opts, OptsBuilder, Row, SslOpts, Value};

use super::mycnf;
use super::tls::{self, Check, SslMode, TlsOptions};
use super::{
    CONNECT_TIMEOUT, CancelOnInterrupt, KeyedSource, PartCell, Secret, db_error, hex, key_bounds,
    millis, redact_url, sample_fraction, selected_part, timeout_hint,
};
use crate::error::{Error, Location, Result};
use crate::source::producer::{Emit, Producer, ProducerSource};
use crate::source::rows::{RowBatcher, text_schema};
use crate::source::{DatasetInfo, Format, ReadOptions, RowCount, Source, table_selected};

/// Seed for `RAND()`, so sampled scans are reproducible.
const SAMPLE_SEED: u32 = 2024;

/// Key ranges read when sampling a large table by its integer primary key.
const KEY_RANGES: usize = 200;

/// Databases that belong to the server.
const SYSTEM_DATABASES: &[&str] = &["mysql", "information_schema", "performance_schema", "sys"];

#[derive(Debug, Clone)]
struct Table {
    database: String,
    name: String,
    view: bool,
    /// `TABLE_ROWS`, when the server has an estimate.
    estimated_rows: Option<u64>,
    columns: Vec<(String, Option<String>)>,
    /// Columns marked `PRI`, with whether each is an integer type.
    primary: Vec<(usize, bool)>,
}

impl Table {
    /// The index of the primary key column when the key is one integer column.
    fn integer_key(&self) -> Option<usize> {
        match self.primary.as_slice() {
            [(i, true)] => Some(*i),
            _ => None,
        }
    }

    /// `` `database`.`table` ``.
    fn qualified(&self) -> String {
        format!("{}.{}", quote(&self.database), quote(&self.name))
    }
}

/// Back-quote an identifier.
fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Single-quote a string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// A driver error as one line.
fn describe(e: &mysql::Error) -> String {
    match e {
        mysql::Error::MySqlError(m) => {
            format!("{} (error {}, SQLSTATE {})", m.message, m.code, m.state)
        }
        mysql::Error::IoError(io) => format!("I/O error: {io}"),
        // A failed TLS handshake arrives as an I/O error inside the packet codec.
        mysql::Error::CodecError(c) => c.to_string(),
        mysql::Error::DriverError(d) => d.to_string(),
        mysql::Error::UrlError(u) => u.to_string(),
        other => other.to_string(),
    }
}

/// `url` as the driver wants it (`mariadb://` → `mysql://`).
fn driver_url(url: &str) -> String {
    match url.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => url.to_string(),
    }
}

/// Connection options: the URL's, with `MYSQL_PWD` as the password when the URL has none, else
/// `~/.my.cnf`'s (see [`with_option_file`]), a connect timeout and the TLS settings of its
/// `ssl-mode`/`ssl-ca` (returned as well).
fn options(url: &str, loc: &Location, secret: &mut Secret) -> Result<(Opts, TlsOptions)> {
    let (url, tls) = tls::split_mysql(&driver_url(url))
        .map_err(|e| db_error(loc, secret, format!("invalid URL: {e}")))?;
    let mut cnf = OptionFile::default();
    let url = with_file_host(&url, &mut cnf).map_err(|e| db_error(loc, secret, e))?;
    let opts =
        Opts::from_url(&url).map_err(|e| db_error(loc, secret, format!("invalid URL: {e}")))?;
    let mut b = OptsBuilder::from_opts(opts.clone());
    match opts.get_pass() {
        Some(p) => secret.add(p),
        None => {
            if let Some(p) = std::env::var("MYSQL_PWD").ok().filter(|p| !p.is_empty()) {
                secret.add(&p);
                b = b.pass(Some(p));
            } else {
                b = with_option_file(b, &opts, &url, &mut cnf, secret)
                    .map_err(|e| db_error(loc, secret, e))?;
            }
        }
    }
    if opts.get_tcp_connect_timeout().is_none() {
        b = b.tcp_connect_timeout(Some(CONNECT_TIMEOUT));
    }
    let b = with_tls(b, &opts, &tls).map_err(|e| db_error(loc, secret, e))?;
    Ok((Opts::from(b), tls))
}

/// `~/.my.cnf`, read at most once per connection setup and only when needed.
#[derive(Default)]
struct OptionFile {
    loaded: Option<Option<mycnf::ClientOptions>>,
}

impl OptionFile {
    fn get(&mut self) -> std::result::Result<Option<&mycnf::ClientOptions>, String> {
        if self.loaded.is_none() {
            let o = match mycnf::file() {
                Some(p) => mycnf::load(&p)?,
                None => None,
            };
            self.loaded = Some(o);
        }
        Ok(self.loaded.as_ref().and_then(Option::as_ref))
    }
}

/// `url` with `~/.my.cnf`'s host when it names none (`mysql:///db`; the driver needs one), or
/// `localhost`, as the client's default.
fn with_file_host(url: &str, cnf: &mut OptionFile) -> std::result::Result<String, String> {
    let Ok(mut u) = url::Url::parse(url) else {
        return Ok(url.to_string()); // the driver's own message follows
    };
    if u.host_str().is_some_and(|h| !h.is_empty()) {
        return Ok(url.to_string());
    }
    let host = cnf
        .get()?
        .and_then(|c| c.host.clone())
        .unwrap_or_else(|| "localhost".to_string());
    if u.set_host(Some(&host)).is_err() {
        return Err(format!(
            "the host in {} is not a host name",
            mycnf::file().map_or_else(|| "~/.my.cnf".into(), |p| p.display().to_string())
        ));
    }
    Ok(u.to_string())
}

/// Fill what a URL without a password leaves open from `~/.my.cnf`, as the `mariadb` client
/// does: the user when the URL names none, the port when it gives none, and the password,
/// unless the file names a different user than the URL (that password is not this user's).
fn with_option_file(
    mut b: OptsBuilder,
    opts: &Opts,
    url: &str,
    cnf: &mut OptionFile,
    secret: &mut Secret,
) -> std::result::Result<OptsBuilder, String> {
    let Some(c) = cnf.get()? else {
        return Ok(b);
    };
    let url_user = opts.get_user().filter(|u| !u.is_empty());
    if url_user.is_none()
        && let Some(u) = &c.user
    {
        b = b.user(Some(u.clone()));
    }
    let explicit_port = url::Url::parse(url).is_ok_and(|u| u.port().is_some());
    if !explicit_port && let Some(p) = c.port {
        b = b.tcp_port(p);
    }
    let same_user = match (url_user, c.user.as_deref()) {
        (Some(a), Some(f)) => a == f,
        _ => true,
    };
    if same_user && let Some(p) = &c.password {
        secret.add(p);
        b = b.pass(Some(p.clone()));
    }
    Ok(b)
}

/// The driver's TLS settings for `tls`. Client certificates given with the driver's own
/// `cert_chain_path`/`priv_key_path` parameters are kept.
fn with_tls(
    b: OptsBuilder,
    opts: &Opts,
    tls: &TlsOptions,
) -> std::result::Result<OptsBuilder, String> {
    if tls.mode == SslMode::Disable {
        return Ok(b.ssl_opts(None::<SslOpts>));
    }
    // Read the CA file now: the driver's own message for a bad one names neither file nor cause.
    if let Some(p) = &tls.root_cert {
        tls::load_roots(p)?;
    }
    let check = tls.check();
    let ssl = opts
        .get_ssl_opts()
        .cloned()
        .unwrap_or_default()
        .with_root_cert_path(tls.root_cert.clone())
        .with_danger_skip_domain_validation(check == Check::Chain)
        .with_danger_accept_invalid_certs(check == Check::Nothing);
    // The driver moves a loopback TCP connection to the server's Unix socket, which it never
    // encrypts: the report would claim TLS that is not there.
    Ok(b.ssl_opts(Some(ssl)).prefer_socket(false))
}

/// A new connection; under `PREFERRED`, a server that offers no TLS gets a plain one (as the
/// `mariadb` client does).
fn new_conn(opts: &Opts, tls: &TlsOptions) -> std::result::Result<Conn, mysql::Error> {
    match Conn::new(opts.clone()) {
        Err(mysql::Error::DriverError(DriverError::TlsNotSupported))
            if tls.mode == SslMode::Prefer =>
        {
            Conn::new(Opts::from(
                OptsBuilder::from_opts(opts.clone()).ssl_opts(None::<SslOpts>),
            ))
        }
        other => other,
    }
}

/// The TLS version of `conn`'s session (`None`: not encrypted), as the server reports it.
fn tls_version(conn: &mut Conn, tls: &TlsOptions) -> Option<String> {
    match conn.query_first::<(String, String), _>("SHOW SESSION STATUS LIKE 'Ssl_version'") {
        Ok(row) => row.map(|(_, v)| v).filter(|v| !v.is_empty()),
        // Only a connection that was asked to be encrypted and was opened is known to be.
        Err(_) => {
            (tls.mode != SslMode::Disable && tls.mode != SslMode::Prefer).then(|| "TLS".to_string())
        }
    }
}

/// Connect and make the session read-only.
fn connect(
    opts: &Opts,
    tls: &TlsOptions,
    loc: &Location,
    secret: &Secret,
    timeout: Duration,
) -> Result<Conn> {
    let mut conn = new_conn(opts, tls).map_err(|e| {
        let msg = format!("cannot connect to the server: {}", describe(&e));
        db_error(loc, secret, tls.explain(&msg, &opts.get_ip_or_hostname()))
    })?;
    // Each server spells the statement timeout its own way: MariaDB `max_statement_time`
    // (seconds, any statement), MySQL `max_execution_time` (milliseconds, SELECT only: all
    // anonkos runs).
    let version: Option<String> = conn.query_first("SELECT VERSION()").unwrap_or(None);
    let set = if version.is_some_and(|v| v.contains("MariaDB")) {
        format!(
            "SET SESSION max_statement_time = {:.3}",
            millis(timeout) as f64 / 1000.0
        )
    } else {
        format!("SET SESSION max_execution_time = {}", millis(timeout))
    };
    conn.query_drop(set).map_err(|e| {
        db_error(
            loc,
            secret,
            format!("cannot set the statement timeout: {}", describe(&e)),
        )
    })?;
    conn.query_drop("SET SESSION TRANSACTION READ ONLY")
        .and_then(|()| conn.query_drop("START TRANSACTION READ ONLY"))
        .map_err(|e| {
            db_error(
                loc,
                secret,
                format!("cannot start a read-only transaction: {}", describe(&e)),
            )
        })?;
    Ok(conn)
}

/// Text of one value; `blob` is set when bytes had to be shown as hex.
fn value_text(v: &Value, blob: &mut bool) -> Option<String> {
    Some(match v {
        Value::NULL => return None,
        Value::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => s.to_string(),
            Err(_) => {
                *blob = true;
                hex(b)
            }
        },
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Date(y, mo, d, h, mi, s, us) => {
            if (*h, *mi, *s, *us) == (0, 0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else if *us == 0 {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}")
            }
        }
        Value::Time(neg, days, h, mi, s, us) => {
            let hours = u64::from(*days) * 24 + u64::from(*h);
            let sign = if *neg { "-" } else { "" };
            if *us == 0 {
                format!("{sign}{hours:02}:{mi:02}:{s:02}")
            } else {
                format!("{sign}{hours:02}:{mi:02}:{s:02}.{us:06}")
            }
        }
    })
}

/// Column `i` of `row` as an integer (`None`: NULL or not an integer).
fn int_at(row: &Row, i: usize) -> Option<i128> {
    let mut blob = false;
    row.as_ref(i)
        .and_then(|v| value_text(v, &mut blob))
        .and_then(|t| t.parse().ok())
}

/// The values of `row` as text.
fn row_text(row: &Row, blob: &mut bool) -> Vec<Option<String>> {
    (0..row.len())
        .map(|i| row.as_ref(i).and_then(|v| value_text(v, blob)))
        .collect()
}

fn list_tables(conn: &mut Conn, database: Option<&str>) -> mysql::Result<Vec<Table>> {
    let system = SYSTEM_DATABASES
        .iter()
        .map(|d| literal(d))
        .collect::<Vec<_>>()
        .join(", ");
    let only = database
        .map(|d| format!(" AND t.TABLE_SCHEMA = {}", literal(d)))
        .unwrap_or_default();
    let sql = format!(
        "SELECT t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_TYPE, t.TABLE_ROWS, c.COLUMN_NAME, \
         c.COLUMN_TYPE, c.COLUMN_KEY, c.DATA_TYPE FROM information_schema.TABLES t JOIN information_schema.COLUMNS c \
         ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME \
         WHERE t.TABLE_SCHEMA NOT IN ({system}) AND t.TABLE_TYPE <> 'SEQUENCE'{only} \
         ORDER BY t.TABLE_SCHEMA, t.TABLE_NAME, c.ORDINAL_POSITION"
    );
    let mut out: Vec<Table> = Vec::new();
    let mut blob = false;
    for row in conn.query_iter(sql)? {
        let v = row_text(&row?, &mut blob);
        let get = |i: usize| v.get(i).cloned().flatten();
        let (Some(database), Some(name)) = (get(0), get(1)) else {
            continue;
        };
        let same = out
            .last()
            .is_some_and(|t| t.database == database && t.name == name);
        if !same {
            out.push(Table {
                database,
                name,
                view: get(2).is_some_and(|k| k == "VIEW"),
                estimated_rows: get(3).and_then(|r| r.parse().ok()),
                columns: Vec::new(),
                primary: Vec::new(),
            });
        }
        if let (Some(c), Some(t)) = (get(4), out.last_mut()) {
            if get(6).is_some_and(|k| k == "PRI") {
                let integer = get(7).is_some_and(|d| {
                    matches!(
                        d.to_ascii_lowercase().as_str(),
                        "tinyint" | "smallint" | "mediumint" | "int" | "bigint"
                    )
                });
                t.primary.push((t.columns.len(), integer));
            }
            t.columns.push((c, get(5)));
        }
    }
    Ok(out)
}

/// Open every selected table of the MariaDB/MySQL server at `url`.
pub fn open(url: &str, opts: &ReadOptions) -> Result<Vec<Box<dyn Source>>> {
    let shown = redact_url(url);
    let server = Location::dataset(shown.clone());
    let mut secret = Secret::from_url(url);
    let (conn_opts, tls) = options(url, &server, &mut secret)?;
    let mut conn = connect(&conn_opts, &tls, &server, &secret, opts.quick_timeout())?;
    let note = tls.note(tls_version(&mut conn, &tls).as_deref());
    let tables = list_tables(&mut conn, conn_opts.get_db_name()).map_err(|e| {
        db_error(
            &server,
            &secret,
            format!("cannot list tables: {}", describe(&e)),
        )
    })?;
    drop(conn);
    let mut out: Vec<Box<dyn Source>> = Vec::new();
    for t in tables {
        let full_name = format!("{}.{}", t.database, t.name);
        if !table_selected(&full_name, opts) {
            continue;
        }
        let info = DatasetInfo {
            source: shown.clone(),
            table: Some(full_name.clone()),
            format: Format::Mysql,
            notes: vec![note.clone()],
        };
        let schema = text_schema(&t.columns);
        let part: PartCell = Arc::new(Mutex::new(None));
        let keyed = t.integer_key().is_some();
        // TABLE_ROWS is an estimate (InnoDB) and may be missing; at least one row so that
        // every table weighs something.
        let est_bytes = t
            .estimated_rows
            .unwrap_or(1)
            .max(1)
            .saturating_mul(8 * t.columns.len() as u64);
        let job = Job {
            timeout: opts.read_timeout(),
            part: part.clone(),
            opts: conn_opts.clone(),
            tls: tls.clone(),
            loc: info.location(),
            secret: secret.clone(),
            batcher: RowBatcher::new(schema.clone(), opts.batch_rows),
            table: t,
            blob: false,
        };
        let sample = opts.sample_rows;
        let producer = Producer::new(format!("mysql:{full_name}"), move |emit| {
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

struct Job {
    opts: Opts,
    tls: TlsOptions,
    loc: Location,
    secret: Secret,
    table: Table,
    batcher: RowBatcher,
    blob: bool,
    /// Key ranges to read, for a sharded run.
    part: PartCell,
    /// Statement timeout of the session.
    timeout: Duration,
}

/// MariaDB `ER_STATEMENT_TIMEOUT`, MySQL `ER_QUERY_TIMEOUT`, and `ER_QUERY_INTERRUPTED`
/// (`KILL QUERY`).
const TIMEOUT_CODES: [u16; 2] = [1969, 3024];
const INTERRUPTED_CODE: u16 = 1317;

impl Job {
    fn err(&self, e: &mysql::Error) -> Error {
        let code = match e {
            mysql::Error::MySqlError(m) => Some(m.code),
            _ => None,
        };
        if code == Some(INTERRUPTED_CODE) && crate::interrupt::requested() {
            return Error::Interrupted;
        }
        let hint = if code.is_some_and(|c| TIMEOUT_CODES.contains(&c)) {
            timeout_hint(self.timeout)
        } else {
            String::new()
        };
        db_error(
            &self.loc,
            &self.secret,
            format!("cannot read the table: {}{hint}", describe(e)),
        )
    }

    fn run(&mut self, emit: &Emit, sample: Option<usize>) -> Result<Option<RowCount>> {
        let mut conn = connect(&self.opts, &self.tls, &self.loc, &self.secret, self.timeout)?;
        // Ctrl-C: stop this session's query from a second connection, as the mariadb
        // client does (with the same TLS settings).
        let (id, opts, tls) = (conn.connection_id(), self.opts.clone(), self.tls.clone());
        let _watch = CancelOnInterrupt::new(&self.table.name, move || {
            if let Ok(mut killer) = new_conn(&opts, &tls) {
                let _ = killer.query_drop(format!("KILL QUERY {id}"));
            }
        });
        let cols = self
            .table
            .columns
            .iter()
            .map(|(c, _)| quote(c))
            .collect::<Vec<_>>()
            .join(", ");
        let select = format!("SELECT {cols} FROM {}", self.table.qualified());
        let result = self.read(&mut conn, emit, &select, sample);
        if self.blob {
            emit.note("binary values that are not UTF-8 text are shown as lower-case hex")?;
        }
        result
    }

    fn read(
        &mut self,
        conn: &mut Conn,
        emit: &Emit,
        select: &str,
        sample: Option<usize>,
    ) -> Result<Option<RowCount>> {
        let Some(n) = sample else {
            return self.full_read(conn, emit, select);
        };
        let est = self.table.estimated_rows;
        let small = est.is_none_or(|e| e <= 4 * n as u64);
        if self.table.view || small {
            let rows = self.stream(conn, emit, &format!("{select} LIMIT {n}"))?;
            return Ok(if rows < n as u64 {
                Some(RowCount::Exact(rows))
            } else {
                est.map(RowCount::Estimated)
            });
        }
        let est = est.unwrap_or(0);
        if let Some(key) = self.table.integer_key() {
            self.key_sample(conn, emit, select, key, n)?;
            emit.note(format!(
                "sampled in primary-key ranges spread over about {est} rows"
            ))?;
            return Ok(Some(RowCount::Estimated(est)));
        }
        let mut p = sample_fraction(n + n / 10, est as f64);
        let mut kept = Vec::new();
        for attempt in 0..2 {
            kept.clear();
            let sql = format!("{select} WHERE RAND({SAMPLE_SEED}) < {p:.9} LIMIT {n}");
            let result = conn.query_iter(sql).map_err(|e| self.err(&e))?;
            for row in result {
                let row = row.map_err(|e| self.err(&e))?;
                kept.push(row_text(&row, &mut self.blob));
            }
            if kept.len() >= n / 2 || p >= 1.0 || attempt == 1 {
                break;
            }
            p = (p * 10.0).min(1.0);
        }
        emit.note(format!(
            "sampled with RAND(), keeping about {:.4}% of about {est} rows",
            p * 100.0
        ))?;
        for row in &kept {
            self.push(row, emit)?;
        }
        self.flush(emit)?;
        Ok(Some(RowCount::Estimated(est)))
    }

    /// Every row, or for a sharded run the rows of the selected key ranges; in key order
    /// when the table has an integer key, so that the parts of a sharded run, concatenated,
    /// are the unsharded output row for row.
    fn full_read(
        &mut self,
        conn: &mut Conn,
        emit: &Emit,
        select: &str,
    ) -> Result<Option<RowCount>> {
        let Some(key) = self.table.integer_key() else {
            let rows = self.stream(conn, emit, select)?;
            return Ok(Some(RowCount::Exact(rows)));
        };
        let k = quote(&self.table.columns[key].0);
        let mut sql = select.to_string();
        if let Some((range, n)) = selected_part(&self.part)? {
            let Some((lo, hi)) = self
                .key_span(conn, &k)?
                .and_then(|(min, max)| key_bounds(min, max, &range, n))
            else {
                return Ok(Some(RowCount::Exact(0)));
            };
            let before = self.count_below(conn, &k, lo)?;
            self.batcher.set_next_row(before + 1);
            sql = format!("{sql} WHERE {k} BETWEEN {lo} AND {hi}");
        }
        let rows = self.stream(conn, emit, &format!("{sql} ORDER BY {k}"))?;
        Ok(Some(RowCount::Exact(rows)))
    }

    /// `MIN` and `MAX` of the key column `key_col` (quoted); `None` for an empty table.
    fn key_span(&mut self, conn: &mut Conn, key_col: &str) -> Result<Option<(i128, i128)>> {
        let sql = format!(
            "SELECT MIN({key_col}), MAX({key_col}) FROM {}",
            self.table.qualified()
        );
        let row = conn
            .query_iter(sql)
            .map_err(|e| self.err(&e))?
            .next()
            .transpose()
            .map_err(|e| self.err(&e))?;
        Ok(row.and_then(|r| Some((int_at(&r, 0)?, int_at(&r, 1)?))))
    }

    /// The number of rows whose key is below `lo` (the rows before a key range).
    fn count_below(&mut self, conn: &mut Conn, key_col: &str, lo: i128) -> Result<u64> {
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE {key_col} < {lo}",
            self.table.qualified()
        );
        let row = conn
            .query_iter(sql)
            .map_err(|e| self.err(&e))?
            .next()
            .transpose()
            .map_err(|e| self.err(&e))?;
        row.and_then(|r| int_at(&r, 0))
            .and_then(|c| u64::try_from(c).ok())
            .ok_or_else(|| {
                db_error(
                    &self.loc,
                    &self.secret,
                    "cannot count the rows before the key range: the server sent no count",
                )
            })
    }

    /// About `n` rows in [`KEY_RANGES`] runs of consecutive keys, the runs starting at evenly
    /// spaced key values between the smallest and largest key (index range reads only).
    fn key_sample(
        &mut self,
        conn: &mut Conn,
        emit: &Emit,
        select: &str,
        key: usize,
        n: usize,
    ) -> Result<()> {
        let key_col = quote(&self.table.columns[key].0);
        let Some((lo, hi)) = self.key_span(conn, &key_col)? else {
            return Ok(());
        };
        let runs = KEY_RANGES.min(n).max(1);
        let per_run = n.div_ceil(runs);
        let step = (hi - lo + 1) as f64 / runs as f64;
        let mut next = lo;
        for i in 0..runs {
            let start = (lo + (i as f64 * step) as i128).max(next);
            if start > hi {
                break;
            }
            let sql =
                format!("{select} WHERE {key_col} >= {start} ORDER BY {key_col} LIMIT {per_run}");
            let result = conn.query_iter(sql).map_err(|e| self.err(&e))?;
            let mut rows = Vec::new();
            for row in result {
                let row = row.map_err(|e| self.err(&e))?;
                rows.push(row_text(&row, &mut self.blob));
            }
            for values in &rows {
                if let Some(k) = values
                    .get(key)
                    .and_then(|v| v.as_deref())
                    .and_then(|t| t.parse::<i128>().ok())
                {
                    next = next.max(k + 1);
                }
                self.push(values, emit)?;
            }
        }
        self.flush(emit)
    }

    /// Stream every row of `sql` into batches; returns the row count.
    fn stream(&mut self, conn: &mut Conn, emit: &Emit, sql: &str) -> Result<u64> {
        let result = conn.query_iter(sql).map_err(|e| self.err(&e))?;
        let mut rows = 0u64;
        for row in result {
            let row = row.map_err(|e| self.err(&e))?;
            let values = row_text(&row, &mut self.blob);
            self.push(&values, emit)?;
            rows += 1;
        }
        self.flush(emit)?;
        Ok(rows)
    }

    fn push(&mut self, values: &[Option<String>], emit: &Emit) -> Result<()> {
        if values.len() != self.batcher.width() {
            return Err(Error::input(
                self.loc.at_row(self.batcher.rows_pushed() + 1),
                format!(
                    "the server sent {} values for {} columns",
                    values.len(),
                    self.batcher.width()
                ),
            ));
        }
        self.batcher.push(values);
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
    fn urls_and_passwords() {
        assert_eq!(driver_url("mariadb://u@h/db"), "mysql://u@h/db");
        assert_eq!(driver_url("mysql://u@h"), "mysql://u@h");
        let loc = Location::dataset("x");
        let mut secret = Secret::default();
        let (o, _) = options(
            "mariadb://app:s3cretPW@db.example:3307/clinic",
            &loc,
            &mut secret,
        )
        .unwrap();
        assert_eq!(o.get_user(), Some("app"));
        assert_eq!(o.get_pass(), Some("s3cretPW"));
        assert_eq!(o.get_db_name(), Some("clinic"));
        assert_eq!(o.get_tcp_port(), 3307);
        assert_eq!(o.get_tcp_connect_timeout(), Some(CONNECT_TIMEOUT));
        assert_eq!(secret.scrub("x s3cretPW y"), "x *** y");
        let (o, tls) = options("mysql://root@h:3306", &loc, &mut Secret::default()).unwrap();
        assert_eq!(o.get_db_name(), None);
        // PREFERRED by default; TLS stays on TCP.
        assert_eq!(tls.mode, SslMode::Prefer);
        assert!(o.get_ssl_opts().is_some_and(|s| s.accept_invalid_certs()));
        assert!(!o.get_prefer_socket());
        let (o, _) = options(
            "mysql://h/d?ssl-mode=DISABLED",
            &loc,
            &mut Secret::default(),
        )
        .unwrap();
        assert!(o.get_ssl_opts().is_none());
        let e = options(
            "mysql://h/d?ssl-mode=VERIFY_IDENTITY&ssl-ca=/nonexistent/ca.pem",
            &loc,
            &mut Secret::default(),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.contains("cannot read the CA file"), "{e}");
    }

    #[test]
    fn values_become_text() {
        let mut blob = false;
        assert_eq!(value_text(&Value::NULL, &mut blob), None);
        assert_eq!(
            value_text(&Value::Bytes("Qendër".into()), &mut blob).as_deref(),
            Some("Qendër")
        );
        assert!(!blob);
        assert_eq!(
            value_text(&Value::Bytes(vec![0xff, 0x00]), &mut blob).as_deref(),
            Some("ff00")
        );
        assert!(blob);
        assert_eq!(
            value_text(&Value::Date(2024, 2, 9, 0, 0, 0, 0), &mut blob).as_deref(),
            Some("2024-02-09")
        );
        assert_eq!(
            value_text(&Value::Date(2024, 2, 9, 13, 5, 7, 120), &mut blob).as_deref(),
            Some("2024-02-09 13:05:07.000120")
        );
        assert_eq!(
            value_text(&Value::Time(true, 1, 2, 3, 4, 0), &mut blob).as_deref(),
            Some("-26:03:04")
        );
        assert_eq!(
            value_text(&Value::Int(-5), &mut blob).as_deref(),
            Some("-5")
        );
        assert_eq!(quote("a`b"), "`a``b`");
        assert_eq!(literal("o'k\\"), "'o''k\\\\'");
    }
}
