//! Anonymised dumps are the input dump with only the rows changed, and they load with the real
//! clients without executing anything that came from the data.
//!
//! Each test builds a database with hostile names, types and values (quotes, backslashes,
//! `\.`, `$$`, newlines followed by client commands, `DROP TABLE` tails), dumps it with the
//! real `pg_dump` / `mariadb-dump`, runs the shipped `test-copy` pipeline on the dump, and
//! loads the output into a fresh database that holds a canary table, in a session whose
//! settings would break naive escaping (`standard_conforming_strings=off`,
//! `NO_BACKSLASH_ESCAPES`). It then checks: the load had no error, the canary survives, the
//! marker file a client command would create does not exist, every table has its row count,
//! every kind of schema object is there as often as in the source, and kept values are
//! byte-identical.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::db::{env_url, unique};
use crate::util::{TestDir, anonkos, root, run, stderr, stdout};

/// Host, port and user of a test URL such as `postgres://postgres@127.0.0.1:5432/postgres`.
pub(crate) struct Server {
    pub(crate) host: String,
    pub(crate) port: String,
    pub(crate) user: String,
}

impl Server {
    pub(crate) fn parse(url: &str) -> Server {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let (auth, hostpart) = rest.split_once('@').unwrap_or(("root", rest));
        let user = auth.split(':').next().unwrap_or("root").to_string();
        let hostport = hostpart.split('/').next().unwrap_or(hostpart);
        let (host, port) = hostport.split_once(':').unwrap_or((hostport, ""));
        Server {
            host: host.to_string(),
            port: port.to_string(),
            user,
        }
    }

    /// `psql` on `db` with ON_ERROR_STOP, reading `sql` from stdin; `env` adds settings.
    pub(crate) fn psql(&self, db: &str, sql: &str, env: &[(&str, &str)], dir: &Path) -> Output {
        let port = if self.port.is_empty() {
            "5432"
        } else {
            &self.port
        };
        let mut c = Command::new("psql");
        c.args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            &self.host,
            "-p",
            port,
        ])
        .args(["-U", &self.user, "-d", db])
        .current_dir(dir)
        .envs(env.iter().copied());
        feed(&mut c, sql.as_bytes())
    }

    /// The `mariadb` client on `db` (may be empty), reading `sql` from stdin.
    pub(crate) fn mariadb(&self, db: &str, sql: &[u8], extra: &[&str], dir: &Path) -> Output {
        let port = if self.port.is_empty() {
            "3306"
        } else {
            &self.port
        };
        let mut c = Command::new("mariadb");
        c.args(["-h", &self.host, "-P", port, "-u", &self.user])
            .args(extra)
            .current_dir(dir);
        if !db.is_empty() {
            c.arg(db);
        }
        feed(&mut c, sql)
    }
}

/// Run `c` with `input` on its stdin (written from a thread, so a client that answers while
/// reading cannot deadlock), capturing stdout and stderr.
pub(crate) fn feed(c: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{c:?}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("client output");
    let _ = writer.join();
    out
}

/// Values that break naive escaping; `{M}` is replaced by the marker file's path.
const HOSTILE: &[&str] = &[
    "it's here",
    "back\\slash \\' \\\\",
    "\\.",
    "line one\n\\.\nline three",
    "x\n\\! touch {M}\n",
    "\\! touch {M}",
    "'); DROP TABLE canary; --",
    "$$; DROP TABLE canary; $$",
    "tab\there, cr\rhere",
    "\\N",
    "E'\\x41'",
    "semi; colon -- dash /* star */ #hash",
    "ë ç Ђ 💥 \u{1a} ctrl",
];

