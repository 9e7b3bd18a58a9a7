//! The update driver: the one place that does I/O for reading trust data.
//!
//! It loads the cached root, asks the [`Remote`] for timestamp, snapshot and targets
//! (by hash, and only when the cache does not already hold the bytes the trusted
//! metadata pins), feeds every file through the [`TrustedSet`], and writes to the
//! [`Cache`] only what was accepted, once the whole operation succeeded. Delegations
//! are fetched lazily, when a lookup reaches them.
//!
//! ```
//! use trust_core::client::{Client, ClientOptions};
//! use trust_core::remote::{self, RemoteOptions};
//!
//! // A repository made by `docker trust signer add` and `notary addhash`, served
//! // from a directory; verified at the time it was captured.
//! let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/docker-signers/remote");
//! let remote = remote::open(&format!("file://{fixture}"), &RemoteOptions::default())?;
//! let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T00:55:37Z").unwrap().to_utc();
//! let options = ClientOptions { now: Some(now), ..ClientOptions::default() };
//! let trust_dir = tempfile::tempdir().unwrap();
//! let client = Client::new("localhost:5000/interop/docker-signers", remote, trust_dir.path(), options)?;
//! let mut repo = client.update()?;
//! let v1 = repo.release("v1")?;
//! assert_eq!(v1.role, "targets/releases");
//! assert_eq!(v1.digest_hex(), "8d7c2d1d57f574f54312eea4e080dd773a4ebacabfa90cfcc94c76836b5cc33e");
//! # Ok::<(), trust_core::Error>(())
//! ```

pub mod cache;
pub mod freshness;
mod offline;
pub mod reader;
mod speculate;
mod verify;

pub use reader::{Provenance, Reader};
pub use verify::{Release, Verified};

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::remote::{Remote, RemoteFile, Store};
use crate::{Error, ErrorKind, Result};
use cache::Cache;
use freshness::Freshness;
use speculate::TimestampSource;
use trust_tuf::pinning::TrustPinning;
use trust_tuf::resolve::{self, FoundTarget, TargetsSource, TrustInfo};
use trust_tuf::trusted::{Context, Limits, TrustedSet};
use trust_tuf::wire::{FileMeta, Targets};

/// How a [`Client`] verifies.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Size and count limits.
    pub limits: Limits,
    /// How a repository's first root is trusted.
    pub pinning: TrustPinning,
    /// The time to verify at; now when None.
    pub now: Option<DateTime<Utc>>,
    /// Answer from cached trust data when the server cannot be reached: an unexpired
    /// cached timestamp fetched from this same server, with a warning (notary's
    /// behaviour). Off by default: a server that cannot be reached is an error, so a
    /// pipeline gate fails closed.
    pub offline_ok: bool,
    /// The longest a fetched timestamp is reused without asking the server again,
    /// within the lifetime the server declares (`Cache-Control: max-age`). Default:
    /// zero, ask the server every time, so a revocation is seen on the next command;
    /// a longer reuse delays seeing a re-signed or revoked tag by up to this long.
    pub max_timestamp_age: Duration,
    /// FIPS mode: signatures by keys of algorithms FIPS does not approve (Ed25519,
    /// RSA under 2048 bits) do not count ([`trust_tuf::crypto::algorithm`]).
    pub fips: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            limits: Limits::default(),
            pinning: TrustPinning::default(),
            now: None,
            offline_ok: false,
            max_timestamp_age: Duration::ZERO,
            fips: false,
        }
    }
}

/// A client for one repository (GUN) on one remote.
pub struct Client {
    gun: String,
    /// Shared with the thread that asks for the timestamp ahead ([`speculate`]), which
    /// may outlive the update by the time its connection takes to close.
    remote: Arc<dyn Remote>,
    trust_dir: std::path::PathBuf,
    cache: Cache,
    freshness: Freshness,
    options: ClientOptions,
    /// A publish: a file remote whose directory does not exist yet is a store still to
    /// be made, not a configuration error ([`Client::allow_new_store`]).
    new_store_ok: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("gun", &self.gun).field("remote", &self.remote.url()).finish()
    }
}

