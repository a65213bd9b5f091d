//! `~/.pgpass` lookup, as libpq does it: lines `hostname:port:database:username:password`,
//! `*` in the first four fields matches anything, `\:` and `\\` escape a colon and a
//! backslash, `#` starts a comment line, and the first matching line wins. The file is
//! `$PGPASSFILE` or `~/.pgpass`; like libpq, a file readable by group or others is ignored.
use std::path::PathBuf;

/// What a connection is looking for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgPassQuery<'a> {
    /// Host name (`localhost` for Unix sockets).
    pub host: &'a str,
    /// Port.
    pub port: u16,
    /// Database name.
    pub database: &'a str,
    /// User name.
    pub user: &'a str,
}

/// Split one line into its fields, undoing `\:` and `\\` escapes.
fn fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next()
                    && let Some(last) = out.last_mut()
                {
                    last.push(n);
                }
            }
            ':' => out.push(String::new()),
            _ => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    out
}

/// The password of the first line of `text` matching `q`.
pub fn lookup(text: &str, q: &PgPassQuery<'_>) -> Option<String> {
    let port = q.port.to_string();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f = fields(line);
        if f.len() < 5 {
            continue;
        }
        let matches = |pat: &str, v: &str| pat == "*" || pat == v;
        if matches(&f[0], q.host)
            && matches(&f[1], &port)
            && matches(&f[2], q.database)
            && matches(&f[3], q.user)
        {
            // A password containing an unescaped colon keeps its tail, as libpq does.
            return Some(f[4..].join(":"));
        }
    }
    None
}

/// The password file to use: `$PGPASSFILE`, else `~/.pgpass`.
pub fn file() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PGPASSFILE") {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pgpass"))
}

/// Look `q` up in the password file, if there is one that libpq would use.
pub fn lookup_file(q: &PgPassQuery<'_>) -> Option<String> {
    lookup_path(&file()?, q)
}

/// Look `q` up in the password file at `path` (ignored if group/world accessible).
pub fn lookup_path(path: &std::path::Path, q: &PgPassQuery<'_>) -> Option<String> {
    use std::io::Read;
    let f = std::fs::File::open(path).ok()?;
    let meta = f.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return None;
        }
    }
    let mut text = String::new();
    // A password file is small; cap the read anyway.
    f.take(1024 * 1024).read_to_string(&mut text).ok()?;
    lookup(&text, q)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn q<'a>(host: &'a str, port: u16, database: &'a str, user: &'a str) -> PgPassQuery<'a> {
        PgPassQuery {
            host,
            port,
            database,
            user,
        }
    }

    #[test]
    fn first_match_wins_with_wildcards() {
        let text = "# comment\n\
                    db.example:5432:prod:alice:first\n\
                    *:5432:*:alice:second\n\
                    *:*:*:*:fallback\n";
        assert_eq!(
            lookup(text, &q("db.example", 5432, "prod", "alice")).as_deref(),
            Some("first")
        );
        assert_eq!(
            lookup(text, &q("other", 5432, "prod", "alice")).as_deref(),
            Some("second")
        );
        assert_eq!(
            lookup(text, &q("other", 5433, "prod", "alice")).as_deref(),
            Some("fallback")
        );
        assert_eq!(lookup("a:1:b:c:d\n", &q("x", 1, "b", "c")), None);
    }

    #[test]
    fn escapes_and_short_lines() {
        let text = "short:line\nh\\:x:5432:d\\\\b:u:p\\:w\\\\d\r\n";
        assert_eq!(
            lookup(text, &q("h:x", 5432, "d\\b", "u")).as_deref(),
            Some("p:w\\d")
        );
        assert_eq!(
            lookup("h:5432:d:u:a:b\n", &q("h", 5432, "d", "u")).as_deref(),
            Some("a:b")
        );
        assert_eq!(lookup("", &q("h", 1, "d", "u")), None);
    }

    #[test]
    fn permissive_files_are_ignored() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("pgpass");
        #[allow(clippy::disallowed_methods)]
        std::fs::write(&p, "*:*:*:*:pw\n").unwrap();
        let read = |mode: u32| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            lookup_path(&p, &q("h", 5432, "d", "u"))
        };
        assert_eq!(read(0o600).as_deref(), Some("pw"));
        assert_eq!(read(0o644), None);
        assert_eq!(
            lookup_path(&d.path().join("missing"), &q("h", 1, "d", "u")),
            None
        );
    }
}