/// The synthetic patients of `anonkos sample` as (header, rows).
fn patients(d: &TestDir, n: usize) -> (Vec<String>, Vec<Vec<String>>) {
    let out = d.path().join("samples");
    let o = run(&["sample", "--out", &out.display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut r = csv::Reader::from_path(out.join("patients.csv")).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .take(n)
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// A test key file.
pub(crate) fn keygen(d: &TestDir) -> String {
    let key = d.path().join("test.key").display().to_string();
    let o = run(&["keygen", "--out", &key]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    key
}

/// Run a shipped pipeline on one input into `out`; returns the written dump's path.
pub(crate) fn run_on(pipeline: &str, input: &Path, out: &Path, key: &str) -> PathBuf {
    let o = anonkos()
        .current_dir(root())
        .args(["run", &format!("pipelines/{pipeline}.toml"), "--quiet"])
        .args(["--input", &input.display().to_string()])
        .args(["--out-dir", &out.display().to_string(), "--key-file", key])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{pipeline} on {}: {}{}",
        input.display(),
        stdout(&o),
        stderr(&o)
    );
    let stem = input
        .file_name()
        .unwrap()
        .to_string_lossy()
        .split('.')
        .next()
        .unwrap()
        .to_string();
    out.join(format!("{stem}.sql"))
}

/// The INSERTs of the hostile fixture: each patient into `table` (columns, and the photo column
/// `photo_column`, quoted by `ident`;
/// values made by `lit`, the note in `shenime` replaced by a hostile value with the marker path
/// filled in, a state of the enum, a photo of up to 30 bytes made by `photo` from its hex) and
/// a visit carrying the same hostile value.
fn insert_statements(
    (header, rows, marker): (&[String], &[Vec<String>], &str),
    (table, photo_column): (&str, &str),
    ident: &dyn Fn(&str) -> String,
    lit: &dyn Fn(&str) -> String,
    photo: &dyn Fn(&str) -> String,
) -> String {
    let states = ["it's", "e re", "back\\slash", "x"];
    let cols: Vec<String> = header
        .iter()
        .map(|h| ident(h))
        .chain([ident("gjendja"), ident(photo_column)])
        .collect();
    let mut sql = String::new();
    for (i, row) in rows.iter().enumerate() {
        let hostile = HOSTILE[i % HOSTILE.len()].replace("{M}", marker);
        let mut vals: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(j, v)| match (header[j].as_str(), v.is_empty()) {
                ("shenime", _) => lit(&hostile),
                (_, true) => "NULL".into(),
                _ => lit(v),
            })
            .collect();
        vals.push(lit(states[i % states.len()]));
        let hex: String = (0..(i % 7) * 5)
            .map(|k| format!("{:02x}", (i * 37 + k * 11) % 256))
            .collect();
        vals.push(photo(&hex));
        sql.push_str(&format!(
            "INSERT INTO {table} ({}) VALUES ({});\n",
            cols.join(", "),
            vals.join(", ")
        ));
        sql.push_str(&format!(
            "INSERT INTO vizitat (pacienti, shenime) VALUES ({}, {});\n",
            lit(&row[0]),
            lit(&hostile)
        ));
    }
    sql
}

fn pg_lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The hostile PostgreSQL schema: every object kind pg_dump writes around the rows.
fn pg_schema(header: &[String], rows: &[Vec<String>], marker: &str) -> String {
    let mut sql = String::from(
        "SET standard_conforming_strings = on;\n\
         CREATE SCHEMA \"regjistri; DROP TABLE canary; --\";\n\
         SET search_path = \"regjistri; DROP TABLE canary; --\", public;\n\
         CREATE TYPE \"gjendja'); DROP TABLE canary; --\" AS ENUM ('it''s', 'e re', 'back\\slash', $$x$$);\n\
         CREATE DOMAIN numri AS varchar(10) CHECK (VALUE ~ '^[0-9]{10}$');\n\
         CREATE TABLE \"pacientet\"\"; \\! touch x\" (\n  id serial PRIMARY KEY,\n",
    );
    for h in header {
        let ty = if h == "nr_personal" {
            "numri NOT NULL"
        } else {
            "text"
        };
        sql.push_str(&format!("  \"{}\" {ty},\n", h.replace('"', "\"\"")));
    }
    sql.push_str(
        "  gjendja \"gjendja'); DROP TABLE canary; --\",\n  \"foto\"\"x\" bytea,\n  \
         UNIQUE (nr_personal)\n);\n\
         COMMENT ON TABLE \"pacientet\"\"; \\! touch x\" IS 'comment; with '' quote and \\ backslash';\n\
         CREATE TABLE vizitat (\n  id serial PRIMARY KEY,\n  \
         pacienti varchar(10) REFERENCES \"pacientet\"\"; \\! touch x\" (nr_personal),\n  \
         shenime text\n);\n\
         CREATE INDEX ON vizitat (pacienti);\n\
         CREATE VIEW \"pamja $$\" AS SELECT id, gjendja FROM \"pacientet\"\"; \\! touch x\";\n\
         CREATE FUNCTION f_trg() RETURNS trigger LANGUAGE plpgsql AS $body$\n\
         BEGIN INSERT INTO vizitat (pacienti, shenime) VALUES (NEW.nr_personal, 'trigger; row'); RETURN NEW; END\n$body$;\n\
         CREATE FUNCTION f_atomic(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT a + 1; END;\n",
    );
    // Rows, then the trigger (so loading the rows does not add trigger rows).
    let quote = |h: &str| format!("\"{}\"", h.replace('"', "\"\""));
    let bytea = |hex: &str| format!("'\\x{hex}'::bytea");
    sql.push_str(&insert_statements(
        (header, rows, marker),
        ("\"pacientet\"\"; \\! touch x\"", "foto\"x"),
        &quote,
        &pg_lit,
        &bytea,
    ));
    sql.push_str(
        "CREATE TRIGGER t_after AFTER INSERT ON \"pacientet\"\"; \\! touch x\" FOR EACH ROW EXECUTE FUNCTION f_trg();\n",
    );
    sql
}

/// Counts of schema objects by kind in the non-system schemas of the connected database.
pub(crate) const PG_OBJECTS: &str = "SELECT 'rel ' || c.relkind::text, count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname NOT IN ('pg_catalog','information_schema','pg_toast') AND c.relname <> 'canary' GROUP BY 1 \
     UNION ALL SELECT 'type ' || t.typtype::text, count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
     WHERE n.nspname NOT IN ('pg_catalog','information_schema','pg_toast') AND t.typtype IN ('e','d') GROUP BY 1 \
     UNION ALL SELECT 'proc', count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
     WHERE n.nspname NOT IN ('pg_catalog','information_schema') \
     UNION ALL SELECT 'trigger', count(*) FROM pg_trigger WHERE NOT tgisinternal \
     UNION ALL SELECT 'constraint ' || contype::text, count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
     WHERE n.nspname NOT IN ('pg_catalog','information_schema') GROUP BY 1 \
     UNION ALL SELECT 'comment', count(*) FROM pg_description d JOIN pg_class c ON c.oid = d.objoid \
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog','information_schema') \
     ORDER BY 1;";

/// Drops the databases it names when dropped.
pub(crate) struct PgDbs<'a> {
    pub(crate) server: &'a Server,
    pub(crate) names: Vec<String>,
    pub(crate) dir: PathBuf,
}

impl Drop for PgDbs<'_> {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = self.server.psql(
                "postgres",
                &format!("DROP DATABASE IF EXISTS {n};"),
                &[],
                &self.dir,
            );
        }
    }
}

