//! TLS to live database servers: the URL options and a rustls connector for `postgres`.
//!
//! * **Options.** PostgreSQL reads `sslmode=disable|prefer|require|verify-ca|verify-full` and
//!   `sslrootcert=PATH` as libpq does; MariaDB/MySQL reads `ssl-mode=DISABLED|PREFERRED|
//!   REQUIRED|VERIFY_CA|VERIFY_IDENTITY` and `ssl-ca=PATH` as the `mariadb`/`mysql` clients
//!   do (case and `-`/`_` do not matter; each server also takes the other's spelling). Both are
//!   taken out of the URL before the driver reads it ([`split_postgres`], [`split_mysql`]), so
//!   the drivers' narrower option sets do not reject them.
//! * **Modes.** The default is `prefer` (libpq's): TLS when the server offers it, without
//!   verification. `require` encrypts without verifying the server — unless a CA file is
//!   given, then it verifies like `verify-ca` (libpq). `verify-ca` checks that the server's
//!   certificate chains to the CA file; `verify-full` also that it names the host of the URL.
//!   The verifying modes need the CA file: only it is trusted (no system or bundled roots for
//!   PostgreSQL; see `docs/SECURITY.md` for the `mysql` crate's bundled roots).
//! * **Stack.** rustls with the *ring* provider, for both servers (PostgreSQL through
//!   [`PgTls`], MariaDB through the `mysql` crate's `rustls-tls-ring` feature). Channel binding
//!   (`SCRAM-SHA-256-PLUS`) is not offered: plain `SCRAM-SHA-256` still works over TLS.
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use postgres::Socket;
use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How a connection uses TLS (libpq's `sslmode`, in its order of strictness).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it, without verification; plain otherwise.
    Prefer,
    /// TLS or no connection; the server is verified only when a CA file is given.
    Require,
    /// TLS, and the server's certificate must chain to the CA file.
    VerifyCa,
    /// As `VerifyCa`, and the certificate must name the host of the URL.
    VerifyFull,
}

/// What is checked of the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Nothing: the connection is encrypted but the server could be anyone.
    Nothing,
    /// The chain to the CA file, not the host name.
    Chain,
    /// The chain and the host name.
    ChainAndHost,
}

/// The TLS options of one database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// The mode asked for (default [`SslMode::Prefer`]).
    pub mode: SslMode,
    /// The CA file (`sslrootcert`, `ssl-ca`), the only trusted root.
    pub root_cert: Option<PathBuf>,
    /// The mode as the user's server spells it (`sslmode=require`, `ssl-mode=REQUIRED`), for
    /// messages and the report.
    pub shown: String,
}

/// Which server's spelling of the options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Postgres,
    Mysql,
}

