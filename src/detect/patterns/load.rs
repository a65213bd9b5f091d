//! Loading a pattern pack: one `add_*` step per pack folder, then the matchers compiled once.
//!
//! In: the pack's files (relative path, text), from the embedded copy or a directory. Out: a
//! [`PatternSet`], or a configuration error naming the file.
use std::path::{Path, PathBuf};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::bytes::{RegexBuilder, RegexSetBuilder};

use super::{
    Examples, Identifier, IdentifierFile, MatchMode, Municipality, NamesFile, PackFile, PatternSet,
    PlacesFile, Term, VocabFile, category, config_err, pack_digest, parse_toml, squash,
};
use crate::detect::Category;
use crate::detect::fold::fold;
use crate::detect::hash::{FxHashMap, FxHashSet};
use crate::detect::header::HeaderSynonyms;
use crate::detect::validators;
use crate::error::{Error, Result};

/// What the pack's folders add up to, before the matchers are compiled.
#[derive(Default)]
pub(super) struct Pack {
    base: Option<PathBuf>,
    pack_files: Vec<PackFile>,
    identifiers: Vec<(Identifier, Option<String>)>,
    cell_terms: FxHashMap<Box<str>, Vec<Term>>,
    word_terms: Vec<(String, Category)>,
    given: FxHashSet<Box<str>>,
    surnames: FxHashSet<Box<str>>,
    municipalities: Vec<Municipality>,
    municipality_index: FxHashMap<Box<str>, usize>,
    headers: HeaderSynonyms,
    vocab_examples: Vec<(String, Category, Examples)>,
    places_examples: Examples,
    names_examples: Vec<(String, Examples)>,
    data_files: FxHashMap<Box<str>, String>,
}

impl Pack {
    /// Load every file of the pack in `dir` (the embedded one when `None`) and compile it.
    pub(super) fn load(dir: Option<&Path>, files: &[(String, String)]) -> Result<PatternSet> {
        let mut pack = Pack {
            base: dir.map(Path::to_path_buf),
            ..Pack::default()
        };
        for (rel, text) in files {
            pack.add_file(rel, text)?;
        }
        pack.compile(dir, files)
    }

    /// Add one file, by the folder it is in.
    fn add_file(&mut self, rel: &str, text: &str) -> Result<()> {
        let top = rel.split('/').next().unwrap_or("");
        match top {
            "identifiers" => self.add_identifiers(rel, text),
            "vocab" => self.add_vocab(rel, text),
            "headers" => self.add_headers(rel, text),
            "places" => self.add_places(rel, text),
            "names" => self.add_names(rel, text),
            "context" | "fictitious" => self.add_data_file(top, rel, text),
            _ => Err(config_err(
                &self.base,
                rel,
                "unexpected file: pattern files live in identifiers/, vocab/, headers/, places/, names/, context/ or fictitious/",
            )),
        }
    }

    /// A term that matches a whole cell (folded), once per category and mode.
    fn add_cell(&mut self, term: &str, t: Term) {
        let key: Box<str> = squash(&fold(term)).into();
        if key.is_empty() {
            return;
        }
        let v = self.cell_terms.entry(key).or_default();
        if !v.contains(&t) {
            v.push(t);
        }
    }

    /// `identifiers/`: one detector per file (regex, validator, limits, examples).
    fn add_identifiers(&mut self, rel: &str, text: &str) -> Result<()> {
        let f: IdentifierFile = parse_toml(&self.base, rel, text)?;
        let validator = match &f.validator {
            Some(v) => Some((
                v.clone(),
                validators::by_name(v).ok_or_else(|| {
                    let names: Vec<_> = validators::VALIDATORS.iter().map(|(n, _)| *n).collect();
                    config_err(
                        &self.base,
                        rel,
                        format!("unknown validator `{v}`; known: {}", names.join(", ")),
                    )
                })?,
            )),
            None => None,
        };
        self.pack_files.push(PackFile {
            path: rel.to_string(),
            kind: "identifier",
            category: Some(f.category.clone()),
            entries: 1,
        });
        self.identifiers.push((
            Identifier {
                category: category(&self.base, rel, &f.category)?,
                name: f.name,
                description: f.description,
                regex: f.regex,
                normalise: f.normalise,
                validator,
                bounds: super::Bounds {
                    min_len: f.min_len,
                    max_len: f.max_len,
                    min_digits: f.min_digits,
                    min_letters: f.min_letters,
                    max_letters: f.max_letters.unwrap_or(u32::MAX),
                    requires: match f.requires.as_deref().map(str::as_bytes) {
                        None => None,
                        Some([b]) => Some(*b),
                        Some(_) => {
                            return Err(config_err(
                                &self.base,
                                rel,
                                "`requires` must be one ASCII character",
                            ));
                        }
                    },
                },
                strength: f.strength,
                chance: match f.chance {
                    Some(c) if !(c > 0.0 && c < 1.0) => {
                        return Err(config_err(
                            &self.base,
                            rel,
                            "`chance` must lie strictly between 0 and 1",
                        ));
                    }
                    c => c,
                },
                min_lead_letters: f.min_lead_letters,
                has_embedded: f.embedded.is_some(),
                examples: f.examples,
                file: rel.to_string(),
            },
            f.embedded,
        ));
        Ok(())
    }

