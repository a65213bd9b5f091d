//! Value generators for the synthetic sample data.
//!
//! Every identifier is *generated*, never copied: personal numbers get a check digit under the
//! (unverified) nidx rule, JMBGs a real date, a Kosovo region (91–97) and a valid control digit,
//! IBANs and accounts a BBAN with `mod 97 == 1`. E-mail addresses use only the reserved example
//! domains of RFC 2606. Names come from a small built-in list of common given names and surnames
//! (any combination of them is made up).
use chrono::{Datelike, NaiveDate};

use super::rng::Rng;
use crate::detect::validators::{jmbg, kosovo_pn};

/// The reference date for ages and date ranges (fixed, so output never depends on the clock).
pub fn reference_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Municipalities (DOMAIN.md §7) with sample postal codes (§6.4; partly unverified, sample only).

/// One of Kosovo's 38 municipalities.
#[derive(Debug)]
pub struct Municipality {
    /// Albanian official name.
    pub sq: &'static str,
    /// Serbian Latin name.
    pub sr: &'static str,
    /// Serbian Cyrillic name.
    pub cyr: &'static str,
    /// Postal code used in the sample data.
    pub postal: &'static str,
    /// Relative population weight for drawing (roughly, thousands of inhabitants).
    pub weight: u32,
}

const fn m(
    sq: &'static str,
    sr: &'static str,
    cyr: &'static str,
    postal: &'static str,
    weight: u32,
) -> Municipality {
    Municipality {
        sq,
        sr,
        cyr,
        postal,
        weight,
    }
}

/// The 38 municipalities.
pub const MUNICIPALITIES: [Municipality; 38] = [
    m("Prishtinë", "Priština", "Приштина", "10000", 227),
    m("Podujevë", "Podujevo", "Подујево", "11000", 71),
    m("Fushë Kosovë", "Kosovo Polje", "Косово Поље", "12000", 64),
    m("Lipjan", "Lipljan", "Липљан", "14000", 54),
    m("Obiliq", "Obilić", "Обилић", "15000", 21),
    m("Drenas", "Glogovac", "Глоговац", "13000", 52),
    m("Graçanicë", "Gračanica", "Грачаница", "10500", 12),
    m(
        "Mitrovicë e Jugut",
        "Južna Mitrovica",
        "Јужна Митровица",
        "40000",
        65,
    ),
    m(
        "Mitrovicë e Veriut",
        "Severna Mitrovica",
        "Северна Митровица",
        "40000",
        3,
    ),
    m("Vushtrri", "Vučitrn", "Вучитрн", "42000", 61),
    m("Skenderaj", "Srbica", "Србица", "41000", 41),
    m("Leposaviq", "Leposavić", "Лепосавић", "43000", 3),
    m("Zubin Potok", "Zubin Potok", "Зубин Поток", "44000", 1),
    m("Zveçan", "Zvečan", "Звечан", "45000", 1),
    m("Pejë", "Peć", "Пећ", "30000", 83),
    m("Istog", "Istok", "Исток", "31000", 33),
    m("Klinë", "Klina", "Клина", "32000", 32),
    m("Prizren", "Prizren", "Призрен", "20000", 147),
    m("Suharekë", "Suva Reka", "Сува Река", "23000", 45),
    m("Dragash", "Dragaš", "Драгаш", "22000", 26),
    m("Malishevë", "Mališevo", "Малишево", "24000", 48),
    m("Mamushë", "Mamuša", "Мамуша", "20500", 5),
    m("Ferizaj", "Uroševac", "Урошевац", "70000", 109),
    m("Kaçanik", "Kačanik", "Качаник", "71000", 28),
    m("Shtime", "Štimlje", "Штимље", "72000", 22),
    m("Shtërpcë", "Štrpce", "Штрпце", "73000", 6),
    m("Hani i Elezit", "Elez Han", "Елез Хан", "71510", 9),
    m("Gjilan", "Gnjilane", "Гњилане", "60000", 80),
    m("Kamenicë", "Kamenica", "Каменица", "62000", 24),
    m("Viti", "Vitina", "Витина", "61000", 40),
    m("Novobërdë", "Novo Brdo", "Ново Брдо", "60100", 6),
    m("Kllokot", "Klokot", "Клокот", "61010", 2),
    m("Partesh", "Parteš", "Партеш", "60060", 2),
    m("Ranillug", "Ranilug", "Ранилуг", "62500", 3),
    m("Gjakovë", "Đakovica", "Ђаковица", "50000", 78),
    m("Deçan", "Dečani", "Дечани", "51000", 33),
    m("Junik", "Junik", "Јуник", "51050", 6),
    m("Rahovec", "Orahovac", "Ораховац", "21000", 51),
];