impl SslMode {
    /// Read a mode in either spelling (`verify-full`, `VERIFY_IDENTITY`, `Required`, ...).
    fn parse(value: &str) -> Option<SslMode> {
        let v = value.trim().to_ascii_lowercase().replace('_', "-");
        Some(match v.as_str() {
            "disable" | "disabled" => SslMode::Disable,
            "prefer" | "preferred" => SslMode::Prefer,
            "require" | "required" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" | "verify-identity" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    fn name(self, dialect: Dialect) -> &'static str {
        match (dialect, self) {
            (Dialect::Postgres, SslMode::Disable) => "disable",
            (Dialect::Postgres, SslMode::Prefer) => "prefer",
            (Dialect::Postgres, SslMode::Require) => "require",
            (Dialect::Postgres, SslMode::VerifyCa) => "verify-ca",
            (Dialect::Postgres, SslMode::VerifyFull) => "verify-full",
            (Dialect::Mysql, SslMode::Disable) => "DISABLED",
            (Dialect::Mysql, SslMode::Prefer) => "PREFERRED",
            (Dialect::Mysql, SslMode::Require) => "REQUIRED",
            (Dialect::Mysql, SslMode::VerifyCa) => "VERIFY_CA",
            (Dialect::Mysql, SslMode::VerifyFull) => "VERIFY_IDENTITY",
        }
    }
}

/// Parameter names for the mode and the CA file, compared lower-cased with `_` read as `-`.
const MODE_NAMES: [&str; 2] = ["sslmode", "ssl-mode"];
const CA_NAMES: [&str; 3] = ["sslrootcert", "ssl-ca", "sslca"];

/// Parameters of the `mysql` crate that would override `ssl-mode`/`ssl-ca` behind its back.
const MYSQL_DRIVER_TLS: [&str; 3] = [
    "root_cert_path",
    "danger_skip_domain_validation",
    "danger_accept_invalid_certs",
];

fn normal(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('_', "-")
}

impl TlsOptions {
    /// Build from the raw values found in a URL, checking that they fit together.
    fn from_values(
        mode: Option<&str>,
        root_cert: Option<&str>,
        dialect: Dialect,
    ) -> Result<TlsOptions, String> {
        let (mode_param, ca_param) = match dialect {
            Dialect::Postgres => ("sslmode", "sslrootcert"),
            Dialect::Mysql => ("ssl-mode", "ssl-ca"),
        };
        let mode = match mode {
            None => SslMode::Prefer,
            Some(v) => SslMode::parse(v).ok_or_else(|| {
                let all: Vec<&str> = [
                    SslMode::Disable,
                    SslMode::Prefer,
                    SslMode::Require,
                    SslMode::VerifyCa,
                    SslMode::VerifyFull,
                ]
                .iter()
                .map(|m| m.name(dialect))
                .collect();
                format!(
                    "{mode_param}={v:?} is not a TLS mode (expected one of {})",
                    all.join(", ")
                )
            })?,
        };
        let root_cert = match root_cert.map(str::trim) {
            Some("") => return Err(format!("{ca_param}= names no file")),
            Some(p) => Some(PathBuf::from(p)),
            None => None,
        };
        let shown = format!("{mode_param}={}", mode.name(dialect));
        if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) && root_cert.is_none() {
            return Err(format!(
                "{shown} needs {ca_param}=PATH, the CA certificate that signed the server's \
                 (anonkos trusts no other roots)"
            ));
        }
        if mode == SslMode::Disable && root_cert.is_some() {
            return Err(format!("{ca_param} is given but {shown} turns TLS off"));
        }
        Ok(TlsOptions {
            mode,
            root_cert,
            shown,
        })
    }

    /// What is checked of the server's certificate once TLS is up.
    pub fn check(&self) -> Check {
        match self.mode {
            SslMode::Disable | SslMode::Prefer => Check::Nothing,
            SslMode::Require if self.root_cert.is_none() => Check::Nothing,
            SslMode::Require | SslMode::VerifyCa => Check::Chain,
            SslMode::VerifyFull => Check::ChainAndHost,
        }
    }

    /// The report note for a connection that used TLS `version` (`None`: no TLS).
    pub fn note(&self, version: Option<&str>) -> String {
        let head = "read in a read-only transaction";
        let Some(v) = version else {
            return match self.mode {
                SslMode::Disable => {
                    format!("{head} over a connection without TLS ({})", self.shown)
                }
                // Over TCP these modes fail without TLS: this was a local socket, which the
                // drivers never encrypt and which never crosses the network.
                SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => format!(
                    "{head} over a local socket without TLS ({} applies to network connections)",
                    self.shown
                ),
                SslMode::Prefer => format!(
                    "{head} over a connection without TLS ({}: the server offers no TLS)",
                    self.shown
                ),
            };
        };
        let checked = match self.check() {
            Check::Nothing => "server not verified",
            Check::Chain => "server verified: certificate signed by the given CA, host not checked",
            Check::ChainAndHost => {
                "server verified: certificate signed by the given CA and valid for the host"
            }
        };
        format!("{head} over TLS ({v}, {}); {checked}", self.shown)
    }

    /// `msg` (a failed connection) with what a TLS failure means for these options and `host`.
    pub fn explain(&self, msg: &str, host: &str) -> String {
        let ca = self
            .root_cert
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let hint = if msg.contains("UnknownIssuer") || msg.contains("unknown issuer") {
            format!(
                "the certificate of {host} is not signed by the CA in {ca} (wrong CA file, or \
                 not the server you expect)"
            )
        } else if msg.contains("NotValidForName") || msg.contains("not valid for name") {
            format!(
                "the certificate is not valid for the host name {host} ({} checks the name; \
                 connect by a name the certificate lists)",
                self.shown
            )
        } else if msg.contains("does not support TLS")
            || msg.contains("does not have this capability")
        {
            format!("{host} does not offer TLS but {} asks for it", self.shown)
        } else if msg.contains("Expired") || msg.contains("NotValidYet") {
            format!("the certificate of {host} is outside its validity period")
        } else {
            return msg.to_string();
        };
        format!("{msg}; {hint}")
    }
}

/// One `key=value` parameter as written, and its key decoded and normalised.
fn is_one_of(raw_key: &str, names: &[&str]) -> bool {
    let key = normal(&super::percent_decode(raw_key));
    names.iter().any(|n| normal(n) == key)
}

/// A PostgreSQL URL without its TLS parameters, and those parameters. The query starts at the
/// first `?` after the first `@` (or after the scheme): the grammar of `tokio-postgres`, which
/// ends the user-info at the first `@` and lets a password hold `?`.
pub fn split_postgres(url: &str) -> Result<(String, TlsOptions), String> {
    split_postgres_env(url, &|_| None)
}

/// As [`split_postgres`], with libpq's environment variables (`env("PGSSLMODE")`,
/// `env("PGSSLROOTCERT")`) for the options the URL leaves out.
pub fn split_postgres_env(
    url: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, TlsOptions), String> {
    let (rest, mode, ca) = postgres_params(url);
    let from_env = mode.is_none().then(|| env("PGSSLMODE")).flatten();
    let mode = mode.or_else(|| from_env.clone());
    // A CA file from the environment does not make sslmode=disable in the URL an error.
    let off = mode.as_deref().and_then(SslMode::parse) == Some(SslMode::Disable);
    let ca = ca.or_else(|| (!off).then(|| env("PGSSLROOTCERT")).flatten());
    let tls = TlsOptions::from_values(mode.as_deref(), ca.as_deref(), Dialect::Postgres).map_err(
        |e| match from_env {
            Some(_) => format!("{e} (sslmode from PGSSLMODE)"),
            None => e,
        },
    )?;
    Ok((rest, tls))
}

/// The URL without `sslmode`/`sslrootcert` (and their aliases), and their decoded values.
fn postgres_params(url: &str) -> (String, Option<String>, Option<String>) {
    let body_at = url.find("://").map(|i| i + 3).unwrap_or(0);
    let after_creds = url[body_at..]
        .find('@')
        .map(|i| body_at + i + 1)
        .unwrap_or(body_at);
    let Some(q) = url[after_creds..].find('?').map(|i| after_creds + i) else {
        return (url.to_string(), None, None);
    };
    let (mut mode, mut ca) = (None, None);
    let mut kept = Vec::new();
    for kv in url[q + 1..].split('&') {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        if is_one_of(k, &MODE_NAMES) {
            mode = Some(super::percent_decode(v));
        } else if is_one_of(k, &CA_NAMES) {
            ca = Some(super::percent_decode(v));
        } else {
            kept.push(kv);
        }
    }
    let mut rest = url[..q].to_string();
    if !kept.is_empty() {
        rest.push('?');
        rest.push_str(&kept.join("&"));
    }
    (rest, mode, ca)
}

/// A MariaDB/MySQL URL (read with the `url` crate, as the `mysql` crate does) without its TLS
/// parameters, and those parameters. The URL comes back unchanged when it has none.
pub fn split_mysql(url: &str) -> Result<(String, TlsOptions), String> {
    let Ok(mut parsed) = url::Url::parse(url) else {
        // The driver reports the bad URL itself.
        return Ok((
            url.to_string(),
            TlsOptions::from_values(None, None, Dialect::Mysql)?,
        ));
    };
    let (mut mode, mut ca) = (None, None);
    let mut kept: Vec<(String, String)> = Vec::new();
    let mut found = false;
    for (k, v) in parsed.query_pairs() {
        if is_one_of(&k, &MODE_NAMES) {
            mode = Some(v.into_owned());
            found = true;
        } else if is_one_of(&k, &CA_NAMES) {
            ca = Some(v.into_owned());
            found = true;
        } else if MYSQL_DRIVER_TLS.contains(&k.as_ref()) {
            return Err(format!(
                "{k} is not accepted: use ssl-mode=REQUIRED|VERIFY_CA|VERIFY_IDENTITY and \
                 ssl-ca=PATH"
            ));
        } else {
            kept.push((k.into_owned(), v.into_owned()));
        }
    }
    let tls = TlsOptions::from_values(mode.as_deref(), ca.as_deref(), Dialect::Mysql)?;
    if !found {
        return Ok((url.to_string(), tls));
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok((parsed.to_string(), tls))
}

/// The certificates of the PEM file at `path`, as the only trust roots.
pub fn load_roots(path: &Path) -> Result<RootCertStore, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the CA file {shown}: {e}"))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&bytes) {
        let cert = cert.map_err(|e| format!("the CA file {shown} is not valid PEM: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("the CA file {shown} holds a bad certificate: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("the CA file {shown} holds no PEM certificate"));
    }
    Ok(roots)
}

/// The ring provider, named rather than taken from the process default, so no other
/// dependency's choice can change it.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Checks the server's certificate as far as [`Check`] says; the handshake signatures (the
/// server holds the key of the certificate it sent) are always checked.
#[derive(Debug)]
struct Verifier {
    check: Check,
    /// The chain (and name) check against the CA file; `None` for [`Check::Nothing`].
    webpki: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else {
            return Ok(ServerCertVerified::assertion());
        };
        let verdict = webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        match verdict {
            // webpki checks the chain before the name: a name error means the chain is good.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if self.check == Check::Chain => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The rustls client settings for `opts`.
pub fn client_config(opts: &TlsOptions) -> Result<ClientConfig, String> {
    let provider = provider();
    let check = opts.check();
    let webpki = match (&opts.root_cert, check) {
        (Some(path), Check::Chain | Check::ChainAndHost) => Some(
            WebPkiServerVerifier::builder_with_provider(
                Arc::new(load_roots(path)?),
                provider.clone(),
            )
            .build()
            .map_err(|e| format!("cannot use the CA file {}: {e}", path.display()))?,
        ),
        _ => None,
    };
    let verifier = Verifier {
        check,
        webpki,
        provider: provider.clone(),
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// A `MakeTlsConnect` for the `postgres` crate over rustls. Cheap to clone; the same value
/// serves the data connections and their cancel requests, so both use the same TLS settings.
#[derive(Clone)]
pub struct PgTls {
    config: Arc<ClientConfig>,
}

impl PgTls {
    /// The connector for `opts` (reads the CA file now, so a bad one fails before connecting).
    pub fn new(opts: &TlsOptions) -> Result<PgTls, String> {
        Ok(PgTls {
            config: Arc::new(client_config(opts)?),
        })
    }

    /// The `postgres` crate's mode for `mode`: the verifying modes are `require` to the
    /// driver, and the certificate verifier of [`client_config`] does the checking.
    pub fn driver_mode(mode: SslMode) -> postgres::config::SslMode {
        match mode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                postgres::config::SslMode::Require
            }
        }
    }
}

impl MakeTlsConnect<Socket> for PgTls {
    type Stream = PgTlsStream;
    type TlsConnect = PgTlsConnect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, domain: &str) -> io::Result<PgTlsConnect> {
        // Called with "" for Unix sockets, where TLS is never attempted: a bad name only fails
        // a handshake that really happens.
        let name = ServerName::try_from(domain.to_string())
            .map_err(|e| format!("{domain:?} is not a host name or IP address: {e}"));
        Ok(PgTlsConnect {
            connector: tokio_rustls::TlsConnector::from(self.config.clone()),
            name,
        })
    }
}

/// One TLS handshake to come.
pub struct PgTlsConnect {
    connector: tokio_rustls::TlsConnector,
    name: Result<ServerName<'static>, String>,
}

impl TlsConnect<Socket> for PgTlsConnect {
    type Stream = PgTlsStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<PgTlsStream>> + Send>>;

