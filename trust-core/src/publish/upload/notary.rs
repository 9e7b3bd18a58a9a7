//! Uploads to a notary-server, over the connection (TLS, token auth) of its
//! [`NotaryRemote`]: `POST <gun>/_trust/tuf/` with the files as a multipart form,
//! `GET` or `POST <role>.key` for the keys it signs with.

use reqwest::blocking::{Client, Response};

use super::Upload;
use crate::http::error_body::{errcode_message, error_body, first_errcode};
use crate::http::transfer::Transfer;
use crate::remote::notary::{Access, http_error};
use crate::remote::{NotaryRemote, Remote};
use crate::{Error, Result};
use trust_tuf::reference::check_gun;
use trust_tuf::wire::PublicKey;

/// Largest server key answer read.
const MAX_KEY_BODY: u64 = 64 << 10;

/// A notary-server, as a store that takes updates.
#[derive(Debug)]
pub struct NotaryUpload<'a> {
    server: &'a NotaryRemote,
}

impl<'a> NotaryUpload<'a> {
    /// Uploads to the server `server` reads from.
    pub fn new(server: &'a NotaryRemote) -> Self {
        NotaryUpload { server }
    }

    /// `GET` (the current key, made on first request) or `POST` (a new key) of
    /// `<role>.key`.
    fn key_request(&self, gun: &str, role: &str, access: Access, rotate: bool) -> Result<PublicKey> {
        check_gun(gun)?;
        if !matches!(role, "snapshot" | "timestamp") {
            return Err(Error::InvalidInput(format!(
                "notary-server holds only snapshot and timestamp keys, not {role}"
            )));
        }
        let url = self.server.tuf_url(gun, &format!("{role}.key"));
        let (response, transfer) = self
            .server
            .request(gun, access, &url, |client| if rotate { client.post(&url) } else { client.get(&url) })?;
        if !response.status().is_success() {
            return Err(http_error(&url, response, &transfer));
        }
        let body = transfer.read_body(response, MAX_KEY_BODY, role, &url, "the body")?;
        serde_json::from_slice(&body).map_err(|e| Error::Network {
            url: url.clone(),
            reason: format!("the server's {role} key is not a key: {e}"),
        })
    }
}

impl Upload for NotaryUpload<'_> {
    fn publish(&self, gun: &str, files: &[(String, Vec<u8>)]) -> Result<()> {
        check_gun(gun)?;
        let url = self.server.tuf_url(gun, "");
        let make = |client: &Client| {
            let mut form = reqwest::blocking::multipart::Form::new();
            for (role, bytes) in files {
                // The file name is the role, `/` included (notary-server reads it raw).
                let part = reqwest::blocking::multipart::Part::bytes(bytes.clone()).file_name(role.clone());
                form = form.part("files", part);
            }
            client.post(&url).multipart(form)
        };
        let (response, transfer) = self.server.request(gun, Access::Push, &url, make)?;
        if response.status().is_success() {
            return Ok(());
        }
        Err(publish_error(&url, response, &transfer))
    }

    fn server_key(&self, gun: &str, role: &str) -> Result<PublicKey> {
        self.key_request(gun, role, Access::Push, false)
    }

    fn rotate_server_key(&self, gun: &str, role: &str) -> Result<PublicKey> {
        self.key_request(gun, role, Access::Admin, true)
    }

    fn accepts_client_signed(&self, role: &str) -> bool {
        role == "snapshot"
    }

    fn delete_repository(&self, gun: &str) -> Result<()> {
        check_gun(gun)?;
        let url = self.server.tuf_url(gun, "");
        // notary-server asks for every action (`*`) on the repository to delete it.
        let (response, transfer) = self.server.request(gun, Access::Admin, &url, |client| client.delete(&url))?;
        if response.status().is_success() {
            return Ok(());
        }
        Err(http_error(&url, response, &transfer))
    }

    fn url(&self) -> &str {
        self.server.url()
    }
}

/// A refused upload: notary's `VERSION` code (another signer published first) is a
/// conflict the publisher retries; anything else says what the server said.
fn publish_error(url: &str, response: Response, transfer: &Transfer) -> Error {
    let status = response.status();
    let body = error_body(response, url, transfer);
    let message = errcode_message(&body).unwrap_or_else(|| format!("HTTP {status}"));
    if first_errcode(&body) == "VERSION" {
        return Error::Conflict(format!("{url}: {message}"));
    }
    Error::Network { url: url.to_owned(), reason: format!("the trust server refused the update: {message}") }
}
