//! The shipped dump pipelines on dumps made by the real tools, in every style, restored with the
//! real clients: no error, the same rows per table, the same schema objects of every kind as a
//! restore of the input, every foreign key resolving, no original name left.
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::db::{env_url, unique};
use crate::dumpout::{MyDbs, PG_OBJECTS, PgDbs, Server, keygen, my_objects};
use crate::realdump::{
    MY_STYLES, PG_STYLES, mariadb_expected_rows, mariadb_rich_dumps, pg_expected_rows,
    pg_rich_dumps,
};
use crate::util::{TestDir, anonkos, root, stderr, stdout};

const PIPELINES: [&str; 2] = ["test-copy", "pseudonymised-share"];

/// Restore a PostgreSQL input dump (any style) into `db` with the real tools.
fn pg_restore_input(server: &Server, db: &str, dump: &Path, dir: &Path) {
    let port = if server.port.is_empty() {
        "5432"
    } else {
        &server.port
    };
    let name = dump.display().to_string();
    let o = if dump.is_dir() || name.ends_with(".dump") || name.ends_with(".tar") {
        Command::new("pg_restore")
            .args([
                "-h",
                &server.host,
                "-p",
                port,
                "-U",
                &server.user,
                "-d",
                db,
                "--exit-on-error",
            ])
            .arg(dump)
            .output()
            .unwrap()
    } else {
        let bytes = std::fs::read(dump).unwrap();
        let text = if name.ends_with(".gz") {
            let mut d = flate2::read::GzDecoder::new(&bytes[..]);
            let mut s = String::new();
            std::io::Read::read_to_string(&mut d, &mut s).unwrap();
            s
        } else {
            String::from_utf8(bytes).unwrap()
        };
        server.psql(db, &text, &[], dir)
    };
    assert!(
        o.status.success(),
        "restoring the input {name}: {}",
        stderr(&o)
    );
}

fn pg_query(server: &Server, db: &str, sql: &str, dir: &Path) -> String {
    let o = server.psql(
        db,
        &format!("\\pset format unaligned\n\\pset tuples_only on\n{sql}"),
        &[],
        dir,
    );
    assert!(o.status.success(), "{sql}: {}", stderr(&o));
    stdout(&o)
}

/// Run a shipped pipeline on a dump. A pipeline that changes the partition key
/// (`measurements.taken`, a date) must be refused by name; the run is then repeated with the
/// rule a user would add (keep that column), and that output is returned.
fn run_keeping_partition_keys(
    d: &TestDir,
    pipeline: &str,
    dump: &Path,
    style: impl std::fmt::Debug,
    key: &str,
) -> std::path::PathBuf {
    let out = d.path().join(format!("{pipeline}-{style:?}"));
    let shipped = root().join(format!("pipelines/{pipeline}.toml"));
    let o = run_file(&shipped, dump, &out, key);
    let name = dump.file_name().unwrap().to_string_lossy().into_owned();
    let stem = name.split('.').next().unwrap().to_string();
    if o.status.code() == Some(0) {
        return out.join(format!("{stem}.sql"));
    }
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{pipeline}: {text}{}", stderr(&o));
    let conflicts: Vec<&str> = text.lines().filter(|l| l.contains(": is ")).collect();
    assert!(
        !conflicts.is_empty()
            && conflicts
                .iter()
                .all(|l| l.contains("/ taken: is a partition key")),
        "{pipeline} on {style:?} refused for another reason: {text}"
    );
    let mut toml = std::fs::read_to_string(&shipped).unwrap();
    let list = root().join("pipelines/objections.example.txt");
    toml = toml.replace(
        "\"objections.example.txt\"",
        &format!("{:?}", list.display().to_string()),
    );
    toml.push_str("\n[[rules]]\ncolumn = \"taken\"\naction = \"keep\"\nwhy = \"partition key\"\n");
    let edited = d.path().join(format!("{pipeline}-keep-taken.toml"));
    std::fs::write(&edited, toml).unwrap();
    let o = run_file(&edited, dump, &out, key);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{pipeline} + keep taken: {}{}",
        stdout(&o),
        stderr(&o)
    );
    out.join(format!("{stem}.sql"))
}

fn run_file(pipeline: &Path, input: &Path, out: &Path, key: &str) -> std::process::Output {
    anonkos()
        .current_dir(root())
        .args(["run", &pipeline.display().to_string(), "--quiet"])
        .args(["--input", &input.display().to_string()])
        .args(["--out-dir", &out.display().to_string(), "--key-file", key])
        .output()
        .unwrap()
}

