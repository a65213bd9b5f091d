//! The column classifier: header evidence + value evidence → one [`Classification`].
//!
//! Value evidence is turned into a score per category first ([`value_scores`]); the header
//! synonym then either confirms a category the values allow, or loses to values that clearly
//! say something else. Two rules from the design shape everything here:
//!
//! * a header alone never outweighs values that clearly contradict it (a column headed
//!   `telefoni` full of e-mail addresses is `email`);
//! * a value shape alone (10 digits) is not called a personal number: weak detectors need a
//!   header synonym or a validator pass rate far above chance.
use std::collections::BTreeMap;

use serde::Serialize;

use super::category::{Category, Role};
use super::header::HeaderMatch;
use super::patterns::{PatternSet, Strength};
use super::profile::ColumnProfile;

/// Below this value score the values alone do not classify a column.
pub const VALUE_THRESHOLD: f64 = 0.5;
/// Value evidence at least this strong overrides a contradicting header.
pub const CONTRADICTION: f64 = 0.6;

/// One piece of evidence, as shown in reports. Never holds a cell value.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// The column name matched a header synonym.
    Header {
        /// Human-readable description, e.g. `synonym 'numri personal' (sq)`.
        detail: String,
        /// The category the synonym names.
        category: Category,
        /// Match strength.
        score: f64,
    },
    /// An identifier detector matched cells.
    Values {
        /// Detector name (file in `patterns/identifiers/`).
        detector: String,
        /// Its category.
        category: Category,
        /// Cells matching the pattern.
        matched: u64,
        /// Of those, cells passing the validator (all matched ones if it has none).
        validated: u64,
        /// Non-empty cells examined.
        non_empty: u64,
    },
    /// Cells equal to, or containing, vocabulary terms of a category.
    Vocabulary {
        /// The category.
        category: Category,
        /// Cells with a hit.
        cells: u64,
        /// Non-empty cells examined.
        non_empty: u64,
    },
    /// Cells shaped like names with at least one known given name or surname.
    Names {
        /// Such cells.
        cells: u64,
        /// Non-empty cells examined.
        non_empty: u64,
    },
    /// Shape statistics.
    Shape {
        /// Distinct / non-empty (1.0 when too many to count).
        distinct_ratio: f64,
        /// Mean length in characters.
        mean_length: f64,
        /// Standard deviation of the length.
        length_std: f64,
        /// Mean words per cell.
        mean_words: f64,
        /// Free-text score in [0,1].
        free_text_score: f64,
    },
    /// A remark on how the decision was made.
    Note {
        /// The remark.
        detail: String,
    },
}

/// The classifier's verdict on one column.
#[derive(Debug, Clone, Serialize)]
pub struct Classification {
    /// The chosen category.
    pub category: Category,
    /// Its role.
    pub role: Role,
    /// Whether it is a special category (Art. 2(1.16) of 03/L-172).
    pub special_category: bool,
    /// Confidence in [0,1].
    pub confidence: f64,
    /// Why.
    pub evidence: Vec<Evidence>,
    /// Runner-up categories with their confidence.
    pub alternatives: Vec<Alternative>,
    /// Entities found inside the column's text cells, per category.
    pub entities: BTreeMap<Category, u64>,
}

/// A runner-up category.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Alternative {
    /// The category.
    pub category: Category,
    /// Its confidence.
    pub confidence: f64,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn noisy_or(a: f64, b: f64) -> f64 {
    1.0 - (1.0 - a) * (1.0 - b)
}

/// Whether values of category `v` are consistent with a header that says `h`.
pub fn compatible(h: Category, v: Category) -> bool {
    use Category::*;
    h == v
        || matches!(
            (h, v),
            (DateOfBirth, Date)
                | (Date, DateOfBirth)
                | (PlaceOfBirth, Municipality)
                | (Iban, BankAccount)
                | (BankAccount, Iban)
                | (Age, DateOfBirth)
        )
        || (h == FreeText && v.role() == Role::Sensitive)
        || (h.role() == Role::Sensitive && v == FreeText)
}

