//! Column transforms (the actions of a pipeline, DESIGN.md §5).
//!
//! A pipeline rule names an [`ActionSpec`] (`{ action = "mask", keep_last = 3 }`); the planner
//! calls [`build`] once per column with the column's detected [`Category`], the key and the
//! pattern set, and the executor calls [`ColumnTransform::apply`] on every batch.
//!
//! Rules shared by every action:
//! * nulls stay null; empty (or all-whitespace) strings stay as they are (nothing personal);
//! * a value the action cannot handle (a date that does not parse, a personal number with
//!   letters) becomes NULL and is counted in [`Transformed::problems`], with one masked
//!   example; it is never passed through untransformed;
//! * text actions cast non-string input to Utf8 first; numeric actions keep integers as
//!   `Int64` and everything else (floats, decimals, numeric text) as `Float64`.
//!
//! Keyed actions derive their own subkey from the [`Key`], so a pseudonym, an FPE value and a
//! date offset made with one key are independent.
//!
//! ```
//! use std::sync::Arc;
//! use anonkos::detect::{Category, PatternSet};
//! use anonkos::key::Key;
//! use anonkos::transform::{ActionSpec, build};
//! use arrow_array::{ArrayRef, StringArray};
//!
//! let spec: ActionSpec = toml::from_str(r#"action = "pseudonymise""#).unwrap();
//! let key = Key::from_bytes([7; 32]);
//! let patterns = Arc::new(PatternSet::embedded().unwrap());
//! let t = build(&spec, Category::PhoneNumber, Some(&key), patterns).unwrap();
//! let col: ArrayRef = Arc::new(StringArray::from(vec![Some("044 123 456"), Some("+38344123456"), None]));
//! let out = t.apply(&col, None).unwrap();
//! let a = out.array.as_any().downcast_ref::<StringArray>().unwrap();
//! assert_eq!(a.value(0), a.value(1)); // one person, one token
//! assert_eq!((out.changed, out.problems), (2, 0));
//! ```
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, StringArray, builder::StringBuilder};
use arrow_schema::DataType;
use serde::Deserialize;

use crate::detect::{Category, PatternSet};
use crate::error::{Error, Result};
use crate::key::Key;

mod cache;
pub mod date_shift;
pub mod fictitious;
pub mod fpe;
pub mod generalise;
pub mod keep;
pub mod mask;
pub mod noise;
mod numeric;
pub mod pseudonymise;
pub mod redact;
pub mod redact_entities;
pub mod suppress;
pub mod top_code;

pub use fpe::reveal;
pub use suppress::SubjectList;

