//! `fictitious`: keyed, deterministic, format-keeping pseudonyms that cannot belong to anyone
//! (issue 21; guarantees and sources in `docs/test-copies.md`).
//!
//! An `fpe` value lies in the dense space of real identifiers, so it is often someone else's
//! real phone number or account. A `fictitious` value lies in a range no one holds, listed with
//! its source in `patterns/fictitious/ranges.toml` (data, checked when the action is built):
//!
//! * **phone**: a destination code no operator or area is assigned ([`phone`]);
//! * **e-mail**: an address under `example.org` (RFC 2606) keeping the local part's shape
//!   ([`email`]);
//! * **IBAN / account**: a bank code no bank uses, valid national and IBAN check digits
//!   ([`bank`]);
//! * **JMBG**: a registration area that was never used, valid date and control digit
//!   ([`jmbg`]).
//!
//! Same key and value ⇒ same output (joins survive across tables, files and runs); numbers go
//! through a keyed permutation ([`feistel`]), so distinct inputs stay distinct. It is not
//! reversible (use `fpe` where the controller must `reveal`). Personal numbers, passports and
//! other kinds have no range known to be unissued: [`build`](super::build) refuses them and
//! the planner says to keep `fpe` there, with its caveat.
use arrow_array::{ArrayRef, StringArray};
use arrow_schema::DataType;

use super::{ColumnTransform, IdKind, Transformed, config_error, map_text};
use crate::detect::PatternSet;
use crate::error::Result;
use crate::key::Key;

pub mod bank;
pub mod email;
pub mod feistel;
pub mod jmbg;
pub mod phone;
pub mod ranges;

/// The kinds `fictitious` has a range for.
pub const KINDS: [IdKind; 5] = [
    IdKind::Phone,
    IdKind::Email,
    IdKind::Iban,
    IdKind::Account,
    IdKind::Jmbg,
];

enum Mapper {
    Phone(phone::Phones),
    Email(email::Emails),
    Iban(bank::Accounts),
    Account(bank::Accounts),
    Jmbg(jmbg::Jmbgs),
}

/// The `fictitious` transform for one identifier kind.
pub struct Fictitious {
    mapper: Mapper,
}

impl Fictitious {
    /// The transform for `kind` under `key`, with the ranges of the pattern pack.
    /// `Error::Config` for a kind without a range no one holds, or a bad ranges file.
    pub fn new(key: &Key, kind: IdKind, patterns: &PatternSet) -> Result<Fictitious> {
        if !KINDS.contains(&kind) {
            return Err(config_error(format!(
                "fictitious has no range that no one holds for {} values; use fpe (reversible, \
                 but outputs may be real identifiers of other people) or pseudonymise",
                kind.name()
            )));
        }
        let r = ranges::Ranges::load(patterns)?;
        // One subkey per kind: a phone's and an account's permutations are unrelated. An IBAN
        // and the domestic account inside it share one, so they still join.
        let domain = if kind == IdKind::Iban {
            "account"
        } else {
            kind.name()
        };
        let sub = key.derive(&format!("fictitious/{domain}"));
        let mapper = match kind {
            IdKind::Phone => Mapper::Phone(phone::Phones::new(&sub, &r.phone)),
            IdKind::Email => Mapper::Email(email::Emails::new(&sub, &r.email.domain)),
            IdKind::Iban => Mapper::Iban(bank::Accounts::new(&sub, &r.bank)),
            IdKind::Account => Mapper::Account(bank::Accounts::new(&sub, &r.bank)),
            _ => Mapper::Jmbg(jmbg::Jmbgs::new(&sub, &r.jmbg)),
        };
        Ok(Fictitious { mapper })
    }

    /// Append the fictitious value for `v` to `out`; `false` (and `out` unspecified) when
    /// `v` is not a value of the kind.
    pub fn apply_one(&self, v: &str, out: &mut String) -> bool {
        match &self.mapper {
            Mapper::Phone(p) => p.apply(v, out),
            Mapper::Email(e) => e.apply(v, out),
            Mapper::Iban(a) => a.iban(v, out),
            Mapper::Account(a) => a.account(v, out),
            Mapper::Jmbg(j) => j.apply(v, out),
        }
    }
}

impl ColumnTransform for Fictitious {
    fn name(&self) -> &'static str {
        "fictitious"
    }
    fn output_type(&self, _: &DataType) -> Option<DataType> {
        Some(DataType::Utf8)
    }
    fn apply(&self, input: &ArrayRef, subjects: Option<&StringArray>) -> Result<Transformed> {
        map_text(input, subjects, |v, _, out| self.apply_one(v, out))
    }
}

#[cfg(test)]
mod tests;