    /// `vocab/`: terms of one category, matched as whole cells or as words in free text.
    fn add_vocab(&mut self, rel: &str, text: &str) -> Result<()> {
        let f: VocabFile = parse_toml(&self.base, rel, text)?;
        let cat = category(&self.base, rel, &f.category)?;
        let mut n = 0;
        for terms in f.terms.values() {
            for t in terms {
                n += 1;
                self.add_cell(
                    t,
                    Term {
                        category: cat,
                        mode: f.mode,
                    },
                );
                if f.mode == MatchMode::Word {
                    self.word_terms.push((squash(&fold(t)), cat));
                }
            }
        }
        self.pack_files.push(PackFile {
            path: rel.to_string(),
            kind: "vocabulary",
            category: Some(f.category),
            entries: n,
        });
        self.vocab_examples.push((rel.to_string(), cat, f.examples));
        Ok(())
    }

    /// `headers/`: header synonyms ([`HeaderSynonyms::add_file`]).
    fn add_headers(&mut self, rel: &str, text: &str) -> Result<()> {
        let n = self
            .headers
            .add_file(text)
            .map_err(|msg| config_err(&self.base, rel, msg))?;
        self.pack_files.push(PackFile {
            path: rel.to_string(),
            kind: "headers",
            category: None,
            entries: n,
        });
        Ok(())
    }

    /// `places/`: municipalities and districts, in every language and alias.
    fn add_places(&mut self, rel: &str, text: &str) -> Result<()> {
        let f: PlacesFile = parse_toml(&self.base, rel, text)?;
        for m in &f.municipality {
            let district = f
                .district
                .iter()
                .find(|d| d.code == m.district)
                .ok_or_else(|| {
                    config_err(
                        &self.base,
                        rel,
                        format!(
                            "municipality {} names unknown district {}",
                            m.sq, m.district
                        ),
                    )
                })?;
            let idx = self.municipalities.len();
            self.municipalities.push(Municipality {
                name_sq: m.sq.clone(),
                name_sr: m.sr_latn.clone(),
                district: m.district.clone(),
                district_name: district.sq.clone(),
                postal_code: m.postal_code.clone(),
            });
            for name in [&m.sq, &m.sr_latn, &m.sr_cyrl]
                .into_iter()
                .chain(&m.aliases)
            {
                self.add_cell(
                    name,
                    Term {
                        category: Category::Municipality,
                        mode: MatchMode::Cell,
                    },
                );
                self.municipality_index
                    .insert(squash(&fold(name)).into(), idx);
            }
        }
        // District names also answer "where": they count as municipality-level places.
        for d in &f.district {
            for name in [&d.sq, &d.sr_latn, &d.sr_cyrl]
                .into_iter()
                .chain(&d.aliases)
            {
                self.add_cell(
                    name,
                    Term {
                        category: Category::Municipality,
                        mode: MatchMode::Cell,
                    },
                );
            }
        }
        self.pack_files.push(PackFile {
            path: rel.to_string(),
            kind: "places",
            category: Some("municipality".into()),
            entries: f.municipality.len(),
        });
        self.places_examples = f.examples;
        Ok(())
    }

