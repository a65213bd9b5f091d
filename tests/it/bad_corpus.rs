//! The malformed-input corpus: every file in `tests/fixtures/bad/`, plus large cases generated
//! here into a temp dir (a 100 MB field, a 1,000,000-column header, gzip and zstd bombs), is
//! given to the real binary (`scan`, and `run` where the manifest says so). Each must end with
//! the exit code of `tests/fixtures/bad/EXPECT.toml` and a message holding the listed
//! substrings (file name, row/line, column), within the manifest's time and peak-RSS bounds,
//! without a panic, without echoing the listed raw values, and without touching the input.
//! A file without an expectation (or an expectation without a file) fails the test.
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::util::{TestDir, anonkos, root};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    limits: Limits,
    files: BTreeMap<String, Case>,
    generated: BTreeMap<String, Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Limits {
    /// Wall-clock bound per command.
    seconds: u64,
    /// Peak resident set size bound per command, in MiB.
    rss_mib: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// Why the case is there (documentation only).
    #[allow(dead_code)]
    why: String,
    /// Extra arguments for `scan`.
    #[serde(default)]
    args: Vec<String>,
    scan: Outcome,
    run: Option<Outcome>,
    /// Raw values of the file that no message may contain.
    #[serde(default)]
    secrets: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Outcome {
    exit: i32,
    /// Substrings stderr must contain (`{file}` is the file's name).
    contains: Vec<String>,
}

struct Measured {
    code: Option<i32>,
    stderr: String,
    seconds: f64,
    peak_rss_kib: u64,
}

fn manifest() -> Manifest {
    let text = std::fs::read_to_string(corpus_dir().join("EXPECT.toml")).unwrap();
    toml::from_str(&text).expect("tests/fixtures/bad/EXPECT.toml")
}

fn corpus_dir() -> PathBuf {
    root().join("tests/fixtures/bad")
}

/// Peak RSS so far (`VmHWM`) of a live process, in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Run `cmd` with a wall-clock limit, polling its peak RSS every 2 ms (`VmHWM` only grows, so
/// the last reading misses at most the final 2 ms of growth). Killed at the limit.
fn measure(mut cmd: Command, limit: Duration, dir: &Path) -> Measured {
    let err_path = dir.join(format!("stderr-{}.txt", std::process::id()));
    let err_file = std::fs::File::create(&err_path).unwrap();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err_file)
        .spawn()
        .unwrap();
    let start = Instant::now();
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(k) = vm_hwm_kib(pid) {
            peak = peak.max(k);
        }
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let stderr = String::from_utf8_lossy(&std::fs::read(&err_path).unwrap()).into_owned();
    Measured {
        code: status.and_then(|s| s.code()),
        stderr,
        seconds: start.elapsed().as_secs_f64(),
        peak_rss_kib: peak,
    }
}

fn sha256(path: &Path) -> String {
    anonkos::digest::sha256_file(path).unwrap().0
}

/// Check one command's result against its expectation; returns the problems found.
fn check(
    what: &str,
    name: &str,
    m: &Measured,
    want: &Outcome,
    secrets: &[String],
    limits: &Limits,
) -> Vec<String> {
    let mut problems = Vec::new();
    let e = &m.stderr;
    if m.code != Some(want.exit) {
        problems.push(format!(
            "{what} {name}: exit {:?}, expected {}: {e}",
            m.code, want.exit
        ));
    }
    for c in &want.contains {
        let c = c.replace("{file}", name);
        if !e.contains(&c) {
            problems.push(format!("{what} {name}: message lacks `{c}`: {e}"));
        }
    }
    if e.contains("panicked") || e.contains("internal error") || e.contains("RUST_BACKTRACE") {
        problems.push(format!("{what} {name}: panic or internal error: {e}"));
    }
    for s in secrets {
        if e.contains(s.as_str()) {
            problems.push(format!("{what} {name}: message echoes a raw value: {e}"));
        }
    }
    if m.peak_rss_kib > limits.rss_mib * 1024 {
        problems.push(format!(
            "{what} {name}: peak RSS {} MiB over the bound of {} MiB",
            m.peak_rss_kib / 1024,
            limits.rss_mib
        ));
    }
    problems
}

