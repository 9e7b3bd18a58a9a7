//! The verification the decisions rest on, behind a small trait: [`TrustVerifier`]
//! answers from trust data through trust-core; tests use a fake.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use trust_core::ErrorKind;
use trust_core::client::{Client, ClientOptions, Repository};
use trust_core::pinning::Pin;
use trust_core::reference::Reference;
use trust_core::remote::Remote;
use trust_core::settings::Settings;

use crate::pinning::trust_pinning;
use crate::policy::ScopeBundle;

/// What to verify: a reference with a tag, a digest or both, and how to reach and
/// trust its repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The image reference (tag and/or `sha256` digest).
    pub reference: Reference,
    /// The trust server; `None`: `DOCKER_CONTENT_TRUST_SERVER`, else docker's default.
    pub server: Option<String>,
    /// What the repository's first root must satisfy.
    pub pin: Pin,
    /// Use expired cached trust data when the server cannot be reached.
    pub allow_expired: bool,
    /// Verify from this bundle (the scope's), not a trust server.
    pub bundle: Option<ScopeBundle>,
}

impl Query {
    /// A key that identifies the query (for caches).
    pub fn key(&self) -> String {
        let bundle = self.bundle.as_ref().map(|b| (&b.path, b.frozen));
        format!("{}|{:?}|{:?}|{}|{bundle:?}", self.reference, self.server, self.pin, self.allow_expired)
    }
}

/// One signed release of the repository (trust-core's).
pub use trust_core::client::Release;

/// What verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The repository (GUN).
    pub gun: String,
    /// The trust server asked.
    pub server: String,
    /// For a tag: its release (the tag's digest as `docker pull` resolves it). For a
    /// digest alone: every release pointing to it. Never empty.
    pub releases: Vec<Release>,
    /// The earliest expiry among the metadata used (root, timestamp, snapshot, targets,
    /// delegations); `None` when unknown.
    pub expires: Option<DateTime<Utc>>,
    /// Verified from cached data the server could not refresh, expired or not.
    pub offline: bool,
    /// Warnings from the update (offline fallback, expired delegations).
    pub warnings: Vec<String>,
    /// Answered from the decision cache (set by [`crate::cache::CachingVerifier`]).
    pub from_cache: bool,
}

/// Why verification failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// trust-core's classification: `NotSigned`, `Verification`, `Network`, …
    pub kind: ErrorKind,
    /// The message, naming what failed.
    pub message: String,
}

impl Failure {
    /// The tag or digest is not signed, or the repository has no trust data.
    pub fn not_signed(message: impl Into<String>) -> Self {
        Failure { kind: ErrorKind::NotSigned, message: message.into() }
    }

    /// Whether retrying later could give another answer without a change to the trust
    /// data (the server or a local file was unavailable).
    pub fn is_transient(&self) -> bool {
        matches!(self.kind, ErrorKind::Network | ErrorKind::Io)
    }
}

impl From<trust_core::Error> for Failure {
    fn from(e: trust_core::Error) -> Self {
        let message = match &e {
            // docker's CLI message says it twice (`… for G: S does not have trust data
            // for G`); a decision's reason says it once.
            trust_core::Error::RepositoryNotFound { gun, server } => {
                format!("remote trust data does not exist for {gun} on {server}")
            }
            _ => e.to_string(),
        };
        Failure { kind: e.kind(), message }
    }
}

impl Failure {
    /// Whether a network failure happened in TLS: the server's certificate was not
    /// accepted, or what answered does not speak TLS.
    pub fn is_tls(&self) -> bool {
        const MARKS: [&str; 4] = ["invalid peer certificate", "certificate", "InvalidContentType", "handshake"];
        self.kind == ErrorKind::Network && MARKS.iter().any(|m| self.message.contains(m))
    }
}

/// Verifies references against trust data. Implementations must be thread-safe.
pub trait Verifier: Send + Sync {
    /// Resolves the query's tag (`targets/releases`, then `targets`) or finds the signed
    /// tags pointing to its digest.
    fn verify(&self, query: &Query) -> Result<Verification, Failure>;
}

/// How [`TrustVerifier`] reaches trust servers, as the `trust` CLI does.
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// Where trust data is cached (one subdirectory per server and pin).
    pub trust_dir: PathBuf,
    /// A CA bundle for trust servers; `None`: `$DOCKER_CONFIG/tls/<host:port>/*.crt`.
    pub ca_file: Option<PathBuf>,
    /// The deadline of each request to a trust server, body included.
    pub timeout: Duration,
    /// The lowest average body rate in bytes per second past the grace period (0: off);
    /// `None`: [`trust_core::http::transfer::DEFAULT_MIN_RATE`].
    pub min_rate: Option<u64>,
    /// The longest one whole verification may take: past it the verification is
    /// answered as a network failure (denied, fail closed) while it finishes in the
    /// background.
    pub deadline: Duration,
    /// The longest a fetched timestamp is reused without asking the server again
    /// (default zero: ask every time; the AuthZ server sets its `--cache-ttl`).
    pub max_timestamp_age: Duration,
    /// The time to verify at (tests); now when `None`.
    pub now: Option<DateTime<Utc>>,
}