/// One action, as written in a pipeline rule. The tag is `action`; unknown actions and
/// unknown parameters are errors.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionSpec {
    /// Keep the column unchanged (`{ action = "keep" }`; a struct variant so that unknown
    /// parameters are rejected like everywhere else).
    Keep {},
    /// Remove the column from the output.
    Drop {},
    /// Replace every non-empty value by a constant.
    Redact {
        /// The constant (default `[REDACTED]`).
        #[serde(default)]
        with: Option<String>,
    },
    /// Keep the first and last characters, replace the rest (length preserved). At most half
    /// of a value's characters are ever kept: shorter values are masked more.
    Mask {
        /// Characters kept at the start (default 0).
        #[serde(default)]
        keep_first: Option<usize>,
        /// Characters kept at the end (default 3).
        #[serde(default)]
        keep_last: Option<usize>,
        /// The mask character (default `*`).
        #[serde(default)]
        char: Option<char>,
    },
    /// Keyed token: HMAC-SHA256 of the normalised identifier under a per-kind subkey, encoded
    /// in lower-case base32. Needs a key.
    Pseudonymise {
        /// Identifier kind ([`IdKind`] name); default: from the column's category.
        #[serde(default)]
        kind: Option<String>,
        /// Token length in base32 characters, 8–52 (default 16 = 80 bits).
        #[serde(default)]
        length: Option<usize>,
        /// Text put before each token (default none).
        #[serde(default)]
        prefix: Option<String>,
    },
    /// Format-preserving encryption (FF1/AES-256), reversible with the key (`anonkos
    /// reveal`). Needs a key.
    Fpe {
        /// Identifier kind ([`IdKind`] name); default: from the column's category.
        #[serde(default)]
        kind: Option<String>,
    },
    /// Keyed, deterministic, format-keeping values in ranges no one holds (phones in an
    /// unassigned code, e-mails under `example.org`, accounts under an unused bank code, JMBGs
    /// in an unused area); not reversible. Needs a key.
    Fictitious {
        /// Identifier kind ([`IdKind`] name); default: from the column's category.
        #[serde(default)]
        kind: Option<String>,
    },
    /// Replace values by coarser ones.
    Generalise {
        /// The target level.
        to: generalise::Level,
        /// Band width for `year_band` (default 5) and `age_band` (default 5).
        #[serde(default)]
        width: Option<u32>,
        /// Bin edges for `bins` (ascending).
        #[serde(default)]
        bins: Option<Vec<f64>>,
        /// Digits kept by `postal_prefix` (default 2).
        #[serde(default)]
        digits: Option<usize>,
    },
    /// Shift dates by a keyed per-subject offset in `±max_days` (never 0). Needs a key.
    DateShift {
        /// Largest shift in days (≥ 1).
        max_days: u32,
    },
    /// Add keyed, bounded uniform noise. Needs a key.
    Noise {
        /// Largest absolute change (default: none).
        #[serde(default)]
        max_abs: Option<f64>,
        /// Largest change relative to the value, e.g. `0.05` for ±5 % (default: none).
        #[serde(default)]
        max_relative: Option<f64>,
    },
    /// Values above `at` become `at`.
    TopCode {
        /// The ceiling.
        at: f64,
    },
    /// Values below `at` become `at`.
    BottomCode {
        /// The floor.
        at: f64,
    },
    /// Free text: replace each embedded identifier by a typed placeholder (`[PHONE]`) or by
    /// its pseudonym (`[PHONE:…]`, needs a key).
    RedactEntities {
        /// `placeholder` (default) or `pseudonym`.
        #[serde(default)]
        replace_with: Option<redact_entities::ReplaceWith>,
    },
}

impl ActionSpec {
    /// Every action name, for "did you mean" hints.
    pub const NAMES: &[&str] = &[
        "keep",
        "drop",
        "redact",
        "mask",
        "pseudonymise",
        "fpe",
        "fictitious",
        "generalise",
        "date_shift",
        "noise",
        "top_code",
        "bottom_code",
        "redact_entities",
    ];

    /// The action's name as written in pipelines.
    pub fn name(&self) -> &'static str {
        match self {
            ActionSpec::Keep {} => "keep",
            ActionSpec::Drop {} => "drop",
            ActionSpec::Redact { .. } => "redact",
            ActionSpec::Mask { .. } => "mask",
            ActionSpec::Pseudonymise { .. } => "pseudonymise",
            ActionSpec::Fpe { .. } => "fpe",
            ActionSpec::Fictitious { .. } => "fictitious",
            ActionSpec::Generalise { .. } => "generalise",
            ActionSpec::DateShift { .. } => "date_shift",
            ActionSpec::Noise { .. } => "noise",
            ActionSpec::TopCode { .. } => "top_code",
            ActionSpec::BottomCode { .. } => "bottom_code",
            ActionSpec::RedactEntities { .. } => "redact_entities",
        }
    }

    /// Whether the action needs a key.
    pub fn needs_key(&self) -> bool {
        matches!(
            self,
            ActionSpec::Pseudonymise { .. }
                | ActionSpec::Fpe { .. }
                | ActionSpec::Fictitious { .. }
                | ActionSpec::DateShift { .. }
                | ActionSpec::Noise { .. }
                | ActionSpec::RedactEntities {
                    replace_with: Some(redact_entities::ReplaceWith::Pseudonym)
                }
        )
    }
}

/// The result of transforming one array.
#[derive(Debug, Clone)]
pub struct Transformed {
    /// The output column (same length as the input).
    pub array: ArrayRef,
    /// Non-null values whose output differs from the input.
    pub changed: u64,
    /// Values the action could not handle (now NULL).
    pub problems: u64,
    /// One problem value, masked with [`crate::redact`]; never raw.
    pub problem_example: Option<String>,
}

