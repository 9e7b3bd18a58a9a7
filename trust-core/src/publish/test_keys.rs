//! A key source holding one key, for the publishing modules' unit tests.

use super::KeySource;
use crate::{Error, Result};
use trust_tuf::crypto::keyid::canonical_key_id;
use trust_tuf::crypto::signer::PrivateKey;

/// Holds one key, handed out for every role and as the root key.
pub(crate) struct OneKey(pub(crate) PrivateKey);

impl KeySource for OneKey {
    fn held_key_ids(&self) -> Result<Vec<String>> {
        Ok(vec![canonical_key_id(&self.0.public_key())?])
    }
    fn private_key(&self, _: &str, _: &str) -> Result<PrivateKey> {
        Ok(self.0.try_clone()?)
    }
    fn root_key(&self) -> Result<PrivateKey> {
        Ok(self.0.try_clone()?)
    }
    fn targets_key(&self, _: &str) -> Result<PrivateKey> {
        Err(Error::Key("not here".into()))
    }
}
