//! The codebase's shape (issue 20): no source file in `src/` over 1,200 lines, tests aside.
//! Function lengths are clippy's `too_many_lines` (threshold 150 in `clippy.toml`).
use std::path::{Path, PathBuf};

/// Most lines a source file may have before its tests.
const MAX_FILE_LINES: usize = 1_200;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Lines before the file's `#[cfg(test)]` module; `None` for a file that is all tests
/// (`tests.rs`, `*_tests.rs`, included as a test module).
fn code_lines(path: &Path, text: &str) -> Option<usize> {
    let name = path.file_name()?.to_str()?;
    if name == "tests.rs" || name.ends_with("_tests.rs") {
        return None;
    }
    Some(
        text.lines()
            .take_while(|l| l.trim() != "#[cfg(test)]")
            .count(),
    )
}

#[test]
fn no_source_file_is_over_1200_lines_tests_aside() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(
        files.len() > 50,
        "src/ has the crate's files: {}",
        files.len()
    );
    let mut long: Vec<String> = files
        .iter()
        .filter_map(|p| {
            let text = std::fs::read(p).expect("a source file is readable");
            let text = String::from_utf8(text).expect("source files are UTF-8");
            let n = code_lines(p, &text)?;
            (n > MAX_FILE_LINES).then(|| format!("{} ({n} lines)", p.display()))
        })
        .collect();
    long.sort();
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines: {long:#?}"
    );
}

#[test]
fn the_file_rule_counts_up_to_the_tests() {
    let text = "a\nb\n#[cfg(test)]\nmod tests {\n}\n";
    assert_eq!(code_lines(Path::new("x.rs"), text), Some(2));
    assert_eq!(code_lines(Path::new("tests.rs"), text), None);
    let long = "x\n".repeat(MAX_FILE_LINES + 1);
    assert!(code_lines(Path::new("big.rs"), &long) > Some(MAX_FILE_LINES));
}