/// A transform bound to one column.
pub trait ColumnTransform: Send + Sync {
    /// The action name.
    fn name(&self) -> &'static str;
    /// The output type for an input type; `None` means the column is dropped.
    fn output_type(&self, input: &DataType) -> Option<DataType>;
    /// Transform one array. `subjects` is, per row, the normalised identifier of the person
    /// the row is about (e.g. the personal number); `date_shift` and `noise` key their
    /// offsets on it. Without it (or where a row's subject is null) they key on the value
    /// itself: deterministic, but intervals between a person's dates are not kept.
    fn apply(&self, input: &ArrayRef, subjects: Option<&StringArray>) -> Result<Transformed>;
}

/// The kind of an identifier: chooses normalisation, pseudonym domain and FPE format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// Kosovo personal number (10 digits).
    PersonalNumber,
    /// JMBG (13 digits).
    Jmbg,
    /// Phone number (E.164).
    Phone,
    /// E-mail address.
    Email,
    /// IBAN.
    Iban,
    /// Domestic 16-digit bank account.
    Account,
    /// Passport number.
    Passport,
    /// ID-card number.
    IdCard,
    /// Vehicle plate.
    Plate,
    /// IP address.
    Ip,
    /// Person name (folded).
    Name,
    /// Any digit string.
    Digits,
    /// Any letters-and-digits code (upper-cased).
    Alnum,
    /// Any other text (trimmed, spaces collapsed).
    Text,
}

impl IdKind {
    /// Every kind.
    pub const ALL: [IdKind; 14] = [
        IdKind::PersonalNumber,
        IdKind::Jmbg,
        IdKind::Phone,
        IdKind::Email,
        IdKind::Iban,
        IdKind::Account,
        IdKind::Passport,
        IdKind::IdCard,
        IdKind::Plate,
        IdKind::Ip,
        IdKind::Name,
        IdKind::Digits,
        IdKind::Alnum,
        IdKind::Text,
    ];

    /// The name used in pipelines (`kind = "phone"`) and in key domains.
    pub fn name(self) -> &'static str {
        match self {
            IdKind::PersonalNumber => "personal_number",
            IdKind::Jmbg => "jmbg",
            IdKind::Phone => "phone",
            IdKind::Email => "email",
            IdKind::Iban => "iban",
            IdKind::Account => "account",
            IdKind::Passport => "passport",
            IdKind::IdCard => "id_card",
            IdKind::Plate => "plate",
            IdKind::Ip => "ip",
            IdKind::Name => "name",
            IdKind::Digits => "digits",
            IdKind::Alnum => "alnum",
            IdKind::Text => "text",
        }
    }

    /// Parse a kind name; category names (`kosovo_personal_number`) are accepted too.
    pub fn from_name(s: &str) -> Option<IdKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .or_else(|| Category::from_name(s).map(IdKind::from_category))
    }

    /// The kind that fits a detected category (`Text` for anything not an identifier).
    pub fn from_category(c: Category) -> IdKind {
        match c {
            Category::KosovoPersonalNumber => IdKind::PersonalNumber,
            Category::Jmbg => IdKind::Jmbg,
            Category::PhoneNumber => IdKind::Phone,
            Category::Email => IdKind::Email,
            Category::Iban => IdKind::Iban,
            Category::BankAccount => IdKind::Account,
            Category::PassportNumber => IdKind::Passport,
            Category::IdCardNumber => IdKind::IdCard,
            Category::VehiclePlate => IdKind::Plate,
            Category::IpAddress => IdKind::Ip,
            Category::PersonName => IdKind::Name,
            Category::BusinessId => IdKind::Alnum,
            _ => IdKind::Text,
        }
    }

    /// The placeholder used by `redact_entities`, e.g. `PHONE`.
    pub fn label(self) -> &'static str {
        match self {
            IdKind::PersonalNumber => "PERSONAL_NUMBER",
            IdKind::Jmbg => "JMBG",
            IdKind::Phone => "PHONE",
            IdKind::Email => "EMAIL",
            IdKind::Iban => "IBAN",
            IdKind::Account => "ACCOUNT",
            IdKind::Passport => "PASSPORT",
            IdKind::IdCard => "ID_CARD",
            IdKind::Plate => "PLATE",
            IdKind::Ip => "IP",
            IdKind::Name => "NAME",
            IdKind::Digits | IdKind::Alnum | IdKind::Text => "ID",
        }
    }
}