/// A municipality drawn by population weight.
pub fn municipality(rng: &mut Rng) -> &'static Municipality {
    let total: u64 = MUNICIPALITIES.iter().map(|m| u64::from(m.weight)).sum();
    let mut x = rng.below(total);
    for m in &MUNICIPALITIES {
        let w = u64::from(m.weight);
        if x < w {
            return m;
        }
        x -= w;
    }
    &MUNICIPALITIES[0]
}

// ---------------------------------------------------------------------------------------------
// Names: a small list of common given names and surnames, for sample data only.

const SQ_MALE: &[&str] = &[
    "Arben",
    "Bajram",
    "Bekim",
    "Valon",
    "Egzon",
    "Dion",
    "Ilir",
    "Fatmir",
    "Agim",
    "Driton",
    "Besnik",
    "Blerim",
    "Kushtrim",
    "Shkëlzen",
    "Ardit",
    "Granit",
    "Florent",
    "Leutrim",
    "Albin",
    "Faton",
    "Ramadan",
    "Xhevdet",
];
const SQ_FEMALE: &[&str] = &[
    "Fatime",
    "Drita",
    "Afërdita",
    "Arta",
    "Blerta",
    "Vjosa",
    "Teuta",
    "Mimoza",
    "Valbona",
    "Shqipe",
    "Lirie",
    "Hana",
    "Elira",
    "Donjeta",
    "Qëndresa",
    "Rina",
    "Ardita",
    "Besa",
    "Zana",
    "Lumnije",
];
const SQ_SURNAMES: &[&str] = &[
    "Krasniqi", "Gashi", "Berisha", "Morina", "Shala", "Hoxha", "Bytyqi", "Kelmendi", "Thaçi",
    "Rexhepi", "Hasani", "Ahmeti", "Kastrati", "Mustafa", "Sadiku", "Osmani", "Kryeziu", "Zeqiri",
    "Jashari", "Haliti", "Bajrami", "Rama", "Maloku", "Syla", "Hyseni", "Avdiu", "Ibrahimi",
    "Musliu", "Aliu", "Salihu", "Halili", "Limani", "Demaj", "Gjoka", "Dervishi", "Veseli", "Sopi",
    "Mehmeti", "Lleshi", "Çeku",
];
const SR_MALE: &[&str] = &[
    "Miloš",
    "Đorđe",
    "Dušan",
    "Nikola",
    "Stefan",
    "Marko",
    "Željko",
    "Goran",
    "Zoran",
    "Nenad",
    "Dejan",
    "Srđan",
    "Aleksandar",
    "Milan",
];
const SR_FEMALE: &[&str] = &[
    "Jelena", "Milica", "Ana", "Ivana", "Snežana", "Dragana", "Bojana", "Jovana", "Vesna",
    "Tijana", "Marija",
];
const SR_SURNAMES: &[&str] = &[
    "Jovanović",
    "Petrović",
    "Nikolić",
    "Marković",
    "Đorđević",
    "Stojanović",
    "Ilić",
    "Stanković",
    "Pavlović",
    "Milošević",
    "Popović",
    "Živković",
    "Todorović",
    "Savić",
    "Kostić",
    "Ristić",
    "Lazić",
    "Dimitrijević",
    "Mitić",
    "Đukić",
    "Šarić",
    "Tomić",
    "Vučković",
    "Babić",
    "Kovačević",
];

