//! Fictitious e-mail addresses: `local@domain` becomes `shape.token@example.org` (the domain
//! from the ranges file; RFC 2606 reserves it, so no mailbox under it belongs to anyone).
//!
//! `shape` keeps the local part's look: every letter becomes a letter, every digit a digit,
//! `. _ -` stay, at most 24 characters; `token` is eight base-32 characters. All of them are
//! drawn from HMAC-SHA256(subkey, normalised address), so one address always gives one output
//! (joins survive) and two addresses give the same output only if 40 bits of token and every
//! character of the shape collide (a keyed hash, not a bijection: for a million addresses of
//! one shape the chance of any collision is below 10⁻⁶).
use hmac::Mac;

use crate::key::{HmacSha256, hmac_with};
use crate::transform::{IdKind, normalise_identifier};

/// The longest local-part shape kept.
const MAX_SHAPE: usize = 24;
const TOKEN: usize = 8;
const B32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Fictitious e-mail addresses for one key.
pub struct Emails {
    mac: HmacSha256,
    domain: String,
}

impl Emails {
    /// Addresses under `domain`, keyed by the subkey.
    pub fn new(subkey: &[u8; 32], domain: &str) -> Emails {
        Emails {
            mac: hmac_with(subkey),
            domain: domain.to_string(),
        }
    }

    /// The fictitious address for `v`; `false` when `v` is not an e-mail address.
    pub fn apply(&self, v: &str, out: &mut String) -> bool {
        let Some(norm) = normalise_identifier(IdKind::Email, v) else {
            return false;
        };
        let Some((local, _)) = norm.rsplit_once('@') else {
            return false;
        };
        let mut m = self.mac.clone();
        m.update(norm.as_bytes());
        let h = m.finalize().into_bytes();
        let mut at = 0;
        let mut last = b'.';
        for c in local.chars().take(MAX_SHAPE) {
            let r = h[at % (h.len() - TOKEN)];
            let o = if c.is_ascii_digit() {
                b'0' + r % 10
            } else if matches!(c, '.' | '_' | '-') {
                // No leading or doubled separators: an address must stay valid.
                if last == b'.' || last == b'_' || last == b'-' {
                    continue;
                }
                c as u8
            } else {
                b'a' + r % 26
            };
            at += 1;
            out.push(char::from(o));
            last = o;
        }
        if !(last == b'.' || last == b'_' || last == b'-') {
            out.push('.');
        }
        for &b in &h[h.len() - TOKEN..] {
            out.push(char::from(B32[usize::from(b % 32)]));
        }
        out.push('@');
        out.push_str(&self.domain);
        true
    }
}
