//! Where trust data comes from and goes, resolved as docker resolves it, so the
//! CLI, the engine hook and the bindings open clients the same way.

use std::path::PathBuf;
use std::time::Duration;

use crate::bundle::Bundle;
use crate::bundle::export::Sources;
use crate::client::reader::Reader;
use crate::client::{Client, ClientOptions};
use crate::engine::{Engine, EngineOptions};
use crate::fips::FipsMode;
use crate::http::transfer::TransferLimits;
use crate::keystore::{DockerPassphrases, KeyEncryption, KeyStore, OsKeyring, keyring_enabled};
use crate::publish::{KeySource, StoreKeys};
use crate::registry::{RegistryClient, RegistryOptions};
use crate::remote::{self, RemoteOptions};
use crate::{Error, Result, config};
use trust_tuf::pinning::TrustPinning;
use trust_tuf::reference::Reference;
use trust_tuf::trusted::Limits;

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
    /// [`crate::http::transfer::DEFAULT_DEADLINE`] when None.
    pub timeout: Option<Duration>,
    /// `--min-rate`: the lowest average body rate in bytes per second past the grace
    /// period (0 turns it off); [`crate::http::transfer::DEFAULT_MIN_RATE`] when None.
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
    /// The process asks a few questions and exits (the CLI); see
    /// [`RemoteOptions::short_lived`].
    pub short_lived: bool,
    /// `--bundle`: read trust data from this bundle (directory or archive) instead of
    /// a trust server ([`Settings::reader_for`]).
    pub bundle: Option<PathBuf>,
    /// `--frozen`: check a bundle's expiry as of its export instead of now.
    pub frozen: bool,
    /// docker's `--config`: the docker configuration directory (trust dir, credentials,
    /// `tls/` certificates, contexts); `$DOCKER_CONFIG`, else `~/.docker`, when None.
    pub docker_config: Option<PathBuf>,
    /// The Docker Engine to use (`trust pull`, `trust sign --local`): docker's `-H`,
    /// `--context` and `--tls*` options; the environment and docker's defaults fill in.
    pub engine: EngineOptions,
    /// A library caller's settings (the bindings): a missing passphrase's error
    /// names the environment variables to set, not a terminal to run in.
    pub library: bool,
}

impl Settings {
    /// Docker's defaults, plus what the environment adds beyond them: FIPS mode
    /// ([`FipsMode::from_environment`]) and the file remote's server-key passphrase
    /// from `TRUST_SERVER_PASSPHRASE`, else `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE`. (The trust server, trust
    /// directory and key passphrases are read from the environment when used.)
    pub fn from_environment() -> Self {
        Settings {
            file_server_passphrase: crate::keystore::SERVER_PASSPHRASE_VARS
                .iter()
                .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
                .map(zeroize::Zeroizing::new),
            fips: FipsMode::from_environment(None),
            ..Settings::default()
        }
    }

    /// The trust directory in effect: `--trust-dir`, else `<docker config>/trust`.
    pub fn trust_dir(&self) -> PathBuf {
        match (&self.trust_dir, &self.docker_config) {
            (None, Some(dir)) => dir.join("trust"),
            _ => config::trust_dir(self.trust_dir.as_deref()),
        }
    }

    /// The docker configuration directory in effect: [`Self::docker_config`], else
    /// `$DOCKER_CONFIG`, else `~/.docker`.
    pub fn docker_config_dir(&self) -> PathBuf {
        self.docker_config.clone().unwrap_or_else(config::docker_config_dir)
    }

    /// The Docker Engine [`Self::engine`] and the environment name, resolved as docker's
    /// CLI does ([`crate::engine::endpoint`]); each socket read or write under the
    /// `--timeout` deadline.
    pub fn engine(&self) -> Result<Engine> {
        let docker_config = self.docker_config_dir();
        let endpoint = crate::engine::endpoint::resolve(&self.engine, &docker_config)?;
        log::debug!(
            "engine: {}{}, {}",
            endpoint.host,
            endpoint.context.as_ref().map(|c| format!(" (context {c})")).unwrap_or_default(),
            if endpoint.tls.is_some() { "TLS" } else { "no TLS" }
        );
        Ok(Engine::new(endpoint, docker_config, self.limits().deadline))
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
        if self.library {
            passphrases = passphrases.without_terminal_hint();
        }
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
        let mut opts = RegistryOptions::new(self.docker_config_dir());
        opts.insecure_registries = self.insecure_registries.clone();
        opts.ca_file = self.registry_ca.clone();
        opts.limits = self.limits();
        RegistryClient::new(opts)
    }

    /// A client for the repository of `reference`.
    pub fn client_for(&self, reference: &Reference) -> Result<Client> {
        self.client_with(reference, self.remote_for(reference)?)
    }

    /// A client for the repository of `reference` on the store at `server` (a
    /// notary-server URL or `file://…`), whatever `--server` says.
    pub fn client_at(&self, reference: &Reference, server: &str) -> Result<Client> {
        self.client_with(reference, self.remote_at(reference, server)?)
    }

