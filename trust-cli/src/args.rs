//! Command-line arguments: the `docker trust` verbs and their flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use trust_core::client::ClientOptions;
use trust_core::settings::Settings;

/// Sign, inspect and verify container images with Docker Content Trust (Notary v1).
#[derive(Debug, Parser)]
#[command(name = "trust", version, about, after_help = crate::exit::HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Trust server URL (https://… or file://…) [default: $DOCKER_CONTENT_TRUST_SERVER, else the registry's]
    #[arg(long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// Directory for keys and cached trust data [default: $DOCKER_CONFIG/trust, else ~/.docker/trust]
    #[arg(long, global = true, value_name = "DIR")]
    pub trust_dir: Option<PathBuf>,
    /// CA bundle to trust for the trust server [default: $DOCKER_CONFIG/tls/<host:port>/*.crt]
    #[arg(long, global = true, value_name = "FILE")]
    pub tlscacert: Option<PathBuf>,
    /// Trust pinning file (notary's trust_pinning: certs, ca, disable_tofu)
    #[arg(long, global = true, value_name = "FILE", env = "TRUST_PINNING")]
    pub trust_pinning: Option<PathBuf>,
    /// Reuse a fetched timestamp for at most this many seconds, within the lifetime the
    /// server declares (notary-server: 300); 0 asks the server every time
    #[arg(long, global = true, value_name = "SECONDS", env = "TRUST_MAX_AGE", default_value_t = 300)]
    pub max_age: u64,
}

impl Global {
    /// The core settings these flags describe.
    pub fn settings(&self) -> Settings {
        Settings {
            server: self.server.clone(),
            trust_dir: self.trust_dir.clone(),
            ca_file: self.tlscacert.clone(),
            pinning_file: self.trust_pinning.clone(),
            client: ClientOptions {
                max_timestamp_age: std::time::Duration::from_secs(self.max_age),
                ..ClientOptions::default()
            },
            ..Settings::default()
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Return low-level information about keys and signatures
    Inspect(InspectArgs),
    /// Verify a signed tag and print its digest
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Print the information in a human friendly format
    #[arg(long)]
    pub pretty: bool,
    /// Images to inspect
    #[arg(value_name = "IMAGE[:TAG]", required = true)]
    pub images: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// `sha256:<hex>`
    Text,
    /// digest, size, role and signers as JSON
    Json,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Output format
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Image to verify (the tag defaults to `latest`; with @sha256:…, the signed digest must match)
    #[arg(value_name = "IMAGE[:TAG][@DIGEST]")]
    pub image: String,
}
