//! `~/.my.cnf`, read as the `mariadb` client reads its option files, for `mysql://` and
//! `mariadb://` URLs that carry no password.
//!
//! * **Groups.** The client's: `[client]`, `[client-server]`, `[client-mariadb]`, `[mysql]`
//!   and `[mariadb-client]` (names compared case-insensitively). `[mariadb]`, `[mysqld]` and
//!   `[server]` are the server's groups and are not read, as by the client. Options of the
//!   groups read count in the order they appear in the file: a later one wins.
//! * **Options.** `user`, `password`, `host`, `port` (`_` and `-` alike, a `loose-` prefix
//!   ignored); everything else is ignored. `password` with no `=` asks the client to prompt:
//!   no password here.
//! * **Syntax.** `#` and `;` start a comment line; `#` outside quotes also ends a value; a
//!   value in matching `'…'` or `"…"` quotes loses them; `\n \t \r \b \s \\ \" \'` escapes
//!   are undone (any other backslash is kept). `!include` and `!includedir` are not followed.
//! * **Permissions.** A file writable by others is refused, and so is a file holding a
//!   password that group or others can read (mode 0644): as for `~/.pgpass`, a password must be
//!   in a file only its owner can read. The error names the file and the mode, never the
//!   password.
use std::io::Read;
use std::path::{Path, PathBuf};

/// The groups the `mariadb` client reads.
const GROUPS: [&str; 5] = [
    "client",
    "client-server",
    "client-mariadb",
    "mysql",
    "mariadb-client",
];

/// Largest option file read (they are a few lines).
const MAX_BYTES: u64 = 1024 * 1024;

/// The connection options of an option file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientOptions {
    /// `user`.
    pub user: Option<String>,
    /// `password` (never shown).
    pub password: Option<String>,
    /// `host`.
    pub host: Option<String>,
    /// `port`.
    pub port: Option<u16>,
}

/// `$HOME/.my.cnf`.
pub fn file() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".my.cnf"))
}

/// Drop a `#` comment outside quotes (as the client's `remove_end_comment`).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let mut escape = false;
    for (i, c) in line.char_indices() {
        if (c == '\'' || c == '"') && !escape {
            match quote {
                None => quote = Some(c),
                Some(q) if q == c => quote = None,
                Some(_) => {}
            }
        }
        if quote.is_none() && c == '#' {
            return line.get(..i).unwrap_or("");
        }
        escape = quote.is_some() && c == '\\' && !escape;
    }
    line
}

/// A value as the client reads it: trimmed, one pair of matching quotes removed, escapes undone.
fn value(raw: &str) -> String {
    let v = raw.trim();
    let v = match (v.chars().next(), v.chars().last()) {
        (Some(a @ ('\'' | '"')), Some(b)) if a == b && v.len() >= 2 => {
            v.get(1..v.len() - 1).unwrap_or("")
        }
        _ => v,
    };
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' || chars.peek().is_none() {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('s') => out.push(' '),
            Some(e @ ('"' | '\'' | '\\')) => out.push(e),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The client options of an option file's `text`. `Err` names the line of a bad `port`.
pub fn parse(text: &str) -> Result<ClientOptions, String> {
    let mut o = ClientOptions::default();
    let mut in_group = false;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('!') {
            continue; // !include, !includedir: not followed
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = strip_comment(rest);
            let name = name.trim().strip_suffix(']').unwrap_or(name).trim();
            in_group = GROUPS.iter().any(|g| g.eq_ignore_ascii_case(name));
            continue;
        }
        if !in_group {
            continue;
        }
        let line = strip_comment(line);
        let (key, val) = match line.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (line, None),
        };
        let key = key.trim().to_ascii_lowercase().replace('_', "-");
        let key = key.strip_prefix("loose-").unwrap_or(&key);
        match (key, val) {
            ("user", Some(v)) => o.user = Some(value(v)),
            ("password", Some(v)) => o.password = Some(value(v)),
            // A bare `password` makes the client prompt: nothing to use here.
            ("password", None) => o.password = None,
            ("host", Some(v)) => o.host = Some(value(v)),
            ("port", Some(v)) => {
                let v = value(v);
                o.port = Some(v.trim().parse().map_err(|_| {
                    format!(
                        "line {}: port '{}' is not a port number",
                        n + 1,
                        crate::redact::mask(&v)
                    )
                })?);
            }
            _ => {}
        }
    }
    Ok(o)
}

