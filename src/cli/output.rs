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

/// Print an error or warning to stderr. Messages name files, tables and columns from the data:
/// control and bidi characters are shown as escapes, never sent to the terminal.
pub fn err(msg: &str) {
    let msg = crate::report::escape::visible_lines(msg);
    let _ = writeln!(std::io::stderr().lock(), "anonkos: {msg}");
}

/// Write text meant for a person (not JSON or a binary stream) to stdout, with control and
/// bidi characters shown as escapes (line breaks kept).
pub fn out_text(s: &str) -> std::io::Result<()> {
    out(&crate::report::escape::visible_lines(s))
}

/// Show a one-line progress message on stderr (the caller checks stderr is a terminal).
pub fn progress(msg: &str) {
    let _ = write!(std::io::stderr().lock(), "\r\x1b[2K{msg}");
}

/// Clear the progress line, if any was shown.
pub fn clear_progress() {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
    }
}

/// Stdout for binary streams (`anonkos transform` writes Arrow IPC there); callers wrap it
/// in a `BufWriter`. A closed pipe is an output error for them: the stream is incomplete.
pub fn stdout_stream() -> std::io::Stdout {
    std::io::stdout()
}
