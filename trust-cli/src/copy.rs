//! `trust copy REPOSITORY --from SOURCE --to DEST`: moves a repository's trust data
//! between stores (the workflow is `trust_core::publish::copy`).

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use trust_core::publish::copy;
use trust_core::reference::Reference;
use trust_core::settings::Settings;

use crate::exit::{Code, Failure};

/// `trust copy`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The repository to copy (an image name, as `docker trust inspect` takes it; a tag is ignored)
    #[arg(value_name = "REPOSITORY")]
    pub repository: String,
    /// The store to copy from: a notary-server URL (https://…), a file remote (file:///DIR), the registry store (oci://…), or a bundle
    /// (the directory or .tar/.tar.gz `trust export` wrote)
    #[arg(long, value_name = "SOURCE")]
    pub from: String,
    /// With a bundle as SOURCE: check expiry as of the bundle's export time instead of now
    #[arg(long)]
    pub frozen: bool,
    /// The store to copy to: a notary-server URL, a file remote (file:///DIR) or the registry store (oci://, oci://HOST/PATH); it must hold nothing for REPOSITORY
    #[arg(long, value_name = "DEST")]
    pub to: String,
}

/// Runs `trust copy`.
pub fn run(settings: &Settings, args: &CopyArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let reference = Reference::parse(&args.repository)?;
    let reader = settings.reader_at(&reference, &args.from, args.frozen)?;
    if let Some(p) = reader.provenance() {
        eprintln!("{p}");
    } else if args.frozen {
        return Err(Failure::new(Code::Usage, "--frozen applies only when --from names a bundle"));
    }
    let source = reader.client();
    let dest = settings.client_at(&reference, &args.to)?;
    let keys = settings.key_source()?;
    let copied = copy(source, &dest, keys.as_ref()).map_err(|e| reader.explain(e))?;
    for w in &copied.warnings {
        eprintln!("warning: {w}");
    }
    let n = copied.source_root_version;
    let first = copied.history_verified.first().copied().unwrap_or(n);
    let mut text = format!("Copied {} from {} to {}\n", source.gun(), source.server(), dest.server());
    text.push_str(&match copied.history_stored.len() {
        0 => format!("  root versions {first}…{n} verified; {} keeps only the one published now\n", dest.server()),
        _ => format!("  root versions {first}…{n} verified and stored\n"),
    });
    text.push_str(&match copied.new_root_version {
        Some(v) => format!("  new root version: {v} (listing the destination's keys)\n"),
        None => format!("  root version {n} published as it is\n"),
    });
    text.push_str("  keys needed:\n");
    for k in &copied.keys {
        text.push_str(&format!("    {:<9} {}  {}\n", k.role, k.key_id, k.purpose));
    }
    text.push_str(&format!("  published: {}\n", copied.roles.join(", ")));
    out.write_all(text.as_bytes()).map_err(|e| Failure::new(Code::Io, format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
