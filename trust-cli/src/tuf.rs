//! `trust tuf`: a client for TUF 1.0 repositories (python-tuf, go-tuf, Sigstore,
//! tuf-on-ci), in the command-line protocol of the TUF conformance suite's
//! client-under-test, so people and test harnesses drive it the same way.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use trust_core::settings::Settings;
use trust_core::tuf::{self, Updater, UpdaterConfig};

use crate::exit::{Code, Failure};

/// The exit codes of `trust tuf`, the conformance protocol's.
pub const EXIT_CODES: &str = "\
Exit codes (the TUF conformance client protocol's):
  0  success
  1  any failure: the reason is on stderr; the metadata directory holds only metadata that verified";

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct TufArgs {
    /// The directory of trusted metadata: root.json, timestamp.json, snapshot.json,
    /// targets.json and delegated roles, each under its plain name
    #[arg(long, value_name = "DIR", global = true)]
    pub metadata_dir: Option<PathBuf>,
    /// The repository's metadata URL (N.root.json, timestamp.json, … are under it)
    #[arg(long, value_name = "URL", global = true)]
    pub metadata_url: Option<String>,
    /// A target path to download (repeat for several: fetched in order, stopping at
    /// the first failure)
    #[arg(long = "target-name", value_name = "PATH", global = true)]
    pub target_names: Vec<String>,
    /// The repository's target files URL
    #[arg(long, value_name = "URL", global = true)]
    pub target_base_url: Option<String>,
    /// Where downloaded targets are stored, each under its path percent-encoded
    #[arg(long, value_name = "DIR", global = true)]
    pub target_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: TufCommand,
}

#[derive(Debug, Subcommand)]
pub enum TufCommand {
    /// Trust ROOT (a root.json got out of band): store it in the metadata directory,
    /// with no network
    #[command(after_help = EXIT_CODES)]
    Init {
        /// The initial trusted root.json
        root: PathBuf,
    },
    /// Update the top-level metadata from the repository (root, timestamp, snapshot,
    /// targets)
    #[command(after_help = EXIT_CODES)]
    Refresh,
    /// Refresh, then find each --target-name by the delegation search and download it
    /// into --target-dir, unless a stored copy already matches its hashes
    #[command(after_help = EXIT_CODES)]
    Download,
}

fn failed(message: impl Into<String>) -> Failure {
    Failure::new(Code::NotSigned, message)
}

fn need<'a, T: ?Sized>(value: Option<&'a T>, option: &str, command: &str) -> Result<&'a T, Failure> {
    value.ok_or_else(|| failed(format!("`trust tuf {command}` needs {option}")))
}

/// Runs `trust tuf`. Every failure exits 1 (the protocol's), with the reason.
pub fn run(settings: &Settings, args: &TufArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let dir = need(args.metadata_dir.as_deref(), "--metadata-dir DIR", "…")?;
    let config = UpdaterConfig {
        transfer: settings.limits(),
        docker_config: settings.docker_config_dir(),
        ca_file: settings.ca_file.clone(),
        ..UpdaterConfig::default()
    };
    let say = |out: &mut dyn Write, text: String| {
        writeln!(out, "{text}").map_err(|e| failed(format!("cannot write output: {e}")))
    };
    let fail = |e: trust_core::Error| failed(e.to_string());
    match &args.command {
        TufCommand::Init { root } => {
            let bytes = std::fs::read(root).map_err(|e| failed(format!("cannot read {}: {e}", root.display())))?;
            tuf::init(dir, &bytes).map_err(fail)?;
            say(out, format!("Trusted root stored in {}", dir.display()))?;
        }
        TufCommand::Refresh => {
            let url = need(args.metadata_url.as_deref(), "--metadata-url URL", "refresh")?;
            let mut updater = Updater::new(dir, url, None, None, config).map_err(fail)?;
            updater.refresh().map_err(fail)?;
            let root = updater.trusted().root().signed.version();
            say(out, format!("Refreshed {} (root version {root})", dir.display()))?;
        }
        TufCommand::Download => {
            let url = need(args.metadata_url.as_deref(), "--metadata-url URL", "download")?;
            let base = need(args.target_base_url.as_deref(), "--target-base-url URL", "download")?;
            let target_dir = need(args.target_dir.as_deref(), "--target-dir DIR", "download")?;
            if args.target_names.is_empty() {
                return Err(failed("`trust tuf download` needs at least one --target-name PATH"));
            }
            let mut updater = Updater::new(dir, url, Some(target_dir), Some(base), config).map_err(fail)?;
            let stored = updater.download_targets(&args.target_names).map_err(fail)?;
            for (name, (path, downloaded)) in args.target_names.iter().zip(stored) {
                let how = if downloaded { "Downloaded" } else { "Already present" };
                say(out, format!("{how}: {name} -> {}", path.display()))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
