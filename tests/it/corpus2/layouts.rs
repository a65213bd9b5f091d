//! The datasets: each column's generator, its expected category (alternatives after `|`
//! where two answers are equally right) and the failure class of issue 16 it exercises.
use super::names::*;
use super::rng::Rng;
use super::values::{self, DateFmt, Lang};

/// The failure classes of issue 16 (and a baseline of plainly headed columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// 1: no header, or a meaningless one (`col1`, `F7`, `field_12`).
    Headerless,
    /// 2: headers as people write them (inflection, abbreviations, Cyrillic, camelCase).
    Inflected,
    /// 3: the header says one thing, the values another.
    HeaderDecoy,
    /// 4: record keys, credentials, photos.
    KeysCredsPhotos,
    /// 5: non-personal columns of the same shapes as personal ones.
    NonPersonal,
}

impl Class {
    pub fn label(self) -> &'static str {
        match self {
            Class::Headerless => "1 headerless/meaningless",
            Class::Inflected => "2 inflected/abbrev headers",
            Class::HeaderDecoy => "3 header-vs-values",
            Class::KeysCredsPhotos => "4 keys/creds/photos",
            Class::NonPersonal => "5 non-personal decoys",
        }
    }
}

/// How a photo is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enc {
    Blob,
    Base64,
    Hex,
}

/// What a column holds.
#[derive(Debug, Clone, Copy)]
pub enum Gen {
    /// Personal number; the check digit is right with this probability.
    Pn(f64),
    Jmbg,
    Iban(bool),
    Phone,
    Email(Lang),
    Full(Lang),
    First(Lang),
    Last(Lang),
    Address(Lang),
    Dob(DateFmt),
    Date(DateFmt),
    Timestamp,
    Icd10,
    /// A word from a list (municipalities, faiths, labels).
    Words(&'static [&'static str]),
    /// Unique integer per row (a record key or a plain row id).
    RowId,
    /// Unique code per row with a prefix (`EMP-004512`).
    Code(&'static str),
    Login,
    PwHash(u8),
    Token,
    Photo(Enc),
    /// A repeated integer in a range (foreign keys, floors, quantities).
    Int(u64, u64),
    Amount,
    Room,
    Product,
    /// Ten digits without any check, repeated across rows (order lines, meter readings).
    TenDigits,
}

/// One cell as the writers see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Blob(Vec<u8>),
}

impl Cell {
    /// The cell as text (blobs as lower-case hex).
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Blob(b) => anonkos::digest::hex(b),
        }
    }
}

/// How a dataset is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    Csv { delim: u8, cp1250: bool },
    Parquet,
    Sqlite,
    PgDump,
    MyDump,
}

pub struct Col {
    pub header: &'static str,
    pub make: Gen,
    /// Expected category; `a|b` accepts either.
    pub expect: &'static str,
    pub class: Class,
}

pub struct Spec {
    pub name: &'static str,
    pub fmt: Fmt,
    /// Whether a CSV carries its header row (other formats always name columns).
    pub header: bool,
    pub cols: Vec<Col>,
}

/// Rows per dataset: enough for value statistics, small enough for a debug run.
pub const ROWS: usize = 200;

fn c(header: &'static str, make: Gen, expect: &'static str, class: Class) -> Col {
    Col {
        header,
        make,
        expect,
        class,
    }
}

impl Col {
    /// Whether the release must not hold any of this column's input values: direct
    /// identifiers, record keys and credentials.
    pub fn is_identifier(&self) -> bool {
        self.expect
            .split('|')
            .next()
            .is_some_and(|e| DIRECT.contains(&e) || e == "record_key" || e == "credential")
    }

    /// Whether the column is a direct identifier or a special category (the misses that
    /// have their own ceiling).
    pub fn is_direct_or_special(&self) -> bool {
        self.expect
            .split('|')
            .next()
            .is_some_and(|e| DIRECT.contains(&e) || SPECIAL.contains(&e))
    }

    pub fn accepts(&self, got: &str) -> bool {
        self.expect.split('|').any(|e| e == got)
    }
}