    /// The trust server of `reference`, opened (its credentials are the registry's,
    /// `reference`'s domain). One remote may serve several clients of the same
    /// server and registry ([`Settings::client_with`]), sharing its connections.
    pub fn remote_for(&self, reference: &Reference) -> Result<Box<dyn remote::Remote>> {
        self.remote_at(reference, &self.server_for(reference)?)
    }

    /// The store at `server` opened for `reference` (credentials of its registry).
    pub fn remote_at(&self, reference: &Reference, server: &str) -> Result<Box<dyn remote::Remote>> {
        let mut opts = RemoteOptions::new(self.docker_config_dir());
        opts.ca_file = self.ca_file.clone();
        opts.registry = Some(reference.domain().to_owned());
        opts.limits = self.limits();
        opts.file_server_passphrase = self.file_server_passphrase.clone();
        opts.fips = self.fips.enabled;
        opts.short_lived = self.short_lived;
        self.log_resolved(server);
        remote::open(server, &opts)
    }

    /// The settings in effect for `server`, one debug event per distinct answer (so
    /// once per command for the usual one server).
    fn log_resolved(&self, server: &str) {
        static LOGGED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
        if !log::log_enabled!(log::Level::Debug) {
            return;
        }
        let from_env = std::env::var(config::TRUST_SERVER_ENV).ok().filter(|s| !s.is_empty());
        let source = if self.server.as_deref() == Some(server) {
            "--server"
        } else if self.server.is_none() && from_env.as_deref() == Some(server) {
            "$DOCKER_CONTENT_TRUST_SERVER"
        } else if self.server.is_none() && from_env.is_none() {
            "the registry's"
        } else {
            "given to the command"
        };
        let path = |p: &Option<PathBuf>, none: &str| p.as_ref().map_or(none.to_owned(), |p| p.display().to_string());
        let line = format!(
            "settings: server {} ({source}), trust dir {}, CA file {}, pinning file {}, FIPS mode {}, max-age {} s, offline-ok {}",
            crate::http::redact::url(server),
            self.trust_dir().display(),
            path(&self.ca_file, "none given (docker's certs directory, then the system's roots)"),
            path(&self.pinning_file, "none (the first root seen is trusted)"),
            self.fips,
            self.client.max_timestamp_age.as_secs(),
            self.client.offline_ok,
        );
        let mut logged = LOGGED.lock().unwrap_or_else(|p| p.into_inner());
        if !logged.contains(&line) {
            log::debug!("{line}");
            logged.push(line);
        }
    }

    /// A client for the repository of `reference` on `remote` (from
    /// [`Settings::remote_for`]).
    pub fn client_with(&self, reference: &Reference, remote: Box<dyn remote::Remote>) -> Result<Client> {
        Client::new(&reference.gun(), remote, &self.trust_dir(), self.client_options()?)
    }

    /// The options every client gets: FIPS mode and the pinning file applied.
    pub fn client_options(&self) -> Result<ClientOptions> {
        let mut options = self.client.clone();
        options.fips = self.fips.enabled;
        if let Some(path) = &self.pinning_file {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            options.pinning = TrustPinning::from_json(&bytes)?;
        }
        Ok(options)
    }

    /// A reader of the repository of `reference` from `source`: a store's URL
    /// (`https://…`, `file://…`), else a path to a bundle (a directory or archive
    /// `trust export` wrote), read with expiry as of its export time when `frozen`.
    pub fn reader_at(&self, reference: &Reference, source: &str, frozen: bool) -> Result<Reader> {
        if source.contains("://") {
            return Ok(Reader::online(self.client_at(reference, source)?));
        }
        Bundle::open_repository(std::path::Path::new(source), &reference.gun())?.reader(
            &reference.gun(),
            self.client_options()?,
            frozen,
        )
    }

    /// A reader of the repository of `reference`: from [`Self::bundle`] when set
    /// (no network, nothing written to the trust directory; see
    /// [`Bundle::reader`]), else from its trust server ([`Self::client_for`]).
    pub fn reader_for(&self, reference: &Reference) -> Result<Reader> {
        match &self.bundle {
            Some(path) => {
                if self.server.is_some() {
                    return Err(Error::InvalidInput(
                        "--bundle and --server both name where trust data comes from; pass one".into(),
                    ));
                }
                Bundle::open_repository(path, &reference.gun())?.reader(
                    &reference.gun(),
                    self.client_options()?,
                    self.frozen,
                )
            }
            None => Ok(Reader::online(self.client_for(reference)?)),
        }
    }
}

/// The export workflow opens repositories as every other command does.
impl Sources for Settings {
    fn server_for(&self, reference: &Reference) -> Result<String> {
        Settings::server_for(self, reference)
    }

    fn remote_for(&self, reference: &Reference) -> Result<Box<dyn remote::Remote>> {
        Settings::remote_for(self, reference)
    }

    fn client_with(&self, reference: &Reference, remote: Box<dyn remote::Remote>) -> Result<Client> {
        Settings::client_with(self, reference, remote)
    }

    fn metadata_limits(&self) -> &Limits {
        &self.client.limits
    }
}
