//! GETs from a TUF 1.0 repository over HTTP(S): every request under the download
//! limits of [`crate::http::transfer`] (a deadline and a rate floor) and a size limit,
//! with the system's TLS roots and docker's per-host certificate directories. A
//! `file://` URL reads a repository copied to disk (a mirror, an air-gapped copy) under
//! the same size limits; a name that would reach outside the URL's directory is
//! refused.

use std::io::Read;
use std::path::{Component, PathBuf};
use std::sync::OnceLock;

use reqwest::StatusCode;
use reqwest::blocking::Client;

use super::UpdaterConfig;
use crate::Error;
use crate::http::error_body::describe;
use crate::http::size_limit::too_large;
use crate::http::transfer::{Transfer, TransferLimits};

/// An HTTP client for one repository's metadata and target URLs.
#[derive(Debug)]
pub(crate) struct Fetcher {
    base: reqwest::Url,
    /// Built on the first `http(s)` request.
    client: OnceLock<Client>,
    limits: TransferLimits,
    ca_file: Option<PathBuf>,
    docker_config: PathBuf,
}

/// A `file://` URL's path, when it lies inside the directory of `base` (a `file://`
/// URL too).
fn local_path(base: &reqwest::Url, url: &str) -> Result<Option<PathBuf>, Error> {
    let Ok(parsed) = reqwest::Url::parse(url) else { return Ok(None) };
    if parsed.scheme() != "file" {
        return Ok(None);
    }
    let refuse = || Error::InvalidInput(format!("{url}: not a file inside the repository's directory"));
    let path = parsed.to_file_path().map_err(|()| refuse())?;
    let root = match base.scheme() {
        "file" => base.to_file_path().map_err(|()| refuse())?,
        _ => path.parent().map(PathBuf::from).ok_or_else(refuse)?,
    };
    let inside = path.strip_prefix(&root).map_err(|_| refuse())?;
    if inside.as_os_str().is_empty() || !inside.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(refuse());
    }
    Ok(Some(path))
}

fn read_error(path: &std::path::Path, e: std::io::Error) -> Error {
    Error::io(path, e)
}

/// What a GET found.
pub(crate) enum Fetched {
    /// The body, within the size limit.
    Body(Vec<u8>),
    /// `403` or `404`: the repository has no such file (how the root update loop
    /// learns there is no newer root).
    Missing(u16),
}

impl Fetcher {
    /// A fetcher for the repository at `base` (its metadata URL): `http(s)` requests go
    /// through a client with the CA files and client certificate `config` names for the
    /// host, built when first needed; `file://` URLs are read from disk.
    pub(crate) fn new(base: &reqwest::Url, config: &UpdaterConfig) -> Result<Self, Error> {
        Ok(Fetcher {
            base: base.clone(),
            client: OnceLock::new(),
            limits: config.transfer,
            ca_file: config.ca_file.clone(),
            docker_config: config.docker_config.clone(),
        })
    }

    fn client(&self) -> Result<&Client, Error> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let base = &self.base;
        let tls = crate::http::tls::load(base, self.ca_file.as_deref(), &self.docker_config)?;
        let config = crate::http::tls_config::verified(tls.roots, tls.identity)
            .map_err(|reason| Error::Network { url: base.to_string(), reason })?;
        let client = crate::http::localhost_is_loopback(Client::builder())
            .use_preconfigured_tls(config)
            .timeout(self.limits.deadline)
            .connect_timeout(self.limits.connect_timeout())
            .user_agent(concat!("trust/", env!("CARGO_PKG_VERSION"), " (TUF 1.0 client)"))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| Error::Network { url: base.to_string(), reason: describe(&e) })?;
        Ok(self.client.get_or_init(|| client))
    }

    fn send(&self, url: &str) -> Result<(reqwest::blocking::Response, Transfer), Error> {
        let mut transfer = self.limits.start();
        let response = transfer
            .send(self.client()?.get(url))
            .map_err(|e| Error::Network { url: url.to_owned(), reason: transfer.send_error(&e) })?;
        Ok((response, transfer))
    }

    /// GETs `url`, at most `max_len` bytes (more is an error about `role`).
    pub(crate) fn get(&self, url: &str, max_len: u64, role: &str) -> Result<Fetched, Error> {
        if let Some(path) = local_path(&self.base, url)? {
            let file = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Fetched::Missing(404)),
                Err(e) => return Err(read_error(&path, e)),
            };
            return crate::http::size_limit::read_limited(file, max_len, role, |e| read_error(&path, e))
                .map(Fetched::Body);
        }
        let (response, transfer) = self.send(url)?;
        match response.status() {
            StatusCode::OK => transfer.read_body(response, max_len, role, url, "the body").map(Fetched::Body),
            s @ (StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) => Ok(Fetched::Missing(s.as_u16())),
            s => Err(Error::Network { url: url.to_owned(), reason: format!("the repository answered {s}") }),
        }
    }

    /// GETs `url` and hands its body to `sink` as it arrives, at most `max_len` bytes
    /// (more is an error about `what`). A missing file is an error here.
    pub(crate) fn stream(
        &self,
        url: &str,
        max_len: u64,
        what: &str,
        mut sink: impl FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        if let Some(path) = local_path(&self.base, url)? {
            let file = std::fs::File::open(&path).map_err(|e| read_error(&path, e))?;
            return copy_limited(file, max_len, what, &mut sink, |e| read_error(&path, e));
        }
        let (response, transfer) = self.send(url)?;
        if response.status() != StatusCode::OK {
            return Err(Error::Network {
                url: url.to_owned(),
                reason: format!("the repository answered {}", response.status()),
            });
        }
        let total =
            copy_limited(transfer.paced(response), max_len, what, &mut sink, |e| transfer.read_error(&e, url, what))?;
        transfer.record_body(total as usize);
        Ok(total)
    }
}

/// Hands `body` to `sink` in pieces, at most `max_len` bytes (more is an error about
/// `what`). Returns how many bytes there were.
fn copy_limited(
    mut body: impl Read,
    max_len: u64,
    what: &str,
    sink: &mut impl FnMut(&[u8]) -> Result<(), Error>,
    read_error: impl Fn(std::io::Error) -> Error,
) -> Result<u64, Error> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = body.read(&mut buf).map_err(&read_error)?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
        if total > max_len {
            return Err(too_large(what, max_len));
        }
        sink(&buf[..n])?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_stay_inside_the_repository_directory() {
        let base = reqwest::Url::parse("file:///srv/repo/metadata/").unwrap();
        let inside = |u: &str| local_path(&base, u).map(|p| p.map(|p| p.display().to_string()));
        assert_eq!(
            inside("file:///srv/repo/metadata/1.root.json").unwrap().as_deref(),
            Some("/srv/repo/metadata/1.root.json")
        );
        assert_eq!(
            inside("file:///srv/repo/metadata/a%2Fb.json").unwrap().as_deref(),
            Some("/srv/repo/metadata/a/b.json")
        );
        for outside in
            ["file:///srv/repo/metadata/..%2F..%2Fetc.json", "file:///etc/passwd", "file:///srv/repo/metadata/"]
        {
            assert!(inside(outside).is_err(), "{outside}");
        }
        assert_eq!(inside("https://example.com/x.json").unwrap(), None);
    }
}
