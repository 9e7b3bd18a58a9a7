//! `allow-expired-cached-trust-data`: when the trust server cannot be reached, verify
//! the cached trust data as of a moment when all of it was still valid.
//!
//! Only bytes that verified before (trust-core's cache) are used: the remote is
//! replaced by one that is always unreachable, so nothing downloaded is ever accepted
//! with its expiry ignored (Docker EE's rule). Signatures, thresholds, hashes and
//! delegation rules are checked as always; only the clock is moved back.

use std::path::Path;

use chrono::{DateTime, Utc};
use trust_core::cache::Cache;
use trust_core::remote::{Remote, RemoteFile};

/// How many cached files are read at most.
const MAX_FILES: usize = 4096;

/// A remote that cannot be reached.
#[derive(Debug)]
pub struct OfflineRemote {
    url: String,
}

impl OfflineRemote {
    /// An unreachable stand-in for `url`.
    pub fn new(url: &str) -> Self {
        // The URL a notary remote reports, so the cache's recorded origin matches.
        OfflineRemote { url: url.trim_end_matches('/').to_owned() }
    }
}

impl Remote for OfflineRemote {
    fn fetch(&self, _gun: &str, file: &RemoteFile<'_>, _max_len: u64) -> Result<Option<Vec<u8>>, trust_core::Error> {
        Err(trust_core::Error::Network {
            url: format!("{}/{}", self.url, file.role()),
            reason: "not asked: verifying expired cached trust data".into(),
        })
    }

    fn url(&self) -> &str {
        &self.url
    }
}

/// The time to verify `gun`'s cached data at: `now` if nothing has expired, else one
/// second before the earliest expiry among the cached files.
pub fn verification_time(trust_dir: &Path, gun: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, trust_core::Error> {
    let cache = Cache::open(trust_dir, gun)?;
    let mut earliest: Option<DateTime<Utc>> = None;
    let mut stack = vec![cache.dir().to_path_buf()];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_FILES {
                break;
            }
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                stack.push(path);
            } else if let Some(at) = path.extension().filter(|e| *e == "json").and_then(|_| expiry_of(&path)) {
                earliest = Some(earliest.map_or(at, |e| e.min(at)));
            }
        }
    }
    match earliest {
        None => Err(trust_core::Error::RepositoryNotFound { gun: gun.to_owned(), server: "the local cache".into() }),
        Some(at) if at > now => Ok(now),
        Some(at) => Ok(at - chrono::Duration::seconds(1)),
    }
}

fn expiry_of(path: &Path) -> Option<DateTime<Utc>> {
    #[derive(serde::Deserialize)]
    struct Signed {
        expires: String,
    }
    #[derive(serde::Deserialize)]
    struct File {
        signed: Signed,
    }
    let bytes = std::fs::read(path).ok()?;
    let file: File = serde_json::from_slice(&bytes).ok()?;
    Some(DateTime::parse_from_rfc3339(&file.signed.expires).ok()?.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_cached_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let meta = dir.path().join("tuf/r.example.com/app/metadata");
        std::fs::create_dir_all(meta.join("targets")).unwrap();
        let file = |exp: &str| format!(r#"{{"signed":{{"expires":"{exp}"}},"signatures":[]}}"#);
        std::fs::write(meta.join("timestamp.json"), file("2026-01-10T00:00:00Z")).unwrap();
        std::fs::write(meta.join("targets/releases.json"), file("2026-01-05T00:00:00Z")).unwrap();
        std::fs::write(meta.join("root.json"), file("2030-01-01T00:00:00Z")).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-02-01T00:00:00Z").unwrap().to_utc();
        let at = verification_time(dir.path(), "r.example.com/app", now).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-01-04T23:59:59+00:00");
        let early = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap().to_utc();
        assert_eq!(verification_time(dir.path(), "r.example.com/app", early).unwrap(), early);
        assert!(verification_time(dir.path(), "r.example.com/none", now).is_err());
    }
}
