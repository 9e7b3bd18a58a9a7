//! A small client of the OCI distribution API for tests that read or tamper with what
//! a registry stores (the registry store's manifests and blobs, images to sign):
//! manifests by tag, blobs by digest, with optional Basic auth and a CA for TLS.
//! Everything it is asked must succeed (or be a 404 where it says so); anything else
//! fails the test. It is a test tool: it verifies nothing.

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder};

use crate::env::{AuthRegistry, PeersEnv};
use crate::live::{Manifest, sha256_digest};

/// The OCI image manifest's media type (the registry store's manifests).
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker's schema 2 manifest (the images the tests sign).
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// A manifest as the registry served it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The exact bytes.
    pub bytes: Vec<u8>,
    /// `sha256:<hex>` of the bytes (checked against `Docker-Content-Digest` when sent).
    pub digest: String,
    /// Its `Content-Type`.
    pub media_type: String,
}

impl Fetched {
    /// The bytes as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| panic!("manifest {}: {e}", self.digest))
    }
}

/// A registry's API at one base URL.
pub struct RegistryApi {
    base: String,
    client: Client,
    basic: Option<(String, String)>,
}

impl RegistryApi {
    /// The API at `base` (`http://localhost:5000`), trusting `ca` for TLS, with Basic
    /// credentials when given.
    pub fn new(base: &str, ca: Option<&Path>, basic: Option<(&str, &str)>) -> RegistryApi {
        // reqwest is built without a TLS provider of its own (as in the fault proxy).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = Client::builder()
            .redirect(reqwest::redirect::Policy::limited(5))
            .timeout(Duration::from_secs(60))
            .no_gzip();
        if let Some(ca) = ca {
            let pem = std::fs::read(ca).unwrap_or_else(|e| panic!("{}: {e}", ca.display()));
            builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a PEM CA"));
        }
        RegistryApi {
            base: base.trim_end_matches('/').to_owned(),
            client: builder.build().expect("the registry API client"),
            basic: basic.map(|(u, p)| (u.to_owned(), p.to_owned())),
        }
    }

    /// The open registry (`TRUST_TEST_REGISTRY_URL`, plain HTTP, no auth).
    pub fn open(peers: &PeersEnv) -> RegistryApi {
        RegistryApi::new(&peers.registry_url, None, None)
    }

    /// The registry with auth, with its credentials and the CA its DOCKER_CONFIG trusts
    /// for it (`tls/<host>/ca.crt`: the test CA).
    pub fn with_auth(registry: &AuthRegistry) -> RegistryApi {
        let ca = registry.docker_config.join("tls").join(&registry.host).join("ca.crt");
        RegistryApi::new(&registry.url(), Some(&ca), Some((&registry.user, &registry.password)))
    }

    /// The same registry with no credentials (what an anonymous client is answered).
    pub fn anonymous(&self) -> RegistryApi {
        RegistryApi { base: self.base.clone(), client: self.client.clone(), basic: None }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let builder = self.client.request(method, format!("{}{path}", self.base));
        match &self.basic {
            Some((user, password)) => builder.basic_auth(user, Some(password)),
            None => builder,
        }
    }

    /// The status of `GET /v2/`.
    pub fn ping(&self) -> u16 {
        let response = self.request(reqwest::Method::GET, "/v2/").send().expect("GET /v2/");
        response.status().as_u16()
    }

    /// `GET /v2/<repo>/manifests/<reference>` (an OCI or docker manifest); None on 404.
    pub fn get_manifest(&self, repo: &str, reference: &str) -> Option<Fetched> {
        let path = format!("/v2/{repo}/manifests/{reference}");
        let response = self
            .request(reqwest::Method::GET, &path)
            .header("Accept", format!("{OCI_MANIFEST}, {DOCKER_MANIFEST}"))
            .send()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        if response.status() == StatusCode::NOT_FOUND {
            return None;
        }
        assert!(response.status().is_success(), "GET {path}: {}", response.status());
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (sent, media_type) = (header("docker-content-digest"), header("content-type").unwrap_or_default());
        let bytes = response.bytes().unwrap_or_else(|e| panic!("GET {path}: {e}")).to_vec();
        let digest = sha256_digest(&bytes);
        if let Some(sent) = sent {
            assert_eq!(sent, digest, "GET {path}: Docker-Content-Digest");
        }
        Some(Fetched { bytes, digest, media_type })
    }

