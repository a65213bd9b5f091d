//! Kosovo telephone numbers, current and legacy (DOMAIN.md §5, libphonenumber region `XK`).
//!
//! The validator sees the number with separators removed (`+` and digits). It accepts:
//! * national format `0` + NSN and international `+383`/`00383`/`383` + NSN, where the NSN
//!   is a mobile `4[3-9]` + 6 digits, a fixed line `28|29|38|39` + 6 digits or a four-digit
//!   area `280|290|390` + 6 digits, or toll-free/premium `800|900` + 5 digits;
//! * legacy codes in old records: `+377 44/45` (Monaco code, Vala), `+386 43/49` (Slovenian
//!   code, IPKO/D3) and `+381 28/29/38/39` (Serbian code, fixed lines and mts mobiles).

/// Split a number into (country code, national significant number).
pub fn split(s: &str) -> Option<(&'static str, &str)> {
    let s = s
        .strip_prefix('+')
        .or_else(|| s.strip_prefix("00"))
        .map_or_else(
            || {
                // Bare international digits such as 38344123456 (11 or 12 digits).
                if s.starts_with("383") && s.len() >= 11 {
                    Some(("383", &s[3..]))
                } else {
                    s.strip_prefix('0').map(|nsn| ("0", nsn))
                }
            },
            |intl| {
                ["383", "377", "386", "381"]
                    .into_iter()
                    .find(|cc| intl.starts_with(cc))
                    .map(|cc| (cc, intl[cc.len()..].trim_start_matches('0')))
            },
        )?;
    Some(s)
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a national significant number is a Kosovo (+383) number.
fn is_kosovo_nsn(nsn: &str) -> bool {
    let b = nsn.as_bytes();
    if !all_digits(nsn) {
        return false;
    }
    matches!(
        (b.len(), b),
        (8, [b'4', b'3'..=b'9', ..])
            | (8, [b'2', b'8' | b'9', ..])
            | (8, [b'3', b'8' | b'9', ..])
            | (9, [b'2', b'8' | b'9', b'0', ..])
            | (9, [b'3', b'9', b'0', ..])
            | (8, [b'8' | b'9', b'0', b'0', ..])
    )
}

/// Whether the normalised number is a plausible Kosovo phone number.
pub fn is_valid(s: &str) -> bool {
    let Some((cc, nsn)) = split(s) else {
        return false;
    };
    if !all_digits(nsn) {
        return false;
    }
    let b = nsn.as_bytes();
    match cc {
        "0" | "383" => is_kosovo_nsn(nsn),
        "377" => b.len() == 8 && matches!(b, [b'4', b'4' | b'5', ..]),
        "386" => b.len() == 8 && matches!(b, [b'4', b'3' | b'9', ..]),
        "381" => {
            (8..=9).contains(&b.len())
                && matches!(b, [b'2', b'8' | b'9', ..] | [b'3', b'8' | b'9', ..])
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid() {
        for v in [
            "044123456",
            "+38344123456",
            "0038349123456",
            "38345123456",
            "038123456",
            "0280123456",
            "+37744123456",
            "+38649123456",
            "+38138123456",
            "080012345",
        ] {
            assert!(is_valid(v), "{v}");
        }
    }

    #[test]
    fn invalid_and_near_miss() {
        for v in [
            "044123",
            "+38344123",
            "041123456",
            "+38641123456",
            "+4930123456",
            "1234567892",
            "+38312345678",
            "",
        ] {
            assert!(!is_valid(v), "{v}");
        }
    }
}
