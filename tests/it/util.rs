//! Test helpers: a unique temp dir and the `anonkos` binary.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built `anonkos` binary.
pub fn anonkos() -> Command {
    Command::new(env!("CARGO_BIN_EXE_anonkos"))
}

/// Run `anonkos` with arguments.
pub fn run(args: &[&str]) -> Output {
    anonkos().args(args).output().expect("run anonkos")
}

/// A temp dir removed on drop.
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> Self {
        TestDir {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write a file (bytes) and return its path as a string.
    pub fn file(&self, name: &str, bytes: &[u8]) -> String {
        let p: PathBuf = self.dir.path().join(name);
        std::fs::write(&p, bytes).expect("write fixture");
        p.display().to_string()
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every cell of every batch of `src`, as text.
pub fn read_cells(src: &mut Box<dyn anonkos::source::Source>) -> Vec<Vec<Option<String>>> {
    use arrow_array::{Array, StringArray};
    let mut rows = Vec::new();
    while let Some(b) = src.next_batch().unwrap() {
        for r in 0..b.num_rows() {
            rows.push(
                (0..b.data.num_columns())
                    .map(|c| {
                        let a = b
                            .data
                            .column(c)
                            .as_any()
                            .downcast_ref::<StringArray>()
                            .unwrap();
                        (!a.is_null(r)).then(|| a.value(r).to_string())
                    })
                    .collect(),
            );
        }
    }
    rows
}

/// Every shipped pipeline (`pipelines/*.toml`), found on disk so a new one is covered by the
/// tests that walk them without editing the tests.
pub fn shipped_pipelines() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("pipelines"))
        .expect("pipelines/")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    assert!(v.len() >= 3, "pipelines/ holds {} pipelines", v.len());
    v
}

/// Every file under `dir` (recursively, hidden ones included), sorted; none if `dir` does
/// not exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("dir entry").path();
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

/// SHA-256 of every file under `dir`, keyed by path.
pub fn hashes_under(dir: &Path) -> std::collections::BTreeMap<PathBuf, String> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let h = anonkos::digest::sha256_file(&p).expect("hash").0;
            (p, h)
        })
        .collect()
}