#[test]
fn pg_dump_output_is_the_input_with_rows_rewritten_and_loads_without_injection() {
    let Some(url) = env_url("ANONKOS_TEST_PG_URL") else {
        return;
    };
    let server = Server::parse(&url);
    let d = TestDir::new();
    let marker = d.path().join("PWNED");
    let (header, rows) = patients(&d, 60);
    let src = unique("anonkos_src");
    let dst = unique("anonkos_dst");
    let _dbs = PgDbs {
        server: &server,
        names: vec![src.clone(), dst.clone()],
        dir: d.path().to_path_buf(),
    };
    for db in [&src, &dst] {
        let o = server.psql("postgres", &format!("CREATE DATABASE {db};"), &[], d.path());
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = server.psql(
        &src,
        &pg_schema(&header, &rows, &marker.display().to_string()),
        &[],
        d.path(),
    );
    assert!(o.status.success(), "setting up: {}", stderr(&o));
    // COPY rows (the default) and INSERT rows (E'' literals), with and without column lists.
    let key = keygen(&d);
    for style in [&[][..], &["--inserts"], &["--column-inserts"]] {
        let dump = d.path().join(format!("src{}.sql", style.len()));
        let port = if server.port.is_empty() {
            "5432".to_string()
        } else {
            server.port.clone()
        };
        let o = Command::new("pg_dump")
            .args(["-h", &server.host, "-p", &port, "-U", &server.user])
            .args(style)
            .arg("-f")
            .arg(&dump)
            .arg(&src)
            .output()
            .unwrap();
        assert!(o.status.success(), "pg_dump: {}", stderr(&o));

        let out = run_on(
            "test-copy",
            &dump,
            &d.path().join(format!("out{}", style.len())),
            &key,
        );
        assert_statements_outside_rows_identical(&dump, &out);
        let output = std::fs::read(&out).unwrap();

        // Load into a fresh database with a canary, in a session with the old string syntax.
        let reset = format!("DROP DATABASE IF EXISTS {dst};\nCREATE DATABASE {dst};");
        let o = server.psql("postgres", &reset, &[], d.path());
        assert!(o.status.success(), "{}", stderr(&o));
        let o = server.psql(
            &dst,
            "CREATE TABLE canary (x int); INSERT INTO canary VALUES (1);",
            &[],
            d.path(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let text = String::from_utf8_lossy(&output).into_owned();
        let load = server.psql(
            &dst,
            &text,
            &[(
                "PGOPTIONS",
                "-c standard_conforming_strings=off -c escape_string_warning=off",
            )],
            d.path(),
        );
        assert!(
            load.status.success(),
            "psql could not load the output: {}",
            stderr(&load)
        );
        assert!(!marker.exists(), "a client command from the data ran");
        let q = |db: &str, sql: &str| {
            let o = server.psql(
                db,
                &format!("\\pset format unaligned\n\\pset tuples_only on\n{sql}"),
                &[],
                d.path(),
            );
            assert!(o.status.success(), "{sql}: {}", stderr(&o));
            stdout(&o)
        };
        assert_eq!(
            q(&dst, "SELECT count(*) FROM canary;").trim(),
            "1",
            "the canary survives"
        );
        assert_eq!(
            q(&src, PG_OBJECTS),
            q(&dst, PG_OBJECTS),
            "the same schema objects"
        );
        let table = "\"regjistri; DROP TABLE canary; --\".\"pacientet\"\"; \\! touch x\"";
        for t in [table, "\"regjistri; DROP TABLE canary; --\".vizitat"] {
            let sql = format!("SELECT count(*) FROM {t};");
            assert_eq!(q(&src, &sql), q(&dst, &sql), "rows of {t}");
        }
        // Kept columns are byte-identical (the enum); the photo is personal and replaced.
        let kept = format!("SELECT id, gjendja FROM {table} ORDER BY id;");
        assert_eq!(q(&src, &kept), q(&dst, &kept));
        let photos = format!(
            "SELECT encode(\"foto\"\"x\", 'hex') FROM {table} WHERE length(\"foto\"\"x\") > 0;"
        );
        let before = q(&src, &photos);
        let after = q(&dst, &photos);
        assert!(before.lines().count() > 40);
        assert!(
            after.lines().all(|p| !before.lines().any(|b| b == p)),
            "a photo was kept"
        );
        let numbers = format!("SELECT nr_personal FROM {table} ORDER BY id;");
        let (a, b) = (q(&src, &numbers), q(&dst, &numbers));
        let before: std::collections::BTreeSet<&str> = a.lines().collect();
        assert!(
            b.lines().all(|n| !before.contains(n)),
            "an original personal number survived"
        );
        // Foreign keys still resolve.
        let orphans = "SELECT count(*) FROM \"regjistri; DROP TABLE canary; --\".vizitat v WHERE NOT EXISTS \
             (SELECT 1 FROM \"regjistri; DROP TABLE canary; --\".\"pacientet\"\"; \\! touch x\" p WHERE p.nr_personal = v.pacienti);";
        assert_eq!(q(&dst, orphans).trim(), "0");
    }
}

/// Every byte outside the rows is the input's: the bytes of the output outside its row ranges
/// (as the dump index finds them) contain the input's bytes outside its row ranges, whole and
/// in order (the output adds only its settings before them and, for MySQL, after them).
fn assert_statements_outside_rows_identical(input: &Path, output: &Path) {
    use anonkos::source::sqldump::{Dialect, index};
    let dialect = if std::fs::read(input)
        .unwrap()
        .windows(9)
        .any(|w| w == b"MariaDB d")
    {
        Dialect::MySql
    } else {
        Dialect::Pg
    };
    let outside = |p: &Path| -> Vec<u8> {
        let bytes = std::fs::read(p).unwrap();
        let f = std::fs::File::open(p).unwrap();
        let ix = index::build(f, bytes.len() as u64, dialect).unwrap();
        let mut ranges: Vec<(u64, u64)> = ix
            .tables
            .iter()
            .flat_map(|t| t.segments.iter().map(|s| (s.start, s.end)))
            .collect();
        ranges.sort_unstable();
        let mut out = Vec::new();
        let mut pos = 0usize;
        for (start, end) in ranges {
            out.extend_from_slice(&bytes[pos..start as usize]);
            pos = end as usize;
        }
        out.extend_from_slice(&bytes[pos..]);
        out
    };
    let (a, b) = (outside(input), outside(output));
    assert!(!a.is_empty());
    assert!(
        b.windows(a.len()).any(|w| w == a.as_slice()),
        "statements outside the rows changed ({} bytes in the input, {} in the output)",
        a.len(),
        b.len()
    );
}

fn my_hex(s: &str) -> String {
    let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
    format!("_utf8mb4 X'{hex}'")
}

/// The hostile MariaDB schema: every object kind mariadb-dump writes around the rows,
/// routines whose bodies hold `CREATE TEMPORARY TABLE` and `INSERT … VALUES`.
fn my_schema(header: &[String], rows: &[Vec<String>], marker: &str) -> String {
    let t = "`pacientet``; \\! touch x`";
    let mut sql = format!("CREATE TABLE {t} (\n  id int AUTO_INCREMENT PRIMARY KEY,\n");
    for h in header {
        let ty = if h == "nr_personal" {
            "varchar(10) NOT NULL UNIQUE"
        } else {
            "text"
        };
        sql.push_str(&format!("  `{}` {ty},\n", h.replace('`', "``")));
    }
    sql.push_str(&format!(
        "  gjendja ENUM('it''s','e re','back\\\\slash','x'),\n  `foto``x` BLOB,\n  \
         nr_len int GENERATED ALWAYS AS (length(nr_personal)) VIRTUAL\n\
         ) CHARACTER SET utf8mb4 COMMENT 'comment; with '' quote';\n\
         CREATE TABLE vizitat (\n  id int AUTO_INCREMENT PRIMARY KEY,\n  pacienti varchar(10),\n  \
         shenime text,\n  FOREIGN KEY (pacienti) REFERENCES {t} (nr_personal)\n) CHARACTER SET utf8mb4;\n\
         CREATE VIEW `pamja $$` AS SELECT id, gjendja FROM {t};\n"
    ));
    let quote = |h: &str| format!("`{}`", h.replace('`', "``"));
    let blob = |hex: &str| format!("X'{hex}'");
    sql.push_str(&insert_statements(
        (header, rows, marker),
        (t, "foto`x"),
        &quote,
        &my_hex,
        &blob,
    ));
    sql.push_str(&format!(
        "DELIMITER ;;\n\
         CREATE PROCEDURE p_shto()\nBEGIN\n  CREATE TEMPORARY TABLE tmp_x (a int);\n  \
         INSERT INTO tmp_x VALUES (1);\n  \
         INSERT INTO vizitat (pacienti, shenime) VALUES ('{0}', 'procedure; row');\nEND ;;\n\
         CREATE TRIGGER t_after AFTER INSERT ON {t} FOR EACH ROW BEGIN\n  \
         INSERT INTO vizitat (pacienti, shenime) VALUES (NEW.nr_personal, 'trigger; row');\nEND ;;\n\
         CREATE EVENT e_pastro ON SCHEDULE EVERY 1 DAY DISABLE DO BEGIN\n  \
         DELETE FROM vizitat WHERE shenime = 'x;';\nEND ;;\n\
         DELIMITER ;\n",
        rows[0][0]
    ));
    sql
}

/// Counts of schema objects by kind in database `db`.
pub(crate) fn my_objects(db: &str) -> String {
    let w = format!("'{db}'");
    format!(
        "SELECT 'table', table_type, count(*) FROM information_schema.tables WHERE table_schema = {w} AND table_name <> 'canary' GROUP BY table_type \
         UNION ALL SELECT 'column', '', count(*) FROM information_schema.columns WHERE table_schema = {w} AND table_name <> 'canary' \
         UNION ALL SELECT 'generated', '', count(*) FROM information_schema.columns WHERE table_schema = {w} AND is_generated = 'ALWAYS' \
         UNION ALL SELECT 'routine', routine_type, count(*) FROM information_schema.routines WHERE routine_schema = {w} GROUP BY routine_type \
         UNION ALL SELECT 'trigger', '', count(*) FROM information_schema.triggers WHERE trigger_schema = {w} \
         UNION ALL SELECT 'event', '', count(*) FROM information_schema.events WHERE event_schema = {w} \
         UNION ALL SELECT 'constraint', constraint_type, count(*) FROM information_schema.table_constraints WHERE constraint_schema = {w} AND table_name <> 'canary' GROUP BY constraint_type \
         UNION ALL SELECT 'index', '', count(*) FROM information_schema.statistics WHERE table_schema = {w} AND table_name <> 'canary' \
         UNION ALL SELECT 'comment', '', count(*) FROM information_schema.tables WHERE table_schema = {w} AND table_comment <> '' \
         ORDER BY 1, 2;"
    )
}

/// Drops the MariaDB databases it names when dropped.
pub(crate) struct MyDbs<'a> {
    pub(crate) server: &'a Server,
    pub(crate) names: Vec<String>,
    pub(crate) dir: PathBuf,
}

impl Drop for MyDbs<'_> {
    fn drop(&mut self) {
        for n in &self.names {
            let sql = format!("DROP DATABASE IF EXISTS {n};");
            let _ = self.server.mariadb("", sql.as_bytes(), &[], &self.dir);
        }
    }
}

#[test]
fn mariadb_dump_output_is_the_input_with_rows_rewritten_and_loads_without_injection() {
    let Some(url) = env_url("ANONKOS_TEST_MYSQL_URL") else {
        return;
    };
    let server = Server::parse(&url);
    let d = TestDir::new();
    let marker = d.path().join("PWNED");
    let (header, rows) = patients(&d, 60);
    let src = unique("anonkos_src");
    let dst = unique("anonkos_dst");
    let _dbs = MyDbs {
        server: &server,
        names: vec![src.clone(), dst.clone()],
        dir: d.path().to_path_buf(),
    };
    for db in [&src, &dst] {
        let o = server.mariadb(
            "",
            format!("CREATE DATABASE {db};").as_bytes(),
            &[],
            d.path(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let setup = my_schema(&header, &rows, &marker.display().to_string());
    let o = server.mariadb(&src, setup.as_bytes(), &[], d.path());
    assert!(o.status.success(), "setting up: {}", stderr(&o));
    let port = if server.port.is_empty() {
        "3306".to_string()
    } else {
        server.port.clone()
    };
    for style in [
        &["--routines", "--triggers", "--events"][..],
        &[
            "--hex-blob",
            "--skip-extended-insert",
            "--routines",
            "--events",
        ],
    ] {
        let dump = d.path().join(format!("src{}.sql", style.len()));
        let o = Command::new("mariadb-dump")
            .args(["-h", &server.host, "-P", &port, "-u", &server.user])
            .args(style)
            .arg("--result-file")
            .arg(&dump)
            .arg(&src)
            .output()
            .unwrap();
        assert!(o.status.success(), "mariadb-dump: {}", stderr(&o));
        let key = keygen(&d);
        let out = run_on(
            "test-copy",
            &dump,
            &d.path().join(format!("out{}", style.len())),
            &key,
        );
        let _ = std::fs::remove_file(&key);
        assert_statements_outside_rows_identical(&dump, &out);
        let output = std::fs::read(&out).unwrap();

        // Fresh target with a canary; the loading session has NO_BACKSLASH_ESCAPES set.
        let reset = format!(
            "DROP DATABASE IF EXISTS {dst}; CREATE DATABASE {dst}; USE {dst}; CREATE TABLE canary (x int); INSERT INTO canary VALUES (1);"
        );
        let o = server.mariadb("", reset.as_bytes(), &[], d.path());
        assert!(o.status.success(), "{}", stderr(&o));
        let load = server.mariadb(
            &dst,
            &output,
            &["--init-command=SET SESSION sql_mode='NO_BACKSLASH_ESCAPES,ANSI_QUOTES'"],
            d.path(),
        );
        assert!(
            load.status.success(),
            "mariadb could not load the output ({style:?}): {}",
            stderr(&load)
        );
        assert!(!marker.exists(), "a client command from the data ran");
        let q = |db: &str, sql: &str| {
            let o = server.mariadb(db, sql.as_bytes(), &["-N", "-B"], d.path());
            assert!(o.status.success(), "{sql}: {}", stderr(&o));
            stdout(&o)
        };
        assert_eq!(
            q(&dst, "SELECT count(*) FROM canary;").trim(),
            "1",
            "the canary survives"
        );
        assert_eq!(
            q(&src, &my_objects(&src)),
            q(&dst, &my_objects(&dst)),
            "the same schema objects ({style:?})"
        );
        let t = "`pacientet``; \\! touch x`";
        for table in [t, "vizitat"] {
            let sql = format!("SELECT count(*) FROM {table};");
            assert_eq!(q(&src, &sql), q(&dst, &sql), "rows of {table} ({style:?})");
        }
        let kept = format!("SELECT id, gjendja FROM {t} ORDER BY id;");
        assert_eq!(q(&src, &kept), q(&dst, &kept));
        let numbers = format!("SELECT nr_personal FROM {t} ORDER BY id;");
        let (a, b) = (q(&src, &numbers), q(&dst, &numbers));
        let before: std::collections::BTreeSet<&str> = a.lines().collect();
        assert!(
            b.lines().all(|n| !before.contains(n)),
            "an original personal number survived"
        );
        let orphans = format!(
            "SELECT count(*) FROM vizitat v WHERE NOT EXISTS (SELECT 1 FROM {t} p WHERE p.nr_personal = v.pacienti);"
        );
        assert_eq!(q(&dst, &orphans).trim(), "0");
    }
}

/// A pg_dump-style file: patients keyed by personal number, visits referencing them by a
/// column the pipeline would keep.
fn keyed_dump(d: &TestDir) -> PathBuf {
    let (_, rows) = patients(d, 40);
    let mut sql = String::from(
        "--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n\
         CREATE TABLE public.pacientet (\n    nr_personal character varying(10) NOT NULL,\n    emri text,\n    mosha integer\n);\n\n\
         CREATE TABLE public.vizitat (\n    id integer NOT NULL,\n    ref character varying(10)\n);\n\n\
         COPY public.pacientet (nr_personal, emri, mosha) FROM stdin;\n",
    );
    for (i, r) in rows.iter().enumerate() {
        sql.push_str(&format!("{}\t{}\t{}\n", r[0], r[1], 20 + i));
    }
    sql.push_str("\\.\n\nCOPY public.vizitat (id, ref) FROM stdin;\n");
    for (i, r) in rows
        .iter()
        .enumerate()
        .chain(rows.iter().enumerate().take(10))
    {
        sql.push_str(&format!("{}\t{}\n", i * 100 + sql.len() % 7, r[0]));
    }
    sql.push_str(
        "\\.\n\nALTER TABLE ONLY public.pacientet\n    ADD CONSTRAINT pacientet_pkey PRIMARY KEY (nr_personal);\n\n\
         ALTER TABLE ONLY public.vizitat\n    ADD CONSTRAINT vizitat_ref_fkey FOREIGN KEY (ref) REFERENCES public.pacientet(nr_personal);\n",
    );
    let p = d.path().join("keyed.sql");
    std::fs::write(&p, sql).unwrap();
    p
}

fn run_rules(d: &TestDir, input: &Path, rules: &str, extra: &[&str]) -> Output {
    let p = d.path().join("p.toml");
    std::fs::write(
        &p,
        format!(
            "[pipeline]\nname = \"keys\"\nstrict = true\n[output]\nformat = \"same\"\n[key]\nmode = \"required\"\n\n\
             [[rules]]\ncategory = \"person_name\"\naction = \"pseudonymise\"\n\n[[rules]]\nrole = \"quasi_identifier\"\naction = \"keep\"\n\n\
             [[rules]]\nrole = \"record_key\"\naction = \"keep\"\n\n{rules}"
        ),
    )
    .unwrap();
    let key = keygen(d);
    let out = d.path().join("out");
    let o = anonkos()
        .args([
            "run",
            &p.display().to_string(),
            "--input",
            &input.display().to_string(),
        ])
        .args(["--out-dir", &out.display().to_string(), "--key-file", &key])
        .args(extra)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&key);
    o
}

/// Values of one column of one table of a dump, read back through the library.
fn column_values(dump: &Path, table: &str, column: &str) -> Vec<Option<String>> {
    let mut sources =
        anonkos::source::open(dump, "out", &anonkos::source::ReadOptions::default()).unwrap();
    let src = sources
        .iter_mut()
        .find(|s| s.info().table.as_deref() == Some(table))
        .unwrap();
    let k = src.schema().index_of(column).unwrap();
    crate::util::read_cells(src)
        .into_iter()
        .map(|r| r[k].clone())
        .collect()
}

#[test]
fn a_foreign_key_gets_the_action_of_the_key_it_references() {
    let d = TestDir::new();
    let input = keyed_dump(&d);
    // The rule says keep `ref`; the key it references is encrypted, so `ref` must be too.
    let rules = "[[rules]]\ncategory = \"kosovo_personal_number\"\naction = \"fpe\"\n\n[[rules]]\ncolumn = \"ref\"\naction = \"keep\"\n";
    let o = run_rules(&d, &input, rules, &["--dry-run", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ds = report["plan"]["datasets"].as_array().unwrap();
    let viz = ds.iter().find(|d| d["table"] == "public.vizitat").unwrap();
    let r = viz["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "ref")
        .unwrap();
    assert_eq!(r["action"], "fpe", "{r}");
    assert!(r["reason"].as_str().unwrap().contains("foreign key"), "{r}");

    let o = run_rules(&d, &input, rules, &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = d.path().join("out/keyed.sql");
    let keys: std::collections::BTreeSet<_> =
        column_values(&out, "public.pacientet", "nr_personal")
            .into_iter()
            .collect();
    let refs = column_values(&out, "public.vizitat", "ref");
    assert_eq!(refs.len(), 50);
    assert!(
        refs.iter().all(|r| keys.contains(r)),
        "every reference resolves"
    );
    let before: std::collections::BTreeSet<_> =
        column_values(&input, "public.pacientet", "nr_personal")
            .into_iter()
            .collect();
    assert!(
        keys.is_disjoint(&before),
        "no original personal number is left"
    );
}

#[test]
fn actions_that_break_keys_or_types_are_refused_by_name() {
    let d = TestDir::new();
    let input = keyed_dump(&d);
    for (rule, expect) in [
        ("action = \"redact\"", "primary key"),
        ("action = \"mask\"", "primary key"),
        ("action = \"pseudonymise\"", "at most 10 characters"),
    ] {
        let rules = format!("[[rules]]\ncategory = \"kosovo_personal_number\"\n{rule}\n");
        for extra in [&["--dry-run"][..], &[]] {
            let o = run_rules(&d, &input, &rules, extra);
            assert_eq!(
                o.status.code(),
                Some(1),
                "{rule}: {}{}",
                stdout(&o),
                stderr(&o)
            );
            let text = stdout(&o);
            assert!(
                text.contains("nr_personal") && text.contains(expect),
                "{rule}: {text}"
            );
            assert!(
                !d.path().join("out/keyed.sql").exists(),
                "nothing is written"
            );
        }
    }
    // A column dropped from a NOT NULL declaration is refused; a nullable one is not.
    let rules = "[[rules]]\ncategory = \"kosovo_personal_number\"\naction = \"fpe\"\n\n[[rules]]\ncolumn = \"id\"\naction = \"drop\"\n";
    let o = run_rules(&d, &input, rules, &["--dry-run"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("NOT NULL"), "{}", stdout(&o));
    let rules = "[[rules]]\ncategory = \"kosovo_personal_number\"\naction = \"fpe\"\n\n[[rules]]\ncolumn = \"mosha\"\naction = \"drop\"\n";
    let o = run_rules(&d, &input, rules, &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let ages = column_values(&d.path().join("out/keyed.sql"), "public.pacientet", "mosha");
    assert!(
        ages.iter().all(Option::is_none),
        "a dropped column is NULL in the kept schema"
    );
}

#[test]
fn dump_outputs_are_not_sharded() {
    let d = TestDir::new();
    let input = keyed_dump(&d);
    let rules = "[[rules]]\ncategory = \"kosovo_personal_number\"\naction = \"fpe\"\n";
    let o = run_rules(&d, &input, rules, &["--shard", "1/2"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("cannot be written in parts"),
        "{}",
        stderr(&o)
    );
    assert!(!d.path().join("out/keyed.sql").exists());
}