/// Score every category from the values alone, in [0,1].
pub fn value_scores(p: &ColumnProfile, set: &PatternSet) -> [f64; Category::COUNT] {
    use Category::*;
    let mut s = [0.0f64; Category::COUNT];
    if p.non_empty == 0 {
        return s;
    }
    let n = p.non_empty as f64;
    let up = |s: &mut [f64; Category::COUNT], c: Category, v: f64| {
        let i = c.index();
        s[i] = s[i].max(v.clamp(0.0, 1.0));
    };
    for (id, &(matched, validated)) in set.identifiers.iter().zip(&p.ident) {
        if matched == 0 {
            continue;
        }
        let m = matched as f64 / n;
        let rate = validated as f64 / matched as f64;
        let v = match (id.strength, id.validator.is_some()) {
            (Strength::Strong, true) => validated as f64 / n,
            (Strength::Strong, false) => m,
            // A pass rate far above chance (1 in 10 for the personal number, 1 in 97 for
            // accounts) is support of its own; a bare shape is not.
            (Strength::Weak, true) if rate >= 0.9 => 0.8 * m,
            (Strength::Weak, _) | (Strength::Context, _) => 0.3 * m,
        };
        up(&mut s, id.category, v);
    }
    // Vocabularies.
    let distinct = p.distinct();
    for c in Category::ALL {
        let i = c.index();
        let cell = p.cell_hits[i] as f64 / n;
        let word = p.word_hits[i] as f64 / n;
        let v = match c {
            Gender => {
                if distinct <= 8 {
                    0.95 * cell
                } else {
                    0.4 * cell
                }
            }
            MaritalStatus | Occupation | Nationality | Municipality => {
                if cell >= 0.5 {
                    0.95 * cell
                } else {
                    0.5 * cell
                }
            }
            _ if c.is_special() => {
                let share = cell.max(word);
                if share >= 0.5 {
                    0.5 + 0.45 * share
                } else {
                    0.8 * share
                }
            }
            _ => 0.0,
        };
        up(&mut s, c, v);
    }
    // Names.
    let names = p.name_like as f64 / n;
    let shape = p.name_shape as f64 / n;
    if p.mean_words() <= 4.0 {
        let v = if names >= 0.5 {
            0.55 + 0.4 * names
        } else {
            0.8 * names
        };
        up(&mut s, PersonName, v.max(0.4 * shape * p.distinct_ratio()));
    }
    // Ages: bands are unmistakable, small integers are only a hint.
    up(&mut s, Age, 0.9 * p.age_bands as f64 / n);
    if p.integers as f64 / n >= 0.9 && p.age_like as f64 / n >= 0.9 {
        up(&mut s, Age, 0.35);
    }
    // Birth dates: old, spread-out calendar dates without a time of day.
    let date = s[Date.index()];
    let (ymin, ymax, old) = p.date_years;
    if date >= VALUE_THRESHOLD
        && ymin >= 1900
        && ymax - ymin >= 20
        && old as f64 >= 0.9 * n * date
        && (p.timed_dates as f64) < 0.1 * n
    {
        up(&mut s, DateOfBirth, 0.9 * date);
        s[Date.index()] = 0.6 * date;
    }
    // Free text.
    if p.mean_words() >= 3.0 {
        let mut v = p.free_text_score();
        if p.entities.iter().any(|&e| e > 0) {
            v = noisy_or(v, 0.2);
        }
        up(&mut s, FreeText, v);
    }
    s
}

/// Classify one column.
pub fn classify(name: &str, p: &ColumnProfile, set: &PatternSet) -> Classification {
    classify_with_header(set.match_header(name), p, set)
}

