//! Signers' public key files, as `docker trust signer add --key` takes them: a PEM
//! `PUBLIC KEY` (ECDSA or RSA) or `CERTIFICATE` (ecdsa-x509 / rsa-x509). Ed25519
//! public keys are refused, as notary refuses them.

use base64::Engine as _;
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::x509::Certificate;
use crate::wire::{KeyType, PublicKey};
use crate::{Error, Result};

const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// The key type a SubjectPublicKeyInfo holds.
fn spki_key_type(spki: &[u8]) -> Result<KeyType> {
    let (_, info) = SubjectPublicKeyInfo::from_der(spki).map_err(|e| Error::Key(format!("not a public key: {e}")))?;
    match info.algorithm.algorithm.to_id_string().as_str() {
        EC_PUBLIC_KEY => Ok(KeyType::Ecdsa),
        RSA_ENCRYPTION => Ok(KeyType::Rsa),
        other => Err(Error::Key(format!(
            "unknown public key format (algorithm {other}): signers must have ECDSA or RSA keys"
        ))),
    }
}

/// The label and decoded body of the first PEM block (headers such as `role:` skipped).
fn first_block(text: &str) -> Option<(&str, Vec<u8>)> {
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let label_len = text[start..].find("-----")?;
    let label = &text[start..start + label_len];
    let body_start = start + label_len + 5;
    let end = body_start + text[body_start..].find(&format!("-----END {label}-----"))?;
    let body: String = text[body_start..end].lines().filter(|l| !l.contains(':')).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body.trim()).ok()?;
    Some((label, der))
}

/// Parses a public key or certificate PEM file into the key metadata lists.
pub fn parse(bytes: &[u8]) -> Result<PublicKey> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::Key("not a PEM file".into()))?;
    let (label, der) = first_block(text).ok_or_else(|| Error::Key("no PEM block found".into()))?;
    match label {
        "PUBLIC KEY" => Ok(PublicKey::new(spki_key_type(&der)?, der)),
        "CERTIFICATE" => {
            let pem = format!("{}\n", text.trim());
            let certs = Certificate::parse_pem_bundle(pem.as_bytes())?;
            let first = certs.first().ok_or_else(|| Error::Key("no certificate".into()))?;
            let keytype = match spki_key_type(first.spki_der())? {
                KeyType::Ecdsa => KeyType::EcdsaX509,
                _ => KeyType::RsaX509,
            };
            Ok(PublicKey::new(keytype, pem.into_bytes()))
        }
        "PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" | "EC PRIVATE KEY" | "RSA PRIVATE KEY" => Err(Error::Key(
            "this is a private key: give the signer's public key (import private keys with `trust key load`)".into(),
        )),
        other => Err(Error::Key(format!("unknown public key format ({other})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::signer::{KeyAlgorithm, PrivateKey};

    fn pem(label: &str, der: &[u8], header: &str) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        format!("-----BEGIN {label}-----\n{header}{}\n-----END {label}-----\n", lines.join("\n"))
    }

    #[test]
    fn docker_public_key_files() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().public_key();
        let parsed = parse(pem("PUBLIC KEY", &key.public, "role: alice\n\n").as_bytes()).unwrap();
        assert_eq!(parsed, key);
    }

    #[test]
    fn ed25519_and_private_keys_are_refused() {
        let ed = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let mut spki = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
        spki.extend_from_slice(&ed.public_key().public);
        assert!(parse(pem("PUBLIC KEY", &spki, "").as_bytes()).unwrap_err().to_string().contains("ECDSA or RSA"));
        assert!(
            parse(pem("PRIVATE KEY", ed.pkcs8_der().unwrap(), "").as_bytes())
                .unwrap_err()
                .to_string()
                .contains("trust key load")
        );
    }
}
