//! Writers: CSV (delimiters, with and without header, windows-1250), Parquet, SQLite, and SQL
//! dumps made by the real `pg_dump` and `mariadb-dump` from a scratch database.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use super::layouts::{Cell, Fmt, Table};

/// Where each dataset was written; datasets whose server is not configured are left out.
pub struct Written {
    pub name: &'static str,
    pub path: PathBuf,
}

/// Write every table into `dir`. Dump datasets need the database servers; without their URL
/// they are skipped (with `SKIPPED:` on stderr, which CI treats as a failure).
pub fn write_corpus(tables: &[Table], dir: &Path) -> Vec<Written> {
    let pg = has(tables, Fmt::PgDump).then(|| crate::db::env_url("ANONKOS_TEST_PG_URL"));
    let my = has(tables, Fmt::MyDump).then(|| crate::db::env_url("ANONKOS_TEST_MYSQL_URL"));
    let mut out = Vec::new();
    let (mut pg_tables, mut my_tables) = (Vec::new(), Vec::new());
    for t in tables {
        let name = t.spec.name;
        let path = match t.spec.fmt {
            Fmt::Csv { delim, cp1250 } => {
                write_csv(t, &dir.join(format!("{name}.csv")), delim, cp1250)
            }
            Fmt::Parquet => write_parquet(t, &dir.join(format!("{name}.parquet"))),
            Fmt::Sqlite => write_sqlite(t, &dir.join(format!("{name}.sqlite"))),
            Fmt::PgDump => {
                pg_tables.push(t);
                continue;
            }
            Fmt::MyDump => {
                my_tables.push(t);
                continue;
            }
        };
        out.push(Written { name, path });
    }
    if let Some(Some(url)) = pg {
        out.extend(pg_dumps(&url, &pg_tables, dir));
    }
    if let Some(Some(url)) = my {
        out.extend(my_dumps(&url, &my_tables, dir));
    }
    out
}

fn has(tables: &[Table], f: Fmt) -> bool {
    tables.iter().any(|t| t.spec.fmt == f)
}

fn write_csv(t: &Table, path: &Path, delim: u8, cp1250: bool) -> PathBuf {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delim)
        .from_writer(Vec::new());
    if t.spec.header {
        w.write_record(t.spec.cols.iter().map(|c| c.header))
            .expect("csv header");
    }
    for r in 0..t.rows() {
        w.write_record(t.cells.iter().map(|col| col[r].text()))
            .expect("csv row");
    }
    let text = String::from_utf8(w.into_inner().expect("csv flush")).expect("utf-8");
    let bytes = if cp1250 {
        let (b, _, bad) = encoding_rs::WINDOWS_1250.encode(&text);
        assert!(!bad, "{} has characters outside windows-1250", t.spec.name);
        b.into_owned()
    } else {
        text.into_bytes()
    };
    std::fs::write(path, bytes).expect("write csv");
    path.to_path_buf()
}

