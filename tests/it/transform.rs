//! `anonkos transform` (Arrow IPC stdin → stdout, the Spark `mapInArrow` worker): the frozen
//! plan, partition-independent output identical to `anonkos run`, and every refusal.
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use arrow_array::{Array, RecordBatch, StringArray};
use arrow_schema::DataType;

use crate::util::{TestDir, anonkos, root, run, stderr};

/// Every batch of a sample file, as anonkos reads it (so both commands see the same input).
fn batches_of(file: &str) -> Vec<RecordBatch> {
    let path = root().join(file);
    let mut srcs = anonkos::source::open(&path, file, &anonkos::source::ReadOptions::default())
        .expect("open sample");
    let mut src = srcs.remove(0);
    let mut out = Vec::new();
    while let Some(b) = src.next_batch().expect("read sample") {
        out.push(b.data);
    }
    out
}

fn ipc(schema: &arrow_schema::Schema, batches: &[RecordBatch]) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut buf, schema).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.finish().unwrap();
    drop(w);
    buf
}

fn read_ipc(bytes: &[u8]) -> (arrow_schema::SchemaRef, Vec<RecordBatch>) {
    let r = arrow_ipc::reader::StreamReader::try_new(bytes, None).expect("an IPC stream");
    let schema = r.schema();
    (schema, r.map(|b| b.unwrap()).collect())
}

