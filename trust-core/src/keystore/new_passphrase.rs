//! Where the new passphrase of `trust key passwd` comes from: `TRUST_NEW_PASSPHRASE`,
//! else a prompt on a terminal, asked twice (the old passphrase comes from the usual
//! [`super::DockerPassphrases`], whose variables would otherwise give the old one again).

use zeroize::Zeroizing;

use super::passphrase::{DockerPassphrases, MIN_PASSPHRASE_LEN, PassphraseSource, Prompter, TerminalPrompter};
use crate::{Error, Result};

/// The variable that holds the new passphrase for a non-interactive `trust key passwd`.
pub const NEW_PASSPHRASE_VAR: &str = "TRUST_NEW_PASSPHRASE";

/// A new passphrase: [`NEW_PASSPHRASE_VAR`], else asked twice on the terminal.
pub struct NewPassphrase {
    env: Option<Zeroizing<String>>,
    prompter: Box<dyn Prompter + Send + Sync>,
}

impl std::fmt::Debug for NewPassphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassphrase(..)")
    }
}

impl NewPassphrase {
    /// From the process environment and terminal.
    pub fn from_environment() -> Self {
        let env = std::env::var(NEW_PASSPHRASE_VAR).ok().filter(|v| !v.is_empty()).map(Zeroizing::new);
        NewPassphrase { env, prompter: Box::new(TerminalPrompter) }
    }
}

impl PassphraseSource for NewPassphrase {
    fn get(&self, alias: &str, key_id: &str, _create_new: bool, attempt: u32) -> Result<Zeroizing<String>> {
        if attempt > 0 {
            return Err(Error::Key("the new passphrase was refused".into()));
        }
        if let Some(value) = &self.env {
            if value.chars().count() < MIN_PASSPHRASE_LEN {
                return Err(Error::Key(format!(
                    "the passphrase in {NEW_PASSPHRASE_VAR} is too short: use at least {MIN_PASSPHRASE_LEN} characters"
                )));
            }
            return Ok(value.clone());
        }
        if !self.prompter.is_interactive() {
            return Err(Error::Key(format!(
                "no new passphrase: set {NEW_PASSPHRASE_VAR}, or run in a terminal to be asked for it"
            )));
        }
        // The terminal prompt for a new key: twice, at least 8 characters.
        DockerPassphrases::new().with_env(|_| None).get(alias, key_id, true, 0)
    }
}