/// Normalise an identifier so that every spelling of one value gives one string:
/// digits only for personal numbers, JMBG and accounts (with the right length), E.164
/// `+383…` for phones, upper-case IBAN without spaces, lower-case e-mail, folded text for
/// names. `None` when the value is not a well-formed identifier of that kind.
pub fn normalise_identifier(kind: IdKind, raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    let only_digits_and_separators = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '/' | '\u{a0}'))
    };
    // Sized up front: collecting a filter grows the string from nothing, a reallocation
    // for every identifier longer than eight characters (a token costs one per value).
    let digits = |s: &str| {
        let mut d = String::with_capacity(s.len());
        d.extend(s.chars().filter(char::is_ascii_digit));
        d
    };
    let alnum_upper = |s: &str| {
        let mut d = String::with_capacity(s.len());
        d.extend(
            s.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_uppercase()),
        );
        d
    };
    match kind {
        IdKind::PersonalNumber | IdKind::Jmbg | IdKind::Account | IdKind::Digits => {
            if !only_digits_and_separators(t) {
                return None;
            }
            let d = digits(t);
            let want = match kind {
                IdKind::PersonalNumber => Some(10),
                IdKind::Jmbg => Some(13),
                IdKind::Account => Some(16),
                _ => None,
            };
            (want.is_none_or(|n| d.len() == n) && !d.is_empty()).then_some(d)
        }
        IdKind::Phone => {
            if !t
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '/' | '(' | ')' | '+'))
            {
                return None;
            }
            // "+383 (0)44 …": the trunk 0 in brackets is not part of the number.
            let t = t.replace("(0)", "");
            let n: String = t
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect();
            if crate::detect::validators::phone::is_valid(&n) {
                let (cc, nsn) = crate::detect::validators::phone::split(&n)?;
                let cc = if cc == "0" { "383" } else { cc };
                return Some(format!("+{cc}{nsn}"));
            }
            // Other countries: keep E.164 as written.
            let intl = n.strip_prefix('+').or_else(|| n.strip_prefix("00"))?;
            ((7..=15).contains(&intl.len()) && intl.bytes().all(|b| b.is_ascii_digit()))
                .then(|| format!("+{intl}"))
        }
        IdKind::Email => {
            let e = t.to_lowercase();
            let (l, d) = e.rsplit_once('@')?;
            (!l.is_empty() && !d.is_empty() && !e.contains(char::is_whitespace)).then_some(e)
        }
        IdKind::Iban => {
            let s = alnum_upper(t);
            let b = s.as_bytes();
            ((15..=34).contains(&b.len())
                && b[..2].iter().all(u8::is_ascii_uppercase)
                && b[2..4].iter().all(u8::is_ascii_digit))
            .then_some(s)
        }
        IdKind::Passport | IdKind::IdCard | IdKind::Plate | IdKind::Alnum => {
            let s = alnum_upper(t);
            (!s.is_empty()).then_some(s)
        }
        IdKind::Ip => Some(t.to_ascii_lowercase()),
        IdKind::Name => {
            let f = crate::detect::fold::fold(t);
            let s = f.split_whitespace().collect::<Vec<_>>().join(" ");
            (!s.is_empty()).then_some(s)
        }
        IdKind::Text => Some(t.split_whitespace().collect::<Vec<_>>().join(" ")),
    }
}

