//! `trust verify`: resolve a tag as `docker pull` does and print its verified digest.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;
use trust_core::client::Repository;
use trust_core::reference::Reference;
use trust_core::resolve::{FoundTarget, REPO_ADMIN};
use trust_core::settings::Settings;
use trust_core::{Error, Result};

use crate::args::{OutputFormat, VerifyArgs};
use crate::exit::{Code, Failure};

#[derive(Serialize)]
struct Verified {
    digest: String,
    size: u64,
    role: String,
    signers: Vec<String>,
}

/// The signed target a reference names: a tag (default `latest`) resolved as
/// `docker pull` does, whose digest must match when one is given; or, for a bare
/// digest reference, a release whose digest it is.
fn resolve(repo: &mut Repository<'_>, reference: &Reference) -> Result<FoundTarget> {
    let wanted = reference.digest().map(|d| d.strip_prefix("sha256:").unwrap_or(d).to_owned());
    let found = match (reference.tag(), &wanted) {
        (None, Some(hex)) => repo
            .releases_of_digest(hex)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::DigestNotSigned { gun: reference.gun(), digest: format!("sha256:{hex}") })?,
        (tag, _) => repo.release(tag.unwrap_or("latest"))?,
    };
    if found.meta.hashes.sha256.is_none() {
        return Err(Error::verification(&found.role, format!("the release of {} has no sha256 digest", found.name)));
    }
    if let Some(hex) = wanted.filter(|hex| *hex != found.digest_hex()) {
        return Err(Error::verification(
            &found.role,
            format!("the signed digest of {} is sha256:{}, not sha256:{hex}", found.name, found.digest_hex()),
        ));
    }
    Ok(found)
}

/// Runs `trust verify`.
pub fn run(settings: &Settings, args: &VerifyArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let reference = Reference::parse(&args.image)?;
    let client = settings.client_for(&reference)?;
    let mut repo = client.update()?;
    let found = resolve(&mut repo, &reference)?;
    let digest = format!("sha256:{}", found.digest_hex());
    let text = match args.output {
        OutputFormat::Text => format!("{digest}\n"),
        OutputFormat::Json => {
            let info = repo.trust_info(Some(&found.name))?;
            let signers = info
                .released
                .into_iter()
                .find(|r| r.digest == found.digest_hex())
                .map(|r| r.signers)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| vec![REPO_ADMIN.to_owned()]);
            let v = Verified { digest, size: found.meta.length, role: found.role, signers };
            serde_json::to_string_pretty(&v).map_err(|e| Failure::new(Code::Io, e.to_string()))? + "\n"
        }
    };
    for w in repo.warnings() {
        eprintln!("warning: {w}");
    }
    out.write_all(text.as_bytes()).map_err(|e| Failure::new(Code::Io, format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