/// How an update treats the cached timestamp.
#[derive(Debug, Clone, Copy)]
struct Freshen {
    /// A cached timestamp inside its recorded lifetime may answer without asking.
    reuse: bool,
    /// A cached timestamp from the same server answers when the server cannot be reached.
    offline: bool,
    /// Only to stage a change: a cached timestamp from any server may stand in (the
    /// publish itself starts again from the server's verified state).
    staging: bool,
}

impl Client {
    /// A client for `gun`, caching under `<trust_dir>/tuf/<gun>/metadata`.
    pub fn new(gun: &str, remote: Box<dyn Remote>, trust_dir: &Path, options: ClientOptions) -> Result<Self> {
        let cache = Cache::open(trust_dir, gun)?;
        let freshness = Freshness::at(cache.dir().with_file_name("timestamp-freshness.json"));
        Ok(Client {
            gun: gun.to_owned(),
            remote: Arc::from(remote),
            trust_dir: trust_dir.to_owned(),
            cache,
            freshness,
            options,
            new_store_ok: false,
        })
    }

    /// The repository.
    pub fn gun(&self) -> &str {
        &self.gun
    }

    /// The remote's URL.
    pub fn server(&self) -> &str {
        self.remote.url()
    }

    /// The remote.
    pub fn remote(&self) -> &dyn Remote {
        self.remote.as_ref()
    }

    /// The trust directory (keys, cache, staged changes).
    pub fn trust_dir(&self) -> &Path {
        &self.trust_dir
    }

    /// The time verification uses.
    pub fn now(&self) -> DateTime<Utc> {
        self.options.now.unwrap_or_else(Utc::now)
    }

    /// Sets the time verification uses (`None`: the clock) and returns the previous
    /// setting. Only a refresh of an expired timestamp verifies as of its expiry
    /// ([`crate::publish::refresh_timestamp`]).
    pub fn set_time(&mut self, now: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        std::mem::replace(&mut self.options.now, now)
    }

    /// Whether a server behind the remote re-signs timestamps before they expire (a
    /// notary-server), or there is nothing to re-sign (a bundle, read-only data).
    /// False for stores whose timestamps only a publish or `trust timestamp refresh`
    /// renews (the file remote, the registry store).
    pub fn store_resigns_timestamps(&self) -> bool {
        matches!(self.remote.store(), Store::Notary(_) | Store::ReadOnly { .. })
    }

    /// `e` with what to do when it says the repository's timestamp expired on a store
    /// no server re-signs timestamps on ([`Client::store_resigns_timestamps`]).
    pub fn explain_expiry(&self, e: Error) -> Error {
        let timestamp_expired = matches!(&e, Error::Expired { role, .. } if role == "timestamp");
        if !timestamp_expired || self.store_resigns_timestamps() {
            return e;
        }
        e.noted(format!(
            "no server re-signs timestamps on {}: a publisher of {} must re-sign it with `trust timestamp refresh {}` \
             (from a scheduled job, well before each expiry)",
            self.remote.url(),
            self.gun,
            self.gun
        ))
    }

    pub(crate) fn context(&self) -> Context {
        let mut ctx = Context::new(self.gun.clone(), self.now());
        ctx.limits = self.options.limits;
        ctx.provider = trust_tuf::crypto::provider(self.options.fips);
        ctx
    }

    /// For a client that publishes (the first publish makes the store): a file remote
    /// whose directory does not exist reads as a store without this repository.
    /// Without it, reads answer that the directory does not exist
    /// ([`Error::InvalidInput`]) instead of that the repository has no trust data.
    pub fn allow_new_store(&mut self) {
        self.new_store_ok = true;
    }

    fn not_found(&self) -> Error {
        if let (false, Store::File(dir)) = (self.new_store_ok, self.remote.store())
            && let Some(e) = dir.missing_directory()
        {
            return e;
        }
        let e = Error::RepositoryNotFound { gun: self.gun.clone(), server: self.remote.url().to_owned() };
        crate::retired::explain(self.remote.url(), e)
    }

    /// Fetches `file`, treating "not found" as an error for `role`.
    fn fetch_required(&self, file: RemoteFile<'_>, max_len: u64) -> Result<Vec<u8>> {
        let role = file.role().to_owned();
        self.remote.fetch(&self.gun, &file, max_len)?.ok_or_else(|| {
            Error::verification(
                role,
                format!("{} does not serve the file the trusted metadata lists", self.remote.url()),
            )
        })
    }

