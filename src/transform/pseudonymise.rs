//! `pseudonymise`: a keyed token per identifier.
//!
//! token = `prefix` + base32(HMAC-SHA256(subkey(kind), normalised value))[..length]
//!
//! The subkey is [`Key::derive`]`("pseudonymise/<kind>")`, so the same personal number gets the
//! same token in every table, file and run that uses the key, and different kinds (a phone and
//! a personal number that happen to share digits) never collide. Values are normalised first
//! ([`normalise_identifier`]): `044 123 456`, `+383 44 123 456` and `+38344123456` are one
//! person. A value that does not normalise (letters in a personal number) is a problem.
use arrow_array::{ArrayRef, StringArray};
use arrow_schema::DataType;
use hmac::Mac;

use super::{ColumnTransform, IdKind, Transformed, config_error, map_text, normalise_identifier};
use crate::error::Result;
use crate::key::{HmacSha256, Key, hmac_with};

/// Lower-case RFC 4648 base32 alphabet.
const B32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Token shape: length in base32 characters and prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenParams {
    /// Base32 characters (8–52).
    pub length: usize,
    /// Put before every token.
    pub prefix: String,
}

impl Default for TokenParams {
    fn default() -> Self {
        TokenParams {
            length: 16,
            prefix: String::new(),
        }
    }
}

impl TokenParams {
    /// Checked parameters (length 8–52, default 16; prefix default empty).
    pub fn new(length: Option<usize>, prefix: Option<String>) -> Result<TokenParams> {
        let length = length.unwrap_or(16);
        if !(8..=52).contains(&length) {
            return Err(config_error(format!(
                "pseudonymise: length must be 8–52 base32 characters (40–256 bits), not {length}"
            )));
        }
        Ok(TokenParams {
            length,
            prefix: prefix.unwrap_or_default(),
        })
    }
}

/// Makes tokens for one identifier kind under one key.
#[derive(Clone)]
pub struct Tokeniser {
    mac: HmacSha256,
    kind: IdKind,
    params: TokenParams,
}

impl Tokeniser {
    /// A tokeniser for `kind`.
    pub fn new(key: &Key, kind: IdKind, params: TokenParams) -> Tokeniser {
        let sub = key.derive(&format!("pseudonymise/{}", kind.name()));
        Tokeniser {
            mac: hmac_with(&sub),
            kind,
            params,
        }
    }

    /// The identifier kind.
    pub fn kind(&self) -> IdKind {
        self.kind
    }

    /// The token parameters.
    pub fn params(&self) -> &TokenParams {
        &self.params
    }

    /// Token of an already normalised value, appended to `out`.
    pub fn token_of_normalised(&self, norm: &str, out: &mut String) {
        let mut m = self.mac.clone();
        m.update(norm.as_bytes());
        let h: [u8; 32] = m.finalize().into_bytes().into();
        out.push_str(&self.params.prefix);
        // 5 bits per character, big-endian over the 256-bit digest.
        for i in 0..self.params.length {
            let bit = i * 5;
            let (byte, off) = (bit / 8, bit % 8);
            let hi = u16::from(h[byte]) << 8 | u16::from(*h.get(byte + 1).unwrap_or(&0));
            let v = (hi >> (11 - off)) & 31;
            out.push(char::from(B32[usize::from(v)]));
        }
    }

    /// Token of a raw value (normalised first); `None` when it does not normalise.
    pub fn token(&self, raw: &str) -> Option<String> {
        let n = normalise_identifier(self.kind, raw)?;
        let mut s = String::with_capacity(self.params.prefix.len() + self.params.length);
        self.token_of_normalised(&n, &mut s);
        Some(s)
    }

    /// Whether `s` has the shape of a token of these parameters.
    pub fn looks_like_token(&self, s: &str) -> bool {
        s.strip_prefix(self.params.prefix.as_str())
            .is_some_and(|t| t.len() == self.params.length && t.bytes().all(|b| B32.contains(&b)))
    }
}

