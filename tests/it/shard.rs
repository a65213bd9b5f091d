//! `--shard i/n`: sharded runs equal the unsharded run (whole outputs byte for byte, split
//! outputs row for row), the two privacy phases, refusals, Ctrl-C, and key ranges of live
//! PostgreSQL and MariaDB tables.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use crate::util::{TestDir, anonkos, root, run, stderr, stdout};

/// Keyed transforms of every kind that must not depend on sharding.
const KEYED: &str = r#"
[pipeline]
name = "shard-test"
strict = false

[output]
format = "same"

[key]
mode = "required"

[[rules]]
category = "kosovo_personal_number"
action = "fpe"

[[rules]]
category = "jmbg"
action = "fpe"

[[rules]]
category = "person_name"
action = "pseudonymise"

[[rules]]
category = "email"
action = "pseudonymise"

[[rules]]
role = "record_key"
action = "keep"

[[rules]]
category = "date_of_birth"
action = "date_shift"
max_days = 90

[[rules]]
column = "shuma"
action = "noise"
max_relative = 0.1

[[rules]]
category = "phone_number"
action = "redact"

[[rules]]
role = "direct_identifier"
action = "drop"

[[rules]]
role = "quasi_identifier"
action = "keep"

[[rules]]
role = "sensitive"
action = "redact"

[[rules]]
role = "free_text"
action = "drop"
"#;

