//! TLS to live PostgreSQL and MariaDB (issue 15, item 4; Law 03/L-172 Art. 7(2), 14).
//!
//! Run against the local servers configured by `.ci/tls-setup.sh`: a throw-away CA
//! (`ANONKOS_TEST_TLS_CA`), a server certificate for the IP address 127.0.0.1 only (so a
//! connection to `localhost` is a name mismatch), and a second CA, `wrong-ca.pem` next to the
//! first, that signed nothing the servers use. Server URLs as in `db.rs`
//! (`ANONKOS_TEST_PG_URL`, `ANONKOS_TEST_MYSQL_URL`); when a variable is unset the test prints
//! `SKIPPED: …` and passes.
use std::path::PathBuf;
use std::process::Output;

use crate::db::{MyGuard, env_url, my_conn, my_url_db, pg_client, unique};
use crate::util::{run, stderr, stdout};

/// A password that must never reach a message.
const PASSWORD: &str = "tlsS3cretPW";

/// The right and the wrong CA file, or `None` (SKIPPED) without `ANONKOS_TEST_TLS_CA`.
fn cas() -> Option<(String, String)> {
    let ca = env_url("ANONKOS_TEST_TLS_CA")?;
    let wrong = PathBuf::from(&ca).with_file_name("wrong-ca.pem");
    assert!(
        wrong.is_file(),
        "{} is missing: run .ci/tls-setup.sh",
        wrong.display()
    );
    Some((ca, wrong.display().to_string()))
}

/// `url` with `params` added to its query.
fn with(url: &str, params: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{params}")
}

/// `url` connecting to `localhost` instead of 127.0.0.1.
fn via_localhost(url: &str) -> String {
    assert!(
        url.contains("@127.0.0.1"),
        "the TLS tests need a server URL with host 127.0.0.1: {url}"
    );
    url.replacen("@127.0.0.1", "@localhost", 1)
}

/// `anonkos scan --format json --include <glob> <url>`: the exit status, the notes of every
/// table and stderr.
fn scan(url: &str, include: &str) -> (Output, Vec<String>, String) {
    scan_env(url, include, &[])
}

/// As [`scan`], with environment variables.
fn scan_env(url: &str, include: &str, env: &[(&str, &str)]) -> (Output, Vec<String>, String) {
    let o = crate::util::anonkos()
        .envs(env.iter().copied())
        .args(["scan", "--format", "json", "--include", include, url])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(
        !err.contains(PASSWORD) && !stdout(&o).contains(PASSWORD),
        "{err}"
    );
    let mut notes = Vec::new();
    if o.status.success() {
        let json: serde_json::Value = serde_json::from_str(&stdout(&o))
            .unwrap_or_else(|e| panic!("no JSON report ({e}): {}\n{err}", stdout(&o)));
        let datasets = json["datasets"].as_array().cloned().unwrap_or_default();
        assert!(!datasets.is_empty(), "no table scanned: {json}");
        for d in datasets {
            assert_eq!(d["status"], "ok", "{d}");
            notes.push(d["notes"].to_string());
        }
    }
    (o, notes, err)
}

/// Scan `url`; it must succeed and every table's notes must contain each of `want`.
fn scan_ok(url: &str, include: &str, want: &[&str]) {
    let (o, notes, err) = scan(url, include);
    assert_eq!(o.status.code(), Some(0), "{url}: {err}");
    for n in &notes {
        for w in want {
            assert!(n.contains(w), "{url}: {w:?} not in {n}");
        }
    }
}

/// Scan `url`; it must fail and stderr must contain each of `want`.
fn scan_fails(url: &str, include: &str, want: &[&str]) {
    let (o, _, err) = scan(url, include);
    assert_ne!(o.status.code(), Some(0), "{url} connected: {err}");
    for w in want {
        assert!(err.contains(w), "{url}: {w:?} not in {err}");
    }
}

/// A schema with one small table; dropped when the guard is.
struct PgSchema {
    url: String,
    schema: String,
}

