//! `trust pull IMAGE[:TAG]`: what `DOCKER_CONTENT_TRUST=1 docker pull` did, through
//! the Docker Engine, printed as docker printed it.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use trust_core::settings::Settings;
use trust_core::workflow::{self, PullEvent};

use crate::exit::Failure;

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Image to pull (the tag defaults to `latest`); the engine is -H/DOCKER_HOST
    /// (with DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), else the current docker context,
    /// else unix:///var/run/docker.sock
    #[arg(value_name = "IMAGE[:TAG]")]
    pub image: String,
}

/// Runs `trust pull`.
pub fn run(settings: &Settings, args: &PullArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let verified = workflow::pull(settings, &args.image, &mut |event| {
        let _ = match event {
            PullEvent::Pulling { image, digest } => writeln!(out, "Pull (1 of 1): {image}@{digest}"),
            PullEvent::Progress(line) => writeln!(out, "{}", line.0),
            PullEvent::Tagging { source, target } => writeln!(out, "Tagging {source} as {target}"),
        };
        let _ = out.flush();
    })?;
    for w in &verified.warnings {
        eprintln!("warning: {w}");
    }
    Ok(ExitCode::SUCCESS)
}
