//! Help text several commands share: where key passphrases come from, the environment
//! `trust` reads, and (from [`crate::exit`]) the exit codes.

/// Where key passphrases come from: shown by every command that creates, decrypts or
/// signs with a key.
pub const PASSPHRASES: &str = "\
Passphrases (asked on a terminal when not set; a new key's twice, 8 characters or more):
  DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE        the root key's
  DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE  every other key's: targets, signers, delegations
  NOTARY_ROOT_PASSPHRASE, NOTARY_TARGETS_PASSPHRASE, NOTARY_SNAPSHOT_PASSPHRASE,
  NOTARY_DELEGATION_PASSPHRASE                notary's names, read after docker's
  TRUST_SERVER_PASSPHRASE                     a file remote's snapshot and timestamp keys
                                              [default: DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE]
  `trust key --keyring`                       keep them in the OS keyring instead
Keys on PKCS#11 tokens (`trust key generate|load --pkcs11 URI`): the token's user PIN comes
from the URI's pin-source file, TRUST_PKCS11_PIN, the OS keyring (--keyring) or a prompt;
a PIN the token refuses is exit 5 with the token's code (CKR_PIN_INCORRECT).";

/// The environment `trust` reads besides its options' own variables.
const ENVIRONMENT: &str = "\
Environment (an option marked [env: …] reads that variable when it is not given):
  DOCKER_CONTENT_TRUST_SERVER  the trust server, when --server is not given
  DOCKER_CONFIG                the directory of trust/, config.json (registry credentials) and
                               tls/<host:port>/ (CA files) [default: ~/.docker]
  DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, DOCKER_CONTEXT
                               the Docker Engine `trust pull` and `trust sign --local` use
  TRUST_FIPS, DOCKER_FIPS      FIPS mode (1 or 0), when --fips is not given
  key passphrases              see `trust sign --help`";

/// The top-level help's closing text: the environment, then the exit codes.
pub fn top() -> String {
    format!("{ENVIRONMENT}\n\n{}", crate::exit::help())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use crate::args::Cli;

    /// Every visible command, with its path (`trust key generate`).
    fn commands() -> Vec<(String, clap::Command)> {
        fn walk(path: String, cmd: &clap::Command, out: &mut Vec<(String, clap::Command)>) {
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
                walk(format!("{path} {}", sub.get_name()), sub, out);
            }
            out.push((path, cmd.clone()));
        }
        let mut out = Vec::new();
        let mut cli = Cli::command();
        cli.build();
        walk("trust".into(), &cli, &mut out);
        out
    }

    #[test]
    fn every_visible_option_and_argument_says_what_it_does() {
        for (path, cmd) in commands() {
            assert!(cmd.get_about().is_some_and(|a| !a.to_string().is_empty()), "`{path}` has no description");
            for arg in
                cmd.get_arguments().filter(|a| !a.is_hide_set() && !["help", "version"].contains(&a.get_id().as_str()))
            {
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                assert!(help.len() > 10, "`{path}`: {} has no help", arg.get_id());
            }
        }
    }

    #[test]
    fn commands_that_use_keys_say_where_passphrases_come_from() {
        let keyed = [
            "trust sign",
            "trust revoke",
            "trust signer add",
            "trust signer remove",
            "trust key generate",
            "trust key load",
            "trust key rotate",
            "trust key passwd",
            "trust timestamp refresh",
            "trust copy",
        ];
        let all = commands();
        for path in keyed {
            let (_, cmd) = all.iter().find(|(p, _)| p == path).unwrap_or_else(|| panic!("no command {path}"));
            let help = cmd.clone().render_help().to_string();
            assert!(help.contains("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"), "{path}:\n{help}");
            assert!(help.contains("TRUST_SERVER_PASSPHRASE"), "{path}:\n{help}");
        }
        let top = all.iter().find(|(p, _)| p == "trust").map(|(_, c)| c.clone().render_help().to_string());
        let top = top.unwrap_or_default();
        for variable in ["DOCKER_CONTENT_TRUST_SERVER", "DOCKER_CONFIG", "DOCKER_HOST", "TRUST_FIPS", "Exit codes:"] {
            assert!(top.contains(variable), "trust --help lacks {variable}:\n{top}");
        }
    }
}