    /// Hands the cached copy of `role` to the trusted set before the remote copy
    /// (python-tuf's order), which verifies it and takes its version as the rollback
    /// floor ([`TrustedSet::load_cached`]). A copy that does not verify is ignored, with
    /// a warning naming it, and is no floor: a damaged cache file cannot lock a
    /// repository out. A file signed only by keys no longer listed for its role
    /// (rotated keys, or a delegation's removed keys) is no floor either, without a
    /// warning (the reader warns about a delegation).
    fn load_cached(&self, set: &mut TrustedSet, role: &str, raw: &[u8], warnings: &mut Vec<String>) {
        match set.load_cached(role, raw) {
            Ok(_) => {}
            Err(e) if e.is_below_threshold() => {}
            Err(e) => warnings.push(format!(
                "ignoring the cached {} ({e}); it is not used, not even as a rollback floor, and is replaced once the update verifies",
                self.cache.dir().join(format!("{role}.json")).display()
            )),
        }
    }

    /// Loads the file `meta` pins for `role` into `set` through `accept`: the cached
    /// copy when it is that file and verifies (no download), else the remote's,
    /// fetched by hash with the verified cached version as the rollback floor (unless
    /// `speculative`: then nothing is fetched, and a file the cache cannot serve ends
    /// the speculation). Returns true when the cache served it.
    fn load_pinned(
        &self,
        set: &mut TrustedSet,
        role: &str,
        meta: &FileMeta,
        accept: impl Fn(&mut TrustedSet, Vec<u8>) -> trust_tuf::Result<()>,
        warnings: &mut Vec<String>,
        speculative: bool,
    ) -> Result<bool> {
        let cached = self.cache.load(role)?;
        let had_cached = cached.is_some();
        if let Some(raw) = cached {
            if meta.pins(&raw) {
                // The pinned file itself: what the server would send (`accept` checks
                // every hash the snapshot lists).
                match accept(set, raw) {
                    Ok(()) => {
                        log::debug!("{}: {role} taken from the cache: its hash is the one pinned", self.gun);
                        return Ok(true);
                    }
                    Err(e) if e.is_below_threshold() => return Err(e.into()),
                    Err(_) => {}
                }
            } else {
                self.load_cached(set, role, &raw, warnings);
            }
        }
        if speculative {
            return Err(speculate::needs_the_server());
        }
        let limit = self.options.limits.max_metadata_bytes;
        if meta.length > limit {
            return Err(Error::verification(
                role,
                format!("declared length {} exceeds the {limit}-byte size limit", meta.length),
            ));
        }
        let sha256_hex = meta.sha256_hex().ok_or_else(|| Error::verification(role, "no sha256 hash to fetch by"))?;
        log::debug!(
            "{}: {role} fetched by hash {sha256_hex}: {}",
            self.gun,
            if had_cached { "the cached copy is not the one pinned" } else { "none cached" }
        );
        let raw = self.fetch_required(RemoteFile::ByHash { role, sha256_hex: &sha256_hex }, meta.length)?;
        accept(set, raw)?;
        Ok(false)
    }