const DIRECT: &[&str] = &[
    "person_name",
    "kosovo_personal_number",
    "jmbg",
    "passport_number",
    "id_card_number",
    "phone_number",
    "email",
    "iban",
    "bank_account",
    "street_address",
    "vehicle_plate",
    "ip_address",
];
const SPECIAL: &[&str] = &[
    "health",
    "ethnic_origin",
    "religion",
    "political_opinion",
    "trade_union",
    "sex_life",
    "criminal_record",
    "biometric",
    "genetic",
];

/// Generate one column of `n` rows.
pub fn column(make: Gen, r: &mut Rng, n: usize) -> Vec<Cell> {
    // Six-digit keys: long enough that the leak matcher counts them (see leaks::MIN_NEEDLE).
    let mut next_id = r.range(100_000, 800_000) as i64;
    (0..n)
        .map(|row| {
            let t = |s: String| Cell::Text(s);
            match make {
                Gen::Pn(v) => t(values::personal_number(r, v)),
                Gen::Jmbg => t(values::jmbg(r)),
                Gen::Iban(sp) => t(values::iban(r, sp)),
                Gen::Phone => t(values::phone(r)),
                Gen::Email(l) => {
                    let (f, s) = values::first_last(r, l);
                    t(values::email(r, &f, &s))
                }
                Gen::Full(l) => {
                    let (f, s) = values::first_last(r, l);
                    t(format!("{f} {s}"))
                }
                Gen::First(l) => t(values::first_last(r, l).0),
                Gen::Last(l) => t(values::first_last(r, l).1),
                Gen::Address(l) => t(values::address(r, l)),
                Gen::Dob(f) => t(values::date(r, (1940, 2006), f)),
                Gen::Date(f) => t(values::date(r, (2019, 2025), f)),
                Gen::Timestamp => t(values::timestamp(r)),
                Gen::Icd10 => t(values::icd10(r)),
                Gen::Words(w) => t(r.pick(w).to_string()),
                Gen::RowId => {
                    next_id += r.range(1, 3) as i64;
                    Cell::Int(next_id)
                }
                Gen::Code(p) => {
                    next_id += r.range(1, 3) as i64;
                    t(format!("{p}{next_id:06}"))
                }
                Gen::Login => {
                    let (f, s) = values::first_last(r, Lang::Sq);
                    t(values::login(r, &f, &s, row))
                }
                Gen::PwHash(k) => t(values::password_hash(r, k)),
                Gen::Token => t(values::api_token(r)),
                Gen::Photo(Enc::Blob) => Cell::Blob(values::photo(r)),
                Gen::Photo(Enc::Base64) => t(values::base64(&values::photo(r), true)),
                Gen::Photo(Enc::Hex) => t(anonkos::digest::hex(&values::photo(r))),
                Gen::Int(lo, hi) => Cell::Int(r.range(lo, hi) as i64),
                Gen::Amount => t(values::amount(r)),
                Gen::Room => t(values::room(r)),
                Gen::Product => t(values::product_code(r)),
                Gen::TenDigits => {
                    // Each number on a few rows, as order lines or meter readings are.
                    if row % 3 == 0 || next_id < 1_000_000_000 {
                        next_id = values::ten_digits(r).parse().unwrap_or(1_000_000_000);
                    }
                    t(next_id.to_string())
                }
            }
        })
        .collect()
}

/// A generated dataset.
pub struct Table {
    pub spec: Spec,
    pub cells: Vec<Vec<Cell>>,
}

impl Table {
    pub fn rows(&self) -> usize {
        self.cells.first().map_or(0, Vec::len)
    }
}

/// Every dataset of the corpus for `seed`.
pub fn corpus(seed: u64) -> Vec<Table> {
    specs()
        .into_iter()
        .map(|spec| {
            let mut r = Rng::derive(seed, spec.name);
            let cells = spec
                .cols
                .iter()
                .map(|col| column(col.make, &mut r, ROWS))
                .collect();
            Table { spec, cells }
        })
        .collect()
}

use Class::*;
use Gen::*;

const CSV: Fmt = Fmt::Csv {
    delim: b',',
    cp1250: false,
};
const fn csv(delim: u8, cp1250: bool) -> Fmt {
    Fmt::Csv { delim, cp1250 }
}

/// The dataset specs (class 1 and 2 first, then decoys, keys, non-personal).
pub fn specs() -> Vec<Spec> {
    let mut v = headerless();
    v.extend(inflected());
    v.extend(decoys());
    v.extend(keys());
    v.extend(nonpersonal());
    v
}