    fn connect(self, stream: Socket) -> Self::Future {
        Box::pin(async move {
            let name = self.name.map_err(io::Error::other)?;
            let tls = self.connector.connect(name, stream).await?;
            Ok(PgTlsStream(tls))
        })
    }
}

/// A PostgreSQL connection inside TLS.
pub struct PgTlsStream(tokio_rustls::client::TlsStream<Socket>);

impl AsyncRead for PgTlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for PgTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl TlsStream for PgTlsStream {
    fn channel_binding(&self) -> ChannelBinding {
        // tls-server-end-point needs the hash named by the certificate's signature algorithm;
        // a wrong one would fail SCRAM-SHA-256-PLUS, so none is offered (plain SCRAM works).
        ChannelBinding::none()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests write fixtures
mod tests {
    use super::*;

    fn pg(url: &str) -> Result<(String, TlsOptions), String> {
        split_postgres(url)
    }

    #[test]
    fn postgres_options_are_read_and_removed() {
        let (rest, t) = pg("postgres://u:p@h/db").unwrap();
        assert_eq!(rest, "postgres://u:p@h/db");
        assert_eq!((t.mode, t.check()), (SslMode::Prefer, Check::Nothing));
        let (rest, t) = pg(
            "postgres://u:p@h:5/db?connect_timeout=3&sslmode=verify-full&sslrootcert=/c%20a.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u:p@h:5/db?connect_timeout=3");
        assert_eq!(t.mode, SslMode::VerifyFull);
        assert_eq!(t.root_cert, Some(PathBuf::from("/c a.pem")));
        assert_eq!(t.check(), Check::ChainAndHost);
        assert_eq!(t.shown, "sslmode=verify-full");
        let (rest, t) = pg("postgresql://h/db?sslmode=require").unwrap();
        assert_eq!(rest, "postgresql://h/db");
        assert_eq!(t.check(), Check::Nothing);
        // libpq: require with a CA file verifies like verify-ca.
        let (_, t) = pg("postgres://h/db?sslmode=require&sslrootcert=ca.pem").unwrap();
        assert_eq!(t.check(), Check::Chain);
        let (_, t) = pg("postgres://h/db?sslmode=verify-ca&sslrootcert=ca.pem").unwrap();
        assert_eq!(t.check(), Check::Chain);
        let (_, t) = pg("postgres://h/db?sslmode=disable").unwrap();
        assert_eq!(t.mode, SslMode::Disable);
        // The other server's spellings and encoded names are the same options.
        let (_, t) = pg("postgres://h/db?ssl-mode=VERIFY_IDENTITY&ssl-ca=ca.pem").unwrap();
        assert_eq!(t.mode, SslMode::VerifyFull);
        let (rest, t) = pg("postgres://h/db?ssl%6dode=Require").unwrap();
        assert_eq!(
            (rest.as_str(), t.mode),
            ("postgres://h/db", SslMode::Require)
        );
    }

    #[test]
    fn postgres_environment_fills_what_the_url_leaves_out() {
        let env = |k: &str| match k {
            "PGSSLMODE" => Some("verify-ca".to_string()),
            "PGSSLROOTCERT" => Some("/env/ca.pem".to_string()),
            _ => None,
        };
        let (_, t) = split_postgres_env("postgres://h/d", &env).unwrap();
        assert_eq!(t.mode, SslMode::VerifyCa);
        assert_eq!(t.root_cert, Some(PathBuf::from("/env/ca.pem")));
        // The URL wins.
        let (_, t) = split_postgres_env("postgres://h/d?sslmode=disable", &|k: &str| {
            (k == "PGSSLMODE").then(|| "verify-full".to_string())
        })
        .unwrap();
        assert_eq!(t.mode, SslMode::Disable);
        let (_, t) = split_postgres_env("postgres://h/d?sslmode=disable", &env).unwrap();
        assert_eq!((t.mode, t.root_cert), (SslMode::Disable, None));
        let e = split_postgres_env("postgres://h/d", &|k: &str| {
            (k == "PGSSLMODE").then(|| "sometimes".to_string())
        })
        .unwrap_err();
        assert!(e.contains("from PGSSLMODE"), "{e}");
    }

    #[test]
    fn postgres_query_starts_after_the_user_info() {
        // A `?` in the password is not the start of the parameters (tokio-postgres grammar).
        let (rest, t) = pg("postgres://u:pa?ss@h/db?sslmode=require").unwrap();
        assert_eq!(rest, "postgres://u:pa?ss@h/db");
        assert_eq!(t.mode, SslMode::Require);
        let (rest, t) = pg("postgres://u:pa?sslmode=disable@h/db").unwrap();
        assert_eq!(rest, "postgres://u:pa?sslmode=disable@h/db");
        assert_eq!(t.mode, SslMode::Prefer);
    }

    #[test]
    fn bad_and_near_miss_values_are_refused() {
        for url in [
            "postgres://h/db?sslmode=verify_fullx",
            "postgres://h/db?sslmode=requires",
            "postgres://h/db?sslmode=",
            "postgres://h/db?sslmode=allow",
            "postgres://h/db?sslmode=true",
            "postgres://h/db?sslmode=verify",
        ] {
            let e = pg(url).unwrap_err();
            assert!(e.contains("is not a TLS mode"), "{url}: {e}");
            assert!(e.contains("verify-full"), "{url}: {e}");
        }
        let e = pg("postgres://h/db?sslmode=verify-full").unwrap_err();
        assert!(e.contains("needs sslrootcert"), "{e}");
        let e = pg("postgres://h/db?sslmode=verify-ca&sslrootcert=").unwrap_err();
        assert!(e.contains("names no file"), "{e}");
        let e = pg("postgres://h/db?sslmode=disable&sslrootcert=ca.pem").unwrap_err();
        assert!(e.contains("turns TLS off"), "{e}");
        let e = split_mysql("mysql://h/db?ssl-mode=VERIFY_IDENTITY").unwrap_err();
        assert!(e.contains("needs ssl-ca"), "{e}");
        let e = split_mysql("mysql://h/db?ssl-mode=REQUIRE_SSL").unwrap_err();
        assert!(e.contains("VERIFY_IDENTITY"), "{e}");
        let e = split_mysql("mysql://h/db?danger_accept_invalid_certs=true").unwrap_err();
        assert!(e.contains("not accepted"), "{e}");
    }

    #[test]
    fn mysql_options_are_read_and_removed() {
        let (rest, t) = split_mysql("mysql://root@127.0.0.1:3306").unwrap();
        assert_eq!(rest, "mysql://root@127.0.0.1:3306");
        assert_eq!(t.mode, SslMode::Prefer);
        assert_eq!(t.shown, "ssl-mode=PREFERRED");
        for (url, mode) in [
            ("mysql://h/d?ssl-mode=REQUIRED", SslMode::Require),
            ("mysql://h/d?ssl_mode=required", SslMode::Require),
            ("mysql://h/d?sslmode=require", SslMode::Require),
            ("mysql://h/d?ssl-mode=DISABLED", SslMode::Disable),
            ("mysql://h/d?ssl-mode=preferred", SslMode::Prefer),
            (
                "mysql://h/d?ssl-mode=VERIFY_CA&ssl-ca=c.pem",
                SslMode::VerifyCa,
            ),
            (
                "mysql://h/d?ssl-mode=verify-identity&ssl_ca=c.pem",
                SslMode::VerifyFull,
            ),
            (
                "mysql://h/d?ssl-mode=verify-full&sslrootcert=c.pem",
                SslMode::VerifyFull,
            ),
        ] {
            let (rest, t) = split_mysql(url).unwrap();
            assert_eq!(rest, "mysql://h/d", "{url}");
            assert_eq!(t.mode, mode, "{url}");
        }
        let (rest, t) = split_mysql(
            "mysql://u:p@h/d?prefer_socket=false&ssl-mode=VERIFY_CA&ssl-ca=%2Ftmp%2Fc.pem",
        )
        .unwrap();
        assert_eq!(rest, "mysql://u:p@h/d?prefer_socket=false");
        assert_eq!(t.root_cert, Some(PathBuf::from("/tmp/c.pem")));
        assert_eq!(t.shown, "ssl-mode=VERIFY_CA");
    }

    #[test]
    fn notes_say_what_was_checked() {
        let (_, t) = pg("postgres://h/d?sslmode=require").unwrap();
        let n = t.note(Some("TLSv1.3"));
        assert!(n.contains("over TLS (TLSv1.3, sslmode=require)"), "{n}");
        assert!(n.contains("not verified"), "{n}");
        let (_, t) = pg("postgres://h/d?sslmode=verify-full&sslrootcert=c").unwrap();
        assert!(t.note(Some("TLSv1.2")).contains("valid for the host"));
        assert!(t.note(None).contains("without TLS"));
        let (_, t) = pg("postgres://h/d?sslmode=disable").unwrap();
        assert!(t.note(None).ends_with("without TLS (sslmode=disable)"));
        let e = t.explain("invalid peer certificate: UnknownIssuer", "db.example");
        assert!(e.contains("not signed by the CA"), "{e}");
        let (_, t) = pg("postgres://h/d?sslmode=verify-full&sslrootcert=c").unwrap();
        let e = t.explain("certificate not valid for name \"h\"", "h");
        assert!(
            e.contains("not valid for the host name h (sslmode=verify-full"),
            "{e}"
        );
        let e = t.explain("server does not support TLS", "h");
        assert!(
            e.contains("h does not offer TLS but sslmode=verify-full asks"),
            "{e}"
        );
        assert_eq!(t.explain("connection refused", "h"), "connection refused");
        assert!(t.note(None).contains("local socket"));
    }

    #[test]
    fn ca_files_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.pem");
        assert!(load_roots(&missing).unwrap_err().contains("cannot read"));
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        assert!(
            load_roots(&empty)
                .unwrap_err()
                .contains("no PEM certificate")
        );
        let bad = dir.path().join("bad.pem");
        std::fs::write(
            &bad,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(load_roots(&bad).is_err());
        let opts = TlsOptions::from_values(
            Some("verify-ca"),
            Some(&missing.display().to_string()),
            Dialect::Postgres,
        )
        .unwrap();
        assert!(PgTls::new(&opts).is_err());
        let plain = TlsOptions::from_values(Some("require"), None, Dialect::Postgres).unwrap();
        assert!(PgTls::new(&plain).is_ok());
    }
}
