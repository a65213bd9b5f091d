//! Database passwords with every character a scrubber can misread (`?`, `@`, `/`, `#`, `%`),
//! in every URL form the drivers accept or refuse, through `scan` and `run` on the real
//! servers: no piece of the password, raw or percent-encoded, in stdout, stderr, the scan
//! JSON, `anonkos-run.json` or the processing log.
use std::path::Path;
use std::process::Output;

use crate::db::{MyGuard, env_url, my_conn, pg_client, unique};
use crate::util::{TestDir, anonkos, files_under, root, stderr, stdout};

/// The real password of the test role / user.
const PW: &str = "Xq7a?Kz9b@Wv3c/Jm5d#Tr2e%Fy8g";
/// [`PW`] percent-encoded.
const ENC: &str = "Xq7a%3FKz9b%40Wv3c%2FJm5d%23Tr2e%25Fy8g";
/// The pieces between the special characters: none may appear anywhere, so a password cut
/// in two by a misreading is caught too.
const PIECES: [&str; 6] = ["Xq7a", "Kz9b", "Wv3c", "Jm5d", "Tr2e", "Fy8g"];

fn assert_clean(what: &str, text: &str) {
    for p in PIECES {
        assert!(
            !text.contains(p),
            "{what} shows a piece of the password ({p}):\n{text}"
        );
    }
}

fn assert_output_clean(what: &str, o: &Output) {
    assert_clean(&format!("{what}: stdout"), &stdout(o));
    assert_clean(&format!("{what}: stderr"), &stderr(o));
}

/// Scan `url` (JSON to a file, and text) and run `research-release` on it; each must succeed
/// when `accepted`, and leak nothing either way.
fn scan_and_run(url: &str, accepted: bool) {
    let d = TestDir::new();
    let json = d.path().join("scan.json");
    let json_s = json.display().to_string();
    let scans = [
        vec!["scan", url, "--format", "json", "-o", json_s.as_str()],
        vec!["scan", url],
    ];
    for args in scans {
        let o = anonkos().args(&args).output().unwrap();
        assert_output_clean(&format!("scan {:?}", &args[2..]), &o);
        if accepted {
            assert_eq!(o.status.code(), Some(0), "{url}: {}", stderr(&o));
        } else {
            assert_ne!(o.status.code(), Some(0), "{url} should be refused");
        }
    }
    if json.exists() {
        assert_clean("scan JSON", &std::fs::read_to_string(&json).unwrap());
    }
    let out = d.path().join("out");
    let o = anonkos()
        .current_dir(root())
        .args(["run", "pipelines/research-release.toml", "--input", url])
        .args(["--out-dir", &out.display().to_string(), "--format", "json"])
        .output()
        .unwrap();
    assert_output_clean("run", &o);
    if accepted {
        assert_eq!(o.status.code(), Some(0), "{url}: {}", stderr(&o));
        assert!(out.join("anonkos-run.json").is_file());
        assert!(out.join("anonkos-processing.jsonl").is_file());
    } else {
        assert_ne!(o.status.code(), Some(0), "{url} should be refused");
    }
    check_files(&out);
}

fn check_files(dir: &Path) {
    if !dir.exists() {
        return;
    }
    for f in files_under(dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert_clean(&f.display().to_string(), &text);
    }
}

/// Drops a PostgreSQL database and role when dropped.
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

