//! How a private key file is protected, read from its headers and encryption
//! parameters without decrypting anything (no passphrase needed): what `trust audit`
//! reports for each key in the store.
//!
//! | file | reported as |
//! |---|---|
//! | `ENCRYPTED PRIVATE KEY`, PBES2 | PRF, iteration count, salt length, cipher (notary and docker write PBKDF2-HMAC-SHA1, 2048 iterations, an 8-byte salt and AES-256-CBC) |
//! | `ENCRYPTED PRIVATE KEY`, anything else | unsupported, with the scheme's name (PBES1, scrypt, ...) |
//! | `EC`/`RSA`/`ED25519 PRIVATE KEY` with `Proc-Type: 4,ENCRYPTED` | legacy PEM encryption: the `DEK-Info` cipher, keyed by one round of MD5 (OpenSSL's `EVP_BytesToKey`) |
//! | `PRIVATE KEY`, or a legacy block without `Proc-Type` | unencrypted |

use std::fmt;

use serde::Serialize;

use super::encryption::{self, Unreadable};

/// The pseudo-random function of PBKDF2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Prf {
    /// HMAC-SHA1 (the default when the parameters name none, as in notary's files).
    #[serde(rename = "HMAC-SHA1")]
    HmacSha1,
    /// HMAC-SHA256.
    #[serde(rename = "HMAC-SHA256")]
    HmacSha256,
    /// HMAC-SHA384.
    #[serde(rename = "HMAC-SHA384")]
    HmacSha384,
    /// HMAC-SHA512.
    #[serde(rename = "HMAC-SHA512")]
    HmacSha512,
}

impl fmt::Display for Prf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Prf::HmacSha1 => "HMAC-SHA1",
            Prf::HmacSha256 => "HMAC-SHA256",
            Prf::HmacSha384 => "HMAC-SHA384",
            Prf::HmacSha512 => "HMAC-SHA512",
        })
    }
}

/// How a key file is protected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "scheme", rename_all = "kebab-case")]
pub enum KeyProtection {
    /// PKCS#5 v2 (PBES2) with PBKDF2 and AES-CBC.
    Pbes2 {
        /// The PBKDF2 PRF.
        prf: Prf,
        /// The PBKDF2 iteration count.
        iterations: u64,
        /// The salt length in bytes.
        salt_len: usize,
        /// The cipher, e.g. `AES-256-CBC`.
        cipher: String,
    },
    /// OpenSSL's legacy PEM encryption (`Proc-Type: 4,ENCRYPTED`): the `DEK-Info`
    /// cipher with a key from one round of MD5 over the passphrase and 8 bytes of salt.
    LegacyPem {
        /// The `DEK-Info` cipher, e.g. `AES-256-CBC`.
        cipher: String,
    },
    /// No encryption: anyone who can read the file has the key.
    Unencrypted,
    /// An `ENCRYPTED PRIVATE KEY` whose scheme trust does not read.
    Unsupported {
        /// What it is, as far as it could be read.
        description: String,
    },
}

impl KeyProtection {
    /// True when the file already meets what FIPS mode writes: PBKDF2 with an HMAC-SHA-2
    /// PRF, at least 600,000 iterations and a salt of at least 16 bytes (SP 800-132),
    /// and AES-256-CBC.
    pub fn meets_sp800_132(&self) -> bool {
        matches!(self, KeyProtection::Pbes2 { prf, iterations, salt_len, cipher }
            if *prf != Prf::HmacSha1 && *iterations >= 600_000 && *salt_len >= 16 && cipher == "AES-256-CBC")
    }
}

impl fmt::Display for KeyProtection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyProtection::Pbes2 { prf, iterations, salt_len, cipher } => {
                write!(f, "PBES2: PBKDF2-{prf}, {iterations} iterations, {salt_len}-byte salt, {cipher}")
            }
            KeyProtection::LegacyPem { cipher } => write!(f, "legacy PEM: {cipher}, key from one MD5 round"),
            KeyProtection::Unencrypted => f.write_str("unencrypted"),
            KeyProtection::Unsupported { description } => write!(f, "unsupported: {description}"),
        }
    }
}

fn unsupported(description: &str) -> KeyProtection {
    KeyProtection::Unsupported { description: description.to_owned() }
}

/// PKCS#5 v1.5 / PKCS#12 PBE OIDs (1.2.840.113549.1.5.x and 1.2.840.113549.1.12.1.x).
fn pbes1_name(alg: &[u8]) -> Option<&'static str> {
    const PKCS5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05];
    const PKCS12_PBE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01];
    if alg.starts_with(PKCS12_PBE) {
        Some("PKCS#12 PBE (SHA-1 with 3DES or RC2/RC4)")
    } else if alg.starts_with(PKCS5) {
        Some("PKCS#5 PBES1 (MD5 or SHA-1 with DES or RC2)")
    } else {
        None
    }
}

/// The protection of an `EncryptedPrivateKeyInfo` DER, read from its parameters.
pub(super) fn pkcs8_protection(der: &[u8]) -> KeyProtection {
    read_pbes2(der).unwrap_or_else(|| unsupported("an EncryptedPrivateKeyInfo that does not parse"))
}

fn read_pbes2(der: &[u8]) -> Option<KeyProtection> {
    Some(match encryption::read_pbes2(der) {
        Ok(p) => KeyProtection::Pbes2 {
            prf: p.prf,
            iterations: p.iterations,
            salt_len: p.salt.len(),
            cipher: p.cipher.name().to_owned(),
        },
        Err(Unreadable::Damaged | Unreadable::SaltNotOctetString) => return None,
        Err(Unreadable::OtherScheme(alg)) => unsupported(pbes1_name(alg).unwrap_or("an unknown encryption scheme")),
        Err(Unreadable::OtherKdf) => unsupported("PBES2 with a key derivation other than PBKDF2 (scrypt?)"),
        Err(Unreadable::OtherPrf) => unsupported("PBKDF2 with a PRF other than HMAC-SHA1/256/384/512"),
        Err(Unreadable::OtherCipher) => unsupported("PBES2 with a cipher other than AES-CBC"),
    })
}