/// A made-up person.
#[derive(Debug, Clone)]
pub struct Person {
    /// Given name.
    pub first: &'static str,
    /// Surname.
    pub last: &'static str,
    /// Sex (used for name, JMBG serial and the gender column).
    pub female: bool,
    /// Date of birth.
    pub dob: NaiveDate,
    /// Municipality of residence.
    pub municipality: &'static Municipality,
}

impl Person {
    /// "First Last".
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first, self.last)
    }
}

/// A person with an Albanian (`serbian == false`) or Serbian name, born between the years.
pub fn person(rng: &mut Rng, serbian: bool, born: (i32, i32)) -> Person {
    let female = rng.chance(0.5);
    let (first, last) = match (serbian, female) {
        (false, false) => (*rng.pick(SQ_MALE), *rng.pick(SQ_SURNAMES)),
        (false, true) => (*rng.pick(SQ_FEMALE), *rng.pick(SQ_SURNAMES)),
        (true, false) => (*rng.pick(SR_MALE), *rng.pick(SR_SURNAMES)),
        (true, true) => (*rng.pick(SR_FEMALE), *rng.pick(SR_SURNAMES)),
    };
    Person {
        first,
        last,
        female,
        dob: date_between(rng, born.0, born.1),
        municipality: municipality(rng),
    }
}

// ---------------------------------------------------------------------------------------------
// Dates and ages.

/// A uniformly drawn date from 1 January `from` to 31 December `to`.
pub fn date_between(rng: &mut Rng, from: i32, to: i32) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(from, 1, 1).unwrap_or_default();
    let end = NaiveDate::from_ymd_opt(to, 12, 31).unwrap_or(start);
    let span = u64::try_from((end - start).num_days()).unwrap_or(0);
    let days = rng.below(span + 1);
    start
        .checked_add_days(chrono::Days::new(days))
        .unwrap_or(start)
}

/// A date written as people write it: mostly `14.03.1987`, otherwise `1987-03-14`.
pub fn date_text(rng: &mut Rng, d: NaiveDate) -> String {
    if rng.chance(0.6) {
        d.format("%d.%m.%Y").to_string()
    } else {
        d.format("%Y-%m-%d").to_string()
    }
}

/// Age in whole years on [`reference_date`].
pub fn age_on_reference(dob: NaiveDate) -> u32 {
    reference_date().years_since(dob).unwrap_or(0)
}

