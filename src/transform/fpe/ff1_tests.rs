//! The specialised FF1 against NIST's sample vectors and the general implementation.
use ::fpe::ff1::{FF1, FlexibleNumeralString};
use aes::{Aes128, Aes192, Aes256};
use proptest::prelude::*;

use super::*;

/// The keys of NIST's FF1 samples (AES-128, -192, -256 share a prefix).
const KEY: [u8; 32] = [
    0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6, 0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C,
    0xEF, 0x43, 0x59, 0xD8, 0xD5, 0x80, 0xAA, 0x4F, 0x7F, 0x03, 0x6D, 0x6F, 0x04, 0xFC, 0x6A, 0x94,
];

/// (sample, key bytes, radix, tweak, plaintext, ciphertext).
type Sample = (u8, usize, u32, &'static [u8], &'static str, &'static str);

/// NIST SP 800-38G, "FF1 samples" (csrc.nist.gov, Cryptographic Standards and Guidelines,
/// examples/FF1samples.pdf): (sample, key bytes, radix, tweak, plaintext, ciphertext).
const SAMPLES: [Sample; 9] = [
    (1, 16, 10, b"", "0123456789", "2433477484"),
    (2, 16, 10, b"9876543210", "0123456789", "6124200773"),
    (
        3,
        16,
        36,
        b"7777pqrs777",
        "0123456789abcdefghi",
        "a9tv40mll9kdu509eum",
    ),
    (4, 24, 10, b"", "0123456789", "2830668132"),
    (5, 24, 10, b"9876543210", "0123456789", "2496655549"),
    (
        6,
        24,
        36,
        b"7777pqrs777",
        "0123456789abcdefghi",
        "xbj3kv35jrawxv32ysr",
    ),
    (7, 32, 10, b"", "0123456789", "6657667009"),
    (8, 32, 10, b"9876543210", "0123456789", "1001623463"),
    (
        9,
        32,
        36,
        b"7777pqrs777",
        "0123456789abcdefghi",
        "xs8a0azh2avyalyzuwd",
    ),
];

fn numerals(s: &str, radix: u32) -> Vec<u16> {
    s.chars()
        .map(|c| c.to_digit(radix).expect("numeral") as u16)
        .collect()
}

fn text(x: &[u16]) -> String {
    x.iter()
        .map(|&d| char::from_digit(u32::from(d), 36).expect("numeral"))
        .collect()
}

fn run<C: Cipher>(key: &[u8], radix: u32, tweak: &[u8], x: &str, decrypt: bool) -> String {
    let f = Ff1::<C>::new(key, radix).expect("key and radix");
    let mut v = numerals(x, radix);
    let dom = f.domain(tweak, v.len()).expect("fast domain");
    assert!(f.crypt(&dom, &mut v, decrypt));
    text(&v)
}

fn sample(len: usize, radix: u32, tweak: &[u8], x: &str, decrypt: bool) -> String {
    match len {
        16 => run::<Aes128>(&KEY[..16], radix, tweak, x, decrypt),
        24 => run::<Aes192>(&KEY[..24], radix, tweak, x, decrypt),
        _ => run::<Aes256>(&KEY, radix, tweak, x, decrypt),
    }
}

#[test]
fn nist_sp_800_38g_ff1_samples() {
    for (no, len, radix, tweak, pt, ct) in SAMPLES {
        assert_eq!(sample(len, radix, tweak, pt, false), ct, "sample {no}");
        assert_eq!(
            sample(len, radix, tweak, ct, true),
            pt,
            "sample {no} decrypt"
        );
    }
}

#[test]
fn batches_equal_single_values() {
    let f = Ff1::<Aes256>::new(&KEY, 10).unwrap();
    let dom = f.domain(b"batch", 10).unwrap();
    let mut vals: Vec<(u128, u128)> = (0..100u128).map(|i| (i * 997, i * 7919)).collect();
    let want: Vec<_> = vals
        .iter()
        .map(|&(a, b)| f.encrypt_num(&dom, a, b))
        .collect();
    f.encrypt_many(&dom, &mut vals);
    assert_eq!(vals, want);
}

#[test]
fn lengths_outside_the_fast_path_or_ff1_are_refused() {
    let f10 = Ff1::<Aes256>::new(&KEY, 10).unwrap();
    assert!(f10.domain(b"", 5).is_none(), "10^5 < FF1's minimum domain");
    assert!(f10.domain(b"", 6).is_some());
    assert!(f10.domain(b"", 72).is_some(), "10^36 < 2^120");
    assert!(
        f10.domain(b"", 74).is_none(),
        "10^37 needs the general implementation"
    );
    let f36 = Ff1::<Aes256>::new(&KEY, 36).unwrap();
    assert!(f36.domain(b"", 3).is_none());
    assert!(f36.domain(b"", 4).is_some());
    assert!(f36.domain(b"", 46).is_some());
    assert!(f36.domain(b"", 48).is_none());
    let dom = f10.domain(b"", 6).unwrap();
    assert!(
        !f10.crypt(&dom, &mut [1, 2, 3, 4, 5, 10], false),
        "numeral 10"
    );
    assert!(!f10.crypt(&dom, &mut [1, 2, 3, 4, 5], false), "length");
    assert!(Ff1::<Aes256>::new(&KEY[..16], 10).is_none(), "key length");
    assert!(Ff1::<Aes256>::new(&KEY, 1).is_none(), "radix");
}

/// The general implementation (the `fpe` crate), for comparison.
fn general(key: &[u8; 32], radix: u32, tweak: &[u8], x: &[u16], decrypt: bool) -> Vec<u16> {
    let ff = FF1::<Aes256>::new(key, radix).unwrap();
    let ns = FlexibleNumeralString::from(x.to_vec());
    let r = if decrypt {
        ff.decrypt(tweak, &ns)
    } else {
        ff.encrypt(tweak, &ns)
    };
    Vec::from(r.unwrap())
}

fn value(radix: u32) -> impl Strategy<Value = Vec<u16>> {
    // Lengths from FF1's minimum to beyond every length fpe encrypts (d = 8, 12, 16, 20).
    let (lo, hi) = if radix == 10 { (6, 72) } else { (4, 46) };
    prop::collection::vec(0..radix as u16, lo..=hi)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn agrees_with_the_general_implementation(
        key in any::<[u8; 32]>(),
        tweak in prop::collection::vec(any::<u8>(), 0..40),
        (radix, x) in prop::sample::select(vec![10u32, 36]).prop_flat_map(|r| (Just(r), value(r))),
    ) {
        let f = Ff1::<Aes256>::new(&key, radix).unwrap();
        let dom = f.domain(&tweak, x.len()).expect("fast path covers these lengths");
        let mut e = x.clone();
        prop_assert!(f.crypt(&dom, &mut e, false));
        prop_assert_eq!(&e, &general(&key, radix, &tweak, &x, false));
        // Round trip and the general decryption of the same ciphertext.
        let mut back = e.clone();
        prop_assert!(f.crypt(&dom, &mut back, true));
        prop_assert_eq!(&back, &x);
        prop_assert_eq!(&general(&key, radix, &tweak, &e, true), &x);
        // Deterministic: a second domain and cipher give the same output.
        let f2 = Ff1::<Aes256>::new(&key, radix).unwrap();
        let mut again = x.clone();
        prop_assert!(f2.crypt(&f2.domain(&tweak, x.len()).unwrap(), &mut again, false));
        prop_assert_eq!(again, e);
    }
}