fn spec(name: &'static str, fmt: Fmt, header: bool, cols: Vec<Col>) -> Spec {
    Spec {
        name,
        fmt,
        header,
        cols,
    }
}

fn headerless() -> Vec<Spec> {
    let h = Headerless;
    vec![
        spec(
            "regjistri_pa_koke",
            CSV,
            false,
            vec![
                c("", Pn(0.75), "kosovo_personal_number", h),
                c("", Full(Lang::Sq), "person_name", h),
                c("", Dob(DateFmt::Dots), "date_of_birth", h),
                c("", Phone, "phone_number", h),
                c("", Words(MUNI_SQ), "municipality", h),
                c("", Icd10, "health", h),
                c("", Amount, "none", NonPersonal),
            ],
        ),
        spec(
            "eksport_f",
            csv(b';', false),
            true,
            vec![
                c("F1", RowId, "record_key", KeysCredsPhotos),
                c("F2", Jmbg, "jmbg", h),
                c("F3", Full(Lang::SrLat), "person_name", h),
                c("F4", Icd10, "health", h),
                c("F5", Phone, "phone_number", h),
                c("F6", Dob(DateFmt::Compact), "date_of_birth", h),
                c("F7", Pn(0.7), "kosovo_personal_number", h),
                c("F8", Amount, "none", NonPersonal),
            ],
        ),
        spec(
            "pacientet_col",
            Fmt::Parquet,
            true,
            vec![
                c("col1", Icd10, "health", h),
                c("col2", Pn(0.8), "kosovo_personal_number", h),
                c("col3", Full(Lang::Foreign), "person_name", h),
                c("col4", Email(Lang::Sq), "email", h),
                c("col5", Full(Lang::Sq), "person_name", h),
                c("col6", Room, "none", NonPersonal),
                c("col7", Date(DateFmt::Iso), "date", h),
            ],
        ),
        spec(
            "field_dump",
            Fmt::Sqlite,
            true,
            vec![
                c("field_1", RowId, "record_key", KeysCredsPhotos),
                c("field_3", Iban(false), "iban", h),
                c("field_5", Jmbg, "jmbg", h),
                c("field_7", Phone, "phone_number", h),
                c("field_9", Full(Lang::SrCyr), "person_name", h),
                c("field_12", Icd10, "health", h),
                c("field_14", Words(ETHNIC_SQ), "ethnic_origin", h),
            ],
        ),
        spec(
            "stanovnici_bez",
            csv(b'\t', true),
            false,
            vec![
                c("", Full(Lang::SrLat), "person_name", h),
                c("", Jmbg, "jmbg", h),
                c("", Address(Lang::SrLat), "street_address", h),
                c("", Words(MUNI_SR), "municipality", h),
                c("", Words(RELIGION_SR), "religion", h),
                c("", Dob(DateFmt::Dots), "date_of_birth", h),
            ],
        ),
        spec(
            "banka_pa_koke",
            csv(b'|', false),
            false,
            vec![
                c("", Iban(true), "iban", h),
                c("", Amount, "none", NonPersonal),
                c("", Date(DateFmt::Slash), "date", h),
                c("", Email(Lang::Foreign), "email", h),
                c("", TenDigits, "none|record_key", NonPersonal),
                c("", Pn(0.75), "kosovo_personal_number", h),
                c("", Full(Lang::Foreign), "person_name", h),
            ],
        ),
        spec(
            "kontaktet_pa_koke",
            CSV,
            false,
            vec![
                c("", Full(Lang::Foreign), "person_name", h),
                c("", Email(Lang::Foreign), "email", h),
                c("", Phone, "phone_number", h),
                c("", Address(Lang::Sq), "street_address", h),
                c("", Dob(DateFmt::Slash), "date_of_birth", h),
                c("", Words(LANGUAGES), "none", NonPersonal),
            ],
        ),
    ]
}