    /// Brings the repository's trust data up to date and returns a verified view.
    /// Nothing is written to the cache unless every top-level file verified.
    ///
    /// The server is asked for its timestamp unless the caller opted into reuse
    /// ([`ClientOptions::max_timestamp_age`]); when it cannot be reached, cached
    /// trust data answers only with [`ClientOptions::offline_ok`].
    pub fn update(&self) -> Result<Repository<'_>> {
        self.update_with(Freshen { reuse: true, offline: self.options.offline_ok, staging: false })
    }

    /// For a command that stages a change before it publishes: always asks the
    /// server for its timestamp (the roles to sign are chosen from the newest state,
    /// as docker chooses them: a reused timestamp can predate a signer another client
    /// just added), and when the server cannot be reached, cached trust data from this
    /// server answers, so that the change is staged and published by a later command.
    /// (The publish itself starts from [`Client::update_from_server`].)
    pub fn update_for_staging(&self) -> Result<Repository<'_>> {
        self.update_with(Freshen { reuse: false, offline: true, staging: true })
    }

    /// Like [`Client::update`], always asking the server for its current timestamp
    /// and never falling back to cached trust data (before a publish, which must
    /// start from the newest state).
    pub fn update_from_server(&self) -> Result<Repository<'_>> {
        self.update_with(Freshen { reuse: false, offline: false, staging: false })
    }

    /// Runs [`Client::update_from`], asking the server for its timestamp while the
    /// cached trust data is verified ([`Client::update_overlapped`]) where it can.
    fn update_with(&self, freshen: Freshen) -> Result<Repository<'_>> {
        let updated = match self.update_overlapped(freshen) {
            Ok(Some(repository)) => Ok(repository),
            Ok(None) => self.update_from(freshen, &mut TimestampSource::Server),
            Err(e) => Err(e),
        };
        updated.map_err(|e| self.explain_other_origin(e))
    }

    /// A verification failure over trust data cached from another server (the same
    /// repository moved with `trust copy`, whose new root the old server does not
    /// have): says where the cached data came from and how to start again from this
    /// server's, since the failure alone reads like an attack.
    fn explain_other_origin(&self, e: Error) -> Error {
        if e.kind() != ErrorKind::Verification {
            return e;
        }
        match self.freshness.origin() {
            Some(origin) if origin != self.remote.url() => e.noted(format!(
                "the trust data cached for {gun} in {dir} came from {origin}, not {url}, and its root may be newer \
                 than this server's (after `trust copy` or a root rotation there); if {url} is the server you mean, \
                 `trust delete {gun}` forgets the cached data (the next command then trusts the first root it sees \
                 again), or use another --trust-dir",
                gun = self.gun,
                dir = self.cache.dir().display(),
                url = self.remote.url(),
            )),
            _ => e,
        }
    }

    /// The update itself, taking the timestamp from `source`.
    fn update_from(&self, freshen: Freshen, source: &mut TimestampSource) -> Result<Repository<'_>> {
        let mut writes: Vec<String> = Vec::new();
        let mut warnings = Vec::new();
        let ctx = self.context();
        let mut set = match self.cache.load("root")? {
            Some(raw) => TrustedSet::from_trusted_root(raw, ctx).map_err(|e| {
                Error::verification(
                    "root",
                    format!(
                        "the cached root in {} is not valid ({e}); remove it to trust the server's root again",
                        self.cache.dir().display()
                    ),
                )
            })?,
            None => {
                let raw = self
                    .remote
                    .fetch(&self.gun, &RemoteFile::Current("root"), self.options.limits.max_root_bytes)?
                    .ok_or_else(|| self.not_found())?;
                // The pinned CA bundle is read here: the trusted set does no I/O.
                let pin = (self.options.pinning.pin_for(&self.gun))
                    .with_ca(|path| std::fs::read(path).map_err(|e| Error::io(path, e)))?;
                let set = TrustedSet::from_bootstrap_root(raw, ctx, &pin)?;
                writes.push("root".into());
                set
            }
        };
        let fresh_for;
        let first = self.update_top(&mut set, &mut writes, &mut warnings, freshen, source);
        let needs_root = match &first {
            Ok(_) => !set.root_matches_snapshot(),
            Err(e) => e.kind() == ErrorKind::Verification,
        };
        if needs_root {
            if source.is_speculative() {
                return Err(speculate::needs_the_server());
            }
            let rotated = self.rotate_root(&mut set, &mut writes)?;
            match (rotated, first) {
                (0, Err(e)) => return Err(e),
                (0, Ok(_)) => {
                    return Err(Error::verification(
                        "root",
                        "the snapshot lists a root that is not the trusted one, and the server has no newer root version",
                    ));
                }
                _ => {
                    writes.retain(|role| role == "root");
                    fresh_for = self.update_top(&mut set, &mut writes, &mut warnings, freshen, source)?;
                    if !set.root_matches_snapshot() {
                        return Err(Error::verification(
                            "root",
                            "the snapshot lists a root other than the newest trusted root",
                        ));
                    }
                }
            }
        } else {
            fresh_for = first?;
        }
        set.check_root_current()?;
        Ok(Repository {
            client: self,
            set,
            skipped: HashSet::new(),
            warnings,
            pending: writes,
            fresh_for,
            hold_writes: false,
        })
    }

    /// A cached timestamp fetched from this server and still inside its recorded
    /// lifetime, when the caller opted into reuse.
    fn fresh_cached_timestamp(&self, cached: Option<&Vec<u8>>) -> Option<Vec<u8>> {
        let raw = cached?;
        let now = self.now();
        (!self.options.max_timestamp_age.is_zero() && self.freshness.is_fresh(self.remote.url(), raw, now))
            .then(|| raw.clone())
    }

    /// True when the cached trust data was last fetched from this client's server.
    fn cache_is_from_this_server(&self) -> bool {
        self.freshness.origin().as_deref() == Some(self.remote.url())
    }

    /// The cached timestamp to answer with when the server cannot be reached (`e`):
    /// only with `freshen.offline`, and only one fetched from this same server.
    fn offline_timestamp(
        &self,
        e: Error,
        cached: Option<Vec<u8>>,
        freshen: Freshen,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<u8>> {
        let Some(raw) = cached else { return Err(e) };
        let from_here = self.cache_is_from_this_server();
        if !freshen.offline {
            if !from_here {
                return Err(e);
            }
            return Err(e.noted(
                "cached trust data from this server exists; to answer from it while the server cannot be reached, opt in with --offline-ok (TRUST_OFFLINE_OK=1)",
            ));
        }
        if !from_here {
            let origin = self.freshness.origin().unwrap_or_else(|| "an unrecorded server".into());
            if !freshen.staging {
                return Err(e.noted(format!(
                    "the cached trust data came from {origin}, not {}; it only guards against rollbacks and cannot answer",
                    self.remote.url()
                )));
            }
            log::debug!(
                "{}: {} unreachable; staging from the cached trust data of {origin}",
                self.gun,
                self.remote.url()
            );
            warnings.push(format!(
                "could not reach the trust server ({e}); staging from cached trust data that came from {origin}"
            ));
            return Ok(raw);
        }
        log::debug!(
            "{}: {} unreachable; answering from the cached trust data (--offline-ok)",
            self.gun,
            self.remote.url()
        );
        warnings.push(format!("could not reach the trust server ({e}); using cached trust data"));
        Ok(raw)
    }

    /// Timestamp → snapshot → targets against the current trusted root. Returns, when
    /// the timestamp was fetched from the server, how long it may be reused.
    fn update_top(
        &self,
        set: &mut TrustedSet,
        writes: &mut Vec<String>,
        warnings: &mut Vec<String>,
        freshen: Freshen,
        source: &mut TimestampSource,
    ) -> Result<Option<Duration>> {
        let cached_ts = self.cache.load("timestamp")?;
        let mut fetched_for = None;
        let reusable = if freshen.reuse { self.fresh_cached_timestamp(cached_ts.as_ref()) } else { None };
        let speculative = source.is_speculative();
        if log::log_enabled!(log::Level::Debug) {
            let max_age = self.options.max_timestamp_age.as_secs();
            let why = match (&reusable, &cached_ts, &*source) {
                (Some(_), _, _) => {
                    format!("reused from the cache: fetched from this server within --max-age {max_age} s")
                }
                (None, _, TimestampSource::Prefetched(_)) => "as the server answered (asked ahead)".to_owned(),
                (None, None, _) => "none cached: asking the server".to_owned(),
                (None, Some(_), TimestampSource::Speculative) => {
                    "asking the server while the cached copies are verified".to_owned()
                }
                (None, Some(_), _) if !freshen.reuse => "asking the server: this operation needs the newest".to_owned(),
                (None, Some(_), _) if max_age == 0 => "asking the server (--max-age 0)".to_owned(),
                (None, Some(_), _) => format!(
                    "asking the server: the cached one is older than --max-age {max_age} s, or from another server"
                ),
            };
            log::debug!("{}: timestamp: {why}", self.gun);
        }
        let fetched = match (reusable, source.take()) {
            (Some(raw), _) => Ok(Some((raw, None, false))),
            (None, TimestampSource::Speculative) => {
                Ok(Some((cached_ts.clone().ok_or_else(speculate::needs_the_server)?, None, false)))
            }
            (None, TimestampSource::Prefetched(answer)) => answer.map(|f| f.map(|(raw, max_age)| (raw, max_age, true))),
            (None, TimestampSource::Server) => {
                self.fetch_timestamp().map(|f| f.map(|(raw, max_age)| (raw, max_age, true)))
            }
        };
        let ts = match fetched {
            Ok(Some((raw, max_age, from_server))) => {
                if from_server {
                    fetched_for = Some(self.reuse_lifetime(max_age));
                }
                if cached_ts.as_ref() != Some(&raw) {
                    writes.push("timestamp".into());
                }
                raw
            }
            Ok(None) => return Err(self.not_found()),
            Err(e) if e.kind() == ErrorKind::Network => {
                self.offline_timestamp(e, cached_ts.clone(), freshen, warnings)?
            }
            Err(e) => return Err(e),
        };
        // The cached copy's version is the floor; when the server sent those same
        // bytes, verifying them below already covers it (a file is no rollback of itself).
        if let Some(raw) = cached_ts.as_ref().filter(|raw| **raw != ts) {
            self.load_cached(set, "timestamp", raw, warnings);
        }
        set.update_timestamp(ts)?;
        let pin = set.snapshot_pin()?.clone();
        if !self.load_pinned(set, "snapshot", &pin, TrustedSet::update_snapshot, warnings, speculative)? {
            writes.push("snapshot".into());
        }
        let meta =
            set.meta_for("targets").cloned().ok_or_else(|| Error::verification("snapshot", "no meta for targets"))?;
        if !self.load_pinned(set, "targets", &meta, TrustedSet::update_targets, warnings, speculative)? {
            writes.push("targets".into());
        }
        Ok(fetched_for)
    }

    /// Walks root versions N+1, N+2, … until the server has no newer one. Returns how
    /// many were accepted.
    fn rotate_root(&self, set: &mut TrustedSet, writes: &mut Vec<String>) -> Result<u64> {
        let limits = self.options.limits;
        let mut accepted = 0;
        loop {
            let version = set.root().signed.version + 1;
            let file = RemoteFile::ByVersion { role: "root", version };
            let Some(raw) = self.remote.fetch(&self.gun, &file, limits.max_root_bytes)? else {
                break;
            };
            if accepted >= limits.max_root_rotations {
                return Err(Error::verification(
                    "root",
                    format!("more than {} root versions to walk", limits.max_root_rotations),
                ));
            }
            set.update_root(raw)?;
            if !writes.iter().any(|role| role == "root") {
                writes.push("root".into());
            }
            accepted += 1;
        }
        Ok(accepted)
    }
}

