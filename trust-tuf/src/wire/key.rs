//! Public keys as they appear in root and delegation metadata.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::b64;

/// A key's `keytype`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `ecdsa`: `public` is a DER SubjectPublicKeyInfo.
    Ecdsa,
    /// `ecdsa-x509`: `public` is the PEM text of a certificate (bundle).
    EcdsaX509,
    /// `ed25519`: `public` is the raw 32-byte key.
    Ed25519,
    /// `rsa`: `public` is a DER SubjectPublicKeyInfo.
    Rsa,
    /// `rsa-x509`: `public` is the PEM text of a certificate (bundle).
    RsaX509,
    /// Anything else: parsed, never trusted to verify.
    Unknown(String),
}

impl KeyType {
    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            KeyType::Ecdsa => "ecdsa",
            KeyType::EcdsaX509 => "ecdsa-x509",
            KeyType::Ed25519 => "ed25519",
            KeyType::Rsa => "rsa",
            KeyType::RsaX509 => "rsa-x509",
            KeyType::Unknown(s) => s,
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Self {
        match s {
            "ecdsa" => KeyType::Ecdsa,
            "ecdsa-x509" => KeyType::EcdsaX509,
            "ed25519" => KeyType::Ed25519,
            "rsa" => KeyType::Rsa,
            "rsa-x509" => KeyType::RsaX509,
            other => KeyType::Unknown(other.to_owned()),
        }
    }

    /// True for the certificate-carrying types.
    pub fn is_x509(&self) -> bool {
        matches!(self, KeyType::EcdsaX509 | KeyType::RsaX509)
    }
}

/// A public key: `{"keytype":T,"keyval":{"private":null,"public":"<base64>"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    /// The key type.
    pub keytype: KeyType,
    /// The decoded `keyval.public` bytes.
    pub public: Vec<u8>,
}

impl PublicKey {
    /// A key of `keytype` with public bytes `public`.
    pub fn new(keytype: KeyType, public: Vec<u8>) -> Self {
        PublicKey { keytype, public }
    }

    /// The TUF key ID: hex SHA-256 of the key's canonical JSON with `private` null.
    /// For `*-x509` keys it covers the PEM text exactly.
    pub fn tuf_id(&self) -> String {
        hex::encode(
            crate::crypto::backend::digest::digest(&crate::crypto::backend::digest::SHA256, &self.canonical_json())
                .as_ref(),
        )
    }

    /// The canonical JSON the key ID is computed over.
    pub fn canonical_json(&self) -> Vec<u8> {
        let value = serde_json::json!({
            "keytype": self.keytype.as_str(),
            "keyval": {"private": null, "public": b64::encode(&self.public)},
        });
        // A map of strings and null always writes.
        crate::canonical::to_vec(&value).unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct KeyVal {
    public: String,
}

#[derive(Deserialize)]
struct KeyRepr {
    keytype: String,
    keyval: KeyVal,
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = KeyRepr::deserialize(d)?;
        let public = b64::decode(&repr.keyval.public).map_err(serde::de::Error::custom)?;
        Ok(PublicKey { keytype: KeyType::parse(&repr.keytype), public })
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::json!({
            "keytype": self.keytype.as_str(),
            "keyval": {"private": null, "public": b64::encode(&self.public)},
        })
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_matches_notary_fixture() {
        // notary fixtures/compatibility/notary0.3: the targets key of root.json.
        let json = r#"{"keytype":"ecdsa","keyval":{"private":null,"public":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEgAR0mBMaGc9HDu3ZB4KPAmCNzs/+IVWZ7ZbnGnL6w6x2VoZOYkkDL7Y1ffuH1q/rxGs+nUvtcJFkmZ2eamPkRw=="}}"#;
        let key: PublicKey = serde_json::from_str(json).unwrap();
        assert_eq!(key.keytype, KeyType::Ecdsa);
        assert_eq!(key.canonical_json(), json.as_bytes());
        assert_eq!(key.tuf_id().len(), 64);
    }

    #[test]
    fn server_key_json_field_order_does_not_matter() {
        let json = r#"{"keytype":"ed25519","keyval":{"public":"f8N5zJB3bo03e9AZdxv9NcPFAytpX6xbINFE7gnsrWc=","private":null}}"#;
        let key: PublicKey = serde_json::from_str(json).unwrap();
        assert_eq!(key.keytype, KeyType::Ed25519);
        assert_eq!(key.public.len(), 32);
        assert_eq!(
            serde_json::to_string(&key).unwrap(),
            r#"{"keytype":"ed25519","keyval":{"private":null,"public":"f8N5zJB3bo03e9AZdxv9NcPFAytpX6xbINFE7gnsrWc="}}"#
        );
    }
}
