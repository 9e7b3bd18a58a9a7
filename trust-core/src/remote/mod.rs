//! Where metadata comes from: a notary-server over HTTPS, or a directory laid out like
//! one. Remotes hand out raw, unverified bytes; they only enforce size limits and
//! timeouts. Verification is the trusted state machine's job.
//!
//! This module only reads. Uploads go through [`crate::publish::upload`], which finds
//! the store behind a remote with [`Remote::store`]; what HTTP requests share (TLS,
//! token auth, credentials, limits) is in [`crate::http`].

mod file;
pub(crate) mod notary;
pub mod registry_store;

use std::path::PathBuf;
use std::time::Duration;

use crate::Error;
use trust_tuf::wire::is_valid_role_name;

pub use file::{FileRemote, file_path};
pub use notary::NotaryRemote;
pub use registry_store::RegistryRemote;

/// A metadata file on a remote, named the way notary-server names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteFile<'a> {
    /// The current version: `<role>.json`.
    Current(&'a str),
    /// A version by the hex SHA-256 of its bytes: `<role>.<sha256hex>.json`.
    ByHash {
        /// The role, e.g. `snapshot` or `targets/releases`.
        role: &'a str,
        /// 64 lowercase hex digits.
        sha256_hex: &'a str,
    },
    /// A version by number: `<N>.<role>.json`.
    ByVersion {
        /// The role, e.g. `root`.
        role: &'a str,
        /// The version number.
        version: u64,
    },
}

impl RemoteFile<'_> {
    /// The role this file belongs to.
    pub fn role(&self) -> &str {
        match self {
            RemoteFile::Current(role) | RemoteFile::ByHash { role, .. } | RemoteFile::ByVersion { role, .. } => role,
        }
    }

    /// The file name under `/_trust/tuf/`: `root.json`, `targets/releases.<hash>.json`,
    /// `2.root.json`. Delegation roles keep their `/`. Checks the role name and hash.
    pub fn name(&self) -> Result<String, Error> {
        let role = self.role();
        if !is_valid_role_name(role) {
            return Err(Error::InvalidInput(format!("invalid role name {role:?}")));
        }
        Ok(match self {
            RemoteFile::Current(_) => format!("{role}.json"),
            RemoteFile::ByHash { sha256_hex, .. } => {
                if !is_sha256_hex(sha256_hex) {
                    return Err(Error::InvalidInput(format!(
                        "invalid sha256 for {role}: {sha256_hex:?} is not 64 lowercase hex digits"
                    )));
                }
                format!("{role}.{sha256_hex}.json")
            }
            RemoteFile::ByVersion { version, .. } => format!("{version}.{role}.json"),
        })
    }
}

/// Whether `s` is a SHA-256 in the form metadata and digests write it: 64 lowercase hex digits.
pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Downloaded bytes and how long the server says they stay fresh.
pub type Fetched = (Vec<u8>, Option<Duration>);

/// Where metadata comes from. Implementations enforce `max_len` on every download (read at
/// most `max_len + 1` bytes, never trust `Content-Length`, never allocate by a declared
/// size) and the [`crate::http::transfer::TransferLimits`] of their options.
pub trait Remote: Send + Sync {
    /// The bytes of `file` of repository `gun`, or `Ok(None)` when the server says the
    /// file does not exist (HTTP 404 / missing file). More than `max_len` bytes is an
    /// [`Error::Verification`] of the file's role.
    fn fetch(&self, gun: &str, file: &RemoteFile<'_>, max_len: u64) -> Result<Option<Vec<u8>>, Error>;

    /// Like [`Remote::fetch`], also returning how long the server says the response
    /// stays fresh (`Cache-Control: max-age`), when it says so.
    fn fetch_with_max_age(&self, gun: &str, file: &RemoteFile<'_>, max_len: u64) -> Result<Option<Fetched>, Error> {
        Ok(self.fetch(gun, file, max_len)?.map(|bytes| (bytes, None)))
    }

    /// The store behind this remote, for the publishing side to upload to. A remote
    /// that takes no updates (the default) may say why.
    fn store(&self) -> Store<'_> {
        Store::ReadOnly { reason: None }
    }