fn write_parquet(t: &Table, path: &Path) -> PathBuf {
    use arrow_array::{ArrayRef, BinaryArray, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (col, cells) in t.spec.cols.iter().zip(&t.cells) {
        let (ty, a): (DataType, ArrayRef) = match cells.first() {
            Some(Cell::Int(_)) => (
                DataType::Int64,
                Arc::new(Int64Array::from_iter_values(cells.iter().map(
                    |c| match c {
                        Cell::Int(i) => *i,
                        _ => 0,
                    },
                ))),
            ),
            Some(Cell::Blob(_)) => (
                DataType::Binary,
                Arc::new(BinaryArray::from_iter_values(cells.iter().map(
                    |c| match c {
                        Cell::Blob(b) => b.clone(),
                        _ => Vec::new(),
                    },
                ))),
            ),
            _ => (
                DataType::Utf8,
                Arc::new(StringArray::from_iter_values(cells.iter().map(Cell::text))),
            ),
        };
        fields.push(Field::new(col.header, ty, false));
        arrays.push(a);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("batch");
    let file = std::fs::File::create(path).expect("create parquet");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    w.write(&batch).expect("write parquet");
    w.close().expect("close parquet");
    path.to_path_buf()
}

fn sql_type(c: Option<&Cell>, dialect: Dialect) -> &'static str {
    match (c, dialect) {
        (Some(Cell::Int(_)), Dialect::Sqlite) => "INTEGER",
        (Some(Cell::Int(_)), _) => "bigint",
        (Some(Cell::Blob(_)), Dialect::Pg) => "bytea",
        (Some(Cell::Blob(_)), _) => "BLOB",
        (_, Dialect::My) => "TEXT",
        _ => "text",
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Sqlite,
    Pg,
    My,
}

fn write_sqlite(t: &Table, path: &Path) -> PathBuf {
    let mut db = rusqlite::Connection::open(path).expect("open sqlite");
    let cols: Vec<String> = t
        .spec
        .cols
        .iter()
        .zip(&t.cells)
        .map(|(c, v)| format!("\"{}\" {}", c.header, sql_type(v.first(), Dialect::Sqlite)))
        .collect();
    db.execute_batch(&format!(
        "CREATE TABLE \"{}\" ({})",
        t.spec.name,
        cols.join(", ")
    ))
    .expect("create table");
    let tx = db.transaction().expect("tx");
    {
        let marks = vec!["?"; t.cells.len()].join(", ");
        let mut st = tx
            .prepare(&format!("INSERT INTO \"{}\" VALUES ({marks})", t.spec.name))
            .expect("prepare");
        for r in 0..t.rows() {
            let vals: Vec<rusqlite::types::Value> = t
                .cells
                .iter()
                .map(|c| match &c[r] {
                    Cell::Int(i) => rusqlite::types::Value::Integer(*i),
                    Cell::Text(s) => rusqlite::types::Value::Text(s.clone()),
                    Cell::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
                })
                .collect();
            st.execute(rusqlite::params_from_iter(vals))
                .expect("insert");
        }
    }
    tx.commit().expect("commit");
    path.to_path_buf()
}

/// `CREATE TABLE` and `INSERT`s for a server dialect.
fn server_sql(t: &Table, d: Dialect) -> String {
    let q = |s: &str| match d {
        Dialect::My => format!("`{s}`"),
        _ => format!("\"{s}\""),
    };
    let cols: Vec<String> = t
        .spec
        .cols
        .iter()
        .zip(&t.cells)
        .map(|(c, v)| format!("{} {}", q(c.header), sql_type(v.first(), d)))
        .collect();
    let mut s = format!("CREATE TABLE {} ({})", q(t.spec.name), cols.join(", "));
    if d == Dialect::My {
        s.push_str(" DEFAULT CHARSET=utf8mb4");
    }
    s.push_str(";\n");
    // One multi-row INSERT: row-by-row autocommits make loading the slowest step.
    let mut rows = Vec::new();
    for r in 0..t.rows() {
        let vals: Vec<String> = t
            .cells
            .iter()
            .map(|c| match &c[r] {
                Cell::Int(i) => i.to_string(),
                Cell::Text(x) if d == Dialect::My => {
                    format!("'{}'", x.replace('\\', "\\\\").replace('\'', "''"))
                }
                Cell::Text(x) => format!("'{}'", x.replace('\'', "''")),
                Cell::Blob(b) if d == Dialect::Pg => {
                    format!("decode('{}', 'hex')", anonkos::digest::hex(b))
                }
                Cell::Blob(b) => format!("X'{}'", anonkos::digest::hex(b)),
            })
            .collect();
        rows.push(format!("({})", vals.join(", ")));
    }
    s.push_str(&format!(
        "INSERT INTO {} VALUES\n{};\n",
        q(t.spec.name),
        rows.join(",\n")
    ));
    s
}

fn tool(cmd: &mut Command, input: &[u8]) -> Vec<u8> {
    let out = crate::dumpout::feed(cmd, input);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `postgres://…/db` with the database replaced.
fn pg_db_url(url: &str, db: &str) -> String {
    let after = url.find("://").map_or(0, |p| p + 3);
    let root = url[after..].find('/').map_or(url, |p| &url[..after + p]);
    format!("{root}/{db}")
}

fn psql(url: &str, sql: &str) {
    tool(
        Command::new("psql")
            .args(["-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", url])
            .env("PGOPTIONS", "--client-min-messages=warning"),
        sql.as_bytes(),
    );
}

/// Drops a scratch database on drop (also when a test fails half-way).
struct Scratch {
    drop_cmd: Command,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = self.drop_cmd.output();
    }
}

fn pg_dumps(url: &str, tables: &[&Table], dir: &Path) -> Vec<Written> {
    let db = crate::db::unique("anonkos_c2");
    psql(url, &format!("CREATE DATABASE {db}"));
    let mut drop_cmd = Command::new("psql");
    drop_cmd.args([
        "-q",
        "-X",
        "-d",
        url,
        "-c",
        &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
    ]);
    let _guard = Scratch { drop_cmd };
    let db_url = pg_db_url(url, &db);
    let sql: String = tables.iter().map(|t| server_sql(t, Dialect::Pg)).collect();
    psql(&db_url, &sql);
    tables
        .iter()
        .map(|t| {
            let path = dir.join(format!("{}.sql", t.spec.name));
            tool(
                Command::new("pg_dump")
                    .args(["-t", &format!("public.\"{}\"", t.spec.name), "-f"])
                    .arg(&path)
                    .args(["-d", &db_url]),
                b"",
            );
            Written {
                name: t.spec.name,
                path,
            }
        })
        .collect()
}

/// `mariadb` client arguments for `mysql://user[:password]@host[:port]`.
fn my_args(url: &str) -> Vec<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['/', '?']).next().unwrap_or(rest);
    let (auth, host) = rest.rsplit_once('@').unwrap_or(("root", rest));
    let (user, pw) = auth
        .split_once(':')
        .map_or((auth, None), |(u, p)| (u, Some(p)));
    let (host, port) = host.split_once(':').unwrap_or((host, "3306"));
    let mut v = vec![
        format!("--user={user}"),
        format!("--host={host}"),
        format!("--port={port}"),
        "--protocol=tcp".to_string(),
    ];
    v.extend(pw.map(|p| format!("--password={p}")));
    v
}

fn my_dumps(url: &str, tables: &[&Table], dir: &Path) -> Vec<Written> {
    let args = my_args(url);
    let db = crate::db::unique("anonkos_c2");
    tool(
        Command::new("mariadb")
            .args(&args)
            .arg("-e")
            .arg(format!("CREATE DATABASE `{db}`")),
        b"",
    );
    let mut drop_cmd = Command::new("mariadb");
    drop_cmd
        .args(&args)
        .arg("-e")
        .arg(format!("DROP DATABASE IF EXISTS `{db}`"));
    let _guard = Scratch { drop_cmd };
    let sql: String = tables.iter().map(|t| server_sql(t, Dialect::My)).collect();
    tool(Command::new("mariadb").args(&args).arg(&db), sql.as_bytes());
    tables
        .iter()
        .map(|t| {
            let path = dir.join(format!("{}.sql", t.spec.name));
            let dump = tool(
                Command::new("mariadb-dump")
                    .args(&args)
                    .arg(&db)
                    .arg(t.spec.name),
                b"",
            );
            std::fs::write(&path, dump).expect("write dump");
            Written {
                name: t.spec.name,
                path,
            }
        })
        .collect()
}
