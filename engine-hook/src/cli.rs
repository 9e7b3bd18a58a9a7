//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use engine_hook::log::LogFilter;

/// The default policy file.
pub const DEFAULT_POLICY: &str = "/etc/trust-engine-hook/policy.json";
/// The default plugin socket (`dockerd --authorization-plugin=trust-engine-hook`).
pub const DEFAULT_SOCKET: &str = "/run/docker/plugins/trust-engine-hook.sock";

/// Docker Content Trust enforced by the engine: a Docker authorization plugin and a
/// containerd image verifier.
#[derive(Debug, Parser)]
#[command(name = "trust-engine-hook", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

const AFTER_HELP: &str = "\
Exit codes: 0 allowed / success, 1 denied, 2 invalid arguments or policy, 3 the server could not run.
As a containerd verifier, link the binary into containerd's bin_dir: called with -name, -digest and
-stdin-media-type (and no subcommand) it runs `containerd-verifier` with the policy from
$TRUST_ENGINE_HOOK_POLICY, else /etc/trust-engine-hook/policy.json.";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the authorization plugin on a unix socket
    Serve(ServeArgs),
    /// Validate a policy file and print a summary
    CheckPolicy {
        /// The policy: a daemon.json with a "content-trust" section, or the section alone
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print the decision for pulling (or running) an image, and why
    Explain(ExplainArgs),
    /// Run as a containerd image verifier: -name REF -digest sha256:… -stdin-media-type MT
    #[command(disable_help_flag = true)]
    ContainerdVerifier {
        /// containerd's flags (single dash, Go style) and --policy, --trust-dir, --tlscacert, --log, --timeout, --min-rate, --deadline
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0.., value_name = "FLAGS")]
        args: Vec<String>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completion {
        /// The shell to print the completion script for
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (for packagers): trust-engine-hook.8 and one per subcommand
    #[command(hide = true)]
    Man {
        /// Directory to write the pages in; created if missing
        #[arg(long = "out", value_name = "DIR")]
        out: PathBuf,
    },
}

/// How trust data is fetched.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// The policy file (a daemon.json with a "content-trust" section, or the section alone)
    #[arg(long, value_name = "FILE", env = "TRUST_ENGINE_HOOK_POLICY", default_value = DEFAULT_POLICY)]
    pub policy: PathBuf,
    /// Where trust data is cached
    #[arg(long, value_name = "DIR", env = "TRUST_ENGINE_HOOK_TRUST_DIR", default_value = engine_hook::verify::DEFAULT_TRUST_DIR)]
    pub trust_dir: PathBuf,
    /// CA bundle to trust for trust servers [default: $DOCKER_CONFIG/tls/<host:port>/*.crt
    /// (DOCKER_CONFIG: else ~/.docker), then the system's roots]
    #[arg(long, value_name = "FILE")]
    pub tlscacert: Option<PathBuf>,
    /// Deadline of each request to a trust server, body included, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub timeout: u64,
    /// Lowest average rate a response body may arrive at once 10 s have passed (against
    /// drip-fed downloads); 0 turns the floor off
    #[arg(long, value_name = "BYTES_PER_SECOND", default_value_t = trust_core::http::transfer::DEFAULT_MIN_RATE)]
    pub min_rate: u64,
    /// Longest one whole verification may take before the request is denied, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = engine_hook::verify::DEFAULT_DEADLINE.as_secs())]
    pub deadline: u64,
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub trust: TrustArgs,
    /// The plugin socket; dockerd finds /run/docker/plugins/NAME.sock for --authorization-plugin=NAME
    #[arg(long, value_name = "PATH", default_value = DEFAULT_SOCKET)]
    pub socket: PathBuf,
    /// The engine API socket, for the RepoDigests of local images
    #[arg(long, value_name = "PATH", default_value = engine_hook::engine::DEFAULT_ENGINE_SOCKET)]
    pub engine_socket: PathBuf,
    /// Keep verification results at most this long (never past the trust data's expiry); 0 disables
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub cache_ttl: u64,
    /// Append decision lines to FILE instead of stdout (reopened on SIGHUP)
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Which decisions to log
    #[arg(long, value_enum, value_name = "WHICH", default_value = "all")]
    pub log_filter: LogFilter,
    /// Most connections served at once
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_connections: usize,
}

/// `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Explain `docker run IMAGE` (the local image's RepoDigests, from the engine) instead of `docker pull IMAGE`
    #[arg(long)]
    pub run: bool,
    /// The engine API socket (with --run)
    #[arg(long, value_name = "PATH", default_value = engine_hook::engine::DEFAULT_ENGINE_SOCKET)]
    pub engine_socket: PathBuf,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// The image, as given to docker pull or docker run
    #[arg(value_name = "IMAGE")]
    pub image: String,
}