/// `sample-data/patients.csv` as a Parquet file with row groups of `group_rows` rows (all
/// columns text).
fn patients_parquet(path: &Path, group_rows: usize) {
    let mut rdr = csv::Reader::from_path(root().join("sample-data/patients.csv")).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let schema = Arc::new(Schema::new(
        header
            .iter()
            .map(|h| Field::new(h, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let cols = (0..header.len())
        .map(|c| {
            Arc::new(StringArray::from(
                rows.iter()
                    .map(|r| r.get(c).map(String::from))
                    .collect::<Vec<_>>(),
            )) as arrow_array::ArrayRef
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(group_rows))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// An input directory: two CSV files (whole units) and a Parquet file of 8 row groups.
fn inputs(d: &TestDir) -> PathBuf {
    let dir = d.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["export_col.csv", "faturat.csv"] {
        std::fs::copy(root().join("sample-data").join(f), dir.join(f)).unwrap();
    }
    patients_parquet(&dir.join("patients.parquet"), 40);
    dir
}

fn keygen(d: &TestDir) -> String {
    let key = d.path().join("k.key").display().to_string();
    let o = run(&["keygen", "--out", &key]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    key
}

fn run_ok(args: &[&str]) -> std::process::Output {
    let o = anonkos().current_dir(root()).args(args).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    o
}

/// `anonkos run PIPE --input INPUT --out-dir OUT --key-file KEY EXTRA…`, which must succeed.
fn run_keyed(
    pipe: &str,
    input: &str,
    out: &str,
    key: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "run",
        pipe,
        "--input",
        input,
        "--out-dir",
        out,
        "--key-file",
        key,
    ];
    args.extend_from_slice(extra);
    run_ok(&args)
}

/// The run report shard `i` of `n` wrote into `out`.
fn shard_report(out: &Path, i: usize, n: usize) -> serde_json::Value {
    let path = out.join(format!("anonkos-run.shard-{i}-of-{n}.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Output files of a run (not reports or logs), relative to `dir`.
fn outputs(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                stack.push(p);
            } else if !name.starts_with("anonkos-") && !name.starts_with('.') {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// Every row of an output file as text (any format anonkos reads).
fn rows_of(path: &Path) -> Vec<Vec<Option<String>>> {
    let mut rows = Vec::new();
    for mut src in anonkos::source::open(
        path,
        &path.display().to_string(),
        &anonkos::source::ReadOptions::default(),
    )
    .unwrap()
    {
        while let Some(b) = src.next_batch().unwrap() {
            let cols: Vec<StringArray> = b
                .data
                .columns()
                .iter()
                .map(|c| {
                    arrow_cast::cast(c, &DataType::Utf8)
                        .unwrap()
                        .as_any()
                        .downcast_ref::<StringArray>()
                        .unwrap()
                        .clone()
                })
                .collect();
            for r in 0..b.num_rows() {
                rows.push(
                    cols.iter()
                        .map(|c| (!c.is_null(r)).then(|| c.value(r).to_string()))
                        .collect(),
                );
            }
        }
    }
    rows
}

/// `a.part-2-of-3.parquet` → (`a.parquet`, 2).
fn part_of(name: &str, n: usize) -> Option<(String, usize)> {
    const PART: &str = ".part-";
    let at = name.find(PART)?;
    let rest = &name[at + PART.len()..];
    let (i, tail) = rest.split_once("-of-")?;
    let (count, ext) = tail.split_once('.').unwrap_or((tail, ""));
    if count.parse::<usize>().ok()? != n {
        return None;
    }
    let whole = if ext.is_empty() {
        name[..at].to_string()
    } else {
        format!("{}.{ext}", &name[..at])
    };
    Some((whole, i.parse().ok()?))
}

/// The shards' outputs in `sharded` combine to the unsharded outputs in `whole`: files with
/// the same name are byte-identical, parts concatenated in shard order have the same rows.
/// Returns how many outputs were split.
fn assert_combined_equal(whole: &Path, sharded: &Path, n: usize) -> usize {
    let mut parts: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    let mut plain = Vec::new();
    for f in outputs(sharded) {
        match part_of(&f, n) {
            Some((w, i)) => parts.entry(w).or_default().push((i, f)),
            None => plain.push(f),
        }
    }
    let expected = outputs(whole);
    let mut got: Vec<String> = plain.iter().chain(parts.keys()).cloned().collect();
    got.sort();
    assert_eq!(got, expected, "{n} shards: other outputs");
    for f in &plain {
        assert!(
            std::fs::read(whole.join(f)).unwrap() == std::fs::read(sharded.join(f)).unwrap(),
            "{n} shards: {f} differs from the unsharded output"
        );
    }
    for (w, mut ps) in parts.clone() {
        ps.sort();
        assert!(ps.len() > 1, "{w}: split outputs have several parts");
        let mut rows = Vec::new();
        for (_, p) in &ps {
            rows.extend(rows_of(&sharded.join(p)));
        }
        let want = rows_of(&whole.join(&w));
        assert_eq!(rows.len(), want.len(), "{n} shards: {w} row count");
        assert!(rows == want, "{n} shards: {w} rows differ");
    }
    parts.len()
}

#[test]
fn sharded_runs_equal_the_unsharded_run() {
    let d = TestDir::new();
    let input = inputs(&d);
    let input = input.display().to_string();
    let key = keygen(&d);
    let pipe = d.file("keyed.toml", KEYED.as_bytes());
    let whole = d.path().join("whole");
    let w = whole.display().to_string();
    run_keyed(&pipe, &input, &w, &key, &[]);
    assert!(outputs(&whole).len() >= 3, "{:?}", outputs(&whole));
    let mut split_seen = 0;
    for n in 1..=3usize {
        let out = d.path().join(format!("shards{n}"));
        let o = out.display().to_string();
        for i in 1..=n {
            let shard = format!("{i}/{n}");
            run_ok(&[
                "run",
                &pipe,
                "--input",
                &input,
                "--out-dir",
                &o,
                "--key-file",
                &key,
                "--shard",
                &shard,
            ]);
            // Each shard has its own report, naming its units.
            let rep: serde_json::Value = shard_report(&out, i, n);
            assert_eq!(rep["shard"]["index"], i);
            assert_eq!(
                rep["shard"]["units_total"], 10,
                "2 CSV files + 8 row groups"
            );
        }
        split_seen += assert_combined_equal(&whole, &out, n);
        // n shards appended n records to one intact processing log.
        let log = out.join("anonkos-processing.jsonl");
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(text.lines().count(), n);
        let v = run(&["log", "verify", &log.display().to_string()]);
        assert_eq!(v.status.code(), Some(0), "{}", stderr(&v));
    }
    assert!(
        split_seen > 0,
        "no output was split: the test would prove little"
    );
}

/// `research-release.toml` with a supplied key (so that the unsharded run is comparable).
fn research_pipeline(d: &TestDir) -> String {
    let text = std::fs::read_to_string(root().join("pipelines/research-release.toml")).unwrap();
    let text = text.replace("mode = \"ephemeral\"", "mode = \"required\"");
    assert!(text.contains("[privacy]"));
    // With an objection list: its rows must be left out of the counts in both phases alike.
    let list = root().join("pipelines/objections.example.txt");
    let text = format!(
        "{text}\n[suppress]\nlist = {:?}\ncategory = \"kosovo_personal_number\"\n",
        list.display().to_string()
    );
    d.file("research.toml", text.as_bytes())
}

#[test]
fn privacy_in_two_phases_equals_the_unsharded_release() {
    let d = TestDir::new();
    let input = inputs(&d).display().to_string();
    let key = keygen(&d);
    let pipe = research_pipeline(&d);
    let whole = d.path().join("whole");
    let w = whole.display().to_string();
    run_keyed(&pipe, &input, &w, &key, &[]);
    let unsharded: serde_json::Value =
        serde_json::from_slice(&std::fs::read(whole.join("anonkos-run.json")).unwrap()).unwrap();
    let privacy_of = |rep: &serde_json::Value, input: &str| {
        rep["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["input"].as_str().unwrap().ends_with(input))
            .map(|o| {
                (
                    // The levels and the figures of the class table every shard searched.
                    serde_json::json!([o["privacy"]["levels"], o["risk"], o["utility"]]),
                    o["rows_suppressed"].as_u64().unwrap(),
                )
            })
    };
    let (levels, suppressed) = privacy_of(&unsharded, "patients.parquet").unwrap();
    assert!(levels[0].is_object(), "{unsharded}");
    assert!(
        suppressed >= 2,
        "the two objecting people's rows are suppressed"
    );
    let mut split_seen = 0;
    for n in [2usize, 3] {
        let out = d.path().join(format!("shards{n}"));
        let o = out.display().to_string();
        let sums = d.path().join(format!("sums{n}"));
        std::fs::create_dir_all(&sums).unwrap();
        for i in 1..=n {
            let shard = format!("{i}/{n}");
            let s = sums.join(format!("summary-{i}.json")).display().to_string();
            run_ok(&[
                "run",
                &pipe,
                "--input",
                &input,
                "--out-dir",
                &o,
                "--key-file",
                &key,
                "--shard",
                &shard,
                "--summary-out",
                &s,
            ]);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&s).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "summaries hold QI values");
            }
        }
        assert!(outputs(&out).is_empty(), "phase 1 writes no outputs");
        let glob = sums.join("summary-*.json").display().to_string();
        let mut total_suppressed = 0;
        for i in 1..=n {
            let shard = format!("{i}/{n}");
            run_keyed(
                &pipe,
                &input,
                &o,
                &key,
                &["--shard", &shard, "--summaries", &glob],
            );
            let rep: serde_json::Value = shard_report(&out, i, n);
            if let Some((l, s)) = privacy_of(&rep, "patients.parquet") {
                assert_eq!(l, levels, "shard {i}/{n} searched another table");
                total_suppressed += s;
            }
        }
        assert_eq!(
            total_suppressed, suppressed,
            "{n} shards suppressed other rows"
        );
        split_seen += assert_combined_equal(&whole, &out, n);
    }
    assert!(
        split_seen > 0,
        "no output was split: the test would prove little"
    );
}

#[test]
fn bad_shard_options_are_usage_errors() {
    let d = TestDir::new();
    let input = root().join("sample-data/faturat.csv").display().to_string();
    let key = keygen(&d);
    let pipe = d.file("keyed.toml", KEYED.as_bytes());
    let o = d.path().join("o").display().to_string();
    let base = [
        "run",
        &pipe,
        "--input",
        &input,
        "--out-dir",
        &o,
        "--key-file",
        &key,
    ];
    for bad in ["0/2", "3/2", "1/0", "a/b", "2", "-1/2"] {
        let mut args = base.to_vec();
        args.extend(["--shard", bad]);
        let r = run(&args);
        assert_eq!(r.status.code(), Some(2), "--shard {bad}: {}", stderr(&r));
    }
    // Phase options without --shard, or on a pipeline without [privacy].
    let s = d.path().join("s.json").display().to_string();
    let mut args = base.to_vec();
    args.extend(["--summary-out", &s]);
    assert_eq!(run(&args).status.code(), Some(2));
    let mut args = base.to_vec();
    args.extend(["--shard", "1/2", "--summary-out", &s]);
    let r = run(&args);
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("no [privacy]"), "{}", stderr(&r));

    // [privacy] without the two phases: refused with the explanation.
    let research = research_pipeline(&d);
    let r = run(&[
        "run",
        &research,
        "--input",
        &input,
        "--out-dir",
        &o,
        "--key-file",
        &key,
        "--shard",
        "1/2",
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("two phases"), "{}", stderr(&r));

    // Phase 2 with a shard's summary missing.
    let sums = d.path().join("sums");
    std::fs::create_dir_all(&sums).unwrap();
    let s1 = sums.join("summary-1.json").display().to_string();
    run_ok(&[
        "run",
        &research,
        "--input",
        &input,
        "--out-dir",
        &o,
        "--key-file",
        &key,
        "--shard",
        "1/2",
        "--summary-out",
        &s1,
    ]);
    let glob = sums.join("summary-*.json").display().to_string();
    let r = run(&[
        "run",
        &research,
        "--input",
        &input,
        "--out-dir",
        &o,
        "--key-file",
        &key,
        "--shard",
        "2/2",
        "--summaries",
        &glob,
    ]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("missing"), "{}", stderr(&r));
    // A summary of another shard count is refused too.
    let r = run(&[
        "run",
        &research,
        "--input",
        &input,
        "--out-dir",
        &o,
        "--key-file",
        &key,
        "--shard",
        "1/3",
        "--summaries",
        &glob,
    ]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(
        outputs(Path::new(&o)).is_empty(),
        "nothing written by refused runs"
    );

    // The shipped research release uses a throw-away key: sharding it needs a supplied key.
    let shipped = root()
        .join("pipelines/research-release.toml")
        .display()
        .to_string();
    let r = anonkos()
        .current_dir(root())
        .env_remove("ANONKOS_KEY")
        .args([
            "run",
            &shipped,
            "--input",
            &input,
            "--out-dir",
            &o,
            "--shard",
            "1/2",
            "--summary-out",
            &s,
        ])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("throw-away key"), "{}", stderr(&r));
}

/// Send SIGINT to a child once `ready` holds (or after `max`), and wait for it.
fn interrupt_when(
    mut child: std::process::Child,
    ready: impl Fn() -> bool,
) -> std::process::Output {
    let start = std::time::Instant::now();
    while !ready() && start.elapsed() < std::time::Duration::from_secs(60) {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // A child that already ended makes `kill` fail; the exit code then tells.
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    child.wait_with_output().unwrap()
}

fn staging_dirs(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".anonkos-staging-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn ctrl_c_leaves_no_partial_outputs_and_exits_130() {
    let d = TestDir::new();
    let big = d.path().join("big.csv");
    let o = run(&[
        "sample",
        "--out",
        &d.path().display().to_string(),
        "--bench-rows",
        "400000",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let made: Vec<PathBuf> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    std::fs::rename(&made[0], &big).unwrap();
    let key = keygen(&d);
    let pipe = d.file("keyed.toml", KEYED.as_bytes());
    let out = d.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // An earlier run's output stays as it was.
    std::fs::write(out.join("big.csv"), b"earlier output\n").unwrap();
    let child = anonkos()
        .args([
            "run",
            &pipe,
            "--input",
            &big.display().to_string(),
            "--out-dir",
            &out.display().to_string(),
            "--key-file",
            &key,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt while writing: once the staging directory exists.
    let o = interrupt_when(child, || !staging_dirs(&out).is_empty());
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(out.join("big.csv")).unwrap(),
        b"earlier output\n"
    );
    let left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // The run lock is an empty hidden file that stays by design.
        .filter(|n| n != ".anonkos-run.lock")
        .collect();
    assert_eq!(
        left,
        vec!["big.csv".to_string()],
        "no new, partial or staging files"
    );

    // `scan --full` stops too and writes no report.
    let report = d.path().join("scan.json");
    let child = anonkos()
        .args([
            "scan",
            "--full",
            &big.display().to_string(),
            "--format",
            "json",
            "-o",
            &report.display().to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    let o = interrupt_when(child, || {
        t.elapsed() > std::time::Duration::from_millis(700)
    });
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(!report.exists());
}

/// The sample patients and the keys the key-range tests give them: with gaps, and in an
/// order that is not the key order.
fn gapped_patients() -> (Vec<csv::StringRecord>, Vec<i64>) {
    let mut rdr = csv::Reader::from_path(root().join("sample-data/patients.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let mut ids: Vec<i64> = (0..rows.len() as i64).map(|i| i * 7 - 500).collect();
    ids.reverse();
    ids.rotate_left(97);
    (rows, ids)
}

/// Runs [`KEYED`] over the database at `db_url` whole and in 2 and 3 shards: the `people`
/// output (the file whose name ends in `people_file`) holds `rows` rows in key order, and
/// the shards' parts, which must really split it, add up to the whole.
fn assert_key_ranges_equal_whole(db_url: &str, people_file: &str, rows: usize) {
    let d = TestDir::new();
    let key = keygen(&d);
    let pipe = d.file("keyed.toml", KEYED.as_bytes());
    let whole = d.path().join("whole");
    run_keyed(&pipe, db_url, &whole.display().to_string(), &key, &[]);
    let people = outputs(&whole)
        .into_iter()
        .find(|f| f.ends_with(people_file))
        .unwrap_or_else(|| panic!("no people output: {:?}", outputs(&whole)));
    let ids_out: Vec<String> = rows_of(&whole.join(&people))
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect();
    assert_eq!(ids_out.len(), rows);
    let mut sorted = ids_out.clone();
    sorted.sort_by_key(|s| s.parse::<i64>().unwrap());
    assert_eq!(ids_out, sorted, "a keyed table is read in key order");
    for n in [2usize, 3] {
        let out = d.path().join(format!("shards{n}"));
        let o = out.display().to_string();
        for i in 1..=n {
            run_keyed(&pipe, db_url, &o, &key, &["--shard", &format!("{i}/{n}")]);
        }
        let split = assert_combined_equal(&whole, &out, n);
        assert!(split >= 1, "{n} shards: the keyed table was not split");
    }
}

/// Drops the database it names when dropped.
struct DbGuard {
    url: String,
    db: String,
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let Ok(mut c) = self
            .url
            .parse::<postgres::Config>()
            .and_then(|c| c.connect(postgres::NoTls))
        {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db));
        }
    }
}

#[test]
fn postgres_key_ranges_equal_the_unsharded_run() {
    use crate::db::{env_url, pg_client, unique};
    let Some(url) = env_url("ANONKOS_TEST_PG_URL") else {
        return;
    };
    // A database of its own: a run reads every table of the database it is given.
    let db = unique("anonkos_shard");
    let mut admin = pg_client(&url);
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap();
    let _guard = DbGuard {
        url: url.clone(),
        db: db.clone(),
    };
    let db_url = match url.rsplit_once('/') {
        Some((server, _)) if server.contains("://") && !server.ends_with('/') => {
            format!("{server}/{db}")
        }
        _ => format!("{}/{db}", url.trim_end_matches('/')),
    };
    let mut c = pg_client(&db_url);
    // Keys with gaps, inserted out of order, so only ORDER BY gives key order.
    let (rows, ids) = gapped_patients();
    c.batch_execute(
        "CREATE TABLE people (id bigint PRIMARY KEY, nr_personal text, emri text, mbiemri text, \
         data_e_lindjes text, email text); CREATE TABLE notes (nr_personal text, shenime text);",
    )
    .unwrap();
    for (id, r) in ids.iter().zip(&rows) {
        c.execute(
            "INSERT INTO people VALUES ($1, $2, $3, $4, $5, $6)",
            &[id, &&r[0], &&r[1], &&r[2], &&r[3], &&r[7]],
        )
        .unwrap();
        c.execute("INSERT INTO notes VALUES ($1, $2)", &[&&r[0], &&r[10]])
            .unwrap();
    }
    c.batch_execute("ANALYZE").unwrap();
    assert_key_ranges_equal_whole(&db_url, &format!("{db}/public.people.parquet"), rows.len());
}

#[test]
fn mariadb_key_ranges_equal_the_unsharded_run() {
    use crate::db::{MyGuard, env_url, my_conn, my_url_db, unique};
    use mysql::prelude::Queryable;
    let Some(url) = env_url("ANONKOS_TEST_MYSQL_URL") else {
        return;
    };
    // A database of its own: a run reads every table of the database it is given.
    let db = unique("anonkos_shard");
    let mut c = my_conn(&url).unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}` CHARACTER SET utf8mb4"))
        .unwrap();
    let _guard = MyGuard {
        url: url.clone(),
        database: db.clone(),
        user: None,
    };
    let db_url = my_url_db(&url, &db);
    c.query_drop(format!("USE `{db}`")).unwrap();
    // Keys with gaps, inserted out of order. `people` is MyISAM, which returns rows in
    // insertion order unless told otherwise (InnoDB would return them in key order anyway),
    // so only ORDER BY gives key order and key-range parts that add up to the whole.
    let (rows, ids) = gapped_patients();
    c.query_drop(
        "CREATE TABLE people (id bigint PRIMARY KEY, nr_personal text, emri text, mbiemri text, \
         data_e_lindjes text, email text) ENGINE=MyISAM",
    )
    .unwrap();
    c.query_drop("CREATE TABLE notes (nr_personal text, shenime text)")
        .unwrap();
    c.exec_batch(
        "INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)",
        ids.iter().zip(&rows).map(|(id, r)| {
            mysql::Params::Positional(vec![
                (*id).into(),
                r[0].into(),
                r[1].into(),
                r[2].into(),
                r[3].into(),
                r[7].into(),
            ])
        }),
    )
    .unwrap();
    c.exec_batch(
        "INSERT INTO notes VALUES (?, ?)",
        rows.iter()
            .map(|r| mysql::Params::Positional(vec![r[0].into(), r[10].into()])),
    )
    .unwrap();
    c.query_drop("ANALYZE TABLE people, notes").unwrap();
    assert_key_ranges_equal_whole(&db_url, &format!("{db}.people.parquet"), rows.len());
}