/// Days since 1970-01-01 (Arrow `Date32`).
pub fn epoch_days(d: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((d - epoch).num_days()).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Identifiers.

fn digit_values(s: &str) -> Vec<u32> {
    s.bytes().map(|b| u32::from(b.wrapping_sub(b'0'))).collect()
}

/// A Kosovo personal number: 10 digits, first digit 1–8 (never 0, which reads as a phone
/// number, nor 9, which bypasses the check), last digit the nidx check digit.
pub fn personal_number(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(10);
    s.push(char::from(b'0' + rng.range(1, 8) as u8));
    s.push_str(&rng.digits(8));
    let check = kosovo_pn::check_digit(&digit_values(&s));
    s.push(char::from(b'0' + check as u8));
    s
}

/// A JMBG for a person born on `dob`, registered in Kosovo (region 91–97), with a serial in the
/// male (000–499) or female (500–999) range and a valid control digit. Serials whose checksum
/// has remainder 1 (valid only under one of two conventions) are avoided.
pub fn jmbg(rng: &mut Rng, dob: NaiveDate, female: bool) -> String {
    let date = format!(
        "{:02}{:02}{:03}",
        dob.day(),
        dob.month(),
        dob.year().rem_euclid(1000)
    );
    let region = rng.range(91, 97);
    let mut first12 = String::new();
    for _ in 0..32 {
        let serial = if female {
            rng.range(500, 999)
        } else {
            rng.range(0, 499)
        };
        first12 = format!("{date}{region:02}{serial:03}");
        let d = digit_values(&first12);
        let weights = [7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
        let sum: u32 = d.iter().zip(weights).map(|(a, w)| a * w).sum();
        if sum % 11 != 1 {
            break;
        }
    }
    let check = jmbg::check_digit(&digit_values(&first12));
    format!("{first12}{check}")
}

/// The two ISO 7064 MOD 97-10 check digits for the first 14 BBAN digits.
fn bban_check(first14: u64) -> u64 {
    98 - (first14 * 100) % 97
}

/// A 16-digit Kosovo BBAN (domestic account number): bank, branch, 10-digit account and the
/// two national check digits, so that `BBAN mod 97 == 1`.
pub fn bban(rng: &mut Rng) -> String {
    let bank = *rng.pick(&[11u64, 12, 13, 15, 16, 17, 19, 20]);
    let branch = rng.range(1, 40);
    let account = rng.below(10_000_000_000);
    let first14 = bank * 1_000_000_000_000 + branch * 10_000_000_000 + account;
    format!("{first14:014}{:02}", bban_check(first14))
}

/// A Kosovo IBAN: `XK05` + BBAN (the IBAN check digits are always 05 for a valid BBAN).
pub fn iban(rng: &mut Rng) -> String {
    format!("XK05{}", bban(rng))
}

/// A domestic account, printed in groups of four (`1212 0123 4567 8906`) or plain.
pub fn account_text(rng: &mut Rng) -> String {
    let b = bban(rng);
    if rng.chance(0.5) {
        format!("{} {} {} {}", &b[0..4], &b[4..8], &b[8..12], &b[12..16])
    } else {
        b
    }
}

/// A passport number: `P` + 8 digits.
pub fn passport(rng: &mut Rng) -> String {
    format!("P{:08}", rng.range(1, 99_999_999))
}

const PLATE_LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQ";

/// A vehicle plate: mostly RKS `01-123-AB` (district 01–07, serial from 101), sometimes the
/// legacy UNMIK `123 KS 456`.
pub fn plate(rng: &mut Rng) -> String {
    if rng.chance(0.12) {
        return format!("{} KS {}", rng.range(100, 999), rng.range(100, 999));
    }
    let a = char::from(*rng.pick(PLATE_LETTERS));
    let b = char::from(*rng.pick(PLATE_LETTERS));
    format!("{:02}-{}-{a}{b}", rng.range(1, 7), rng.range(101, 999))
}

/// A Kosovo NUI (business id): 9 digits starting with 81.
pub fn nui(rng: &mut Rng) -> String {
    format!("81{}", rng.digits(7))
}

// ---------------------------------------------------------------------------------------------
// Phones and e-mail.

const MOBILE: &[(u64, u32)] = &[
    (43, 5),
    (44, 30),
    (45, 20),
    (46, 5),
    (47, 5),
    (48, 10),
    (49, 25),
];

/// A Kosovo phone number in one of the formats seen in data: `044 123 456`,
/// `+383 44 123 456`, `049/123-456`, `045-123-456`, `00383 44 123456`, legacy `+377 44 …` and
/// `+386 49 …`, or a fixed line `038 123 456` / `0280 123 456`.
pub fn phone(rng: &mut Rng) -> String {
    let op = *rng.weighted(MOBILE);
    let (a, b) = (rng.range(100, 999), rng.digits(3));
    match rng.below(100) {
        0..=34 => format!("0{op} {a} {b}"),
        35..=59 => format!("+383 {op} {a} {b}"),
        60..=69 => format!("0{op}/{a}-{b}"),
        70..=76 => format!("0{op}-{a}-{b}"),
        77..=80 => format!("00383 {op} {a}{b}"),
        81..=86 => format!("+377 {} {a} {b}", rng.pick(&[44, 45])),
        87..=91 => format!("+386 {} {a} {b}", rng.pick(&[43, 49])),
        92..=96 => format!("0{} {a} {b}", rng.pick(&[38, 29, 28, 39])),
        _ => format!("0{} {a} {b}", rng.pick(&[280, 290, 390])),
    }
}

/// A phone number as found in Serbian-run records: often the old `+381` fixed-line codes.
pub fn phone_sr(rng: &mut Rng) -> String {
    if rng.chance(0.4) {
        let area = *rng.pick(&[28, 38, 39, 29]);
        let (a, b) = (rng.range(100, 999), rng.digits(3));
        if rng.chance(0.5) {
            format!("+381 {area} {a} {b}")
        } else {
            format!("0{area}/{a}-{b}")
        }
    } else {
        phone(rng)
    }
}

/// Reserved example domains only (RFC 2606), never a real provider.
const EMAIL_DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "shembull.example.com",
    "posta.example.org",
];

/// Lower-case ASCII form of a name for e-mail addresses (`Thaçi` → `thaci`, `Đorđe` → `djordje`).
pub fn ascii_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'ë' | 'é' | 'è' => out.push('e'),
            'ç' | 'č' | 'ć' => out.push('c'),
            'š' => out.push('s'),
            'ž' => out.push('z'),
            'đ' => out.push_str("dj"),
            c if c.is_ascii_alphanumeric() => out.push(c),
            _ => {}
        }
    }
    out
}

