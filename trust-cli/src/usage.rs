//! Parsing the command line, with usage errors a docker or notary user can act on: a
//! flag of `docker`, `docker trust` or `notary` that `trust` does not take is answered
//! with what to do instead, and clap's "use `-- --flag`" tip (which would pass the
//! flag as an image name) is left out.

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, FromArgMatches};

use crate::args::Cli;

/// What to do instead of a flag that docker or notary take and `trust` does not.
const INSTEAD: &[(&[&str], &str)] = &[
    (
        &["--config"],
        "is docker's: set DOCKER_CONFIG=DIR instead (trust reads its trust dir, credentials and certificates there), or give --trust-dir DIR",
    ),
    (
        &["-H", "--host", "--context", "--tls", "--tlsverify", "--tlscert", "--tlskey"],
        "is docker's option for reaching the Docker engine; only `trust pull` and `trust sign --local` use one, and they read DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH or the current docker context: set those instead (through docker, put the option before the plugin's name: `docker -H HOST trust …`)",
    ),
    (&["-l", "--log-level"], "is docker's: leave it out (trust prints errors on stderr)"),
    (
        &["--disable-content-trust"],
        "is docker's switch to skip verification; trust always verifies: run the docker command itself to skip it",
    ),
    (&["-s"], "is notary's --server: give --server URL"),
    (&["-d", "--trustDir", "--trustdir"], "is notary's trust directory: give --trust-dir DIR"),
    (
        &["-c", "--configFile"],
        "is docker's --context or notary's --configFile; trust reads neither: give --server URL, --trust-dir DIR and --tlscacert FILE",
    ),
    (
        &["--rootkey"],
        "is notary's: import the root key with `trust key load --name root FILE` first; trust uses the keys in the trust dir",
    ),
];

/// The parsed command line, or the process ends with a usage error (exit 2), help or
/// the version, as clap does.
pub fn parse<I, T>(args: I) -> Cli
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut command = Cli::command();
    let parsed = command.try_get_matches_from_mut(args).and_then(|mut m| Cli::from_arg_matches_mut(&mut m));
    match parsed {
        Ok(cli) => cli,
        Err(error) => {
            let error = error.format(&mut command);
            if error.kind() != ErrorKind::UnknownArgument {
                error.exit();
            }
            eprint!("{}", unknown_argument(&error));
            std::process::exit(crate::exit::Code::Usage.code().into());
        }
    }
}

/// The message for an unknown argument: what to do instead for a known foreign flag,
/// else clap's message without the `-- --flag` tip.
fn unknown_argument(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let usage = rendered.find("Usage:").map(|at| &rendered[at..]).unwrap_or_default();
    let typed = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => arg.clone(),
        _ => String::new(),
    };
    let flag = typed.split('=').next().unwrap_or_default();
    match INSTEAD.iter().find(|(flags, _)| flags.contains(&flag)) {
        Some((_, instead)) => format!("error: {flag} {instead}\n\n{usage}"),
        None => {
            let mut kept = Vec::new();
            let mut lines = rendered.lines().peekable();
            while let Some(line) = lines.next() {
                if line.trim_start().starts_with("tip: to pass '") {
                    // The tip and the blank line after it.
                    if lines.peek().is_some_and(|next| next.is_empty()) {
                        lines.next();
                    }
                    continue;
                }
                kept.push(line);
            }
            kept.join("\n") + "\n"
        }
    }
}
