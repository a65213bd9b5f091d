//! `anonkos patterns list|test|check`.
use std::fmt::Write;

use super::{Exit, PatternsCmd, exit_for, load_patterns, output};
use crate::detect::profile::folded_cell;
use crate::detect::{Category, PatternSet};
use crate::redact::mask;

/// Run the subcommand.
pub fn run(cmd: PatternsCmd) -> Exit {
    let dir = match &cmd {
        PatternsCmd::List(o) | PatternsCmd::Check(o) | PatternsCmd::Test { opt: o, .. } => {
            o.patterns.clone()
        }
    };
    let set = match load_patterns(dir.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            output::err(&e.to_string());
            return exit_for(&e);
        }
    };
    let (text, code) = match cmd {
        PatternsCmd::List(_) => (list(&set), Exit::Ok),
        PatternsCmd::Test { value, header, .. } => (test(&set, &value, header), Exit::Ok),
        PatternsCmd::Check(_) => {
            let failures = set.check_examples();
            if failures.is_empty() {
                (
                    format!(
                        "all examples hold ({} files, patterns: {})\n",
                        set.files.len(),
                        set.origin
                    ),
                    Exit::Ok,
                )
            } else {
                (failures.join("\n") + "\n", Exit::Usage)
            }
        }
    };
    if output::out(&text).is_err() {
        return Exit::Output;
    }
    code
}

/// The `patterns list` text.
pub fn list(set: &PatternSet) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "patterns: {}\n", set.origin);
    let _ = writeln!(o, "identifiers:");
    for i in &set.identifiers {
        let v = i
            .validator
            .as_ref()
            .map_or("-".to_string(), |(n, _)| n.clone());
        let _ = writeln!(
            o,
            "  {:<24} {:<24} {:<8} validator {:<15} {}",
            i.name,
            i.category.name(),
            format!("{:?}", i.strength).to_lowercase(),
            v,
            i.description
        );
    }
    let _ = writeln!(o, "\nfiles:");
    for f in &set.files {
        let _ = writeln!(
            o,
            "  {:<40} {:<11} {:<24} {} entries",
            f.path,
            f.kind,
            f.category.as_deref().unwrap_or("-"),
            f.entries
        );
    }
    let counts = set.headers.counts();
    let _ = writeln!(
        o,
        "\nheader synonyms: {} categories, {} phrases",
        counts.len(),
        counts.values().sum::<usize>()
    );
    let _ = writeln!(o, "municipalities: {}", set.municipalities.len());
    o
}

/// The `patterns test VALUE` text: every detector's verdict.
pub fn test(set: &PatternSet, value: &str, as_header: bool) -> String {
    let mut o = String::new();
    let v = value.trim();
    let _ = writeln!(o, "value {} ({} chars)", mask(v), v.chars().count());
    let mut norm = crate::detect::patterns::MatchScratch::default();
    let mut any = false;
    set.match_identifiers(v, &mut norm, |i, ok| {
        any = true;
        let id = &set.identifiers[i];
        let verdict = match (&id.validator, ok) {
            (None, _) => "matches (no validator)".to_string(),
            (Some((n, _)), true) => format!("matches, {n} check passes"),
            (Some((n, _)), false) => format!("matches the shape, {n} check FAILS"),
        };
        let _ = writeln!(o, "  {:<24} {:<24} {verdict}", id.name, id.category.name());
    });
    if !any {
        let _ = writeln!(o, "  no identifier pattern matches the whole value");
    }
    let folded = folded_cell(v);
    for t in set.cell_terms(&folded) {
        let _ = writeln!(o, "  vocabulary: whole value is a {} term", t.category);
    }
    let mut words: Vec<Category> = Vec::new();
    set.find_words(&folded, |c| {
        if !words.contains(&c) {
            words.push(c)
        }
    });
    for c in words {
        let _ = writeln!(o, "  vocabulary: contains {c} words");
    }
    if let Some(m) = set.municipality(&folded) {
        let _ = writeln!(
            o,
            "  municipality {} / {} (district {} {})",
            m.name_sq, m.name_sr, m.district, m.district_name
        );
    }
    let names: Vec<&str> = folded
        .split(' ')
        .filter(|w| set.is_given_name(w) || set.is_surname(w))
        .collect();
    if !names.is_empty() {
        let _ = writeln!(o, "  names: {} known given name(s)/surname(s)", names.len());
    }
    let mut entities: Vec<&str> = Vec::new();
    set.find_embedded(v.as_bytes(), &mut norm, |i| {
        entities.push(set.identifiers[i].category.name())
    });
    if !entities.is_empty() {
        let _ = writeln!(o, "  embedded entities: {}", entities.join(", "));
    }
    if as_header {
        match set.match_header(v) {
            Some(h) => {
                let _ = writeln!(
                    o,
                    "  as a header: {} (synonym '{}' ({}), score {:.2})",
                    h.category, h.synonym, h.lang, h.score
                );
            }
            None => {
                let _ = writeln!(o, "  as a header: no synonym matches");
            }
        }
    }
    o
}
