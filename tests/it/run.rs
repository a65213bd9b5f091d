//! `anonkos run` / `verify` / `keygen` end to end: the shipped pipelines on the sample data,
//! strictness, bad pipelines, keys, determinism, and the leak test (no identifier value from
//! the inputs in any output, report or log line).
#![allow(clippy::disallowed_methods)] // tests read outputs and write fixtures directly
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use arrow_array::Array;

use crate::util::{TestDir, anonkos, root, run, stderr, stdout};

const PIPELINES: [&str; 3] = ["research-release", "pseudonymised-share", "test-copy"];

fn pipeline(name: &str) -> String {
    root()
        .join("pipelines")
        .join(format!("{name}.toml"))
        .display()
        .to_string()
}

fn keygen(d: &TestDir) -> String {
    let key = d.path().join("test.key").display().to_string();
    let o = run(&["keygen", "--out", &key]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    key
}

/// Run a shipped pipeline on the sample data (from the repository root, where its relative
/// paths point).
fn run_pipeline(name: &str, out: &Path, key: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run".to_string(),
        pipeline(name),
        "--input".into(),
        root().join("sample-data").display().to_string(),
        "--out-dir".into(),
        out.display().to_string(),
        "--key-file".into(),
        key.to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    anonkos().current_dir(root()).args(&args).output().unwrap()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every cell of every dataset in a file, as text (Parquet and SQLite decoded).
fn all_text(path: &Path) -> String {
    let mut s = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
    if let Ok(sources) =
        anonkos::source::open(path, "out", &anonkos::source::ReadOptions::default())
    {
        for mut src in sources {
            while let Ok(Some(b)) = src.next_batch() {
                for col in b.data.columns() {
                    let c = arrow_cast::cast(col, &arrow_schema::DataType::Utf8).unwrap();
                    let c = c
                        .as_any()
                        .downcast_ref::<arrow_array::StringArray>()
                        .unwrap();
                    for i in 0..c.len() {
                        if !c.is_null(i) {
                            s.push_str(c.value(i));
                            s.push('\n');
                        }
                    }
                }
            }
        }
    }
    s
}

/// Identifier values of the sample inputs (direct identifiers other than names), raw and
/// with separators removed.
fn sample_identifiers() -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    let cats = [
        "kosovo_personal_number",
        "jmbg",
        "phone_number",
        "email",
        "iban",
        "bank_account",
        "passport_number",
    ];
    let src_dir = root().join("sample-data");
    for (file, column, cat) in anonkos::sample::expected_categories() {
        if !cats.contains(&cat) {
            continue;
        }
        let path = src_dir.join(file);
        for mut s in
            anonkos::source::open(&path, file, &anonkos::source::ReadOptions::default()).unwrap()
        {
            let idx = s.schema().index_of(column).unwrap();
            while let Some(b) = s.next_batch().unwrap() {
                let c =
                    arrow_cast::cast(b.data.column(idx), &arrow_schema::DataType::Utf8).unwrap();
                let c = c
                    .as_any()
                    .downcast_ref::<arrow_array::StringArray>()
                    .unwrap();
                for i in 0..c.len() {
                    if c.is_null(i) || c.value(i).len() < 6 {
                        continue;
                    }
                    let v = c.value(i).to_string();
                    let squashed: String = v
                        .chars()
                        .filter(|ch| !matches!(ch, ' ' | '-' | '/' | '.'))
                        .collect();
                    set.insert(v);
                    if squashed.len() >= 8 {
                        set.insert(squashed);
                    }
                }
            }
        }
    }
    set
}

#[test]
fn shipped_pipelines_parse_and_show_their_plan() {
    for name in PIPELINES {
        let o = anonkos()
            .current_dir(root())
            .args(["run", &pipeline(name), "--dry-run"])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let out = stdout(&o);
        assert!(
            out.contains("nr_personal") && out.contains("rule "),
            "{name}: {out}"
        );
    }
}

#[test]
fn every_action_appears_in_a_shipped_pipeline() {
    let mut text = String::new();
    for name in PIPELINES {
        text.push_str(&std::fs::read_to_string(pipeline(name)).unwrap());
    }
    for action in anonkos::transform::ActionSpec::NAMES {
        assert!(
            text.contains(&format!("action = \"{action}\"")),
            "no shipped pipeline uses {action}"
        );
    }
    assert!(
        text.contains("[suppress]"),
        "suppress_subjects is not shipped"
    );
}

#[test]
fn shipped_pipelines_run_verify_and_leak_nothing() {
    let d = TestDir::new();
    // A fixed key, for the reason given at `leak::known_key` (fpe's small domains).
    let key = d.path().join("fixed.key").display().to_string();
    let hex: String = (0..32u8)
        .map(|i| format!("{:02x}", i.wrapping_mul(37).wrapping_add(11)))
        .collect();
    std::fs::write(&key, format!("{hex}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let key_text = std::fs::read_to_string(&key).unwrap().trim().to_string();
    let ids = sample_identifiers();
    assert!(
        ids.len() > 1000,
        "the leak test needs the sample identifiers ({})",
        ids.len()
    );
    for name in PIPELINES {
        let out = d.path().join(name);
        let o = run_pipeline(name, &out, &key, &["--format", "json"]);
        let (so, se) = (stdout(&o), stderr(&o));
        assert_eq!(o.status.code(), Some(0), "{name}: {so}\n{se}");
        let report: serde_json::Value = serde_json::from_str(&so).unwrap();
        assert_eq!(report["schema"], "anonkos.run/v1");
        assert_eq!(report["status"], "ok", "{name}: {}", report["verification"]);
        assert_eq!(report["verification"]["passed"], true);
        assert!(!report["outputs"].as_array().unwrap().is_empty());
        for o in report["outputs"].as_array().unwrap() {
            assert_eq!(o["sha256"].as_str().unwrap().len(), 64, "{o}");
            assert_eq!(o["verification"]["passed"], true, "{o}");
        }
        for i in report["inputs"].as_array().unwrap() {
            assert_eq!(i["sha256"].as_str().unwrap().len(), 64);
        }
        // The processing log got a record and its chain verifies.
        let log = out.join("anonkos-processing.jsonl");
        let lv = run(&["log", "verify", &log.display().to_string()]);
        assert_eq!(
            lv.status.code(),
            Some(0),
            "{name}: {}{}",
            stdout(&lv),
            stderr(&lv)
        );
        // verify, standalone, finds the manifest next to the outputs.
        let v = run(&["verify", &out.display().to_string()]);
        assert_eq!(
            v.status.code(),
            Some(0),
            "{name}: {}{}",
            stdout(&v),
            stderr(&v)
        );
        // The leak test: outputs (decoded), the report, stdout and stderr.
        let mut haystack = format!("{so}\n{se}\n{}\n{}", stdout(&v), stderr(&v));
        for f in files_under(&out) {
            haystack.push_str(&all_text(&f));
        }
        let leaked: Vec<&String> = ids
            .iter()
            .filter(|v| haystack.contains(v.as_str()))
            .take(5)
            .collect();
        assert!(
            leaked.is_empty(),
            "{name}: {} input identifiers found in outputs, e.g. {:?}",
            leaked.len(),
            leaked.len()
        );
        assert!(!haystack.contains(&key_text), "{name}: the key leaked");
    }
}

#[test]
fn same_key_same_input_gives_byte_identical_outputs() {
    let d = TestDir::new();
    let key = keygen(&d);
    let a = d.path().join("a");
    let b = d.path().join("b");
    for (out, threads) in [(&a, "1"), (&b, "2")] {
        let mut args = vec!["--threads", threads];
        args.push("--quiet");
        let o = run_pipeline("pseudonymised-share", out, &key, &args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let fa = files_under(&a);
    let fb = files_under(&b);
    assert_eq!(fa.len(), fb.len());
    for (x, y) in fa.iter().zip(&fb) {
        let n = x.file_name().unwrap().to_string_lossy();
        if n == "anonkos-run.json" || n.ends_with(".jsonl") || n.ends_with(".lock") {
            continue;
        }
        assert!(
            std::fs::read(x).unwrap() == std::fs::read(y).unwrap(),
            "{} differs",
            x.display()
        );
    }
}

#[test]
fn objection_list_suppresses_every_row_of_the_listed_people() {
    let d = TestDir::new();
    let key = keygen(&d);
    let out = d.path().join("share");
    let o = run_pipeline("pseudonymised-share", &out, &key, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let patients = r["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["input"].as_str().unwrap().ends_with("patients.csv"))
        .unwrap();
    assert_eq!(patients["rows_suppressed"], 2, "{patients}");
    assert_eq!(
        patients["rows"].as_u64().unwrap() + 2,
        patients["rows_in"].as_u64().unwrap()
    );
}

/// The objection list's relative path is the pipeline's, not the working directory's.
#[test]
fn objection_list_is_found_from_any_working_directory() {
    let d = TestDir::new();
    let key = keygen(&d);
    let out = d.path().join("share");
    let o = anonkos()
        .current_dir(d.path())
        .args(["run", &pipeline("pseudonymised-share"), "--format", "json"])
        .args([
            "--input",
            &root()
                .join("sample-data/patients.csv")
                .display()
                .to_string(),
        ])
        .args(["--out-dir", &out.display().to_string(), "--key-file", &key])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["outputs"][0]["rows_suppressed"], 2, "{r}");
}

#[test]
fn strict_pipeline_without_rules_writes_nothing_and_names_the_columns() {
    let d = TestDir::new();
    let p = d.file(
        "p.toml",
        b"[pipeline]\nname = \"nothing\"\n[output]\nformat = \"csv\"\n[key]\nmode = \"none\"\n",
    );
    let out = d.path().join("out");
    let input = root()
        .join("sample-data/patients.csv")
        .display()
        .to_string();
    let o = run(&[
        "run",
        &p,
        "--input",
        &input,
        "--out-dir",
        &out.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("nr_personal")
            && stdout(&o).contains("Personal columns no rule covers")
    );
    assert!(
        !out.exists() || files_under(&out).is_empty(),
        "nothing may be written"
    );
}

#[test]
fn bad_pipelines_are_config_errors_with_line_and_hint() {
    let d = TestDir::new();
    let input = root().join("sample-data/faturat.csv").display().to_string();
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "[pipeline]\nname = \"x\"\n[otput]\ndir = \"o\"\n",
            "line 3",
            &["did you mean `output`"],
        ),
        (
            "[pipeline]\nname = \"x\"\n\n[[rules]]\ncategory = \"phone_number\"\naction = \"pseudonymize\"\n",
            "line 4",
            &["did you mean `pseudonymise`"],
        ),
        (
            "[pipeline]\nname = \"x\"\n[[rules]]\ncategory = \"phone_numbr\"\naction = \"drop\"\n",
            "rule 1",
            &["did you mean `phone_number`"],
        ),
        (
            "[pipeline]\nname = \"x\"\n[[rules]]\ncategory = \"phone_number\"\naction = \"mask\"\nkeep_lst = 2\n",
            "rule 1",
            &["keep_last"],
        ),
    ];
    for (i, (text, place, hints)) in cases.iter().enumerate() {
        let p = d.file(&format!("bad{i}.toml"), text.as_bytes());
        let o = run(&[
            "run",
            &p,
            "--input",
            &input,
            "--out-dir",
            &d.path().join("o").display().to_string(),
            "--dry-run",
        ]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "case {i}: {e}");
        assert!(e.contains(place), "case {i}: {e}");
        for h in *hints {
            assert!(e.contains(h), "case {i}: {e}");
        }
    }
}

#[test]
fn a_keyed_pipeline_without_a_key_says_how_to_get_one() {
    let d = TestDir::new();
    let o = anonkos()
        .current_dir(root())
        .env_remove("ANONKOS_KEY")
        .args([
            "run",
            &pipeline("pseudonymised-share"),
            "--out-dir",
            &d.path().join("o").display().to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--key-file") && stderr(&o).contains("anonkos keygen"));
}

#[test]
fn keygen_writes_0600_and_refuses_to_overwrite() {
    let d = TestDir::new();
    let key = keygen(&d);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let text = std::fs::read_to_string(&key).unwrap();
    let o = run(&["keygen", "--out", &key]);
    assert_ne!(o.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        text,
        "the key must not change"
    );
    assert!(!stderr(&o).contains(text.trim()) && !stdout(&o).contains(text.trim()));
}

#[test]
fn inputs_are_never_modified_and_outputs_never_land_on_inputs() {
    let d = TestDir::new();
    let key = keygen(&d);
    let src = d.path().join("in");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::copy(
        root().join("sample-data/patients.csv"),
        src.join("patients.csv"),
    )
    .unwrap();
    let before = std::fs::read(src.join("patients.csv")).unwrap();
    // Output directory containing the input: refused.
    let o = anonkos()
        .current_dir(root())
        .args([
            "run",
            &pipeline("test-copy"),
            "--input",
            &src.display().to_string(),
            "--out-dir",
            &d.path().display().to_string(),
            "--key-file",
            &key,
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(std::fs::read(src.join("patients.csv")).unwrap() == before);
    let out = d.path().join("out");
    let o = anonkos()
        .current_dir(root())
        .args([
            "run",
            &pipeline("test-copy"),
            "--input",
            &src.display().to_string(),
            "--out-dir",
            &out.display().to_string(),
            "--key-file",
            &key,
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        std::fs::read(src.join("patients.csv")).unwrap() == before,
        "input modified"
    );
    assert!(out.join("patients.csv").exists());
    assert!(
        !files_under(&out).iter().any(|f| {
            let f = f.to_string_lossy();
            f.contains(".anonkos-staging-") || f.ends_with(".tmp")
        }),
        "staging left behind"
    );
}

#[test]
fn dump_input_gives_a_dump_in_the_same_dialect() {
    let d = TestDir::new();
    let key = keygen(&d);
    for (fixture, marker) in [
        ("pg_copy.sql", "COPY "),
        ("mysql_extended.sql", "INSERT INTO `"),
    ] {
        let out = d.path().join(fixture);
        let input = root()
            .join("tests/fixtures/dumps")
            .join(fixture)
            .display()
            .to_string();
        let o = anonkos()
            .current_dir(root())
            .args([
                "run",
                &pipeline("pseudonymised-share"),
                "--input",
                &input,
                "--out-dir",
                &out.display().to_string(),
                "--key-file",
                &key,
            ])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{fixture}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let stem = fixture.split('.').next().unwrap();
        let dump = out.join(format!("{stem}.sql"));
        let text = std::fs::read_to_string(&dump).unwrap();
        assert!(text.contains(marker), "{fixture}");
        // It reads back as the same tables.
        let tables =
            anonkos::source::open(&dump, "dump", &anonkos::source::ReadOptions::default()).unwrap();
        assert_eq!(tables.len(), 5, "{fixture}");
    }
}

/// The anonymised dumps load into the real servers with their own clients.
#[test]
fn anonymised_dumps_load_with_psql_and_mariadb() {
    let d = TestDir::new();
    let key = keygen(&d);
    let pg = std::env::var("ANONKOS_TEST_PG_URL")
        .ok()
        .filter(|s| !s.is_empty());
    let my = std::env::var("ANONKOS_TEST_MYSQL_URL")
        .ok()
        .filter(|s| !s.is_empty());
    let skipped = |v: &str| {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED: {v} not set (database test not run; see README, Development)"
        );
    };
    let db = format!("anonkos_load_{}", std::process::id());
    for (fixture, url) in [
        ("pg_copy.sql", pg.clone()),
        ("mysql_extended.sql", my.clone()),
    ] {
        let Some(url) = url else {
            skipped(if fixture.starts_with("pg") {
                "ANONKOS_TEST_PG_URL"
            } else {
                "ANONKOS_TEST_MYSQL_URL"
            });
            continue;
        };
        let out = d.path().join(fixture);
        let input = root()
            .join("tests/fixtures/dumps")
            .join(fixture)
            .display()
            .to_string();
        let o = anonkos()
            .current_dir(root())
            .args([
                "run",
                &pipeline("pseudonymised-share"),
                "--input",
                &input,
                "--out-dir",
                &out.display().to_string(),
                "--key-file",
                &key,
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let dump = out.join(format!("{}.sql", fixture.split('.').next().unwrap()));
        let rest = url.split_once("://").unwrap().1;
        let (auth, hostpart) = rest.split_once('@').unwrap_or(("root", rest));
        let user = auth.split(':').next().unwrap();
        let hostport = hostpart.split('/').next().unwrap();
        let (host, port) = hostport.split_once(':').unwrap_or((hostport, "0"));
        if fixture.starts_with("pg") {
            let psql = |dbname: &str, args: &[&str]| {
                std::process::Command::new("psql")
                    .args([
                        "-h",
                        host,
                        "-p",
                        port,
                        "-U",
                        user,
                        "-d",
                        dbname,
                        "-v",
                        "ON_ERROR_STOP=1",
                        "-q",
                    ])
                    .args(args)
                    .output()
                    .expect("psql")
            };
            let o = psql("postgres", &["-c", &format!("CREATE DATABASE {db}")]);
            assert!(o.status.success(), "{}", stderr(&o));
            let load = psql(&db, &["-f", &dump.display().to_string()]);
            let count = psql(
                &db,
                &["-tA", "-c", "SELECT count(*) FROM regjistri.pacientet"],
            );
            psql("postgres", &["-c", &format!("DROP DATABASE {db}")]);
            assert!(
                load.status.success(),
                "psql could not load the dump: {}",
                stderr(&load)
            );
            assert_eq!(stdout(&count).trim(), "118", "120 rows minus 2 objections");
        } else {
            let mysql = |args: &[&str], stdin: Option<&Path>| {
                let mut c = std::process::Command::new("mariadb");
                c.args(["-h", host, "-P", port, "-u", user]).args(args);
                if let Some(f) = stdin {
                    c.stdin(std::fs::File::open(f).unwrap());
                }
                c.output().expect("mariadb client")
            };
            let o = mysql(&["-e", &format!("CREATE DATABASE {db}")], None);
            assert!(o.status.success(), "{}", stderr(&o));
            let load = mysql(&[&db], Some(&dump));
            let count = mysql(
                &["-N", "-e", &format!("SELECT count(*) FROM {db}.pacientet")],
                None,
            );
            mysql(&["-e", &format!("DROP DATABASE {db}")], None);
            assert!(
                load.status.success(),
                "mariadb could not load the dump: {}",
                stderr(&load)
            );
            assert_eq!(stdout(&count).trim(), "118");
        }
    }
}

#[test]
fn reveal_undoes_fpe_with_the_key() {
    let d = TestDir::new();
    let key = keygen(&d);
    let out = d.path().join("tc");
    let o = run_pipeline("test-copy", &out, &key, &["--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let original = std::fs::read_to_string(root().join("sample-data/patients.csv")).unwrap();
    let copy = std::fs::read_to_string(out.join("patients.csv")).unwrap();
    let first = |t: &str| {
        t.lines()
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .to_string()
    };
    let (plain, enc) = (first(&original), first(&copy));
    assert_ne!(plain, enc);
    assert_eq!(enc.len(), 10, "a personal number stays 10 digits");
    let o = run(&[
        "reveal",
        "--kind",
        "personal_number",
        "--key-file",
        &key,
        &enc,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), plain);
    // Another key does not reveal it.
    let other = d.path().join("other.key").display().to_string();
    run(&["keygen", "--out", &other]);
    let o = run(&[
        "reveal",
        "--kind",
        "personal_number",
        "--key-file",
        &other,
        &enc,
    ]);
    assert_ne!(stdout(&o).trim(), plain);
}

/// Issue 21: the shipped test copy writes phones, e-mails and dates that keep their format,
/// and no phone or e-mail of the copy is any value of the input column; the dry-run plan says
/// which columns get `fictitious` and warns on `fpe`.
#[test]
fn test_copy_contacts_are_fictitious_and_keep_their_format() {
    let d = TestDir::new();
    let key = keygen(&d);
    let out = d.path().join("tc");
    let o = run_pipeline("test-copy", &out, &key, &["--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let column = |path: &Path, name: &str| -> Vec<String> {
        let mut r = csv::Reader::from_path(path).unwrap();
        let i = r.headers().unwrap().iter().position(|h| h == name).unwrap();
        r.records().map(|x| x.unwrap()[i].to_string()).collect()
    };
    let src = root().join("sample-data/patients.csv");
    let dst = out.join("patients.csv");
    let shape = |s: &str| s.replace(|c: char| c.is_ascii_digit(), "9");
    let (pin, pout) = (column(&src, "telefoni"), column(&dst, "telefoni"));
    let inputs: BTreeSet<&String> = pin.iter().collect();
    for (a, b) in pin.iter().zip(&pout) {
        assert!(!inputs.contains(b), "an output phone is an input value");
        assert_eq!(shape(a), shape(b), "written form kept");
        // In no assigned range: the phone validator (libphonenumber's XK ranges) rejects it.
        let compact: String = b
            .replace("(0)", "")
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        assert!(!anonkos::detect::validators::phone::is_valid(&compact));
    }
    let (ein, eout) = (column(&src, "email"), column(&dst, "email"));
    let inputs: BTreeSet<&String> = ein.iter().collect();
    for e in eout.iter().filter(|e| !e.is_empty()) {
        assert!(e.ends_with("@example.org") && !inputs.contains(e), "{e}");
    }
    // Dates keep the input's format (ISO here).
    let (din, dout) = (
        column(&src, "data_e_lindjes"),
        column(&dst, "data_e_lindjes"),
    );
    assert!(din.iter().zip(&dout).all(|(a, b)| shape(a) == shape(b)));
    let o = run_pipeline("test-copy", &d.path().join("dry"), &key, &["--dry-run"]);
    let plan = stdout(&o);
    assert!(
        plan.contains("! fictitious: values in a range no one holds"),
        "{plan}"
    );
    assert!(plan.contains("WARNING: no unissued range exists"), "{plan}");
}

#[test]
fn sqlite_output_holds_every_table_and_reads_back() {
    let d = TestDir::new();
    let key = keygen(&d);
    let p = d.file(
        "p.toml",
        b"[pipeline]\nname = \"to-sqlite\"\nstrict = true\n[output]\nformat = \"sqlite\"\n[key]\nmode = \"required\"\n\n[[rules]]\nrole = \"direct_identifier\"\naction = \"pseudonymise\"\n\n[[rules]]\nrole = \"quasi_identifier\"\naction = \"keep\"\n\n[[rules]]\nrole = \"sensitive\"\naction = \"drop\"\n\n[[rules]]\nrole = \"record_key\"\naction = \"keep\"\n\n[[rules]]\nrole = \"free_text\"\naction = \"redact_entities\"\n",
    );
    let out = d.path().join("o");
    let input = root()
        .join("tests/fixtures/dumps/pg_copy.sql")
        .display()
        .to_string();
    let o = run(&[
        "run",
        &p,
        "--input",
        &input,
        "--out-dir",
        &out.display().to_string(),
        "--key-file",
        &key,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let db = out.join("pg_copy.sqlite");
    let tables =
        anonkos::source::open(&db, "db", &anonkos::source::ReadOptions::default()).unwrap();
    assert_eq!(tables.len(), 5);
}

#[test]
fn a_loose_key_file_is_warned_about_and_an_unwritable_output_is_exit_4() {
    let d = TestDir::new();
    let key = keygen(&d);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let o = run_pipeline(
            "test-copy",
            &d.path().join("o"),
            &key,
            &[
                "--quiet",
                "--input",
                &root().join("sample-data/faturat.csv").display().to_string(),
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("warning") && stderr(&o).contains("chmod 600"),
            "{}",
            stderr(&o)
        );
    }
    // An output "directory" that is a file cannot be written.
    let blocker = d.file("blocker", b"x");
    let o = run_pipeline("test-copy", Path::new(&blocker), &key, &["--quiet"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("blocker"), "{}", stderr(&o));
}

/// Tables of a dump written as one Parquet file each are verified against their own plan.
#[test]
fn dump_tables_to_parquet_files_verify() {
    let d = TestDir::new();
    let key = keygen(&d);
    let out = d.path().join("o");
    let input = root()
        .join("tests/fixtures/dumps/pg_copy.sql")
        .display()
        .to_string();
    let o = anonkos()
        .current_dir(root())
        .args([
            "run",
            &pipeline("research-release"),
            "--input",
            &input,
            "--out-dir",
            &out.display().to_string(),
            "--key-file",
            &key,
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(out.join("pg_copy/regjistri.pacientet.parquet").exists());
    let v = run(&["verify", &out.display().to_string()]);
    assert_eq!(v.status.code(), Some(0), "{}", stdout(&v));
}

/// The release verdict rests on measured facts: test copies and pseudonymised shares are never
/// "anonymised"; a research release that keeps a per-row-unique source key is pseudonymised;
/// the shipped research release drops record keys; a research release of patients (tokens
/// with a discarded key, k and l met) is anonymised.
#[test]
fn verdicts_are_anonymised_only_when_they_are() {
    let d = TestDir::new();
    let key = keygen(&d);
    let verdicts = |name: &str, pipeline_path: &str| -> Vec<(String, String, Vec<String>)> {
        let out = d.path().join(name);
        let o = anonkos()
            .current_dir(root())
            .args([
                "run",
                pipeline_path,
                "--input",
                &root().join("sample-data").display().to_string(),
                "--out-dir",
                &out.display().to_string(),
                "--key-file",
                &key,
                "--quiet",
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("anonkos-run.json")).unwrap())
                .unwrap();
        r["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                let v = &o["verdict"];
                (
                    o["path"].as_str().unwrap().to_string(),
                    v["outcome"].as_str().unwrap().to_string(),
                    v["reasons"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r.as_str().unwrap().to_string())
                        .collect(),
                )
            })
            .collect()
    };
    for name in ["test-copy", "pseudonymised-share"] {
        for (path, outcome, reasons) in verdicts(name, &pipeline(name)) {
            assert_ne!(outcome, "anonymised", "{name} {path}: {reasons:?}");
        }
    }
    let tc = verdicts("test-copy", &pipeline("test-copy"));
    let (_, outcome, reasons) = tc.iter().find(|(p, _, _)| p == "patients.csv").unwrap();
    assert_eq!(outcome, "pseudonymised");
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("fpe") && r.contains("nr_personal")),
        "{reasons:?}"
    );
    // A research release told to keep the source's record keys is still personal data.
    let shipped = std::fs::read_to_string(pipeline("research-release")).unwrap();
    let keeps = d.file(
        "keeps-keys.toml",
        format!("{shipped}\n[[rules]]\ncategory = \"record_key\"\naction = \"keep\"\n").as_bytes(),
    );
    let kk = verdicts("keeps-keys", &keeps);
    let (_, outcome, reasons) = kk
        .iter()
        .find(|(p, _, _)| p == "employees.parquet")
        .unwrap();
    assert_eq!(outcome, "pseudonymised", "{reasons:?}");
    assert!(
        reasons[0].contains("employee_id is a record key"),
        "{reasons:?}"
    );
    let rr = verdicts("research-release", &pipeline("research-release"));
    let by = |p: &str| rr.iter().find(|(x, _, _)| x == p).unwrap().clone();
    let (_, outcome, reasons) = by("employees.parquet");
    assert!(
        !reasons.iter().any(|r| r.contains("record key")),
        "the shipped release drops record keys: {reasons:?}"
    );
    assert_ne!(outcome, "pseudonymised", "{reasons:?}");
    let (_, outcome, reasons) = by("patients.parquet");
    assert_eq!(outcome, "anonymised", "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.starts_with("k-anonymity")),
        "{reasons:?}"
    );
}

/// With an ephemeral key each table gets its own tokens, so the release's tables do not join;
/// `link_tables = true` shares them, and the verdict then says the model was per table.
#[test]
fn release_tables_do_not_join_unless_asked() {
    let d = TestDir::new();
    let shipped = std::fs::read_to_string(root().join("pipelines/research-release.toml")).unwrap();
    // Two tables about the same people (a register and a copy of it, under other names).
    let patients = std::fs::read(root().join("sample-data/patients.csv")).unwrap();
    let (a, b) = (
        d.path().join("klinika_a.csv"),
        d.path().join("klinika_b.csv"),
    );
    std::fs::write(&a, &patients).unwrap();
    std::fs::write(&b, &patients).unwrap();
    let release = |linked: bool| -> (BTreeSet<String>, BTreeSet<String>, serde_json::Value) {
        let text = if linked {
            shipped.replace(
                "mode = \"ephemeral\"",
                "mode = \"ephemeral\"\nlink_tables = true",
            )
        } else {
            shipped.clone()
        };
        let p = d.file(&format!("rr-{linked}.toml"), text.as_bytes());
        let out = d.path().join(format!("rr-{linked}"));
        let o = anonkos()
            .current_dir(root())
            .args([
                "run",
                &p,
                "--quiet",
                "--out-dir",
                &out.display().to_string(),
            ])
            .args(["--input", &a.display().to_string()])
            .args(["--input", &b.display().to_string()])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("anonkos-run.json")).unwrap())
                .unwrap();
        let column = |file: &str, col: &str| -> BTreeSet<String> {
            let mut s = anonkos::source::open(
                &out.join(file),
                file,
                &anonkos::source::ReadOptions::default(),
            )
            .unwrap()
            .remove(0);
            let k = s.schema().index_of(col).unwrap();
            let mut tokens = BTreeSet::new();
            while let Some(b) = s.next_batch().unwrap() {
                let a = b
                    .data
                    .column(k)
                    .as_any()
                    .downcast_ref::<arrow_array::StringArray>()
                    .unwrap()
                    .clone();
                tokens.extend(a.iter().flatten().map(String::from));
            }
            tokens
        };
        (
            column("klinika_a.parquet", "nr_personal"),
            column("klinika_b.parquet", "nr_personal"),
            r,
        )
    };
    let (p, e, separate) = release(false);
    assert!(
        p.is_disjoint(&e),
        "tokens join the tables without link_tables"
    );
    for o in separate["outputs"].as_array().unwrap() {
        let reasons = o["verdict"]["reasons"].to_string();
        assert!(!reasons.contains("join"), "{reasons}");
    }
    let (p, e, linked) = release(true);
    assert!(
        !p.is_disjoint(&e),
        "with link_tables the same people share tokens"
    );
    for o in linked["outputs"].as_array().unwrap() {
        assert_eq!(o["verdict"]["outcome"], "not_fit", "{}", o["verdict"]);
        assert!(
            o["verdict"]["reasons"][0]
                .as_str()
                .unwrap()
                .contains("join")
        );
    }
}

/// Keyed actions on a column of a handful of values (gender) are warned about, and refused in
/// a release with a privacy model: equality and frequency decode them.
#[test]
fn keyed_tokens_on_tiny_domains_are_warned_about_or_refused() {
    let d = TestDir::new();
    let key = keygen(&d);
    let share = std::fs::read_to_string(root().join("pipelines/pseudonymised-share.toml"))
        .unwrap()
        .replace(
            "\"objections.example.txt\"",
            &format!(
                "{:?}",
                root()
                    .join("pipelines/objections.example.txt")
                    .display()
                    .to_string()
            ),
        )
        + "\n[[rules]]\ncolumn = \"gjinia\"\naction = \"pseudonymise\"\n";
    let p = d.file("share.toml", share.as_bytes());
    let o = anonkos()
        .current_dir(root())
        .args(["run", &p, "--dry-run", "--key-file", &key])
        .args(["--input", "sample-data/patients.csv"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("gjinia") && stderr(&o).contains("distinct values"),
        "{}",
        stderr(&o)
    );
    let release = std::fs::read_to_string(root().join("pipelines/research-release.toml")).unwrap()
        + "\n[[rules]]\ncolumn = \"gjinia\"\naction = \"pseudonymise\"\n";
    let p = d.file("release.toml", release.as_bytes());
    let o = anonkos()
        .current_dir(root())
        .args(["run", &p, "--dry-run"])
        .args(["--input", "sample-data/patients.csv"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("gjinia: has only"), "{}", stdout(&o));
}

/// Art. 12(3): a pipeline's `[disclosure]` (recipient, legal basis) is registered in the run
/// report and the processing log with the run's time and outputs; a research release without
/// one is flagged.
#[test]
fn disclosures_are_registered_or_flagged() {
    let d = TestDir::new();
    let shipped = std::fs::read_to_string(root().join("pipelines/research-release.toml")).unwrap();
    let with = format!(
        "{shipped}\n[disclosure]\nrecipient = \"Instituti i Shëndetit Publik, njësia e kërkimit\"\nlegal_basis = \"Art. 9 of Law 03/L-172; agreement 2026/14\"\n"
    );
    for (name, text) in [("with", with.as_str()), ("without", shipped.as_str())] {
        let p = d.file(&format!("{name}.toml"), text.as_bytes());
        let out = d.path().join(name);
        let o = anonkos()
            .current_dir(root())
            .args(["run", &p, "--out-dir", &out.display().to_string()])
            .args(["--input", "sample-data/patients.csv"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("anonkos-run.json")).unwrap())
                .unwrap();
        let log = std::fs::read_to_string(out.join("anonkos-processing.jsonl")).unwrap();
        if name == "with" {
            assert_eq!(
                r["disclosure"]["recipient"],
                "Instituti i Shëndetit Publik, njësia e kërkimit"
            );
            assert!(log.contains("agreement 2026/14"), "{log}");
            assert!(!stderr(&o).contains("Art. 12(3)"), "{}", stderr(&o));
        } else {
            assert!(r["disclosure"].is_null());
            assert!(stderr(&o).contains("Art. 12(3)"), "{}", stderr(&o));
            assert!(r["notes"].to_string().contains("[disclosure]"));
        }
    }
}
