//! Real dumps made at test time by `pg_dump` and `mariadb-dump` from rich schemas (routines
//! with CREATE TEMPORARY TABLE and INSERTs in their bodies, triggers, events, views, enums, a
//! domain, BLOB/bytea photos with arbitrary bytes, generated columns, a partitioned table,
//! sequences, a composite foreign key, a `BEGIN ATOMIC` function), in every dump style, read
//! back through the CLI and the library.
//!
//! The builders ([`pg_rich_dump`], [`mariadb_rich_dump`], [`pg_expected_rows`],
//! [`mariadb_expected_rows`], [`photo`]) are meant for reuse (e.g. restoring anonymised
//! outputs): each loads the schema into a fresh, uniquely named database, dumps it into `dir`
//! and drops the database (through a guard, also on failure). They read the server URLs from
//! `ANONKOS_TEST_PG_URL` / `ANONKOS_TEST_MYSQL_URL` and panic when unset: callers check
//! [`env_url`] first, which prints SKIPPED.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::db::{env_url, unique};
use crate::util::{TestDir, read_cells, run, stderr, stdout};

/// Rows of the `persons` table: enough bytes (> 256 KiB) that sampled scans read windows.
pub(crate) const PERSONS: usize = 3000;

/// The photo of person `id` (1-based): the bytes that trip dump parsers (NUL, quote, backslash,
/// newline, CR, Ctrl-Z, double quote, `\N`, invalid UTF-8) and then pseudo-random bytes.
/// Person 1 has no photo (NULL) and person 2 an empty one.
pub(crate) fn photo(id: usize) -> Option<Vec<u8>> {
    match id {
        1 => None,
        2 => Some(Vec::new()),
        _ => {
            let mut b = vec![
                0x00, 0x27, 0x5c, 0x0a, 0xff, 0xfe, 0xc3, 0x0d, 0x1a, 0x22, 0x5c, 0x4e, 0x27, 0x27,
                0x09, 0x80,
            ];
            let mut x = (id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            for _ in 0..48 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b.push((x >> 24) as u8);
            }
            Some(b)
        }
    }
}

/// A photo as anonkos reads it: `\x` then lower-case hex.
pub(crate) fn photo_cell(id: usize) -> Option<String> {
    photo(id).map(|b| format!("\\x{}", anonkos::digest::hex(&b)))
}

/// The `emri` (name) of person `id`: some hold `;`, quotes, newlines and DELIMITER text.
fn emri(id: usize) -> String {
    match id % 5 {
        0 => format!("O'Brien; DELIMITER ;; {id}"),
        1 => format!("Arta\nKrasniqi {id}"),
        2 => format!("Dritë \\ Berisha {id}"),
        _ => format!("Besnik {id}"),
    }
}

/// Ways of running `pg_dump`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PgStyle {
    /// Plain SQL (`COPY` blocks).
    Plain,
    /// `-Fc`.
    Custom,
    /// `-Fd` (a directory).
    Directory,
    /// `-Ft`.
    Tar,
    /// Plain SQL piped through `gzip`.
    PlainGz,
    /// Plain SQL with `--inserts` (one INSERT per row).
    Inserts,
}

/// Every `pg_dump` style the tests use.
pub(crate) const PG_STYLES: [PgStyle; 6] = [
    PgStyle::Plain,
    PgStyle::Custom,
    PgStyle::Directory,
    PgStyle::Tar,
    PgStyle::PlainGz,
    PgStyle::Inserts,
];

/// Every `mariadb-dump` style the tests use.
pub(crate) const MY_STYLES: [MyStyle; 4] = [
    MyStyle::Default,
    MyStyle::HexBlob,
    MyStyle::SkipExtendedInsert,
    MyStyle::Routines,
];

/// Ways of running `mariadb-dump`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MyStyle {
    /// Defaults (extended INSERTs, raw BLOB bytes).
    Default,
    /// `--hex-blob`.
    HexBlob,
    /// `--skip-extended-insert` (one INSERT per row).
    SkipExtendedInsert,
    /// `--routines --triggers --events`.
    Routines,
}

