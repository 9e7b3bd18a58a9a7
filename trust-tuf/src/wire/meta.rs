//! File metadata: length and hashes of a target or a metadata file.

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use super::b64;

/// The hashes of a file. Notary writes base64 of the raw digests; only `sha256` and
/// `sha512` are used, any others are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hashes {
    /// SHA-256 digest.
    pub sha256: Option<[u8; 32]>,
    /// SHA-512 digest.
    pub sha512: Option<Box<[u8; 64]>>,
}

impl Hashes {
    /// True when no known hash is present.
    pub fn is_empty(&self) -> bool {
        self.sha256.is_none() && self.sha512.is_none()
    }
}

impl Serialize for Hashes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        if let Some(h) = &self.sha256 {
            map.serialize_entry("sha256", &b64::encode(h))?;
        }
        if let Some(h) = &self.sha512 {
            map.serialize_entry("sha512", &b64::encode(&h[..]))?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Hashes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Hashes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of hash algorithm to base64 digest")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Hashes, A::Error> {
                let mut out = Hashes::default();
                while let Some(alg) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let digest: std::borrow::Cow<'de, str> = map.next_value()?;
                    let bytes = || b64::decode(&digest).map_err(serde::de::Error::custom);
                    match alg.as_ref() {
                        "sha256" => {
                            let raw: [u8; 32] = bytes()?
                                .try_into()
                                .map_err(|_| serde::de::Error::custom("sha256 digest is not 32 bytes"))?;
                            out.sha256 = Some(raw);
                        }
                        "sha512" => {
                            let raw: [u8; 64] = bytes()?
                                .try_into()
                                .map_err(|_| serde::de::Error::custom("sha512 digest is not 64 bytes"))?;
                            out.sha512 = Some(Box::new(raw));
                        }
                        _ => {}
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// `{"length":N,"hashes":{…},"custom":…}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FileMeta {
    /// Exact byte length.
    pub length: u64,
    /// Digests.
    pub hashes: Hashes,
    /// Opaque custom data, kept as received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<Box<RawValue>>,
}

impl PartialEq for FileMeta {
    fn eq(&self, other: &Self) -> bool {
        self.length == other.length
            && self.hashes == other.hashes
            && self.custom.as_ref().map(|c| c.get()) == other.custom.as_ref().map(|c| c.get())
    }
}

impl FileMeta {
    /// Metadata for `bytes` with SHA-256 and SHA-512, as notary writes into snapshot
    /// and timestamp.
    pub fn for_bytes(bytes: &[u8]) -> Self {
        let sha256 = crate::crypto::backend::digest::digest(&crate::crypto::backend::digest::SHA256, bytes);
        let sha512 = crate::crypto::backend::digest::digest(&crate::crypto::backend::digest::SHA512, bytes);
        let mut h512 = [0u8; 64];
        h512.copy_from_slice(sha512.as_ref());
        let mut h256 = [0u8; 32];
        h256.copy_from_slice(sha256.as_ref());
        FileMeta {
            length: bytes.len() as u64,
            hashes: Hashes { sha256: Some(h256), sha512: Some(Box::new(h512)) },
            custom: None,
        }
    }

    /// Hex of the SHA-256 digest, if present.
    pub fn sha256_hex(&self) -> Option<String> {
        self.hashes.sha256.map(hex::encode)
    }

    /// Whether `bytes` looks like the file this metadata pins: its exact length and,
    /// when listed, its SHA-256 (every known hash when no SHA-256 is listed). A cheap
    /// choice between copies (a cached file or a download), not a verification:
    /// [`Self::check`], which the trusted set runs on every file it accepts, is.
    pub fn pins(&self, bytes: &[u8]) -> bool {
        if bytes.len() as u64 != self.length {
            return false;
        }
        match &self.hashes.sha256 {
            Some(h) => {
                crate::crypto::backend::digest::digest(&crate::crypto::backend::digest::SHA256, bytes).as_ref() == h
            }
            None => self.check(bytes).is_ok(),
        }
    }

    /// Checks `bytes` against this metadata: exact length and every known hash.
    /// Returns a description of the first mismatch.
    pub fn check(&self, bytes: &[u8]) -> Result<(), String> {
        if bytes.len() as u64 != self.length {
            return Err(format!("length {} does not match the expected {}", bytes.len(), self.length));
        }
        if self.hashes.is_empty() {
            return Err("no sha256 or sha512 hash to check".into());
        }
        if let Some(h) = &self.hashes.sha256
            && crate::crypto::backend::digest::digest(&crate::crypto::backend::digest::SHA256, bytes).as_ref() != h
        {
            return Err("sha256 hash does not match".into());
        }
        if let Some(h) = &self.hashes.sha512
            && crate::crypto::backend::digest::digest(&crate::crypto::backend::digest::SHA512, bytes).as_ref() != &h[..]
        {
            return Err("sha512 hash does not match".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_notary_meta() {
        let json = r#"{"hashes":{"sha256":"3/mSHCJg9dkVKfesm6fjm2wul2nO/K2BfyD3SR7e+NU="},"length":528}"#;
        let meta: FileMeta = serde_json::from_str(json).unwrap();
        assert_eq!(meta.length, 528);
        assert_eq!(crate::canonical::to_vec_from(&meta).unwrap(), json.as_bytes());
    }

    #[test]
    fn checks_length_and_hashes() {
        let meta = FileMeta::for_bytes(b"hello");
        assert!(meta.check(b"hello").is_ok());
        assert!(meta.check(b"hellO").unwrap_err().contains("sha256"));
        assert!(meta.check(b"hello!").unwrap_err().contains("length"));
        assert!(meta.pins(b"hello") && !meta.pins(b"hellO") && !meta.pins(b"hello!"));
    }

    #[test]
    fn refuses_short_digests() {
        assert!(serde_json::from_str::<FileMeta>(r#"{"hashes":{"sha256":"AAEC"},"length":1}"#).is_err());
    }
}