/// Classify one column given its (optional) header match.
pub fn classify_with_header(
    header: Option<HeaderMatch>,
    p: &ColumnProfile,
    set: &PatternSet,
) -> Classification {
    let vs = value_scores(p, set);
    let mut evidence = Vec::new();
    if let Some(h) = &header {
        evidence.push(Evidence::Header {
            detail: format!("synonym '{}' ({})", h.synonym, h.lang),
            category: h.category,
            score: h.score,
        });
    }
    let n = p.non_empty;
    for (id, &(matched, validated)) in set.identifiers.iter().zip(&p.ident) {
        if n > 0 && matched as f64 >= 0.05 * n as f64 {
            evidence.push(Evidence::Values {
                detector: id.name.clone(),
                category: id.category,
                matched,
                validated,
                non_empty: n,
            });
        }
    }
    for c in Category::ALL {
        let hits = p.cell_hits[c.index()].max(p.word_hits[c.index()]);
        if n > 0 && hits as f64 >= 0.05 * n as f64 {
            evidence.push(Evidence::Vocabulary {
                category: c,
                cells: hits,
                non_empty: n,
            });
        }
    }
    if n > 0 && p.name_like as f64 >= 0.05 * n as f64 {
        evidence.push(Evidence::Names {
            cells: p.name_like,
            non_empty: n,
        });
    }
    evidence.push(Evidence::Shape {
        distinct_ratio: round2(p.distinct_ratio()),
        mean_length: round2(p.mean_len()),
        length_std: round2(p.len_std()),
        mean_words: round2(p.mean_words()),
        free_text_score: round2(p.free_text_score()),
    });

    // Best category by values alone (ignoring `none`).
    let (vd, vsd) = Category::ALL
        .iter()
        .filter(|c| **c != Category::None)
        .map(|c| (*c, vs[c.index()]))
        .fold(
            (Category::None, 0.0),
            |best, x| if x.1 > best.1 { x } else { best },
        );

    let mut scores = vs;
    let (category, confidence) = if n == 0 {
        evidence.push(Evidence::Note {
            detail: "no non-empty values were examined".into(),
        });
        match &header {
            Some(h) => (h.category, 0.6 * h.score),
            None => (Category::None, 0.5),
        }
    } else {
        match &header {
            Some(h) => {
                let hc = h.category;
                let contradicted =
                    vd != hc && !compatible(hc, vd) && vsd >= CONTRADICTION && vs[hc.index()] < 0.2;
                if contradicted {
                    evidence.push(Evidence::Note {
                        detail: format!("header suggests {hc} but the values say {vd}; values win"),
                    });
                    scores[hc.index()] = scores[hc.index()].max(h.score * 0.3);
                    (vd, 0.9 * vsd)
                } else if hc == Category::None {
                    // Counts, amounts, years, invoice numbers: not personal, whatever their shape.
                    let c = noisy_or(h.score, 1.0 - vsd.min(1.0));
                    scores[hc.index()] = c;
                    (hc, c)
                } else {
                    let support = Category::ALL
                        .iter()
                        .filter(|v| compatible(hc, **v))
                        .map(|v| vs[v.index()])
                        .fold(0.0, f64::max);
                    let mut header_part = h.score;
                    // A header whose own detector finds nothing in plenty of values is doubtful.
                    let has_detector = set.identifiers.iter().any(|i| i.category == hc);
                    if has_detector && support < 0.05 && n >= 20 {
                        header_part *= 0.6;
                        evidence.push(Evidence::Note {
                            detail: format!("header suggests {hc} but few values look like it"),
                        });
                    }
                    let c = noisy_or(header_part, support);
                    scores[hc.index()] = c;
                    (hc, c)
                }
            }
            None if vsd >= VALUE_THRESHOLD => (vd, vsd),
            None => {
                let c = (1.0 - vsd).clamp(0.5, 0.95);
                scores[Category::None.index()] = c;
                (Category::None, c)
            }
        }
    };
    if category == Category::KosovoPersonalNumber {
        evidence.push(Evidence::Note {
            detail: "the personal-number check digit (nidx mod 11) is unverified: a pass raises confidence, a failure never rejects".into(),
        });
    }

    let mut alternatives: Vec<Alternative> = Category::ALL
        .iter()
        .filter(|c| **c != category && scores[c.index()] >= 0.05)
        .map(|c| Alternative {
            category: *c,
            confidence: round2(scores[c.index()]),
        })
        .collect();
    alternatives.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    alternatives.truncate(3);

    let entities = Category::ALL
        .iter()
        .filter(|c| p.entities[c.index()] > 0)
        .map(|c| (*c, p.entities[c.index()]))
        .collect();

    Classification {
        category,
        role: category.role(),
        special_category: category.is_special(),
        confidence: round2(confidence.clamp(0.0, 1.0)),
        evidence,
        alternatives,
        entities,
    }
}
