//! `trust verify`: resolve a tag as `docker pull` does and print its verified digest.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;
use trust_core::Error;
use trust_core::reference::Reference;
use trust_core::resolve::REPO_ADMIN;
use trust_core::settings::Settings;

use crate::args::{OutputFormat, VerifyArgs};
use crate::exit::{Code, Failure};

#[derive(Serialize)]
struct Verified {
    digest: String,
    size: u64,
    role: String,
    signers: Vec<String>,
}

/// Runs `trust verify`.
pub fn run(settings: &Settings, args: &VerifyArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let reference = Reference::parse(&args.image)?;
    let tag = reference.tag().unwrap_or("latest");
    let client = settings.client_for(&reference)?;
    let mut repo = client.update()?;
    let found = repo.release(tag)?;
    let digest = format!("sha256:{}", found.digest_hex());
    if found.meta.hashes.sha256.is_none() {
        return Err(Error::verification(&found.role, format!("the release of {tag} has no sha256 digest")).into());
    }
    if let Some(wanted) = reference.digest() {
        if wanted != digest {
            return Err(Failure::new(
                Code::Verification,
                format!("{}: the signed digest of {tag} is {digest}, not {wanted}", reference.gun()),
            ));
        }
    }
    let text = match args.output {
        OutputFormat::Text => format!("{digest}\n"),
        OutputFormat::Json => {
            let info = repo.trust_info(Some(tag))?;
            let signers = info
                .released
                .into_iter()
                .find(|r| r.tag == tag && format!("sha256:{}", r.digest) == digest)
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
