//! `suppress_subjects`: drop every row of a person on an objection list (Art. 24(3),
//! Art. 60).
//!
//! The list is a text file with one identifier per line (any spelling: `044 123 456`) or
//! one pseudonym token made by `pseudonymise` with the same key, kind and token parameters;
//! blank lines and `#` comments are ignored. Raw identifiers are normalised and turned into
//! tokens as they are read, so the list is kept in memory only as keyed hashes.
use std::collections::HashSet;
use std::path::Path;

use arrow_array::{Array, BooleanArray, StringArray};

use super::IdKind;
use super::pseudonymise::{TokenParams, Tokeniser};
use crate::error::{Error, Result};
use crate::key::Key;

/// An objection list, held as pseudonym tokens.
pub struct SubjectList {
    tok: Tokeniser,
    tokens: HashSet<String>,
}

impl SubjectList {
    /// Load a list of identifiers of `kind` (or their tokens with `params`).
    pub fn load(path: &Path, kind: IdKind, key: &Key, params: TokenParams) -> Result<SubjectList> {
        use std::io::BufRead;
        let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let lines = std::io::BufReader::new(f)
            .lines()
            .map(|l| l.map_err(|e| Error::io(path, e)));
        Self::from_lines(lines, kind, key, params)?.map_err(|(line, msg)| Error::Config {
            path: path.to_path_buf(),
            line: Some(line),
            msg,
        })
    }

    /// Parse list text; errors name the 1-based line (never the value).
    pub fn parse(
        text: &str,
        kind: IdKind,
        key: &Key,
        params: TokenParams,
    ) -> std::result::Result<SubjectList, (usize, String)> {
        let lines = text.lines().map(|l| Ok(l.to_string()));
        Self::from_lines(lines, kind, key, params).unwrap_or_else(|e| Err((0, e.to_string())))
    }

    fn from_lines(
        lines: impl Iterator<Item = Result<String>>,
        kind: IdKind,
        key: &Key,
        params: TokenParams,
    ) -> Result<std::result::Result<SubjectList, (usize, String)>> {
        let tok = Tokeniser::new(key, kind, params);
        let mut tokens = HashSet::new();
        for (i, line) in lines.enumerate() {
            let line = line?;
            let l = line.split('#').next().unwrap_or("").trim();
            if l.is_empty() {
                continue;
            }
            if let Some(t) = tok.token(l) {
                tokens.insert(t);
            } else if tok.looks_like_token(l) {
                tokens.insert(l.to_string());
            } else {
                return Ok(Err((
                    i + 1,
                    format!(
                        "{} is neither a {} nor a pseudonym token",
                        crate::redact::mask(l),
                        kind.name()
                    ),
                )));
            }
        }
        Ok(Ok(SubjectList { tok, tokens }))
    }

    /// Entries on the list.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Whether an identifier (raw, any spelling, or already a token) is on the list.
    /// Identifiers of another kind than the list's never match.
    pub fn matches(&self, raw_identifier: &str, kind: IdKind) -> bool {
        if kind != self.tok.kind() {
            return false;
        }
        let t = raw_identifier.trim();
        match self.tok.token(t) {
            Some(tok) => self.tokens.contains(&tok),
            None => self.tok.looks_like_token(t) && self.tokens.contains(t),
        }
    }

    /// Per row, whether to keep it (`false` for listed subjects; nulls are kept), and how
    /// many rows are suppressed.
    pub fn keep_mask(&self, ids: &StringArray) -> (BooleanArray, u64) {
        let mut dropped = 0;
        let kind = self.tok.kind();
        let m: BooleanArray = (0..ids.len())
            .map(|i| {
                let keep = ids.is_null(i) || !self.matches(ids.value(i), kind);
                if !keep {
                    dropped += 1;
                }
                Some(keep)
            })
            .collect();
        (m, dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::key;
    use proptest::prelude::*;

    #[test]
    fn raw_and_token_entries_match_any_spelling() {
        let k = key(1);
        let tok = Tokeniser::new(&k, IdKind::Phone, TokenParams::default())
            .token("049 111 222")
            .unwrap();
        let text = format!("# objections\n044 123 456\n\n{tok}  # by token\n");
        let l = SubjectList::parse(&text, IdKind::Phone, &k, TokenParams::default()).unwrap();
        assert_eq!(l.len(), 2);
        assert!(l.matches("+38344123456", IdKind::Phone));
        assert!(l.matches("+383 49 111 222", IdKind::Phone));
        assert!(!l.matches("044 123 457", IdKind::Phone));
        assert!(!l.matches("+38344123456", IdKind::PersonalNumber));
        let ids = StringArray::from(vec![Some("044-123-456"), None, Some("045 000 000")]);
        let (m, n) = l.keep_mask(&ids);
        assert_eq!(n, 1);
        assert_eq!(
            m.values().iter().collect::<Vec<_>>(),
            vec![false, true, true]
        );
        let bad = SubjectList::parse(
            "1234567892\nnot-a-phone-xyz\n",
            IdKind::Phone,
            &k,
            TokenParams::default(),
        );
        let (line, msg) = bad.err().unwrap();
        assert_eq!(line, 1);
        assert!(!msg.contains("1234567892"), "{msg}");
    }

    proptest! {
        #[test]
        fn listed_people_always_match(pns in proptest::collection::vec("[1-9][0-9]{9}", 1..10), other in "[1-9][0-9]{9}") {
            let k = key(2);
            let l = SubjectList::parse(&pns.join("\n"), IdKind::PersonalNumber, &k, TokenParams::default()).unwrap();
            for p in &pns {
                let spaced = format!("{} {} {}", &p[..3], &p[3..6], &p[6..]);
                prop_assert!(l.matches(&spaced, IdKind::PersonalNumber));
            }
            prop_assert_eq!(l.matches(&other, IdKind::PersonalNumber), pns.contains(&other));
        }
    }
}
