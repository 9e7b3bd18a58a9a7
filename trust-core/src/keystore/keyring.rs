//! Key passphrases in the OS keyring, and the setting that turns that on.
//!
//! On Linux the keyring is the kernel's keyutils (the user's persistent keyring), which
//! needs no desktop session; entries survive a few days of disuse, not a reboot, so it
//! is a cache in front of the environment and the prompt, never the only copy. macOS
//! and Windows use their native stores.
//!
//! The CLI's `--keyring` flag enables it and `--no-keyring` disables it; the choice is
//! remembered in `<trust dir>/keystore.json` (`{"keyring": true}`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use crate::{Error, Result};

/// The keyring service name entries are stored under; the user name is the key ID.
pub const KEYRING_SERVICE: &str = "trust (Docker Content Trust key passphrase)";

/// The file in the trust directory that remembers whether the keyring is used.
pub const SETTINGS_FILE: &str = "keystore.json";

/// A place to keep key passphrases, by key ID.
pub trait SecretStore {
    /// The passphrase stored for `key_id`, if any.
    fn get(&self, key_id: &str) -> Result<Option<Zeroizing<String>>>;
    /// Stores `passphrase` for `key_id`, replacing what was there.
    fn set(&self, key_id: &str, passphrase: &str) -> Result<()>;
}

/// The operating system's keyring, through the `keyring` crate.
#[derive(Debug, Clone)]
pub struct OsKeyring {
    service: String,
}

impl Default for OsKeyring {
    fn default() -> Self {
        OsKeyring { service: KEYRING_SERVICE.to_owned() }
    }
}

impl OsKeyring {
    /// The keyring under [`KEYRING_SERVICE`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The keyring under another service name (tests use their own).
    pub fn with_service(service: &str) -> Self {
        OsKeyring { service: service.to_owned() }
    }

    /// The entries for `key_id`, the preferred one first. On Linux: keyutils with the
    /// user's persistent keyring, then the session keyring alone (some containers do not
    /// let a process link keys into the persistent keyring).
    fn entries(&self, key_id: &str) -> Result<Vec<keyring::Entry>> {
        #[cfg(target_os = "linux")]
        {
            use keyring::keyutils::KeyutilsCredential;
            use linux_keyutils::{KeyRing, KeyRingIdentifier};
            // A process that has no session keyring of its own (no login session, e.g. a
            // container or a CI job) would otherwise fall back to the user-session
            // keyring, which it does not possess: its keys could be added but never read
            // back. Joining a new anonymous session keyring makes the persistent keyring,
            // linked into it below, possessed and usable across processes.
            let _ = KeyRing::from_special_id(KeyRingIdentifier::Session, true);
            let cred = KeyutilsCredential::new_with_target(None, &self.service, key_id)
                .map_err(|e| keyring_error("open", &e))?;
            let mut session_only = cred.clone();
            session_only.persistent = None;
            let mut entries = vec![keyring::Entry::new_with_credential(Box::new(session_only))];
            if cred.persistent.is_some() {
                entries.insert(0, keyring::Entry::new_with_credential(Box::new(cred)));
            }
            Ok(entries)
        }
        #[cfg(not(target_os = "linux"))]
        {
            Ok(vec![keyring::Entry::new(&self.service, key_id).map_err(|e| keyring_error("open", &e))?])
        }
    }

    /// Runs `op` on the entries of `key_id` until one succeeds (or finds nothing).
    fn first<T>(
        &self,
        key_id: &str,
        what: &str,
        op: impl Fn(&keyring::Entry) -> keyring::Result<T>,
    ) -> Result<Option<T>> {
        let mut last = None;
        for entry in self.entries(key_id)? {
            match op(&entry) {
                Ok(v) => return Ok(Some(v)),
                Err(keyring::Error::NoEntry) => last = None,
                Err(e) => last = Some(e),
            }
        }
        match last {
            None => Ok(None),
            Some(e) => Err(keyring_error(what, &e)),
        }
    }

    /// Removes the passphrase stored for `key_id` (nothing stored is not an error).
    pub fn delete(&self, key_id: &str) -> Result<()> {
        self.first(key_id, "delete", keyring::Entry::delete_credential).map(|_| ())
    }
}

fn keyring_error(what: &str, e: &keyring::Error) -> Error {
    Error::Key(format!("OS keyring: cannot {what} the passphrase entry: {e}"))
}

impl SecretStore for OsKeyring {
    fn get(&self, key_id: &str) -> Result<Option<Zeroizing<String>>> {
        Ok(self.first(key_id, "read", keyring::Entry::get_password)?.map(Zeroizing::new))
    }

    fn set(&self, key_id: &str, passphrase: &str) -> Result<()> {
        match self.first(key_id, "write", |e| e.set_password(passphrase))? {
            Some(()) => Ok(()),
            None => Err(Error::Key("OS keyring: cannot write the passphrase entry".into())),
        }
    }
}

