//! Yugoslav JMBG / UMCN: `DDMMYYYRRBBBK`, 13 digits (Serbian Law on JMBG, Art. 4).
//!
//! Valid means: a real calendar date (years `800–999` are 1800s/1900s, `000–799` 2000s),
//! and the mod-11 control digit with weights 7 6 5 4 3 2 7 6 5 4 3 2. Remainder 1 (control
//! 10) is accepted as `0`, the convention of most implementations; the Croatian rule treats
//! such numbers as never issued (DOMAIN.md §2). Region 90–99 means registered in Kosovo.
use chrono::NaiveDate;

const WEIGHTS: [u32; 12] = [7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/// The control digit for twelve leading digits.
pub fn check_digit(first12: &[u32]) -> u32 {
    let sum: u32 = first12.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        10 | 11 => 0,
        c => c,
    }
}

/// The date of birth encoded in the first seven digits, if it is a real date.
pub fn birth_date(d: &[u32]) -> Option<NaiveDate> {
    if d.len() < 7 {
        return None;
    }
    let day = d[0] * 10 + d[1];
    let month = d[2] * 10 + d[3];
    let yyy = d[4] * 100 + d[5] * 10 + d[6];
    let year = if yyy >= 800 { 1000 + yyy } else { 2000 + yyy };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// Registration area `RR` (90–99 = Kosovo).
pub fn region(d: &[u32]) -> Option<u32> {
    (d.len() == 13).then(|| d[7] * 10 + d[8])
}

/// Whether 13 digits form a valid JMBG.
pub fn is_valid(s: &str) -> bool {
    let Some(d) = super::digits::<13>(s) else {
        return false;
    };
    birth_date(&d).is_some() && d[12] == check_digit(&d[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors() {
        // Synthetic vectors from DOMAIN.md §2 and python-stdnum.
        for v in [
            "0101980910122",
            "1506755925505",
            "3005987951233",
            "0101980910050",
            "0101980910130",
            "0101006500006",
        ] {
            assert!(is_valid(v), "{v}");
        }
        // Wrong control digit, impossible dates, wrong length.
        for v in [
            "0101006500007",
            "3102980910122",
            "0113980910122",
            "010198091012",
            "01019809101220",
        ] {
            assert!(!is_valid(v), "{v}");
        }
    }

    #[test]
    fn region_and_date() {
        let d = crate::detect::validators::digits::<13>("3005987951233").unwrap();
        assert_eq!(region(&d), Some(95));
        assert_eq!(birth_date(&d), NaiveDate::from_ymd_opt(1987, 5, 30));
    }
}
