//! Offline mode: answer from cached trust data as of a moment when all of it was still
//! valid (the engine hook's `allow-expired-cached-trust-data`).
//!
//! Only bytes that verified before (the cache) are used: the remote is replaced by one
//! that is always unreachable, so nothing downloaded is ever accepted with its expiry
//! ignored (Docker EE's rule). Signatures, thresholds, hashes and delegation rules are
//! checked as always; only the clock is moved back.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::cache::Cache;
use super::{Client, ClientOptions};
use crate::remote::{Remote, RemoteFile};
use crate::{Error, Result};
use trust_tuf::wire::{Envelope, Expiry};

/// How many cached files are read at most.
const MAX_FILES: usize = 4096;

/// A remote that cannot be reached.
#[derive(Debug)]
struct OfflineRemote {
    url: String,
}

impl Remote for OfflineRemote {
    fn fetch(&self, _gun: &str, file: &RemoteFile<'_>, _max_len: u64) -> Result<Option<Vec<u8>>> {
        Err(Error::Network {
            url: format!("{}/{}", self.url, file.role()),
            reason: "not asked: verifying expired cached trust data".into(),
        })
    }

    fn url(&self) -> &str {
        &self.url
    }
}

impl Client {
    /// A client for `gun` that answers from the cache under `trust_dir` only, as
    /// cached from `server`: verified at `options.now` (now when None) if nothing
    /// cached has expired by then, else one second before the earliest expiry among
    /// the cached files. [`Error::RepositoryNotFound`] when nothing is cached.
    pub fn offline(gun: &str, server: &str, trust_dir: &Path, mut options: ClientOptions) -> Result<Client> {
        let now = options.now.unwrap_or_else(Utc::now);
        let cache = Cache::open(trust_dir, gun)?;
        options.now = Some(verification_time(&cache, gun, now)?);
        // The cached timestamp must answer although the server cannot be reached.
        options.offline_ok = true;
        // The URL a notary remote reports, so that the cache's recorded origin matches.
        let url = if server.starts_with("oci://") { server } else { server.trim_end_matches('/') };
        let remote = Box::new(OfflineRemote { url: url.to_owned() });
        Client::new(gun, remote, trust_dir, options)
    }
}

/// The time to verify `cache` at: `now` if nothing has expired, else one second before
/// the earliest expiry among the cached files.
fn verification_time(cache: &Cache, gun: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
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
        None => Err(Error::RepositoryNotFound { gun: gun.to_owned(), server: "the local cache".into() }),
        Some(at) if at > now => Ok(now),
        Some(at) => Ok(at - chrono::Duration::seconds(1)),
    }
}

/// The `signed.expires` of a cached metadata file (signatures are checked when the
/// file is verified at the time this gives).
fn expiry_of(path: &Path) -> Option<DateTime<Utc>> {
    #[derive(Deserialize)]
    struct Signed {
        expires: Expiry,
    }
    let bytes = std::fs::read(path).ok()?;
    let envelope = Envelope::parse(&bytes).ok()?;
    let signed: Signed = serde_json::from_str(envelope.signed.get()).ok()?;
    Some(signed.expires.at())
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
        let time = |gun: &str, now| verification_time(&Cache::open(dir.path(), gun).unwrap(), gun, now);
        let at = time("r.example.com/app", now).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-01-04T23:59:59+00:00");
        let early = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap().to_utc();
        assert_eq!(time("r.example.com/app", early).unwrap(), early);
        assert!(time("r.example.com/none", now).is_err());
    }
}
