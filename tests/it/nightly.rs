//! Nightly jobs (issue 19): `scan --state` reads only what changed, `scan --baseline` reports
//! the drift and exits 5 when personal data appeared; the scheduler examples in
//! `examples/nightly/` run exactly the command lines they contain.
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::db::{env_url, unique};
use crate::realdump::{PgDb, pg_url_db, psql, run_tool};
use crate::util::{TestDir, anonkos, root, stderr};

fn write_csv(path: &Path, header: &str, rows: impl Iterator<Item = String>) {
    let mut s = format!("{header}\n");
    for r in rows {
        s.push_str(&r);
        s.push('\n');
    }
    std::fs::write(path, s).unwrap();
}

const GIVEN: [&str; 5] = ["Besnik", "Arta", "Drita", "Luan", "Vjosa"];
const FAMILY: [&str; 5] = ["Krasniqi", "Berisha", "Gashi", "Hoxha", "Shala"];

fn people(path: &Path) {
    write_csv(
        path,
        "emri,email",
        (0..300).map(|i| {
            format!(
                "{} {},{}.{}{i}@posta.example.org",
                GIVEN[i % 5],
                FAMILY[i / 5 % 5],
                GIVEN[i % 5].to_lowercase(),
                FAMILY[i / 5 % 5].to_lowercase()
            )
        }),
    );
}

fn codes(path: &Path, with_email: bool) {
    let header = if with_email {
        "product,quantity,email"
    } else {
        "product,quantity"
    };
    write_csv(
        path,
        header,
        (0..300).map(|i| {
            let mut r = format!("P-{:04},{}", i % 97, i % 13 + 1);
            if with_email {
                r.push_str(&format!(",klient{i}@posta.example.org"));
            }
            r
        }),
    );
}

fn scan(args: &[&str]) -> (i32, Value) {
    let out = anonkos()
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("exit {code}: {e}: {}", stderr(&out)));
    (code, v)
}

fn label(d: &Value) -> String {
    let s = d["source"].as_str().unwrap();
    let name = Path::new(s)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    match d["table"].as_str() {
        Some(t) => format!("{name}:{t}"),
        None => name,
    }
}

