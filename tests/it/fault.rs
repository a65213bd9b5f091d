//! Faults: `kill -9` in the middle of `run` leaves each output either complete or absent (and
//! the next run cleans up what the killed one left); a full disk, a read-only filesystem and a
//! denied permission are exit 4 naming the path; inputs are byte-identical after every run; the
//! same key and input give byte-identical outputs across runs and thread counts.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::util::{
    TestDir, anonkos, files_under, hashes_under, root, run, shipped_pipelines, stderr, stdout,
};

fn keygen(d: &TestDir) -> String {
    let key = d.path().join("fault.key").display().to_string();
    let o = run(&["keygen", "--out", &key]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    key
}

fn run_args(pipeline: &Path, inputs: &[&Path], out: &Path, key: &str) -> Vec<String> {
    let mut a = vec!["run".to_string(), pipeline.display().to_string()];
    for i in inputs {
        a.push("--input".into());
        a.push(i.display().to_string());
    }
    a.extend([
        "--out-dir".into(),
        out.display().to_string(),
        "--key-file".into(),
        key.to_string(),
        "--quiet".into(),
    ]);
    a
}

/// The visible (non-hidden) files of a run's output directory and their bytes, by path
/// relative to the directory.
fn visible_outputs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let hidden = rel.split('/').any(|c| c.starts_with('.'));
            (!hidden).then(|| (rel, std::fs::read(&p).unwrap()))
        })
        .collect()
}

/// What a killed run may leave that is not an output: hidden staging, temporary and lock
/// files, all named `.anonkos-*` (or a `*.lock` of the processing log).
fn is_recognisable_leftover(rel: &str) -> bool {
    rel.split('/').any(|c| c.starts_with(".anonkos-")) || rel.ends_with(".lock")
}

/// A pseudo-random delay in `[lo, hi)` from the clock (the moments differ run to run, which
/// is the point; the failing delay is printed).
fn random_between(lo: Duration, hi: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u128;
    let span = (hi - lo).as_micros().max(1);
    lo + Duration::from_micros(((nanos * 2_654_435_761) % span) as u64)
}

#[test]
fn kill_9_leaves_complete_outputs_or_none() {
    let d = TestDir::new();
    let key = keygen(&d);
    let data = d.path().join("in");
    let o = run(&[
        "sample",
        "--out",
        &data.display().to_string(),
        "--rows",
        "5000",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let pipeline = root().join("pipelines/pseudonymised-share.toml");

    // A clean run gives the reference outputs and how long a run takes.
    let reference_dir = d.path().join("reference");
    let start = Instant::now();
    let o = anonkos()
        .current_dir(root())
        .args(run_args(&pipeline, &[&data], &reference_dir, &key))
        .output()
        .unwrap();
    let clean = start.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let reference = visible_outputs(&reference_dir);
    assert!(reference.len() >= 5, "{:?}", reference.keys());

    let out = d.path().join("out");
    let mut seen = Vec::new();
    for round in 0..8 {
        // Every other round starts from the complete previous output, the others from none.
        let _ = std::fs::remove_dir_all(&out);
        if round % 2 == 1 {
            std::fs::create_dir_all(&out).unwrap();
            for (rel, bytes) in &reference {
                let p = out.join(rel);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, bytes).unwrap();
            }
        }
        let delay = random_between(clean / 20, clean * 19 / 20);
        let mut child = anonkos()
            .current_dir(root())
            .args(run_args(&pipeline, &[&data], &out, &key))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let after = visible_outputs(&out);
        for (rel, bytes) in &after {
            if rel == "anonkos-run.json" {
                // Written atomically: complete JSON, never a prefix (its timestamp differs).
                let v: serde_json::Value = serde_json::from_slice(bytes)
                    .unwrap_or_else(|e| panic!("round {round}, {delay:?}: partial {rel}: {e}"));
                assert_eq!(v["schema"], "anonkos.run/v1");
            } else if rel.ends_with(".jsonl") {
                let log = out.join(rel).display().to_string();
                let lv = run(&["log", "verify", &log]);
                assert_eq!(
                    lv.status.code(),
                    Some(0),
                    "round {round}, {delay:?}: processing log broken: {}",
                    stdout(&lv)
                );
            } else {
                let want = reference
                    .get(rel)
                    .unwrap_or_else(|| panic!("round {round}: unexpected output {rel}"));
                assert!(
                    bytes == want,
                    "round {round}, killed after {delay:?}: {rel} is partial ({} of {} bytes)",
                    bytes.len(),
                    want.len()
                );
            }
        }
        for f in files_under(&out) {
            let rel = f.strip_prefix(&out).unwrap().display().to_string();
            assert!(
                after.contains_key(&rel) || is_recognisable_leftover(&rel),
                "round {round}: unrecognisable leftover {rel}"
            );
        }
        seen.push(format!(
            "{delay:?}: {}/{} outputs",
            after.len(),
            reference.len()
        ));
    }

    // The next run completes and removes what the killed runs left behind.
    let o = anonkos()
        .current_dir(root())
        .args(run_args(&pipeline, &[&data], &out, &key))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let fin = visible_outputs(&out);
    for (rel, bytes) in &reference {
        if rel == "anonkos-run.json" || rel.ends_with(".jsonl") {
            continue; // a timestamp; the log grows by one record per completed run
        }
        assert!(
            fin.get(rel) == Some(bytes),
            "{rel} differs after a clean rerun"
        );
    }
    let stale: Vec<String> = files_under(&out)
        .iter()
        .map(|f| f.strip_prefix(&out).unwrap().display().to_string())
        .filter(|r| r.contains(".anonkos-staging-") || r.ends_with(".tmp"))
        .collect();
    assert!(stale.is_empty(), "leftovers not cleaned: {stale:?}");
    // The delays and how many outputs each kill left, visible with `--nocapture`.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("clean run {clean:?}; kills: {}\n", seen.join(", ")).as_bytes(),
    );
}