/// Run `anonkos transform ARGS` with `stdin` (from the repository root, where the shipped
/// pipelines' relative paths point).
fn transform(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = anonkos()
        .current_dir(root())
        .env_remove("ANONKOS_KEY")
        .arg("transform")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    // A thread feeds stdin while we drain stdout: both pipes may fill.
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

/// Cells as text (nulls kept apart from empty strings), row by row.
fn cells(batches: &[RecordBatch]) -> Vec<Vec<Option<String>>> {
    let mut rows = Vec::new();
    for b in batches {
        let cols: Vec<StringArray> = b
            .columns()
            .iter()
            .map(|c| {
                let s = arrow_cast::cast(c, &DataType::Utf8).unwrap();
                s.as_any().downcast_ref::<StringArray>().unwrap().clone()
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
    rows
}

fn keygen(d: &TestDir, name: &str) -> String {
    let key = d.path().join(name).display().to_string();
    let o = run(&["keygen", "--out", &key]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    key
}

/// pseudonymised-share writing Parquet, so that `run`'s output keeps nulls and types.
fn share_pipeline(d: &TestDir) -> String {
    let text = std::fs::read_to_string(root().join("pipelines/pseudonymised-share.toml"))
        .unwrap()
        .replace("format = \"same\"", "format = \"parquet\"");
    // The objection list is relative to the pipeline's folder: bring it along.
    let list = std::fs::read(root().join("pipelines/objections.example.txt")).unwrap();
    d.file("objections.example.txt", &list);
    d.file("share.toml", text.as_bytes())
}

fn plan(pipeline: &str, dataset: &str, key: &str, plan_out: &Path, stdin: &[u8]) -> Output {
    transform(
        &[
            pipeline,
            "--dataset",
            dataset,
            "--key-file",
            key,
            "--plan-out",
            &plan_out.display().to_string(),
        ],
        stdin,
    )
}

#[test]
fn two_partitions_through_transform_equal_one_run() {
    let d = TestDir::new();
    let key = keygen(&d, "share.key");
    let pipeline = share_pipeline(&d);
    let input = batches_of("sample-data/patients.csv");
    let schema = input[0].schema();
    let whole = arrow_select::concat::concat_batches(&schema, &input).unwrap();
    assert!(whole.num_rows() >= 100);

    // Plan once on a sample (here: everything, as `run` reads 300 rows in full).
    let plan_file = d.path().join("plan.json");
    let o = plan(
        &pipeline,
        "patients.csv",
        &key,
        &plan_file,
        &ipc(&schema, &input),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (out_schema, none) = read_ipc(&o.stdout);
    assert!(none.is_empty(), "planning prints the schema only");
    let plan_text = std::fs::read_to_string(&plan_file).unwrap();
    assert!(plan_text.contains("anonkos.transform-plan/v1") && plan_text.contains("pseudonymise"));
    assert!(!plan_text.contains("1083513680"), "no value in the plan");

    // Two partitions, two processes, split mid-way and at an odd row.
    let cut = whole.num_rows() / 2 + 1;
    let parts = [
        whole.slice(0, cut),
        whole.slice(cut, whole.num_rows() - cut),
    ];
    let mut got = Vec::new();
    for p in &parts {
        let o = transform(
            &[
                &pipeline,
                "--plan",
                &plan_file.display().to_string(),
                "--key-file",
                &key,
            ],
            &ipc(&schema, std::slice::from_ref(p)),
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let (s, b) = read_ipc(&o.stdout);
        assert_eq!(s.fields(), out_schema.fields());
        got.extend(b);
    }

    // The same input, key and pipeline through `anonkos run`.
    let out = d.path().join("out");
    let o = anonkos()
        .current_dir(root())
        .args([
            "run",
            &pipeline,
            "--input",
            "sample-data/patients.csv",
            "--out-dir",
            &out.display().to_string(),
            "--key-file",
            &key,
            "--quiet",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let expected = batches_of(&out.join("patients.parquet").display().to_string());
    let (got_cells, want_cells) = (cells(&got), cells(&expected));
    assert_eq!(got_cells.len(), want_cells.len());
    assert!(
        got_cells.len() < whole.num_rows(),
        "the objection list removed rows"
    );
    assert_eq!(got_cells, want_cells, "transform and run disagree");
    // And something was actually pseudonymised.
    let originals: BTreeSet<Option<String>> = cells(std::slice::from_ref(&whole))
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(got_cells.iter().all(|r| !originals.contains(&r[0])));
    assert!(
        got_cells
            .iter()
            .all(|r| r[0].as_deref().is_none_or(|v| v.starts_with("PN-")))
    );
}

#[test]
fn an_empty_stream_gives_the_output_schema_and_dropped_columns_go() {
    let d = TestDir::new();
    let key = keygen(&d, "k");
    let p = d.file(
        "p.toml",
        b"[pipeline]\nname = \"t\"\nstrict = false\n[[rules]]\ncolumn = \"emri\"\naction = \"drop\"\n[[rules]]\ncategory = \"kosovo_personal_number\"\naction = \"pseudonymise\"\n",
    );
    let input = batches_of("sample-data/patients.csv");
    let schema = input[0].schema();
    let plan_file = d.path().join("plan.json");
    let o = plan(&p, "patients", &key, &plan_file, &ipc(&schema, &input));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (planned, _) = read_ipc(&o.stdout);
    let o = transform(
        &[
            &p,
            "--plan",
            &plan_file.display().to_string(),
            "--key-file",
            &key,
        ],
        &ipc(&schema, &[]),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (s, b) = read_ipc(&o.stdout);
    assert!(b.is_empty());
    assert_eq!(s.fields(), planned.fields());
    assert!(s.field_with_name("emri").is_err() && s.field_with_name("nr_personal").is_ok());
    assert_eq!(s.fields().len(), schema.fields().len() - 1);
}

/// Pipelines that cannot run row by row, and plans that do not fit, are refused (exit 2);
/// bad streams are input errors (exit 3); no message carries a value.
#[test]
fn refusals_name_the_reason_and_the_alternative() {
    let d = TestDir::new();
    let key = keygen(&d, "a.key");
    let other_key = keygen(&d, "b.key");
    let input = batches_of("sample-data/patients.csv");
    let schema = input[0].schema();
    let stream = ipc(&schema, &input);
    let plan_file = d.path().join("plan.json");

    // [privacy] needs all rows: exit 2, pointing at the shard workflow; nothing written.
    let o = plan(
        &root()
            .join("pipelines/research-release.toml")
            .display()
            .to_string(),
        "patients.csv",
        &key,
        &plan_file,
        &stream,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("[privacy]") && stderr(&o).contains("--shard"));
    assert!(!plan_file.exists());

    // An ephemeral key would differ per task.
    let eph = d.file(
        "eph.toml",
        b"[pipeline]\nname = \"e\"\nstrict = false\n[key]\nmode = \"ephemeral\"\n",
    );
    let o = plan(&eph, "x", &key, &plan_file, &stream);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ephemeral"), "{}", stderr(&o));

    // Strict with personal columns uncovered: policy failure, columns named, no plan.
    let bare = d.file(
        "bare.toml",
        b"[pipeline]\nname = \"b\"\n[key]\nmode = \"none\"\n",
    );
    let o = plan(&bare, "x", &key, &plan_file, &stream);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("nr_personal"));
    assert!(!plan_file.exists());

    // A good plan, then: another key, another pipeline file, other columns.
    let share = share_pipeline(&d);
    let o = plan(&share, "patients.csv", &key, &plan_file, &stream);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plan_arg = plan_file.display().to_string();
    let o = transform(
        &[&share, "--plan", &plan_arg, "--key-file", &other_key],
        &stream,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not the key the plan was made with"));
    assert!(o.stdout.is_empty() || read_ipc(&o.stdout).1.is_empty());

    let edited = std::fs::read_to_string(&share).unwrap() + "\n# edited\n";
    let edited = d.file("edited.toml", edited.as_bytes());
    let o = transform(&[&edited, "--plan", &plan_arg, "--key-file", &key], &stream);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("differs from the one the plan was made with"));

    let narrower = input[0].project(&[0, 1]).unwrap();
    let o = transform(
        &[&share, "--plan", &plan_arg, "--key-file", &key],
        &ipc(&narrower.schema(), std::slice::from_ref(&narrower)),
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("not the planned ones"));

    // Not a stream at all.
    let o = transform(
        &[&share, "--plan", &plan_arg, "--key-file", &key],
        b"nr_personal,emri\n1083513680,Shqipe\n",
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("not an Arrow IPC stream"));

    // No key at all for a keyed plan.
    let o = transform(&[&share, "--plan", &plan_arg], &stream);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ANONKOS_KEY"), "{}", stderr(&o));

    // No message above may carry a cell value.
    let all: Vec<String> = cells(&input)
        .into_iter()
        .flat_map(|r| r.into_iter().flatten())
        .filter(|v| v.len() >= 6)
        .collect();
    for o in [
        plan(&bare, "x", &key, &plan_file, &stream),
        transform(&[&edited, "--plan", &plan_arg, "--key-file", &key], &stream),
    ] {
        let e = stderr(&o);
        assert!(
            !all.iter().any(|v| e.contains(v.as_str())),
            "a value leaked: {e}"
        );
    }
}

#[test]
fn batches_pass_through_without_changing_kept_types() {
    // Typed Parquet columns (Date32, numbers) kept as they are stay typed.
    let d = TestDir::new();
    let p = d.file(
        "p.toml",
        b"[pipeline]\nname = \"t\"\nstrict = false\n[key]\nmode = \"none\"\n",
    );
    let input = batches_of("sample-data/employees.parquet");
    let schema = input[0].schema();
    let plan_file = d.path().join("plan.json");
    let o = transform(
        &[
            &p,
            "--dataset",
            "employees",
            "--plan-out",
            &plan_file.display().to_string(),
        ],
        &ipc(&schema, &input),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = transform(
        &[&p, "--plan", &plan_file.display().to_string()],
        &ipc(&schema, &input),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (s, b) = read_ipc(&o.stdout);
    for (got, want) in s.fields().iter().zip(schema.fields()) {
        assert_eq!(got.data_type(), want.data_type(), "{}", got.name());
    }
    let n: usize = b.iter().map(RecordBatch::num_rows).sum();
    let m: usize = input.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(n, m);
    assert_eq!(cells(&b), cells(&input));
}