/// The default deadline of one whole verification: within dockerd's 30 s
/// authorization plugin call.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(20);

/// The default trust directory of the hook.
pub const DEFAULT_TRUST_DIR: &str = "/var/lib/trust-engine-hook";

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig {
            trust_dir: PathBuf::from(DEFAULT_TRUST_DIR),
            ca_file: None,
            timeout: Duration::from_secs(10),
            min_rate: None,
            deadline: DEFAULT_DEADLINE,
            max_timestamp_age: Duration::ZERO,
            now: None,
        }
    }
}

/// Verification through trust-core. One remote (its HTTP client, TLS roots, connection
/// pool and tokens) is kept per trust server and registry and shared by every
/// repository there, so that a first contact with a repository costs its requests, not
/// a new client, a parse of the system's roots and TLS handshakes; clients (a
/// repository's cache and options) are kept per server, pin and repository. Each
/// verification runs on its own thread under [`VerifierConfig::deadline`];
/// verifications of one repository take turns (one that outlived its deadline keeps
/// its turn until it ends), so trust-core's cache of one repository is not written by
/// two threads at once.
pub struct TrustVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    config: VerifierConfig,
    clients: Mutex<HashMap<String, Arc<Client>>>,
    /// Remotes by server and registry, shared by the clients of their repositories.
    remotes: Mutex<HashMap<String, Arc<dyn Remote>>>,
    /// One lock per repository trust data directory.
    turns: Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>,
}

/// How many clients are kept before the map is emptied.
const MAX_CLIENTS: usize = 1024;

impl std::fmt::Debug for TrustVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustVerifier").field("config", &self.inner.config).finish()
    }
}

