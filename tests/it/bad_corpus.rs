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

pub(crate) struct Measured {
    pub(crate) code: Option<i32>,
    pub(crate) stderr: String,
    pub(crate) seconds: f64,
    pub(crate) peak_rss_kib: u64,
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
pub(crate) fn measure(mut cmd: Command, limit: Duration, dir: &Path) -> Measured {
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
        // A schema nested 10,000 groups deep (the library's recursive schema tree overflowed
        // the stack) and one of 1,000,000 columns: footers only, no rows.
        "deep_schema.parquet" => f.write_all(&parquet_schema_only(10_000, 1)).unwrap(),
        "million_columns.parquet" => f.write_all(&parquet_schema_only(0, 1_000_000)).unwrap(),
        // 10,000 tables (the limit) and one more: every table used to open its own
        // connection, which parses the whole schema, so the time grew with the square of the
        // table count and 10,000 tables never finished.
        "tables_10000.sqlite" => sqlite_tables(&p, 10_000),
        "tables_10001.sqlite" => sqlite_tables(&p, 10_001),
        // A view that yields rows forever: `scan --full` never ended and `run` wrote hundreds
        // of MB without stopping.
        "endless_view.sqlite" => {
            let c = rusqlite::Connection::open(&p).unwrap();
            c.execute_batch(
                "CREATE VIEW endless AS WITH RECURSIVE c(x) AS \
                 (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c;",
            )
            .unwrap();
        }
        other => panic!("EXPECT.toml lists generated case `{other}`, which no generator makes"),
    }
    f.flush().unwrap();
    p
}

/// A Parquet file with no rows whose schema nests `depth` groups and ends in `leaves` INT32
/// columns. The footer (Thrift compact protocol) is written by hand: the Parquet writer builds
/// the same recursive tree that the reader overflows on.
pub fn parquet_schema_only(depth: usize, leaves: usize) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    // A struct field `delta` ids after the previous one: i32 (zigzag) or binary.
    fn int(out: &mut Vec<u8>, delta: u8, v: i64) {
        out.push(delta << 4 | 5);
        varint(out, ((v << 1) ^ (v >> 63)) as u64);
    }
    fn name(out: &mut Vec<u8>, delta: u8, n: &str) {
        out.push(delta << 4 | 8);
        varint(out, n.len() as u64);
        out.extend_from_slice(n.as_bytes());
    }
    let mut m = Vec::new();
    int(&mut m, 1, 1); // version
    m.push(0x19); // field 2: schema, a list of structs
    m.push(0xFC);
    varint(&mut m, (1 + depth + leaves) as u64);
    name(&mut m, 4, "schema");
    int(&mut m, 1, if depth > 0 { 1 } else { leaves as i64 });
    m.push(0);
    for d in 0..depth {
        int(&mut m, 3, 0); // required group
        name(&mut m, 1, &format!("g{d}"));
        int(&mut m, 1, if d + 1 < depth { 1 } else { leaves as i64 });
        m.push(0);
    }
    for l in 0..leaves {
        int(&mut m, 1, 1); // INT32
        int(&mut m, 2, 1); // optional
        name(&mut m, 1, &format!("c{l}"));
        m.push(0);
    }
    m.extend_from_slice(&[0x16, 0, 0x19, 0x0C, 0]); // num_rows 0, no row groups, end
    let mut f = b"PAR1".to_vec();
    f.extend_from_slice(&m);
    f.extend_from_slice(&(m.len() as u32).to_le_bytes());
    f.extend_from_slice(b"PAR1");
    f
}

