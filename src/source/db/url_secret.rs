//! Database URLs shown without their password, read with the grammar of the driver that will
//! use them.
//!
//! The two drivers disagree: `tokio-postgres` (like libpq) ends the user-info at the *first*
//! `@` of the URL and lets `?`, `/` and `#` stand in a password, while the `url` crate behind
//! `mysql` ends the authority at the first `/`, `?` or `#` and the user-info at the *last* `@`
//! before it. A scrubber with a grammar of its own shows whatever the driver took for a
//! password as a host, path or parameter, so each scheme is redacted with its driver's
//! grammar, and a URL its driver cannot parse is shown as its scheme alone. Parameter names
//! are compared percent-decoded and case-insensitively (`?p%61ssword=`, `?PASSWORD=`).
//! [`secret_candidates`] errs the other way: every string that some grammar could take for a
//! password is scrubbed from messages.

/// Parameter names that carry a password (compared decoded and lower-cased).
const SECRET_PARAMS: [&str; 4] = ["password", "pass", "passwd", "pwd"];

/// What a URL the driver cannot parse is shown as, after its scheme.
const HIDDEN: &str = "…";

/// Whether the parameter named `raw_key` (as written, maybe percent-encoded) holds a password.
fn is_secret_param(raw_key: &str) -> bool {
    let key = super::percent_decode(&raw_key.replace('+', " ")).to_ascii_lowercase();
    SECRET_PARAMS.contains(&key.trim())
}

/// Query parameters without the secret ones, joined again (`None` when none is left).
fn kept_params(query: &str) -> Option<String> {
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .filter(|kv| !is_secret_param(kv.split('=').next().unwrap_or("")))
        .collect();
    (!kept.is_empty()).then(|| kept.join("&"))
}

/// `url` without its password: `postgres://user:secret@host/db` → `postgres://user@host/db`,
/// password parameters dropped; a URL the driver cannot parse becomes `scheme://…`. Text that
/// is not a URL is returned as it is, except that a `password=` in a PostgreSQL key/value
/// connection string loses its value.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return redact_key_values(url);
    };
    let shown = match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => redact_postgres(url, rest),
        "mysql" | "mariadb" => redact_mysql(rest),
        _ => None,
    };
    match shown {
        Some(s) => format!("{scheme}://{s}"),
        None => format!("{scheme}://{HIDDEN}"),
    }
}

/// The part after `postgres://`, read as `tokio-postgres` reads it: user-info up to the first
/// `@`, host up to `/` or `?`, database up to `?`, then `&`-separated parameters. A host that
/// still holds an `@` (a password with a raw `@`, which the driver splits at the first one) is
/// shown from its last `@` on, so no piece of that password is shown as a host.
fn redact_postgres(url: &str, rest: &str) -> Option<String> {
    // The TLS parameters are anonkos's (libpq's spelling), not the driver's.
    let (driver_url, _) = super::tls::split_postgres(url).ok()?;
    driver_url.parse::<postgres::Config>().ok()?;
    let (user, after) = match rest.split_once('@') {
        Some((creds, after)) => (creds.split(':').next(), after),
        None => (None, rest),
    };
    // Another `@` means the password held a raw one: the driver reads a piece of it as the
    // host (and maybe the database), so only what follows the last `@` is shown.
    let after = after.rsplit('@').next().unwrap_or(after);
    let host_end = after.find(['/', '?']).unwrap_or(after.len());
    let (host, tail) = after.split_at(host_end);
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    let mut out = String::new();
    if let Some(u) = user {
        out.push_str(u);
        out.push('@');
    }
    out.push_str(host);
    out.push_str(path);
    if let Some(q) = query.and_then(kept_params) {
        out.push('?');
        out.push_str(&q);
    }
    Some(out)
}

/// The part after `mysql://` or `mariadb://`, read by the `url` crate as the `mysql` driver
/// reads it; the fragment is never shown.
fn redact_mysql(rest: &str) -> Option<String> {
    let u = url::Url::parse(&format!("mysql://{rest}")).ok()?;
    let mut out = String::new();
    if !u.username().is_empty() {
        out.push_str(u.username());
        out.push('@');
    }
    out.push_str(u.host_str().unwrap_or(""));
    if let Some(p) = u.port() {
        out.push_str(&format!(":{p}"));
    }
    out.push_str(u.path());
    if let Some(q) = u.query().and_then(kept_params) {
        out.push('?');
        out.push_str(&q);
    }
    Some(out)
}

/// A libpq key/value connection string (`host=h password='x y'`) with every password value
/// replaced by `***`; any other text unchanged.
fn redact_key_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(eq) = rest.find('=') {
        let (before, after) = rest.split_at(eq);
        let key = before.rsplit(char::is_whitespace).next().unwrap_or(before);
        let key = if key.is_empty() {
            before
                .trim_end()
                .rsplit(char::is_whitespace)
                .next()
                .unwrap_or("")
        } else {
            key
        };
        out.push_str(before);
        out.push('=');
        let after = &after[1..];
        let lead = after.len() - after.trim_start().len();
        let value_len = value_len(&after[lead..]);
        if is_secret_param(key) && value_len > 0 {
            out.push_str(&after[..lead]);
            out.push_str("***");
        } else {
            out.push_str(&after[..lead + value_len]);
        }
        rest = &after[lead + value_len..];
    }
    out.push_str(rest);
    out
}

