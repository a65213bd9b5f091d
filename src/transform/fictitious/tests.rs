use std::collections::HashSet;
use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::detect::validators::{iban, jmbg as jmbg_v, phone as phone_v};
use crate::transform::test_util::{key, out, patterns};

fn f(kind: IdKind) -> Fictitious {
    Fictitious::new(&key(7), kind, &patterns()).expect("fictitious")
}

fn one(t: &Fictitious, v: &str) -> Option<String> {
    let mut s = String::new();
    t.apply_one(v, &mut s).then_some(s)
}

/// `+383` and the national significant number of a Kosovo number in any written form, real
/// or fictitious (`normalise_identifier` knows only real ranges).
fn e164(o: &str) -> String {
    let compact: String = o
        .replace("(0)", "")
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let nsn = ["+383", "00383", "383", "0"]
        .iter()
        .find_map(|p| compact.strip_prefix(p))
        .unwrap_or("?");
    format!("+383{nsn}")
}

/// Whether a fictitious phone output lies in a fictitious range (and in no real one).
fn phone_in_range(o: &str) -> bool {
    static R: std::sync::OnceLock<ranges::Ranges> = std::sync::OnceLock::new();
    let r = R.get_or_init(|| ranges::Ranges::load(&patterns()).unwrap());
    let e = e164(o);
    let nsn = &e[4..];
    !phone_v::is_valid(&e)
        && r.phone.ranges.iter().any(|pr| {
            pr.nsn_length == nsn.len() && pr.fictitious.iter().any(|c| nsn.starts_with(c.as_str()))
        })
}

#[test]
fn phones_keep_their_written_form() {
    let p = f(IdKind::Phone);
    for v in [
        "+383 44 123 456",
        "044/123-456",
        "00383 49 765 432",
        "+383 (0)38 222 055",
        "038 222 055",
        "0280 123 456",
        "38344123456",
        "+377 44 123 456",
        "+386 49 123 456",
    ] {
        let o = one(&p, v).unwrap_or_else(|| panic!("{v}"));
        assert_eq!(o.len(), v.len(), "{v} → {o}");
        let shape = |s: &str| s.replace(|c: char| c.is_ascii_digit(), "9");
        if !v.starts_with("+377") && !v.starts_with("+386") {
            assert_eq!(shape(&o), shape(v), "{v} → {o}");
            // Country code and trunk prefix stay as written.
            for p in ["+383 ", "00383", "383", "0"] {
                if v.starts_with(p) {
                    assert!(o.starts_with(p), "{v} → {o}");
                    break;
                }
            }
        } else {
            assert!(o.starts_with("+383 "), "{o}");
        }
        assert!(phone_in_range(&o), "{v} → {o}");
        assert_eq!(one(&p, v), Some(o), "deterministic");
    }
    // Spellings of one number give one number.
    let a = one(&p, "044 123 456").unwrap();
    let b = one(&p, "+383 44 123 456").unwrap();
    assert_eq!(a.replace(' ', "")[1..], b.replace(' ', "")[4..]);
    for bad in [
        "080012345",   // toll-free
        "090012345",   // premium
        "040 123 456", // a fictitious range already
        "044 12a 456",
        "+49 30 1234567",
        "",
    ] {
        assert_eq!(one(&p, bad), None, "{bad}");
    }
}

#[test]
fn other_keys_give_other_numbers() {
    let a = Fictitious::new(&key(1), IdKind::Phone, &patterns()).unwrap();
    let b = Fictitious::new(&key(2), IdKind::Phone, &patterns()).unwrap();
    assert_ne!(one(&a, "044 123 456"), one(&b, "044 123 456"));
}

