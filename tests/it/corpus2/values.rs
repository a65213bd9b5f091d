//! Value generators and their validators, written from the formats in DOMAIN.md (not from the
//! project's detectors), so the corpus checks the classifier instead of mirroring it.
use super::names::*;
use super::rng::Rng;

/// Weights of the (unverified, DOMAIN.md §1.1) personal-number check digit.
const PN_WEIGHTS: [u32; 9] = [4, 3, 2, 7, 6, 5, 4, 3, 2];

fn pn_check(d: &[u32]) -> u32 {
    let s: u32 = d.iter().zip(PN_WEIGHTS).map(|(a, w)| a * w).sum();
    match 11 - s % 11 {
        10 | 11 => 0,
        c => c,
    }
}

fn digits(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// Whether a 10-digit personal number passes the nidx rule (first digit 9 bypasses it).
pub fn pn_passes(s: &str) -> bool {
    let d = digits(s);
    d.len() == 10 && (d[0] == 9 || pn_check(&d[..9]) == d[9])
}

/// A personal number whose check digit is right with probability `valid`, random otherwise:
/// the rule is unverified, so real files need not pass it.
pub fn personal_number(r: &mut Rng, valid: f64) -> String {
    let mut d: Vec<u32> = vec![r.range(1, 8) as u32];
    d.extend((0..8).map(|_| r.digit()));
    let c = if r.chance(valid) {
        pn_check(&d)
    } else {
        r.digit()
    };
    d.push(c);
    d.iter()
        .map(|x| char::from_digit(*x, 10).unwrap_or('0'))
        .collect()
}

const JMBG_W: [u32; 12] = [7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/// The JMBG control digit, or `None` for remainder 1 (a number never issued under one of the
/// two conventions of DOMAIN.md §2, so the corpus avoids it).
fn jmbg_control(d: &[u32]) -> Option<u32> {
    let s: u32 = d.iter().zip(JMBG_W).map(|(a, w)| a * w).sum();
    match 11 - s % 11 {
        10 => None,
        11 => Some(0),
        m => Some(m),
    }
}

pub fn jmbg_valid(s: &str) -> bool {
    let d = digits(s);
    if d.len() != 13 || s.len() != 13 {
        return false;
    }
    let (day, month) = (d[0] * 10 + d[1], d[2] * 10 + d[3]);
    (1..=28).contains(&day) && (1..=12).contains(&month) && jmbg_control(&d[..12]) == Some(d[12])
}

/// A JMBG `DDMMYYYRRBBBK` with a valid control digit; region mostly 90–99 (Kosovo).
pub fn jmbg(r: &mut Rng) -> String {
    loop {
        let (day, month, year) = (r.range(1, 28), r.range(1, 12), r.range(1945, 2005));
        let region = if r.chance(0.8) {
            r.range(90, 99)
        } else {
            r.range(10, 89)
        };
        let serial = r.range(0, 999);
        let s = format!("{day:02}{month:02}{:03}{region:02}{serial:03}", year % 1000);
        if let Some(k) = jmbg_control(&digits(&s)) {
            return format!("{s}{k}");
        }
    }
}

/// `n mod 97` of a digit/letter string as ISO 13616 reads it (A = 10 … Z = 35).
fn mod97(s: &str) -> u32 {
    s.chars().fold(0u32, |acc, c| match c.to_digit(36) {
        Some(v) if v >= 10 => (acc * 100 + v) % 97,
        Some(v) => (acc * 10 + v) % 97,
        None => acc,
    })
}

pub fn iban_valid(s: &str) -> bool {
    let c: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    c.len() == 20
        && c.starts_with("XK")
        && mod97(&format!("{}{}", &c[4..], &c[..4])) == 1
        && mod97(&c[4..]) == 1
}

/// An XK IBAN: BBAN with its national MOD 97-10 check, then the ISO check digits; compact or
/// printed in groups of four.
pub fn iban(r: &mut Rng, spaced: bool) -> String {
    let bank = *r.pick(&[10u64, 11, 12, 13, 15, 17, 19, 20]);
    let first14 = format!(
        "{bank:02}{:02}{:010}",
        r.range(1, 40),
        r.below(10_000_000_000)
    );
    let national = (98 - mod97(&format!("{first14}00"))) % 97;
    let bban = format!("{first14}{national:02}");
    let check = 98 - mod97(&format!("{bban}XK00"));
    let compact = format!("XK{check:02}{bban}");
    if !spaced {
        return compact;
    }
    let b = compact.as_bytes();
    b.chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A Kosovo mobile number in one of the ways people write them.
pub fn phone(r: &mut Rng) -> String {
    let p = r.range(43, 49);
    let (a, b) = (r.range(100, 999), r.range(100, 999));
    match r.below(6) {
        0 => format!("+383 {p} {a} {b}"),
        1 => format!("+383{p}{a}{b}"),
        2 => format!("0{p} {a} {b}"),
        3 => format!("0{p}-{a}-{b}"),
        4 => format!("0{p}{a}{b}"),
        _ => format!("00383 {p} {a}{b}"),
    }
}

/// Lower-case ASCII of a name (for e-mails and logins).
pub fn ascii(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            Some(match c {
                'ë' | 'Ë' => 'e',
                'ç' | 'Ç' | 'č' | 'ć' | 'Č' | 'Ć' => 'c',
                'š' | 'Š' | 'ş' => 's',
                'ž' | 'Ž' => 'z',
                'đ' | 'Đ' => 'd',
                'ü' | 'Ü' => 'u',
                'ö' | 'Ö' => 'o',
                'ı' => 'i',
                'ğ' => 'g',
                c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
                _ => return None,
            })
        })
        .collect()
}

pub fn email(r: &mut Rng, first: &str, last: &str) -> String {
    let dom = r.pick(&[
        "gmail.com",
        "hotmail.com",
        "yahoo.com",
        "ipko.net",
        "uni-pr.edu",
        "outlook.de",
        "kujdesi.org",
    ]);
    let (f, l) = (ascii(first), ascii(last));
    match r.below(3) {
        0 => format!("{f}.{l}@{dom}"),
        1 => format!("{}{l}{}@{dom}", &f[..1.min(f.len())], r.range(1, 99)),
        _ => format!("{l}_{f}@{dom}"),
    }
}

pub fn login(r: &mut Rng, first: &str, last: &str, row: usize) -> String {
    let (f, l) = (ascii(first), ascii(last));
    match r.below(3) {
        0 => format!("{f}.{l}{row}"),
        1 => format!("{}{l}{row}", &f[..1.min(f.len())]),
        _ => format!("{l}_{f}_{row}"),
    }
}

/// ICD-10 codes spread over many chapters, drawn from a short list (a real diagnosis column
/// repeats codes).
pub fn icd10(r: &mut Rng) -> String {
    const CODES: &[&str] = &[
        "A09", "B34.9", "C50.9", "D50.9", "E11.9", "E78.0", "F32.1", "F41.1", "G43.9", "H52.1",
        "I10", "I25.1", "J06.9", "J45.0", "K21.0", "K29.7", "L40.0", "M17.1", "M54.5", "N39.0",
        "O80", "R51", "S72.0", "Z00.0", "E66.9", "I48", "J18.9", "N18.3",
    ];
    let c = *r.pick(CODES);
    if r.chance(0.2) {
        c.replace('.', "")
    } else {
        c.to_string()
    }
}

/// How a date is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFmt {
    Iso,
    Dots,
    Compact,
    Slash,
}