/// A `postgres://…/db` URL with its database replaced.
pub(crate) fn pg_url_db(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |p| p + 3);
    let root = match base[after_scheme..].find('/') {
        Some(p) => &base[..after_scheme + p],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{db}?{q}"),
        None => format!("{root}/{db}"),
    }
}

/// Run a command, feeding `input` on stdin; panics with its stderr when it fails.
pub(crate) fn run_tool(cmd: &mut Command, input: Option<&[u8]>) -> Vec<u8> {
    let out = crate::dumpout::feed(cmd, input.unwrap_or_default());
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub(crate) fn psql(url: &str, sql: &str) {
    run_tool(
        Command::new("psql")
            .args(["-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", url])
            .env("PGOPTIONS", "--client-min-messages=warning"),
        Some(sql.as_bytes()),
    );
}

/// Drops the PostgreSQL database on drop.
pub(crate) struct PgDb {
    pub(crate) admin: String,
    pub(crate) name: String,
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args(["-q", "-X", "-d", &self.admin, "-c"])
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .output();
    }
}

/// The PostgreSQL schema and rows.
fn pg_schema() -> String {
    let mut s = String::from(
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE SEQUENCE invoice_seq START 100;
CREATE TABLE persons (
  id serial PRIMARY KEY,
  emri text NOT NULL,
  mood mood,
  score posint,
  born timestamptz,
  photo bytea,
  emri_upper text GENERATED ALWAYS AS (upper(emri)) STORED
);
CREATE TABLE visits (
  person_id integer REFERENCES persons (id),
  visit_no integer,
  note text,
  invoice integer DEFAULT nextval('invoice_seq'),
  PRIMARY KEY (person_id, visit_no)
);
CREATE TABLE visit_items (
  person_id integer,
  visit_no integer,
  item text,
  FOREIGN KEY (person_id, visit_no) REFERENCES visits (person_id, visit_no)
);
CREATE TABLE measurements (id integer, taken date NOT NULL, value numeric) PARTITION BY RANGE (taken);
CREATE TABLE measurements_2023 PARTITION OF measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE VIEW v_persons AS SELECT id, emri FROM persons;
CREATE FUNCTION add_one(a integer) RETURNS integer LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN a > 0 THEN a + 1 ELSE 0 END;
END;
CREATE PROCEDURE add_visit() LANGUAGE sql
BEGIN ATOMIC
  INSERT INTO visits (person_id, visit_no, note) VALUES (3, 98, 'phantom; atomic');
END;
CREATE PROCEDURE log_visit(p integer) LANGUAGE plpgsql AS $$
BEGIN
  CREATE TEMPORARY TABLE tmp_log (x integer);
  INSERT INTO visits (person_id, visit_no, note) VALUES (p, 99, 'phantom');
  INSERT INTO tmp_log SELECT person_id FROM visits;
END $$;
CREATE FUNCTION visits_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.note IS NULL THEN NEW.note := 'x;y'; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER trg_visits BEFORE INSERT ON visits FOR EACH ROW EXECUTE FUNCTION visits_note();
",
    );
    for id in 1..=PERSONS {
        let photo = match photo(id) {
            None => "NULL".to_string(),
            Some(b) => format!("decode('{}', 'hex')", anonkos::digest::hex(&b)),
        };
        let mood = ["sad", "ok", "happy"][id % 3];
        writeln!(
            s,
            "INSERT INTO persons (emri, mood, score, born, photo) VALUES ('{}', '{mood}', {id}, '2006-02-15 04:34:33+0{}', {photo});",
            emri(id).replace('\'', "''"),
            id % 3
        )
        .unwrap();
    }
    for id in 1..=40 {
        writeln!(
            s,
            "INSERT INTO visits (person_id, visit_no) VALUES ({id}, 1), ({id}, 2);"
        )
        .unwrap();
        writeln!(
            s,
            "INSERT INTO visit_items VALUES ({id}, 1, 'a'), ({id}, 2, 'b'), ({id}, 2, 'c');"
        )
        .unwrap();
    }
    s.push_str(
        "INSERT INTO measurements VALUES (1, '2023-03-01', 1.5), (2, '2023-07-01', 2), (3, '2024-01-02', 3), (4, '2024-05-05', 4), (5, '2024-12-31', 5);\n",
    );
    s
}

