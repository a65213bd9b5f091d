//! Embeds every file under `patterns/` into the binary, so anonkos runs without its source
#![allow(
    clippy::disallowed_macros,
    clippy::disallowed_methods,
    clippy::only_used_in_recursion
)]
//! tree; `--patterns DIR` overrides them at run time.
use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, root, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets this"));
    let patterns = root.join("patterns");
    println!("cargo:rerun-if-changed=patterns");
    let mut files = Vec::new();
    collect(&patterns, &patterns, &mut files);
    files.sort();
    let mut code = String::from(
        "/// Pattern files embedded at build time: (path relative to patterns/, contents).\npub static EMBEDDED: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(&patterns)
            .expect("under patterns/")
            .to_string_lossy()
            .replace('\\', "/");
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets this"))
        .join("embedded_patterns.rs");
    fs::write(out, code).expect("write embedded_patterns.rs");
}
