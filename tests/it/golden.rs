//! Golden outputs: the README's main job on `sample-data/`, compared byte for byte with the
//! SHA-256 digests in `tests/fixtures/golden/sample-data.sha256`, so a restructuring that
//! changes any output (a Parquet byte, a report line, a finding's order) fails here.
//!
//! The job, run from the repository root into a temp dir:
//! * `anonkos run pipelines/research-release.toml --input sample-data/` (its summary on stdout,
//!   every file of the output directory, the processing log, `anonkos log verify` of the log);
//! * `anonkos scan sample-data/` as text and as `--format json`;
//! * `anonkos report` in HTML, Markdown and JSON, each without and with `--run`.
//!
//! Made deterministic, not normalised: the research release's throw-away key
//! (`key.mode = "ephemeral"`, a new random key per run) is replaced by a fixed key file, so the
//! pipeline is run from a copy whose only change is `mode = "required"`; `USER` and `HOSTNAME`
//! are fixed; `ANONKOS_KEY` and `ANONKOS_LOG` are removed.
//!
//! Normalised before hashing (text outputs only; [`NORMALISE`] lists each rule once), because
//! they vary between two runs of the same build: timestamps (`generated_at`, the log's
//! `time`), the run's duration (`seconds`), the temp dir's path, the log's chain hashes
//! (they hash the time), and the per-process random key of the scan's sketches
//! (`sketch_key_id` and the sketches' hash values; the estimates drawn from them are kept).
//!
//! To accept a deliberate change of output: `ANONKOS_BLESS=1 cargo test --test it golden`
//! rewrites the digests file; review its diff like any other change. The normalised outputs of
//! the last run are left in `$CARGO_TARGET_TMPDIR/golden/` to diff against an earlier copy.
use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::util::{TestDir, anonkos, files_under, root, stderr, stdout};

/// The digests file, relative to the repository root.
const DIGESTS: &str = "tests/fixtures/golden/sample-data.sha256";

/// A fixed key, used only here (64 hex characters).
const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";

/// Each normalisation, once: what varies, the outputs it applies to (a name suffix; `""` for
/// every text output), the pattern, its replacement.
const NORMALISE: &[(&str, &str, &str, &str)] = &[
    (
        "timestamps (`generated_at`, the log's `time`, the reports' \"generated\" line)",
        "",
        r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b",
        "<time>",
    ),
    (
        "durations (the run's `seconds`, the privacy search's `elapsed_ms`)",
        "",
        r#""(seconds|elapsed_ms)": -?[0-9][0-9.e+-]*"#,
        r#""$1": "<duration>""#,
    ),
    (
        "the processing log's entry hash (it hashes the time)",
        ".jsonl",
        r#""hash":"[0-9a-f]{64}""#,
        r#""hash":"<hash>""#,
    ),
    (
        "the processing log's head hash, as `log verify` prints it",
        "log-verify.stdout",
        r"head [0-9a-f]{64}",
        "head <hash>",
    ),
    (
        "the scan's per-process random sketch key, by its id",
        "scan.json",
        r#""sketch_key_id": "[0-9a-f]{16}""#,
        r#""sketch_key_id": "<key>""#,
    ),
    (
        "the sketches' hash values, keyed by that key (their counts and estimates are kept)",
        "scan.json",
        r#""hashes": \[[^\]]*\]"#,
        r#""hashes": "<keyed>""#,
    ),
];

/// Run `anonkos` from the repository root with the environment fixed; it must exit 0.
fn job(args: &[&str]) -> Vec<u8> {
    let o = anonkos()
        .current_dir(root())
        .env_remove("ANONKOS_KEY")
        .env_remove("ANONKOS_LOG")
        .env("USER", "golden")
        .env("HOSTNAME", "golden-host")
        .args(args)
        .output()
        .expect("run anonkos");
    assert_eq!(
        o.status.code(),
        Some(0),
        "anonkos {args:?}\n{}{}",
        stdout(&o),
        stderr(&o)
    );
    o.stdout
}