    /// `PUT /v2/<repo>/manifests/<tag>` of exactly `bytes` as `media_type`; returns
    /// the manifest's digest. The blobs it names must be in `repo`.
    pub fn put_manifest(&self, repo: &str, tag: &str, media_type: &str, bytes: &[u8]) -> String {
        let path = format!("/v2/{repo}/manifests/{tag}");
        let response = self
            .request(reqwest::Method::PUT, &path)
            .header("Content-Type", media_type)
            .body(bytes.to_vec())
            .send()
            .unwrap_or_else(|e| panic!("PUT {path}: {e}"));
        let status = response.status();
        assert!(status.is_success(), "PUT {path}: {status}: {}", response.text().unwrap_or_default());
        sha256_digest(bytes)
    }

    /// `GET /v2/<repo>/blobs/<digest>`; None on 404.
    pub fn get_blob(&self, repo: &str, digest: &str) -> Option<Vec<u8>> {
        let path = format!("/v2/{repo}/blobs/{digest}");
        let response = self.request(reqwest::Method::GET, &path).send().unwrap_or_else(|e| panic!("GET {path}: {e}"));
        if response.status() == StatusCode::NOT_FOUND {
            return None;
        }
        assert!(response.status().is_success(), "GET {path}: {}", response.status());
        Some(response.bytes().unwrap_or_else(|e| panic!("GET {path}: {e}")).to_vec())
    }

    /// A monolithic blob upload of `bytes` into `repo` (`POST` for a location, then
    /// `PUT ?digest=`); returns its digest.
    pub fn put_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256_digest(bytes);
        let start = format!("/v2/{repo}/blobs/uploads/");
        let response =
            self.request(reqwest::Method::POST, &start).send().unwrap_or_else(|e| panic!("POST {start}: {e}"));
        assert_eq!(response.status(), StatusCode::ACCEPTED, "POST {start}");
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("POST {start}: no Location"))
            .to_owned();
        let location = match location.strip_prefix(&self.base) {
            Some(path) => path.to_owned(),
            None if location.starts_with('/') => location,
            None => panic!("POST {start}: Location {location} is not on {}", self.base),
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = format!("{location}{sep}digest={digest}");
        let response = self
            .request(reqwest::Method::PUT, &put)
            .header("Content-Type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .unwrap_or_else(|e| panic!("PUT {put}: {e}"));
        assert_eq!(response.status(), StatusCode::CREATED, "PUT {put}");
        digest
    }

    /// Copies the blob `digest` of `from` into `to` (both repositories of this registry).
    pub fn copy_blob(&self, from: &str, to: &str, digest: &str) {
        let bytes = self.get_blob(from, digest).unwrap_or_else(|| panic!("{from} has no blob {digest}"));
        assert_eq!(self.put_blob(to, &bytes), digest);
    }

    /// Pushes one small image (an empty tar layer, a config named after `repo`) to
    /// `repo` under every tag of `tags`, as [`crate::live::Live::push_manifest`] does
    /// through curl; returns the manifest the registry serves for each tag.
    pub fn push_image(&self, repo: &str, tags: &[impl AsRef<str>]) -> Manifest {
        let layer = vec![0u8; 1024]; // an empty tar archive
        let config = serde_json::json!({
            "architecture": "amd64", "os": "linux", "config": {"Labels": {"name": repo}},
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(&layer)]},
        })
        .to_string();
        self.put_blob(repo, &layer);
        self.put_blob(repo, config.as_bytes());
        let manifest = serde_json::json!({
            "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "size": config.len(), "digest": sha256_digest(config.as_bytes())},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar",
                        "size": layer.len(), "digest": sha256_digest(&layer)}],
        })
        .to_string();
        for tag in tags {
            self.put_manifest(repo, tag.as_ref(), DOCKER_MANIFEST, manifest.as_bytes());
        }
        Manifest { digest: sha256_digest(manifest.as_bytes()), size: manifest.len() as u64 }
    }
}

/// The registry store's tag for `gun` in a dedicated trust repository
/// (`oci://HOST/PATH`): `tuf-notary-v1-` and the first 32 hex digits of the GUN's
/// SHA-256 (docs/registry-store.md).
pub fn dedicated_tag(gun: &str) -> String {
    let digest = sha256_digest(gun.as_bytes());
    format!("tuf-notary-v1-{}", &digest["sha256:".len()..][..32])
}

/// The registry store's tag in the image's own repository (`oci://`).
pub const OWN_TAG: &str = "tuf-notary-v1";

/// The layer of a registry-store manifest whose `tuf.io/filename` is `filename`
/// (`snapshot.json`): its descriptor.
pub fn layer<'a>(manifest: &'a serde_json::Value, filename: &str) -> &'a serde_json::Value {
    manifest["layers"]
        .as_array()
        .unwrap_or_else(|| panic!("no layers in {manifest}"))
        .iter()
        .find(|l| l["annotations"]["tuf.io/filename"] == filename)
        .unwrap_or_else(|| panic!("no layer {filename} in {manifest}"))
}