/// An e-mail address derived from a name, at an example domain.
pub fn email(rng: &mut Rng, first: &str, last: &str) -> String {
    let (f, l) = (ascii_fold(first), ascii_fold(last));
    let domain = rng.pick(EMAIL_DOMAINS);
    let initial: String = f.chars().take(1).collect();
    match rng.below(4) {
        0 => format!("{f}.{l}@{domain}"),
        1 => format!("{f}{l}{}@{domain}", rng.range(1, 99)),
        2 => format!("{initial}.{l}@{domain}"),
        _ => format!("{l}.{f}{}@{domain}", rng.range(70, 99)),
    }
}

// ---------------------------------------------------------------------------------------------
// Vocabularies.

/// ICD-10 codes with the condition in Albanian, Serbian and English.
pub const ICD10: &[(&str, &str, &str, &str)] = &[
    ("E11.9", "diabetit", "dijabetesa", "type 2 diabetes"),
    (
        "E10.9",
        "diabetit tip 1",
        "dijabetesa tip 1",
        "type 1 diabetes",
    ),
    ("I10", "hipertensionit", "hipertenzije", "hypertension"),
    ("J45.9", "astmës", "astme", "asthma"),
    (
        "I25.1",
        "sëmundjes së zemrës",
        "bolesti srca",
        "coronary heart disease",
    ),
    (
        "J44.9",
        "sëmundjes pulmonare",
        "hronične opstruktivne bolesti pluća",
        "COPD",
    ),
    ("F32.9", "depresionit", "depresije", "depression"),
    ("F41.1", "ankthit", "anksioznosti", "anxiety"),
    ("K21.9", "refluksit", "refluksa", "reflux"),
    (
        "M54.5",
        "dhimbjes së shpinës",
        "bolova u leđima",
        "low back pain",
    ),
    (
        "N18.3",
        "sëmundjes së veshkave",
        "bolesti bubrega",
        "chronic kidney disease",
    ),
    ("E03.9", "hipotiroidizmit", "hipotireoze", "hypothyroidism"),
    (
        "J06.9",
        "infeksionit të rrugëve të frymëmarrjes",
        "respiratorne infekcije",
        "upper respiratory infection",
    ),
    ("O80", "lindjes", "porođaja", "delivery"),
    ("Z34.0", "shtatzënisë", "trudnoće", "pregnancy"),
    ("B18.1", "hepatitit B", "hepatitisa B", "hepatitis B"),
    ("U07.1", "COVID-19", "COVID-19", "COVID-19"),
    (
        "C50.9",
        "kancerit të gjirit",
        "karcinoma dojke",
        "breast cancer",
    ),
    ("G40.9", "epilepsisë", "epilepsije", "epilepsy"),
    ("E66.9", "obezitetit", "gojaznosti", "obesity"),
];