/// Rows per table as a PostgreSQL dump holds them (`schema.table`).
pub(crate) fn pg_expected_rows() -> BTreeMap<String, u64> {
    [
        ("public.persons", PERSONS as u64),
        ("public.visits", 80),
        ("public.visit_items", 120),
        // A partitioned table's rows live in its partitions.
        ("public.measurements", 0),
        ("public.measurements_2023", 2),
        ("public.measurements_2024", 3),
    ]
    .into_iter()
    .map(|(t, n)| (t.to_string(), n))
    .collect()
}

/// Load the PostgreSQL schema into a fresh database and dump it in each style into `dir`.
pub(crate) fn pg_rich_dumps(dir: &Path, styles: &[PgStyle]) -> Vec<PathBuf> {
    let url =
        std::env::var("ANONKOS_TEST_PG_URL").expect("ANONKOS_TEST_PG_URL (check env_url first)");
    let db = PgDb {
        admin: url.clone(),
        name: unique("anonkos_rd"),
    };
    psql(&url, &format!("CREATE DATABASE {}", db.name));
    let db_url = pg_url_db(&url, &db.name);
    psql(&db_url, &pg_schema());
    let mut out = Vec::new();
    for &style in styles {
        let stem = format!("pg_{style:?}").to_lowercase();
        let (path, args): (PathBuf, Vec<&str>) = match style {
            PgStyle::Plain | PgStyle::PlainGz => (dir.join(format!("{stem}.sql")), vec![]),
            PgStyle::Inserts => (dir.join(format!("{stem}.sql")), vec!["--inserts"]),
            PgStyle::Custom => (dir.join(format!("{stem}.dump")), vec!["-Fc"]),
            PgStyle::Directory => (dir.join(&stem), vec!["-Fd"]),
            PgStyle::Tar => (dir.join(format!("{stem}.tar")), vec!["-Ft"]),
        };
        run_tool(
            Command::new("pg_dump")
                .args(&args)
                .arg("-f")
                .arg(&path)
                .args(["-d", &db_url]),
            None,
        );
        if style == PgStyle::PlainGz {
            let plain = std::fs::read(&path).unwrap();
            let gz = run_tool(Command::new("gzip").arg("-c"), Some(&plain));
            std::fs::remove_file(&path).unwrap();
            let gz_path = dir.join(format!("{stem}.sql.gz"));
            std::fs::write(&gz_path, gz).unwrap();
            out.push(gz_path);
        } else {
            out.push(path);
        }
    }
    out
}

/// One PostgreSQL dump in `style` (see [`pg_rich_dumps`]).
pub(crate) fn pg_rich_dump(dir: &Path, style: PgStyle) -> PathBuf {
    pg_rich_dumps(dir, &[style]).remove(0)
}

/// `mariadb` client arguments for a `mysql://user[:password]@host[:port]` URL.
fn my_args(url: &str) -> Vec<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['/', '?']).next().unwrap_or(rest);
    let (auth, host) = rest.rsplit_once('@').unwrap_or(("root", rest));
    let (user, password) = auth
        .split_once(':')
        .map_or((auth, None), |(u, p)| (u, Some(p)));
    let (host, port) = host.split_once(':').unwrap_or((host, "3306"));
    let mut v = vec![
        format!("--user={user}"),
        format!("--host={host}"),
        format!("--port={port}"),
        "--protocol=tcp".to_string(),
    ];
    if let Some(p) = password {
        v.push(format!("--password={p}"));
    }
    v
}

/// Drops the MariaDB database on drop.
struct MyDb {
    args: Vec<String>,
    name: String,
}

impl Drop for MyDb {
    fn drop(&mut self) {
        let _ = Command::new("mariadb")
            .args(&self.args)
            .arg("-e")
            .arg(format!("DROP DATABASE IF EXISTS `{}`", self.name))
            .output();
    }
}

