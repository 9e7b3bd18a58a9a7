//! The `expires` field: the string as received (signatures cover it) and its instant.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An expiry time. The original string is kept so re-serialising never changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    raw: String,
    at: DateTime<Utc>,
}

impl Expiry {
    /// Parses an RFC 3339 time with any fraction and offset, as Go writes `time.Time`.
    pub fn parse(raw: &str) -> Option<Self> {
        let at = DateTime::parse_from_rfc3339(raw).ok()?.with_timezone(&Utc);
        Some(Expiry { raw: raw.to_owned(), at })
    }

    /// An expiry at `at`, written as Go's RFC3339Nano in UTC (trailing zeros trimmed).
    pub fn from_time(at: DateTime<Utc>) -> Self {
        let raw = at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        let raw = trim_fraction(&raw);
        Expiry { raw, at }
    }

    /// The instant.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// The string as received.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// True when `now` is at or past the expiry.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.at
    }
}

/// Go's RFC3339Nano drops trailing zeros of the fraction; chrono's AutoSi keeps
/// groups of three.
fn trim_fraction(s: &str) -> String {
    match s.split_once('.') {
        Some((head, rest)) => {
            let zone_at = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            let (frac, zone) = rest.split_at(zone_at);
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() { format!("{head}{zone}") } else { format!("{head}.{frac}{zone}") }
        }
        None => s.to_owned(),
    }
}

impl Serialize for Expiry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for Expiry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Expiry::parse(&raw).ok_or_else(|| serde::de::Error::custom(format!("invalid expiry time {raw:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_times_with_offsets() {
        let e = Expiry::parse("2116-07-03T17:56:36.027379879-05:00").unwrap();
        assert_eq!(e.at().to_rfc3339(), "2116-07-03T22:56:36.027379879+00:00");
        assert_eq!(e.as_str(), "2116-07-03T17:56:36.027379879-05:00");
    }

    #[test]
    fn writes_go_rfc3339nano() {
        let at = DateTime::parse_from_rfc3339("2029-11-21T23:50:50.073825500Z").unwrap().with_timezone(&Utc);
        assert_eq!(Expiry::from_time(at).as_str(), "2029-11-21T23:50:50.0738255Z");
        let at = DateTime::parse_from_rfc3339("2029-11-21T23:50:50Z").unwrap().with_timezone(&Utc);
        assert_eq!(Expiry::from_time(at).as_str(), "2029-11-21T23:50:50Z");
    }
}