/// Run `anonkos` with `out` replaced by a fresh tmpfs mounted with `mount_opts`, in a private
/// mount namespace (nothing to unmount, nothing leaks if the test dies). `None` when mount
/// namespaces are unavailable and `ANONKOS_TEST_SKIP_MOUNT=1` allows skipping.
fn run_on_tmpfs(mount_opts: &str, out: &Path, args: &[String]) -> Option<Output> {
    let script = r#"mount -t tmpfs -o "$1" anonkos-test "$2" || exit 97; shift 2; exec "$@""#;
    for ns in [
        &["--mount"][..],
        &["--user", "--map-root-user", "--mount"][..],
    ] {
        let probe = Command::new("unshare").args(ns).arg("true").output();
        if !probe.is_ok_and(|o| o.status.success()) {
            continue;
        }
        let o = Command::new("unshare")
            .args(ns)
            .args(["sh", "-c", script, "sh", mount_opts])
            .arg(out)
            .arg(env!("CARGO_BIN_EXE_anonkos"))
            .args(args)
            .current_dir(root())
            .output()
            .unwrap();
        if o.status.code() == Some(97) {
            continue;
        }
        return Some(o);
    }
    assert!(
        std::env::var_os("ANONKOS_TEST_SKIP_MOUNT").is_some(),
        "cannot mount a tmpfs in a private mount namespace (unshare -m / unshare -rm); \
         run as root or enable user namespaces, or set ANONKOS_TEST_SKIP_MOUNT=1"
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), b"SKIPPED (mount)\n");
    None
}

