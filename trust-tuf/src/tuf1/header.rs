//! The fields every TUF 1.0 role's `signed` part starts with: `_type`,
//! `spec_version`, `version` and `expires`.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The major version of the specification this module implements.
pub const SPEC_MAJOR: u64 = 1;

/// The version this crate writes into metadata it makes (the specification's
/// current 1.x release).
pub const SPEC_VERSION: &str = "1.0.31";

/// `_type`, `spec_version`, `version` and `expires` of a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// `root`, `timestamp`, `snapshot` or `targets` (lower case).
    #[serde(rename = "_type")]
    pub role_type: String,
    /// The specification version the metadata was written for, `X.Y` or `X.Y.Z`.
    pub spec_version: String,
    /// The metadata version, at least 1.
    pub version: u64,
    /// When the metadata stops being trusted.
    pub expires: Expires,
}

impl Header {
    /// Checks `_type` is `expected`, `spec_version` has major version 1 and
    /// `version` is at least 1.
    pub fn check(&self, expected: &str) -> Result<(), String> {
        if self.role_type != expected {
            return Err(format!("_type is {:?}, expected {expected:?}", self.role_type));
        }
        check_spec_version(&self.spec_version)?;
        if self.version == 0 {
            return Err("version must be at least 1, found 0".into());
        }
        Ok(())
    }
}

/// Accepts `spec_version` `1.Y` or `1.Y.Z`; any other major version, or text that is
/// not a version, is refused with the reason.
pub fn check_spec_version(spec_version: &str) -> Result<(), String> {
    let parts: Vec<&str> = spec_version.split('.').collect();
    let numeric = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !(2..=3).contains(&parts.len()) || !parts.iter().all(numeric) {
        return Err(format!("spec_version {spec_version:?} is not a version (X.Y or X.Y.Z)"));
    }
    match parts[0].parse::<u64>() {
        Ok(SPEC_MAJOR) => Ok(()),
        _ => Err(format!(
            "spec_version {spec_version} is not supported: this client implements TUF specification {SPEC_MAJOR}.x (ask the repository for 1.x metadata or use a client for version {})",
            parts[0]
        )),
    }
}

/// An `expires` time, `YYYY-MM-DDTHH:MM:SSZ` as the specification writes it; the
/// text is kept so it is written back unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expires {
    text: String,
    at: DateTime<Utc>,
}

impl Expires {
    /// Parses the specification's format (UTC, whole seconds, `Z`).
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 20 || !text.ends_with('Z') {
            return None;
        }
        let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ").ok()?;
        Some(Expires { text: text.to_owned(), at: naive.and_utc() })
    }

    /// The time.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when `now` is at or past the expiry (the specification's "expired").
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.at
    }
}

impl Serialize for Expires {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Expires {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Expires::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("expires {text:?} is not YYYY-MM-DDTHH:MM:SSZ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_versions() {
        for ok in ["1.0", "1.0.31", "1.2.0", "1.10"] {
            assert_eq!(check_spec_version(ok), Ok(()), "{ok}");
        }
        let e = check_spec_version("2.0").unwrap_err();
        assert!(e.contains("not supported") && e.contains("1.x"), "{e}");
        assert!(check_spec_version("2.0.0").unwrap_err().contains("not supported"));
        for bad in ["1", "1.0.0.0", "v1.0", "1.x", "", "1..0"] {
            assert!(check_spec_version(bad).unwrap_err().contains("not a version"), "{bad}");
        }
    }

    #[test]
    fn expires_format() {
        let e = Expires::parse("2036-01-01T00:00:00Z").unwrap();
        assert_eq!(e.as_str(), "2036-01-01T00:00:00Z");
        assert!(e.is_expired(e.at()));
        assert!(!e.is_expired(e.at() - chrono::Duration::seconds(1)));
        for bad in
            ["2036-01-01T00:00:00.5Z", "2036-01-01T00:00:00+00:00", "2036-01-01 00:00:00Z", "2036-13-01T00:00:00Z"]
        {
            assert!(Expires::parse(bad).is_none(), "{bad}");
        }
    }
}
