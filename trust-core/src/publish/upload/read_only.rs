//! A remote that takes no updates: every upload is refused, saying why.

use super::Upload;
use crate::{Error, Result};
use trust_tuf::wire::PublicKey;

/// The refusals of a remote with no store behind it (a bundle, a test double).
#[derive(Debug)]
pub struct ReadOnly<'a> {
    url: &'a str,
    reason: Option<String>,
}

impl<'a> ReadOnly<'a> {
    /// Refusals naming `url`; `reason` replaces the refusal of an update when given.
    pub fn new(url: &'a str, reason: Option<String>) -> Self {
        ReadOnly { url, reason }
    }
}

impl Upload for ReadOnly<'_> {
    fn publish(&self, _gun: &str, _files: &[(String, Vec<u8>)]) -> Result<()> {
        Err(Error::InvalidInput(self.reason.clone().unwrap_or_else(|| format!("{} does not accept updates", self.url))))
    }

    fn server_key(&self, _gun: &str, _role: &str) -> Result<PublicKey> {
        Err(Error::InvalidInput(format!("{} does not manage keys", self.url)))
    }

    fn rotate_server_key(&self, _gun: &str, role: &str) -> Result<PublicKey> {
        Err(Error::InvalidInput(format!(
            "{} keeps no {role} key of its own that could be rotated; rotate to a local key with --local instead",
            self.url
        )))
    }

    fn url(&self) -> &str {
        self.url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_reason_is_the_refusal_of_an_update() {
        let said = |store: ReadOnly<'_>| store.publish("a/b", &[]).err().map(|e| e.to_string());
        assert_eq!(said(ReadOnly::new("x", None)).as_deref(), Some("x does not accept updates"));
        assert_eq!(said(ReadOnly::new("x", Some("x is frozen".into()))).as_deref(), Some("x is frozen"));
        assert!(ReadOnly::new("x", None).server_key("a/b", "snapshot").is_err());
    }
}