/// The refusal of an input that is a key/value connection string holding a password (read as
/// a file name it would be echoed, password and all, in a "no such file" message): the input
/// as it may be shown, and the error. `None` for any other input.
pub fn refuse_key_values(input: &str) -> Option<(String, crate::error::Error)> {
    if input.contains("://") {
        return None;
    }
    let shown = redact_key_values(input);
    (shown != input).then(|| {
        let e = crate::error::Error::Usage(format!(
            "{shown}: a key/value connection string is not an input; give a database URL \
             (postgres://user@host/db) with the password in PGPASSWORD or ~/.pgpass"
        ));
        (shown, e)
    })
}

/// The length of a key/value connection-string value at the start of `s`: a `'…'` string
/// (with `\` escapes) or a run of non-space characters (with `\` escapes), as libpq reads it.
fn value_len(s: &str) -> usize {
    let quoted = s.starts_with('\'');
    let mut chars = s.char_indices().skip(usize::from(quoted));
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '\'' if quoted => return i + 1,
            c if !quoted && c.is_whitespace() => return i,
            _ => {}
        }
    }
    s.len()
}

/// Every string that a driver could read as a password in `url`: what precedes each `@`
/// after the first `:` of the user-info (so both the first-`@` and the last-`@` readings are
/// covered), and the value of every password parameter wherever a `?`, `&` or space could
/// start one. Scrubbing too much from a message is harmless; too little is a leak.
pub(super) fn secret_candidates(url: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((_, rest)) = url.split_once("://") {
        for (at, _) in rest.match_indices('@') {
            if let Some((_, pw)) = rest[..at].split_once(':') {
                out.push(pw.to_string());
            }
        }
        if let Ok(u) = url::Url::parse(&format!("mysql://{rest}"))
            && let Some(pw) = u.password()
        {
            out.push(pw.to_string());
        }
    }
    for piece in url.split(['?', '&', ' ', '\t', '\n']) {
        if let Some((k, v)) = piece.split_once('=')
            && is_secret_param(k)
        {
            out.push(v.to_string());
            if let Some((before_fragment, _)) = v.split_once('#') {
                out.push(before_fragment.to_string());
            }
            let v = v.trim_matches('\'');
            out.push(v.to_string());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A password with every character that a scrubber can misread.
    const PW: &str = "Xq7a?Kz9b@Wv3c/Jm5d#Tr2e%Fy8g";
    const PIECES: [&str; 6] = ["Xq7a", "Kz9b", "Wv3c", "Jm5d", "Tr2e", "Fy8g"];

    fn assert_hidden(url: &str, shown: &str) {
        for p in PIECES {
            assert!(!shown.contains(p), "{url} shown as {shown}");
        }
        let scrubbed = super::super::Secret::from_url(url).scrub(url);
        for p in PIECES {
            assert!(!scrubbed.contains(p), "{url} scrubbed to {scrubbed}");
        }
    }

    #[test]
    fn urls_are_shown_without_any_piece_of_the_password() {
        let enc = "Xq7a%3FKz9b%40Wv3c%2FJm5d%23Tr2e%25Fy8g";
        let cases = [
            // PostgreSQL: first `@`; `?`, `/`, `#` stand in the password.
            (
                "postgres://u:Xq7a?Kz9b%40Wv3c/Jm5d#Tr2e%Fy8g@h:5432/db".to_string(),
                "postgres://u@h:5432/db",
            ),
            (format!("postgres://u:{enc}@h/db"), "postgres://u@h/db"),
            (
                format!("postgresql://u@h/db?sslmode=disable&p%61ssword={enc}"),
                "postgresql://u@h/db?sslmode=disable",
            ),
            (
                format!("postgres://u@h/db?password={enc}&application_name=x"),
                "postgres://u@h/db?application_name=x",
            ),
            // A raw `@`: the driver splits at the first one; nothing after it is shown.
            (
                "postgres://u:Xq7a@Kz9b@h/db".to_string(),
                "postgres://u@h/db",
            ),
            (format!("postgres://u:{PW}@h:1/db"), "postgres://u@h:1/db"),
            // The driver refuses `PASSWORD` and an unclosed IPv6 host: scheme only.
            (format!("postgres://u@h/db?PASSWORD={enc}"), "postgres://…"),
            (format!("postgres://u:{enc}@[::1/db"), "postgres://…"),
            // MySQL: the `url` crate's grammar, last `@` of the authority.
            (
                "mysql://u:Xq7a%3FKz9b@Wv3c%2FJm5d%23Tr2e%25Fy8g@h:3306/db".to_string(),
                "mysql://u@h:3306/db",
            ),
            (format!("mariadb://u:{enc}@h/db"), "mariadb://u@h/db"),
            (format!("mysql://u:{PW}@h/db"), "mysql://…"),
            (format!("mysql://u@h/db?Password={enc}"), "mysql://u@h/db"),
        ];
        for (url, want) in cases {
            let shown = redact_url(&url);
            assert_eq!(shown, want, "{url}");
            assert_hidden(&url, &shown);
        }
    }

    #[test]
    fn key_value_strings_lose_their_password() {
        assert_eq!(
            redact_key_values("host=h password='Xq7a Kz9b' user=u"),
            "host=h password=*** user=u"
        );
        assert_eq!(
            redact_key_values("host=h PASSWORD = Xq7a\\ Kz9b dbname=d"),
            "host=h PASSWORD = *** dbname=d"
        );
        assert_eq!(redact_url("data/patients.csv"), "data/patients.csv");
        let s = super::super::Secret::from_url("host=h password='Xq7a' user=u");
        assert_eq!(s.scrub("Xq7a"), "***");
    }
}
