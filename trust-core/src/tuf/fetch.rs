//! GETs from a TUF 1.0 repository over HTTP(S): every request under the download
//! limits of [`crate::http::transfer`] (a deadline and a rate floor) and a size limit,
//! with the system's TLS roots and docker's per-host certificate directories.

use std::io::Read;

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
    client: Client,
    limits: TransferLimits,
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
    /// A client for `base` (the metadata URL; target files are fetched with the same
    /// TLS setup), with the CA files and client certificate `config` names for its host.
    pub(crate) fn new(base: &reqwest::Url, config: &UpdaterConfig) -> Result<Self, Error> {
        let limits = config.transfer;
        let tls = crate::http::tls::load(base, config.ca_file.as_deref(), &config.docker_config)?;
        let config = crate::http::tls_config::verified(tls.roots, tls.identity)
            .map_err(|reason| Error::Network { url: base.to_string(), reason })?;
        let client = Client::builder()
            .use_preconfigured_tls(config)
            .timeout(limits.deadline)
            .connect_timeout(limits.connect_timeout())
            .user_agent(concat!("trust/", env!("CARGO_PKG_VERSION"), " (TUF 1.0 client)"))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| Error::Network { url: base.to_string(), reason: describe(&e) })?;
        Ok(Fetcher { client, limits })
    }

    fn send(&self, url: &str) -> Result<(reqwest::blocking::Response, Transfer), Error> {
        let mut transfer = self.limits.start();
        let response = transfer
            .send(self.client.get(url))
            .map_err(|e| Error::Network { url: url.to_owned(), reason: transfer.send_error(&e) })?;
        Ok((response, transfer))
    }

    /// GETs `url`, at most `max_len` bytes (more is an error about `role`).
    pub(crate) fn get(&self, url: &str, max_len: u64, role: &str) -> Result<Fetched, Error> {
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
        let (response, transfer) = self.send(url)?;
        if response.status() != StatusCode::OK {
            return Err(Error::Network {
                url: url.to_owned(),
                reason: format!("the repository answered {}", response.status()),
            });
        }
        let mut body = transfer.paced(response);
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            let n = body.read(&mut buf).map_err(|e| transfer.read_error(&e, url, what))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > max_len {
                return Err(too_large(what, max_len));
            }
            sink(&buf[..n])?;
        }
        transfer.record_body(total as usize);
        Ok(total)
    }
}