fn inflected() -> Vec<Spec> {
    let i = Inflected;
    vec![
        spec(
            "lindjet",
            CSV,
            true,
            vec![
                c("emri", First(Lang::Sq), "person_name", i),
                c("mbiemri", Last(Lang::Sq), "person_name", i),
                c("data e lindjes", Dob(DateFmt::Dots), "date_of_birth", i),
                c("vendbanimi", Words(MUNI_SQ), "municipality", i),
                c("feja", Words(RELIGION_SQ), "religion", i),
                c("kombesia", Words(ETHNIC_SQ), "ethnic_origin", i),
                c("nr personal", Pn(0.1), "kosovo_personal_number", i),
                c("tel", Phone, "phone_number", i),
            ],
        ),
        spec(
            "regjistrimi",
            Fmt::Parquet,
            true,
            vec![
                c("Emri dhe mbiemri", Full(Lang::Sq), "person_name", i),
                c("lindjes", Dob(DateFmt::Iso), "date_of_birth", i),
                c("vendbanimit", Words(MUNI_SQ), "municipality", i),
                c("fese", Words(RELIGION_SQ), "religion", i),
                c("nr_pers", Pn(0.1), "kosovo_personal_number", i),
                c("kod_diagnozes", Icd10, "health", i),
                c("adr", Address(Lang::Sq), "street_address", i),
            ],
        ),
        spec(
            "stanovnici",
            csv(b';', true),
            true,
            vec![
                c("Ime i prezime", Full(Lang::SrLat), "person_name", i),
                c("dat_rodj", Dob(DateFmt::Dots), "date_of_birth", i),
                c("JMBG br", Jmbg, "jmbg", i),
                c("mesto prebivalista", Words(MUNI_SR), "municipality", i),
                c("veroispovest", Words(RELIGION_SR), "religion", i),
                c("nacionalnost", Words(ETHNIC_SR), "ethnic_origin", i),
                c("br_tel", Phone, "phone_number", i),
                c("adresa", Address(Lang::SrLat), "street_address", i),
            ],
        ),
        spec(
            "cyr_registar",
            Fmt::Sqlite,
            true,
            vec![
                c("име", First(Lang::SrCyr), "person_name", i),
                c("презиме", Last(Lang::SrCyr), "person_name", i),
                c("датум рођења", Dob(DateFmt::Dots), "date_of_birth", i),
                c("ЈМБГ", Jmbg, "jmbg", i),
                c("општина", Words(MUNI_CYR), "municipality", i),
                c("вера", Words(RELIGION_CYR), "religion", i),
                c("телефон", Phone, "phone_number", i),
                c("адреса", Address(Lang::SrCyr), "street_address", i),
            ],
        ),
        spec(
            "hr_snake",
            Fmt::PgDump,
            true,
            vec![
                c("emp_id", RowId, "record_key", KeysCredsPhotos),
                c("first_name", First(Lang::Foreign), "person_name", i),
                c("last_name", Last(Lang::Sq), "person_name", i),
                c("dateofbirth", Dob(DateFmt::Iso), "date_of_birth", i),
                c("personalno", Pn(0.1), "kosovo_personal_number", i),
                c("homeaddr", Address(Lang::Foreign), "street_address", i),
                c("mobile_nr", Phone, "phone_number", i),
                c("email_addr", Email(Lang::Foreign), "email", i),
            ],
        ),
        spec(
            "klinika",
            Fmt::MyDump,
            true,
            vec![
                c("pacienti", Full(Lang::Sq), "person_name", i),
                c("dt_lindjes", Dob(DateFmt::Iso), "date_of_birth", i),
                c("diagnoza_kod", Icd10, "health", i),
                c("nr_pers", Pn(0.1), "kosovo_personal_number", i),
                c("komuna", Words(MUNI_SQ), "municipality", i),
                c("etnia", Words(ETHNIC_SQ), "ethnic_origin", i),
                c("tel_nr", Phone, "phone_number", i),
            ],
        ),
        spec(
            "nxenesit",
            CSV,
            true,
            vec![
                c("Emri", First(Lang::Sq), "person_name", i),
                c("Mbiemri", Last(Lang::Foreign), "person_name", i),
                c("datLindjes", Dob(DateFmt::Compact), "date_of_birth", i),
                c("Nr. Personal", Pn(0.1), "kosovo_personal_number", i),
                c("Vendbanimi i prindit", Words(MUNI_SQ), "municipality", i),
                c("Email prindi", Email(Lang::Sq), "email", i),
                c("Feja e nxenesit", Words(RELIGION_SQ), "religion", i),
            ],
        ),
        spec(
            "ankesat",
            Fmt::Parquet,
            true,
            vec![
                c("emriPlote", Full(Lang::Sq), "person_name", i),
                c("nrPersonal", Pn(0.1), "kosovo_personal_number", i),
                c("datLindjes", Dob(DateFmt::Dots), "date_of_birth", i),
                c("adresaBanimit", Address(Lang::Sq), "street_address", i),
                c("nrTel", Phone, "phone_number", i),
                c("IBAN_llog", Iban(true), "iban", i),
                c("diagnoza", Icd10, "health", i),
            ],
        ),
        spec(
            "radnici",
            Fmt::Sqlite,
            true,
            vec![
                c("ime", First(Lang::SrLat), "person_name", i),
                c("prez", Last(Lang::SrLat), "person_name", i),
                c("datum_rodjenja", Dob(DateFmt::Dots), "date_of_birth", i),
                c("licni_br", Pn(0.1), "kosovo_personal_number", i),
                c("opstina", Words(MUNI_SR), "municipality", i),
                c("vera", Words(RELIGION_SR), "religion", i),
                c("nac", Words(ETHNIC_SR), "ethnic_origin", i),
                c("tel", Phone, "phone_number", i),
            ],
        ),
    ]
}

