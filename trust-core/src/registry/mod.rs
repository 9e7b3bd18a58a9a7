//! An OCI distribution client for what `trust sign` signs: the digest and size of the
//! manifest an image reference names, as `docker push` reported them to docker's
//! content trust.
//!
//! ```no_run
//! use trust_core::reference::Reference;
//! use trust_core::registry::{RegistryClient, RegistryOptions};
//!
//! let registry = RegistryClient::new(RegistryOptions::default());
//! let manifest = registry.manifest(&Reference::parse("localhost:5000/team/app:v1")?)?;
//! println!("{} {} {}", manifest.digest, manifest.size, manifest.media_type);
//! # Ok::<(), trust_core::Error>(())
//! ```
//!
//! Docker's rules, as the docker daemon applies them when it pushes and pulls:
//!
//! - **Where**: the reference's domain; `docker.io` is `registry-1.docker.io`.
//!   `GET /v2/<path>/manifests/<tag or digest>` (no tag and no digest: `latest`).
//! - **TLS**: HTTPS with the system's roots plus docker's certificate directories for the
//!   registry (`/etc/docker/certs.d/<host:port>/*.crt` and client `*.cert`/`*.key`,
//!   rootless docker's `~/.config/docker/certs.d/…`, and `$DOCKER_CONFIG/tls/<host:port>/`)
//!   and [`RegistryOptions::ca_file`]; see the `certs` module.
//! - **Insecure registries**: loopback hosts (`localhost`, `127.0.0.0/8`, `::1`: docker's
//!   built-in insecure registries) and `--insecure-registry` entries (exact `host:port`, or
//!   a CIDR containing an IP-literal host). Docker tries them over HTTPS *without*
//!   certificate checks first and falls back to plain HTTP when HTTPS cannot connect; so
//!   does this client. A plain-HTTP registry on `localhost:5000` costs one refused TLS
//!   handshake per client. Other registries are never spoken to over plain HTTP.
//! - **Auth**: anonymous until the registry answers 401; then a bearer token for
//!   `repository:<path>:pull` from the challenge's realm, or Basic, with the docker
//!   configuration's credentials (`credHelpers`, `credsStore`, `auths`), or anonymously.
//! - **Checks**: see [`Manifest`] and the `manifest` module: accepted media types,
//!   schema 1 refused, the digest the registry declares or that was asked for must be the
//!   body's, at most [`MAX_MANIFEST_SIZE`] bytes, the [`RegistryOptions::limits`] per request.
//!
//! Errors and their exit codes (`trust-cli`'s `exit.rs`): the image not found (HTTP 404),
//! access denied (401/403, with a `docker login` hint), TLS and connection failures (with
//! how to trust the CA), other statuses: [`Error::Network`], exit 4. Digest mismatch,
//! size limit, an answer that is not JSON: [`Error::Verification`], exit 3. Schema 1 and
//! other media types: [`Error::InvalidInput`], exit 2. Unreadable certificate files:
//! [`Error::Io`] (6) or [`Error::InvalidInput`] (2). No message contains a credential.

mod artifact;
mod auth;
mod certs;
mod endpoint;
mod errors;
mod manifest;
#[cfg(test)]
mod tests;
mod transport;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap};

use crate::Error;
pub use crate::registry_location::{RepositoryRef, sha256_digest};
use endpoint::Endpoint;
use errors::Context;
pub use manifest::{
    DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, MAX_MANIFEST_SIZE, MEDIA_TYPES, Manifest, OCI_INDEX, OCI_MANIFEST,
    check as check_manifest,
};
use transport::{ClientSettings, Connection};
use trust_tuf::reference::Reference;

/// The tag docker pulls when a reference has neither tag nor digest.
const DEFAULT_TAG: &str = "latest";

/// How to reach registries.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// The docker configuration directory: `config.json` credentials and
    /// `tls/<host:port>/` certificates.
    pub docker_config: PathBuf,
    /// docker's `--insecure-registry` entries: `host[:port]` (matched exactly against the
    /// reference's domain) or CIDRs (matched against IP-literal hosts).
    pub insecure_registries: Vec<String>,
    /// The deadline and rate floor of every request, token requests included (the
    /// connect timeout is the smaller of the deadline and 10 s).
    pub limits: crate::http::transfer::TransferLimits,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// An extra CA bundle trusted for registries, in addition to the system's roots and
    /// docker's certificate directories.
    pub ca_file: Option<PathBuf>,
}

impl RegistryOptions {
    /// Defaults for `docker_config`: no insecure registries, the default
    /// [`crate::http::transfer::TransferLimits`], `trust/<version>`, no CA file.
    pub fn new(docker_config: PathBuf) -> Self {
        RegistryOptions {
            docker_config,
            insecure_registries: Vec::new(),
            limits: crate::http::transfer::TransferLimits::default(),
            user_agent: format!("trust/{}", env!("CARGO_PKG_VERSION")),
            ca_file: None,
        }
    }
}

