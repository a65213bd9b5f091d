//! The only place that writes to stdout and stderr. Messages are prefixed `anonkos:`; cell
//! values reach here only already masked.
use std::io::Write;

/// Write to stdout. A closed pipe (`anonkos scan … | head`) is not an error.
pub fn out(s: &str) -> std::io::Result<()> {
    let mut o = std::io::stdout().lock();
    match o.write_all(s.as_bytes()).and_then(|()| o.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

/// Print an error or warning to stderr.
pub fn err(msg: &str) {
    let _ = writeln!(std::io::stderr().lock(), "anonkos: {msg}");
}