fn decoys() -> Vec<Spec> {
    let d = HeaderDecoy;
    vec![
        spec(
            "store",
            Fmt::PgDump,
            true,
            vec![
                c("store_id", RowId, "none|record_key", KeysCredsPhotos),
                c("manager", Full(Lang::Foreign), "person_name", d),
                c("address_id", Int(1, 60), "none|record_key", d),
                c("name", Words(GENRES), "none", d),
                c("last_update", Timestamp, "date|none", NonPersonal),
            ],
        ),
        spec(
            "produktet",
            Fmt::Parquet,
            true,
            vec![
                c("name", Words(PRODUCTS), "none", d),
                c("category_name", Words(DEPARTMENTS), "none", d),
                c("owner", Full(Lang::Foreign), "person_name", d),
                c("kontakti", Full(Lang::Sq), "person_name", d),
                c("price", Amount, "none", NonPersonal),
                c("sku", Product, "none", NonPersonal),
            ],
        ),
        spec(
            "departamentet",
            Fmt::MyDump,
            true,
            vec![
                c("dept_id", RowId, "none|record_key", KeysCredsPhotos),
                c("name", Words(DEPARTMENTS), "none", d),
                c("street_address_id", Int(1, 40), "none|record_key", d),
                c("kontakti", Full(Lang::SrLat), "person_name", d),
                c("language_name", Words(LANGUAGES), "none", d),
                c("home_address_id", Int(100, 400), "none|record_key", d),
            ],
        ),
        spec(
            "col5_owners",
            csv(b';', false),
            true,
            vec![
                c("col1", Product, "none", NonPersonal),
                c("col2", Amount, "none", NonPersonal),
                c("col3", Date(DateFmt::Iso), "date", Headerless),
                c("col4", Room, "none", NonPersonal),
                c("col5", Full(Lang::Foreign), "person_name", d),
                c("col6", Words(GENRES), "none", d),
            ],
        ),
        spec(
            "languages",
            Fmt::Sqlite,
            true,
            vec![
                c("language_id", RowId, "none|record_key", KeysCredsPhotos),
                c("name", Words(LANGUAGES), "none", d),
                c("owner", Full(Lang::Sq), "person_name", d),
                c("addr_id", Int(1, 90), "none|record_key", d),
            ],
        ),
        spec(
            "ekipet",
            Fmt::Parquet,
            true,
            vec![
                c("name", Words(DEPARTMENTS), "none", d),
                c("trajner", Full(Lang::Sq), "person_name", d),
                c("contact_person", Full(Lang::SrLat), "person_name", d),
                c("venue_address_id", Int(1, 30), "none|record_key", d),
                c("season", Int(2019, 2025), "none", NonPersonal),
            ],
        ),
    ]
}

