//! The ranges no one holds (`patterns/fictitious/ranges.toml`), read and checked once when
//! the action is built: a fictitious range that overlaps a real one is a configuration error,
//! so a wrong edit of the data file cannot send test data to real people.
use serde::Deserialize;

use crate::detect::PatternSet;
use crate::detect::validators::phone;
use crate::error::Result;
use crate::transform::config_error;

/// The data file inside the pattern pack.
pub const FILE: &str = "fictitious/ranges.toml";

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ranges {
    /// Phone numbers.
    pub phone: PhoneRanges,
    /// Bank accounts and IBANs.
    pub bank: BankRanges,
    /// JMBG registration areas.
    pub jmbg: JmbgRanges,
    /// E-mail.
    pub email: EmailRange,
}

/// Phone ranges, per national significant number length.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneRanges {
    /// Where the ranges come from (shown in docs, not used).
    pub source: String,
    /// One entry per NSN length.
    pub ranges: Vec<PhoneRange>,
}

/// Real and fictitious destination codes of one NSN length.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneRange {
    /// Digits of the national significant number.
    pub nsn_length: usize,
    /// Codes real numbers of this length start with (the inputs accepted).
    pub assigned: Vec<String>,
    /// Codes no number is assigned in (the outputs).
    pub fictitious: Vec<String>,
}

/// Bank codes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankRanges {
    /// Where the codes come from.
    pub source: String,
    /// Two-digit bank codes no bank uses (the outputs).
    pub fictitious_bank_codes: Vec<String>,
    /// Input bank codes at or above this are refused (they may be fictitious already).
    pub assigned_below: u8,
}

/// JMBG registration areas.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JmbgRanges {
    /// Where the areas come from.
    pub source: String,
    /// Two-digit areas never used (the outputs).
    pub fictitious_regions: Vec<String>,
}

/// The e-mail domain.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailRange {
    /// Where the domain comes from.
    pub source: String,
    /// The domain (RFC 2606).
    pub domain: String,
}

/// Two ASCII digits as a number.
pub fn two_digits(s: &str) -> Option<u8> {
    let b = s.as_bytes();
    (b.len() == 2 && b.iter().all(u8::is_ascii_digit)).then(|| (b[0] - b'0') * 10 + (b[1] - b'0'))
}

impl Ranges {
    /// Read and check the ranges of the pattern pack.
    pub fn load(patterns: &PatternSet) -> Result<Ranges> {
        let text = patterns
            .data_file(FILE)
            .ok_or_else(|| config_error(format!("fictitious: the pattern pack has no {FILE}")))?;
        let r: Ranges = toml::from_str(text)
            .map_err(|e| config_error(format!("fictitious: patterns/{FILE}: {}", e.message())))?;
        r.check()?;
        Ok(r)
    }

    fn check(&self) -> Result<()> {
        let bad = |m: String| Err(config_error(format!("fictitious: patterns/{FILE}: {m}")));
        for (k, pr) in self.phone.ranges.iter().enumerate() {
            // Blocks of one length must not share fictitious codes (their images would meet),
            // nor real ones (an input would have two images).
            let shared = self.phone.ranges[..k].iter().any(|q| {
                q.nsn_length == pr.nsn_length
                    && (q.fictitious.iter().any(|c| pr.fictitious.contains(c))
                        || q.assigned.iter().any(|c| pr.assigned.contains(c)))
            });
            if shared {
                return bad(format!(
                    "phone ranges of length {} share codes between blocks",
                    pr.nsn_length
                ));
            }
            let all = pr.assigned.iter().chain(&pr.fictitious);
            let p = pr.assigned.first().map_or(0, String::len);
            if !(6..=12).contains(&pr.nsn_length)
                || p == 0
                || p + 4 > pr.nsn_length
                || all
                    .clone()
                    .any(|c| c.len() != p || !c.bytes().all(|b| b.is_ascii_digit()))
            {
                return bad(format!(
                    "phone range of length {}: codes must be digits of one length, leaving at least four subscriber digits",
                    pr.nsn_length
                ));
            }
            if pr.fictitious.len() < pr.assigned.len() {
                return bad(format!(
                    "phone range of length {}: fewer fictitious than assigned codes, so the mapping cannot be one-to-one",
                    pr.nsn_length
                ));
            }
            for f in &pr.fictitious {
                let nsn = format!("{f}{}", "0".repeat(pr.nsn_length - p));
                let nsn9 = format!("{f}{}", "9".repeat(pr.nsn_length - p));
                if pr.assigned.contains(f)
                    || phone::is_valid(&format!("0{nsn}"))
                    || phone::is_valid(&format!("0{nsn9}"))
                {
                    return bad(format!("phone code {f} is a real (assigned) range"));
                }
            }
        }
        let bank: Option<Vec<u8>> = self
            .bank
            .fictitious_bank_codes
            .iter()
            .map(|c| two_digits(c))
            .collect();
        match bank {
            Some(v) if !v.is_empty() && v.iter().all(|&c| c >= self.bank.assigned_below) => {}
            _ => return bad("bank codes must be two digits, at or above assigned_below".into()),
        }
        let regions: Option<Vec<u8>> = self
            .jmbg
            .fictitious_regions
            .iter()
            .map(|c| two_digits(c))
            .collect();
        match regions {
            Some(v) if !v.is_empty() && v.iter().all(|r| (60..70).contains(r)) => {}
            _ => return bad("JMBG regions must be two digits in 60-69 (the unused areas)".into()),
        }
        let d = &self.email.domain;
        if !["example.org", "example.com", "example.net"].contains(&d.as_str())
            && !d.ends_with(".invalid")
            && !d.ends_with(".example")
        {
            return bad(format!(
                "e-mail domain {d} is not reserved by RFC 2606 (example.org/.com/.net, *.invalid, *.example)"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_ranges_load_and_bad_ones_are_refused() {
        let p = crate::transform::test_util::patterns();
        let r = Ranges::load(&p).unwrap();
        assert_eq!(r.email.domain, "example.org");
        let text = p.data_file(FILE).unwrap();
        for (from, to) in [
            ("\"40\", \"41\"", "\"44\", \"41\""),
            ("\"24\", \"25\"", "\"40\", \"25\""),
            ("\"90\", \"91\"", "\"10\", \"91\""),
            ("\"60\", \"61\"", "\"90\", \"61\""),
            ("domain = \"example.org\"", "domain = \"gmail.com\""),
        ] {
            assert!(text.contains(from), "{from}");
            let bad: Ranges = toml::from_str(&text.replacen(from, to, 1)).unwrap();
            assert!(bad.check().is_err(), "{to}");
        }
    }
}