/// Every output of the main job, by name, as the bytes that are hashed (text normalised).
fn outputs(tmp: &Path) -> BTreeMap<String, Vec<u8>> {
    let t = |p: &str| tmp.join(p).display().to_string();
    let key = t("share.key");
    std::fs::write(&key, format!("{KEY}\n")).expect("write key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let shipped = std::fs::read_to_string(root().join("pipelines/research-release.toml"))
        .expect("read pipeline");
    let fixed = shipped.replace("mode = \"ephemeral\"", "mode = \"required\"");
    assert_ne!(
        fixed, shipped,
        "the research release no longer uses an ephemeral key"
    );
    let pipeline = t("research-release.toml");
    std::fs::write(&pipeline, fixed).expect("write pipeline");

    let mut out: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let run_dir = t("out");
    out.insert(
        "run.stdout".into(),
        job(&[
            "run",
            &pipeline,
            "--input",
            "sample-data/",
            "--out-dir",
            &run_dir,
            "--key-file",
            &key,
        ]),
    );
    for f in files_under(&tmp.join("out")) {
        let rel = f
            .strip_prefix(tmp)
            .expect("under tmp")
            .display()
            .to_string();
        out.insert(rel, std::fs::read(&f).expect("read output"));
    }
    let log = t("out/anonkos-processing.jsonl");
    out.insert("log-verify.stdout".into(), job(&["log", "verify", &log]));
    out.insert("scan.stdout".into(), job(&["scan", "sample-data/"]));
    let scan = t("scan.json");
    job(&["scan", "sample-data/", "--format", "json", "-o", &scan]);
    let run_json = t("out/anonkos-run.json");
    let fs = "filing-systems.toml";
    for (format, ext) in [("html", "html"), ("md", "md"), ("json", "json")] {
        for with_run in [false, true] {
            let name = format!("report{}.{ext}", if with_run { "-run" } else { "" });
            let mut args = vec!["report", "--scan", &scan];
            if with_run {
                args.extend(["--run", &run_json]);
            }
            args.extend(["--filing-systems", fs, "--format", format]);
            out.insert(name, job(&args));
        }
    }
    out.insert(
        "scan.json".into(),
        std::fs::read(&scan).expect("read scan.json"),
    );
    let tmp_text = tmp.display().to_string();
    out.into_iter()
        .map(|(name, bytes)| {
            let text = normalise(&name, bytes, &tmp_text);
            (name, text)
        })
        .collect()
}

/// Replace the temp dir's path and apply the rules of [`NORMALISE`] that name `name`, on UTF-8
/// text only (Parquet and other binary outputs are hashed as written).
fn normalise(name: &str, bytes: Vec<u8>, tmp: &str) -> Vec<u8> {
    let Ok(text) = String::from_utf8(bytes.clone()) else {
        return bytes;
    };
    let mut text = text.replace(tmp, "$TMP");
    for (_, applies_to, pattern, with) in NORMALISE {
        if name.ends_with(applies_to) {
            let re = regex::Regex::new(pattern).expect("normalisation pattern");
            text = re.replace_all(&text, *with).into_owned();
        }
    }
    text.into_bytes()
}

fn sha256(bytes: &[u8]) -> String {
    anonkos::digest::hex(&Sha256::digest(bytes))
}

/// `sha256  name` lines, sorted by name (the `sha256sum` layout).
fn digests(outputs: &BTreeMap<String, Vec<u8>>) -> String {
    outputs
        .iter()
        .map(|(name, bytes)| format!("{}  {name}\n", sha256(bytes)))
        .collect()
}

#[test]
fn sample_data_outputs_are_byte_identical() {
    let d = TestDir::new();
    let got = outputs(d.path());
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("golden");
    let _ = std::fs::remove_dir_all(&keep);
    for (name, bytes) in &got {
        let p = keep.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, bytes).expect("keep output");
    }
    let text = digests(&got);
    let path = root().join(DIGESTS);
    if std::env::var_os("ANONKOS_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &text).expect("write digests");
        return;
    }
    let want = std::fs::read_to_string(&path).expect("read digests (bless with ANONKOS_BLESS=1)");
    let differ: Vec<&str> = {
        let w: BTreeMap<&str, &str> = want
            .lines()
            .filter_map(|l| l.split_once("  ").map(|(h, n)| (n, h)))
            .collect();
        let g: BTreeMap<&str, &str> = text
            .lines()
            .filter_map(|l| l.split_once("  ").map(|(h, n)| (n, h)))
            .collect();
        w.keys()
            .chain(g.keys())
            .copied()
            .filter(|n| w.get(n) != g.get(n))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    assert!(
        differ.is_empty(),
        "outputs differ from {DIGESTS}: {differ:?} (normalised outputs in {}; bless a deliberate \
         change with ANONKOS_BLESS=1)",
        keep.display()
    );
}

/// The comparison can fail: one changed byte changes the digest, and a normalisation does not
/// hide a change outside the field it names.
#[test]
fn one_changed_byte_changes_the_digest() {
    let n = |text: &str| normalise("out/anonkos-run.json", text.as_bytes().to_vec(), "/tmp/x");
    let a = n(r#"{"generated_at": "2026-01-02T03:04:05Z", "rows": 10, "seconds": 0.5}"#);
    let b = n(r#"{"generated_at": "2027-11-12T13:14:15Z", "rows": 10, "seconds": 1.25}"#);
    let c = n(r#"{"generated_at": "2026-01-02T03:04:05Z", "rows": 11, "seconds": 0.5}"#);
    assert_eq!(sha256(&a), sha256(&b), "the timestamp is normalised");
    assert_ne!(sha256(&a), sha256(&c), "a changed count is not");
    let mut parquet = b"PAR1\x00\xff".to_vec();
    let before = sha256(&normalise("out/x.parquet", parquet.clone(), "/tmp/x"));
    parquet[4] = 1;
    assert_ne!(
        before,
        sha256(&normalise("out/x.parquet", parquet, "/tmp/x"))
    );
    // The log's chain hash is normalised in the log only, never in a report's output digests.
    let digest = r#"{"hash":"0000000000000000000000000000000000000000000000000000000000000000"}"#;
    assert_ne!(n(digest), n(&digest.replace('0', "1")));
}
