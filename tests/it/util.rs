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
