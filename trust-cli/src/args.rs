//! Command-line arguments: the `docker trust` verbs and their flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use trust_core::client::ClientOptions;
use trust_core::fips::FipsMode;
use trust_core::settings::Settings;

/// Sign, inspect and verify container images with Docker Content Trust (Notary v1).
#[derive(Debug, Parser)]
#[command(name = "trust", version, about, after_help = crate::help_text::top())]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes, shown apart under "Global Options".
#[derive(Debug, Args)]
#[command(next_help_heading = "Global Options")]
pub struct Global {
    /// Trust server URL (https://…, file://…, or oci:// for the registry store) [default: $DOCKER_CONTENT_TRUST_SERVER, else the registry's]
    #[arg(long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// Directory for keys and cached trust data [default: $DOCKER_CONFIG/trust, else ~/.docker/trust]
    #[arg(long, global = true, value_name = "DIR")]
    pub trust_dir: Option<PathBuf>,
    /// CA bundle to trust for the trust server [default: $DOCKER_CONFIG/tls/<host:port>/*.crt (DOCKER_CONFIG: else ~/.docker), then the system's roots]
    #[arg(long, global = true, value_name = "FILE")]
    pub tlscacert: Option<PathBuf>,
    /// Trust pinning file (notary's trust_pinning: certs, ca, disable_tofu) [default: none: the first root seen is trusted, as docker does]
    #[arg(long, global = true, value_name = "FILE", env = "TRUST_PINNING")]
    pub trust_pinning: Option<PathBuf>,
    /// Reuse a fetched timestamp for at most this many seconds, within the lifetime the
    /// server declares (notary-server: 300), instead of asking the server; a tag
    /// re-signed or revoked elsewhere is then seen up to this much later. 0 (the
    /// default) asks the server every time
    #[arg(long, global = true, value_name = "SECONDS", env = "TRUST_MAX_AGE", default_value_t = 0)]
    pub max_age: u64,
    /// When the trust server cannot be reached, answer from cached trust data that
    /// came from the same server (unexpired, every signature checked), with a warning
    #[arg(long, global = true, env = "TRUST_OFFLINE_OK", value_parser = clap::builder::BoolishValueParser::new())]
    pub offline_ok: bool,
    /// A registry to reach without TLS checks (repeatable; loopback registries always are)
    #[arg(long = "insecure-registry", global = true, value_name = "HOST[:PORT]")]
    pub insecure_registries: Vec<String>,
    /// CA bundle to trust for registries, added to $DOCKER_CONFIG/tls/<host:port>/ and
    /// /etc/docker/certs.d/<host:port>/ [default: those two, then the system's roots]
    #[arg(long, global = true, value_name = "FILE")]
    pub registry_ca: Option<PathBuf>,
    /// The most one request to a trust server, registry or token service may take, body
    /// included (a server that sends nothing, or too slowly, fails after it)
    #[arg(long, global = true, value_name = "SECONDS", env = "TRUST_TIMEOUT",
          default_value_t = trust_core::http::transfer::DEFAULT_DEADLINE.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// The lowest average rate a response body may arrive at once 10 s have passed
    /// (against drip-fed downloads); 0 turns the floor off
    #[arg(long, global = true, value_name = "BYTES_PER_SECOND", env = "TRUST_MIN_RATE",
          default_value_t = trust_core::http::transfer::DEFAULT_MIN_RATE)]
    pub min_rate: u64,
    /// FIPS mode: only approved algorithms [default: $TRUST_FIPS, else $DOCKER_FIPS, else
    /// /proc/sys/crypto/fips_enabled]
    #[arg(long, global = true)]
    pub fips: bool,
    /// Show only results and errors: no progress on a terminal
    #[arg(long, short, global = true, env = "TRUST_QUIET", value_parser = clap::builder::BoolishValueParser::new())]
    pub quiet: bool,
    /// Print what is done on standard error, one `debug:` line each: the settings in
    /// effect, every request to a trust server, registry, token service or Docker
    /// Engine (method, URL, status, bytes, time), cache decisions, the key files loaded
    /// and where their passphrases came from. Secrets (passphrases, tokens, passwords,
    /// authorization headers, key bytes) are never printed. Standard output is unchanged
    #[arg(long, short = 'D', global = true, env = "TRUST_DEBUG", value_parser = clap::builder::BoolishValueParser::new())]
    pub debug: bool,
}