/// An SQLite database at `p` with `n` small tables (three rows each).
fn sqlite_tables(p: &Path, n: usize) {
    let c = rusqlite::Connection::open(p).unwrap();
    let mut sql = String::from("BEGIN;");
    for i in 0..n {
        sql.push_str(&format!(
            "CREATE TABLE t{i:05} (id INTEGER PRIMARY KEY, emri TEXT);\
             INSERT INTO t{i:05} VALUES (1, 'a'), (2, 'b'), (3, 'c');"
        ));
    }
    sql.push_str("COMMIT;");
    c.execute_batch(&sql).unwrap();
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

/// `run pipelines/test-copy.toml` on `input` into a fresh directory, measured.
fn measured_run(d: &TestDir, key: &str, input: &Path, limit: Duration) -> Measured {
    let out = d.path().join(format!(
        "out-{}",
        input.file_name().unwrap().to_string_lossy()
    ));
    let mut run = anonkos();
    run.current_dir(root())
        .args(["run", "pipelines/test-copy.toml", "--quiet", "--input"])
        .arg(input)
        .arg("--out-dir")
        .arg(&out)
        .args(["--key-file", key]);
    measure(run, limit, d.path())
}

/// A CSV of `cols` numbered columns and 20 rows.
fn wide_csv(dir: &Path, cols: usize) -> PathBuf {
    let p = dir.join(format!("wide_{cols}.csv"));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    let header: Vec<String> = (0..cols).map(|i| format!("c{i}")).collect();
    writeln!(f, "{}", header.join(",")).unwrap();
    for r in 0..20 {
        let row: Vec<String> = (0..cols).map(|i| (r * 7 + i).to_string()).collect();
        writeln!(f, "{}", row.join(",")).unwrap();
    }
    f.flush().unwrap();
    p
}

#[test]
fn a_run_at_the_column_limit_costs_time_in_proportion_to_the_columns() {
    // 16,384 columns (the limit) took 37–90 s and up to 2.8 GB: the run's verification looked
    // every output column up by a scan of the plan's columns. The machine is shared and noisy,
    // so the bound is a ratio to a 1,024-column run of the same shape: linear work is 16×;
    // the quadratic step made it over 100×.
    let d = TestDir::new();
    let key = d.path().join("k.key").display().to_string();
    assert_eq!(
        crate::util::run(&["keygen", "--out", &key]).status.code(),
        Some(0)
    );
    let limit = Duration::from_secs(120);
    let small = measured_run(&d, &key, &wide_csv(d.path(), 1024), limit);
    let big = measured_run(&d, &key, &wide_csv(d.path(), 16_384), limit);
    let _ = writeln!(
        std::io::stderr().lock(),
        "run 1,024 columns: {:.2} s {} MiB; 16,384 columns: {:.2} s {} MiB",
        small.seconds,
        small.peak_rss_kib / 1024,
        big.seconds,
        big.peak_rss_kib / 1024
    );
    assert_eq!(small.code, Some(0), "{}", small.stderr);
    assert_eq!(big.code, Some(0), "{}", big.stderr);
    let ratio = big.seconds / small.seconds.max(0.05);
    assert!(ratio < 40.0, "16× the columns took {ratio:.0}× the time");
    assert!(big.peak_rss_kib < 512 * 1024, "{} KiB", big.peak_rss_kib);
}

#[test]
fn twenty_thousand_inputs_are_refused_at_once() {
    // 20,000 inputs ran for many minutes (about 10 ms of fixed cost each) with no output.
    let d = TestDir::new();
    let key = d.path().join("k.key").display().to_string();
    assert_eq!(
        crate::util::run(&["keygen", "--out", &key]).status.code(),
        Some(0)
    );
    let files = d.path().join("in");
    std::fs::create_dir(&files).unwrap();
    let mut inputs = Vec::new();
    for i in 0..20_000 {
        let p = files.join(format!("f{i:05}.csv"));
        std::fs::write(&p, format!("emri,nr\nArben,{i}\n")).unwrap();
        inputs.push(format!("{:?}", p.display().to_string()));
    }
    let pipeline = std::fs::read_to_string(root().join("pipelines/test-copy.toml"))
        .unwrap()
        .replace(
            "inputs = [\"sample-data/\"]",
            &format!("inputs = [{}]", inputs.join(", ")),
        );
    assert!(pipeline.contains("f19999.csv"));
    let pfile = d.path().join("many.toml");
    std::fs::write(&pfile, pipeline).unwrap();
    for (what, input_dir) in [("entries", None), ("a directory", Some(&files))] {
        let mut run = anonkos();
        run.arg("run")
            .arg(&pfile)
            .args(["--quiet", "--key-file", &key]);
        if let Some(dir) = input_dir {
            run.arg("--input").arg(dir);
        }
        run.arg("--out-dir").arg(d.path().join("out"));
        let m = measure(run, Duration::from_secs(60), d.path());
        let _ = writeln!(
            std::io::stderr().lock(),
            "run with 20,000 inputs ({what}): {:.2} s {} MiB",
            m.seconds,
            m.peak_rss_kib / 1024
        );
        assert_eq!(m.code, Some(2), "{what}: {}", m.stderr);
        assert!(m.stderr.contains("at most 4096"), "{}", m.stderr);
        assert!(m.seconds < 10.0, "{what}: {} s", m.seconds);
    }
}