/// The client options of the option file at `path`; `Ok(None)` when there is no such file.
/// `Err` (naming the file, never a password) for a file that is writable by others, holds a
/// password and is readable by group or others, or cannot be read.
pub fn load(path: &Path) -> Result<Option<ClientOptions>, String> {
    let shown = path.display();
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot open {shown}: {e}")),
    };
    let meta = f
        .metadata()
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if !meta.is_file() {
        return Ok(None);
    }
    let mut text = String::new();
    f.take(MAX_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    let opts = parse(&text).map_err(|e| format!("{shown}: {e}"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o002 != 0 {
            return Err(format!(
                "{shown} is writable by anyone (mode {mode:04o}): refused, as anyone could \
                 change where the connection goes; chmod 600 {shown}"
            ));
        }
        if mode & 0o077 != 0 && opts.password.is_some() {
            return Err(format!(
                "{shown} holds a password but can be read by group or others (mode {mode:04o}): \
                 refused, as for ~/.pgpass; chmod 600 {shown}"
            ));
        }
    }
    Ok(Some(opts))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn groups_order_quotes_escapes_and_comments() {
        let text = "# comment\n\
                    ; another\n\
                    [client]\n\
                    user = alice\n\
                    password = \"se#cr et\" # trailing\n\
                    port=3307\n\
                    [mysqld]\n\
                    password=server\n\
                    [mariadb]\n\
                    password=server-too\n\
                    [Client-MariaDB]\n\
                    host = 127.0.0.1\n\
                    [mysql]\n\
                    loose_port = 3308\n\
                    [mariadb-client]\n\
                    user='bob'\n";
        let o = parse(text).unwrap();
        assert_eq!(o.user.as_deref(), Some("bob"));
        assert_eq!(o.password.as_deref(), Some("se#cr et"));
        assert_eq!(o.host.as_deref(), Some("127.0.0.1"));
        assert_eq!(o.port, Some(3308));
        let o = parse("[client]\npassword='a\\tb\\\\c\\sd\\q'\n").unwrap();
        assert_eq!(o.password.as_deref(), Some("a\tb\\c d\\q"));
        let o = parse("[client]\npassword=x#y\n").unwrap();
        assert_eq!(o.password.as_deref(), Some("x"));
        let o = parse("[client]\npassword = \"it's\"\n").unwrap();
        assert_eq!(o.password.as_deref(), Some("it's"));
    }

    #[test]
    fn other_groups_and_options_are_not_read() {
        let o = parse("user=top\n[mysqld]\nuser=srv\n[mariadb]\npassword=p\n[mysqldump]\nuser=d\n")
            .unwrap();
        assert_eq!(o, ClientOptions::default());
        let o = parse("[client]\npassword=p\npassword\nsocket=/x\n!include /etc/x\n").unwrap();
        assert_eq!(o.password, None);
    }

    #[test]
    fn a_bad_port_names_its_line_not_its_value() {
        let e = parse("[client]\n\nport=33a06\n").unwrap_err();
        assert!(e.starts_with("line 3: port"), "{e}");
        assert!(!e.contains("33a06"), "{e}");
    }

    #[test]
    fn permissions() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".my.cnf");
        let write = |text: &str, mode: u32| {
            #[allow(clippy::disallowed_methods)]
            std::fs::write(&p, text).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            load(&p)
        };
        let pw = "[client]\nuser=u\npassword=Zq9-secret\n";
        assert_eq!(
            write(pw, 0o600).unwrap().unwrap().password.as_deref(),
            Some("Zq9-secret")
        );
        for mode in [0o640, 0o644, 0o604] {
            let e = write(pw, mode).unwrap_err();
            assert!(
                e.contains("group or others") && e.contains("chmod 600"),
                "{e}"
            );
            assert!(e.contains(&format!("{mode:04o}")), "{e}");
            assert!(!e.contains("Zq9"), "{e}");
        }
        // No password: a readable file is fine; a writable one is not.
        let user_only = "[client]\nuser=u\n";
        assert_eq!(
            write(user_only, 0o644).unwrap().unwrap().user.as_deref(),
            Some("u")
        );
        let e = write(user_only, 0o666).unwrap_err();
        assert!(e.contains("writable by anyone"), "{e}");
        assert_eq!(load(&d.path().join("missing")).unwrap(), None);
    }
}