impl TrustVerifier {
    /// A verifier with `config`.
    pub fn new(config: VerifierConfig) -> Self {
        TrustVerifier {
            inner: Arc::new(Inner {
                config,
                clients: Mutex::new(HashMap::new()),
                remotes: Mutex::new(HashMap::new()),
                turns: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Where trust data from `server` under `pin` is cached: one directory per server
    /// and pin, so a changed pin or server starts from a fresh root (a root trusted on
    /// first use is not kept once a pin applies).
    pub fn trust_data_dir(&self, server: &str, pin: &Pin) -> PathBuf {
        self.inner.trust_data_dir(server, pin)
    }
}

impl Inner {
    /// The settings a `trust` command with the same flags would use.
    fn settings(&self, server: &str, trust_dir: PathBuf, pin: &Pin, gun: &str) -> Settings {
        Settings {
            server: Some(server.to_owned()),
            trust_dir: Some(trust_dir),
            ca_file: self.config.ca_file.clone(),
            timeout: Some(self.config.timeout),
            min_rate: self.config.min_rate,
            client: ClientOptions {
                pinning: trust_pinning(gun, pin),
                now: self.config.now,
                max_timestamp_age: self.config.max_timestamp_age,
                ..ClientOptions::default()
            },
            ..Settings::default()
        }
    }

    /// Where trust data from `server` under `pin` is cached: one directory per server
    /// and pin, so a changed pin or server starts from a fresh root (a root trusted on
    /// first use is not kept once a pin applies).
    pub fn trust_data_dir(&self, server: &str, pin: &Pin) -> PathBuf {
        let id = trust_core::crypto::backend::digest::digest(
            &trust_core::crypto::backend::digest::SHA256,
            format!("{server}\n{pin:?}").as_bytes(),
        );
        self.config.trust_dir.join(hex::encode(&id.as_ref()[..8]))
    }

    fn client(&self, query: &Query, server: &str, offline: bool) -> Result<Arc<Client>, trust_core::Error> {
        let gun = query.reference.gun();
        let dir = self.trust_data_dir(server, &query.pin);
        let settings = self.settings(server, dir.clone(), &query.pin, &gun);
        if offline {
            // allow-expired-cached-trust-data: cached data only, verified as of just
            // before its earliest expiry.
            return Ok(Arc::new(Client::offline(&gun, server, &dir, settings.client)?));
        }
        let key = format!("{server}|{:?}|{gun}", query.pin);
        let mut clients = self.clients.lock().map_err(|_| poisoned())?;
        if let Some(client) = clients.get(&key) {
            return Ok(Arc::clone(client));
        }
        if clients.len() >= MAX_CLIENTS {
            clients.clear();
        }
        let remote = self.remote(&settings, &query.reference, server)?;
        let client = Arc::new(settings.client_with(&query.reference, Box::new(remote))?);
        clients.insert(key, Arc::clone(&client));
        Ok(client)
    }

    /// The remote for `server`, opened with the credentials of `reference`'s registry
    /// once and shared by every repository of that server and registry (its requests
    /// use one connection pool; its tokens are kept per repository and access).
    fn remote(
        &self,
        settings: &Settings,
        reference: &Reference,
        server: &str,
    ) -> Result<Arc<dyn Remote>, trust_core::Error> {
        let key = format!("{server}|{}", reference.domain());
        let mut remotes = self.remotes.lock().map_err(|_| poisoned())?;
        if let Some(remote) = remotes.get(&key) {
            return Ok(Arc::clone(remote));
        }
        if remotes.len() >= MAX_CLIENTS {
            remotes.clear();
        }
        let remote: Arc<dyn Remote> = Arc::from(settings.remote_at(reference, server)?);
        remotes.insert(key, Arc::clone(&remote));
        Ok(remote)
    }

    fn verify_with(&self, query: &Query, server: &str, offline: bool) -> Result<Verification, trust_core::Error> {
        let client = self.client(query, server, offline)?;
        let repo = client.update()?;
        verification(repo, &query.reference, server, offline)
    }

    /// Verifies from the scope's bundle: no network, an ephemeral cache; the policy's
    /// pin for the repository wins over the bundle manifest's.
    fn verify_bundle(&self, query: &Query, bundle: &ScopeBundle) -> Result<Verification, trust_core::Error> {
        let opened = bundle.opened.as_ref().ok_or_else(|| {
            trust_core::Error::InvalidInput(format!(
                "the bundle {} was not opened with the policy",
                bundle.path.display()
            ))
        })?;
        let gun = query.reference.gun();
        let options = ClientOptions {
            pinning: trust_pinning(&gun, &query.pin),
            now: self.config.now,
            ..ClientOptions::default()
        };
        let reader = opened.reader(&gun, options, bundle.frozen)?;
        let repo = reader.update()?;
        let source = format!("bundle {}", bundle.path.display());
        verification(repo, &query.reference, &source, false).map_err(|e| reader.explain(e))
    }
}

/// What `repo` establishes about `reference`: the tag's release (a digest given with
/// it is judged by the decision), or every release of a bare digest.
fn verification(
    mut repo: Repository<'_>,
    reference: &Reference,
    server: &str,
    offline: bool,
) -> Result<Verification, trust_core::Error> {
    let verified = repo.look_up(reference)?;
    Ok(Verification {
        gun: reference.gun(),
        server: server.to_owned(),
        releases: verified.releases,
        expires: verified.expires,
        offline,
        warnings: verified.warnings,
        from_cache: false,
    })
}

fn poisoned() -> trust_core::Error {
    trust_core::Error::InvalidInput("internal error: a lock was poisoned".into())
}

impl Verifier for TrustVerifier {
    fn verify(&self, query: &Query) -> Result<Verification, Failure> {
        if let Some(bundle) = &query.bundle {
            // Fails closed: any bundle error is a failure, never a fallback to a server.
            return self.inner.verify_bundle(query, bundle).map_err(Failure::from);
        }
        let server = match &query.server {
            Some(s) => s.clone(),
            None => trust_core::config::trust_server(&query.reference, None)?,
        };
        let deadline = self.inner.config.deadline;
        let (tx, rx) = std::sync::mpsc::channel();
        let (inner, job, at) = (Arc::clone(&self.inner), query.clone(), server.clone());
        std::thread::Builder::new()
            .name("verify".into())
            .spawn(move || {
                let _ = tx.send(inner.verify_in_turn(&job, &at));
            })
            .map_err(|e| Failure { kind: ErrorKind::Io, message: format!("cannot start a verification: {e}") })?;
        rx.recv_timeout(deadline).unwrap_or_else(|_| {
            Err(Failure {
                kind: ErrorKind::Network,
                message: format!(
                    "{server}: verifying {} did not finish within the hook's {} s deadline (--deadline); the \
                     trust server or the network is too slow",
                    query.reference,
                    deadline.as_secs_f64()
                ),
            })
        })
    }
}

impl Inner {
    /// [`Inner::verify`] once no other verification of the repository runs.
    fn verify_in_turn(&self, query: &Query, server: &str) -> Result<Verification, Failure> {
        let dir = self.trust_data_dir(server, &query.pin).join(query.reference.gun());
        let turn = {
            let mut turns = self.turns.lock().map_err(|_| Failure::from(poisoned()))?;
            if turns.len() >= MAX_CLIENTS {
                turns.retain(|_, t| Arc::strong_count(t) > 1);
            }
            Arc::clone(turns.entry(dir).or_default())
        };
        let _turn = turn.lock().unwrap_or_else(|p| p.into_inner());
        self.verify(query, server)
    }

    fn verify(&self, query: &Query, server: &str) -> Result<Verification, Failure> {
        let server = server.to_owned();
        match self.verify_with(query, &server, false) {
            Err(e) if e.kind() == ErrorKind::Network && query.allow_expired => {
                self.verify_with(query, &server, true).map_err(|offline| {
                    Failure::from(trust_core::Error::Network {
                        url: server.clone(),
                        reason: format!("{e}; cached trust data did not verify either: {offline}"),
                    })
                })
            }
            other => other.map_err(Failure::from),
        }
    }
}

impl<V: Verifier + ?Sized> Verifier for Box<V> {
    fn verify(&self, query: &Query) -> Result<Verification, Failure> {
        (**self).verify(query)
    }
}

impl<V: Verifier + ?Sized> Verifier for Arc<V> {
    fn verify(&self, query: &Query) -> Result<Verification, Failure> {
        (**self).verify(query)
    }
}
