//! Check-digit and structure validators, named from `patterns/identifiers/*.toml`.
//!
//! A validator sees the *normalised* cell (see [`crate::detect::patterns::Normalise`]) and
//! answers whether the value is structurally valid. Validators of unverified rules (the Kosovo
//! personal-number checksum) are only ever used as a bonus in classification, never to reject.
pub mod date;
pub mod iban;
pub mod jmbg;
pub mod kosovo_pn;
pub mod phone;

/// A named validator.
pub type ValidatorFn = fn(&str) -> bool;

/// Every validator name accepted in pattern files, with its function.
pub const VALIDATORS: &[(&str, ValidatorFn)] = &[
    ("kosovo_pn", kosovo_pn::is_valid),
    ("jmbg", jmbg::is_valid),
    ("iban", iban::is_valid_iban),
    ("xk_account", iban::is_valid_xk_account),
    ("phone", phone::is_valid),
    ("date", date::is_valid),
    ("email", is_valid_email),
    ("ipv4", is_valid_ipv4),
    ("plate_district", is_valid_plate_district),
];

/// Look a validator up by name.
pub fn by_name(name: &str) -> Option<ValidatorFn> {
    VALIDATORS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Digits of an ASCII string of exactly `N` bytes as numbers, or `None` if the length differs
/// or any byte is not a digit. A fixed array, not a `Vec`: validators run on millions of cells.
pub(crate) fn digits<const N: usize>(s: &str) -> Option<[u32; N]> {
    let b = s.as_bytes();
    if b.len() != N {
        return None;
    }
    let mut out = [0u32; N];
    for (o, &c) in out.iter_mut().zip(b) {
        if !c.is_ascii_digit() {
            return None;
        }
        *o = u32::from(c - b'0');
    }
    Some(out)
}

/// E-mail: the regex checks the shape; here the domain needs a dot and an alphabetic TLD.
/// One pass over the bytes: a full scan validates every address of an e-mail column.
fn is_valid_email(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(at) = memchr::memrchr(b'@', b) else {
        return false;
    };
    let (local, domain) = (&b[..at], &b[at + 1..]);
    if local.is_empty() || local.len() > 64 || domain.first() == Some(&b'.') {
        return false;
    }
    // No `..`; the TLD follows the last dot.
    let mut last_dot = None;
    for (i, &c) in domain.iter().enumerate() {
        if c == b'.' {
            if last_dot == Some(i.wrapping_sub(1)) {
                return false;
            }
            last_dot = Some(i);
        }
    }
    last_dot.is_some_and(|d| {
        let tld = &domain[d + 1..];
        d > 0 && tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic)
    })
}

/// IPv4: four octets 0–255 without leading zeros.
fn is_valid_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && !(p.len() > 1 && p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|v| v <= 255)
        })
}

/// RKS plates (`01-123-AB`, normalised `01123AB`): district 01–07 and a serial from 101.
/// Legacy UNMIK plates (`123KS456`) pass on shape alone.
fn is_valid_plate_district(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() == 8 && &b[3..5] == b"KS" {
        return true;
    }
    if b.len() != 7 || b[0] != b'0' || !(b'1'..=b'7').contains(&b[1]) {
        return false;
    }
    std::str::from_utf8(&b[2..5])
        .ok()
        .and_then(|n| n.parse::<u16>().ok())
        .is_some_and(|n| n >= 101)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email() {
        assert!(is_valid_email("arta.b@example.com"));
        assert!(!is_valid_email("arta@localhost"));
        assert!(!is_valid_email("arta@example.c0m"));
        assert!(!is_valid_email("@example.com"));
    }

    #[test]
    fn ipv4() {
        assert!(is_valid_ipv4("192.168.1.10"));
        assert!(!is_valid_ipv4("256.1.1.1"));
        assert!(!is_valid_ipv4("1.2.3"));
        assert!(!is_valid_ipv4("01.2.3.4"));
    }

    #[test]
    fn plates() {
        assert!(is_valid_plate_district("01123AB"));
        assert!(is_valid_plate_district("123KS456"));
        assert!(!is_valid_plate_district("08123AB"));
        assert!(!is_valid_plate_district("01100AB"));
    }

    #[test]
    fn every_validator_is_reachable_by_name() {
        for (name, _) in VALIDATORS {
            assert!(by_name(name).is_some());
        }
        assert!(by_name("nope").is_none());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::{VALIDATORS, is_valid_email};
    use crate::detect::PatternSet;
    use crate::detect::profile::{ColumnProfile, Scratch};

    /// The e-mail check as first written (string splits), the reference for the byte pass.
    fn email_by_splits(s: &str) -> bool {
        let Some((local, domain)) = s.rsplit_once('@') else {
            return false;
        };
        if local.is_empty() || local.len() > 64 || domain.starts_with('.') || domain.contains("..")
        {
            return false;
        }
        match domain.rsplit_once('.') {
            Some((host, tld)) => {
                !host.is_empty() && tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
            }
            None => false,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn email_byte_pass_agrees_with_the_splits(
            s in "[a.@x0ë-]{0,12}|[a-z.]{0,70}@[a-z.]{0,12}",
        ) {
            prop_assert_eq!(is_valid_email(&s), email_by_splits(&s), "{:?}", s);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// No validator panics, whatever the bytes.
        #[test]
        fn validators_never_panic(s in "\\PC{0,40}") {
            for (_, f) in VALIDATORS {
                let _ = f(&s);
            }
        }

        /// Digit strings of every length up to 24 never panic either (the check-digit
        /// arithmetic indexes into them).
        #[test]
        fn validators_never_panic_on_digits(s in "[0-9+]{0,24}") {
            for (_, f) in VALIDATORS {
                let _ = f(&s);
            }
        }

        /// The cell profiler takes any text, and its counts stay consistent.
        #[test]
        fn profile_never_panics(cells in proptest::collection::vec("\\PC{0,60}", 1..20)) {
            static SET: std::sync::OnceLock<PatternSet> = std::sync::OnceLock::new();
            let set = SET.get_or_init(|| PatternSet::embedded().unwrap());
            let mut p = ColumnProfile::new(set.identifiers.len());
            let mut s = Scratch::default();
            for c in &cells {
                p.observe(c, set, &mut s);
            }
            prop_assert_eq!(p.cells, cells.len() as u64);
            prop_assert!(p.non_empty <= p.cells);
            for (m, v) in &p.ident {
                prop_assert!(v <= m && *m <= p.non_empty);
            }
        }
    }
}