/// Build the transform for one column. `category` is the column's detected category: it
/// picks the identifier kind of `pseudonymise`/`fpe` when no `kind` is given.
///
/// Errors (`Error::Config`): an action that needs a key without one, an unknown `kind`, an
/// `fpe` for a category whose format it cannot preserve, bad parameters.
pub fn build(
    spec: &ActionSpec,
    category: Category,
    key: Option<&Key>,
    patterns: Arc<PatternSet>,
) -> Result<Box<dyn ColumnTransform>> {
    let need_key = || {
        key.ok_or_else(|| {
            config_error(format!(
                "action \"{}\" needs a key: give --key-file or set ANONKOS_KEY (anonkos keygen makes one)",
                spec.name()
            ))
        })
    };
    let kind_of = |kind: &Option<String>| -> Result<IdKind> {
        match kind {
            Some(k) => IdKind::from_name(k).ok_or_else(|| {
                config_error(format!(
                    "unknown identifier kind \"{k}\"; known: {}",
                    IdKind::ALL.map(IdKind::name).join(", ")
                ))
            }),
            None => Ok(IdKind::from_category(category)),
        }
    };
    Ok(match spec {
        ActionSpec::Keep {} => Box::new(keep::Keep),
        ActionSpec::Drop {} => Box::new(keep::DropColumn),
        ActionSpec::Redact { with } => Box::new(redact::Redact::new(with.clone())),
        ActionSpec::Mask {
            keep_first,
            keep_last,
            char,
        } => Box::new(mask::Mask::new(
            keep_first.unwrap_or(0),
            keep_last.unwrap_or(3),
            char.unwrap_or('*'),
        )),
        ActionSpec::Pseudonymise {
            kind,
            length,
            prefix,
        } => {
            let params = pseudonymise::TokenParams::new(*length, prefix.clone())?;
            Box::new(pseudonymise::Pseudonymise::new(
                need_key()?,
                kind_of(kind)?,
                params,
            ))
        }
        ActionSpec::Fpe { kind } => Box::new(fpe::Fpe::new(need_key()?, kind_of(kind)?)?),
        ActionSpec::Fictitious { kind } => Box::new(fictitious::Fictitious::new(
            need_key()?,
            kind_of(kind)?,
            &patterns,
        )?),
        ActionSpec::Generalise {
            to,
            width,
            bins,
            digits,
        } => Box::new(generalise::Generalise::new(
            *to,
            *width,
            bins.clone(),
            *digits,
            patterns,
        )?),
        ActionSpec::DateShift { max_days } => {
            Box::new(date_shift::DateShift::new(need_key()?, *max_days)?)
        }
        ActionSpec::Noise {
            max_abs,
            max_relative,
        } => Box::new(noise::Noise::new(need_key()?, *max_abs, *max_relative)?),
        ActionSpec::TopCode { at } => Box::new(top_code::Clamp::top(*at)?),
        ActionSpec::BottomCode { at } => Box::new(top_code::Clamp::bottom(*at)?),
        ActionSpec::RedactEntities { replace_with } => {
            let rw = replace_with.unwrap_or_default();
            let key = match rw {
                redact_entities::ReplaceWith::Pseudonym => Some(need_key()?),
                redact_entities::ReplaceWith::Placeholder => None,
            };
            Box::new(redact_entities::RedactEntities::new(rw, key, patterns)?)
        }
    })
}

/// A configuration error without a file (the planner adds the pipeline path and rule).
pub(crate) fn config_error(msg: impl Into<String>) -> Error {
    Error::Config {
        path: "pipeline".into(),
        line: None,
        msg: msg.into(),
    }
}

/// The input as a Utf8 array (cast when needed).
pub(crate) fn as_utf8(input: &ArrayRef) -> Result<ArrayRef> {
    if input.data_type() == &DataType::Utf8 {
        return Ok(input.clone());
    }
    arrow_cast::cast(input, &DataType::Utf8).map_err(|e| {
        Error::Internal(format!(
            "cannot cast {} to text for a text transform: {e}",
            input.data_type()
        ))
    })
}

/// Apply `f` to every non-null, non-blank string. `f` returns the new value, or `None` for a
/// problem (the output is NULL and the value is counted, masked, as a problem).
pub(crate) fn map_text(
    input: &ArrayRef,
    subjects: Option<&StringArray>,
    mut f: impl FnMut(&str, Option<&str>, &mut String) -> bool,
) -> Result<Transformed> {
    let arr = as_utf8(input)?;
    Ok(map_rows(string_array(&arr)?, subjects, |_, v, s, out| {
        f(v, s, out)
    }))
}

/// `a` (a `Utf8` array, as [`as_utf8`] makes it) as a [`StringArray`].
pub(crate) fn string_array(a: &ArrayRef) -> Result<&StringArray> {
    a.as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| Error::Internal("Utf8 array is not a StringArray".into()))
}

/// The value of row `i` that a text action handles: `None` for NULL and blank cells, which
/// [`map_rows`] passes through unchanged.
pub(crate) fn text_at(arr: &StringArray, i: usize) -> Option<&str> {
    (!arr.is_null(i))
        .then(|| arr.value(i))
        .filter(|v| !v.trim().is_empty())
}