/// An in-memory [`SecretStore`] (for tests; clones share their entries).
#[derive(Clone, Default)]
pub struct MemoryKeyring {
    entries: Arc<Mutex<HashMap<String, Zeroizing<String>>>>,
}

impl std::fmt::Debug for MemoryKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<String> = self.entries.lock().map(|e| e.keys().cloned().collect()).unwrap_or_default();
        f.debug_struct("MemoryKeyring").field("key_ids", &ids).finish_non_exhaustive()
    }
}

impl SecretStore for MemoryKeyring {
    fn get(&self, key_id: &str) -> Result<Option<Zeroizing<String>>> {
        let entries = self.entries.lock().map_err(|_| Error::Key("keyring lock".into()))?;
        Ok(entries.get(key_id).cloned())
    }

    fn set(&self, key_id: &str, passphrase: &str) -> Result<()> {
        let mut entries = self.entries.lock().map_err(|_| Error::Key("keyring lock".into()))?;
        entries.insert(key_id.to_owned(), Zeroizing::new(passphrase.to_owned()));
        Ok(())
    }
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Settings {
    #[serde(default)]
    keyring: bool,
}

fn settings_path(trust_dir: &Path) -> PathBuf {
    trust_dir.join(SETTINGS_FILE)
}

/// Whether passphrases go through the OS keyring for `trust_dir`: `flag` (from
/// `--keyring`/`--no-keyring`) when given, which is then remembered; otherwise what was
/// remembered, and off by default.
pub fn keyring_enabled(trust_dir: &Path, flag: Option<bool>) -> Result<bool> {
    let path = settings_path(trust_dir);
    let stored = match std::fs::read(&path) {
        Ok(bytes) => {
            serde_json::from_slice::<Settings>(&bytes)
                .map_err(|e| Error::InvalidInput(format!("{}: {e}", path.display())))?
                .keyring
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(Error::io(&path, e)),
    };
    match flag {
        Some(wanted) if wanted != stored => {
            let json = serde_json::to_vec(&Settings { keyring: wanted })
                .map_err(|e| Error::InvalidInput(format!("{}: {e}", path.display())))?;
            crate::atomic_file::write(&path, &json, crate::atomic_file::Access::Private, true)?;
            Ok(wanted)
        }
        Some(wanted) => Ok(wanted),
        None => Ok(stored),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_is_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let trust = dir.path().join("trust");
        assert!(!keyring_enabled(&trust, None).unwrap());
        assert!(!trust.exists(), "reading the default writes nothing");
        assert!(keyring_enabled(&trust, Some(true)).unwrap());
        assert!(keyring_enabled(&trust, None).unwrap());
        assert_eq!(std::fs::read_to_string(trust.join(SETTINGS_FILE)).unwrap(), "{\"keyring\":true}");
        assert!(!keyring_enabled(&trust, Some(false)).unwrap());
        assert!(!keyring_enabled(&trust, None).unwrap());
    }

    /// Set by `os_keyring_across_processes` for the child it starts.
    const CHILD_ENV: &str = "TRUST_CORE_KEYRING_CHILD_ID";

    #[test]
    fn os_keyring_across_processes() {
        let ring = OsKeyring::with_service("trust-core unit test");
        let id = format!("cross-{}", std::process::id());
        ring.set(&id, "passphrase for the child").unwrap();
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args(["--exact", "keystore::keyring::tests::os_keyring_child", "--include-ignored", "--nocapture"])
            .env(CHILD_ENV, &id)
            .output()
            .unwrap();
        ring.delete(&id).unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("1 passed"), "{text}{}", String::from_utf8_lossy(&out.stderr));
    }

    /// The other half of `os_keyring_across_processes`: a new process reads the entry.
    #[test]
    #[ignore = "started by os_keyring_across_processes"]
    fn os_keyring_child() {
        let Ok(id) = std::env::var(CHILD_ENV) else { return };
        let ring = OsKeyring::with_service("trust-core unit test");
        assert_eq!(ring.get(&id).unwrap().as_deref().map(String::as_str), Some("passphrase for the child"));
    }

    #[test]
    fn os_keyring_round_trip() {
        // Linux keyutils needs no desktop: this runs on CI machines too.
        let ring = OsKeyring::with_service("trust-core unit test");
        let id = format!("test-{}", std::process::id());
        ring.set(&id, "secret passphrase").unwrap();
        assert_eq!(ring.get(&id).unwrap().as_deref().map(String::as_str), Some("secret passphrase"));
        ring.delete(&id).unwrap();
        assert_eq!(ring.get(&id).unwrap(), None);
    }

    #[test]
    fn memory_keyring_debug_hides_passphrases() {
        let ring = MemoryKeyring::default();
        ring.set("id1", "hidden passphrase").unwrap();
        let shown = format!("{ring:?}");
        assert!(shown.contains("id1") && !shown.contains("hidden"), "{shown}");
    }
}
