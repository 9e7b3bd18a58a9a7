//! `RegistryClient::manifest` against the real docker-registry (distribution 2.8) that
//! `tests/peers/start.sh` runs on `localhost:5000` over plain HTTP.
//!
//! Each test pushes its image through the registry's HTTP API (blobs by monolithic
//! upload: `POST /v2/<name>/blobs/uploads/`, then `PUT <location>?digest=`; manifests by
//! `PUT /v2/<name>/manifests/<tag>`), then checks that the client reports the exact digest
//! and size the registry serves (`HEAD`'s `Docker-Content-Digest` and `Content-Length`).
//! Every test needs the peers and is `#[ignore]`d; with `--include-ignored` and no
//! `TRUST_TEST_REGISTRY*` in the environment they fail, they do not skip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::blocking::Client;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use serde_json::{Value, json};
use trust_core::reference::Reference;
use trust_core::registry::{
    DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, MEDIA_TYPES, Manifest, OCI_INDEX, OCI_MANIFEST, RegistryClient,
    RegistryOptions,
};
use trust_core::{Error, ErrorKind};

/// Repositories this file pushes, under one namespace of their own.
const NAMESPACE: &str = "trust-registry-interop";

use trust_test_support::env::var as env;
use trust_test_support::live::sha256_digest as sha256;

/// Pretty JSON with a trailing newline: what is pushed is hashed byte for byte, so any
/// re-serialisation on the way would show.
fn pretty(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// A descriptor of `bytes`.
fn descriptor(media_type: &str, bytes: &[u8]) -> Value {
    json!({"mediaType": media_type, "digest": sha256(bytes), "size": bytes.len()})
}

/// The peers' registry, spoken to directly for pushing and for what it reports.
struct Peer {
    /// `localhost:5000`
    domain: String,
    /// `http://localhost:5000`
    url: String,
    http: Client,
}

impl Peer {
    fn from_env() -> Self {
        // The fips build's reqwest has no TLS provider of its own (trust-core installs
        // rustls's FIPS one before it builds a client); this client is the test's own.
        #[cfg(feature = "fips")]
        let _ = rustls::crypto::default_fips_provider().install_default();
        let http = Client::builder().timeout(std::time::Duration::from_secs(30)).build().unwrap_or_default();
        Peer { domain: env("TRUST_TEST_REGISTRY"), url: env("TRUST_TEST_REGISTRY_URL"), http }
    }

    /// Uploads `bytes` as a blob of `repo` in one request after the upload session opens.
    fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let start = self.http.post(format!("{}/v2/{repo}/blobs/uploads/", self.url)).send().unwrap();
        assert_eq!(start.status().as_u16(), 202, "start upload to {repo}");
        let location = start.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap().to_owned();
        let location = if location.starts_with("http") { location } else { format!("{}{location}", self.url) };
        let separator = if location.contains('?') { '&' } else { '?' };
        let put = self
            .http
            .put(format!("{location}{separator}digest={digest}"))
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .unwrap();
        assert_eq!(put.status().as_u16(), 201, "finish upload of {digest}: {:?}", put.text());
        digest
    }

    /// Puts a manifest under `tag`; returns the digest the registry says it stored.
    fn push_manifest(&self, repo: &str, tag: &str, media_type: &str, bytes: &[u8]) -> String {
        let put = self
            .http
            .put(format!("{}/v2/{repo}/manifests/{tag}", self.url))
            .header(CONTENT_TYPE, media_type)
            .body(bytes.to_vec())
            .send()
            .unwrap();
        let status = put.status().as_u16();
        let digest = put.headers().get("docker-content-digest").and_then(|v| v.to_str().ok()).map(str::to_owned);
        assert_eq!(status, 201, "put {repo}:{tag}: {:?}", put.text());
        digest.unwrap()
    }

    /// What the registry reports for `repo:tag`: `Docker-Content-Digest`, `Content-Length`
    /// and `Content-Type` of a `HEAD`.
    fn head(&self, repo: &str, tag: &str) -> (String, u64, String) {
        let head = self
            .http
            .head(format!("{}/v2/{repo}/manifests/{tag}", self.url))
            .header(ACCEPT, MEDIA_TYPES.join(", "))
            .send()
            .unwrap();
        assert_eq!(head.status().as_u16(), 200, "HEAD {repo}:{tag}");
        let header = |name| head.headers().get(name).and_then(|v| v.to_str().ok()).unwrap().to_owned();
        (
            header("docker-content-digest"),
            header(CONTENT_LENGTH.as_str()).parse().unwrap(),
            header(CONTENT_TYPE.as_str()),
        )
    }

    /// Pushes a one-layer image whose manifest is of `media_type` under `repo:tag`; returns
    /// the manifest's bytes.
    fn push_image(&self, repo: &str, tag: &str, media_type: &str) -> Vec<u8> {
        let (config_type, layer_type) = if media_type == OCI_MANIFEST {
            ("application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip")
        } else {
            ("application/vnd.docker.container.image.v1+json", "application/vnd.docker.image.rootfs.diff.tar.gzip")
        };
        let layer = format!("layer of {repo}:{tag}").into_bytes();
        let config = pretty(&json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [sha256(&layer)]},
        }));
        self.push_blob(repo, &layer);
        self.push_blob(repo, &config);
        let manifest = pretty(&json!({
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": descriptor(config_type, &config),
            "layers": [descriptor(layer_type, &layer)],
        }));
        let stored = self.push_manifest(repo, tag, media_type, &manifest);
        assert_eq!(stored, sha256(&manifest), "the registry stores the exact bytes");
        manifest
    }

    /// Pushes an index (or manifest list) of `media_type` over one image manifest.
    fn push_index(&self, repo: &str, tag: &str, media_type: &str, image: (&str, &[u8])) -> Vec<u8> {
        let mut entry = descriptor(image.0, image.1);
        entry["platform"] = json!({"architecture": "amd64", "os": "linux"});
        let index = pretty(&json!({"schemaVersion": 2, "mediaType": media_type, "manifests": [entry]}));
        let stored = self.push_manifest(repo, tag, media_type, &index);
        assert_eq!(stored, sha256(&index));
        index
    }

    fn reference(&self, rest: &str) -> Reference {
        Reference::parse(&format!("{}/{rest}", self.domain)).unwrap()
    }
}

