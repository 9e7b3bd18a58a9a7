//! `trust signer add|remove`: docker's signers, `targets/<name>` plus the same keys
//! on `targets/releases`.

use std::io::Write;
use std::process::ExitCode;

use trust_core::settings::Settings;
use trust_core::wire::PublicKey;
use trust_core::workflow::{
    Threshold, check_removable_signer, check_signer_name, signer_add_with, signer_remove, threshold_role,
};

use crate::args::{SignerAddArgs, SignerRemoveArgs};
use crate::exit::{Code, Failure};
use crate::publishing::{confirm, print_warnings};

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
    check_signer_name(&args.name)?;
    let keys = if args.keys.is_empty() && args.threshold.is_some() { Vec::new() } else { read_keys(&args.keys)? };
    let threshold = match args.threshold {
        Some(count) => Some(Threshold { role: threshold_role(&args.name, args.threshold_role.as_deref())?, count }),
        None => None,
    };
    let mut failed = Vec::new();
    for repo in &args.repositories {
        if !keys.is_empty() {
            let _ = writeln!(out, "Adding signer \"{}\" to {repo}...", args.name);
        }
        match signer_add_with(settings, repo, &args.name, &keys, threshold.as_ref()) {
            Ok(outcome) => {
                print_warnings(&outcome);
                if outcome.initialized {
                    let _ = writeln!(out, "Initializing signed repository for {repo}...");
                    let _ = writeln!(out, "Successfully initialized \"{repo}\"");
                }
                if !keys.is_empty() {
                    let _ = writeln!(out, "Successfully added signer: {} to {repo}\n", args.name);
                }
                if let Some(t) = &threshold {
                    let _ = writeln!(out, "Successfully set the threshold of {} of {repo} to {}\n", t.role, t.count);
                }
            }
            Err(e) => {
                let f = Failure::from(e);
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

/// Runs `trust signer remove`: removes the signer's keys from `targets/releases` and
/// deletes `targets/<name>` (docker's command has done nothing since 26.0).
pub fn remove(settings: &Settings, args: &SignerRemoveArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    check_removable_signer(&args.name)?;
    let mut failed = Vec::new();
    for repo in &args.repositories {
        let _ = writeln!(out, "Removing signer \"{}\" from {repo}...", args.name);
        let mut ask = |question: &str| if args.force { Ok(true) } else { confirm(question, "--force", out) };
        match signer_remove(settings, repo, &args.name, &mut ask) {
            Ok(Some(outcome)) => {
                print_warnings(&outcome);
                let _ = writeln!(out, "Successfully removed {} from {repo}\n", args.name);
            }
            Ok(None) => {
                let _ = writeln!(out, "\nAborting action.");
            }
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
        assert_eq!(Failure::from(check_signer_name("releases").unwrap_err()).code, Code::Usage);
    }
}
