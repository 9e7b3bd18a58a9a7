//! Exit codes, and failures that carry one.

use trust_core::Error;

/// The documented exit codes: trust-core's one table.
pub use trust_core::ExitCode as Code;

/// Help text listing the exit codes, from the table.
pub fn help() -> String {
    let mut text = String::from("Exit codes:");
    for code in Code::ALL {
        text.push_str(&format!("\n  {}  {}", code.code(), code.summary()));
    }
    text
}

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

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::new(Code::of(e.kind()), e.to_string())
    }
}

impl From<trust_core::trust_tuf::Error> for Failure {
    fn from(e: trust_core::trust_tuf::Error) -> Self {
        Error::from(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_code() {
        assert_eq!(
            help(),
            "Exit codes:
  0  success
  1  no trust data for the repository, or the tag is not signed
  2  invalid arguments or configuration
  3  trust data failed verification (signature, threshold, expiry, rollback, hash, size, certificate)
  4  the trust server, registry or engine could not be reached or answered with an error
  5  key or passphrase problem
  6  a local file could not be read or written
  7  trust audit: a finding at or above --fail-on (default: high)
  8  trust export: some repositories failed and were left out of the bundle"
        );
    }
}