/// The digest of the layer `filename` of a registry-store manifest.
pub fn layer_digest(manifest: &serde_json::Value, filename: &str) -> String {
    layer(manifest, filename)["digest"].as_str().unwrap_or_else(|| panic!("{filename}: no digest")).to_owned()
}

#[test]
fn the_dedicated_tag_is_the_prefix_and_32_hex_digits_of_the_gun_s_sha256() {
    // sha256("registry.example/team/app")
    let tag = dedicated_tag("registry.example/team/app");
    assert_eq!(tag.len(), "tuf-notary-v1-".len() + 32);
    let full = sha256_digest(b"registry.example/team/app");
    assert!(full.starts_with(&format!("sha256:{}", &tag["tuf-notary-v1-".len()..])), "{tag} {full}");
}

/// The tools against a real registry: an OCI manifest with metadata layers round-trips
/// byte for byte, blobs copy between repositories, and the fault proxy in front of the
/// registry holds a manifest PUT until the test lets it land.
#[test]
#[ignore = "needs the registry with auth: tests/peers/start.sh (or --only-auth-registry) and source its env"]
fn manifests_and_blobs_round_trip_and_a_held_manifest_put_lands_only_when_released() {
    use crate::fault_proxy::{FaultProxy, HoldAt};
    let registry = AuthRegistry::from_env().expect("$TRUST_TEST_AUTH_REGISTRY is not set");
    let api = RegistryApi::with_auth(&registry);
    assert_eq!(api.ping(), 200);
    assert_eq!(api.anonymous().ping(), 401);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let (repo, other) = (format!("test-support/a-{nanos}"), format!("test-support/b-{nanos}"));
    let file = br#"{"signed":{"_type":"Timestamp"},"signatures":[]}"#;
    let empty = api.put_blob(&repo, b"{}");
    let digest = api.put_blob(&repo, file);
    assert_eq!(api.get_blob(&repo, &digest).as_deref(), Some(&file[..]));
    assert_eq!(api.get_blob(&repo, &sha256_digest(b"missing")), None);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/vnd.trust.notary-v1.repository",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": "application/vnd.tuf.metadata+json", "digest": digest, "size": file.len(),
                    "annotations": {"tuf.io/filename": "timestamp.json"}}],
    }))
    .unwrap();
    api.put_manifest(&repo, OWN_TAG, OCI_MANIFEST, &manifest);
    let fetched = api.get_manifest(&repo, OWN_TAG).expect("the manifest");
    assert_eq!((fetched.bytes.as_slice(), fetched.media_type.as_str()), (manifest.as_slice(), OCI_MANIFEST));
    assert_eq!(layer_digest(&fetched.json(), "timestamp.json"), digest);
    assert_eq!(api.get_manifest(&repo, "no-such-tag"), None);

    // Into another repository: blobs first, then the manifest.
    api.copy_blob(&repo, &other, &empty);
    api.copy_blob(&repo, &other, &digest);
    let ca = registry.docker_config.join("tls").join(&registry.host).join("ca.crt");
    let proxy = FaultProxy::start(&registry.url(), Some(&ca));
    let through = RegistryApi::new(&proxy.url(), None, Some((&registry.user, &registry.password)));
    // An upload through the proxy stays on it (the registry's Location is rewritten).
    let held_blob = proxy.hold("PUT", "/blobs/uploads/", 1, HoldAt::Response);
    let (t, o) = (RegistryApi::new(&proxy.url(), None, Some((&registry.user, &registry.password))), other.clone());
    let upload = std::thread::spawn(move || t.put_blob(&o, b"through the proxy"));
    assert!(held_blob.wait_held(Duration::from_secs(30)), "the blob PUT is held: {:?}", proxy.requests());
    held_blob.release();
    assert_eq!(upload.join().unwrap(), sha256_digest(b"through the proxy"));
    let hold = proxy.hold("PUT", "/manifests/", 1, HoldAt::Request);
    let put = std::thread::spawn(move || through.put_manifest(&other, OWN_TAG, OCI_MANIFEST, &manifest));
    assert!(hold.wait_held(Duration::from_secs(30)), "the PUT is held: {:?}", proxy.requests());
    let other = format!("test-support/b-{nanos}");
    assert_eq!(api.get_manifest(&other, OWN_TAG), None, "not there while held");
    hold.release();
    put.join().unwrap();
    assert_eq!(api.get_manifest(&other, OWN_TAG).map(|m| m.digest), Some(fetched.digest));
}