fn keys() -> Vec<Spec> {
    let k = KeysCredsPhotos;
    let n = NonPersonal;
    vec![
        spec(
            "sesionet",
            Fmt::Sqlite,
            true,
            vec![
                c("session_id", Token, "credential", k),
                c("user_login", Login, "record_key", k),
                c("refresh_token", Token, "credential", k),
                c("started", Timestamp, "date|none", n),
            ],
        ),
        // A CSV export whose header starts with `user…`, as account exports do.
        spec(
            "login_export",
            CSV,
            true,
            vec![
                c("user_id", RowId, "record_key", k),
                c("username", Login, "record_key", k),
                c("email", Email(Lang::Foreign), "email", Inflected),
                c("full_name", Full(Lang::SrLat), "person_name", Inflected),
                c("last_login", Timestamp, "date|none", n),
            ],
        ),
        spec(
            "users",
            Fmt::Sqlite,
            true,
            vec![
                c("user_id", RowId, "record_key", k),
                c("username", Login, "record_key", k),
                c("password_hash", PwHash(0), "credential", k),
                c("api_token", Token, "credential", k),
                c("avatar", Photo(Enc::Blob), "photo|biometric", k),
                c("created_at", Timestamp, "date|none", n),
                c("email", Email(Lang::SrLat), "email", Inflected),
            ],
        ),
        spec(
            "punonjesit",
            Fmt::MyDump,
            true,
            vec![
                c("employee_id", RowId, "record_key", k),
                c("badge_no", Code("B-"), "record_key", k),
                c("login", Login, "record_key", k),
                c("pwd", PwHash(1), "credential", k),
                c("foto", Photo(Enc::Blob), "photo|biometric", k),
                c("emri_plote", Full(Lang::Sq), "person_name", Inflected),
                c("paga", Amount, "none", n),
            ],
        ),
        spec(
            "accounts",
            CSV,
            true,
            vec![
                c("id", RowId, "record_key", k),
                c("login_name", Login, "record_key", k),
                c("passwd_sha256", PwHash(2), "credential", k),
                c("token", Token, "credential", k),
                c("photo_b64", Photo(Enc::Base64), "photo|biometric", k),
                c("full_name", Full(Lang::Foreign), "person_name", Inflected),
            ],
        ),
        spec(
            "kartat",
            Fmt::PgDump,
            true,
            vec![
                c("card_id", Code("KRT"), "record_key", k),
                c("holder", Full(Lang::SrLat), "person_name", Inflected),
                c("pin_hash", PwHash(2), "credential", k),
                c("photo", Photo(Enc::Blob), "photo|biometric", k),
                c("issued", Date(DateFmt::Iso), "date", n),
            ],
        ),
        spec(
            "fotot_hex",
            Fmt::Parquet,
            true,
            vec![
                c("badge_no", Code("BDG"), "record_key", k),
                c("img", Photo(Enc::Hex), "photo|biometric", k),
                c("pass_hash", PwHash(0), "credential", k),
            ],
        ),
    ]
}

fn nonpersonal() -> Vec<Spec> {
    let n = NonPersonal;
    vec![
        spec(
            "inventari",
            CSV,
            true,
            vec![
                c("room_no", Room, "none", n),
                c("product_code", Product, "none", n),
                c("amount", Amount, "none", n),
                c("order_no", TenDigits, "none|record_key", n),
                c("ts", Timestamp, "date|none", n),
                c("qty", Int(1, 40), "none", n),
            ],
        ),
        spec(
            "porosite",
            Fmt::Parquet,
            true,
            vec![
                c("c1", TenDigits, "none|record_key", n),
                c("c2", Amount, "none", n),
                c("c3", Timestamp, "date|none", n),
                c("c4", Product, "none", n),
                c("c5", Room, "none", n),
                c("c6", Words(STATUSES), "none", n),
            ],
        ),
        spec(
            "hotel_rooms",
            Fmt::Sqlite,
            true,
            vec![
                c("room", Room, "none", n),
                c("floor", Int(0, 6), "none", n),
                c("rate_eur", Amount, "none", n),
                c("booked_at", Timestamp, "date|none", n),
                c("invoice_no", TenDigits, "none|record_key", n),
            ],
        ),
        spec(
            "matjet",
            Fmt::MyDump,
            true,
            vec![
                c("meter_no", TenDigits, "none|record_key", n),
                c("reading_kwh", Amount, "none", n),
                c("read_at", Timestamp, "date|none", n),
                c("tarifa", Words(TARIFFS), "none", n),
                c("zone_code", Product, "none", n),
            ],
        ),
    ]
}
