//! The command line: help, exit codes, `patterns` subcommands.
use crate::util::{run, stderr, stdout};

#[test]
fn help_documents_exit_codes() {
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let s = stdout(&o);
    for needle in ["scan", "patterns", "sample", "Exit codes", "130"] {
        assert!(s.contains(needle), "--help lacks {needle}:\n{s}");
    }
    let o = run(&["scan", "--help"]);
    assert!(stdout(&o).contains("--sample-rows") && stdout(&o).contains("--full"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(run(&["scan"]).status.code(), Some(2));
    assert_eq!(
        run(&["scan", "--full", "--sample-rows", "5", "x.csv"])
            .status
            .code(),
        Some(2)
    );
    let o = run(&["scan", "--encoding", "klingon", "sample-data/patients.csv"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn missing_input_exits_3_and_names_it() {
    let o = run(&["scan", "does/not/exist.csv"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("does/not/exist.csv"), "{}", stderr(&o));
}

#[test]
fn patterns_check_passes_on_the_embedded_set() {
    let o = run(&["patterns", "check"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn patterns_list_shows_every_identifier_file() {
    let o = run(&["patterns", "list"]);
    let s = stdout(&o);
    let dir = crate::util::root().join("patterns/identifiers");
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            s.contains(&format!("identifiers/{name}")),
            "list lacks {name}"
        );
    }
}

#[test]
fn patterns_test_explains_and_masks() {
    let o = run(&["patterns", "test", "XK05 1212 0123 4567 8906"]);
    let s = stdout(&o);
    assert!(s.contains("iban") && s.contains("check passes"), "{s}");
    assert!(!s.contains("1212 0123 4567"), "raw value printed: {s}");
    let o = run(&["patterns", "test", "1234567890"]);
    assert!(stdout(&o).contains("FAILS"), "{}", stdout(&o));
    let o = run(&["patterns", "test", "--header", "Datum rođenja"]);
    assert!(stdout(&o).contains("date_of_birth"), "{}", stdout(&o));
}

#[test]
fn a_broken_pattern_directory_is_a_usage_error() {
    let d = crate::util::TestDir::new();
    std::fs::create_dir(d.path().join("vocab")).unwrap();
    d.file(
        "vocab/x.toml",
        b"category = 'religion'\nmatch = 'word'\nterms = 3\n",
    );
    let o = run(&[
        "scan",
        "--patterns",
        &d.path().display().to_string(),
        "sample-data/patients.csv",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("x.toml"), "{}", stderr(&o));
}