/// [`map_text`] with the row number: `f(row, value, subject, out)` for every row
/// [`text_at`] gives a value.
pub(crate) fn map_rows(
    arr: &StringArray,
    subjects: Option<&StringArray>,
    mut f: impl FnMut(usize, &str, Option<&str>, &mut String) -> bool,
) -> Transformed {
    let mut b = StringBuilder::with_capacity(arr.len(), arr.value_data().len());
    let (mut changed, mut problems, mut example) = (0u64, 0u64, None);
    let mut buf = String::new();
    for i in 0..arr.len() {
        let Some(v) = text_at(arr, i) else {
            if arr.is_null(i) {
                b.append_null();
            } else {
                b.append_value(arr.value(i));
            }
            continue;
        };
        let subject = subjects.and_then(|s| (i < s.len() && s.is_valid(i)).then(|| s.value(i)));
        buf.clear();
        if f(i, v, subject, &mut buf) {
            if buf != v {
                changed += 1;
            }
            b.append_value(&buf);
        } else {
            problems += 1;
            if example.is_none() {
                example = Some(crate::redact::mask(v));
            }
            b.append_null();
        }
    }
    Transformed {
        array: Arc::new(b.finish()),
        changed,
        problems,
        problem_example: example,
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    pub fn key(n: u8) -> Key {
        Key::from_bytes([n; 32])
    }

    pub fn patterns() -> Arc<PatternSet> {
        static SET: std::sync::OnceLock<Arc<PatternSet>> = std::sync::OnceLock::new();
        SET.get_or_init(|| Arc::new(PatternSet::embedded().expect("embedded patterns")))
            .clone()
    }

    pub fn strings(v: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    pub fn out(t: &Transformed) -> Vec<Option<String>> {
        let a = t
            .array
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("string output");
        (0..a.len())
            .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
            .collect()
    }

    /// Run a transform on one string value.
    pub fn one(t: &dyn ColumnTransform, v: &str) -> Option<String> {
        let r = t.apply(&strings(&[Some(v)]), None).expect("apply");
        out(&r).remove(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Rule {
        #[serde(flatten)]
        action: ActionSpec,
    }

    #[test]
    fn specs_parse_from_toml() {
        let m: ActionSpec = toml::from_str("action = \"mask\"\nkeep_last = 3").unwrap();
        assert_eq!(
            m,
            ActionSpec::Mask {
                keep_first: None,
                keep_last: Some(3),
                char: None
            }
        );
        let k: ActionSpec = toml::from_str("action = \"keep\"").unwrap();
        assert_eq!(k, ActionSpec::Keep {});
        let g: ActionSpec = toml::from_str("action = \"generalise\"\nto = \"year\"").unwrap();
        assert_eq!(g.name(), "generalise");
        let _ = Rule {
            action: ActionSpec::Keep {},
        }
        .action;
        for bad in [
            "action = \"maskk\"",
            "action = \"mask\"\nkeep_lst = 3",
            "action = \"keep\"\nx = 1",
        ] {
            assert!(toml::from_str::<ActionSpec>(bad).is_err(), "{bad}");
        }
        for n in ActionSpec::NAMES {
            let src = match *n {
                "generalise" => format!("action = \"{n}\"\nto = \"year\""),
                "date_shift" => format!("action = \"{n}\"\nmax_days = 3"),
                "top_code" | "bottom_code" => format!("action = \"{n}\"\nat = 3.0"),
                _ => format!("action = \"{n}\""),
            };
            let s: ActionSpec = toml::from_str(&src).unwrap();
            assert_eq!(s.name(), *n);
        }
    }

    #[test]
    fn keyed_actions_refuse_to_run_without_a_key() {
        let p = test_util::patterns();
        for src in [
            "action = \"pseudonymise\"",
            "action = \"fpe\"",
            "action = \"fictitious\"",
            "action = \"date_shift\"\nmax_days = 5",
            "action = \"noise\"\nmax_abs = 1.0",
            "action = \"redact_entities\"\nreplace_with = \"pseudonym\"",
        ] {
            let s: ActionSpec = toml::from_str(src).unwrap();
            assert!(s.needs_key());
            let e = build(&s, Category::KosovoPersonalNumber, None, p.clone())
                .err()
                .expect("error");
            assert!(matches!(e, Error::Config { .. }), "{e}");
        }
    }

    #[test]
    fn build_picks_the_kind_from_the_category() {
        let p = test_util::patterns();
        let k = test_util::key(9);
        let spec: ActionSpec = toml::from_str("action = \"pseudonymise\"").unwrap();
        let by_cat = build(&spec, Category::PhoneNumber, Some(&k), p.clone()).unwrap();
        let explicit: ActionSpec =
            toml::from_str("action = \"pseudonymise\"\nkind = \"phone\"").unwrap();
        let by_kind = build(&explicit, Category::None, Some(&k), p.clone()).unwrap();
        assert_eq!(
            test_util::one(by_cat.as_ref(), "044 123 456"),
            test_util::one(by_kind.as_ref(), "+38344123456")
        );
        let fpe: ActionSpec = toml::from_str("action = \"fpe\"").unwrap();
        for c in [Category::Email, Category::PersonName, Category::FreeText] {
            let e = build(&fpe, c, Some(&k), p.clone()).err().expect("refused");
            assert!(matches!(e, Error::Config { .. }), "{e}");
        }
        let bad: ActionSpec = toml::from_str("action = \"fpe\"\nkind = \"nope\"").unwrap();
        assert!(build(&bad, Category::None, Some(&k), p.clone()).is_err());
        let fpe_pn = build(&fpe, Category::KosovoPersonalNumber, Some(&k), p).unwrap();
        let enc = test_util::one(fpe_pn.as_ref(), "1234567892").unwrap();
        assert_eq!(
            reveal(IdKind::PersonalNumber, &k, &enc).unwrap(),
            "1234567892"
        );
    }

    #[test]
    fn output_types() {
        let p = test_util::patterns();
        let k = test_util::key(9);
        let t = |src: &str| {
            let s: ActionSpec = toml::from_str(src).unwrap();
            build(&s, Category::Age, Some(&k), p.clone()).unwrap()
        };
        assert_eq!(t("action = \"drop\"").output_type(&DataType::Int32), None);
        assert_eq!(
            t("action = \"keep\"").output_type(&DataType::Int32),
            Some(DataType::Int32)
        );
        assert_eq!(
            t("action = \"top_code\"\nat = 90.0").output_type(&DataType::Int32),
            Some(DataType::Int64)
        );
        assert_eq!(
            t("action = \"noise\"\nmax_abs = 1.0").output_type(&DataType::Utf8),
            Some(DataType::Float64)
        );
        assert_eq!(
            t("action = \"generalise\"\nto = \"age_band\"").output_type(&DataType::Int32),
            Some(DataType::Utf8)
        );
        // Integer input to a text action is cast to text first.
        let a: ArrayRef = Arc::new(arrow_array::Int32Array::from(vec![Some(34), None]));
        let r = t("action = \"generalise\"\nto = \"age_band\"")
            .apply(&a, None)
            .unwrap();
        assert_eq!(test_util::out(&r), vec![Some("30-34".to_string()), None]);
    }

    #[test]
    fn normalisation_equates_spellings() {
        let n = |k, s| normalise_identifier(k, s);
        assert_eq!(
            n(IdKind::Phone, "044 123 456").as_deref(),
            Some("+38344123456")
        );
        assert_eq!(
            n(IdKind::Phone, "+383 44 123 456"),
            n(IdKind::Phone, "+38344123456")
        );
        assert_eq!(
            n(IdKind::Phone, "+383 (0)44 123 456"),
            n(IdKind::Phone, "00383 44 123 456")
        );
        assert_eq!(
            n(IdKind::PersonalNumber, "123 456 7892").as_deref(),
            Some("1234567892")
        );
        assert_eq!(n(IdKind::PersonalNumber, "12345678a2"), None);
        assert_eq!(n(IdKind::PersonalNumber, "123456789"), None);
        assert_eq!(
            n(IdKind::Iban, "xk05 1212 0123 4567 8906").as_deref(),
            Some("XK051212012345678906")
        );
        assert_eq!(
            n(IdKind::Email, " Arta.B@Example.COM ").as_deref(),
            Some("arta.b@example.com")
        );
        assert_eq!(
            n(IdKind::Name, "Arbën  THAÇI"),
            n(IdKind::Name, "arben thaci")
        );
    }
}