/// Run `scan` (and `run` where expected) on `path` and check everything.
fn exercise(
    d: &TestDir,
    path: &Path,
    case: &Case,
    limits: &Limits,
    key: &str,
    table: &mut Vec<String>,
) -> Vec<String> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let limit = Duration::from_secs(limits.seconds);
    let before = sha256(path);
    let mut problems = Vec::new();

    let mut scan = anonkos();
    scan.arg("scan")
        .args(&case.args)
        .args(["--format", "json"])
        .arg(path);
    let m = measure(scan, limit, d.path());
    table.push(format!(
        "scan {name:<34} exit {:?}  {:>6.2} s  {:>5} MiB",
        m.code,
        m.seconds,
        m.peak_rss_kib / 1024
    ));
    problems.extend(check("scan", &name, &m, &case.scan, &case.secrets, limits));

    if let Some(want) = &case.run {
        let out = d.path().join(format!("out-{name}"));
        let mut run = anonkos();
        run.current_dir(root())
            .args(["run", "pipelines/test-copy.toml", "--quiet", "--input"])
            .arg(path)
            .arg("--out-dir")
            .arg(&out)
            .args(["--key-file", key]);
        let m = measure(run, limit, d.path());
        table.push(format!(
            "run  {name:<34} exit {:?}  {:>6.2} s  {:>5} MiB",
            m.code,
            m.seconds,
            m.peak_rss_kib / 1024
        ));
        problems.extend(check("run", &name, &m, want, &case.secrets, limits));
        // A failed run writes no data output (only the processing log may record it).
        if want.exit != 0 && out.exists() {
            for f in std::fs::read_dir(&out).unwrap() {
                let f = f.unwrap().file_name().to_string_lossy().into_owned();
                if !f.ends_with(".jsonl") && !f.ends_with(".lock") {
                    problems.push(format!("run {name}: failed run left `{f}` behind"));
                }
            }
        }
    }
    if sha256(path) != before {
        problems.push(format!("{name}: the input was modified"));
    }
    problems
}

/// A large case written to `dir`: (file name, writer).
fn generate(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    match name {
        // One quoted field of 100 MiB in row 2, column "shenime".
        "huge_field.csv" => {
            f.write_all(b"emri,shenime\nArben Berisha,ok\nDrita Gashi,\"")
                .unwrap();
            let chunk = vec![b'x'; 1 << 20];
            for _ in 0..100 {
                f.write_all(&chunk).unwrap();
            }
            f.write_all(b"\"\nBesnik Hoxha,ok\n").unwrap();
        }
        // A header of 1,000,000 columns (about 7 MB) and two data rows.
        "million_columns.csv" => {
            let n = 1_000_000;
            let header: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
            f.write_all(header.join(",").as_bytes()).unwrap();
            f.write_all(b"\n").unwrap();
            for _ in 0..2 {
                f.write_all(&b"1,".repeat(n - 1)).unwrap();
                f.write_all(b"1\n").unwrap();
            }
        }
        // 1 GiB of one unbroken field behind a 1 KiB file: 1024 gzip members of 1 MiB
        // each (MultiGz decodes them all).
        "bomb.csv.gz" => {
            f.write_all(&gzip_member(b"emri,shenime\nArben Berisha,"))
                .unwrap();
            let member = gzip_member(&vec![b'x'; 1 << 20]);
            for _ in 0..1024 {
                f.write_all(&member).unwrap();
            }
        }
        // The same bomb as zstd frames.
        "bomb.csv.zst" => {
            f.write_all(&zstd::encode_all(&b"emri,shenime\nArben Berisha,"[..], 3).unwrap())
                .unwrap();
            let frame = zstd::encode_all(&vec![b'x'; 1 << 20][..], 19).unwrap();
            for _ in 0..1024 {
                f.write_all(&frame).unwrap();
            }
        }
        // 8 million short rows (32 MiB decompressed) from a few KiB of gzip: a sampled
        // scan stops after its sample, a run streams in bounded memory.
        "rows_bomb.csv.gz" => {
            f.write_all(&gzip_member(b"id,vlera\n")).unwrap();
            let member = gzip_member(&b"1,2\n".repeat(1 << 20));
            for _ in 0..8 {
                f.write_all(&member).unwrap();
            }
        }
        other => panic!("EXPECT.toml lists generated case `{other}`, which no generator makes"),
    }
    f.flush().unwrap();
    p
}

fn gzip_member(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn every_bad_input_fails_clearly_within_bounds() {
    let m = manifest();
    let d = TestDir::new();
    let key = d.path().join("k.key").display().to_string();
    let o = crate::util::run(&["keygen", "--out", &key]);
    assert_eq!(o.status.code(), Some(0));

    // Every file has an expectation and every expectation a file.
    let mut on_disk: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "EXPECT.toml" && n != "make.py")
        .collect();
    on_disk.sort();
    let listed: Vec<String> = m.files.keys().cloned().collect();
    assert_eq!(
        on_disk, listed,
        "tests/fixtures/bad/ and EXPECT.toml [files] must list the same files"
    );

    let mut problems = Vec::new();
    let mut table = Vec::new();
    for (name, case) in &m.files {
        let path = corpus_dir().join(name);
        problems.extend(exercise(&d, &path, case, &m.limits, &key, &mut table));
    }
    for (name, case) in &m.generated {
        let gen_dir = TestDir::new();
        let path = generate(gen_dir.path(), name);
        problems.extend(exercise(&d, &path, case, &m.limits, &key, &mut table));
    }
    // The measured figures, visible with `--nocapture`.
    let mut err = std::io::stderr().lock();
    for line in &table {
        let _ = writeln!(err, "{line}");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
