//! Blobs and tagged manifests of one repository, as the registry store reads and
//! writes them (docs/registry-store.md): `GET`/`HEAD` of a blob by digest, a blob
//! upload (`POST …/blobs/uploads/`, then `PUT <location>?digest=…`), and `GET`/`HEAD`/
//! `PUT` of a manifest by tag. Every request has the client's deadline and rate floor;
//! every body read has a size limit; a blob's bytes must hash to the digest asked for.

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Method, StatusCode};

use super::endpoint::Endpoint;
use super::errors::{self, Access, Context};
use super::manifest::OCI_MANIFEST;
use super::transport::Request;
use super::{MAX_MANIFEST_SIZE, RegistryClient};
use crate::registry_location::{RepositoryRef, sha256_digest};
use crate::{Error, Result};

/// Reads of a tag made before its 5xx answer is an error.
const TAG_READ_ATTEMPTS: u32 = 3;

impl RegistryClient {
    fn endpoint(&self, repo: &RepositoryRef) -> Endpoint {
        Endpoint::new(&repo.domain, &self.opts.insecure_registries)
    }

    /// Sends `request` about `what` (for messages) to `repo` with `access`.
    fn send_to(
        &self,
        repo: &RepositoryRef,
        what: &str,
        access: Access,
        request: &Request<'_>,
    ) -> Result<(String, reqwest::blocking::Response, crate::http::transfer::Transfer)> {
        let endpoint = self.endpoint(repo);
        let image = format!("{}/{}{what}", repo.domain, repo.path);
        let cx = Context {
            image: &image,
            repository: &repo.path,
            endpoint: &endpoint,
            docker_config: &self.opts.docker_config,
            certs_d: &self.settings.certs_d,
            access,
        };
        let connection = self.connection(&endpoint)?;
        let (url, response, transfer) = connection.request(request, &cx)?;
        let status = response.status();
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(errors::status(&url, response, &transfer, &cx, connection.has_credentials()));
        }
        Ok((url, response, transfer))
    }

    /// Sends a read of `tag`, again (up to [`TAG_READ_ATTEMPTS`] times, 50 ms apart and
    /// growing) while the registry answers 5xx: a filesystem-backed registry can fail a
    /// read of a tag that another client is moving at that moment (distribution 2.8
    /// answers 500 "invalid checksum digest format" for a half-written tag link).
    fn send_tag_read(
        &self,
        repo: &RepositoryRef,
        tag: &str,
        access: Access,
        request: &Request<'_>,
    ) -> Result<(String, reqwest::blocking::Response, crate::http::transfer::Transfer)> {
        let mut attempt = 1;
        loop {
            let sent = self.send_to(repo, &format!(":{tag}"), access, request)?;
            if !sent.1.status().is_server_error() || attempt == TAG_READ_ATTEMPTS {
                return Ok(sent);
            }
            std::thread::sleep(std::time::Duration::from_millis(50 * u64::from(attempt)));
            attempt += 1;
        }
    }

    /// The blob `digest` of `repo`, at most `max_len` bytes, or `None` when the registry
    /// has none (404). Its bytes must hash to `digest` ([`Error::Verification`] of `role`).
    pub fn blob(&self, repo: &RepositoryRef, digest: &str, max_len: u64, role: &str) -> Result<Option<Vec<u8>>> {
        let path = format!("/v2/{}/blobs/{digest}", repo.path);
        let request = Request { method: Method::GET, path: &path, accept: None, content_type: None, body: None };
        let (url, response, transfer) = self.send_to(repo, &format!("@{digest}"), Access::Pull, &request)?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => {
                if response.content_length().is_some_and(|n| n > max_len) {
                    return Err(crate::http::size_limit::too_large(role, max_len));
                }
                let body = transfer.read_body(response, max_len, role, &url, "the blob")?;
                let got = sha256_digest(&body);
                if got != digest {
                    return Err(Error::verification(
                        role,
                        format!(
                            "the registry served {got} for blob {digest} ({url}): the registry is not trusted, and this file is refused"
                        ),
                    ));
                }
                Ok(Some(body))
            }
            _ => Err(unexpected(&url, response, &transfer, "the blob request")),
        }
    }

    /// Whether `repo` has the blob `digest` (`HEAD`).
    pub fn has_blob(&self, repo: &RepositoryRef, digest: &str) -> Result<bool> {
        let path = format!("/v2/{}/blobs/{digest}", repo.path);
        let request = Request { method: Method::HEAD, path: &path, accept: None, content_type: None, body: None };
        let (url, response, transfer) = self.send_to(repo, &format!("@{digest}"), Access::Push, &request)?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(false),
            s if s.is_success() => Ok(true),
            _ => Err(unexpected(&url, response, &transfer, "the blob check")),
        }
    }

    /// Uploads `bytes` as a blob of `repo` (one `POST`, one monolithic `PUT`).
    pub fn put_blob(&self, repo: &RepositoryRef, bytes: &[u8]) -> Result<String> {
        let digest = sha256_digest(bytes);
        let path = format!("/v2/{}/blobs/uploads/", repo.path);
        let start = Request { method: Method::POST, path: &path, accept: None, content_type: None, body: None };
        let (url, response, transfer) = self.send_to(repo, &format!("@{digest}"), Access::Push, &start)?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(unexpected(&url, response, &transfer, "the blob upload"));
        }
        let location = location(response.headers(), &url)?;
        // The POST ends here (and its debug event is logged) before the PUT starts.
        drop((response, transfer));
        let sep = if location.contains('?') { '&' } else { '?' };
        let put_url = format!("{location}{sep}digest={digest}");
        let put = Request {
            method: Method::PUT,
            path: &put_url,
            accept: None,
            content_type: Some("application/octet-stream"),
            body: Some(bytes),
        };
        let (url, response, transfer) = self.send_to(repo, &format!("@{digest}"), Access::Push, &put)?;
        if !response.status().is_success() {
            return Err(unexpected(&url, response, &transfer, "the blob upload"));
        }
        Ok(digest)
    }

    /// The manifest `repo` tags `tag`: its digest (of the exact bytes, which must be the
    /// registry's `Docker-Content-Digest` when it sends one) and bytes, or `None` when
    /// the tag does not exist.
    pub fn tagged_manifest(&self, repo: &RepositoryRef, tag: &str) -> Result<Option<(String, Vec<u8>)>> {
        let path = format!("/v2/{}/manifests/{tag}", repo.path);
        let request =
            Request { method: Method::GET, path: &path, accept: Some(OCI_MANIFEST), content_type: None, body: None };
        let what = format!("manifest {}/{}:{tag}", repo.domain, repo.path);
        let (url, response, transfer) = self.send_tag_read(repo, tag, Access::Pull, &request)?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => {
                if response.content_length().is_some_and(|n| n > MAX_MANIFEST_SIZE) {
                    return Err(crate::http::size_limit::too_large(&what, MAX_MANIFEST_SIZE));
                }
                let declared = declared_digest(response.headers());
                let body = transfer.read_body(response, MAX_MANIFEST_SIZE, &what, &url, "the manifest")?;
                let digest = sha256_digest(&body);
                if let Some(declared) = declared.filter(|d| d.starts_with("sha256:") && *d != digest) {
                    return Err(Error::verification(
                        what,
                        format!("the registry declares {declared} but sent bytes of {digest} ({url})"),
                    ));
                }
                Ok(Some((digest, body)))
            }
            _ => Err(unexpected(&url, response, &transfer, "the manifest request")),
        }
    }

    /// The digest of the manifest `repo` tags `tag` (`HEAD`), or `None` without the tag.
    pub fn tag_digest(&self, repo: &RepositoryRef, tag: &str) -> Result<Option<String>> {
        let path = format!("/v2/{}/manifests/{tag}", repo.path);
        let request =
            Request { method: Method::HEAD, path: &path, accept: Some(OCI_MANIFEST), content_type: None, body: None };
        let (url, response, transfer) = self.send_tag_read(repo, tag, Access::Push, &request)?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => match declared_digest(response.headers()) {
                Some(d) => Ok(Some(d)),
                // No digest header: ask for the bytes.
                None => Ok(self.tagged_manifest(repo, tag)?.map(|(d, _)| d)),
            },
            _ => Err(unexpected(&url, response, &transfer, "the tag check")),
        }
    }

    /// Puts `manifest` (an OCI image manifest) under `tag` of `repo`; returns its digest.
    pub fn put_manifest(&self, repo: &RepositoryRef, tag: &str, manifest: &[u8]) -> Result<String> {
        let path = format!("/v2/{}/manifests/{tag}", repo.path);
        let request = Request {
            method: Method::PUT,
            path: &path,
            accept: None,
            content_type: Some(OCI_MANIFEST),
            body: Some(manifest),
        };
        let (url, response, transfer) = self.send_to(repo, &format!(":{tag}"), Access::Push, &request)?;
        if !response.status().is_success() {
            return Err(unexpected(&url, response, &transfer, "the manifest upload"));
        }
        Ok(sha256_digest(manifest))
    }
}