fn my_hex(b: &[u8]) -> String {
    if b.is_empty() {
        "''".to_string()
    } else {
        format!("X'{}'", anonkos::digest::hex(b))
    }
}

/// The MariaDB schema and rows.
fn mariadb_schema() -> String {
    let mut s = String::from(
        "CREATE TABLE persons (
  id int AUTO_INCREMENT PRIMARY KEY,
  emri varchar(100) NOT NULL,
  mood ENUM('sad', 'ok', 'happy'),
  born datetime,
  photo mediumblob,
  thumb varbinary(16),
  emri_upper varchar(100) AS (upper(emri)) STORED
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE visits (
  person_id int,
  visit_no int,
  note text,
  PRIMARY KEY (person_id, visit_no),
  FOREIGN KEY (person_id) REFERENCES persons (id)
);
CREATE TABLE visit_items (
  person_id int,
  visit_no int,
  item varchar(50),
  FOREIGN KEY (person_id, visit_no) REFERENCES visits (person_id, visit_no)
);
CREATE SEQUENCE invoice_seq START WITH 100;
CREATE TABLE measurements (id int, taken date NOT NULL, value decimal(8,2))
  PARTITION BY RANGE (YEAR(taken)) (PARTITION p2023 VALUES LESS THAN (2024), PARTITION p2024 VALUES LESS THAN (2025));
INSERT INTO measurements VALUES (1, '2023-03-01', 1.5), (2, '2023-07-01', 2), (3, '2024-01-02', 3), (4, '2024-05-05', 4), (5, '2024-12-31', 5);
CREATE VIEW v_persons AS SELECT id, emri FROM persons;
DELIMITER ;;
CREATE PROCEDURE log_visit(p int)
BEGIN
  CREATE TEMPORARY TABLE tmp_log (x int);
  INSERT INTO visits VALUES (p, 99, 'phantom');
  INSERT INTO tmp_log SELECT person_id FROM visits;
END ;;
CREATE FUNCTION add_one(a int) RETURNS int DETERMINISTIC
BEGIN
  DECLARE b int;
  SET b = a + 1;
  RETURN b;
END ;;
CREATE TRIGGER trg_visits BEFORE INSERT ON visits FOR EACH ROW
BEGIN
  IF NEW.note IS NULL THEN SET NEW.note = 'x;y'; END IF;
END ;;
CREATE EVENT ev_cleanup ON SCHEDULE EVERY 1 DAY DISABLE DO
BEGIN
  INSERT INTO visits VALUES (1, 97, 'event');
  DELETE FROM visits WHERE visit_no = 97;
END ;;
DELIMITER ;
",
    );
    for id in 1..=PERSONS {
        let photo = photo(id).map_or("NULL".to_string(), |b| my_hex(&b));
        let thumb = photo_thumb(id);
        writeln!(
            s,
            "INSERT INTO persons (emri, mood, born, photo, thumb) VALUES ('{}', '{}', '2006-02-15 04:34:33', {photo}, {});",
            emri(id).replace('\\', "\\\\").replace('\'', "''"),
            ["sad", "ok", "happy"][id % 3],
            my_hex(&thumb)
        )
        .unwrap();
    }
    for id in 1..=40 {
        writeln!(
            s,
            "INSERT INTO visits (person_id, visit_no) VALUES ({id}, 1), ({id}, 2);"
        )
        .unwrap();
        writeln!(
            s,
            "INSERT INTO visit_items VALUES ({id}, 1, 'a'), ({id}, 2, 'b'), ({id}, 2, 'c');"
        )
        .unwrap();
    }
    s
}

/// The `thumb varbinary(16)` value of person `id`.
pub(crate) fn photo_thumb(id: usize) -> Vec<u8> {
    vec![0x00, 0x27, 0x5c, 0x0a, 0xff, (id % 256) as u8]
}

