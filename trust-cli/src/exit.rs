//! Exit codes, and failures that carry one.

use trust_core::{Error, ErrorKind};

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 1: no trust data for the repository, or the tag is not signed.
    NotSigned = 1,
    /// 2: invalid arguments or configuration.
    Usage = 2,
    /// 3: trust data failed verification.
    Verification = 3,
    /// 4: the trust server or registry could not be reached, or refused.
    Network = 4,
    /// 5: a key or passphrase problem.
    Key = 5,
    /// 6: a local file could not be read or written.
    Io = 6,
    /// 7: `trust audit` found something at or above `--fail-on`.
    AuditFindings = 7,
}

impl From<Code> for std::process::ExitCode {
    fn from(c: Code) -> Self {
        std::process::ExitCode::from(c as u8)
    }
}

/// Help text listing the exit codes.
pub const HELP: &str = "Exit codes:
  0  success
  1  no trust data for the repository, or the tag is not signed
  2  invalid arguments or configuration
  3  trust data failed verification (signature, threshold, expiry, rollback, hash, size, certificate)
  4  the trust server could not be reached or answered with an error
  5  key or passphrase problem
  6  a local file could not be read or written
  7  trust audit: a finding at or above --fail-on (default: high)";

/// A command's failure: what to print on stderr and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: Code,
}

impl Failure {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Failure { message: message.into(), code }
    }
}

/// The exit code for an error of `kind`.
pub fn code_for(kind: ErrorKind) -> Code {
    match kind {
        ErrorKind::NotSigned => Code::NotSigned,
        ErrorKind::Verification => Code::Verification,
        ErrorKind::Network => Code::Network,
        ErrorKind::InvalidInput => Code::Usage,
        ErrorKind::Io => Code::Io,
        ErrorKind::Key => Code::Key,
        _ => Code::Verification,
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::new(code_for(e.kind()), e.to_string())
    }
}
