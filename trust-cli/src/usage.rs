//! Parsing the command line, with usage errors a docker or notary user can act on: a
//! flag of `docker`, `docker trust` or `notary` that `trust` does not take is answered
//! with what to do instead, and clap's "use `-- --flag`" tip (which would pass the
//! flag as an image name) is left out.

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory, FromArgMatches};

use crate::args::{Cli, Global, VerifyArgs};

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
pub fn parse(args: Vec<OsString>) -> Cli {
    if let Some(cli) = parse_verify(&args) {
        return cli;
    }
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

/// `trust … verify …` parsed by a command that holds only `verify` and the global
/// options: building every verb's arguments is most of what clap spends, and a one-tag
/// lookup is the command a pipeline runs most. Only a line this command parses as
/// `verify` is taken, and it has the same options and `verify` arguments as the whole
/// command, so it parses the same; anything else (help, the version, a usage error,
/// another verb) is left to the whole command, so what a user sees is unchanged.
fn parse_verify(args: &[OsString]) -> Option<Cli> {
    if !args.iter().skip(1).any(|arg| arg == "verify") {
        return None;
    }
    let verify = VerifyArgs::augment_args(clap::Command::new("verify"));
    let command = Global::augment_args(clap::Command::new("trust")).subcommand(verify);
    let mut matches = command.try_get_matches_from(args).ok()?;
    if matches.subcommand_name() != Some("verify") {
        return None;
    }
    Cli::from_arg_matches_mut(&mut matches).ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(args: &[&str]) -> Result<String, clap::error::ErrorKind> {
        let mut command = Cli::command();
        command
            .try_get_matches_from_mut(args)
            .and_then(|mut m| Cli::from_arg_matches_mut(&mut m))
            .map(|cli| format!("{cli:?}"))
            .map_err(|e| e.kind())
    }

    fn pruned(args: &[&str]) -> Option<String> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        parse_verify(&args).map(|cli| format!("{cli:?}"))
    }

    #[test]
    fn verify_parses_as_the_whole_command_parses_it() {
        for args in [
            &["trust", "verify", "example.com/app:v1"][..],
            &["trust", "--server", "https://notary.example", "verify", "-o", "json", "example.com/app"],
            &["trust", "verify", "--trust-dir", "/tmp/t", "--max-age", "30", "example.com/app@sha256:00"],
            &["trust", "-q", "--tlscacert", "ca.crt", "verify", "--bundle", "b.tar.gz", "app:v1"],
            &["trust", "--server", "verify", "verify", "app"],
            &["trust", "verify", "verify"],
        ] {
            assert_eq!(pruned(args), Some(whole(args).unwrap()), "{args:?}");
        }
    }

    #[test]
    fn anything_but_a_verify_line_is_left_to_the_whole_command() {
        for args in [
            &["trust", "inspect", "verify"][..],
            &["trust", "verify", "--help"],
            &["trust", "--version", "verify"],
            &["trust", "verify"],
            &["trust", "verify", "--no-such-flag", "app"],
            &["trust", "verify", "a", "b"],
            &["trust", "--server", "inspect", "inspect", "verify"],
        ] {
            assert_eq!(pruned(args), None, "{args:?}");
        }
    }
}
