//! `trust status`, `trust reset` and `trust delete`: a repository's staged changes and
//! local trust data, as notary's verbs of those names handle them.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use trust_core::publish::{Action, Kind};
use trust_core::settings::Settings;

use crate::exit::{Code, Failure};

/// `trust status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The repository whose staged changes to list [default: every repository with some]
    #[arg(value_name = "REPOSITORY")]
    pub repository: Option<String>,
}

/// `trust reset`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["all", "number"]))]
pub struct ResetArgs {
    /// Discard every staged change of the repository
    #[arg(long)]
    pub all: bool,
    /// Discard the staged change numbered N in `trust status` (repeatable, as `notary reset -n`)
    #[arg(short = 'n', long = "number", value_name = "N")]
    pub number: Vec<usize>,
    /// The repository whose staged changes to discard
    #[arg(value_name = "REPOSITORY")]
    pub repository: String,
}

/// `trust delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Also delete the repository's trust data on the trust server (it then has no
    /// trust data for anyone; needs the server's delete permission)
    #[arg(long)]
    pub remote: bool,
    /// The repository whose local trust data (cached metadata, staged changes; not
    /// keys) to forget
    #[arg(value_name = "REPOSITORY")]
    pub repository: String,
}

fn io_failure(e: std::io::Error) -> Failure {
    Failure::new(Code::Io, format!("cannot write output: {e}"))
}

/// Runs `trust status`: a table of each repository's staged changes, or "No staged
/// changes for GUN".
pub fn status(settings: &Settings, args: &StatusArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let all = trust_core::workflow::status(settings, args.repository.as_deref())?;
    if all.is_empty() {
        writeln!(out, "No staged changes in {}", settings.trust_dir().display()).map_err(io_failure)?;
    }
    for (n, repo) in all.iter().enumerate() {
        if n > 0 {
            writeln!(out).map_err(io_failure)?;
        }
        if repo.changes.is_empty() {
            writeln!(out, "No staged changes for {}", repo.gun).map_err(io_failure)?;
            continue;
        }
        let mut rows = vec![["#".to_owned(), "ACTION".into(), "ROLE".into(), "TYPE".into(), "TAG".into()]];
        for (i, staged) in repo.changes.iter().enumerate() {
            let c = &staged.change;
            let action = match c.action {
                Action::Create => "create",
                Action::Update => "update",
                Action::Delete => "delete",
            };
            let kind = match c.kind {
                Kind::Target => "target",
                Kind::Delegation => "delegation",
            };
            rows.push([i.to_string(), action.into(), c.role.clone(), kind.into(), c.path.clone()]);
        }
        let widths: Vec<usize> = (0..5).map(|col| rows.iter().map(|r| r[col].len()).max().unwrap_or(0)).collect();
        let mut text = format!("Staged changes for {}:\n\n", repo.gun);
        for row in &rows {
            let line: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
            text.push_str(line.join("   ").trim_end());
            text.push('\n');
        }
        out.write_all(text.as_bytes()).map_err(io_failure)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `trust reset --all|-n N…`.
pub fn reset(settings: &Settings, args: &ResetArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let which = if args.all {
        trust_core::workflow::Discard::All
    } else {
        trust_core::workflow::Discard::Numbers(args.number.iter().copied().collect())
    };
    let n = trust_core::workflow::reset(settings, &args.repository, &which)?;
    let line = match n {
        0 => format!("No staged changes for {}", args.repository),
        n => format!("Discarded {n} staged change(s) for {}", args.repository),
    };
    writeln!(out, "{line}").map_err(io_failure)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `trust delete [--remote]`.
pub fn delete(settings: &Settings, args: &DeleteArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let deleted = trust_core::workflow::delete(settings, &args.repository, args.remote)?;
    if let Some(server) = &deleted.remote {
        writeln!(out, "Deleted the trust data of {} on {server}", deleted.gun).map_err(io_failure)?;
    }
    let line = match &deleted.local {
        Some(dir) => format!("Deleted the local trust data of {} ({})", deleted.gun, dir.display()),
        None => format!("No local trust data for {}", deleted.gun),
    };
    writeln!(out, "{line}").map_err(io_failure)?;
    Ok(ExitCode::SUCCESS)
}
