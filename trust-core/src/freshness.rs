//! How long a fetched timestamp may be reused without asking the server again.
//!
//! notary-server marks `timestamp.json` `Cache-Control: max-age=300`. After a
//! timestamp was fetched and the whole update verified, the client records the
//! timestamp's hash, when it was fetched and the declared lifetime (capped by the
//! client's own limit). Until that lifetime passes, an update whose cached timestamp
//! is that same file reuses it, and with snapshot and targets already in the cache
//! needs no network at all. Expiry and every signature are still checked each time.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The freshness record of one repository's cached timestamp.
#[derive(Debug, Clone)]
pub struct Freshness {
    path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Record {
    timestamp_sha256: String,
    fetched_at: DateTime<Utc>,
    max_age_secs: u64,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(crate::crypto::backend::digest::digest(&crate::crypto::backend::digest::SHA256, bytes).as_ref())
}

impl Freshness {
    /// The record kept at `path`.
    pub fn at(path: PathBuf) -> Self {
        Freshness { path }
    }

    /// True when `timestamp` is the file last fetched and its lifetime has not passed
    /// at `now` (a record from the future, after a clock change, does not count).
    pub fn is_fresh(&self, timestamp: &[u8], now: DateTime<Utc>) -> bool {
        let Ok(bytes) = std::fs::read(&self.path) else { return false };
        let Ok(record) = serde_json::from_slice::<Record>(&bytes) else { return false };
        let Ok(age) = (now - record.fetched_at).to_std() else { return false };
        record.timestamp_sha256 == sha256_hex(timestamp) && age < Duration::from_secs(record.max_age_secs)
    }

    /// Records that `timestamp` was fetched at `now` and stays fresh for `max_age`.
    pub fn record(&self, timestamp: &[u8], now: DateTime<Utc>, max_age: Duration) -> Result<()> {
        let record =
            Record { timestamp_sha256: sha256_hex(timestamp), fetched_at: now, max_age_secs: max_age.as_secs() };
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

    #[test]
    fn fresh_only_for_the_same_file_within_its_lifetime() {
        let dir = tempfile::tempdir().unwrap();
        let f = Freshness::at(dir.path().join("freshness.json"));
        let now = Utc::now();
        assert!(!f.is_fresh(b"ts", now));
        f.record(b"ts", now, Duration::from_secs(300)).unwrap();
        assert!(f.is_fresh(b"ts", now + chrono::Duration::seconds(299)));
        assert!(!f.is_fresh(b"ts", now + chrono::Duration::seconds(300)));
        assert!(!f.is_fresh(b"other", now));
        assert!(!f.is_fresh(b"ts", now - chrono::Duration::seconds(1)), "a record from the future");
        f.clear();
        assert!(!f.is_fresh(b"ts", now));
    }
}