/// The `pseudonymise` transform.
pub struct Pseudonymise {
    tok: Tokeniser,
}

impl Pseudonymise {
    /// Pseudonymise identifiers of `kind`.
    pub fn new(key: &Key, kind: IdKind, params: TokenParams) -> Pseudonymise {
        Pseudonymise {
            tok: Tokeniser::new(key, kind, params),
        }
    }
}

impl ColumnTransform for Pseudonymise {
    fn name(&self) -> &'static str {
        "pseudonymise"
    }
    fn output_type(&self, _: &DataType) -> Option<DataType> {
        Some(DataType::Utf8)
    }
    fn apply(&self, input: &ArrayRef, subjects: Option<&StringArray>) -> Result<Transformed> {
        // Names and codes repeat within a batch: each distinct value is hashed once.
        let arr = super::as_utf8(input)?;
        let mut cache = super::cache::Cache::for_batch(super::string_array(&arr)?);
        map_text(&arr, subjects, |v, _, out| {
            cache.get_or(v, out, |v, out| {
                match normalise_identifier(self.tok.kind, v) {
                    Some(n) => {
                        self.tok.token_of_normalised(&n, out);
                        true
                    }
                    None => false,
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::*;
    use proptest::prelude::*;

    fn p(k: u8, kind: IdKind) -> Pseudonymise {
        Pseudonymise::new(&key(k), kind, TokenParams::default())
    }

    #[test]
    fn bad_values_are_problems_not_passed_through() {
        let t = p(1, IdKind::PersonalNumber)
            .apply(
                &strings(&[Some("12345678a2"), Some("1234567892"), None, Some("123")]),
                None,
            )
            .unwrap();
        let o = out(&t);
        assert_eq!(o[0], None);
        assert_eq!(o[1].as_ref().map(String::len), Some(16));
        assert_eq!(o[2], None);
        assert_eq!(o[3], None);
        assert_eq!((t.changed, t.problems), (1, 2));
        let ex = t.problem_example.unwrap();
        assert!(!ex.contains("12345678a2"), "{ex}");
    }

    #[test]
    fn prefix_and_length() {
        let ps = Pseudonymise::new(
            &key(1),
            IdKind::Email,
            TokenParams::new(Some(10), Some("em_".into())).unwrap(),
        );
        let o = one(&ps, "a@b.com").unwrap();
        assert!(o.starts_with("em_") && o.len() == 13, "{o}");
        assert!(TokenParams::new(Some(4), None).is_err());
    }

    #[test]
    fn kinds_are_domain_separated() {
        assert_ne!(
            one(&p(1, IdKind::Digits), "1234567892"),
            one(&p(1, IdKind::PersonalNumber), "1234567892")
        );
    }

    proptest! {
        #[test]
        fn phone_spellings_give_one_token(sub in "[0-9]{6}", op in "4[3-9]") {
            let ps = p(3, IdKind::Phone);
            let a = one(&ps, &format!("0{op} {} {}", &sub[..3], &sub[3..]));
            let b = one(&ps, &format!("+383 {op} {} {}", &sub[..3], &sub[3..]));
            let c = one(&ps, &format!("+383{op}{sub}"));
            let d = one(&ps, &format!("00383-{op}-{sub}"));
            prop_assert!(a.is_some());
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(&a, &c);
            prop_assert_eq!(&a, &d);
        }

        #[test]
        fn deterministic_keyed_and_never_the_value(pn in "[1-9][0-9]{9}") {
            let a = one(&p(1, IdKind::PersonalNumber), &pn).unwrap();
            prop_assert_eq!(Some(a.clone()), one(&p(1, IdKind::PersonalNumber), &pn));
            prop_assert_ne!(Some(a.clone()), one(&p(2, IdKind::PersonalNumber), &pn));
            prop_assert!(!a.contains(&pn));
            prop_assert_ne!(&a, &pn);
        }
    }
}
