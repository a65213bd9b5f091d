//! `fpe`: format-preserving encryption with FF1 (NIST SP 800-38G) over AES-256, reversible
//! with the key ([`reveal`], `anonkos reveal`).
//!
//! One FF1 key, [`Key::derive`]`("fpe")`; the tweak is the identifier kind's name, so the same
//! digits encrypt differently as a phone and as a personal number. Formats kept per kind
//! (separators and spacing stay where they were; only the identifier's characters change):
//!
//! * **personal number** (10 digits): a number that passes the (unverified) mod-11 rule
//!   stays valid: its first nine digits are encrypted, cycle-walking until the first digit is
//!   not 9, and the check digit is recomputed. Numbers starting with 9 (which skip the check)
//!   keep the 9 and encrypt the other nine. Numbers that fail the rule are encrypted as ten
//!   digits, cycle-walking until the result fails it too. So validity is kept both ways.
//! * **JMBG** (13 digits): the birth date (1900-01-01 to 2049-12-31, as a day number), the
//!   region and the serial are encrypted together as one 10-digit number, cycle-walking until
//!   the day is in range and the combination's mod-11 remainder is not 1 (numbers that are
//!   never issued); the control digit is recomputed. A wrong control digit stays wrong by
//!   the same amount, so reversal is exact. Dates outside the range are problems.
//! * **IBAN** (`XK`, 20 characters) and **domestic accounts** (16 digits): the 14 account
//!   digits are encrypted, the two national check digits recomputed so the BBAN keeps its
//!   mod-97 remainder (valid stays valid), then the IBAN check digits are recomputed. IBANs
//!   of other countries and IBANs with wrong check digits are problems.
//! * **phone**: the country code, trunk prefix and operator/area code stay; the last six
//!   (subscriber) digits are encrypted. Toll-free and premium numbers are problems.
//! * **passport, ID card, plate, alnum**: with six digits or more, the digits are encrypted
//!   and the letters kept; otherwise all letters and digits are encrypted over `0-9A-Z`
//!   (upper-cased), cycle-walking so the result has fewer than six digits too.
//! * **digits**: all digits (at least six, FF1's minimum domain of 10⁶) are encrypted.
//!
//! E-mail, names, IP addresses and free text have no format FF1 can keep:
//! [`build`](super::build) refuses them.
use arrow_array::{Array, ArrayRef, StringArray};
use arrow_schema::DataType;
use hashbrown::HashTable;
use smallvec::SmallVec;

use super::cache::repeats_enough;
use super::{ColumnTransform, IdKind, Transformed, as_utf8, config_error, map_rows};
use super::{string_array, text_at};
use crate::detect::hash::hash_bytes;
use crate::error::{Error, Location, Result};
use crate::key::Key;

mod batch;
mod engine;
pub mod ff1;
mod kinds;

use engine::{Engine, Tag};
use kinds::Work;
#[cfg(test)]
use kinds::{iban_check, mod97};

/// Numerals of one value (identifiers are short: no allocation up to 24).
type Numerals = SmallVec<[u16; 24]>;

/// The FF1 ciphers for one key and kind.
pub struct Fpe {
    kind: IdKind,
    engine: Engine,
    /// Only the general FF1 implementation (the baseline of `benches/transform.rs`).
    general_only: bool,
    /// Whether [`apply`](ColumnTransform::apply) encrypts each distinct value once per batch.
    cache: bool,
}

impl Fpe {
    /// FPE for `kind`; `Error::Config` for kinds whose format cannot be preserved.
    pub fn new(key: &Key, kind: IdKind) -> Result<Fpe> {
        if matches!(
            kind,
            IdKind::Email | IdKind::Name | IdKind::Ip | IdKind::Text
        ) {
            return Err(config_error(format!(
                "fpe cannot preserve the format of {} values; use pseudonymise (or kind = \"digits\"/\"alnum\")",
                kind.name()
            )));
        }
        let tweak = format!("anonkos.fpe/{}", kind.name()).into_bytes();
        Ok(Fpe {
            kind,
            engine: Engine::new(&key.derive("fpe"), tweak)?,
            general_only: false,
            cache: true,
        })
    }

    /// The same transform on the general FF1 implementation alone (big integers, no
    /// prepared domains, no per-batch cache): the same outputs, at the speed `fpe` had before
    /// the specialised one. For benchmarks and tests.
    #[doc(hidden)]
    pub fn new_general(key: &Key, kind: IdKind) -> Result<Fpe> {
        Ok(Fpe {
            general_only: true,
            cache: false,
            ..Fpe::new(key, kind)?
        })
    }