pub fn date(r: &mut Rng, years: (u64, u64), f: DateFmt) -> String {
    let (y, m, d) = (r.range(years.0, years.1), r.range(1, 12), r.range(1, 28));
    match f {
        DateFmt::Iso => format!("{y}-{m:02}-{d:02}"),
        DateFmt::Dots => format!("{d:02}.{m:02}.{y}"),
        DateFmt::Compact => format!("{y}{m:02}{d:02}"),
        DateFmt::Slash => format!("{d}/{m}/{y}"),
    }
}

pub fn timestamp(r: &mut Rng) -> String {
    format!(
        "{} {:02}:{:02}:{:02}",
        date(r, (2022, 2025), DateFmt::Iso),
        r.below(24),
        r.below(60),
        r.below(60)
    )
}

/// Street address in Albanian, Serbian Latin or Cyrillic.
pub fn address(r: &mut Rng, lang: Lang) -> String {
    let n = r.range(1, 140);
    match lang {
        Lang::Sq => format!("{} nr. {n}", r.pick(STREET_SQ)),
        Lang::SrLat => format!("{} {n}", r.pick(STREET_SR)),
        Lang::SrCyr => format!("{} {n}", r.pick(STREET_CYR)),
        Lang::Foreign => format!("{}straße {n}", r.pick(&["Haupt", "Bahnhof", "Linden"])),
    }
}

