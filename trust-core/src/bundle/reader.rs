//! A verifying client for one repository of a bundle: the online client's checks
//! (every signature, threshold, hash and version) over the bundle's files, with no
//! network and an ephemeral cache, so that nothing of the bundle reaches the user's
//! trust directory.

use std::collections::BTreeMap;
use std::time::Duration;

use super::open::Bundle;
use super::remote::BundleRemote;
use crate::client::reader::{Provenance, Reader};
use crate::client::{Client, ClientOptions};
use crate::{Error, Result};
use trust_tuf::pinning::{Pin, TrustPinning};

impl Bundle {
    /// A reader of `gun` from this bundle. The first root is pinned to the manifest's
    /// `root_key_ids` unless `options.pinning` names the repository (certificate IDs
    /// or a CA), which wins. With `frozen`, expiry is checked as of the repository's
    /// `exported_at`; else as of `options.now` (the real now when unset).
    pub fn reader(&self, gun: &str, mut options: ClientOptions, frozen: bool) -> Result<Reader> {
        let entry = self.repository(gun)?;
        if !matches!(options.pinning.pin_for(gun), Pin::Certs(_) | Pin::Ca(_)) {
            options.pinning = TrustPinning {
                certs: BTreeMap::from([(gun.to_owned(), entry.root_key_ids.clone())]),
                ca: BTreeMap::new(),
                disable_tofu: true,
            };
        }
        if frozen {
            options.now = Some(entry.exported_at);
        }
        // Nothing to reuse or fall back on: every read verifies the bundle's files.
        options.offline_ok = false;
        options.max_timestamp_age = Duration::ZERO;
        let cache = tempfile::Builder::new()
            .prefix("trust-bundle-cache-")
            .tempdir()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let client = Client::new(gun, Box::new(BundleRemote::new(self.clone())), cache.path(), options)?;
        let provenance = Provenance {
            bundle: self.source().to_owned(),
            server: self.manifest().server.clone(),
            exported_at: entry.exported_at,
            frozen,
        };
        Ok(Reader::from_bundle(client, provenance, cache))
    }
}
