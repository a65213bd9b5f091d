//! `--help` says what each subcommand does today: the inputs it reads and what it writes. A
//! reader added to the engine must be added to these texts, or this test fails.
use crate::util::{run, stderr, stdout};

/// The help of `args` (`anonkos ARGS --help`), lower-cased.
fn help(args: &[&str]) -> String {
    let mut a = args.to_vec();
    a.push("--help");
    let o = run(&a);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    stdout(&o).to_lowercase()
}

fn assert_mentions(args: &[&str], words: &[&str]) {
    let text = help(args);
    let missing: Vec<&&str> = words.iter().filter(|w| !text.contains(*w)).collect();
    assert!(
        missing.is_empty(),
        "`anonkos {} --help` does not mention {missing:?}:\n{text}",
        args.join(" ")
    );
}

/// What every reader takes: the formats `source::open` and the URL opener accept.
const INPUTS: [&str; 11] = [
    "csv",
    "tsv",
    "utf-16",
    "parquet",
    "xlsx",
    ".xls",
    ".ods",
    "dump",
    "sqlite",
    "postgres://",
    "mysql://",
];

#[test]
fn every_subcommand_help_names_its_real_inputs_and_outputs() {
    assert_mentions(
        &[],
        &[
            "csv",
            "parquet",
            "workbooks",
            "sql dumps",
            "sqlite",
            "postgresql",
            "mariadb",
        ],
    );
    assert_mentions(&["scan"], &INPUTS);
    assert_mentions(
        &["scan"],
        &[
            "windows-1250",
            "sep=",
            "decimal commas",
            "gzip",
            "zstd",
            "mariadb://",
            "directories",
        ],
    );
    assert!(
        !help(&["scan"]).contains("csv and parquet files"),
        "the old, narrower text is back"
    );
    assert_mentions(
        &["run"],
        &[
            "pipeline",
            "workbooks",
            "sql dumps",
            "sqlite",
            "database urls",
            "csv",
            "parquet",
            "anonkos-run.json",
            "processing log",
        ],
    );
    assert_mentions(
        &["verify"],
        &["csv", "parquet", "sql dumps", "sqlite", "exit 1"],
    );
    assert_mentions(
        &["risk"],
        &[
            "csv",
            "parquet",
            "workbook",
            "sql dump",
            "sqlite",
            "quasi-identifiers",
            "json",
        ],
    );
    assert_mentions(
        &["report"],
        &[
            "scan",
            "run",
            "filing-systems.toml",
            "json",
            "markdown",
            "html",
        ],
    );
    assert_mentions(
        &["log"],
        &[
            "processing log",
            "anonkos-processing.jsonl",
            "verify",
            "show",
        ],
    );
    assert_mentions(
        &["transform"],
        &["arrow ipc", "stdin", "stdout", "pipeline"],
    );
    assert_mentions(
        &["sample"],
        &["csv", "windows-1250", "parquet", "pg_dump", "mysqldump"],
    );
    assert_mentions(&["keygen"], &["key file", "0600"]);
    assert_mentions(&["reveal"], &["fpe", "key"]);
    assert_mentions(&["patterns"], &["pattern packs"]);
}

/// The `--encoding` and `--delimiter` options name the encodings and the hint they honour.
#[test]
fn csv_options_name_what_they_accept() {
    let text = help(&["scan"]);
    for label in [
        "utf-8",
        "windows-1250",
        "windows-1251",
        "iso-8859-2",
        "utf-16le",
        "utf-16be",
    ] {
        assert!(text.contains(label), "--encoding does not list {label}");
    }
    assert!(text.contains("byte-order mark"), "{text}");
}
