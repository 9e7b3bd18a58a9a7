//! The one crate that does the cryptographic work, re-exported so that every hash,
//! random number, key derivation and signature in trust-tuf and trust-core (and the crates on them)
//! goes through this module: ring by default; with the `fips` feature, aws-lc-rs on
//! the validated AWS-LC FIPS 3.0 module, whose modules mirror ring's.

#[cfg(feature = "fips")]
pub use aws_lc_rs::{digest, error, pbkdf2, rand, signature};
#[cfg(not(feature = "fips"))]
pub use ring::{digest, error, pbkdf2, rand, signature};

#[cfg(not(any(feature = "fips", feature = "ring")))]
compile_error!("trust-tuf needs a crypto backend: enable the `ring` (default) or the `fips` feature");

/// An ECDSA key pair from PKCS#8 DER. ring checks the key with a random source;
/// aws-lc-rs takes none. One of the two places where their APIs differ.
pub fn ecdsa_key_pair_from_pkcs8(
    alg: &'static signature::EcdsaSigningAlgorithm,
    der: &[u8],
) -> Result<signature::EcdsaKeyPair, error::KeyRejected> {
    #[cfg(feature = "fips")]
    {
        signature::EcdsaKeyPair::from_pkcs8(alg, der)
    }
    #[cfg(not(feature = "fips"))]
    {
        signature::EcdsaKeyPair::from_pkcs8(alg, der, &rand::SystemRandom::new())
    }
}

/// The modulus length of an RSA key pair in bytes (its signatures' length). ring
/// deprecated `public_modulus_len`, which aws-lc-rs keeps; the other difference.
pub fn rsa_modulus_len(pair: &signature::RsaKeyPair) -> usize {
    #[cfg(feature = "fips")]
    {
        pair.public_modulus_len()
    }
    #[cfg(not(feature = "fips"))]
    {
        pair.public().modulus_len()
    }
}
