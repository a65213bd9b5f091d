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
