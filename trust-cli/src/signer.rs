//! `trust signer add|remove`: docker's signers, `targets/<name>` plus the same keys
//! on `targets/releases`.

use std::io::Write;
use std::process::ExitCode;

use trust_core::publish::Change;
use trust_core::reference::Reference;
use trust_core::resolve::RELEASES_ROLE;
use trust_core::settings::Settings;
use trust_core::wire::{Envelope, PublicKey};
use trust_core::{Error, ErrorKind};

use crate::args::{SignerAddArgs, SignerRemoveArgs};
use crate::exit::{Code, Failure};
use crate::publishing::{confirm, publish_staged};
use trust_core::session::Session;

fn valid_signer_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn check_name(name: &str) -> Result<(), Failure> {
    if !valid_signer_name(name) {
        return Err(Failure::new(
            Code::Usage,
            format!(
                "signer name \"{name}\" must start with lowercase alphanumeric characters and can include \"-\" or \"_\" after the first character"
            ),
        ));
    }
    if name == "releases" {
        return Err(Failure::new(Code::Usage, "releases is a reserved keyword, use a different signer name"));
    }
    Ok(())
}

/// Reads the signers' public key files (PEM `PUBLIC KEY` or `CERTIFICATE`, ≤ 1 MiB).
fn read_keys(paths: &[std::path::PathBuf]) -> Result<Vec<PublicKey>, Failure> {
    if paths.is_empty() {
        return Err(Failure::new(Code::Usage, "path to a public key must be provided using the `--key` flag"));
    }
    paths
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).map_err(|e| {
                Failure::new(Code::Io, format!("unable to read public key from file {}: {e}", path.display()))
            })?;
            trust_core::crypto::public_pem::parse(&bytes).map_err(|e| {
                Failure::new(Code::Key, format!("could not parse public key from file: {}: {e}", path.display()))
            })
        })
        .collect()
}

/// Runs `trust signer add`.
pub fn add(settings: &Settings, args: &SignerAddArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    check_name(&args.name)?;
    let keys = read_keys(&args.keys)?;
    let role = format!("targets/{}", args.name);
    let mut failed = Vec::new();
    for repo in &args.repositories {
        let _ = writeln!(out, "Adding signer \"{}\" to {repo}...", args.name);
        let result = (|| -> Result<(), Failure> {
            let session = Session::open(settings, &Reference::parse(repo)?)?;
            // One group: a kill between the two leaves neither to publish.
            let changes =
                [role.as_str(), RELEASES_ROLE].map(|r| Change::add_delegation(r, keys.clone(), vec![String::new()]));
            session.stage_all(&changes)?;
            if publish_staged(&session)?.initialized {
                let _ = writeln!(out, "Initializing signed repository for {repo}...");
                let _ = writeln!(out, "Successfully initialized \"{repo}\"");
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                let _ = writeln!(out, "Successfully added signer: {} to {repo}\n", args.name);
            }
            Err(f) => {
                eprintln!("{}\n", f.message);
                failed.push((repo.clone(), f.code));
            }
        }
    }
    finish(failed, "failed to add signer to")
}

fn finish(failed: Vec<(String, Code)>, what: &str) -> Result<ExitCode, Failure> {
    match failed.first() {
        None => Ok(ExitCode::SUCCESS),
        Some((_, code)) => {
            let names: Vec<&str> = failed.iter().map(|(r, _)| r.as_str()).collect();
            Err(Failure::new(*code, format!("{what}: {}", names.join(", "))))
        }
    }
}

/// True when, without `keys` (canonical IDs), the releases role's current signatures
/// would no longer meet its threshold (docker's "last signer" check).
fn is_last_releases_signer(raw: &[u8], keys: &[String], threshold: u64) -> Result<bool, Error> {
    let envelope = Envelope::parse(raw).map_err(|e| Error::malformed(RELEASES_ROLE, e))?;
    let remaining = envelope.signatures.iter().filter(|s| !keys.contains(&s.keyid)).count() as u64;
    Ok(remaining < threshold)
}

/// Runs `trust signer remove`: removes the signer's keys from `targets/releases` and
/// deletes `targets/<name>` (docker's command has done nothing since 26.0).
pub fn remove(settings: &Settings, args: &SignerRemoveArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let role = format!("targets/{}", args.name);
    if role == RELEASES_ROLE {
        return Err(Failure::new(Code::Usage, "releases is a reserved keyword and cannot be removed"));
    }
    let mut failed = Vec::new();
    for repo in &args.repositories {
        let _ = writeln!(out, "Removing signer \"{}\" from {repo}...", args.name);
        let result = (|| -> Result<bool, Failure> {
            let session = Session::open(settings, &Reference::parse(repo)?)?;
            let mut view = session.current().map_err(|e| match e.kind() {
                ErrorKind::NotSigned => {
                    Failure::new(Code::NotSigned, format!("no signer {} for repository {repo}", args.name))
                }
                _ => e.into(),
            })?;
            let info = view.trust_info(None)?;
            let signer = info.signers.iter().find(|s| s.role == role).ok_or_else(|| {
                Failure::new(Code::NotSigned, format!("no signer {} for repository {repo}", args.name))
            })?;
            let releases = view.trusted().delegation(RELEASES_ROLE).map(|v| v.raw.clone());
            let threshold = view.trusted().delegated_role(RELEASES_ROLE).map_or(1, |r| r.threshold);
            if let Some(raw) = releases
                && is_last_releases_signer(&raw, &signer.key_ids, threshold)?
                && !args.force
            {
                let question = format!(
                    "The signer \"{}\" signed the last released version of {repo}. Removing this signer will make {repo} unpullable. Are you sure you want to continue?",
                    args.name
                );
                if !confirm(&question, out)? {
                    let _ = writeln!(out, "\nAborting action.");
                    return Ok(false);
                }
            }
            session.stage_all(&[
                Change::remove_delegation_keys(RELEASES_ROLE, signer.key_ids.clone()),
                Change::delete_delegation(&role),
            ])?;
            publish_staged(&session)?;
            Ok(true)
        })();
        match result {
            Ok(true) => {
                let _ = writeln!(out, "Successfully removed {} from {repo}\n", args.name);
            }
            Ok(false) => {}
            Err(f) => {
                eprintln!("{}\n", f.message);
                failed.push((repo.clone(), f.code));
            }
        }
    }
    finish(failed, "error removing signer from")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_names_as_docker() {
        for ok in ["alice", "a1", "0x", "a-b_c"] {
            assert!(valid_signer_name(ok), "{ok}");
        }
        for bad in ["", "Alice", "-a", "_a", "a.b", "a/b"] {
            assert!(!valid_signer_name(bad), "{bad}");
        }
        assert_eq!(check_name("releases").unwrap_err().code, Code::Usage);
    }
}
