//! Kosovo personal number: 10 digits.
//!
//! The check digit is **not officially published**. The only public rule is the one in the
//! `nidx` crate (weights 4 3 2 7 6 5 4 3 2 over digits 1–9, `11 − (sum mod 11)`, 10 and 11
//! become 0; numbers starting with 9 bypass the check), which cites no source (DOMAIN.md §1.1).
//! anonkos therefore uses a pass only to *raise* confidence; a failure never rejects a value.

const WEIGHTS: [u32; 9] = [4, 3, 2, 7, 6, 5, 4, 3, 2];

/// The check digit the unverified rule expects for nine leading digits.
pub fn check_digit(first9: &[u32]) -> u32 {
    let sum: u32 = first9.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        10 | 11 => 0,
        c => c,
    }
}

/// Whether ten digits satisfy the (unverified) rule.
pub fn is_valid(s: &str) -> bool {
    let Some(d) = super::digits::<10>(s) else {
        return false;
    };
    d[0] == 9 || d[9] == check_digit(&d[..9])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors() {
        // nidx examples and the 2023 passport specimen (DOMAIN.md §1).
        for v in ["1234567892", "9000000001", "1001234567"] {
            assert!(is_valid(v), "{v}");
        }
        for v in [
            "1234567890",
            "1001234568",
            "123456789",
            "12345678922",
            "12345678a2",
        ] {
            assert!(!is_valid(v), "{v}");
        }
    }
}
