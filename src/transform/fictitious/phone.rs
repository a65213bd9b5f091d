//! Fictitious phone numbers: a Kosovo number becomes a number of the same length in a
//! destination code no operator or area holds, written exactly as the input was written.
//!
//! The national significant number (NSN) is read as `(code, subscriber)` and looked up in the
//! ranges file's blocks (mobiles, fixed lines, by NSN length); its index in the block's real
//! space (`position of code in assigned · 10^k + subscriber`) is drawn through a keyed
//! [`Feistel`] permutation of the block's fictitious space (`fictitious codes · 10^k`, at least
//! as large), and the image gives the output's code and subscriber digits. Blocks use disjoint
//! fictitious codes, so the map is one-to-one on all numbers, whatever the mix of operators. Country code, trunk
//! prefix, `(0)`, spaces, dashes and slashes stay where they were; legacy country codes
//! (`+377`, `+386`, `+381`) become `+383`, since the output is a Kosovo number.
use super::feistel::{Feistel, halves};
use super::ranges::PhoneRanges;
use crate::detect::validators::phone;

/// One NSN length's mapping.
struct Block {
    nsn_length: usize,
    code_len: usize,
    assigned: Vec<Vec<u8>>,
    fictitious: Vec<Vec<u8>>,
    /// 10^(subscriber digits).
    block: u64,
    feistel: Feistel,
}

/// Fictitious phone numbers for one key.
pub struct Phones {
    blocks: Vec<Block>,
}

impl Phones {
    /// The mapping for every NSN length of the ranges, under the subkey.
    pub fn new(subkey: &[u8; 32], r: &PhoneRanges) -> Phones {
        let blocks = r
            .ranges
            .iter()
            .map(|pr| {
                let code_len = pr.assigned.first().map_or(0, String::len);
                let sub_digits = u32::try_from(pr.nsn_length - code_len).unwrap_or(0);
                let block = 10u64.pow(sub_digits);
                let n = block * pr.fictitious.len() as u64;
                let (a, b) = halves(n);
                Block {
                    nsn_length: pr.nsn_length,
                    code_len,
                    assigned: pr.assigned.iter().map(|c| c.as_bytes().to_vec()).collect(),
                    fictitious: pr
                        .fictitious
                        .iter()
                        .map(|c| c.as_bytes().to_vec())
                        .collect(),
                    block,
                    feistel: Feistel::new(subkey, a, b),
                }
            })
            .collect();
        Phones { blocks }
    }

    /// The fictitious number for `v`, written into `out`; `false` when `v` is not a Kosovo
    /// number of an assigned range (toll-free, premium, unknown codes, letters).
    pub fn apply(&self, v: &str, out: &mut String) -> bool {
        // Digits (with their byte positions) and the compact `+digits` form the validator reads.
        let mut digits: smallvec::SmallVec<[u8; 20]> = smallvec::SmallVec::new();
        let mut compact = String::with_capacity(16);
        let bytes = v.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b'0'..=b'9' => {
                    digits.push(c);
                    compact.push(char::from(c));
                }
                b'+' => compact.push('+'),
                b'(' if bytes[i..].starts_with(b"(0)") => {
                    // The trunk 0 in brackets is not part of the number; it stays in the output.
                    digits.push(b'0');
                    i += 3;
                    continue;
                }
                b' ' | b'-' | b'.' | b'/' | b'(' | b')' => {}
                _ => return false,
            }
            i += 1;
        }
        if digits.len() > 20 || !phone::is_valid(&compact) {
            return false;
        }
        let Some((cc, nsn)) = phone::split(&compact) else {
            return false;
        };
        let nsn = nsn.as_bytes();
        let Some((b, class)) = self.blocks.iter().find_map(|b| {
            (b.nsn_length == nsn.len())
                .then(|| b.assigned.iter().position(|c| nsn.starts_with(c)))
                .flatten()
                .map(|class| (b, class))
        }) else {
            return false;
        };
        let sub = nsn[b.code_len..]
            .iter()
            .fold(0u64, |a, &d| a * 10 + u64::from(d - b'0'));
        let x = class as u64 * b.block + sub;
        let y = b.feistel.encrypt(x, nsn.len() as u64);
        let Some(code) = usize::try_from(y / b.block)
            .ok()
            .and_then(|k| b.fictitious.get(k))
        else {
            return false;
        };
        // The new NSN replaces the last NSN-length digits; a legacy country code becomes 383.
        let mut new = digits.clone();
        let start = new.len() - nsn.len();
        new[start..start + b.code_len].copy_from_slice(code);
        let mut rest = y % b.block;
        for d in new[start + b.code_len..].iter_mut().rev() {
            *d = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        if matches!(cc, "377" | "386" | "381") {
            let at = if compact.starts_with("00") { 2 } else { 0 };
            new[at..at + 3].copy_from_slice(b"383");
        }
        write_digits(v, &new, out);
        true
    }
}

/// `v` with its ASCII digits replaced, in order, by `new` (`(0)` counts as one digit).
pub(super) fn write_digits(v: &str, new: &[u8], out: &mut String) {
    let mut it = new.iter();
    for c in v.chars() {
        if c.is_ascii_digit() {
            out.push(it.next().map_or(c, |&d| char::from(d)));
        } else {
            out.push(c);
        }
    }
}
