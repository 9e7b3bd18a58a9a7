//! `trust copy REPOSITORY... --from SOURCE --to DEST`: moves repositories' trust data
//! between stores (the workflow is `trust_core::workflow::copy_repositories`), with
//! progress on a terminal.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use trust_core::settings::Settings;
use trust_core::workflow::{CopiedRepository, CopyRoute, copy_repositories};

use crate::exit::{Code, Failure};
use crate::progress::{Terminal, count};

/// `trust copy`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The repositories to copy, one after the other (image names, as `docker trust inspect`
    /// takes them; a tag is ignored; a failure does not stop the others)
    #[arg(value_name = "REPOSITORY", required = true)]
    pub repositories: Vec<String>,
    /// The store to copy from: a notary-server URL (https://…), a file remote (file:///DIR), the registry store (oci://…), or a bundle
    /// (the directory or .tar/.tar.gz `trust export` wrote)
    #[arg(long, value_name = "SOURCE")]
    pub from: String,
    /// With a bundle as SOURCE: check expiry as of the bundle's export time instead of now
    #[arg(long)]
    pub frozen: bool,
    /// The store to copy to: a notary-server URL, a file remote (file:///DIR) or the registry store (oci://, oci://HOST/PATH); it must hold nothing yet for the repositories
    #[arg(long, value_name = "DEST")]
    pub to: String,
}

/// What one copy did, as printed on stdout.
fn report(c: &CopiedRepository) -> String {
    let copied = &c.copied;
    let n = copied.source_root_version;
    let first = copied.history_verified.first().copied().unwrap_or(n);
    let mut text = format!("Copied {} from {} to {}\n", c.gun, c.from, c.to);
    text.push_str(&match copied.history_stored.len() {
        0 => format!("  root versions {first}…{n} verified; {} keeps only the one published now\n", c.to),
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
    text
}

/// Runs `trust copy`.
pub fn run(settings: &Settings, args: &CopyArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let route = CopyRoute { from: &args.from, to: &args.to, frozen: args.frozen };
    let bar = Terminal::new();
    let mut write_error = None;
    let mut failures: Vec<(String, Failure)> = Vec::new();
    let failed = copy_repositories(settings, &args.repositories, route, &bar, &mut |repository, result| match result {
        Ok(c) => bar.above(|| {
            if let Some(p) = &c.provenance {
                eprintln!("{p}");
            }
            for w in &c.copied.warnings {
                eprintln!("warning: {w}");
            }
            if let Err(e) = out.write_all(report(&c).as_bytes()) {
                write_error.get_or_insert(e);
            }
        }),
        Err(e) => {
            let f = Failure::from(e);
            if args.repositories.len() > 1 {
                bar.println(&format!("{repository}: {}", f.message));
            }
            failures.push((repository.to_owned(), f));
        }
    });
    if let Some(e) = write_error {
        return Err(Failure::new(Code::Io, format!("cannot write output: {e}")));
    }
    let total = args.repositories.len();
    bar.finish(&format!("Copied {} of {} to {}", total - failed, count(total, "repository", "repositories"), args.to));
    match failures.len() {
        0 => Ok(ExitCode::SUCCESS),
        1 if total == 1 => Err(failures.remove(0).1),
        _ => {
            let code = failures[0].1.code;
            let names: Vec<&str> = failures.iter().map(|(r, _)| r.as_str()).collect();
            Err(Failure::new(code, format!("{failed} of {total} repositories were not copied: {}", names.join(", "))))
        }
    }
}
