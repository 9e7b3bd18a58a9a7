//! `trustkit.Client`: one handle with a trust server, trust directory and CA, whose
//! methods run trust-core's verify, inspect, sign, revoke and signer add/remove with
//! the GIL released.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use trust_core::settings::Settings;
use trust_core::workflow::Images;

use crate::args;
use crate::errors::from_core;
use crate::keys;

/// Verifies, inspects, signs and revokes images, and adds and removes signers, with Docker Content Trust
/// (Notary v1) data, as `docker trust` and `DOCKER_CONTENT_TRUST=1 docker pull` do.
///
/// `server` is the trust server URL (`https://…`, or `file:///dir` for a directory
/// laid out as a server's URL paths), or the registry store (docs/registry-store.md):
/// `oci://` keeps the trust data in each image's own repository of its registry,
/// `oci://HOST[:PORT]/PATH` in the dedicated trust repository `PATH` of that
/// registry, with docker's registry TLS and credentials. None means docker's default
/// (`DOCKER_CONTENT_TRUST_SERVER`, else `https://notary.docker.io` for Docker Hub, else
/// `https://<registry host>`).
/// `trust_dir` holds keys and the metadata cache (default `~/.docker/trust`, or
/// `$DOCKER_CONFIG/trust`). `ca` is a CA bundle for the trust server (default: the
/// system's roots plus `$DOCKER_CONFIG/tls/<host:port>/*.crt`). Paths may be `str`
/// or `os.PathLike`. `max_age` is how many seconds a fetched timestamp is reused
/// without asking the server again (default 0, as the `trust` CLI: the server is
/// asked every time, so a revocation is seen on the next call). `timeout` is the
/// deadline of each request in seconds, body included (default 120); `min_rate` the lowest average rate in bytes per second a response
/// body may arrive at once 10 s have passed (default 1024; 0 turns it off): a trust
/// server or registry that stalls or drip-feeds fails with `NetworkError`.
///
/// `bundle` is a trust-data bundle (a directory or `.tar`/`.tar.gz` that `trust
/// export` wrote) to verify from instead of a trust server: no network, nothing
/// cached, no signing; it is opened at once, so a missing or damaged one raises here.
/// `frozen=True` checks its expiry as of the export instead of now (a revocation
/// after the export is then not seen).
///
/// Key passphrases come from `DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE` and
/// `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE` (read at each call), the OS keyring
/// when enabled for the trust directory, or a prompt when stdin is a terminal.
///
/// A client holds settings only: it is cheap, immutable and safe to share between
/// threads. Every method releases the GIL while it talks to servers or does crypto.
#[pyclass(module = "trustkit", name = "Client", frozen)]
pub struct Client {
    images: Images,
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (*, server=None, trust_dir=None, ca=None, max_age=None, timeout=None, min_rate=None, bundle=None, frozen=false))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn new(
        py: Python<'_>,
        server: Option<String>,
        trust_dir: Option<PathBuf>,
        ca: Option<PathBuf>,
        max_age: Option<f64>,
        timeout: Option<f64>,
        min_rate: Option<u64>,
        bundle: Option<PathBuf>,
        frozen: bool,
    ) -> PyResult<Self> {
        args::bundle(py, server.as_deref(), bundle.as_deref(), frozen)?;
        let mut settings = Settings::from_environment();
        settings.library = true;
        settings.bundle = bundle;
        settings.frozen = frozen;
        settings.server = server;
        settings.trust_dir = trust_dir;
        settings.ca_file = ca;
        if let Some(seconds) = max_age {
            settings.client.max_timestamp_age = args::seconds(py, "max_age", seconds, false)?;
        }
        settings.timeout = timeout.map(|seconds| args::seconds(py, "timeout", seconds, true)).transpose()?;
        settings.min_rate = min_rate;
        Ok(Client { images: Images::new(settings) })
    }

    /// The trust server given (`https://…`, `file://…`, `oci://…`), or None for docker's default.
    #[getter]
    fn server(&self) -> Option<String> {
        self.images.settings().server.clone()
    }

    /// The trust directory in effect (the one given, or docker's default).
    #[getter]
    fn trust_dir(&self) -> PathBuf {
        self.images.settings().trust_dir()
    }

    /// How long a fetched timestamp is reused, in seconds.
    #[getter]
    fn max_age(&self) -> f64 {
        self.images.settings().client.max_timestamp_age.as_secs_f64()
    }

    /// The CA bundle given for the trust server, or None.
    #[getter]
    fn ca(&self) -> Option<PathBuf> {
        self.images.settings().ca_file.clone()
    }

    /// The trust-data bundle verified from instead of a trust server, or None.
    #[getter]
    fn bundle(&self) -> Option<PathBuf> {
        self.images.settings().bundle.clone()
    }

    /// Whether a bundle's expiry is checked as of its export instead of now.
    #[getter]
    fn frozen(&self) -> bool {
        self.images.settings().frozen
    }

    fn __repr__(&self) -> String {
        let s = self.images.settings();
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        format!(
            "trustkit.Client(server={}, trust_dir={}, ca={})",
            py_str(s.server.clone()),
            py_str(path(&s.trust_dir)),
            py_str(path(&s.ca_file))
        )
    }

    /// Verifies `image` (`NAME[:TAG][@DIGEST]`) as `DOCKER_CONTENT_TRUST=1 docker pull`
    /// resolves it (tag `latest` when none is given; `targets/releases` first, then
    /// `targets`) after full TUF verification, and returns the signed manifest digest
    /// `sha256:<hex>`. A digest in `image` must be the signed one.
    ///
    /// Raises NotSignedError, VerificationError, NetworkError, InvalidArgumentError or
    /// LocalIOError.
    #[pyo3(signature = (image, /))]
    fn verify(&self, py: Python<'_>, image: &str) -> PyResult<String> {
        let images = &self.images;
        py.detach(|| images.verify(image)).map(|v| v.digest).map_err(|e| from_core(py, e))
    }

    /// What `docker trust inspect IMAGE` prints, parsed: a list with one dict with
    /// `Name`, `SignedTags` (`SignedTag`, `Digest` as hex, `Signers`), `Signers`
    /// (`Name`, `Keys`) and `AdministrativeKeys`. Without a tag, every signed tag.
    #[pyo3(signature = (image, /))]
    fn inspect<'py>(&self, py: Python<'py>, image: &str) -> PyResult<Bound<'py, PyAny>> {
        let images = &self.images;
        let json = py.detach(|| images.inspect_json(image)).map_err(|e| from_core(py, e))?;
        py.import("json")?.call_method1("loads", (json,))
    }

    /// Signs `image` (`NAME:TAG`) as `docker trust sign` does, for the manifest
    /// `digest` (`sha256:<64 lowercase hex>`) of `size` bytes, or, when both are None,
    /// for the manifest the registry serves for the tag. A repository without trust
    /// data is initialised (new root and targets keys, which need the root and
    /// repository passphrases); otherwise the tag goes into every role the trust
    /// directory's keys can sign. Publishes once; returns None.
    ///
    /// Raises InvalidArgumentError (a ValueError) for a bad reference, digest or size, or
    /// one of digest and size without the other; TypeError for a size that is not an int.
    #[pyo3(signature = (image, /, digest=None, size=None))]
    fn sign(
        &self,
        py: Python<'_>,
        image: &str,
        digest: Option<String>,
        size: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let manifest = args::manifest(py, digest, size)?;
        let images = &self.images;
        py.detach(|| images.sign(image, manifest.as_ref().map(|(d, s)| (d.as_str(), *s))))
            .map(drop)
            .map_err(|e| from_core(py, e))
    }

    /// Removes the signature of `image`'s tag (`NAME:TAG`) from every role the trust
    /// directory's keys can sign, and publishes, as `docker trust revoke` does. To remove
    /// the signatures of every tag, pass a bare `NAME` with `all_tags=True` (docker asks
    /// for confirmation there; this keyword is that confirmation).
    #[pyo3(signature = (image, /, *, all_tags=false))]
    fn revoke(&self, py: Python<'_>, image: &str, all_tags: bool) -> PyResult<()> {
        args::revoke_scope(py, image, all_tags)?;
        let images = &self.images;
        py.detach(|| images.revoke(image)).map_err(|e| from_core(py, e))
    }

    /// Adds the signer `name` with the public keys `public_keys` (PEM `PUBLIC KEY` or
    /// `CERTIFICATE` texts, as `trust key generate` writes them) to `image`'s repository
    /// and publishes, as `docker trust signer add` does: the delegation
    /// `targets/<name>` and the same keys on `targets/releases`. A repository without
    /// trust data is initialised (which needs the root passphrase).
    ///
    /// Raises InvalidArgumentError for a bad name or no key, KeyStoreError for a key
    /// that does not parse.
    #[pyo3(signature = (image, /, name, public_keys))]
    fn signer_add(&self, py: Python<'_>, image: &str, name: &str, public_keys: Vec<String>) -> PyResult<()> {
        let keys = public_keys
            .iter()
            .map(|pem| trust_core::crypto::public_pem::parse(pem.as_bytes()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| from_core(py, e.into()))?;
        let images = &self.images;
        py.detach(|| images.signer_add(image, name, &keys)).map(drop).map_err(|e| from_core(py, e))
    }

    /// Removes the signer `name` from `image`'s repository and publishes, as `trust
    /// signer remove` does: its keys leave `targets/releases` and `targets/<name>` is
    /// deleted. Removing the signer whose keys `targets/releases` is signed with
    /// (which leaves the repository unpullable) takes `force=True`; without it that
    /// raises InvalidArgumentError and nothing changes.
    ///
    /// Raises NotSignedError when the repository has no such signer.
    #[pyo3(signature = (image, /, name, *, force=false))]
    fn signer_remove(&self, py: Python<'_>, image: &str, name: &str, force: bool) -> PyResult<()> {
        let images = &self.images;
        py.detach(|| images.signer_remove(image, name, force)).map(drop).map_err(|e| from_core(py, e))
    }

    /// Generates a signing key named `name` (the signer name) in the trust directory,
    /// encrypted with `passphrase` (at least 8 characters), as `trust key generate`
    /// does; `algorithm` is `"ecdsa"` (P-256, what docker makes) or `"ed25519"`.
    /// Returns `(key_id, public_key_pem)`; the PEM is what `signer_add` takes.
    ///
    /// Raises InvalidArgumentError for a bad name or algorithm, KeyStoreError for a
    /// short passphrase, LocalIOError when the trust directory cannot be written.
    #[pyo3(signature = (name, /, *, passphrase, algorithm="ecdsa"))]
    fn key_generate(
        &self,
        py: Python<'_>,
        name: &str,
        passphrase: &str,
        algorithm: &str,
    ) -> PyResult<(String, String)> {
        let ed25519 = match algorithm {
            "ecdsa" => false,
            "ed25519" => true,
            other => {
                return Err(crate::errors::invalid_argument(
                    py,
                    format!("unknown algorithm {other:?}: use \"ecdsa\" or \"ed25519\""),
                ));
            }
        };
        let settings = self.images.settings();
        py.detach(|| keys::generate(settings, name, passphrase, ed25519)).map_err(|e| from_core(py, e))
    }

    /// Imports the private key `pem` (PEM text or bytes: PKCS#8, encrypted with
    /// `passphrase` or not, or EC/RSA/ED25519 PRIVATE KEY) into the trust directory as
    /// `name` (its role), as `trust key load` does. The stored file is encrypted with
    /// `new_passphrase`, by default `passphrase`. Returns the key ID.
    ///
    /// Raises KeyStoreError for a wrong passphrase, a public key or a file that is not a key.
    #[pyo3(signature = (pem, /, *, passphrase, name="signer", new_passphrase=None))]
    fn key_load(
        &self,
        py: Python<'_>,
        pem: &Bound<'_, PyAny>,
        passphrase: &str,
        name: &str,
        new_passphrase: Option<&str>,
    ) -> PyResult<String> {
        let pem: Vec<u8> = match pem.extract::<String>() {
            Ok(text) => text.into_bytes(),
            Err(_) => pem.extract()?,
        };
        let settings = self.images.settings();
        py.detach(|| keys::load(settings, &pem, name, passphrase, new_passphrase)).map_err(|e| from_core(py, e))
    }

    /// The private keys in the trust directory, sorted by ID: dicts with `id`, `role`
    /// (`root`, `targets`, `snapshot` or a signer name) and `gun` (the repository, or None).
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let settings = self.images.settings();
        let keys = py.detach(|| keys::list(settings)).map_err(|e| from_core(py, e))?;
        keys.into_iter()
            .map(|(id, role, gun)| {
                let d = PyDict::new(py);
                d.set_item("id", id)?;
                d.set_item("role", role)?;
                d.set_item("gun", gun)?;
                Ok(d)
            })
            .collect()
    }
}

/// `'text'` or `None`, for reprs.
fn py_str(value: Option<String>) -> String {
    value.map_or_else(|| "None".to_owned(), |v| format!("'{}'", v.escape_default()))
}
