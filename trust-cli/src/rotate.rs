//! `trust key rotate ROLE REPOSITORY`: a new key for a top-level role, as
//! `notary key rotate` makes one (the workflow is `trust_core::publish::rotate_key`).

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use trust_core::publish::{KeyHolder, default_holder, rotate_key};
use trust_core::reference::Reference;
use trust_core::settings::Settings;

use crate::exit::{Code, Failure};

/// The roles whose keys rotate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RotatedRole {
    /// The root key (a new certificate; the new root is signed by the old and new keys)
    Root,
    /// The targets key (targets is re-signed with the new key)
    Targets,
    /// The snapshot key (--local: the client signs snapshots from now on)
    Snapshot,
    /// The timestamp key (the server's; --server-managed)
    Timestamp,
}

impl RotatedRole {
    fn name(self) -> &'static str {
        match self {
            RotatedRole::Root => "root",
            RotatedRole::Targets => "targets",
            RotatedRole::Snapshot => "snapshot",
            RotatedRole::Timestamp => "timestamp",
        }
    }
}

/// `trust key rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The role whose key is replaced
    #[arg(value_enum, value_name = "ROLE")]
    pub role: RotatedRole,
    /// The repository
    #[arg(value_name = "REPOSITORY")]
    pub repository: String,
    /// The new key is made and kept in the trust directory [default for root, targets, snapshot]
    #[arg(long, short = 'l', conflicts_with = "server_managed")]
    pub local: bool,
    /// The trust server makes and keeps the new key (snapshot, timestamp) [default for timestamp]
    #[arg(long, short = 'r')]
    pub server_managed: bool,
}

/// Runs `trust key rotate`.
pub fn run(settings: &Settings, args: &RotateArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let role = args.role.name();
    let holder = match (args.local, args.server_managed) {
        (true, _) => KeyHolder::Local,
        (_, true) => KeyHolder::Server,
        _ => default_holder(role),
    };
    let reference = Reference::parse(&args.repository)?;
    let client = settings.client_for(&reference)?;
    let keys = settings.key_source()?;
    let rotation = rotate_key(&client, keys.as_ref(), role, holder)?;
    for w in &rotation.warnings {
        eprintln!("warning: {w}");
    }
    let held = match rotation.holder {
        KeyHolder::Local => format!("kept in the trust directory as {}.key", rotation.new_canonical_id),
        KeyHolder::Server => format!("held by {}", client.server()),
    };
    let text = format!(
        "Successfully rotated the {role} key of {}\n  old key ID(s): {}\n  new key ID:    {} ({held})\n  new root version: {} (published: {})\n",
        client.gun(),
        rotation.old_key_ids.join(", "),
        rotation.new_key_id,
        rotation.root_version,
        rotation.uploaded.join(", "),
    );
    out.write_all(text.as_bytes()).map_err(|e| Failure::new(Code::Io, format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
