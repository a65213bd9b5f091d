//! SQLite files and live PostgreSQL / MariaDB through the CLI.
//!
//! The live-server tests read `ANONKOS_TEST_PG_URL` (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`) and `ANONKOS_TEST_MYSQL_URL` (e.g.
//! `mysql://root@127.0.0.1:3306`); when one is unset its tests print `SKIPPED: …` and pass.
//! Each test works in its own randomly named schema / database (and role / user), loaded with
//! the synthetic sample tables, and drops everything it created through a guard, also when it
//! fails.
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::util::{TestDir, read_cells, run, stderr, stdout};

const PASSWORD: &str = "s3cretPW";

/// A fresh lower-case name such as `anonkos_t_1a2b3c_4`.
pub(crate) fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{:x}{:x}_{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The server URL from `var`, or `None` after saying on the real stderr (not the captured test
/// output, so `cargo test` shows it even for passing tests) that the test was skipped.
pub(crate) fn env_url(var: &str) -> Option<String> {
    use std::io::Write;
    match std::env::var(var) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED: {var} not set (database test not run; see README, Development)"
            );
            None
        }
    }
}

/// The synthetic sample tables (`anonkos sample`) as (header, rows).
struct SampleTable {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn sample_tables(d: &TestDir) -> (SampleTable, SampleTable) {
    let out = d.path().join("samples");
    let o = run(&["sample", "--out", &out.display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let read = |name: &str| {
        let mut r = csv::Reader::from_path(out.join(name)).unwrap();
        let header = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r
            .records()
            .map(|rec| rec.unwrap().iter().map(String::from).collect())
            .collect();
        SampleTable { header, rows }
    };
    (read("patients.csv"), read("faturat.csv"))
}

/// What every column of a sample file should be classified as.
fn expected(file: &str) -> BTreeMap<String, String> {
    anonkos::sample::expected_categories()
        .into_iter()
        .filter(|(f, _, _)| *f == file)
        .map(|(_, c, cat)| (c.to_string(), cat.to_string()))
        .collect()
}

fn scan(args: &[&str]) -> (Output, serde_json::Value) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend(args);
    let o = run(&all);
    let e = stderr(&o);
    assert!(!e.contains("panicked"), "panic: {e}");
    let json = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|err| panic!("no JSON report ({err}): {}\n{e}", stdout(&o)));
    (o, json)
}

/// Datasets by table name.
fn by_table(json: &serde_json::Value) -> BTreeMap<String, serde_json::Value> {
    json["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["table"].as_str().unwrap_or("").to_string(), d.clone()))
        .collect()
}

/// Column → category of one dataset.
fn categories(ds: &serde_json::Value) -> BTreeMap<String, String> {
    ds["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["category"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn assert_categories(ds: &serde_json::Value, file: &str) {
    assert_eq!(ds["status"], "ok", "{ds}");
    let got = categories(ds);
    let want = expected(file);
    assert!(!want.is_empty());
    let wrong: Vec<String> = want
        .iter()
        .filter(|(c, cat)| got.get(*c) != Some(*cat))
        .map(|(c, cat)| format!("{c}: expected {cat}, got {:?}", got.get(c)))
        .collect();
    assert!(wrong.is_empty(), "{file}: {}", wrong.join("; "));
}

fn assert_no_password(o: &Output) {
    assert!(
        !stdout(o).contains(PASSWORD) && !stderr(o).contains(PASSWORD),
        "the password leaked:\n{}\n{}",
        stdout(o),
        stderr(o)
    );
}

// ---------------------------------------------------------------------------------------------
// SQLite

fn sqlite_fixture(d: &TestDir) -> String {
    let (patients, faturat) = sample_tables(d);
    let path = d.path().join("clinic.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    for (name, t) in [("patients", &patients), ("faturat", &faturat)] {
        let cols: Vec<String> = t.header.iter().map(|h| format!("\"{h}\" TEXT")).collect();
        conn.execute(&format!("CREATE TABLE {name} ({})", cols.join(", ")), [])
            .unwrap();
        let marks = vec!["?"; t.header.len()].join(", ");
        let mut ins = conn
            .prepare(&format!("INSERT INTO {name} VALUES ({marks})"))
            .unwrap();
        for r in &t.rows {
            ins.execute(rusqlite::params_from_iter(r.iter())).unwrap();
        }
    }
    conn.execute_batch(
        "CREATE VIEW v_contacts AS SELECT emri, telefoni FROM patients;
         CREATE TABLE files (id INTEGER PRIMARY KEY, size REAL, content BLOB);
         INSERT INTO files VALUES (1, 2.5, x'deadbeef'), (2, NULL, NULL);",
    )
    .unwrap();
    drop(conn);
    path.display().to_string()
}

fn dir_listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn sqlite_tables_and_views_are_classified_and_the_file_is_untouched() {
    let d = TestDir::new();
    let db = sqlite_fixture(&d);
    let before = std::fs::read(&db).unwrap();
    let files_before = dir_listing(d.path());
    for mode in [&[][..], &["--full"][..]] {
        let mut args = mode.to_vec();
        args.push(&db);
        let (o, json) = scan(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let t = by_table(&json);
        assert_eq!(
            t.keys().collect::<Vec<_>>(),
            ["faturat", "files", "patients", "v_contacts"]
        );
        assert_categories(&t["patients"], "patients.csv");
        assert_categories(&t["faturat"], "faturat.csv");
        let view = categories(&t["v_contacts"]);
        assert_eq!(view["emri"], "person_name");
        assert_eq!(view["telefoni"], "phone_number");
        assert_eq!(t["patients"]["format"], "sqlite");
        assert_eq!(t["patients"]["rows_total"], 300);
        assert_eq!(t["files"]["rows_scanned"], 2);
        let notes = t["files"]["notes"].to_string();
        assert!(notes.contains("hex"), "{notes}");
    }
    assert!(
        std::fs::read(&db).unwrap() == before,
        "the SQLite file changed"
    );
    assert_eq!(
        dir_listing(d.path()),
        files_before,
        "journal/WAL files left behind"
    );
}

#[test]
fn sqlite_include_and_exclude() {
    let d = TestDir::new();
    let db = sqlite_fixture(&d);
    let (_, json) = scan(&["--include", "pat*", &db]);
    assert_eq!(by_table(&json).keys().collect::<Vec<_>>(), ["patients"]);
    let (_, json) = scan(&["--exclude", "v_*", "--exclude", "files", &db]);
    assert_eq!(
        by_table(&json).keys().collect::<Vec<_>>(),
        ["faturat", "patients"]
    );
}

#[test]
fn sqlite_corrupt_files_are_input_errors_naming_file_and_table() {
    let d = TestDir::new();
    // Not a database at all, but with the SQLite header.
    let mut junk = b"SQLite format 3\0".to_vec();
    junk.extend(std::iter::repeat_n(0xA5u8, 8192));
    let bad = d.file("junk.sqlite", &junk);
    let (o, json) = scan(&[&bad]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(json["datasets"][0]["status"], "failed");
    assert!(stderr(&o).contains("junk.sqlite"), "{}", stderr(&o));

    // A real database whose table pages were destroyed: the schema still reads, the table
    // fails alone, naming the file and table.
    let db = sqlite_fixture(&d);
    let mut bytes = std::fs::read(&db).unwrap();
    let page = 4096;
    for b in bytes.iter_mut().skip(2 * page) {
        *b = 0xA5;
    }
    let broken = d.file("broken.sqlite", &bytes);
    let (o, json) = scan(&["--full", &broken]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("broken.sqlite:"), "{err}");
    let failed: Vec<_> = json["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["status"] == "failed")
        .collect();
    assert!(!failed.is_empty());
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/// A connection for setting up; and the parts of the test URL.
pub(crate) fn pg_client(url: &str) -> postgres::Client {
    url.parse::<postgres::Config>()
        .unwrap()
        .connect(postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL server: {e}"))
}

/// `url` with another user (and password).
fn pg_url_as(url: &str, user: &str, password: &str) -> String {
    let c: postgres::Config = url.parse().unwrap();
    let host = match c.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "localhost".to_string(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    let db = c.get_dbname().unwrap_or("postgres");
    format!("postgres://{user}:{password}@{host}:{port}/{db}")
}

/// Drops the schema (and role) it names when dropped.
struct PgGuard {
    url: String,
    schema: String,
    role: Option<String>,
}

impl Drop for PgGuard {
    fn drop(&mut self) {
        if let Ok(mut c) = self
            .url
            .parse::<postgres::Config>()
            .and_then(|c| c.connect(postgres::NoTls))
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
            if let Some(r) = &self.role {
                let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS {r}"));
            }
        }
    }
}

fn pg_load(c: &mut postgres::Client, table: &str, t: &SampleTable) {
    let cols: Vec<String> = t.header.iter().map(|h| format!("\"{h}\" text")).collect();
    c.batch_execute(&format!("CREATE TABLE {table} ({})", cols.join(", ")))
        .unwrap();
    let mut w = c
        .copy_in(&format!("COPY {table} FROM STDIN (FORMAT csv)"))
        .unwrap();
    let mut csv = csv::Writer::from_writer(Vec::new());
    for r in &t.rows {
        csv.write_record(r).unwrap();
    }
    std::io::Write::write_all(&mut w, &csv.into_inner().unwrap()).unwrap();
    w.finish().unwrap();
}

#[test]
fn postgres_tables_are_classified_sampled_and_full() {
    let Some(url) = env_url("ANONKOS_TEST_PG_URL") else {
        return;
    };
    let d = TestDir::new();
    let (patients, faturat) = sample_tables(&d);
    let schema = unique("anonkos_t");
    let _guard = PgGuard {
        url: url.clone(),
        schema: schema.clone(),
        role: None,
    };
    let mut c = pg_client(&url);
    c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    pg_load(&mut c, &format!("{schema}.patients"), &patients);
    pg_load(&mut c, &format!("{schema}.faturat"), &faturat);
    c.batch_execute(&format!(
        "CREATE VIEW {schema}.v_contacts AS SELECT emri, telefoni FROM {schema}.patients;
         CREATE TABLE {schema}.files (id int, content bytea, born date);
         INSERT INTO {schema}.files VALUES (1, '\\xdeadbeef', '1990-05-17'), (2, NULL, NULL);
         ANALYZE {schema}.patients"
    ))
    .unwrap();
    let include = format!("{schema}.*");
    for mode in ["sample", "full"] {
        let mut args = vec!["--include", &include, &url];
        if mode == "full" {
            args.insert(0, "--full");
        }
        let (o, json) = scan(&args);
        assert_eq!(o.status.code(), Some(0), "{mode}: {}", stderr(&o));
        let t = by_table(&json);
        let names: Vec<String> = ["faturat", "files", "patients", "v_contacts"]
            .iter()
            .map(|n| format!("{schema}.{n}"))
            .collect();
        assert_eq!(t.keys().cloned().collect::<Vec<_>>(), names, "{mode}");
        let p = &t[&format!("{schema}.patients")];
        assert_categories(p, "patients.csv");
        assert_categories(&t[&format!("{schema}.faturat")], "faturat.csv");
        assert_eq!(p["format"], "postgresql");
        assert_eq!(p["rows_scanned"], 300);
        assert_eq!(p["rows_total"], 300);
        assert_eq!(p["columns"][0]["data_type"], "text", "{}", p["columns"][0]);
        let view = categories(&t[&format!("{schema}.v_contacts")]);
        assert_eq!(view["telefoni"], "phone_number");
        assert_eq!(t[&format!("{schema}.files")]["rows_scanned"], 2);
        assert!(!stdout(&o).contains(PASSWORD));
    }
}

#[test]
fn postgres_table_without_select_permission_fails_alone() {
    let Some(url) = env_url("ANONKOS_TEST_PG_URL") else {
        return;
    };
    let schema = unique("anonkos_p");
    let role = unique("anonkos_r");
    let _guard = PgGuard {
        url: url.clone(),
        schema: schema.clone(),
        role: Some(role.clone()),
    };
    let mut c = pg_client(&url);
    c.batch_execute(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}';
         CREATE SCHEMA {schema};
         CREATE TABLE {schema}.open_table (telefoni text);
         CREATE TABLE {schema}.secret (telefoni text);
         INSERT INTO {schema}.open_table VALUES ('044 123 456'), ('045 234 567');
         INSERT INTO {schema}.secret VALUES ('044 123 456');
         GRANT USAGE ON SCHEMA {schema} TO {role};
         GRANT SELECT ON {schema}.open_table TO {role};"
    ))
    .unwrap();
    let as_role = pg_url_as(&url, &role, PASSWORD);
    let include = format!("{schema}.*");
    let (o, json) = scan(&["--include", &include, &as_role]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let t = by_table(&json);
    let secret = &t[&format!("{schema}.secret")];
    assert_eq!(secret["status"], "failed", "{secret}");
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{schema}.secret")) && err.contains("permission denied"),
        "{err}"
    );
    let open = &t[&format!("{schema}.open_table")];
    assert_eq!(open["status"], "ok");
    assert_eq!(open["columns"][0]["category"], "phone_number");
    assert_no_password(&o);
}

#[test]
fn postgres_connection_errors_name_the_server_and_hide_the_password() {
    // Nothing listens on port 1: no test server needed.
    let o = run(&[
        "scan",
        &format!("postgres://someone:{PASSWORD}@127.0.0.1:1/db"),
    ]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("postgres://someone@127.0.0.1:1/db") && err.contains("cannot connect"),
        "{err}"
    );
    assert_no_password(&o);

    let Some(url) = env_url("ANONKOS_TEST_PG_URL") else {
        return;
    };
    let c: postgres::Config = url.parse().unwrap();
    let user = c.get_user().unwrap_or("postgres").to_string();
    let missing = pg_url_as(&url, &user, PASSWORD).replace(
        &format!("/{}", c.get_dbname().unwrap_or("postgres")),
        "/anonkos_no_such_db",
    );
    let o = run(&["scan", &missing]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(err.contains("anonkos_no_such_db"), "{err}");
    assert_no_password(&o);
}

#[test]
fn postgres_sampling_a_large_table_is_fast_and_reads_few_rows() {
    let Some(url) = env_url("ANONKOS_TEST_PG_URL") else {
        return;
    };
    let schema = unique("anonkos_big");
    let _guard = PgGuard {
        url: url.clone(),
        schema: schema.clone(),
        role: None,
    };
    let mut c = pg_client(&url);
    c.batch_execute(&format!(
        "CREATE SCHEMA {schema};
         CREATE TABLE {schema}.big (id bigint, telefoni text);
         INSERT INTO {schema}.big
           SELECT i, '044 ' || lpad((i % 1000)::text, 3, '0') || ' ' || lpad((i % 997)::text, 3, '0')
           FROM generate_series(1, 2000000) i;
         ANALYZE {schema}.big;"
    ))
    .unwrap();
    let include = format!("{schema}.*");
    let start = Instant::now();
    let (o, json) = scan(&["--include", &include, &url]);
    let took = start.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ds = &json["datasets"][0];
    let scanned = ds["rows_scanned"].as_u64().unwrap();
    assert!((2_000..=5_000).contains(&scanned), "{ds}");
    assert_eq!(ds["rows_total_estimated"], true);
    let total = ds["rows_total"].as_u64().unwrap();
    assert!((1_500_000..=2_500_000).contains(&total), "{total}");
    assert_eq!(ds["columns"][1]["category"], "phone_number");
    assert!(took < Duration::from_secs(5), "sampled scan took {took:?}");
}

// ---------------------------------------------------------------------------------------------
// MariaDB / MySQL

/// Drops the database (and user) it names when dropped.
pub(crate) struct MyGuard {
    pub(crate) url: String,
    pub(crate) database: String,
    pub(crate) user: Option<String>,
}

impl Drop for MyGuard {
    fn drop(&mut self) {
        if let Ok(mut c) = my_conn(&self.url) {
            use mysql::prelude::Queryable;
            let _ = c.query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.database));
            if let Some(u) = &self.user {
                let _ = c.query_drop(format!("DROP USER IF EXISTS '{u}'@'%'"));
            }
        }
    }
}

pub(crate) fn my_conn(url: &str) -> mysql::Result<mysql::Conn> {
    let url = url.replacen("mariadb://", "mysql://", 1);
    mysql::Conn::new(mysql::Opts::from_url(&url)?)
}

/// `url` with another user, password and database.
fn my_url(url: &str, user: &str, password: Option<&str>, db: &str) -> String {
    let o = mysql::Opts::from_url(&url.replacen("mariadb://", "mysql://", 1)).unwrap();
    let auth = match password {
        Some(p) => format!("{user}:{p}"),
        None => user.to_string(),
    };
    format!(
        "mysql://{auth}@{}:{}/{db}",
        o.get_ip_or_hostname(),
        o.get_tcp_port()
    )
}

/// `url` (the test server's, user and password kept) with database `db`.
pub(crate) fn my_url_db(url: &str, db: &str) -> String {
    let o = mysql::Opts::from_url(&url.replacen("mariadb://", "mysql://", 1)).unwrap();
    my_url(url, o.get_user().unwrap_or("root"), o.get_pass(), db)
}

fn my_load(c: &mut mysql::Conn, table: &str, t: &SampleTable) {
    use mysql::prelude::Queryable;
    let cols: Vec<String> = t.header.iter().map(|h| format!("`{h}` text")).collect();
    c.query_drop(format!(
        "CREATE TABLE {table} ({}) CHARACTER SET utf8mb4",
        cols.join(", ")
    ))
    .unwrap();
    let marks = vec!["?"; t.header.len()].join(", ");
    c.exec_batch(
        format!("INSERT INTO {table} VALUES ({marks})"),
        t.rows.iter().map(|r| {
            mysql::Params::Positional(r.iter().map(|v| mysql::Value::from(v.as_str())).collect())
        }),
    )
    .unwrap();
}

#[test]
fn mysql_tables_are_classified_sampled_and_full() {
    use mysql::prelude::Queryable;
    let Some(url) = env_url("ANONKOS_TEST_MYSQL_URL") else {
        return;
    };
    let d = TestDir::new();
    let (patients, faturat) = sample_tables(&d);
    let db = unique("anonkos_t");
    let _guard = MyGuard {
        url: url.clone(),
        database: db.clone(),
        user: None,
    };
    let mut c = my_conn(&url).unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}` CHARACTER SET utf8mb4"))
        .unwrap();
    my_load(&mut c, &format!("`{db}`.patients"), &patients);
    my_load(&mut c, &format!("`{db}`.faturat"), &faturat);
    c.query_drop(format!(
        "CREATE VIEW `{db}`.v_contacts AS SELECT emri, telefoni FROM `{db}`.patients"
    ))
    .unwrap();
    c.query_drop(format!(
        "CREATE TABLE `{db}`.files (id int, content blob, born date, seen datetime)"
    ))
    .unwrap();
    c.query_drop(format!(
        "INSERT INTO `{db}`.files VALUES (1, x'deadbeef', '1990-05-17', '2024-01-02 03:04:05'), \
         (2, NULL, NULL, NULL)"
    ))
    .unwrap();
    let with_db = my_url_db(&url, &db);
    let names: Vec<String> = ["faturat", "files", "patients", "v_contacts"]
        .iter()
        .map(|n| format!("{db}.{n}"))
        .collect();
    let include = format!("{db}.*");
    let mariadb_scheme = with_db.replacen("mysql://", "mariadb://", 1);
    let runs: Vec<Vec<&str>> = vec![
        vec![&with_db],
        vec!["--full", &mariadb_scheme],
        // No database in the URL: every database, narrowed by the glob.
        vec!["--include", &include, &url],
    ];
    for args in runs {
        let (o, json) = scan(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let t = by_table(&json);
        assert_eq!(t.keys().cloned().collect::<Vec<_>>(), names, "{args:?}");
        let p = &t[&format!("{db}.patients")];
        assert_categories(p, "patients.csv");
        assert_categories(&t[&format!("{db}.faturat")], "faturat.csv");
        assert_eq!(p["format"], "mysql");
        assert_eq!(p["rows_scanned"], 300);
        assert_eq!(p["columns"][0]["data_type"], "text");
        let view = categories(&t[&format!("{db}.v_contacts")]);
        assert_eq!(view["telefoni"], "phone_number");
        let files = &t[&format!("{db}.files")];
        assert_eq!(files["rows_scanned"], 2);
        assert!(files["notes"].to_string().contains("hex"), "{files}");
    }
}

#[test]
fn mysql_wrong_password_and_unreadable_table() {
    use mysql::prelude::Queryable;
    let Some(url) = env_url("ANONKOS_TEST_MYSQL_URL") else {
        return;
    };
    let db = unique("anonkos_p");
    let user = unique("anonkos_u");
    let _guard = MyGuard {
        url: url.clone(),
        database: db.clone(),
        user: Some(user.clone()),
    };
    let mut c = my_conn(&url).unwrap();
    for sql in [
        format!("CREATE DATABASE `{db}`"),
        format!("CREATE TABLE `{db}`.open_table (telefoni varchar(40))"),
        format!("CREATE TABLE `{db}`.secret (telefoni varchar(40))"),
        format!("INSERT INTO `{db}`.open_table VALUES ('044 123 456'), ('045 234 567')"),
        format!("INSERT INTO `{db}`.secret VALUES ('044 123 456')"),
        format!("CREATE USER '{user}'@'%' IDENTIFIED BY '{PASSWORD}'"),
        format!("GRANT SELECT ON `{db}`.open_table TO '{user}'@'%'"),
        // Some privilege, so the table is listed, but not SELECT.
        format!("GRANT INSERT ON `{db}`.secret TO '{user}'@'%'"),
    ] {
        c.query_drop(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    let (o, json) = scan(&[&my_url(&url, &user, Some(PASSWORD), &db)]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let t = by_table(&json);
    assert_eq!(t[&format!("{db}.open_table")]["status"], "ok");
    assert_eq!(t[&format!("{db}.secret")]["status"], "failed");
    let err = stderr(&o);
    assert!(err.contains(&format!("{db}.secret")), "{err}");
    assert_no_password(&o);

    // The server rejects a wrong password.
    let wrong = my_url(&url, &user, Some(&format!("{PASSWORD}x")), &db);
    let o = run(&["scan", &wrong]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("Access denied") && err.contains(&format!("mysql://{user}@")),
        "{err}"
    );
    assert_no_password(&o);

    // Unknown database.
    let o = run(&[
        "scan",
        &my_url(&url, &user, Some(PASSWORD), "anonkos_no_such_db"),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("anonkos_no_such_db"), "{}", stderr(&o));
    assert_no_password(&o);
}

#[test]
fn mysql_sampling_a_large_table_reads_few_rows() {
    use mysql::prelude::Queryable;
    let Some(url) = env_url("ANONKOS_TEST_MYSQL_URL") else {
        return;
    };
    let db = unique("anonkos_big");
    let _guard = MyGuard {
        url: url.clone(),
        database: db.clone(),
        user: None,
    };
    let mut c = my_conn(&url).unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    c.query_drop(format!(
        "CREATE TABLE `{db}`.big (id int PRIMARY KEY, telefoni varchar(20))"
    ))
    .unwrap();
    // 200 000 rows from a digits table (portable: no sequence engine, no recursion limit).
    for sql in [
        format!("CREATE TABLE `{db}`.digits (d int)"),
        format!("INSERT INTO `{db}`.digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)"),
        format!(
            "INSERT INTO `{db}`.big SELECT i, concat('044 ', lpad(i % 1000, 3, '0'), ' ', \
             lpad(i % 997, 3, '0')) FROM (SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d \
             + 10000 * f.d + 100000 * g.d AS i FROM `{db}`.digits a, `{db}`.digits b, \
             `{db}`.digits c, `{db}`.digits e, `{db}`.digits f, `{db}`.digits g \
             WHERE g.d < 2) s"
        ),
        format!("DROP TABLE `{db}`.digits"),
        // The same rows without a key: sampled with RAND() instead of key ranges.
        format!("CREATE TABLE `{db}`.big_nokey AS SELECT * FROM `{db}`.big"),
        format!("ANALYZE TABLE `{db}`.big, `{db}`.big_nokey"),
    ] {
        c.query_drop(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let start = Instant::now();
    let (o, json) = scan(&[&my_url_db(&url, &db)]);
    let took = start.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = by_table(&json);
    assert_eq!(t.len(), 2);
    for (name, how) in [("big", "primary-key ranges"), ("big_nokey", "RAND()")] {
        let ds = &t[&format!("{db}.{name}")];
        let scanned = ds["rows_scanned"].as_u64().unwrap();
        assert!((2_500..=5_000).contains(&scanned), "{ds}");
        assert_eq!(ds["rows_total_estimated"], true);
        assert_eq!(ds["columns"][1]["category"], "phone_number");
        assert!(ds["notes"].to_string().contains(how), "{ds}");
    }
    assert!(took < Duration::from_secs(10), "sampled scan took {took:?}");
}

#[test]
fn postgres_values_round_trip_through_copy() {
    let Some(url) = env_url("ANONKOS_TEST_PG_URL") else {
        return;
    };
    let schema = unique("anonkos_v");
    let _guard = PgGuard {
        url: url.clone(),
        schema: schema.clone(),
        role: None,
    };
    let mut c = pg_client(&url);
    c.batch_execute(&format!(
        "CREATE SCHEMA {schema};
         CREATE TABLE {schema}.v (n int, amount numeric(10,2), ok boolean, born date,
           seen timestamp, raw bytea, note text, tags text[], doc jsonb);"
    ))
    .unwrap();
    let long = "ë".repeat(300_000); // 600 kB: one COPY line spans many reader chunks
    c.execute(
        &format!(
            "INSERT INTO {schema}.v VALUES
               (1, 12.50, true, '1990-05-17', '2024-01-02 03:04:05', '\\xdeadbeef',
                E'tab\\there\\nnew line \\\\ back', '{{a,b}}', '{{\"k\": 1}}'),
               (2, NULL, NULL, NULL, NULL, NULL, '', NULL, NULL),
               (3, NULL, NULL, NULL, NULL, NULL, $1, NULL, NULL)"
        ),
        &[&long],
    )
    .unwrap();
    let opts = anonkos::source::ReadOptions {
        include_tables: vec![format!("{schema}.v")],
        ..Default::default()
    };
    let mut srcs = anonkos::source::open_url(&url, &opts).unwrap();
    assert_eq!(srcs.len(), 1);
    let types: Vec<String> = srcs[0]
        .schema()
        .fields()
        .iter()
        .map(|f| anonkos::source::rows::display_type(f))
        .collect();
    assert_eq!(types[1], "numeric(10,2)");
    assert_eq!(types[7], "text[]");
    let rows = read_cells(&mut srcs[0]);
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows[0],
        vec![
            s("1"),
            s("12.50"),
            s("t"),
            s("1990-05-17"),
            s("2024-01-02 03:04:05"),
            s("\\xdeadbeef"),
            s("tab\there\nnew line \\ back"),
            s("{a,b}"),
            s("{\"k\": 1}"),
        ]
    );
    assert_eq!(rows[1][1], None);
    assert_eq!(rows[1][6], s(""), "empty string is not NULL");
    assert_eq!(rows[2][6].as_deref(), Some(long.as_str()));
    assert_eq!(
        srcs[0].rows_total(),
        Some(anonkos::source::RowCount::Exact(3))
    );
}

#[test]
fn mysql_values_round_trip() {
    use mysql::prelude::Queryable;
    let Some(url) = env_url("ANONKOS_TEST_MYSQL_URL") else {
        return;
    };
    let db = unique("anonkos_v");
    let _guard = MyGuard {
        url: url.clone(),
        database: db.clone(),
        user: None,
    };
    let mut c = my_conn(&url).unwrap();
    for sql in [
        format!("CREATE DATABASE `{db}` CHARACTER SET utf8mb4"),
        format!(
            "CREATE TABLE `{db}`.v (n int, amount decimal(10,2), born date, seen datetime, \
             raw varbinary(10), txt_bin varbinary(20), note text)"
        ),
        format!(
            "INSERT INTO `{db}`.v VALUES (1, 12.50, '1990-05-17', '2024-01-02 03:04:05', \
             x'deadbeef', 'Qendër', 'tab\\there'), (2, NULL, NULL, NULL, NULL, NULL, '')"
        ),
    ] {
        c.query_drop(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let mut srcs = anonkos::source::open_url(
        &my_url_db(&url, &db),
        &anonkos::source::ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(srcs.len(), 1);
    assert_eq!(
        anonkos::source::rows::display_type(srcs[0].schema().field(1)),
        "decimal(10,2)"
    );
    let rows = read_cells(&mut srcs[0]);
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows[0],
        vec![
            s("1"),
            s("12.50"),
            s("1990-05-17"),
            s("2024-01-02 03:04:05"),
            s("deadbeef"),
            s("Qendër"),
            s("tab\there"),
        ]
    );
    assert_eq!(rows[1][1], None);
    assert_eq!(rows[1][6], s(""));
    assert!(srcs[0].info().notes.iter().any(|n| n.contains("hex")));
}

// ---------------------------------------------------------------------------------------------
// Secrets: a run on a live database never writes the password anywhere

/// Run `research-release` (throw-away key) on `url` and look for `PASSWORD` in stdout,
/// stderr and every file written (outputs, run report, processing log); the run report must
/// name the input as `shown`.
fn run_and_check_no_password(url: &str, shown: &str, env: &[(&str, &str)]) {
    let d = TestDir::new();
    let out = d.path().join("out");
    let o = crate::util::anonkos()
        .current_dir(crate::util::root())
        .envs(env.iter().copied())
        .args([
            "run",
            "pipelines/research-release.toml",
            "--input",
            url,
            "--out-dir",
            &out.display().to_string(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_no_password(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let inputs: Vec<&str> = report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert!(inputs.contains(&shown), "{inputs:?} lacks {shown}");
    let files = crate::util::files_under(&out);
    assert!(files.len() >= 2, "{files:?}");
    for f in files {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert!(
            !text.contains(PASSWORD),
            "{} holds the password",
            f.display()
        );
    }
}

/// Drops a PostgreSQL database and a role when dropped.
struct PgDbGuard {
    url: String,
    db: String,
    role: String,
}

impl Drop for PgDbGuard {
    fn drop(&mut self) {
        if let Ok(mut c) = self
            .url
            .parse::<postgres::Config>()
            .and_then(|c| c.connect(postgres::NoTls))
        {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db));
            let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS {}", self.role));
        }
    }
}

#[test]
fn runs_on_live_databases_never_show_the_password() {
    use mysql::prelude::Queryable;
    if let Some(url) = env_url("ANONKOS_TEST_PG_URL") {
        // A database of its own, so the run reads only this test's table.
        let db = unique("anonkos_s");
        let role = unique("anonkos_r");
        let _guard = PgDbGuard {
            url: url.clone(),
            db: db.clone(),
            role: role.clone(),
        };
        let mut admin = pg_client(&url);
        admin
            .batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'"))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .unwrap();
        let cfg: postgres::Config = url.parse().unwrap();
        // The same URL on the new database (its last path segment replaced).
        let on_db = |u: &str| match u.split_once('?').unwrap_or((u, "")).0.rsplit_once('/') {
            Some((base, _)) if base.contains("://") && base.len() > "postgres://".len() => {
                format!("{base}/{db}")
            }
            _ => format!("{}/{db}", u.trim_end_matches('/')),
        };
        let mut c = pg_client(&on_db(&url));
        c.batch_execute(&format!(
            "CREATE TABLE kontakte (id int, telefoni text);
             INSERT INTO kontakte VALUES (1, '044 123 456'), (2, '045 234 567');
             GRANT SELECT ON kontakte TO {role};"
        ))
        .unwrap();
        drop(c);
        // The password in the URL, in `PGPASSWORD`, and in a password file.
        let with_pw = on_db(&pg_url_as(&url, &role, PASSWORD));
        let without = with_pw.replacen(&format!(":{PASSWORD}@"), "@", 1);
        let host = match cfg.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            _ => "localhost".to_string(),
        };
        let d = TestDir::new();
        let pgpass = d.file(
            "pgpass",
            format!("{host}:*:*:{role}:{PASSWORD}\n").as_bytes(),
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        run_and_check_no_password(&with_pw, &without, &[]);
        run_and_check_no_password(&without, &without, &[("PGPASSWORD", PASSWORD)]);
        run_and_check_no_password(&without, &without, &[("PGPASSFILE", &pgpass)]);
    }
    if let Some(url) = env_url("ANONKOS_TEST_MYSQL_URL") {
        let db = unique("anonkos_s");
        let user = unique("anonkos_u");
        let _guard = MyGuard {
            url: url.clone(),
            database: db.clone(),
            user: Some(user.clone()),
        };
        let mut c = my_conn(&url).unwrap();
        for sql in [
            format!("CREATE DATABASE `{db}`"),
            format!("CREATE TABLE `{db}`.kontakte (id int, telefoni varchar(40))"),
            format!("INSERT INTO `{db}`.kontakte VALUES (1, '044 123 456'), (2, '045 234 567')"),
            format!("CREATE USER '{user}'@'%' IDENTIFIED BY '{PASSWORD}'"),
            format!("GRANT SELECT ON `{db}`.* TO '{user}'@'%'"),
        ] {
            c.query_drop(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let with_pw = my_url(&url, &user, Some(PASSWORD), &db);
        let without = my_url(&url, &user, None, &db);
        run_and_check_no_password(&with_pw, &without, &[]);
        run_and_check_no_password(&without, &without, &[("MYSQL_PWD", PASSWORD)]);
    }
}

// ---------------------------------------------------------------------------------------------
// Statement timeouts and cancellation

/// Run `anonkos` with `args`, optionally sending SIGINT once `started()` says the slow query
/// runs on the server; returns (exit code, stderr, seconds).
fn run_slow_scan(
    args: &[&str],
    interrupt_when: Option<&dyn Fn() -> bool>,
) -> (Option<i32>, String, f64) {
    let d = TestDir::new();
    let err_path = d.path().join("stderr.txt");
    let start = Instant::now();
    let mut child = crate::util::anonkos()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    if let Some(started) = interrupt_when {
        while !started() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the query never started"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let o = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .output()
            .unwrap();
        assert!(o.status.success());
    }
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the scan did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let secs = start.elapsed().as_secs_f64();
    let err = std::fs::read_to_string(&err_path).unwrap();
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr().lock(),
        "slow scan {args:?}: exit {:?} in {secs:.2} s",
        status.code()
    );
    (status.code(), err, secs)
}

/// Waits up to 5 s for `count()` to reach 0 (a cancelled query takes a moment to go).
fn assert_gone(what: &str, count: &dyn Fn() -> i64) {
    let start = Instant::now();
    while count() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{what}: the query is still running on the server"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn postgres_statement_timeout_fails_the_slow_table_alone_and_cancels_on_ctrl_c() {
    let Some(url) = env_url("ANONKOS_TEST_PG_URL") else {
        return;
    };
    let schema = unique("anonkos_t");
    let _guard = PgGuard {
        url: url.clone(),
        schema: schema.clone(),
        role: None,
    };
    let mut c = pg_client(&url);
    c.batch_execute(&format!(
        "CREATE SCHEMA {schema};
         CREATE TABLE {schema}.fine (emri text, telefoni text);
         INSERT INTO {schema}.fine VALUES ('Arben', '044 123 456'), ('Drita', '045 234 567');
         CREATE VIEW {schema}.slow AS SELECT pg_sleep(3600)::text AS s"
    ))
    .unwrap();
    let running = || -> i64 {
        let mut c = pg_client(&url);
        c.query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' \
             AND query LIKE '%' || $1 || '%slow%' AND pid <> pg_backend_pid()",
            &[&schema],
        )
        .unwrap()
        .get(0)
    };
    let include = format!("{schema}.*");
    // A 2-second timeout: the view fails alone, naming itself; the table is scanned.
    let (code, err, secs) = run_slow_scan(
        &[
            "scan",
            "--full",
            "--statement-timeout",
            "2",
            "--include",
            &include,
            &url,
        ],
        None,
    );
    assert_eq!(code, Some(3), "{err}");
    assert!(secs < 10.0, "{secs} s");
    assert!(
        err.contains(&format!("{schema}.slow")) && err.contains("statement timeout"),
        "{err}"
    );
    assert!(!err.contains(&format!("{schema}.fine")), "{err}");
    assert_gone("after a timeout", &running);
    // Ctrl-C while the query runs (timeout 600 s): exit 130 and the query is cancelled.
    let (code, err, secs) = run_slow_scan(
        &["scan", "--full", "--include", &include, &url],
        Some(&|| running() > 0),
    );
    assert_eq!(code, Some(130), "{err}");
    assert!(secs < 30.0, "{secs} s");
    assert_gone("after Ctrl-C", &running);
}

#[test]
fn mysql_statement_timeout_fails_the_slow_table_alone_and_cancels_on_ctrl_c() {
    use mysql::prelude::Queryable;
    let Some(url) = env_url("ANONKOS_TEST_MYSQL_URL") else {
        return;
    };
    let db = unique("anonkos_t");
    let _guard = MyGuard {
        url: url.clone(),
        database: db.clone(),
        user: None,
    };
    let mut c = my_conn(&url).unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    c.query_drop(format!(
        "CREATE TABLE `{db}`.fine (emri text, telefoni text) CHARACTER SET utf8mb4"
    ))
    .unwrap();
    c.query_drop(format!(
        "INSERT INTO `{db}`.fine VALUES ('Arben', '044 123 456'), ('Drita', '045 234 567')"
    ))
    .unwrap();
    c.query_drop(format!(
        "CREATE VIEW `{db}`.slow AS SELECT SLEEP(3600) AS s"
    ))
    .unwrap();
    let running = || -> i64 {
        let mut c = my_conn(&url).unwrap();
        c.exec_first(
            "SELECT COUNT(*) FROM information_schema.processlist \
             WHERE INFO LIKE CONCAT('%', ?, '%slow%') AND ID <> CONNECTION_ID()",
            (db.as_str(),),
        )
        .unwrap()
        .unwrap_or(0)
    };
    let db_url = my_url_db(&url, &db);
    let (code, err, secs) = run_slow_scan(
        &["scan", "--full", "--statement-timeout", "2", &db_url],
        None,
    );
    assert_eq!(code, Some(3), "{err}");
    assert!(secs < 10.0, "{secs} s");
    assert!(
        err.contains(&format!("{db}.slow")) && err.contains("statement timeout"),
        "{err}"
    );
    assert!(!err.contains(&format!("{db}.fine")), "{err}");
    assert_gone("after a timeout", &running);
    let (code, err, secs) = run_slow_scan(&["scan", "--full", &db_url], Some(&|| running() > 0));
    assert_eq!(code, Some(130), "{err}");
    assert!(secs < 30.0, "{secs} s");
    assert_gone("after Ctrl-C", &running);
}