#[test]
fn emails_stay_emails_under_example_org() {
    let e = f(IdKind::Email);
    for v in [
        "arta.b@gmail.com",
        "Driton_77@hotmail.com",
        "x@y.co",
        "a.b.c-d@uni-pr.edu",
    ] {
        let o = one(&e, v).unwrap();
        let (local, dom) = o.rsplit_once('@').unwrap();
        assert_eq!(dom, "example.org");
        assert!(!local.starts_with('.') && !local.contains(".."), "{o}");
        assert!(
            local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "{o}"
        );
        assert_eq!(
            one(&e, &v.to_uppercase()),
            Some(o.clone()),
            "case-insensitive"
        );
    }
    // The shape of the local part is kept: letters, digits and separators where they were.
    let o = one(&e, "driton_77@hotmail.com").unwrap();
    let b = o.as_bytes();
    assert!(b[..6].iter().all(u8::is_ascii_lowercase), "{o}");
    assert_eq!(b[6], b'_');
    assert!(b[7..9].iter().all(u8::is_ascii_digit), "{o}");
    assert_eq!(one(&e, "not an address"), None);
}

#[test]
fn accounts_and_ibans_are_valid_under_an_unused_bank_code() {
    let i = f(IdKind::Iban);
    let a = f(IdKind::Account);
    let o = one(&i, "XK05 1212 0123 4567 8906").unwrap();
    assert_eq!(o.len(), "XK05 1212 0123 4567 8906".len());
    assert!(o.starts_with("XK05 9"), "{o}");
    assert!(iban::is_valid_iban(&o.replace(' ', "")), "{o}");
    let o = one(&a, "1304-0010-0416-0572").unwrap();
    assert!(iban::is_valid_xk_account(&o.replace('-', "")), "{o}");
    assert_eq!(&o[4..5], "-");
    for bad in [
        "XK051212012345678907",
        "DE89370400440532013000",
        "9904001004160572",
    ] {
        assert_eq!(one(&i, bad).or_else(|| one(&a, bad)), None, "{bad}");
    }
}

#[test]
fn jmbgs_are_valid_in_an_unused_area() {
    let j = f(IdKind::Jmbg);
    for v in ["0101980910122", "3005987951233", "0101006500006"] {
        let o = one(&j, v).unwrap();
        assert!(jmbg_v::is_valid(&o), "{o}");
        assert_eq!(&o[7..8], "6", "{o}");
    }
    assert_eq!(one(&j, "0101980610126"), None, "already fictitious");
}

#[test]
fn kinds_without_a_free_range_are_refused() {
    for k in [IdKind::PersonalNumber, IdKind::Passport, IdKind::Name] {
        let e = Fictitious::new(&key(1), k, &patterns())
            .err()
            .expect("refused");
        assert!(e.to_string().contains("fpe"), "{e}");
    }
}

/// A distinct valid Kosovo phone number for each `i < 11·10⁶`, in a written form chosen by
/// `i` (no real person: generated).
fn phone_input(i: u64) -> String {
    const CODES: [&str; 11] = [
        "43", "44", "45", "46", "47", "48", "49", "28", "29", "38", "39",
    ];
    let code = CODES[(i % 11) as usize];
    let sub = (i / 11 * 7_919) % 1_000_000;
    let (a, b) = (sub / 1000, sub % 1000);
    match i % 4 {
        0 => format!("+383 {code} {a:03} {b:03}"),
        1 => format!("0{code}/{a:03}-{b:03}"),
        2 => format!("00383{code}{a:03}{b:03}"),
        _ => format!("0{code} {a:03} {b:03}"),
    }
}

/// The property of issue 21 over 1,000,000 rows: every output is in a fictitious range, no
/// output equals any input value (of any row), outputs are distinct where inputs are, and a
/// second run gives the same column.
#[test]
fn a_million_phones_never_reach_a_real_number() {
    const N: u64 = 1_000_000;
    let inputs: Vec<String> = (0..N).map(phone_input).collect();
    let col: ArrayRef = Arc::new(StringArray::from(inputs.clone()));
    let t = f(IdKind::Phone);
    let r = t.apply(&col, None).unwrap();
    assert_eq!((r.problems, r.changed), (0, N));
    let outs: Vec<String> = out(&r).into_iter().map(Option::unwrap).collect();
    let norm = e164;
    let input_set: HashSet<String> = inputs.iter().map(|s| norm(s)).collect();
    assert_eq!(
        input_set.len() as u64,
        N,
        "generated inputs are distinct numbers"
    );
    let mut seen = HashSet::with_capacity(N as usize);
    for (i, o) in outs.iter().enumerate() {
        if i % 1000 == 0 {
            assert!(phone_in_range(o), "{o}");
        }
        assert!(
            !inputs[i].is_empty() && !input_set.contains(&norm(o)),
            "{o} is an input"
        );
        assert!(seen.insert(norm(o)), "two inputs give {o}");
    }
    // Outputs differ from inputs as written, too.
    let written: HashSet<&String> = inputs.iter().collect();
    assert!(outs.iter().all(|o| !written.contains(o)));
    assert_eq!(out(&t.apply(&col, None).unwrap()), out(&r), "deterministic");
}