/// `Docker-Content-Digest`, when sent.
fn declared_digest(headers: &HeaderMap) -> Option<String> {
    headers.get("docker-content-digest").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// The upload's `Location`, made absolute against `url`.
fn location(headers: &HeaderMap, url: &str) -> Result<String> {
    let raw = headers.get(LOCATION).and_then(|v| v.to_str().ok()).ok_or_else(|| Error::Network {
        url: url.to_owned(),
        reason: "the registry started a blob upload without a Location header".into(),
    })?;
    let base = reqwest::Url::parse(url).map_err(|e| Error::Network { url: url.to_owned(), reason: e.to_string() })?;
    let joined = base.join(raw).map_err(|e| Error::Network {
        url: url.to_owned(),
        reason: format!("the registry's upload location {raw:?} is not a URL: {e}"),
    })?;
    Ok(joined.to_string())
}

/// Any other status, with the registry's error message.
fn unexpected(
    url: &str,
    response: reqwest::blocking::Response,
    transfer: &crate::http::transfer::Transfer,
    what: &str,
) -> Error {
    let status = response.status();
    let body = crate::http::error_body::error_body(response, url, transfer);
    let detail = crate::http::error_body::status_with_message(status, &body);
    let hint =
        if status == StatusCode::TOO_MANY_REQUESTS { ": the registry limits requests; try again later" } else { "" };
    Error::Network { url: url.to_owned(), reason: format!("the registry answered {what} with {detail}{hint}") }
}
