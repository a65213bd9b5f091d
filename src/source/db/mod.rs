//! Live databases: PostgreSQL and MariaDB/MySQL (placeholder).
use super::{ReadOptions, Source};
use crate::error::{Error, Location, Result};

/// Open every selected table of a database URL.
pub fn open_url(url: &str, _opts: &ReadOptions) -> Result<Vec<Box<dyn Source>>> {
    Err(Error::input(
        Location::dataset(redact_url(url)),
        "live databases are not supported yet",
    ))
}

/// The URL without its password (`postgres://user:secret@host/db` → `postgres://user@host/db`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, rest),
    };
    match auth {
        Some(a) => {
            let user = a.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_removed() {
        assert_eq!(
            redact_url("postgres://u:s3cret@127.0.0.1:5432/db"),
            "postgres://u@127.0.0.1:5432/db"
        );
        assert_eq!(
            redact_url("mysql://root@localhost/test"),
            "mysql://root@localhost/test"
        );
        assert_eq!(redact_url("mariadb://a:b:c@h/d"), "mariadb://a@h/d");
    }
}