impl Default for RegistryOptions {
    /// [`RegistryOptions::new`] with [`crate::config::docker_config_dir`].
    fn default() -> Self {
        RegistryOptions::new(crate::config::docker_config_dir())
    }
}

/// A client for the registries that serve images. Cheap to create: each registry's HTTP
/// client is built on first use and kept, with the scheme that answered and the tokens.
pub struct RegistryClient {
    opts: RegistryOptions,
    settings: ClientSettings,
    connections: Mutex<HashMap<String, Arc<Connection>>>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient").field("opts", &self.opts).finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// A client with `opts`. Does no I/O.
    pub fn new(opts: RegistryOptions) -> Self {
        let settings = ClientSettings {
            limits: opts.limits,
            user_agent: opts.user_agent.clone(),
            ca_file: opts.ca_file.clone(),
            docker_config: opts.docker_config.clone(),
            certs_d: certs::default_certs_d(),
            resolve: Vec::new(),
        };
        RegistryClient { opts, settings, connections: Mutex::new(HashMap::new()) }
    }

    /// The manifest a tag (or digest) reference names: `GET /v2/<path>/manifests/<tag>`
    /// accepting [`MEDIA_TYPES`]. `digest` is the sha256 of the exact body, which must
    /// match the reference's digest and the registry's `Docker-Content-Digest` when
    /// present ([`Error::Verification`]); `size` is the body's length, at most
    /// [`MAX_MANIFEST_SIZE`]. A reference with both tag and digest is fetched by digest,
    /// as docker does; one with neither names `latest`.
    pub fn manifest(&self, reference: &Reference) -> Result<Manifest, Error> {
        let endpoint = Endpoint::new(reference.domain(), &self.opts.insecure_registries);
        let target = reference.digest().or(reference.tag()).unwrap_or(DEFAULT_TAG);
        let image = match reference.digest() {
            Some(digest) => format!("{}@{digest}", reference.gun()),
            None => format!("{}:{target}", reference.gun()),
        };
        let cx = Context {
            image: &image,
            repository: reference.path(),
            endpoint: &endpoint,
            docker_config: &self.opts.docker_config,
            certs_d: &self.settings.certs_d,
            access: errors::Access::Pull,
        };
        let connection = self.connection(&endpoint)?;
        let path = format!("/v2/{}/manifests/{target}", reference.path());
        let (url, response, transfer) = connection.get(&path, &manifest::accept_header(), &cx)?;
        match response.status() {
            StatusCode::NOT_FOUND => Err(errors::not_found(&url, &cx)),
            status if status.is_success() => read(&url, response, &transfer, &image, reference.digest()),
            _ => Err(errors::status(&url, response, &transfer, &cx, connection.has_credentials())),
        }
    }

    /// The connection to `endpoint`'s registry, opened on first use.
    fn connection(&self, endpoint: &Endpoint) -> Result<Arc<Connection>, Error> {
        let mut connections = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = connections.get(&endpoint.domain) {
            return Ok(c.clone());
        }
        let connection = Arc::new(Connection::open(endpoint.clone(), &self.settings)?);
        connections.insert(endpoint.domain.clone(), connection.clone());
        Ok(connection)
    }

    /// Tests: the `certs.d` bases read instead of the system's.
    #[cfg(test)]
    pub(crate) fn with_certs_d(mut self, bases: Vec<PathBuf>) -> Self {
        self.settings.certs_d = bases;
        self
    }

    /// Tests: resolve `host` to `addr` (the URL's port is kept).
    #[cfg(test)]
    pub(crate) fn with_resolve(mut self, host: &str, addr: std::net::SocketAddr) -> Self {
        self.settings.resolve.push((host.to_owned(), addr));
        self
    }
}

/// Reads and checks a manifest answer.
fn read(
    url: &str,
    response: reqwest::blocking::Response,
    transfer: &crate::http::transfer::Transfer,
    image: &str,
    requested_digest: Option<&str>,
) -> Result<Manifest, Error> {
    let role = format!("manifest for {image}");
    if response.content_length().is_some_and(|n| n > MAX_MANIFEST_SIZE) {
        return Err(crate::http::size_limit::too_large(&role, MAX_MANIFEST_SIZE));
    }
    let headers: HeaderMap = response.headers().clone();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let body = transfer.read_body(response, MAX_MANIFEST_SIZE, &role, url, "the manifest")?;
    manifest::check(image, requested_digest, header(CONTENT_TYPE.as_str()), header("docker-content-digest"), &body)
}