/// A diagnosis that fits the person: pregnancy and delivery codes only for women of 16–50.
pub fn diagnosis(
    rng: &mut Rng,
    p: &Person,
) -> &'static (&'static str, &'static str, &'static str, &'static str) {
    let fits_pregnancy = p.female && (16..=50).contains(&age_on_reference(p.dob));
    for _ in 0..64 {
        let icd = rng.pick(ICD10);
        if fits_pregnancy || !(icd.0.starts_with('O') || icd.0.starts_with("Z3")) {
            return icd;
        }
    }
    &ICD10[0]
}

/// Albanian ethnicity words, Albanian majority (DOMAIN.md §8.1).
pub const ETHNICITY_SQ: &[(&str, u32)] = &[
    ("shqiptar", 880),
    ("serb", 40),
    ("boshnjak", 20),
    ("turk", 15),
    ("rom", 10),
    ("ashkali", 15),
    ("egjiptian", 10),
    ("goran", 10),
];

/// Religion values in Serbian (DOMAIN.md §8.2) for people with Serbian names.
const RELIGION_SR_SERB: &[(&str, u32)] = &[
    ("pravoslavni", 50),
    ("pravoslavna", 35),
    ("ateista", 5),
    ("bez veroispovesti", 3),
    ("katolik", 2),
];

/// Religion values in Serbian for people with Albanian names.
const RELIGION_SR_OTHER: &[(&str, u32)] = &[
    ("muslimanska", 45),
    ("islamska", 30),
    ("katolik", 8),
    ("katolička", 7),
    ("ateista", 3),
    ("pravoslavna", 2),
];

/// A religion written in Serbian, drawn to fit the name.
pub fn religion_sr(rng: &mut Rng, serbian: bool) -> &'static str {
    if serbian {
        rng.weighted::<&str>(RELIGION_SR_SERB)
    } else {
        rng.weighted::<&str>(RELIGION_SR_OTHER)
    }
}

/// Political parties (DOMAIN.md §8.3).
pub const PARTIES: &[(&str, u32)] = &[
    ("LVV", 50),
    ("PDK", 20),
    ("LDK", 14),
    ("AAK", 6),
    ("Lista Serbe", 5),
    ("NISMA", 2),
    ("KDTP", 1),
    ("Vakat", 1),
    ("PDAK", 1),
];

/// Criminal-record entries (English free text).
const CRIMES: &[&str] = &[
    "convicted of theft 2015",
    "suspended sentence for fraud (2018)",
    "fined for assault, 2012",
    "convicted of drunk driving 2020",
    "probation for embezzlement 2017",
    "convicted of tax evasion 2016, fine paid",
    "6 months prison for burglary (2009)",
    "conditional sentence for document forgery 2019",
    "convicted of domestic violence 2021",
    "acquitted of bribery charges 2014; previous conviction for theft 2011",
];

/// A criminal-record entry, or `None` for most people.
pub fn criminal_record(rng: &mut Rng) -> Option<&'static str> {
    rng.chance(0.18).then(|| *rng.pick(CRIMES))
}

const STREETS_SR: &[&str] = &[
    "Ulica Kralja Petra",
    "Bulevar oslobođenja",
    "Kneza Miloša",
    "Ulica Vuka Karadžića",
    "Cara Dušana",
    "Ulica Svetog Save",
    "Njegoševa",
    "Kralja Milutina",
    "Ulica Kneginje Ljubice",
    "Braće Jugović",
    "Šumadijska",
    "Žitnička",
];

/// A Serbian street address: `Ulica Kralja Petra 12`.
pub fn street_sr(rng: &mut Rng) -> String {
    let street = rng.pick(STREETS_SR);
    if rng.chance(0.15) {
        format!("{street} {}/{}", rng.range(1, 120), rng.range(1, 30))
    } else {
        format!("{street} {}", rng.range(1, 120))
    }
}

