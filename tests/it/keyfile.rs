//! Key files that are not regular files of a key's size: each is a clear error within a
//! second, never a read until memory runs out or a block on a pipe.
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{TestDir, anonkos, stderr};

/// Run `anonkos reveal` with `key` as `--key-file` and a deadline; the error must name the
/// file and say why.
fn reveal_refuses(key: &str, why: &str) {
    let mut child = anonkos()
        .args(["reveal", "--kind", "personal_number", "--key-file", key])
        .arg("4829104413")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{key}: still running after 5 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = start.elapsed();
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_ne!(o.status.code(), Some(0), "{key}");
    assert!(err.contains(key) && err.contains(why), "{key}: {err}");
    assert!(took < Duration::from_secs(1), "{key}: took {took:?}");
}

#[test]
fn a_key_file_must_be_a_small_regular_file() {
    let d = TestDir::new();
    reveal_refuses("/dev/zero", "not a regular file");
    let fifo = d.path().join("key.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    reveal_refuses(&fifo.display().to_string(), "not a regular file");
    let dir = d.path().join("keys");
    std::fs::create_dir(&dir).unwrap();
    reveal_refuses(&dir.display().to_string(), "a directory");
    let big = d.file("big.key", &[b'a'; 2048]);
    reveal_refuses(&big, "too large");
}