/// A client as `trust sign` makes one: anonymous, no insecure registries configured.
fn client() -> (RegistryClient, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (RegistryClient::new(RegistryOptions::new(dir.path().to_path_buf())), dir)
}

/// `manifest()` of `repo:tag` agrees with the registry and with what was pushed.
fn assert_reported(peer: &Peer, registry: &RegistryClient, repo: &str, tag: &str, pushed: &[u8], media_type: &str) {
    let got: Manifest = registry.manifest(&peer.reference(&format!("{repo}:{tag}"))).unwrap();
    let (head_digest, head_length, head_type) = peer.head(repo, tag);
    assert_eq!(got.digest, head_digest, "{repo}:{tag} digest");
    assert_eq!(got.size, head_length, "{repo}:{tag} size");
    assert_eq!(got.media_type, head_type, "{repo}:{tag} media type");
    assert_eq!(got, Manifest { digest: sha256(pushed), size: pushed.len() as u64, media_type: media_type.to_owned() });
    // By digest: the same manifest.
    let by_digest = registry.manifest(&peer.reference(&format!("{repo}@{}", got.digest))).unwrap();
    assert_eq!(by_digest, got);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn oci_image_manifest_and_index() {
    let peer = Peer::from_env();
    let repo = format!("{NAMESPACE}/oci");
    let image = peer.push_image(&repo, "v1", OCI_MANIFEST);
    let index = peer.push_index(&repo, "multi", OCI_INDEX, (OCI_MANIFEST, &image));
    let (registry, _dir) = client();
    assert_reported(&peer, &registry, &repo, "v1", &image, OCI_MANIFEST);
    assert_reported(&peer, &registry, &repo, "multi", &index, OCI_INDEX);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn docker_schema2_manifest_and_manifest_list() {
    let peer = Peer::from_env();
    let repo = format!("{NAMESPACE}/docker");
    let image = peer.push_image(&repo, "v1", DOCKER_MANIFEST);
    let list = peer.push_index(&repo, "multi", DOCKER_MANIFEST_LIST, (DOCKER_MANIFEST, &image));
    let (registry, _dir) = client();
    assert_reported(&peer, &registry, &repo, "v1", &image, DOCKER_MANIFEST);
    assert_reported(&peer, &registry, &repo, "multi", &list, DOCKER_MANIFEST_LIST);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn missing_tags_and_repositories_say_what_to_do() {
    let peer = Peer::from_env();
    let repo = format!("{NAMESPACE}/missing-tag");
    peer.push_image(&repo, "v1", OCI_MANIFEST);
    let (registry, _dir) = client();
    let d = &peer.domain;
    let url = &peer.url;
    for (rest, path) in [
        (format!("{repo}:v9"), format!("{repo}/manifests/v9")),
        (format!("{NAMESPACE}/never-pushed:v1"), format!("{NAMESPACE}/never-pushed/manifests/v1")),
    ] {
        let e: Error = registry.manifest(&peer.reference(&rest)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Network, "{e}");
        assert_eq!(
            e.to_string(),
            format!(
                "{url}/v2/{path}: manifest for {d}/{rest} not found in registry {d}: push the image first, or sign with \
                 an explicit digest and size (trust sign --digest --size)"
            )
        );
    }
}
