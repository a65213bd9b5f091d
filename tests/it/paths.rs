//! Output paths: links planted in the output directory never make a run write, create or
//! lock a file outside it, and no output is named like a hidden file.
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::util::{TestDir, anonkos, files_under, stderr};

/// A pipeline writing one CSV per table, with nothing keyed.
const PIPELINE: &str = r#"
[pipeline]
name = "paths"
strict = false

[output]
format = "csv"

[key]
mode = "none"
"#;

/// A SQLite file `clinic.sqlite` with the tables `tables` (each `id`, `qyteti`).
fn clinic(d: &TestDir, tables: &[&str]) -> PathBuf {
    let path = d.path().join("in").join("clinic.sqlite");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    for t in tables {
        let q = t.replace('"', "\"\"");
        c.execute_batch(&format!(
            "CREATE TABLE \"{q}\" (id integer, qyteti text);
             INSERT INTO \"{q}\" VALUES (1, 'Prishtinë'), (2, 'Pejë'), (3, 'Gjakovë');"
        ))
        .unwrap();
    }
    path
}

fn run_into(d: &TestDir, input: &Path, out: &Path) -> Output {
    let p = d.file("paths.toml", PIPELINE.as_bytes());
    anonkos()
        .args(["run", &p, "--input", &input.display().to_string()])
        .args(["--out-dir", &out.display().to_string()])
        .output()
        .unwrap()
}

#[test]
fn a_linked_folder_inside_the_output_directory_is_refused() {
    let d = TestDir::new();
    let input = clinic(&d, &["patients"]);
    let out = d.path().join("out");
    let elsewhere = d.path().join("elsewhere");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    symlink(&elsewhere, out.join("clinic")).unwrap();
    let o = run_into(&d, &input, &out);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(
        err.contains("clinic") && err.contains("symbolic link"),
        "{err}"
    );
    assert!(
        files_under(&elsewhere).is_empty(),
        "{:?}",
        files_under(&elsewhere)
    );
    // Without the link the same run writes the folder inside.
    std::fs::remove_file(out.join("clinic")).unwrap();
    let o = run_into(&d, &input, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.join("clinic").join("patients.csv").is_file());
}

#[test]
fn lock_files_are_never_created_through_links() {
    let d = TestDir::new();
    let input = clinic(&d, &["patients"]);
    let elsewhere = d.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    for lock in [".anonkos-run.lock", "anonkos-processing.jsonl.lock"] {
        let out = d.path().join(format!("out-{lock}"));
        std::fs::create_dir_all(&out).unwrap();
        let victim = elsewhere.join(format!("victim{lock}"));
        symlink(&victim, out.join(lock)).unwrap();
        let o = run_into(&d, &input, &out);
        let err = stderr(&o);
        assert_ne!(o.status.code(), Some(0), "{lock}: {err}");
        assert!(err.contains(lock) && err.contains("symbolic link"), "{err}");
        assert!(!victim.exists(), "{lock}: created through the link");
    }
}

#[test]
fn tables_named_like_hidden_files_get_visible_names() {
    let d = TestDir::new();
    let input = clinic(&d, &[".bashrc", "..", ".", "patients"]);
    let out = d.path().join("out");
    let o = run_into(&d, &input, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let folder = out.join("clinic");
    let names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    for f in files_under(&out) {
        assert!(f.starts_with(&out), "{}", f.display());
    }
}