/// Which lists a name or word comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Sq,
    SrLat,
    SrCyr,
    Foreign,
}

pub fn first_last(r: &mut Rng, lang: Lang) -> (String, String) {
    let (f, l) = match lang {
        Lang::Sq => (ALB_FIRST, ALB_LAST),
        Lang::SrLat => (SRB_FIRST, SRB_LAST),
        Lang::SrCyr => (SRB_CYR_FIRST, SRB_CYR_LAST),
        Lang::Foreign => (FOREIGN_FIRST, FOREIGN_LAST),
    };
    (r.pick(f).to_string(), r.pick(l).to_string())
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (with padding unless `pad` is false).
pub fn base64(b: &[u8], pad: bool) -> String {
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, &x)| a | u32::from(x) << (16 - 8 * i));
        for i in 0..4 {
            if i <= c.len() {
                s.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else if pad {
                s.push('=');
            }
        }
    }
    s
}

fn alnum(r: &mut Rng, n: usize, alphabet: &[u8]) -> String {
    (0..n).map(|_| *r.pick(alphabet) as char).collect()
}

/// A password hash: bcrypt, argon2id or bare SHA-256 hex.
pub fn password_hash(r: &mut Rng, kind: u8) -> String {
    const BC: &[u8] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    match kind {
        0 => format!("$2b$12${}", alnum(r, 53, BC)),
        1 => {
            let (salt, hash) = (r.bytes(16), r.bytes(32));
            format!(
                "$argon2id$v=19$m=65536,t=3,p=4${}${}",
                base64(&salt, false),
                base64(&hash, false)
            )
        }
        _ => anonkos::digest::hex(&r.bytes(32)),
    }
}

pub fn api_token(r: &mut Rng) -> String {
    const AN: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let p = *r.pick(&["tok_live_", "ghp_", "xoxb-", "ak_"]);
    format!("{p}{}", alnum(r, 36, AN))
}

/// A small JPEG or PNG: the right magic bytes, then noise.
pub fn photo(r: &mut Rng) -> Vec<u8> {
    let n = r.range(180, 420) as usize;
    let mut b = if r.chance(0.6) {
        vec![
            0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01,
        ]
    } else {
        let mut v = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
        v.extend_from_slice(b"IHDR");
        v
    };
    b.extend(r.bytes(n));
    b
}

pub fn amount(r: &mut Rng) -> String {
    format!("{}.{:02}", r.range(1, 4999), r.below(100))
}

pub fn room(r: &mut Rng) -> String {
    match r.below(3) {
        0 => format!("{}-{}", r.pick(&["A", "B", "C"]), r.range(101, 450)),
        1 => r.range(100, 520).to_string(),
        _ => format!("K{}.{:02}", r.range(0, 4), r.range(1, 30)),
    }
}

pub fn product_code(r: &mut Rng) -> String {
    match r.below(2) {
        0 => format!(
            "SKU-{}-{}",
            r.range(1000, 9999),
            r.pick(&["S", "M", "XL", "BL"])
        ),
        _ => format!("PRD{:05}", r.range(1, 99_999)),
    }
}

/// A 10-digit number (first digit non-zero) with no check digit at all: order or meter
/// numbers, the decoys of the personal number.
pub fn ten_digits(r: &mut Rng) -> String {
    format!("{}{:09}", r.range(1, 9), r.below(1_000_000_000))
}
