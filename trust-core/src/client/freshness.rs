//! Where and when a repository's cached timestamp was fetched.
//!
//! After an update that asked the server verified, the client records the trust
//! server's URL, the timestamp's hash, when it was fetched and how long it may be
//! reused: the lifetime the server declares (`Cache-Control: max-age`, 300 s on
//! notary-server), capped by the client's own `max_timestamp_age`, which is zero
//! unless the caller opts in. The record answers two questions:
//!
//! - may this cached timestamp answer without asking the server ([`Freshness::is_fresh`]):
//!   only when it is the file last fetched, from the same server, within its lifetime;
//! - which server the cached trust data came from ([`Freshness::origin`]): data from
//!   another server serves as rollback protection only, never as an answer.
//!
//! Expiry and every signature are still checked each time the cache answers.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The fetch record of one repository's cached timestamp.
#[derive(Debug, Clone)]
pub struct Freshness {
    path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Record {
    /// The trust server the timestamp came from; absent in records written before
    /// origins were recorded (such a cache answers for no server).
    #[serde(default)]
    server: Option<String>,
    timestamp_sha256: String,
    fetched_at: DateTime<Utc>,
    max_age_secs: u64,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(trust_tuf::crypto::backend::digest::digest(&trust_tuf::crypto::backend::digest::SHA256, bytes).as_ref())
}

impl Freshness {
    /// The record kept at `path`.
    pub fn at(path: PathBuf) -> Self {
        Freshness { path }
    }

    fn read(&self) -> Option<Record> {
        let bytes = std::fs::read(&self.path).ok()?;
        serde_json::from_slice::<Record>(&bytes).ok()
    }

    /// The trust server the cached trust data was last fetched from, when recorded.
    pub fn origin(&self) -> Option<String> {
        self.read()?.server
    }

    /// True when `timestamp` is the file last fetched from `server` and its lifetime
    /// has not passed at `now` (a record from the future, after a clock change, does
    /// not count).
    pub fn is_fresh(&self, server: &str, timestamp: &[u8], now: DateTime<Utc>) -> bool {
        let Some(record) = self.read() else { return false };
        let Ok(age) = (now - record.fetched_at).to_std() else { return false };
        record.server.as_deref() == Some(server)
            && record.timestamp_sha256 == sha256_hex(timestamp)
            && age < Duration::from_secs(record.max_age_secs)
    }

    /// True when the record names `server` and `timestamp` (whatever its lifetime).
    pub fn is_recorded(&self, server: &str, timestamp: &[u8]) -> bool {
        self.read().is_some_and(|r| r.server.as_deref() == Some(server) && r.timestamp_sha256 == sha256_hex(timestamp))
    }

    /// Records that `timestamp` was fetched from `server` at `now` and may be reused
    /// for `max_age` (zero: never).
    pub fn record(&self, server: &str, timestamp: &[u8], now: DateTime<Utc>, max_age: Duration) -> Result<()> {
        let record = Record {
            server: Some(server.to_owned()),
            timestamp_sha256: sha256_hex(timestamp),
            fetched_at: now,
            max_age_secs: max_age.as_secs(),
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| Error::InvalidInput(e.to_string()))?;
        crate::atomic_file::write(&self.path, &bytes, crate::atomic_file::Access::Private, true)
    }

    /// Forgets the record.
    pub fn clear(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "https://notary.example:4443";

    #[test]
    fn fresh_only_for_the_same_file_and_server_within_its_lifetime() {
        let dir = tempfile::tempdir().unwrap();
        let f = Freshness::at(dir.path().join("freshness.json"));
        let now = Utc::now();
        assert!(!f.is_fresh(SERVER, b"ts", now));
        assert_eq!(f.origin(), None);
        f.record(SERVER, b"ts", now, Duration::from_secs(300)).unwrap();
        assert_eq!(f.origin().as_deref(), Some(SERVER));
        assert!(f.is_fresh(SERVER, b"ts", now + chrono::Duration::seconds(299)));
        assert!(!f.is_fresh(SERVER, b"ts", now + chrono::Duration::seconds(300)));
        assert!(!f.is_fresh(SERVER, b"other", now));
        assert!(!f.is_fresh("https://other.example", b"ts", now), "another server's timestamp");
        assert!(!f.is_fresh(SERVER, b"ts", now - chrono::Duration::seconds(1)), "a record from the future");
        f.record(SERVER, b"ts", now, Duration::ZERO).unwrap();
        assert!(!f.is_fresh(SERVER, b"ts", now), "a zero lifetime is never fresh");
        assert_eq!(f.origin().as_deref(), Some(SERVER));
        f.clear();
        assert!(!f.is_fresh(SERVER, b"ts", now));
    }

    #[test]
    fn a_record_without_a_server_answers_for_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("freshness.json");
        let now = Utc::now();
        let old = format!(
            r#"{{"timestamp_sha256":"{}","fetched_at":"{}","max_age_secs":300}}"#,
            sha256_hex(b"ts"),
            now.to_rfc3339()
        );
        std::fs::write(&path, old).unwrap();
        let f = Freshness::at(path);
        assert_eq!(f.origin(), None);
        assert!(!f.is_fresh(SERVER, b"ts", now));
    }
}