/// Rows per table as a MariaDB dump holds them (the sequence is not a table of rows).
pub(crate) fn mariadb_expected_rows() -> BTreeMap<String, u64> {
    [
        ("measurements", 5),
        ("persons", PERSONS as u64),
        ("visits", 80),
        ("visit_items", 120),
    ]
    .into_iter()
    .map(|(t, n)| (t.to_string(), n))
    .collect()
}

/// Load the MariaDB schema into a fresh database and dump it in each style into `dir`.
pub(crate) fn mariadb_rich_dumps(dir: &Path, styles: &[MyStyle]) -> Vec<PathBuf> {
    let url = std::env::var("ANONKOS_TEST_MYSQL_URL")
        .expect("ANONKOS_TEST_MYSQL_URL (check env_url first)");
    let db = MyDb {
        args: my_args(&url),
        name: unique("anonkos_rd"),
    };
    run_tool(
        Command::new("mariadb")
            .args(&db.args)
            .arg("-e")
            .arg(format!("CREATE DATABASE `{}`", db.name)),
        None,
    );
    run_tool(
        Command::new("mariadb").args(&db.args).arg(&db.name),
        Some(mariadb_schema().as_bytes()),
    );
    let mut out = Vec::new();
    for &style in styles {
        let extra: &[&str] = match style {
            MyStyle::Default => &[],
            MyStyle::HexBlob => &["--hex-blob"],
            MyStyle::SkipExtendedInsert => &["--skip-extended-insert"],
            MyStyle::Routines => &["--routines", "--triggers", "--events"],
        };
        let path = dir.join(format!("my_{style:?}.sql").to_lowercase());
        run_tool(
            Command::new("mariadb-dump")
                .args(&db.args)
                .args(extra)
                .arg(format!("--result-file={}", path.display()))
                .arg(&db.name),
            None,
        );
        out.push(path);
    }
    out
}

/// One MariaDB dump in `style` (see [`mariadb_rich_dumps`]).
pub(crate) fn mariadb_rich_dump(dir: &Path, style: MyStyle) -> PathBuf {
    mariadb_rich_dumps(dir, &[style]).remove(0)
}

/// `anonkos scan --format json` of `path` (plus `extra`): table → (rows_scanned, rows_total).
fn scan_counts(path: &Path, extra: &[&str]) -> BTreeMap<String, (u64, Option<u64>)> {
    let p = path.display().to_string();
    let mut args = vec!["scan", "--format", "json", &p];
    args.extend(extra);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{p} {extra:?}: {}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    json["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["status"], "ok", "{p}: {d}");
            (
                d["table"].as_str().unwrap().to_string(),
                (
                    d["rows_scanned"].as_u64().unwrap(),
                    d["rows_total"].as_u64(),
                ),
            )
        })
        .collect()
}

