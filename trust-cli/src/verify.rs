//! `trust verify`: resolve a tag as `docker pull` does and print its verified digest.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;
use trust_core::images::{signers_of, verified_target};
use trust_core::reference::Reference;
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
    let client = settings.client_for(&reference)?;
    let mut repo = client.update()?;
    let found = verified_target(&mut repo, &reference)?;
    let digest = format!("sha256:{}", found.digest_hex());
    let text = match args.output {
        OutputFormat::Text => format!("{digest}\n"),
        OutputFormat::Json => {
            let signers = signers_of(&mut repo, &found)?;
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
