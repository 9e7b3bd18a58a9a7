//! The FIPS-mode provider: the default provider, restricted to approved algorithms.

use super::algorithm::KeyAlgorithm;
use super::provider::{CryptoProvider, VerifyError, default_provider};
use crate::wire::PublicKey;

/// Verifies with the default provider only keys FIPS mode approves; other keys fail
/// with [`VerifyError::NotApproved`], naming the algorithm.
#[derive(Debug)]
pub(super) struct ApprovedOnly;

/// The one instance.
pub(super) static APPROVED_ONLY: ApprovedOnly = ApprovedOnly;

impl CryptoProvider for ApprovedOnly {
    fn verify(&self, key: &PublicKey, method: &str, msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
        let algorithm = KeyAlgorithm::of(key)?;
        if let Some(reason) = algorithm.fips_refusal() {
            return Err(VerifyError::NotApproved { algorithm: algorithm.to_string(), reason });
        }
        default_provider().verify(key, method, msg, sig)
    }

    fn verify_ecdsa_p384_sha384(&self, key: &PublicKey, msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
        let algorithm = KeyAlgorithm::of(key)?;
        if let Some(reason) = algorithm.fips_refusal() {
            return Err(VerifyError::NotApproved { algorithm: algorithm.to_string(), reason });
        }
        default_provider().verify_ecdsa_p384_sha384(key, msg, sig)
    }

    fn name(&self) -> &'static str {
        if cfg!(feature = "fips") {
            "aws-lc-rs (FIPS), FIPS-approved algorithms only"
        } else {
            "ring, FIPS-approved algorithms only"
        }
    }
}