impl PgSchema {
    fn new(url: &str) -> Self {
        let schema = unique("anonkos_tls");
        let mut c = pg_client(url);
        c.batch_execute(&format!(
            "CREATE SCHEMA {schema}; CREATE TABLE {schema}.contacts (email text); \
             INSERT INTO {schema}.contacts VALUES ('a@example.org'), ('b@example.org')"
        ))
        .unwrap();
        PgSchema {
            url: url.to_string(),
            schema,
        }
    }

    fn include(&self) -> String {
        format!("{}.*", self.schema)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let mut c = pg_client(&self.url);
        let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}

fn pg() -> Option<(String, PgSchema, String, String)> {
    let url = env_url("ANONKOS_TEST_PG_URL")?;
    let (ca, wrong) = cas()?;
    let schema = PgSchema::new(&url);
    Some((url, schema, ca, wrong))
}

/// A database with one small table, and the URL that names it.
fn my() -> Option<(String, MyGuard, String, String)> {
    use mysql::prelude::Queryable;
    let url = env_url("ANONKOS_TEST_MYSQL_URL")?;
    let (ca, wrong) = cas()?;
    let db = unique("anonkos_tls");
    let guard = MyGuard {
        url: url.clone(),
        database: db.clone(),
        user: None,
    };
    let mut c = my_conn(&url).unwrap();
    for sql in [
        format!("CREATE DATABASE `{db}`"),
        format!("CREATE TABLE `{db}`.contacts (id int PRIMARY KEY, email text)"),
        format!("INSERT INTO `{db}`.contacts VALUES (1, 'a@example.org'), (2, 'b@example.org')"),
    ] {
        c.query_drop(sql).unwrap();
    }
    Some((my_url_db(&url, &db), guard, ca, wrong))
}

/// A URL with a password that the server never sees (the handshake fails first).
fn with_password(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://nobody:{PASSWORD}@{host}")
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

#[test]
fn tls_postgres_require_encrypts_and_the_report_says_so() {
    let Some((url, s, _, _)) = pg() else { return };
    let want = ["over TLS (TLSv1.", "sslmode=require", "server not verified"];
    scan_ok(&with(&url, "sslmode=require"), &s.include(), &want);
    // The default is libpq's prefer: encrypted when the server offers TLS.
    scan_ok(&url, &s.include(), &["over TLS (TLSv1.", "sslmode=prefer"]);
}

#[test]
fn tls_postgres_verify_full_and_verify_ca_with_the_right_ca() {
    let Some((url, s, ca, _)) = pg() else { return };
    let full = with(&url, &format!("sslmode=verify-full&sslrootcert={ca}"));
    scan_ok(
        &full,
        &s.include(),
        &["over TLS (TLSv1.", "valid for the host"],
    );
    let chain = with(&url, &format!("sslmode=verify-ca&sslrootcert={ca}"));
    scan_ok(&chain, &s.include(), &["host not checked"]);
    // verify-ca does not check the name: localhost (not in the certificate) is accepted.
    let chain_local = with(
        &via_localhost(&url),
        &format!("sslmode=verify-ca&sslrootcert={ca}"),
    );
    scan_ok(&chain_local, &s.include(), &["over TLS (TLSv1."]);
}

#[test]
fn tls_postgres_wrong_ca_is_refused() {
    let Some((url, s, _, wrong)) = pg() else {
        return;
    };
    let msg = ["127.0.0.1", "is not signed by the CA in", "wrong-ca.pem"];
    for mode in ["verify-full", "verify-ca", "require"] {
        let u = with(&url, &format!("sslmode={mode}&sslrootcert={wrong}"));
        scan_fails(&u, &s.include(), &msg);
    }
    // The password of the URL is in no message (checked in scan()).
    let u = with(
        &with_password(&url),
        &format!("sslmode=verify-full&sslrootcert={wrong}"),
    );
    scan_fails(&u, &s.include(), &msg);
}

#[test]
fn tls_postgres_verify_full_checks_the_host_name() {
    let Some((url, s, ca, _)) = pg() else { return };
    let u = with(
        &via_localhost(&url),
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    scan_fails(&u, &s.include(), &["not valid for the host name localhost"]);
}

#[test]
fn tls_postgres_disable_still_works() {
    let Some((url, s, _, _)) = pg() else { return };
    let want = ["without TLS (sslmode=disable)"];
    scan_ok(&with(&url, "sslmode=disable"), &s.include(), &want);
    // libpq's environment variable, when the URL names no mode.
    let (o, notes, err) = scan_env(&url, &s.include(), &[("PGSSLMODE", "disable")]);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(notes.iter().all(|n| n.contains(want[0])), "{notes:?}");
    let e = ["is not a TLS mode"];
    scan_fails(&with(&url, "sslmode=verify_fulll"), &s.include(), &e);
}

// ---------------------------------------------------------------------------------------------
// MariaDB

#[test]
fn tls_mysql_required_encrypts_and_the_report_says_so() {
    let Some((url, g, _, _)) = my() else { return };
    let include = format!("{}.*", g.database);
    let want = [
        "over TLS (TLSv1.",
        "ssl-mode=REQUIRED",
        "server not verified",
    ];
    scan_ok(&with(&url, "ssl-mode=REQUIRED"), &include, &want);
    scan_ok(&url, &include, &["over TLS (TLSv1.", "ssl-mode=PREFERRED"]);
}

#[test]
fn tls_mysql_verify_identity_and_verify_ca_with_the_right_ca() {
    let Some((url, g, ca, _)) = my() else { return };
    let include = format!("{}.*", g.database);
    let full = with(&url, &format!("ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"));
    scan_ok(&full, &include, &["over TLS (TLSv1.", "valid for the host"]);
    let chain = with(&url, &format!("ssl-mode=VERIFY_CA&ssl-ca={ca}"));
    scan_ok(&chain, &include, &["host not checked"]);
}

#[test]
fn tls_mysql_wrong_ca_is_refused() {
    let Some((url, g, _, wrong)) = my() else {
        return;
    };
    let include = format!("{}.*", g.database);
    let msg = ["127.0.0.1", "is not signed by the CA in", "wrong-ca.pem"];
    for mode in ["VERIFY_IDENTITY", "VERIFY_CA", "REQUIRED"] {
        let u = with(&url, &format!("ssl-mode={mode}&ssl-ca={wrong}"));
        scan_fails(&u, &include, &msg);
    }
    let u = with(
        &with_password(&url),
        &format!("ssl-mode=VERIFY_IDENTITY&ssl-ca={wrong}"),
    );
    scan_fails(&u, &include, &msg);
}

#[test]
fn tls_mysql_verify_identity_checks_the_host_name() {
    let Some((url, g, ca, _)) = my() else { return };
    let include = format!("{}.*", g.database);
    let u = with(
        &via_localhost(&url),
        &format!("ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"),
    );
    scan_fails(&u, &include, &["not valid for the host name localhost"]);
}

#[test]
fn tls_mysql_disabled_still_works() {
    let Some((url, g, _, _)) = my() else { return };
    let include = format!("{}.*", g.database);
    let want = ["without TLS (ssl-mode=DISABLED)"];
    scan_ok(&with(&url, "ssl-mode=DISABLED"), &include, &want);
    scan_fails(
        &with(&url, "ssl-mode=REQUIRE_SSL"),
        &include,
        &["is not a TLS mode"],
    );
}

#[test]
fn tls_postgres_cancel_requests_use_the_same_tls() {
    use anonkos::source::db::tls::{PgTls, split_postgres};
    use std::sync::atomic::{AtomicBool, Ordering};
    let Some((url, _s, ca, _)) = pg() else { return };
    let (rest, opts) = split_postgres(&with(
        &url,
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .unwrap();
    let mut config: postgres::Config = rest.parse().unwrap();
    config.ssl_mode(PgTls::driver_mode(opts.mode));
    let tls = PgTls::new(&opts).unwrap();
    let mut client = config.connect(tls.clone()).unwrap();
    let ssl: bool = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(ssl, "the session is not encrypted");
    let token = client.cancel_token();
    // Under a TLS-only mode a cancel request without TLS cannot even be sent.
    assert!(token.cancel_query(postgres::NoTls).is_err());
    // The connector anonkos uses for Ctrl-C cancels the running query (repeated until the
    // query has started).
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let seen = done.clone();
    let canceller = std::thread::spawn(move || {
        let mut sent = 0;
        while !seen.load(Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(300));
            token.cancel_query(tls.clone()).unwrap();
            sent += 1;
        }
        sent
    });
    let started = std::time::Instant::now();
    let e = client.batch_execute("SELECT pg_sleep(30)").unwrap_err();
    done.store(true, Ordering::Relaxed);
    assert!(canceller.join().unwrap() > 0);
    assert_eq!(
        e.code(),
        Some(&postgres::error::SqlState::QUERY_CANCELED),
        "{e}"
    );
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn tls_mysql_run_report_says_how_each_table_was_read() {
    let Some((url, _g, ca, _)) = my() else { return };
    let d = crate::util::TestDir::new();
    let out = d.path().join("out");
    let key = d.path().join("share.key").display().to_string();
    let o = run(&["keygen", "--out", &key]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let u = with(&url, &format!("ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"));
    let o = crate::util::anonkos()
        .current_dir(crate::util::root())
        .args(["run", "pipelines/pseudonymised-share.toml", "--input", &u])
        .args(["--key-file", &key, "--out-dir", &out.display().to_string()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = std::fs::read_to_string(out.join("anonkos-run.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&report).unwrap();
    let outputs = json["outputs"].as_array().cloned().unwrap_or_default();
    assert!(!outputs.is_empty(), "{json}");
    for o in outputs {
        let notes = o["notes"].to_string();
        assert!(
            notes.contains("over TLS (TLSv1.") && notes.contains("valid for the host"),
            "{o}"
        );
    }
}

/// A fake PostgreSQL server on a free port: its first connection accepts TLS and then answers
/// the handshake with bytes that are not TLS; with `plain_too`, its second connection reads a
/// plain StartupMessage (protocol 3.0) and answers with an error naming what it saw.
fn fake_tls_breaking_server(plain_too: bool) -> (u16, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut request = [0u8; 8];
        s.read_exact(&mut request).unwrap();
        assert_eq!(request[4..], 80877103u32.to_be_bytes(), "not an SSLRequest");
        s.write_all(b"S").unwrap();
        let mut hello = [0u8; 4096];
        let _ = s.read(&mut hello);
        let _ = s.write_all(b"this is not a TLS record, only bytes");
        drop(s);
        if !plain_too {
            return;
        }
        let (mut s, _) = listener.accept().unwrap();
        let mut len = [0u8; 4];
        s.read_exact(&mut len).unwrap();
        let mut rest = vec![0u8; (u32::from_be_bytes(len) as usize).saturating_sub(4)];
        s.read_exact(&mut rest).unwrap();
        assert_eq!(
            rest[..4],
            196608u32.to_be_bytes(),
            "not a plain StartupMessage"
        );
        let mut body = Vec::new();
        for (field, value) in [
            (b'S', "FATAL"),
            (b'V', "FATAL"),
            (b'C', "28000"),
            (b'M', "fake server saw a plain startup"),
        ] {
            body.push(field);
            body.extend_from_slice(value.as_bytes());
            body.push(0);
        }
        body.push(0);
        let mut msg = vec![b'E'];
        msg.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        msg.extend_from_slice(&body);
        s.write_all(&msg).unwrap();
    });
    (port, server)
}

#[test]
fn tls_postgres_prefer_falls_back_to_plain_only_when_allowed() {
    // prefer (the default): a failed handshake is retried without TLS, as libpq does.
    let (port, server) = fake_tls_breaking_server(true);
    let o = run(&["scan", &format!("postgres://nobody@127.0.0.1:{port}/db")]);
    let err = stderr(&o);
    // Before the join: without a retry the server would wait for it for ever.
    assert!(err.contains("fake server saw a plain startup"), "{err}");
    server.join().unwrap();
    // require never falls back: the handshake error is the answer.
    let (port, server) = fake_tls_breaking_server(false);
    let url = format!("postgres://nobody@127.0.0.1:{port}/db?sslmode=require");
    let o = run(&["scan", &url]);
    server.join().unwrap();
    let err = stderr(&o);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("error performing TLS handshake"), "{err}");
}