fn postgres_forms(url: &str) {
    let db = unique("anonkos_pw");
    let role = unique("anonkos_r");
    let _guard = PgDbGuard {
        url: url.to_string(),
        db: db.clone(),
        role: role.clone(),
    };
    let mut admin = pg_client(url);
    admin
        .batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD '{PW}'"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap();
    let cfg: postgres::Config = url.parse().unwrap();
    let host = match cfg.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".to_string(),
    };
    let hp = format!(
        "{host}:{}",
        cfg.get_ports().first().copied().unwrap_or(5432)
    );
    let mut c = pg_client(&format!(
        "postgres://{}@{hp}/{db}",
        cfg.get_user().unwrap_or("postgres")
    ));
    c.batch_execute(&format!(
        "CREATE TABLE kontakte (id int, telefoni text);
         INSERT INTO kontakte VALUES (1, '044 123 456'), (2, '045 234 567');
         GRANT SELECT ON kontakte TO {role};"
    ))
    .unwrap();
    drop(c);
    // As libpq and tokio-postgres read them: user-info up to the first `@`, so `?`, `/`, `#`
    // and a `%` that starts no escape may stand raw in the password.
    let accepted = [
        format!("postgres://{role}:Xq7a?Kz9b%40Wv3c/Jm5d#Tr2e%Fy8g@{hp}/{db}"),
        format!("postgres://{role}:{ENC}@{hp}/{db}"),
        format!("postgresql://{role}@{hp}/{db}?p%61ssword={ENC}"),
        format!("postgres://{role}@{hp}/{db}?sslmode=disable&password={ENC}&application_name=t"),
    ];
    for u in &accepted {
        scan_and_run(u, true);
    }
    let refused = [
        // The driver knows no `PASSWORD` option; a raw `@` cuts the password at the first one.
        format!("postgres://{role}@{hp}/{db}?PASSWORD={ENC}"),
        format!("postgres://{role}:{PW}@{hp}/{db}"),
        format!("postgres://{role}:{ENC}@[{hp}/{db}"),
    ];
    for u in &refused {
        scan_and_run(u, false);
    }
}

fn mysql_forms(url: &str) {
    use mysql::prelude::Queryable;
    let db = unique("anonkos_pw");
    let user = unique("anonkos_u");
    let _guard = MyGuard {
        url: url.to_string(),
        database: db.clone(),
        user: Some(user.clone()),
    };
    let mut c = my_conn(url).unwrap();
    for sql in [
        format!("CREATE DATABASE `{db}`"),
        format!("CREATE TABLE `{db}`.kontakte (id int, telefoni varchar(40))"),
        format!("INSERT INTO `{db}`.kontakte VALUES (1, '044 123 456'), (2, '045 234 567')"),
        format!("CREATE USER '{user}'@'%' IDENTIFIED BY '{PW}'"),
        format!("GRANT SELECT ON `{db}`.* TO '{user}'@'%'"),
    ] {
        c.query_drop(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let o = mysql::Opts::from_url(&url.replacen("mariadb://", "mysql://", 1)).unwrap();
    let hp = format!("{}:{}", o.get_ip_or_hostname(), o.get_tcp_port());
    // As the `url` crate reads them: the user-info runs to the last `@` of the authority,
    // which ends at the first `/`, `?` or `#`; `password` is also a parameter (names decoded,
    // compared exactly).
    let accepted = [
        format!("mysql://{user}:{ENC}@{hp}/{db}"),
        format!("mariadb://{user}:Xq7a%3FKz9b@Wv3c%2FJm5d%23Tr2e%Fy8g@{hp}/{db}"),
        format!("mysql://{user}@{hp}/{db}?password={ENC}"),
        format!("mysql://{user}@{hp}/{db}?tcp_connect_timeout_ms=5000&p%61ssword={ENC}"),
    ];
    for u in &accepted {
        scan_and_run(u, true);
    }
    let refused = [
        format!("mysql://{user}:{PW}@{hp}/{db}"),
        format!("mysql://{user}@{hp}/{db}?PassWord={ENC}"),
    ];
    for u in &refused {
        scan_and_run(u, false);
    }
}

#[test]
fn odd_passwords_in_database_urls_never_leak() {
    if let Some(url) = env_url("ANONKOS_TEST_PG_URL") {
        postgres_forms(&url);
    }
    if let Some(url) = env_url("ANONKOS_TEST_MYSQL_URL") {
        mysql_forms(&url);
    }
}

#[test]
fn a_key_value_connection_string_is_never_echoed() {
    let conninfo = format!("host=127.0.0.1 user=u password={ENC}");
    let o = anonkos().args(["scan", &conninfo]).output().unwrap();
    assert_output_clean("scan of a key/value string", &o);
    assert!(
        stderr(&o).contains("key/value connection string"),
        "{}",
        stderr(&o)
    );
    let d = TestDir::new();
    let p = d.file(
        "p.toml",
        b"[pipeline]\nname = \"p\"\n\n[key]\nmode = \"none\"\n",
    );
    let out = d.path().join("out").display().to_string();
    let o = anonkos()
        .args(["run", &p, "--input", &conninfo, "--out-dir", &out])
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert_output_clean("run on a key/value string", &o);
}
