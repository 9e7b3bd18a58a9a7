//! The signature-verification interface and its error type.

use crate::wire::PublicKey;

/// The one small interface all signature verification goes through: on ring, on
/// aws-lc-rs in the `fips` build, or restricted to approved algorithms in FIPS mode.
pub trait CryptoProvider: Send + Sync + std::fmt::Debug {
    /// Verifies `sig` over `msg` with `key`, using the signature `method` as written in
    /// metadata (already lower-cased). The method must fit the key type (NCC 2015
    /// CS-DRNT15-1):
    ///
    /// - `"ecdsa"` → `ecdsa` / `ecdsa-x509`: ECDSA over SHA-256 of `msg` even for P-384,
    ///   signature raw `r‖s` of exactly 2× the field size; any other length, and DER, is
    ///   refused;
    /// - `"rsapss"` → `rsa` / `rsa-x509`: RSASSA-PSS SHA-256, MGF1-SHA-256, salt 32,
    ///   key ≥ 2048 bits;
    /// - `"rsapkcs1v15"` → `rsa` / `rsa-x509`: PKCS#1 v1.5 SHA-256 (verify only);
    /// - `"eddsa"` or `"ed25519"` → `ed25519`: raw 32-byte key, 64-byte signature.
    ///
    /// For x509 key types the public key of the FIRST certificate of the PEM bundle in
    /// `key.public` verifies.
    fn verify(&self, key: &PublicKey, method: &str, msg: &[u8], sig: &[u8]) -> Result<(), VerifyError>;

    /// Verifies an ECDSA signature on P-384 over SHA-384 of `msg`, `sig` in ASN.1 DER
    /// (TUF 1.0's `ecdsa-sha2-nistp384`). Not a Notary method, so [`verify`] never
    /// reaches it; `key` is an `ecdsa` key (DER SubjectPublicKeyInfo). The default
    /// refuses the method.
    ///
    /// [`verify`]: CryptoProvider::verify
    fn verify_ecdsa_p384_sha384(&self, key: &PublicKey, msg: &[u8], sig: &[u8]) -> Result<(), VerifyError> {
        let _ = (key, msg, sig);
        Err(VerifyError::UnsupportedMethod("ecdsa-sha2-nistp384".into()))
    }

    /// A short name, e.g. `"ring"`.
    fn name(&self) -> &'static str;
}

/// The provider used unless a caller picks another: ring, or aws-lc-rs in the `fips` build.
pub fn default_provider() -> &'static dyn CryptoProvider {
    &super::backend_provider::BACKEND
}

/// The cryptographic module this build links, for `trust version` and audits.
#[cfg(not(feature = "fips"))]
pub const MODULE: &str = "ring 0.17 (not a FIPS 140-3 validated module)";
/// The cryptographic module this build links, for `trust version` and audits.
#[cfg(feature = "fips")]
pub const MODULE: &str = "AWS-LC FIPS 3.0 (aws-lc-rs 1.17, FIPS 140-3 certificate #5314)";

/// Whether [`MODULE`] is a FIPS 140-3 validated module (the `fips` build).
pub const VALIDATED: bool = cfg!(feature = "fips");

/// [`MODULE`] and, in the `fips` build, whether the module runs in FIPS mode (its
/// power-on self tests passed and the FIPS policy is in force), asked of the module
/// at run time with `aws_lc_rs::try_fips_mode`.
pub fn module_status() -> String {
    #[cfg(feature = "fips")]
    {
        match aws_lc_rs::try_fips_mode() {
            Ok(()) => format!("{MODULE}, module FIPS mode: on"),
            Err(e) => format!("{MODULE}, module FIPS mode: OFF ({e})"),
        }
    }
    #[cfg(not(feature = "fips"))]
    {
        MODULE.to_owned()
    }
}

/// The provider for FIPS mode (`fips`: approved algorithms only) or not.
pub fn provider(fips: bool) -> &'static dyn CryptoProvider {
    if fips { &super::approved::APPROVED_ONLY } else { default_provider() }
}

/// Why a signature did not verify. The text names the problem without secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The key's type is not one notary verifies with.
    #[error("unsupported key type {0}")]
    UnsupportedKeyType(String),
    /// The signature method is not one notary verifies.
    #[error("unsupported signature method {0}")]
    UnsupportedMethod(String),
    /// The method belongs to another key type (e.g. `rsapss` with an `ecdsa` key).
    #[error("method {method} does not fit key type {keytype}")]
    MethodMismatch {
        /// The signature's method.
        method: String,
        /// The key's type.
        keytype: String,
    },
    /// The key bytes do not hold a usable key of the declared type.
    #[error("malformed {keytype} public key: {reason}")]
    MalformedKey {
        /// The key's type.
        keytype: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An ECDSA key on a curve other than P-256 and P-384.
    #[error("unsupported elliptic curve in {keytype} key (only P-256 and P-384)")]
    UnsupportedCurve {
        /// The key's type.
        keytype: String,
    },
    /// An RSA key outside the sizes verified (1024–8192 bits for PKCS#1 v1.5,
    /// 2048–8192 for PSS).
    #[error("RSA key is {bits} bits, expected 2048 to 8192 (1024 to 8192 for PKCS#1 v1.5)")]
    RsaKeySize {
        /// The modulus size.
        bits: usize,
    },
    /// The signature has the wrong length for the key.
    #[error("signature is {actual} bytes, expected {expected}")]
    SignatureLength {
        /// The signature's length.
        actual: usize,
        /// The length the key's algorithm produces.
        expected: usize,
    },
    /// The signature does not verify.
    #[error("invalid signature")]
    InvalidSignature,
    /// FIPS mode refuses the key's algorithm.
    #[error("{algorithm} key refused in FIPS mode: {reason}")]
    NotApproved {
        /// The key's algorithm and size (`Ed25519`, `RSA-1024`).
        algorithm: String,
        /// Why it is not approved.
        reason: &'static str,
    },
}