/// The protection of a legacy block (`EC`/`RSA`/`ED25519 PRIVATE KEY`) from its
/// `Proc-Type` and `DEK-Info` headers.
pub(super) fn legacy_protection(proc_type: Option<&str>, dek_info: Option<&str>) -> KeyProtection {
    if !proc_type.is_some_and(|v| v.contains("ENCRYPTED")) {
        return KeyProtection::Unencrypted;
    }
    let cipher = dek_info.and_then(|d| d.split(',').next()).map(str::trim).filter(|c| !c.is_empty());
    KeyProtection::LegacyPem { cipher: cipher.unwrap_or("unknown cipher").to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::{KeyFile, encode_private_key};
    use trust_tuf::crypto::signer::{KeyAlgorithm, PrivateKey};
    use trust_tuf::der::{self, INTEGER, NULL, OCTET_STRING, OID, SEQUENCE, oid, tlv};

    #[test]
    fn notary_files_as_notary_writes_them() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let text = encode_private_key(&key, "targets", None, "a passphrase").unwrap();
        let protection = KeyFile::parse(text.as_bytes()).unwrap().protection();
        let expected =
            KeyProtection::Pbes2 { prf: Prf::HmacSha1, iterations: 2048, salt_len: 8, cipher: "AES-256-CBC".into() };
        assert_eq!(protection, expected);
        assert_eq!(protection.to_string(), "PBES2: PBKDF2-HMAC-SHA1, 2048 iterations, 8-byte salt, AES-256-CBC");
        let plain = encode_private_key(&key, "targets", None, "").unwrap();
        assert_eq!(KeyFile::parse(plain.as_bytes()).unwrap().protection(), KeyProtection::Unencrypted);
    }

    /// An `EncryptedPrivateKeyInfo` with PBKDF2 `prf` (None: absent) and `salt_len`.
    fn pbes2(prf: Option<&[u8]>, salt_len: usize, iterations: u32) -> Vec<u8> {
        let salt = vec![1u8; salt_len];
        let iterations = der::uint_contents(iterations);
        let prf = prf.map(|p| der::sequence_of(SEQUENCE, &[&tlv(OID, p), &tlv(NULL, &[])]));
        let mut parts: Vec<&[u8]> = vec![];
        let salt_tlv = tlv(OCTET_STRING, &salt);
        let iter_tlv = tlv(INTEGER, &iterations);
        parts.push(&salt_tlv);
        parts.push(&iter_tlv);
        if let Some(p) = &prf {
            parts.push(p);
        }
        let kdf_params = der::sequence_of(SEQUENCE, &parts);
        let kdf = der::sequence_of(SEQUENCE, &[&tlv(OID, oid::PBKDF2), &kdf_params]);
        let scheme = der::sequence_of(SEQUENCE, &[&tlv(OID, oid::AES128_CBC), &tlv(OCTET_STRING, &[2; 16])]);
        let params = der::sequence_of(SEQUENCE, &[&kdf, &scheme]);
        let alg = der::sequence_of(SEQUENCE, &[&tlv(OID, oid::PBES2), &params]);
        der::sequence_of(SEQUENCE, &[&alg, &tlv(OCTET_STRING, &[3; 32])]).to_vec()
    }

    #[test]
    fn openssl_parameters() {
        let der = pbes2(Some(oid::HMAC_SHA256), 16, 600_000);
        let expected = KeyProtection::Pbes2 {
            prf: Prf::HmacSha256,
            iterations: 600_000,
            salt_len: 16,
            cipher: "AES-128-CBC".into(),
        };
        assert_eq!(pkcs8_protection(&der), expected);
        assert!(matches!(pkcs8_protection(&pbes2(None, 8, 2048)), KeyProtection::Pbes2 { prf: Prf::HmacSha1, .. }));
    }

    #[test]
    fn other_schemes_are_named() {
        // pbeWithSHAAnd3-KeyTripleDES-CBC
        let pkcs12 = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x03];
        let params = der::sequence_of(SEQUENCE, &[&tlv(OCTET_STRING, &[0; 8]), &tlv(INTEGER, &[8])]);
        let alg = der::sequence_of(SEQUENCE, &[&tlv(OID, &pkcs12), &params]);
        let der = der::sequence_of(SEQUENCE, &[&alg, &tlv(OCTET_STRING, &[3; 32])]);
        let protection = pkcs8_protection(&der);
        assert!(protection.to_string().contains("PKCS#12"), "{protection}");
        assert!(matches!(pkcs8_protection(b"\x30\x00"), KeyProtection::Unsupported { .. }));
    }

    #[test]
    fn legacy_headers() {
        assert_eq!(
            legacy_protection(Some("4,ENCRYPTED"), Some("AES-256-CBC,00112233445566778899AABBCCDDEEFF")),
            KeyProtection::LegacyPem { cipher: "AES-256-CBC".into() }
        );
        assert_eq!(legacy_protection(None, None), KeyProtection::Unencrypted);
        let text = "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,0011223344556677\n\nAAAA\n-----END EC PRIVATE KEY-----\n";
        let protection = KeyFile::parse(text.as_bytes()).unwrap().protection();
        assert_eq!(protection.to_string(), "legacy PEM: DES-EDE3-CBC, key from one MD5 round");
    }
}
