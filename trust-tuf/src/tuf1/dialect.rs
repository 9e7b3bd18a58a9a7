//! Which metadata dialect a file speaks, decided from the file itself (never from
//! where it came from).

use serde::Deserialize;

use crate::{Error, Result};

/// A metadata dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Notary v1 (Docker Content Trust): `_type` capitalised (`Root`, `Targets`, …),
    /// no `spec_version`; read by [`crate::wire`] and [`crate::trusted`].
    NotaryV1,
    /// The TUF 1.0 specification: `_type` lower case and a `spec_version`; read by
    /// [`crate::tuf1`].
    Tuf1,
}

#[derive(Deserialize)]
struct Probe {
    signed: ProbeSigned,
}

#[derive(Deserialize)]
struct ProbeSigned {
    #[serde(rename = "_type")]
    role_type: String,
    spec_version: Option<serde::de::IgnoredAny>,
}

/// The dialect of a metadata file (any role): TUF 1.0 when `signed._type` is
/// lower case (`root`, `timestamp`, `snapshot`, `targets`) and `spec_version` is
/// present, Notary v1 when `_type` is capitalised (`Root`, `Timestamp`, `Snapshot`,
/// `Targets`) and there is no `spec_version`. Anything else (an unknown `_type`, a
/// mix of the two) is refused as malformed; whether the `spec_version` is one this
/// crate supports is checked when the file is parsed.
pub fn detect(bytes: &[u8]) -> Result<Dialect> {
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| Error::malformed("metadata", e))?;
    let t = probe.signed.role_type.as_str();
    let has_spec = probe.signed.spec_version.is_some();
    match (t, has_spec) {
        ("root" | "timestamp" | "snapshot" | "targets", true) => Ok(Dialect::Tuf1),
        ("Root" | "Timestamp" | "Snapshot" | "Targets", false) => Ok(Dialect::NotaryV1),
        ("root" | "timestamp" | "snapshot" | "targets", false) => {
            Err(Error::malformed(t, "TUF 1.0 metadata without spec_version"))
        }
        ("Root" | "Timestamp" | "Snapshot" | "Targets", true) => {
            Err(Error::malformed(t, "Notary v1 _type with a spec_version: neither Notary v1 nor TUF 1.0 metadata"))
        }
        _ => Err(Error::malformed("metadata", format!("unknown _type {t:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_from_the_metadata() {
        let tuf = br#"{"signatures":[],"signed":{"_type":"root","spec_version":"1.0.31"}}"#;
        let notary = br#"{"signed":{"_type":"Root","version":1},"signatures":[]}"#;
        assert_eq!(detect(tuf).unwrap(), Dialect::Tuf1);
        assert_eq!(detect(notary).unwrap(), Dialect::NotaryV1);
        // Detection does not judge the version: parsing refuses 2.0.
        let v2 = br#"{"signatures":[],"signed":{"_type":"targets","spec_version":"2.0"}}"#;
        assert_eq!(detect(v2).unwrap(), Dialect::Tuf1);
        for bad in [
            &br#"{"signed":{"_type":"root"},"signatures":[]}"#[..],
            br#"{"signed":{"_type":"Root","spec_version":"1.0"},"signatures":[]}"#,
            br#"{"signed":{"_type":"mirrors","spec_version":"1.0"},"signatures":[]}"#,
            b"not json",
        ] {
            assert!(detect(bad).is_err());
        }
    }
}