impl Global {
    /// The core settings these flags describe.
    pub fn settings(&self) -> Settings {
        let environment = Settings::from_environment();
        Settings {
            server: self.server.clone(),
            trust_dir: self.trust_dir.clone(),
            ca_file: self.tlscacert.clone(),
            pinning_file: self.trust_pinning.clone(),
            insecure_registries: self.insecure_registries.clone(),
            registry_ca: self.registry_ca.clone(),
            timeout: Some(std::time::Duration::from_secs(self.timeout)),
            min_rate: Some(self.min_rate),
            client: ClientOptions {
                max_timestamp_age: std::time::Duration::from_secs(self.max_age),
                offline_ok: self.offline_ok,
                ..ClientOptions::default()
            },
            // The environment's FIPS mode was read once, above; `--fips` overrides it.
            fips: if self.fips { FipsMode::from_environment(Some(true)) } else { environment.fips },
            short_lived: true,
            ..environment
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Return low-level information about keys and signatures
    Inspect(InspectArgs),
    /// Verify a signed tag and print its digest
    Verify(VerifyArgs),
    /// Manage signing keys
    Key(crate::key::KeyArgs),
    /// Manage the signers of repositories
    #[command(subcommand)]
    Signer(SignerCommand),
    /// Sign image tags
    #[command(after_help = crate::help_text::PASSPHRASES)]
    Sign(SignArgs),
    /// Remove trust for an image
    #[command(after_help = crate::help_text::PASSPHRASES)]
    Revoke(RevokeArgs),
    /// Publish a signing request (trust sign --partial) once enough signers signed it
    #[command(after_help = crate::help_text::PASSPHRASES)]
    Publish(crate::cosign::PublishArgs),
    /// Pull a signed tag through the Docker Engine by its signed digest, then tag it (DOCKER_CONTENT_TRUST=1 docker pull)
    Pull(crate::pull::PullArgs),
    /// Work with trust-data bundles (see `trust export`)
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// Copy repositories' trust data to another store (notary-server, file remote or registry store), re-signing only what it requires
    #[command(after_help = crate::help_text::PASSPHRASES)]
    Copy(crate::copy::CopyArgs),
    /// Audit trust data and local keys: algorithms, key sizes, certificates, expiries, key-file encryption
    Audit(crate::audit::AuditArgs),
    /// Export repositories' verified trust data to a bundle (a directory or .tar/.tar.gz)
    Export(crate::export::ExportArgs),
    /// Keep timestamps fresh on stores no server re-signs them on (registry store, file remote)
    #[command(subcommand)]
    Timestamp(TimestampCommand),
    /// List the changes staged for publishing (what, which role, which tag)
    Status(crate::local::StatusArgs),
    /// Discard a repository's staged changes
    Reset(crate::local::ResetArgs),
    /// Forget a repository's local trust data (not keys); with --remote, delete it on the server too
    Delete(crate::local::DeleteArgs),
    /// Show the version, the crypto module and whether FIPS mode is on, and why
    Version,
    /// A client for TUF 1.0 repositories (python-tuf, go-tuf, Sigstore): init, refresh, download
    Tuf(crate::tuf::TufArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completion(crate::docs::CompletionArgs),
    /// Write the manual pages (for packagers)
    #[command(hide = true)]
    Man(crate::docs::ManArgs),
    /// Completion in cobra's protocol, for the Docker CLI's plugin completion
    #[command(name = "__complete", hide = true, disable_help_flag = true)]
    Complete(crate::cobra::CompleteArgs),
}

#[derive(Debug, Subcommand)]
pub enum SignerCommand {
    /// Add a signer
    #[command(after_help = crate::help_text::PASSPHRASES)]
    Add(SignerAddArgs),
    /// Remove a signer
    #[command(after_help = crate::help_text::PASSPHRASES)]
    Remove(SignerRemoveArgs),
}

#[derive(Debug, Subcommand)]
pub enum TimestampCommand {
    /// Re-sign the timestamp over the current snapshot (run from a scheduled job: a
    /// timestamp expires after its lifetime, and then verification fails)
    #[command(after_help = crate::help_text::PASSPHRASES)]
    Refresh(TimestampRefreshArgs),
}

#[derive(Debug, Args)]
pub struct TimestampRefreshArgs {
    /// How long the new timestamp stays valid: days, hours or minutes (14d, 36h, 90m);
    /// more than 1 hour, at most 365d
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = lifetime)]
    pub lifetime: chrono::Duration,
    /// Images whose repositories' timestamps to refresh
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
}

/// `--lifetime`, parsed and checked by trust-core.
fn lifetime(text: &str) -> Result<chrono::Duration, String> {
    trust_core::workflow::parse_lifetime(text).map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
pub struct SignerAddArgs {
    /// Path to the signer's public key file: PEM, as `trust key generate` writes it
    /// (repeatable; may be left out with --threshold, to change only the threshold)
    #[arg(long = "key", value_name = "PATH", required_unless_present = "threshold")]
    pub keys: Vec<PathBuf>,
    /// How many distinct keys of the role must sign each of its files (k-of-n; every
    /// reader, docker and notary included, enforces it): at least 1, at most the role's
    /// keys once --key ones are added
    #[arg(long, value_name = "K")]
    pub threshold: Option<u64>,
    /// The role --threshold is set on: `releases` (targets/releases, what docker pulls)
    /// or the signer's NAME (targets/NAME)
    #[arg(long, value_name = "ROLE", requires = "threshold")]
    pub threshold_role: Option<String>,
    /// The signer's name (lowercase letters and digits, then `-` or `_` too; not `releases`)
    pub name: String,
    /// Repositories to add the signer to
    #[arg(value_name = "REPOSITORY", required = true)]
    pub repositories: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SignerRemoveArgs {
    /// Do not prompt for confirmation before removing the most recent signer
    #[arg(long, short)]
    pub force: bool,
    /// The signer's name
    pub name: String,
    /// Repositories to remove the signer from
    #[arg(value_name = "REPOSITORY", required = true)]
    pub repositories: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// Sign this manifest digest (sha256:<hex>) instead of asking the registry
    #[arg(long, value_name = "DIGEST", requires = "size")]
    pub digest: Option<String>,
    /// The manifest's size in bytes, with --digest
    #[arg(long, value_name = "BYTES", requires = "digest")]
    pub size: Option<u64>,
    /// Sign the tags listed in FILE (`-`: standard input) of the one IMAGE given
    /// (no tag), in one publish, without asking the registry. One tag a line:
    /// `TAG DIGEST SIZE` (digest sha256:<64 lowercase hex>, size in bytes); blank
    /// lines and lines starting with `#` are ignored; a tag may be listed once. A bad
    /// line is an error naming the line (exit 2), and then nothing is signed
    #[arg(long, value_name = "FILE", conflicts_with_all = ["digest", "size"])]
    pub digests: Option<PathBuf>,
    /// Push the image IMAGE:TAG the Docker Engine has (-H/DOCKER_HOST, else the current
    /// docker context) to its registry, then sign the digest the push reports (one IMAGE:TAG)
    #[arg(long, conflicts_with_all = ["digest", "size", "digests"])]
    pub local: bool,
    /// Sign one IMAGE:TAG into a role that needs more signers (k-of-n) without
    /// publishing: write a signing request to --out for the others' `trust sign
    /// --add-signature`, then `trust publish`
    #[arg(long, requires = "out", conflicts_with_all = ["digests", "local"])]
    pub partial: bool,
    /// Where --partial writes the signing request (atomically)
    #[arg(long, value_name = "REQUEST", requires = "partial")]
    pub out: Option<PathBuf>,
    /// The role --partial signs into: `releases` (the default) or a signer's NAME
    #[arg(long, value_name = "ROLE", requires = "partial")]
    pub role: Option<String>,
    /// Check the signing request REQUEST against the server's current trust data, show
    /// what it signs, and add this trust directory's signature to it
    #[arg(long, value_name = "REQUEST", conflicts_with_all = ["partial", "digest", "size", "digests", "local"])]
    pub add_signature: Option<PathBuf>,
    /// With --add-signature: do not ask before signing
    #[arg(long, short, requires = "add_signature")]
    pub yes: bool,
    /// Images to sign, in one publish per repository (with --digest: each tag gets that
    /// digest; with --digests: one IMAGE, no tag)
    #[arg(value_name = "IMAGE:TAG", required_unless_present = "add_signature")]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Do not prompt for confirmation
    #[arg(long, short)]
    pub yes: bool,
    /// Image to revoke (every signed tag when no tag is given)
    #[arg(value_name = "IMAGE[:TAG]")]
    pub image: String,
}

/// Where `inspect` and `verify` read trust data from, instead of a trust server.
#[derive(Debug, Args)]
pub struct BundleSource {
    /// Verify from this bundle (a directory or .tar/.tar.gz that `trust export` wrote)
    /// instead of a trust server: no network, nothing cached
    #[arg(long, value_name = "BUNDLE", env = "TRUST_BUNDLE", conflicts_with = "server")]
    pub bundle: Option<PathBuf>,
    /// With --bundle: check expiry as of the bundle's export time instead of now (a
    /// revocation after the export is then not seen)
    #[arg(long, env = "TRUST_FROZEN", requires = "bundle", value_parser = clap::builder::BoolishValueParser::new())]
    pub frozen: bool,
}

impl BundleSource {
    /// `settings` reading from the bundle, when one is named.
    pub fn apply(&self, settings: &Settings) -> Settings {
        Settings { bundle: self.bundle.clone(), frozen: self.frozen, ..settings.clone() }
    }
}

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Replace an installed bundle with a newer one, if its roots chain from the
    /// installed ones, no role's version went down and it verifies in full
    Update(BundleUpdateArgs),
}

#[derive(Debug, Args)]
pub struct BundleUpdateArgs {
    /// Check the new bundle's expiry as of its export time instead of now
    #[arg(long, env = "TRUST_FROZEN", value_parser = clap::builder::BoolishValueParser::new())]
    pub frozen: bool,
    /// The installed bundle (directory or archive), replaced in its own form
    #[arg(value_name = "BUNDLE")]
    pub installed: PathBuf,
    /// The newer bundle
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub source: BundleSource,
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
    #[command(flatten)]
    pub source: BundleSource,
    /// Output format
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Image to verify (the tag defaults to `latest`; with @sha256:…, the signed digest must match)
    #[arg(value_name = "IMAGE[:TAG][@DIGEST]")]
    pub image: String,
}