#[test]
fn shipped_pipelines_on_real_pg_dumps_restore_whole() {
    let Some(url) = env_url("ANONKOS_TEST_PG_URL") else {
        return;
    };
    let server = Server::parse(&url);
    let d = TestDir::new();
    let styles = PG_STYLES;
    let dumps = pg_rich_dumps(d.path(), &styles);
    let key = keygen(&d);
    let (src, dst) = (unique("anonkos_in"), unique("anonkos_out"));
    let _dbs = PgDbs {
        server: &server,
        names: vec![src.clone(), dst.clone()],
        dir: d.path().to_path_buf(),
    };
    for (style, dump) in styles.iter().zip(&dumps) {
        let reset = |db: &str| {
            let sql = format!("DROP DATABASE IF EXISTS {db};\nCREATE DATABASE {db};");
            let o = server.psql("postgres", &sql, &[], d.path());
            assert!(o.status.success(), "{}", stderr(&o));
        };
        reset(&src);
        pg_restore_input(&server, &src, dump, d.path());
        let names = "SELECT emri FROM public.persons ORDER BY id;";
        let original: BTreeSet<String> = pg_query(&server, &src, names, d.path())
            .lines()
            .map(String::from)
            .collect();
        for pipeline in PIPELINES {
            let out = run_keeping_partition_keys(&d, pipeline, dump, *style, &key);
            reset(&dst);
            let text = std::fs::read_to_string(&out).unwrap();
            let load = server.psql(&dst, &text, &[], d.path());
            assert!(
                load.status.success(),
                "{pipeline} on {style:?}: psql: {}",
                stderr(&load)
            );
            assert_eq!(
                pg_query(&server, &src, PG_OBJECTS, d.path()),
                pg_query(&server, &dst, PG_OBJECTS, d.path()),
                "{pipeline} on {style:?}: schema objects"
            );
            for (table, rows) in pg_expected_rows() {
                let n = pg_query(
                    &server,
                    &dst,
                    &format!("SELECT count(*) FROM ONLY {table};"),
                    d.path(),
                );
                assert_eq!(
                    n.trim(),
                    rows.to_string(),
                    "{pipeline} on {style:?}: rows of {table}"
                );
            }
            // Foreign keys are validated by the restore itself (pg_dump adds them after the
            // data); the composite one is checked here as well.
            let orphans = "SELECT count(*) FROM public.visit_items i WHERE NOT EXISTS (SELECT 1 FROM public.visits v \
                 WHERE v.person_id = i.person_id AND v.visit_no = i.visit_no);";
            assert_eq!(pg_query(&server, &dst, orphans, d.path()).trim(), "0");
            let after = pg_query(&server, &dst, names, d.path());
            assert!(
                after.lines().all(|n| !original.contains(n)),
                "{pipeline} on {style:?}: an original name is left"
            );
        }
    }
}

#[test]
fn shipped_pipelines_on_real_mariadb_dumps_restore_whole() {
    let Some(url) = env_url("ANONKOS_TEST_MYSQL_URL") else {
        return;
    };
    let server = Server::parse(&url);
    let d = TestDir::new();
    let styles = MY_STYLES;
    let dumps = mariadb_rich_dumps(d.path(), &styles);
    let key = keygen(&d);
    let (src, dst) = (unique("anonkos_in"), unique("anonkos_out"));
    let _dbs = MyDbs {
        server: &server,
        names: vec![src.clone(), dst.clone()],
        dir: d.path().to_path_buf(),
    };
    let q = |db: &str, sql: &str| {
        let o = server.mariadb(db, sql.as_bytes(), &["-N", "-B"], d.path());
        assert!(o.status.success(), "{sql}: {}", stderr(&o));
        stdout(&o)
    };
    for (style, dump) in styles.iter().zip(&dumps) {
        let reset = |db: &str| {
            let sql = format!("DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db};");
            let o = server.mariadb("", sql.as_bytes(), &[], d.path());
            assert!(o.status.success(), "{}", stderr(&o));
        };
        reset(&src);
        let o = server.mariadb(&src, &std::fs::read(dump).unwrap(), &[], d.path());
        assert!(o.status.success(), "restoring the input: {}", stderr(&o));
        let names = "SELECT emri FROM persons ORDER BY id;";
        let original: BTreeSet<String> = q(&src, names).lines().map(String::from).collect();
        for pipeline in PIPELINES {
            let out = run_keeping_partition_keys(&d, pipeline, dump, style, &key);
            reset(&dst);
            let load = server.mariadb(&dst, &std::fs::read(&out).unwrap(), &[], d.path());
            assert!(
                load.status.success(),
                "{pipeline} on {style:?}: mariadb: {}",
                stderr(&load)
            );
            assert_eq!(
                q(&src, &my_objects(&src)),
                q(&dst, &my_objects(&dst)),
                "{pipeline} on {style:?}: schema objects"
            );
            for (table, rows) in mariadb_expected_rows() {
                let n = q(&dst, &format!("SELECT count(*) FROM {table};"));
                assert_eq!(
                    n.trim(),
                    rows.to_string(),
                    "{pipeline} on {style:?}: rows of {table}"
                );
            }
            // mariadb-dump turns foreign key checks off for the load: count orphans.
            for orphans in [
                "SELECT count(*) FROM visits v WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.id = v.person_id);",
                "SELECT count(*) FROM visit_items i WHERE NOT EXISTS (SELECT 1 FROM visits v \
                 WHERE v.person_id = i.person_id AND v.visit_no = i.visit_no);",
            ] {
                assert_eq!(
                    q(&dst, orphans).trim(),
                    "0",
                    "{pipeline} on {style:?}: {orphans}"
                );
            }
            // A kept binary column comes back byte for byte (0x00, quote, backslash, newline,
            // 0xff in every value).
            let thumbs = "SELECT id, hex(thumb) FROM persons ORDER BY id;";
            assert_eq!(
                q(&src, thumbs),
                q(&dst, thumbs),
                "{pipeline} on {style:?}: thumb"
            );
            let after = q(&dst, names);
            assert!(
                after.lines().all(|n| !original.contains(n)),
                "{pipeline} on {style:?}: an original name is left"
            );
        }
    }
}
