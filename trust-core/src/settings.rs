//! Where trust data comes from and goes, resolved as docker resolves it, so the
//! CLI, the engine hook and the bindings open clients the same way.

use std::path::PathBuf;
use std::time::Duration;

use crate::client::{Client, ClientOptions};
use crate::fips::FipsMode;
use crate::keystore::{DockerPassphrases, KeyEncryption, KeyStore, OsKeyring, keyring_enabled};
use crate::pinning::TrustPinning;
use crate::publish::{KeySource, StoreKeys};
use crate::reference::Reference;
use crate::registry::{RegistryClient, RegistryOptions};
use crate::remote::{self, RemoteOptions};
use crate::transfer::TransferLimits;
use crate::{Error, Result, config};

/// Settings from flags and the environment. Empty fields take docker's defaults.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `--server`: the trust server URL (`https://…` or `file://…`).
    pub server: Option<String>,
    /// `--trust-dir`: where keys and the metadata cache live.
    pub trust_dir: Option<PathBuf>,
    /// `--tlscacert`: a CA bundle for the trust server.
    pub ca_file: Option<PathBuf>,
    /// `--trust-pinning`: a trust pinning file (notary's `trust_pinning`).
    pub pinning_file: Option<PathBuf>,
    /// `--timeout`: the deadline of each request, body included;
    /// [`crate::transfer::DEFAULT_DEADLINE`] when None.
    pub timeout: Option<Duration>,
    /// `--min-rate`: the lowest average body rate in bytes per second past the grace
    /// period (0 turns it off); [`crate::transfer::DEFAULT_MIN_RATE`] when None.
    pub min_rate: Option<u64>,
    /// Options passed to every client.
    pub client: ClientOptions,
    /// `--insecure-registry`: registries reached without TLS checks (loopback ones
    /// always are, as in docker).
    pub insecure_registries: Vec<String>,
    /// A CA bundle for registries, added to docker's certificate directories.
    pub registry_ca: Option<PathBuf>,
    /// The passphrase of a file remote's own snapshot and timestamp keys.
    pub file_server_passphrase: Option<zeroize::Zeroizing<String>>,
    /// FIPS mode and what decided it; it overrides `client.fips` for every client.
    pub fips: FipsMode,
}

impl Settings {
    /// Docker's defaults, plus what the environment adds beyond them: FIPS mode
    /// ([`FipsMode::from_environment`]) and the file remote's server-key passphrase
    /// from `TRUST_SERVER_PASSPHRASE`, else `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE`. (The trust server, trust
    /// directory and key passphrases are read from the environment when used.)
    pub fn from_environment() -> Self {
        Settings {
            file_server_passphrase: ["TRUST_SERVER_PASSPHRASE", "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"]
                .iter()
                .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
                .map(zeroize::Zeroizing::new),
            fips: FipsMode::from_environment(None),
            ..Settings::default()
        }
    }

    /// The trust directory in effect.
    pub fn trust_dir(&self) -> PathBuf {
        config::trust_dir(self.trust_dir.as_deref())
    }

    /// The trust server for `reference`.
    pub fn server_for(&self, reference: &Reference) -> Result<String> {
        config::trust_server(reference, self.server.as_deref())
    }

    /// The trust directory's keys, unlocked with docker's passphrase sources (the
    /// OS keyring when enabled for the trust directory, the environment, a prompt).
    pub fn key_source(&self) -> Result<Box<dyn KeySource>> {
        let trust_dir = self.trust_dir();
        let store = KeyStore::open(&trust_dir)?.with_encryption(KeyEncryption::for_mode(self.fips.enabled));
        let mut passphrases = DockerPassphrases::new();
        if keyring_enabled(&trust_dir, None)? {
            passphrases = passphrases.with_keyring(OsKeyring::new());
        }
        Ok(Box::new(StoreKeys::new(store, Box::new(passphrases))))
    }

    /// The limits every download runs under: [`Self::timeout`] and [`Self::min_rate`]
    /// over the defaults.
    pub fn limits(&self) -> TransferLimits {
        TransferLimits::with(self.timeout, self.min_rate)
    }

    /// A client for the image registries (manifest digests and sizes).
    pub fn registry_client(&self) -> RegistryClient {
        let mut opts = RegistryOptions::new(config::docker_config_dir());
        opts.insecure_registries = self.insecure_registries.clone();
        opts.ca_file = self.registry_ca.clone();
        opts.limits = self.limits();
        RegistryClient::new(opts)
    }

    /// A client for the repository of `reference`.
    pub fn client_for(&self, reference: &Reference) -> Result<Client> {
        let server = self.server_for(reference)?;
        let mut opts = RemoteOptions::new(config::docker_config_dir());
        opts.ca_file = self.ca_file.clone();
        opts.registry = Some(reference.domain().to_owned());
        opts.limits = self.limits();
        opts.file_server_passphrase = self.file_server_passphrase.clone();
        opts.fips = self.fips.enabled;
        let remote = remote::open(&server, &opts)?;
        let mut options = self.client.clone();
        options.fips = self.fips.enabled;
        if let Some(path) = &self.pinning_file {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            options.pinning = TrustPinning::from_json(&bytes)?;
        }
        Client::new(&reference.gun(), remote, &self.trust_dir(), options)
    }
}