/// Short product descriptions for invoices (not personal).
pub const PRODUCTS: &[&str] = &[
    "Letër A4, 5 pako",
    "Toner për printer",
    "Ujë mineral 0.5L x 24",
    "Kafe espresso 1kg",
    "Shërbim mirëmbajtjeje",
    "Karrige zyre",
    "Pajisje rrjeti",
    "Material pastrimi",
    "Bojë për mure 10L",
    "Dru zjarri 1m3",
    "Laptop 15 inç",
    "Qira mujore e zyrës",
    "Karburant diesel 200L",
    "Servisim i veturës",
    "Shërbime kontabiliteti",
];

// ---------------------------------------------------------------------------------------------
// Free text.

const NOTES_SQ: &[&str] = &[
    "Pacienti u thirr në {phone} për kontrollin e {health}.",
    "Kontrolli i {health}, gjendja stabile. Kontakt: {email}",
    "Nr. personal {pn} i verifikuar; alergji në penicilinë.",
    "Motra e pacientit, {name}, u njoftua në {phone}.",
    "{age} vjeç, nën trajtim për shkak të {health}; takimi i radhës pas 3 muajsh.",
    "Kërkon vërtetim për pushim mjekësor. Tel. {phone}",
    "Rezultatet e analizave u dërguan në {email}.",
    "Referuar te specialisti për shkak të {health}.",
    "Terapia u ndryshua, pacienti konfirmoi me telefon {phone}.",
    "Pa ankesa.",
];

const NOTES_SR: &[&str] = &[
    "Pacijent pozvan na {phone} zbog kontrole {health_sr}.",
    "Kontrola {health_sr}, stanje stabilno. Email: {email}",
    "Lični broj {pn} proveren, alergija na penicilin.",
    "Upućen specijalisti zbog {health_sr}; kontakt {phone}.",
    "Sestra pacijenta, {name}, obaveštena na {phone}.",
];

const NOTES_EN: &[&str] = &[
    "Patient called on {phone} about {health_en} follow-up.",
    "Referred to a specialist for {health_en}; personal no. {pn}.",
    "Lab results for {health_en} sent to {email}.",
    "{age}-year-old, {health_en}, next visit in 3 months.",
    "Daughter {name} can be reached at {phone}.",
];

/// What a note may mention.
pub struct NoteContext<'a> {
    /// The subject.
    pub person: &'a Person,
    /// Personal number shown in the note.
    pub pn: &'a str,
    /// Diagnosis row from [`ICD10`].
    pub icd: &'a (&'static str, &'static str, &'static str, &'static str),
}

/// A free-text note in Albanian (mostly), Serbian or English with embedded entities.
pub fn note(rng: &mut Rng, ctx: &NoteContext<'_>) -> String {
    let template = match rng.below(100) {
        0..=69 => rng.pick(NOTES_SQ),
        70..=84 => rng.pick(NOTES_SR),
        _ => rng.pick(NOTES_EN),
    };
    fill(rng, template, ctx)
}

