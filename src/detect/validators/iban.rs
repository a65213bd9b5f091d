//! IBAN (ISO 13616, mod 97) and Kosovo domestic accounts.
//!
//! A Kosovo IBAN is `XK05` + a 16-digit BBAN whose national check is ISO 7064 MOD 97-10
//! (`BBAN mod 97 == 1`); that forces the IBAN check digits to `05` (DOMAIN.md §3). The same
//! 16 digits without `XK05` are the domestic account number.

/// Remainder of a long decimal string modulo 97, digit by digit.
fn mod97(digits: impl Iterator<Item = u32>) -> u32 {
    digits.fold(0, |acc, d| (acc * 10 + d) % 97)
}

/// Any country's IBAN (upper-case, no spaces): structure and ISO 13616 mod-97 check.
/// Kosovo IBANs must in addition be 20 characters with a valid national check.
pub fn is_valid_iban(s: &str) -> bool {
    let b = s.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b[4..].iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let rearranged = b[4..].iter().chain(&b[..4]);
    let digits = rearranged.flat_map(|&c| {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c.to_ascii_uppercase() - b'A') + 10
        };
        if v >= 10 {
            vec![v / 10, v % 10]
        } else {
            vec![v]
        }
    });
    if mod97(digits) != 1 {
        return false;
    }
    if &b[..2] == b"XK" {
        return b.len() == 20 && is_valid_xk_account(&s[4..]);
    }
    true
}

/// A 16-digit Kosovo account number (BBAN): all digits and `mod 97 == 1`.
pub fn is_valid_xk_account(s: &str) -> bool {
    s.len() == 16
        && s.bytes().all(|b| b.is_ascii_digit())
        && mod97(s.bytes().map(|b| u32::from(b - b'0'))) == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_vectors() {
        assert!(is_valid_iban("XK051212012345678906"));
        assert!(is_valid_iban("DE89370400440532013000"));
        // One digit changed, wrong length, bad country check.
        assert!(!is_valid_iban("XK051212012345678907"));
        assert!(!is_valid_iban("XK05121201234567890"));
        assert!(!is_valid_iban("XK061212012345678906"));
        assert!(!is_valid_iban("xk051212012345678906"));
    }

    #[test]
    fn domestic_accounts() {
        assert!(is_valid_xk_account("1212012345678906"));
        assert!(is_valid_xk_account("1304001004160572"));
        assert!(!is_valid_xk_account("1901234567891011"));
        assert!(!is_valid_xk_account("121201234567890"));
    }
}
