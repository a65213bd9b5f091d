//! Exit codes, documented in `--help` and the README.
use std::process::ExitCode;

/// What the process reports to its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Everything was read and reported.
    Ok = 0,
    /// A policy gate failed (e.g. personal data left without an action). Reserved for `run`
    /// and the planning step of `transform`.
    Policy = 1,
    /// Bad command line, configuration or pattern files.
    Usage = 2,
    /// At least one input could not be read (the others were still processed).
    Input = 3,
    /// An output could not be written.
    Output = 4,
    /// `scan --baseline`: personal data appeared where the baseline had none (a new personal
    /// column, or a column whose role became more sensitive). Wins over [`Exit::Input`].
    Drift = 5,
    /// Interrupted (Ctrl-C).
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// The exit-code table printed in `--help`.
pub const HELP: &str = "Exit codes:
  0    success
  1    policy gate failed (personal data left without an action)
  2    usage, configuration or pattern error
  3    an input could not be read (the others were still scanned; the report marks it)
  4    an output could not be written
  5    scan --baseline: personal data appeared where the baseline had none (drift alert)
  130  interrupted";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(Exit::Ok as u8, 0);
        assert_eq!(Exit::Policy as u8, 1);
        assert_eq!(Exit::Usage as u8, 2);
        assert_eq!(Exit::Input as u8, 3);
        assert_eq!(Exit::Output as u8, 4);
        assert_eq!(Exit::Drift as u8, 5);
        assert_eq!(Exit::Interrupted as u8, 130);
        for code in ["0", "1", "2", "3", "4", "5", "130"] {
            assert!(HELP.contains(&format!("  {code} ")), "{code}");
        }
    }
}