/// A verified view of one repository. Delegations are fetched and verified on
/// first use.
///
/// Newly verified files are written to the cache when a lookup ([`release`],
/// [`trust_info`]) succeeds, or on [`commit`]: an operation that fails leaves the
/// cache exactly as it was.
///
/// [`release`]: Repository::release
/// [`trust_info`]: Repository::trust_info
/// [`commit`]: Repository::commit
#[derive(Debug)]
pub struct Repository<'c> {
    client: &'c Client,
    set: TrustedSet,
    skipped: HashSet<String>,
    warnings: Vec<String>,
    pending: Vec<String>,
    /// Set when the timestamp was fetched from the server: how long it may be
    /// reused, recorded with the server's URL on commit.
    fresh_for: Option<Duration>,
    /// Lookups do not commit (a command that will publish first).
    hold_writes: bool,
}

impl Repository<'_> {
    /// The repository (GUN).
    pub fn gun(&self) -> &str {
        &self.client.gun
    }

    /// The trust server the repository came from.
    pub fn server(&self) -> &str {
        self.client.remote.url()
    }

    /// Whether a server re-signs the repository's timestamp before it expires
    /// ([`Client::store_resigns_timestamps`]).
    pub fn store_resigns_timestamps(&self) -> bool {
        self.client.store_resigns_timestamps()
    }

    /// The trusted metadata.
    pub fn trusted(&self) -> &TrustedSet {
        &self.set
    }

    /// Warnings gathered while updating (offline fallback, expired delegations).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The release of `tag` as `docker pull` resolves it (`targets/releases`, then
    /// `targets`); [`Error::TagNotSigned`] when neither holds it.
    pub fn release(&mut self, tag: &str) -> Result<FoundTarget> {
        let found = resolve::release(self, tag)?;
        self.commit_unless_held()?;
        found.ok_or_else(|| Error::TagNotSigned { gun: self.client.gun.clone(), tag: tag.to_owned() })
    }

    /// Keeps lookups from writing the cache: for a command that goes on to publish,
    /// whose cache is refreshed only once the server accepted the upload.
    pub fn hold_cache_writes(&mut self) {
        self.hold_writes = true;
    }

    fn commit_unless_held(&mut self) -> Result<()> {
        if self.hold_writes { Ok(()) } else { self.commit() }
    }

    /// Writes every file verified so far to the cache (each atomically, in the order
    /// verified, with one directory fsync for them all: [`Cache::store_each`]).
    pub fn commit(&mut self) -> Result<()> {
        let mut pending = std::mem::take(&mut self.pending);
        let mut seen = HashSet::new();
        pending.retain(|role| seen.insert(role.clone()));
        let files: Vec<(&str, &[u8])> =
            pending.iter().filter_map(|role| self.set.raw(role).map(|raw| (role.as_str(), raw))).collect();
        if !files.is_empty() {
            self.client.cache.store_each(&files)?;
        }
        if let (Some(lifetime), Some(ts)) = (self.fresh_for.take(), self.set.raw("timestamp")) {
            let freshness = &self.client.freshness;
            let server = self.client.remote.url();
            // With no reuse, the record only says where the data came from: rewrite it
            // only when that changes.
            if !lifetime.is_zero() || !freshness.is_recorded(server, ts) {
                freshness.record(server, ts, self.client.now(), lifetime)?;
            }
        }
        Ok(())
    }

    /// What `docker trust inspect` shows for `tag` (every tag when None).
    pub fn trust_info(&mut self, tag: Option<&str>) -> Result<TrustInfo> {
        let root = self.set.root().signed.clone();
        let info = resolve::trust_info(self, &root, tag)?;
        self.commit_unless_held()?;
        Ok(info)
    }

    /// The released (tag, digest) pairs and signers of each of `tags`, as
    /// [`Repository::trust_info`] reports them for that tag alone, each role's
    /// targets decoded once for all of them.
    pub fn released_each(&mut self, tags: &[&str]) -> Result<Vec<Vec<resolve::ReleasedTag>>> {
        let released = resolve::released_each(self, tags)?;
        self.commit_unless_held()?;
        Ok(released)
    }

    fn load_delegation(&mut self, role: &str) -> Result<()> {
        let Some(meta) = self.set.meta_for(role).cloned() else {
            // Declared but never published: a role with no targets.
            log::debug!("{}: delegation {role} is declared but not in the snapshot: no targets", self.client.gun);
            self.skipped.insert(role.to_owned());
            return Ok(());
        };
        log::debug!("{}: walking delegation {role}", self.client.gun);
        let accept = |set: &mut TrustedSet, raw: Vec<u8>| set.update_delegation(role, raw);
        match self.client.load_pinned(&mut self.set, role, &meta, accept, &mut self.warnings, false) {
            Ok(from_cache) => {
                if !from_cache {
                    self.pending.push(role.to_owned());
                }
                Ok(())
            }
            Err(Error::Expired { role, expires }) => {
                self.warnings.push(format!("{role} expired at {expires}; its signatures are ignored"));
                self.skipped.insert(role);
                Ok(())
            }
            Err(e) if e.is_below_threshold() => {
                // notary and docker skip such a role: its owner removed the keys that
                // signed it, so it holds no trusted targets until a listed key signs it.
                self.warnings.push(format!("{e}; it is treated as holding no targets until a current signer signs it"));
                self.skipped.insert(role.to_owned());
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

impl TargetsSource for Repository<'_> {
    type Error = Error;

    fn targets(&mut self, role: &str) -> Result<Option<&Targets>> {
        if role != "targets" && self.set.delegation(role).is_none() && !self.skipped.contains(role) {
            self.load_delegation(role)?;
        }
        Ok(self.set.targets_of(role))
    }

    fn limits(&self) -> Limits {
        self.client.options.limits
    }
}