#[test]
fn a_million_emails_never_reach_a_real_mailbox() {
    const N: usize = 1_000_000;
    let inputs: Vec<String> = (0..N)
        .map(|i| {
            format!(
                "p{}.{}@{}",
                i % 997,
                i,
                ["gmail.com", "ipko.net", "rks-gov.net"][i % 3]
            )
        })
        .collect();
    let col: ArrayRef = Arc::new(StringArray::from(inputs.clone()));
    let r = f(IdKind::Email).apply(&col, None).unwrap();
    assert_eq!(r.problems, 0);
    let outs: Vec<String> = out(&r).into_iter().map(Option::unwrap).collect();
    let input_set: HashSet<&String> = inputs.iter().collect();
    let mut seen = HashSet::with_capacity(N);
    for o in &outs {
        assert!(o.ends_with("@example.org") && !input_set.contains(o), "{o}");
        assert!(seen.insert(o.as_str()), "collision {o}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn accounts_are_valid_distinct_and_never_inputs(bank in 10u32..30, x in proptest::collection::hash_set(0u64..1_000_000_000_000, 1..50)) {
        let a = f(IdKind::Account);
        let i = f(IdKind::Iban);
        let mut outs = HashSet::new();
        for v in &x {
            let first14 = format!("{bank:02}{v:012}");
            let r = first14.bytes().fold(0u32, |a, c| (a * 10 + u32::from(c - b'0')) % 97);
            let acct = format!("{first14}{:02}", 98 - r * 100 % 97);
            prop_assert!(iban::is_valid_xk_account(&acct));
            let o = one(&a, &acct).unwrap();
            prop_assert!(iban::is_valid_xk_account(&o));
            prop_assert!(o.as_bytes()[0] == b'9' && o != acct);
            prop_assert!(outs.insert(o.clone()), "collision");
            let ib = one(&i, &format!("XK05{acct}")).unwrap();
            prop_assert_eq!(&ib[4..], o.as_str());
            prop_assert!(iban::is_valid_iban(&ib));
        }
    }

    #[test]
    fn jmbgs_are_valid_distinct_and_never_inputs(area in 90u32..100, rest in proptest::collection::hash_set((1u32..=28, 1u32..=12, 1900i32..2049, 0u32..1000), 1..50)) {
        let j = f(IdKind::Jmbg);
        let mut outs = HashSet::new();
        for (day, month, year, bbb) in rest {
            let first = format!("{day:02}{month:02}{:03}{area:02}{bbb:03}", year.rem_euclid(1000));
            let w: Vec<u32> = first.bytes().map(|b| u32::from(b - b'0')).collect();
            let v = format!("{first}{}", jmbg_v::check_digit(&w));
            let o = one(&j, &v).unwrap();
            prop_assert!(jmbg_v::is_valid(&o), "{}", o);
            prop_assert_eq!(&o[7..8], "6");
            prop_assert!(outs.insert(o), "collision");
        }
    }

    #[test]
    fn phone_permutation_is_injective_on_samples(xs in proptest::collection::hash_set(0u64..11_000_000, 1..200)) {
        let p = f(IdKind::Phone);
        let norm = e164;
        let ins: HashSet<String> = xs.iter().map(|&i| norm(&phone_input(i))).collect();
        let outs: HashSet<String> = xs.iter().map(|&i| norm(&one(&p, &phone_input(i)).unwrap())).collect();
        prop_assert_eq!(outs.len(), ins.len());
        prop_assert!(outs.is_disjoint(&ins));
    }
}