    /// The URL for messages, e.g. `https://localhost:4443`.
    fn url(&self) -> &str;
}

/// A shared remote serves several clients (their requests share its connections).
impl<R: Remote + ?Sized> Remote for std::sync::Arc<R> {
    fn fetch(&self, gun: &str, file: &RemoteFile<'_>, max_len: u64) -> Result<Option<Vec<u8>>, Error> {
        (**self).fetch(gun, file, max_len)
    }

    fn fetch_with_max_age(&self, gun: &str, file: &RemoteFile<'_>, max_len: u64) -> Result<Option<Fetched>, Error> {
        (**self).fetch_with_max_age(gun, file, max_len)
    }

    fn store(&self) -> Store<'_> {
        (**self).store()
    }

    fn url(&self) -> &str {
        (**self).url()
    }
}

/// The store a remote reads from, as the publishing side ([`crate::publish::upload`])
/// uploads to it.
#[derive(Debug)]
pub enum Store<'a> {
    /// A notary-server: uploads go to its API over the remote's connection.
    Notary(&'a NotaryRemote),
    /// A directory: uploads are written into it, and it signs snapshot and timestamp.
    File(&'a FileRemote),
    /// An OCI registry (docs/registry-store.md): the publisher signs snapshot and
    /// timestamp, uploads are blobs and one manifest under the repository's tag.
    Registry(&'a RegistryRemote),
    /// Takes no updates.
    ReadOnly {
        /// Why, when the remote says (a bundle is frozen trust data).
        reason: Option<String>,
    },
}

/// How to reach a remote.
#[derive(Debug, Clone)]
pub struct RemoteOptions {
    /// Extra CA certificates (`--tlscacert`). When unset, every `*.crt` in
    /// `<docker_config>/tls/<host:port>/` is used instead (docker's rule). The system's
    /// roots are always trusted.
    pub ca_file: Option<PathBuf>,
    /// The docker configuration directory: `tls/<host:port>/` certificates and
    /// `config.json` credentials.
    pub docker_config: PathBuf,
    /// The registry whose credentials answer the server's auth challenges (the GUN's
    /// domain, e.g. `docker.io` or `localhost:5000`); `None` for anonymous access.
    pub registry: Option<String>,
    /// The deadline and rate floor of every request (the connect timeout is the
    /// smaller of the deadline and 10 s).
    pub limits: crate::http::transfer::TransferLimits,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// The passphrase of a file remote's own snapshot and timestamp keys (the CLI
    /// takes it from `TRUST_SERVER_PASSPHRASE`, else
    /// `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE`).
    pub file_server_passphrase: Option<zeroize::Zeroizing<String>>,
    /// FIPS mode: a file remote makes ECDSA server keys (see [`FileRemote::with_fips`]).
    pub fips: bool,
    /// The process asks a few questions and exits (the CLI): a notary-server remote then
    /// sends its first timestamp request on a connection of its own, without building
    /// the pooled HTTP client, whose runtime and pool cost more than that request to a
    /// nearby server. Long-lived users (the engine hook, the bindings) leave it off and
    /// keep their connections alive. Every check and limit is the same either way.
    pub short_lived: bool,
}

impl RemoteOptions {
    /// Defaults for `docker_config`: no CA file, anonymous, the default
    /// [`crate::http::transfer::TransferLimits`], `trust/<version>`.
    pub fn new(docker_config: PathBuf) -> Self {
        RemoteOptions {
            ca_file: None,
            docker_config,
            registry: None,
            limits: crate::http::transfer::TransferLimits::default(),
            user_agent: format!("trust/{}", env!("CARGO_PKG_VERSION")),
            file_server_passphrase: None,
            fips: false,
            short_lived: false,
        }
    }
}

impl Default for RemoteOptions {
    /// [`RemoteOptions::new`] with [`crate::config::docker_config_dir`].
    fn default() -> Self {
        RemoteOptions::new(crate::config::docker_config_dir())
    }
}

/// Opens the remote at `url`: `https://` → notary-server, `file:///abs/dir` → directory,
/// `oci://` or `oci://HOST[:PORT]/PATH` → the registry store.
/// Plain `http://` is accepted only for loopback hosts (`localhost`, `127.0.0.0/8`,
/// `[::1]`), as docker treats local registries as insecure; it exists for tests and local
/// peers. Anything else is [`Error::InvalidInput`].
pub fn open(url: &str, opts: &RemoteOptions) -> Result<Box<dyn Remote>, Error> {
    if url.starts_with("oci://") {
        return Ok(Box::new(RegistryRemote::new(url, opts)?));
    }
    let parsed =
        reqwest::Url::parse(url).map_err(|e| Error::InvalidInput(format!("invalid trust server URL {url}: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(Box::new(NotaryRemote::new(url, opts)?)),
        "http" if crate::http::is_loopback(&parsed) => Ok(Box::new(NotaryRemote::new(url, opts)?)),
        "file" => Ok(Box::new(
            FileRemote::new(url)?.with_server_passphrase(opts.file_server_passphrase.clone()).with_fips(opts.fips),
        )),
        _ => Err(Error::InvalidInput(format!(
            "unsupported trust server URL {url}: use https:// (http:// only for loopback), file:// or oci://"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "4a30ca24e5e9b6f1c9d7c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3db";

    #[test]
    fn names() {
        let name = |f: RemoteFile<'_>| f.name().ok();
        assert_eq!(name(RemoteFile::Current("root")).as_deref(), Some("root.json"));
        assert_eq!(
            name(RemoteFile::ByHash { role: "targets/releases", sha256_hex: H }),
            Some(format!("targets/releases.{H}.json"))
        );
        assert_eq!(name(RemoteFile::ByVersion { role: "root", version: 3 }).as_deref(), Some("3.root.json"));
        assert_eq!(name(RemoteFile::ByVersion { role: "targets/a", version: 1 }).as_deref(), Some("1.targets/a.json"));
        assert_eq!(name(RemoteFile::Current("../root")), None);
        assert_eq!(name(RemoteFile::ByHash { role: "root", sha256_hex: "abc" }), None);
        assert_eq!(name(RemoteFile::ByHash { role: "root", sha256_hex: &H.to_uppercase() }), None);
    }

    #[test]
    fn open_by_scheme() {
        let opts = RemoteOptions::new(std::env::temp_dir());
        assert_eq!(
            open("https://notary.example:4443/", &opts).ok().map(|r| r.url().to_owned()).as_deref(),
            Some("https://notary.example:4443")
        );
        assert!(open("http://127.0.0.1:4443", &opts).is_ok());
        assert!(open("http://localhost:4443", &opts).is_ok());
        assert!(open("http://[::1]:4443", &opts).is_ok());
        assert!(open("file:///srv/trust", &opts).is_ok());
        assert_eq!(open("oci://", &opts).ok().map(|r| r.url().to_owned()).as_deref(), Some("oci://"));
        assert_eq!(
            open("oci://localhost:5000/trust-data/", &opts).ok().map(|r| r.url().to_owned()).as_deref(),
            Some("oci://localhost:5000/trust-data")
        );
        for bad in ["http://notary.example", "http://10.0.0.1", "ftp://x", "notary.example", "file://host/x", "oci://x"]
        {
            let kind = open(bad, &opts).err().map(|e| e.kind());
            assert_eq!(kind, Some(crate::ErrorKind::InvalidInput), "{bad}");
        }
    }
}