    /// `names/`: given names or surnames (by the file's name), folded.
    fn add_names(&mut self, rel: &str, text: &str) -> Result<()> {
        let f: NamesFile = parse_toml(&self.base, rel, text)?;
        let is_surname = rel.contains("surname");
        let set = if is_surname {
            &mut self.surnames
        } else {
            &mut self.given
        };
        let mut n = 0;
        for list in f.names.values() {
            for name in list {
                n += 1;
                set.insert(squash(&fold(name)).into_boxed_str());
            }
        }
        self.pack_files.push(PackFile {
            path: rel.to_string(),
            kind: "names",
            category: Some("person_name".into()),
            entries: n,
        });
        self.names_examples.push((rel.to_string(), f.examples));
        Ok(())
    }

    /// `context/`, `fictitious/`: data files read by the transforms that use them.
    fn add_data_file(&mut self, top: &str, rel: &str, text: &str) -> Result<()> {
        // Parsed by the transform that uses it (redact_entities, fictitious);
        // a syntax error is still reported here, with the file's name.
        let _: toml::Table = parse_toml(&self.base, rel, text)?;
        self.pack_files.push(PackFile {
            path: rel.to_string(),
            kind: if top == "context" {
                "context"
            } else {
                "fictitious"
            },
            category: None,
            entries: 1,
        });
        self.data_files.insert(rel.into(), text.to_string());
        Ok(())
    }

    /// Compile the matchers and assemble the set.
    fn compile(self, dir: Option<&Path>, files: &[(String, String)]) -> Result<PatternSet> {
        let Pack {
            base,
            pack_files,
            identifiers,
            cell_terms,
            mut word_terms,
            given,
            surnames,
            municipalities,
            municipality_index,
            headers,
            vocab_examples,
            places_examples,
            names_examples,
            data_files,
        } = self;
        // Whole-cell matchers: byte classes rule out the regexes a cell cannot match, then
        // each admitted detector's own automaton runs (`cell.rs`).
        let anchored: Vec<String> = identifiers
            .iter()
            .map(|(i, _)| format!("^(?:{})$", i.regex))
            .collect();
        let bounds: Vec<super::cell::Bounds> = identifiers.iter().map(|(i, _)| i.bounds).collect();
        let cells = super::cell::CellMatchers::new(&anchored, &bounds)
            .map_err(|(k, e)| config_err(&base, &identifiers[k].0.file, format!("regex: {e}")))?;
        let cell_term_classes = cell_terms
            .keys()
            .fold(0, |m, t| m | super::byte_classes(t.as_bytes()));
        let mut embedded_ids = Vec::new();
        let mut embedded_src = Vec::new();
        for (i, (_, emb)) in identifiers.iter().enumerate() {
            if let Some(e) = emb {
                embedded_ids.push(i);
                embedded_src.push(e.clone());
            }
        }
        let compile_err = |e: regex::Error| Error::Config {
            path: "patterns/identifiers".into(),
            line: None,
            msg: format!("embedded regex: {e}"),
        };
        let embedded_set = RegexSetBuilder::new(&embedded_src)
            .unicode(false)
            .dfa_size_limit(8 << 20)
            .build()
            .map_err(compile_err)?;
        let embedded_res = embedded_src
            .iter()
            .map(|s| RegexBuilder::new(s).unicode(false).build())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(compile_err)?;

        word_terms.sort();
        word_terms.dedup();
        // A full DFA: one table lookup per byte of text. The automatic choice (an NFA for
        // this many terms) cost ~3× as much per byte on free-text columns.
        let word_ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(word_terms.iter().map(|(t, _)| t.as_str()))
            .map_err(|e| Error::Internal(format!("aho-corasick: {e}")))?;
        let word_cats = word_terms.iter().map(|(_, c)| *c).collect();

        let digest = pack_digest(files);
        Ok(PatternSet {
            digest,
            origin: dir.map_or_else(|| "embedded".to_string(), |d| d.display().to_string()),
            files: pack_files,
            identifiers: identifiers.into_iter().map(|(i, _)| i).collect(),
            cells,
            cell_term_classes,
            embedded_set,
            embedded_ids,
            embedded_res,
            cell_terms,
            word_ac,
            word_cats,
            given,
            surnames,
            municipalities,
            municipality_index,
            headers,
            vocab_examples,
            places_examples,
            names_examples,
            data_files,
        })
    }
}
