//! k-of-n signing across machines, as the CLI and the bindings call it: `trust sign
//! --partial` writes a signing request ([`crate::publish::request`]), each further
//! signer adds a signature (`trust sign --add-signature`) and `trust publish`
//! uploads the role once a threshold of its keys signed. Requests are read whole
//! (at most 4 MiB) and written atomically.

use std::path::Path;

use crate::atomic_file::{self, Access};
use crate::publish::Outcome;
use crate::publish::request::{self, Checked, SigningRequest};
use crate::settings::Settings;
use crate::signing::TagTarget;
use crate::{Error, Result};
use trust_tuf::reference::Reference;
use trust_tuf::resolve::RELEASES_ROLE;

/// The largest request read.
const MAX_REQUEST: u64 = 4 << 20;

/// What a request signs, for the signer to see before adding a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSummary {
    /// The repository.
    pub gun: String,
    /// The role.
    pub role: String,
    /// The tag.
    pub tag: String,
    /// `sha256:<hex>` of the manifest the tag gets.
    pub digest: String,
    /// Its size.
    pub size: u64,
    /// `sha256:<hex>` it pointed to before; None for a new tag.
    pub previous: Option<String>,
    /// The check against the server's current trust data.
    pub checked: Checked,
}

fn digest(meta: &trust_tuf::wire::FileMeta) -> String {
    format!("sha256:{}", meta.sha256_hex().unwrap_or_default())
}

fn summary(request: &SigningRequest, checked: Checked) -> RequestSummary {
    RequestSummary {
        gun: request.gun.clone(),
        role: request.role.clone(),
        tag: request.tag.clone(),
        digest: digest(&request.target),
        size: request.target.length,
        previous: request.previous.as_ref().map(digest),
        checked,
    }
}

fn read(path: &Path) -> Result<SigningRequest> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_REQUEST + 1), &mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MAX_REQUEST {
        return Err(Error::InvalidInput(format!("{}: larger than a signing request can be", path.display())));
    }
    SigningRequest::parse(&bytes, &path.display().to_string())
}

fn write(path: &Path, request: &SigningRequest) -> Result<()> {
    atomic_file::write(path, &request.to_bytes()?, Access::Private, true)
}

/// A client on this machine's own trust server for the request's repository. The
/// request's `server` field is not signed, so it is never followed: a request that
/// names another server is refused, since a changed server could answer with trust
/// data this machine has not pinned yet.
fn client(settings: &Settings, request: &SigningRequest) -> Result<crate::client::Client> {
    let reference = Reference::parse(&request.gun).map_err(|e| Error::InvalidInput(format!("{}: {e}", request.gun)))?;
    let own = settings.server_for(&reference)?;
    if own.trim_end_matches('/') != request.server.trim_end_matches('/') {
        return Err(Error::InvalidInput(format!(
            "the signing request for {} was made against the trust server {}, but this machine's trust server for it is {own}: \
             pass --server {} if that is the repository's server",
            request.gun, request.server, request.server
        )));
    }
    settings.client_for(&reference)
}

/// Builds the request that signs `target` into `role` (default `targets/releases`)
/// with this trust directory's keys of the role, and writes it to `out`. Nothing is
/// published.
pub fn sign_partial(settings: &Settings, target: &TagTarget, role: Option<&str>, out: &Path) -> Result<RequestSummary> {
    let role = match role {
        None => RELEASES_ROLE.to_owned(),
        Some(r) if r.starts_with("targets/") => r.to_owned(),
        Some(r) => format!("targets/{r}"),
    };
    let client = settings.client_for(&target.reference)?;
    let keys = settings.key_source()?;
    let request = request::build(&client, keys.as_ref(), &role, &target.tag, &target.meta)?;
    let checked = request::check(&client, &request)?;
    write(out, &request)?;
    Ok(summary(&request, checked))
}

/// Checks the request at `path` against the server's current trust data, asks
/// `confirm` with what it signs, then adds this trust directory's signatures and
/// rewrites the file. `Ok(None)` when `confirm` says no (nothing is written).
pub fn add_signature<E: From<Error>>(
    settings: &Settings,
    path: &Path,
    confirm: &mut dyn FnMut(&RequestSummary) -> std::result::Result<bool, E>,
) -> std::result::Result<Option<RequestSummary>, E> {
    let mut request = read(path)?;
    let client = client(settings, &request)?;
    let checked = request::check(&client, &request)?;
    if !confirm(&summary(&request, checked))? {
        return Ok(None);
    }
    let keys = settings.key_source()?;
    let checked = request::add_signature(&client, keys.as_ref(), &mut request)?;
    write(path, &request)?;
    Ok(Some(summary(&request, checked)))
}

/// Publishes the request at `path` once a threshold of the role's keys signed it.
pub fn publish_request(settings: &Settings, path: &Path) -> Result<(RequestSummary, Outcome)> {
    let request = read(path)?;
    let client = client(settings, &request)?;
    let keys = settings.key_source()?;
    let checked = request::check(&client, &request)?;
    let outcome = request::publish(&client, keys.as_ref(), &request)?;
    Ok((summary(&request, checked), outcome))
}