fn reused(v: &Value) -> Vec<(String, bool)> {
    v["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (label(d), d["reused"].as_bool().unwrap_or(false)))
        .collect()
}

fn pg_dump(db_url: &str, out: &Path) {
    run_tool(
        Command::new("pg_dump")
            .arg("-f")
            .arg(out)
            .args(["-d", db_url]),
        None,
    );
}

/// The done-when: one table of a real `pg_dump` and one file of a directory change
/// between two scans; only those are read again (rows read), the drift names exactly the
/// changed columns, and the exit code is 5.
#[test]
#[allow(clippy::too_many_lines)] // one scenario end to end, step by step
fn only_the_changed_dump_table_and_file_are_read_again_and_drift_alerts() {
    let Some(url) = env_url("ANONKOS_TEST_PG_URL") else {
        return;
    };
    let db = PgDb {
        admin: url.clone(),
        name: unique("anonkos_nightly"),
    };
    psql(&url, &format!("CREATE DATABASE {}", db.name));
    let db_url = pg_url_db(&url, &db.name);
    psql(
        &db_url,
        "CREATE TABLE visits (visit_day date, status text, amount integer);
         INSERT INTO visits SELECT date '2024-01-01' + (g % 300), CASE WHEN g % 3 = 0 THEN 'open' ELSE 'closed' END, g % 17
           FROM generate_series(1, 400) g;
         CREATE TABLE staff (id integer PRIMARY KEY, emri text, email text);
         INSERT INTO staff SELECT g, (ARRAY['Besnik','Arta','Drita','Luan','Vjosa'])[g % 5 + 1] || ' ' ||
           (ARRAY['Krasniqi','Berisha','Gashi','Hoxha','Shala'])[g % 4 + 1], 'staff' || g || '@posta.example.org'
           FROM generate_series(1, 250) g;",
    );
    let t = TestDir::new();
    let data = t.path().join("exports");
    std::fs::create_dir(&data).unwrap();
    people(&data.join("people.csv"));
    codes(&data.join("codes.csv"), false);
    write_csv(
        &data.join("towns.csv"),
        "komuna,count",
        ["Prishtinë", "Prizren", "Pejë", "Gjakovë", "Ferizaj"]
            .iter()
            .cycle()
            .take(200)
            .enumerate()
            .map(|(i, m)| format!("{m},{i}")),
    );
    pg_dump(&db_url, &data.join("warehouse.sql"));
    let state = t.path().join("nightly.state");
    let first = t.path().join("first.json");
    let d = data.to_str().unwrap();
    let s = state.to_str().unwrap();

    let (code, v1) = scan(&[d, "--state", s]);
    assert_eq!(code, 0, "{v1}");
    std::fs::write(&first, serde_json::to_vec(&v1).unwrap()).unwrap();
    assert_eq!(v1["incremental"]["datasets_reused"], 0);
    let all_rows: u64 = v1["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rows_scanned"].as_u64().unwrap())
        .sum();
    assert_eq!(v1["incremental"]["rows_read"], all_rows);
    assert_eq!(v1["datasets"].as_array().unwrap().len(), 5, "{v1}");

    // Unchanged: nothing is read, no drift.
    let (code, v2) = scan(&[d, "--state", s, "--baseline", first.to_str().unwrap()]);
    assert_eq!(code, 0, "{v2}");
    assert!(reused(&v2).iter().all(|(_, r)| *r), "{:?}", reused(&v2));
    assert_eq!(v2["incremental"]["rows_read"], 0);
    assert!(v2["incremental"]["fingerprint_bytes"].as_u64().unwrap() > 0);
    assert_eq!(
        v2["drift"]["changes"],
        Value::Array(vec![]),
        "{}",
        v2["drift"]
    );
    // Reused results are the same classifications.
    for (a, b) in v1["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .zip(v2["datasets"].as_array().unwrap())
    {
        for (ca, cb) in a["columns"]
            .as_array()
            .unwrap()
            .iter()
            .zip(b["columns"].as_array().unwrap())
        {
            assert_eq!(ca["category"], cb["category"]);
            assert_eq!(ca["role"], cb["role"]);
        }
    }

    // One table of the dump and one file change.
    psql(
        &db_url,
        "ALTER TABLE visits ADD COLUMN email text;
         UPDATE visits SET email = 'klient' || amount || status || '@posta.example.org';",
    );
    pg_dump(&db_url, &data.join("warehouse.sql"));
    codes(&data.join("codes.csv"), true);
    let (code, v3) = scan(&[d, "--state", s, "--baseline", first.to_str().unwrap()]);
    assert_eq!(code, 5, "drift alert: {}", v3["drift"]);
    let mut read: Vec<String> = reused(&v3)
        .into_iter()
        .filter(|(_, r)| !r)
        .map(|(l, _)| l)
        .collect();
    read.sort();
    assert_eq!(read, vec!["codes.csv", "warehouse.sql:public.visits"]);
    let rows_of = |name: &str| {
        v3["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| label(d) == name)
            .unwrap()["rows_scanned"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        v3["incremental"]["rows_read"].as_u64().unwrap(),
        rows_of("codes.csv") + rows_of("warehouse.sql:public.visits")
    );
    assert_eq!(v3["incremental"]["datasets_reused"], 3);
    let changes: Vec<(String, String, String, bool)> = v3["drift"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let ds = Path::new(c["dataset"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                c["kind"].as_str().unwrap().to_string(),
                ds,
                c["column"].as_str().unwrap_or("").to_string(),
                c["alert"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            (
                "new_column".into(),
                "codes.csv".into(),
                "email".into(),
                true
            ),
            (
                "new_column".into(),
                "warehouse.sql:public.visits".into(),
                "email".into(),
                true
            ),
        ]
    );
    assert_eq!(v3["drift"]["alert"], true);
    assert_eq!(v3["datasets"].as_array().unwrap().len(), 5);

    // The state holds no value: no name, no e-mail address, no example.
    let text = std::fs::read_to_string(&state).unwrap();
    for raw in [
        "Krasniqi",
        "Besnik",
        "example.org",
        "klient",
        "P-00",
        "Prishtin",
    ] {
        assert!(!text.contains(raw), "state leaks {raw}");
    }
    drop(db);
}

/// Without a database: a file edited in place with its size and modification time kept is
/// still read again when a sampled block changed; a corrupt state is an error naming it and
/// left alone; `--full` against a sampled state is refused.
#[test]
fn same_size_and_mtime_edits_corrupt_and_foreign_states() {
    let t = TestDir::new();
    let data = t.path().join("d");
    std::fs::create_dir(&data).unwrap();
    let f = data.join("codes.csv");
    codes(&f, false);
    let state = t.path().join("st");
    let (d, s) = (data.to_str().unwrap(), state.to_str().unwrap());
    assert_eq!(scan(&[d, "--state", s]).0, 0);
    let mtime = std::fs::metadata(&f).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&f).unwrap();
    let at = bytes.len() - 5;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&f, &bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&f)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let (code, v) = scan(&[d, "--state", s]);
    assert_eq!(code, 0);
    assert_eq!(reused(&v), vec![("codes.csv".into(), false)]);
    let (_, v) = scan(&[d, "--state", s]);
    assert_eq!(reused(&v), vec![("codes.csv".into(), true)]);

    let out = anonkos()
        .args(["scan", d, "--state", s, "--full"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(s) && stderr(&out).contains("mode"),
        "{}",
        stderr(&out)
    );

    std::fs::write(
        &state,
        b"{\"magic\": \"anonkos.state\", \"version\": 1, \"salt\": 3}",
    )
    .unwrap();
    let out = anonkos().args(["scan", d, "--state", s]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(s), "{}", stderr(&out));
    assert!(std::fs::read(&state).unwrap().starts_with(b"{\"magic\""));
}

/// The command line of each scheduler example, as written in the file.
fn example_commands() -> Vec<(&'static str, String)> {
    let dir = root().join("examples/nightly");
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    let cron = read("anonkos-nightly.cron");
    let line = cron
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .unwrap();
    // minute hour day month weekday user command…
    let fields: Vec<&str> = line.splitn(7, ' ').collect();
    let cron_cmd = fields[6].split(" || ").next().unwrap().to_string();
    let service = read("anonkos-nightly.service");
    let exec = service
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap()
        .to_string();
    let dag = read("anonkos_nightly_dag.py");
    let start = dag.find("bash_command=\"").unwrap() + "bash_command=\"".len();
    let airflow = dag[start..].split('"').next().unwrap().to_string();
    let timer = read("anonkos-nightly.timer");
    assert!(timer.contains("OnCalendar=*-*-* 02:30:00"));
    assert!(cron.starts_with('#') && line.starts_with("30 2 * * *"));
    vec![("cron", cron_cmd), ("systemd", exec), ("airflow", airflow)]
}

/// Each example's command, run as written with its paths moved into a test directory: exit 0
/// on the first night and on an unchanged night (everything reused), 5 the night a file with
/// personal data appears, 0 again the night after (the state is the baseline).
#[test]
fn scheduler_examples_run_their_exact_command_lines() {
    for (name, cmd) in example_commands() {
        assert!(!cmd.contains(['\'', '"', '$', '`']), "{name}: {cmd}");
        let t = TestDir::new();
        let exports = t.path().join("exports");
        let var = t.path().join("var");
        std::fs::create_dir_all(&exports).unwrap();
        std::fs::create_dir_all(&var).unwrap();
        codes(&exports.join("codes.csv"), false);
        let argv: Vec<String> = cmd
            .split_whitespace()
            .map(|a| {
                a.replace("/srv/warehouse/exports", exports.to_str().unwrap())
                    .replace("/var/lib/anonkos", var.to_str().unwrap())
            })
            .collect();
        assert_eq!(argv[0], "/usr/local/bin/anonkos", "{name}");
        let night = || {
            let out = anonkos().args(&argv[1..]).output().unwrap();
            let report: Value =
                serde_json::from_slice(&std::fs::read(var.join("nightly-report.json")).unwrap())
                    .unwrap();
            (out.status.code(), report, stderr(&out))
        };
        let (code, _, err) = night();
        assert_eq!(code, Some(0), "{name}: {err}");
        let (code, r, err) = night();
        assert_eq!(code, Some(0), "{name}: {err}");
        assert_eq!(r["incremental"]["datasets_reused"], 1, "{name}");
        people(&exports.join("people.csv"));
        let (code, r, err) = night();
        assert_eq!(code, Some(5), "{name}: {err}");
        assert_eq!(r["drift"]["alert"], true);
        assert_eq!(r["drift"]["counts"]["new_dataset"], 1);
        let (code, r, _) = night();
        assert_eq!(code, Some(0), "{name}");
        assert_eq!(r["drift"]["changes"], Value::Array(vec![]));
    }
    let dag = root().join("examples/nightly/anonkos_nightly_dag.py");
    if let Ok(o) = Command::new("python3")
        .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())"])
        .arg(&dag)
        .output()
    {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

/// With `--filing-systems`, the drift since the baseline is in the filing-system report: a
/// `catalogue_outdated` finding for the filing system whose dataset changed, citing Art. 17(2)
/// with its text quoted, and exit code 5.
#[test]
fn filing_report_names_the_outdated_catalogue_entry_under_art_17_2() {
    let t = TestDir::new();
    let (code, mut base) = scan(&["sample-data/"]);
    assert_eq!(code, 0);
    // The baseline had no personal data in the first personal column found.
    let mut changed = None;
    'outer: for d in base["datasets"].as_array_mut().unwrap() {
        let name = label(d);
        for c in d["columns"].as_array_mut().unwrap() {
            if c["role"] == "direct_identifier" {
                changed = Some((name, c["name"].as_str().unwrap().to_string()));
                c["category"] = "none".into();
                c["role"] = "not_personal".into();
                c["special_category"] = false.into();
                break 'outer;
            }
        }
    }
    let (dataset, column) = changed.unwrap();
    let baseline = t.path().join("approved.json");
    std::fs::write(&baseline, serde_json::to_vec(&base).unwrap()).unwrap();
    for format in ["json", "md", "html"] {
        let out = anonkos()
            .args([
                "scan",
                "sample-data/",
                "--filing-systems",
                "filing-systems.toml",
            ])
            .args(["--baseline", baseline.to_str().unwrap(), "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(5), "{format}: {}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            text.contains("catalogue_outdated") || format == "md",
            "{format}"
        );
        assert!(text.contains("Art. 17(2)"), "{format}");
        assert!(
            text.contains("The data controller must ensure that the content of the filing system catalogue is accurate and kept up to date"),
            "{format}: the quoted text of Art. 17(2)"
        );
        if format == "json" {
            let r: Value = serde_json::from_str(&text).unwrap();
            let f: Vec<&Value> = r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["code"] == "catalogue_outdated")
                .collect();
            assert_eq!(f.len(), 1, "{}", r["findings"]);
            let cols = f[0]["columns"].as_array().unwrap();
            assert_eq!(cols.len(), 1);
            let col = cols[0].as_str().unwrap();
            assert!(
                col.ends_with(&format!(": {column}")) && col.contains(&dataset),
                "{col}"
            );
            assert_eq!(f[0]["cites"][0]["article"], "Art. 17(2)");
            assert_eq!(r["drift"]["alert"], true);
        }
    }
}