/// Replace the placeholders of a note template.
fn fill(rng: &mut Rng, template: &str, ctx: &NoteContext<'_>) -> String {
    let mut out = template.to_string();
    if out.contains("{phone}") {
        out = out.replace("{phone}", &phone(rng));
    }
    if out.contains("{email}") {
        out = out.replace("{email}", &email(rng, ctx.person.first, ctx.person.last));
    }
    if out.contains("{name}") {
        let relative = person(rng, SR_SURNAMES.contains(&ctx.person.last), (1950, 2000));
        out = out.replace("{name}", &format!("{} {}", relative.first, ctx.person.last));
    }
    out.replace("{pn}", ctx.pn)
        .replace("{health}", ctx.icd.1)
        .replace("{health_sr}", ctx.icd.2)
        .replace("{health_en}", ctx.icd.3)
        .replace("{age}", &age_on_reference(ctx.person.dob).to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::detect::validators::{self, iban as iban_v, phone as phone_v};

    /// Remove the separators the pattern normaliser removes.
    fn squash(s: &str) -> String {
        s.chars()
            .filter(|c| !matches!(c, ' ' | '-' | '/' | '(' | ')' | '.'))
            .collect()
    }

    #[test]
    fn identifiers_pass_their_validators() {
        let mut rng = Rng::new(99);
        let email_ok = validators::by_name("email").unwrap();
        let plate_ok = validators::by_name("plate_district").unwrap();
        for _ in 0..2000 {
            let pn = personal_number(&mut rng);
            assert!(kosovo_pn::is_valid(&pn), "{pn}");
            assert!(!pn.starts_with('0') && !pn.starts_with('9'));

            let serbian = rng.chance(0.3);
            let p = person(&mut rng, serbian, (1930, 2023));
            let j = jmbg(&mut rng, p.dob, p.female);
            assert!(jmbg::is_valid(&j), "{j}");
            let d = validators::digits::<13>(&j).unwrap();
            assert!((91..=97).contains(&jmbg::region(&d).unwrap()));
            assert_eq!(jmbg::birth_date(&d), Some(p.dob));
            assert_eq!(d[9] >= 5, p.female);

            let i = iban(&mut rng);
            assert!(iban_v::is_valid_iban(&i), "{i}");
            let a = account_text(&mut rng);
            assert!(iban_v::is_valid_xk_account(&squash(&a)), "{a}");

            for ph in [phone(&mut rng), phone_sr(&mut rng)] {
                assert!(phone_v::is_valid(&squash(&ph)), "{ph}");
            }
            let e = email(&mut rng, p.first, p.last);
            assert!(email_ok(&e), "{e}");
            assert!(e.is_ascii());
            let domain = e.rsplit_once('@').unwrap().1;
            assert!(
                domain.starts_with("example.") || domain.contains(".example."),
                "{e}"
            );

            let pass = passport(&mut rng);
            assert!(
                pass.len() == 9
                    && pass.starts_with('P')
                    && pass[1..].bytes().all(|b| b.is_ascii_digit())
            );
            let pl = plate(&mut rng);
            assert!(plate_ok(&squash(&pl)), "{pl}");
            let n = nui(&mut rng);
            assert!(n.len() == 9 && n.starts_with("81"));
            let dt = date_text(&mut rng, p.dob);
            assert!(validators::date::is_valid(&dt), "{dt}");
            assert_eq!(validators::date::parse(&dt), Some(p.dob));
        }
    }

    #[test]
    fn bban_check_matches_known_vector() {
        // SWIFT example 1212012345678906: first 14 digits → check 06.
        assert_eq!(bban_check(12_120_123_456_789), 6);
    }

    #[test]
    fn fold_names() {
        assert_eq!(ascii_fold("Thaçi"), "thaci");
        assert_eq!(ascii_fold("Đorđe"), "djordje");
        assert_eq!(ascii_fold("Shkëlzen"), "shkelzen");
        assert_eq!(ascii_fold("Živković"), "zivkovic");
    }

    #[test]
    fn notes_embed_entities() {
        let mut rng = Rng::new(5);
        let p = person(&mut rng, false, (1960, 1990));
        let pn = personal_number(&mut rng);
        let ctx = NoteContext {
            person: &p,
            pn: &pn,
            icd: &ICD10[0],
        };
        let notes: Vec<String> = (0..200).map(|_| note(&mut rng, &ctx)).collect();
        assert!(notes.iter().all(|n| !n.contains('{')));
        assert!(notes.iter().any(|n| n.contains(&pn)));
        assert!(notes.iter().any(|n| n.contains('@')));
        assert!(notes.iter().any(|n| n.contains("diabet")));
    }

    #[test]
    fn municipalities_are_38_and_distinct() {
        let mut names: Vec<&str> = MUNICIPALITIES.iter().map(|m| m.sq).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 38);
        assert!(MUNICIPALITIES.iter().all(|m| m.postal.len() == 5));
    }
}
