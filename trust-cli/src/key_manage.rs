//! `trust key passwd|remove|export`: notary's key verbs, over trust-core's key store.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use trust_core::keystore::{DockerPassphrases, KeyStore, NewPassphrase, RemovableKey};

use crate::exit::{Code, Failure};
use crate::publishing::confirm;

/// `trust key passwd`.
#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// The key's ID (or a prefix naming one key). The old passphrase comes from the
    /// usual variables (DOCKER_CONTENT_TRUST_*_PASSPHRASE, NOTARY_*_PASSPHRASE) or a
    /// prompt; the new one from $TRUST_NEW_PASSPHRASE or a prompt, asked twice
    #[arg(value_name = "KEY-ID")]
    pub id: String,
}

/// `trust key remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Do not ask for confirmation
    #[arg(long, short)]
    pub yes: bool,
    /// The key's ID (or a prefix naming one key)
    #[arg(value_name = "KEY-ID")]
    pub id: String,
}

/// `trust key export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// File to write the keys to, encrypted as they are stored (PEM, as `notary key
    /// export` writes; `trust key load` and `notary key import` read it); mode 0600
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// The keys' IDs (or prefixes naming one key each)
    #[arg(value_name = "KEY-ID", required = true)]
    pub ids: Vec<String>,
}

/// `trust key passwd`: one line saying which key got a new passphrase.
pub fn passwd(
    store: &KeyStore,
    source: &DockerPassphrases,
    args: &PasswdArgs,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let stored = store.change_passphrase(&args.id, source, &NewPassphrase::from_environment())?;
    let _ = writeln!(out, "Successfully updated passphrase for key ID: {} ({})", stored.id, stored.role);
    Ok(())
}

/// `trust key remove`: asks first unless `--yes`; answering no removes nothing (exit 0).
pub fn remove(store: &KeyStore, args: &RemoveArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let found = store.find_removable(&args.id)?;
    if !args.yes {
        let from = match &found {
            RemovableKey::File(_) => store.private_dir().display().to_string(),
            RemovableKey::Token(record) => format!("this trust directory (the key stays on the token {})", record.uri),
        };
        let question = format!("Are you sure you want to remove {} (role {}) from {from}?", found.id(), found.role());
        if !confirm(&question, "--yes", out)? {
            let _ = writeln!(out, "\nAborting action.");
            return Ok(());
        }
    }
    store.remove_key(&found)?;
    let line = match &found {
        RemovableKey::File(stored) => {
            format!("Deleted {} (role {}) from {}.", stored.id, stored.role, stored.path.display())
        }
        RemovableKey::Token(record) => format!(
            "Deleted the record of {} (role {}) from {}; the key itself stays on {}.",
            record.id,
            record.role,
            record.path(store.trust_dir()).display(),
            record.uri
        ),
    };
    let _ = writeln!(out, "{line}");
    Ok(())
}

/// `trust key export`: the encrypted blocks, written atomically with mode 0600.
pub fn export(store: &KeyStore, args: &ExportArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let (keys, text) = store.export(&args.ids)?;
    trust_core::atomic_file::write(&args.output, text.as_bytes(), trust_core::atomic_file::Access::Private, true)
        .map_err(|e| Failure::new(Code::of(e.kind()), format!("cannot write {}: {e}", args.output.display())))?;
    for key in &keys {
        let _ = writeln!(out, "Exported {} ({}) to {}", key.id, key.role, args.output.display());
    }
    Ok(())
}