/// A binary column and the cell expected for each person id.
type BinaryColumn = (&'static str, fn(usize) -> Option<String>);

/// Scans (sampled and `--full`) list exactly the real tables with exact full counts, and the
/// photo bytes read back exactly through the library.
fn check_dump(
    path: &Path,
    want: &BTreeMap<String, u64>,
    persons: &str,
    binary_cols: &[BinaryColumn],
) {
    let name = path.display();
    let full = scan_counts(path, &["--full"]);
    let tables: Vec<&String> = full.keys().collect();
    assert_eq!(tables, want.keys().collect::<Vec<_>>(), "{name}: tables");
    for (t, n) in want {
        assert_eq!(full[t], (*n, Some(*n)), "{name}: {t} --full");
    }
    let sampled = scan_counts(path, &[]);
    assert_eq!(
        sampled.keys().collect::<Vec<_>>(),
        tables,
        "{name}: sampled tables"
    );
    for (t, n) in want {
        assert!(
            sampled[t].0 <= *n,
            "{name}: {t} sampled {} > {n}",
            sampled[t].0
        );
        assert!(sampled[t].0 > 0 || *n == 0, "{name}: {t} sampled nothing");
    }
    let srcs = anonkos::source::open(
        path,
        &name.to_string(),
        &anonkos::source::ReadOptions::default(),
    )
    .unwrap();
    let mut src = srcs
        .into_iter()
        .find(|s| s.info().table.as_deref() == Some(persons))
        .unwrap();
    let schema = src.schema();
    let col = |c: &str| schema.index_of(c).unwrap();
    let id = col("id");
    let cells = read_cells(&mut src);
    assert_eq!(cells.len(), PERSONS, "{name}");
    for (c, expect) in binary_cols {
        let k = col(c);
        for row in &cells {
            let pid: usize = row[id].as_deref().unwrap().parse().unwrap();
            assert_eq!(row[k], expect(pid), "{name}: {c} of person {pid}");
        }
    }
    let emri_col = col("emri");
    for row in &cells {
        let pid: usize = row[id].as_deref().unwrap().parse().unwrap();
        assert_eq!(
            row[emri_col].as_deref(),
            Some(emri(pid).as_str()),
            "{name}: emri of {pid}"
        );
    }
}

#[test]
fn pg_dump_styles_read_exactly() {
    if env_url("ANONKOS_TEST_PG_URL").is_none() {
        return;
    }
    let d = TestDir::new();
    let styles = PG_STYLES;
    let dumps = pg_rich_dumps(d.path(), &styles);
    let want = pg_expected_rows();
    for p in &dumps {
        check_dump(p, &want, "public.persons", &[("photo", photo_cell)]);
    }
    // The plain dump holds the SQL-standard body whole, with its ';'s.
    let plain = std::fs::read_to_string(&dumps[0]).unwrap();
    assert!(
        plain.contains("BEGIN ATOMIC"),
        "pg_dump wrote no BEGIN ATOMIC body"
    );
    // A directory of dumps: the -Fd directory is one dataset source, not a pile of files.
    let o = run(&["scan", "--format", "json", &d.path().display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let sources: std::collections::BTreeSet<String> = json["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ds| ds["source"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sources.len(), styles.len(), "{sources:?}");
}

#[test]
fn mariadb_dump_styles_read_exactly() {
    if env_url("ANONKOS_TEST_MYSQL_URL").is_none() {
        return;
    }
    let d = TestDir::new();
    let styles = MY_STYLES;
    let dumps = mariadb_rich_dumps(d.path(), &styles);
    let want = mariadb_expected_rows();
    fn thumb_cell(id: usize) -> Option<String> {
        Some(format!("\\x{}", anonkos::digest::hex(&photo_thumb(id))))
    }
    for p in &dumps {
        check_dump(
            p,
            &want,
            "persons",
            &[("photo", photo_cell), ("thumb", thumb_cell)],
        );
    }
    // The routines dump really holds what used to make phantom tables and rows.
    let routines = std::fs::read(&dumps[3]).unwrap();
    let text = String::from_utf8_lossy(&routines);
    for needle in [
        "DELIMITER ;;",
        "CREATE TEMPORARY TABLE tmp_log",
        "'phantom'",
        "TRIGGER",
        "EVENT",
    ] {
        assert!(text.contains(needle), "the routines dump lacks {needle}");
    }
}

/// The category of `column` of `table` in a sampled scan of `path`.
fn category_of(path: &Path, table: &str, column: &str) -> String {
    let p = path.display().to_string();
    let o = run(&["scan", "--format", "json", &p]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // No raw byte of a photo reaches the report.
    assert!(
        !stdout(&o).contains("00275c0a"),
        "photo bytes in the report"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ds = json["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ds| ds["table"] == table)
        .unwrap();
    let col = ds["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == column)
        .unwrap();
    col["category"].as_str().unwrap().to_string()
}

#[test]
fn photo_columns_of_real_dumps_are_photos() {
    if let Some(_url) = env_url("ANONKOS_TEST_MYSQL_URL") {
        let d = TestDir::new();
        let p = mariadb_rich_dump(d.path(), MyStyle::Default);
        assert_eq!(category_of(&p, "persons", "photo"), "photo");
    }
    if let Some(_url) = env_url("ANONKOS_TEST_PG_URL") {
        let d = TestDir::new();
        let p = pg_rich_dump(d.path(), PgStyle::Plain);
        assert_eq!(category_of(&p, "public.persons", "photo"), "photo");
    }
}