#[test]
fn a_full_disk_is_exit_4_naming_the_path() {
    let d = TestDir::new();
    let key = keygen(&d);
    let out = d.path().join("full");
    std::fs::create_dir_all(&out).unwrap();
    let sample = root().join("sample-data");
    let args = run_args(
        &root().join("pipelines/test-copy.toml"),
        &[&sample],
        &out,
        &key,
    );
    // 64 KiB: the lock and the first outputs fit, the rest does not.
    let Some(o) = run_on_tmpfs("size=64k", &out, &args) else {
        return;
    };
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(4), "{e}");
    assert!(e.contains(&out.display().to_string()), "{e}");
    assert!(e.contains("No space left on device"), "{e}");
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn a_read_only_filesystem_is_exit_4_naming_the_path() {
    let d = TestDir::new();
    let key = keygen(&d);
    let out = d.path().join("ro");
    std::fs::create_dir_all(&out).unwrap();
    let args = run_args(
        &root().join("pipelines/test-copy.toml"),
        &[&root().join("sample-data/faturat.csv")],
        &out.join("sub"),
        &key,
    );
    let Some(o) = run_on_tmpfs("ro,size=64k", &out, &args) else {
        return;
    };
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(4), "{e}");
    assert!(e.contains(&out.join("sub").display().to_string()), "{e}");
    assert!(e.contains("Read-only file system"), "{e}");
}

#[test]
fn a_denied_permission_is_exit_4_naming_the_path() {
    let d = TestDir::new();
    let key = keygen(&d);
    let out = d.path().join("locked");
    std::fs::create_dir_all(&out).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o555)).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let args = run_args(
        &root().join("pipelines/test-copy.toml"),
        &[&root().join("sample-data/faturat.csv")],
        &out,
        &key,
    );
    // Root ignores file modes, so as root the run drops to `nobody` (setpriv); the binary,
    // the repository and the key must be readable by it.
    let root_user = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    let o = if root_user {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_anonkos"))
            .args(&args)
            .current_dir(root())
            .output()
            .unwrap()
    } else {
        anonkos().args(&args).current_dir(root()).output().unwrap()
    };
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(4), "{e}");
    assert!(e.contains(&out.display().to_string()), "{e}");
    assert!(e.contains("Permission denied"), "{e}");
}

#[test]
fn inputs_unchanged_and_outputs_identical_across_runs_and_threads() {
    let d = TestDir::new();
    let key = keygen(&d);
    let inputs: Vec<PathBuf> = vec![
        root().join("sample-data"),
        root().join("tests/fixtures/dumps/pg_copy.sql"),
        root().join("tests/fixtures/dumps/mysql_rows.sql"),
    ];
    let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let mut before = hashes_under(&root().join("sample-data"));
    before.extend(hashes_under(&root().join("tests/fixtures/dumps")));
    let mut compared = 0;
    for pipeline in shipped_pipelines() {
        let name = pipeline.file_stem().unwrap().to_string_lossy().into_owned();
        let mut runs: Vec<BTreeMap<String, Vec<u8>>> = Vec::new();
        for (i, threads) in ["1", "1", "2"].iter().enumerate() {
            let out = d.path().join(format!("{name}-{i}"));
            let mut args = vec!["--threads".to_string(), threads.to_string()];
            args.extend(run_args(&pipeline, &input_refs, &out, &key));
            let o = anonkos().current_dir(root()).args(&args).output().unwrap();
            assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
            let mut outs = visible_outputs(&out);
            // The report holds a timestamp and the log chains records over time.
            outs.retain(|rel, _| rel != "anonkos-run.json" && !rel.ends_with(".jsonl"));
            assert!(outs.len() >= 5, "{name}: {:?}", outs.keys());
            runs.push(outs);
            let mut after = hashes_under(&root().join("sample-data"));
            after.extend(hashes_under(&root().join("tests/fixtures/dumps")));
            assert!(after == before, "{name}: an input changed");
        }
        // A throw-away key is new on every run by design: only a given key is repeatable.
        let ephemeral = anonkos::config::pipeline::Pipeline::load(&pipeline)
            .unwrap()
            .key
            .mode
            == anonkos::config::pipeline::KeyMode::Ephemeral;
        if ephemeral {
            continue;
        }
        compared += 1;
        for (i, r) in runs.iter().enumerate().skip(1) {
            assert_eq!(
                r.keys().collect::<Vec<_>>(),
                runs[0].keys().collect::<Vec<_>>()
            );
            for (rel, bytes) in r {
                assert!(
                    &runs[0][rel] == bytes,
                    "{name}: {rel} differs between run 0 and run {i}"
                );
            }
        }
    }
    assert!(compared >= 2, "only {compared} keyed pipelines compared");
}