    /// The same transform without the per-batch cache (to measure it).
    #[doc(hidden)]
    pub fn without_cache(self) -> Fpe {
        Fpe {
            cache: false,
            ..self
        }
    }

    /// One FF1 step (encrypt or decrypt) of `x`, in place.
    fn step(&self, tag: Tag, x: &mut [u16], decrypt: bool) -> Option<()> {
        let ok = if self.general_only {
            self.engine.step_general(tag, x, decrypt)
        } else {
            self.engine.step(tag, x, decrypt)
        };
        ok.then_some(())
    }

    /// Encrypt (or decrypt) one value; `None` when it is not of the kind's format.
    pub fn apply_one(&self, v: &str, decrypt: bool) -> Option<String> {
        let mut out = String::with_capacity(v.len());
        self.write_one(v, decrypt, &mut out).then_some(out)
    }

    /// Encrypt (or decrypt) one value into `out`; `false` when it is not of the kind's format
    /// (`out` then holds nothing meaningful).
    fn write_one(&self, v: &str, decrypt: bool, out: &mut String) -> bool {
        let mut works = [self.start(v)];
        self.run(&mut works, decrypt);
        let [w] = works;
        w.and_then(|w| self.finish(v, w, out)).is_some()
    }
}

impl ColumnTransform for Fpe {
    fn name(&self) -> &'static str {
        "fpe"
    }
    fn output_type(&self, _: &DataType) -> Option<DataType> {
        Some(DataType::Utf8)
    }
    /// The batch in three passes: one unit of work per distinct value, FF1 for all of them
    /// at once (`batch`), then the values written back in row order.
    fn apply(&self, input: &ArrayRef, subjects: Option<&StringArray>) -> Result<Transformed> {
        let text = as_utf8(input)?;
        let arr = string_array(&text)?;
        let (mut works, row_work) = self.distinct_works(arr);
        self.run(&mut works, false);
        Ok(map_rows(arr, subjects, |i, v, _, out| {
            let w = row_work.get(i).and_then(|&k| works.get(k as usize));
            match w.cloned().flatten() {
                Some(w) => self.finish(v, w, out).is_some(),
                None => false,
            }
        }))
    }
}

impl Fpe {
    /// The works of a batch and, per row, the index of its work (`u32::MAX` for NULL and
    /// blank cells). Equal values share one work when the batch repeats enough to pay for
    /// hashing every value ([`repeats_enough`]).
    fn distinct_works(&self, arr: &StringArray) -> (Vec<Option<Work>>, Vec<u32>) {
        let mut works: Vec<Option<Work>> = Vec::with_capacity(arr.len());
        let mut first_row: Vec<usize> = Vec::new();
        let mut row_work = vec![u32::MAX; arr.len()];
        let mut seen: HashTable<u32> = HashTable::new();
        let dedup = self.cache && repeats_enough(arr);
        for (i, slot) in row_work.iter_mut().enumerate() {
            let Some(v) = text_at(arr, i) else { continue };
            let Ok(k) = u32::try_from(works.len()) else {
                break; // more than 2³² values in one batch: never (batches are bounded)
            };
            if dedup {
                let hash = hash_bytes(v.as_bytes());
                let same = |&w: &u32| arr.value(first_row[w as usize]) == v;
                if let Some(&w) = seen.find(hash, same) {
                    *slot = w;
                    continue;
                }
                seen.insert_unique(hash, k, |&w| {
                    hash_bytes(arr.value(first_row[w as usize]).as_bytes())
                });
            }
            if dedup {
                first_row.push(i); // only the repeat lookups read it
            }
            works.push(self.start(v));
            *slot = k;
        }
        (works, row_work)
    }
}

/// Reverse an `fpe` value of `kind` made with `key` (`anonkos reveal`). The error names the
/// value only masked.
pub fn reveal(kind: IdKind, key: &Key, value: &str) -> Result<String> {
    Fpe::new(key, kind)?.apply_one(value, true).ok_or_else(|| {
        Error::input(
            Location::dataset("reveal"),
            format!(
                "{} is not an fpe value of kind {}",
                crate::redact::mask(value),
                kind.name()
            ),
        )
    })
}

#[cfg(test)]
mod tests;
