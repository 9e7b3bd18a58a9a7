//! The passphrase of a file remote's own snapshot and timestamp keys
//! ([`crate::publish::file_store`]) when the environment does not give it: asked on
//! the terminal before a publish does anything, twice for keys still to be made,
//! once (and checked against the keys) for keys that exist.

use zeroize::Zeroizing;

use super::passphrase::{MIN_PASSPHRASE_LEN, Prompter, trimmed};
use crate::{Error, Result};

/// The variables that hold the file remote's passphrase, in the order they are read.
pub const SERVER_PASSPHRASE_VARS: [&str; 2] = ["TRUST_SERVER_PASSPHRASE", "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"];

/// What the terminal shows when asking for the file remote's passphrase.
pub const SERVER_PASSPHRASE_PROMPT: &str = "Enter passphrase for the file remote's snapshot and timestamp keys: ";

/// What the terminal shows when asking for it again (keys still to be made).
const REPEAT_PROMPT: &str = "Repeat passphrase for the file remote's snapshot and timestamp keys: ";

/// How many times the prompt asks before giving up (as for the keystore's keys).
const ATTEMPTS: u32 = 3;

/// Whether the file remote's keys exist yet, and how to check a passphrase against them.
pub enum ServerKeys<'a> {
    /// No keys yet: the passphrase will encrypt new ones.
    New,
    /// Keys exist: the function says whether a passphrase decrypts them.
    Existing(&'a dyn Fn(&str) -> Result<bool>),
}

/// The passphrase for the file remote at `url`, asked on `prompter`. Without a
/// terminal, the error names the variables to set (and, with `terminal_hint`, says a
/// terminal would be asked).
pub fn ask_server_passphrase(
    url: &str,
    keys: ServerKeys<'_>,
    prompter: &dyn Prompter,
    terminal_hint: bool,
) -> Result<Zeroizing<String>> {
    if !prompter.is_interactive() {
        let or_terminal = if terminal_hint { ", or run in a terminal to be asked for it" } else { "" };
        let [first, second] = SERVER_PASSPHRASE_VARS;
        return Err(Error::Key(format!(
            "the file remote {url} signs snapshot and timestamp with its own keys, which need a passphrase: \
             set {first} (or {second}){or_terminal}"
        )));
    }
    for attempt in 0..ATTEMPTS {
        let typed = trimmed(prompter.read_hidden(SERVER_PASSPHRASE_PROMPT)?);
        match keys {
            ServerKeys::Existing(check) => {
                if check(&typed)? {
                    return Ok(typed);
                }
                if attempt + 1 < ATTEMPTS {
                    prompter.message("Passphrase incorrect. Please retry.");
                }
            }
            ServerKeys::New => {
                if typed.chars().count() < MIN_PASSPHRASE_LEN {
                    prompter.message(&format!(
                        "Passphrase is too short: use at least {MIN_PASSPHRASE_LEN} characters (a password manager can make and keep a good one)."
                    ));
                    continue;
                }
                if *trimmed(prompter.read_hidden(REPEAT_PROMPT)?) != *typed {
                    prompter.message("Passphrases do not match. Please retry.");
                    continue;
                }
                return Ok(typed);
            }
        }
    }
    Err(Error::Key(match keys {
        ServerKeys::New => format!("no passphrase chosen for the file remote {url}'s new keys: too many attempts"),
        ServerKeys::Existing(_) => format!(
            "wrong passphrase for the file remote {url}'s snapshot and timestamp keys (or damaged key files): too many attempts"
        ),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Answers from a list and records what was shown.
    struct Script {
        answers: Mutex<Vec<&'static str>>,
        shown: Mutex<Vec<String>>,
        interactive: bool,
    }

    impl Script {
        fn new(answers: &[&'static str]) -> Self {
            let mut answers = answers.to_vec();
            answers.reverse();
            Script { answers: Mutex::new(answers), shown: Mutex::new(Vec::new()), interactive: true }
        }
        fn shown(&self) -> Vec<String> {
            self.shown.lock().unwrap().clone()
        }
    }

    impl Prompter for Script {
        fn is_interactive(&self) -> bool {
            self.interactive
        }
        fn read_hidden(&self, prompt: &str) -> Result<Zeroizing<String>> {
            self.shown.lock().unwrap().push(prompt.to_owned());
            Ok(Zeroizing::new(self.answers.lock().unwrap().pop().unwrap_or_default().to_owned()))
        }
        fn message(&self, text: &str) {
            self.shown.lock().unwrap().push(text.to_owned());
        }
    }

    #[test]
    fn new_keys_ask_twice() {
        let script = Script::new(&["short", "long enough", "other one", "long enough", "long enough"]);
        let got = ask_server_passphrase("file:///d", ServerKeys::New, &script, true).unwrap();
        assert_eq!(*got, "long enough");
        let shown = script.shown();
        assert_eq!(shown[0], SERVER_PASSPHRASE_PROMPT);
        assert!(shown[1].starts_with("Passphrase is too short"));
        assert_eq!(shown[3], REPEAT_PROMPT);
        assert_eq!(shown[4], "Passphrases do not match. Please retry.");
        assert_eq!(shown.len(), 7);
    }

    #[test]
    fn existing_keys_ask_once_and_check() {
        let check = |p: &str| Ok(p == "right one");
        let script = Script::new(&["wrong", "right one"]);
        let got = ask_server_passphrase("file:///d", ServerKeys::Existing(&check), &script, true).unwrap();
        assert_eq!(*got, "right one");
        assert_eq!(
            script.shown(),
            [SERVER_PASSPHRASE_PROMPT, "Passphrase incorrect. Please retry.", SERVER_PASSPHRASE_PROMPT]
        );
        let script = Script::new(&["a", "b", "c"]);
        let err = ask_server_passphrase("file:///d", ServerKeys::Existing(&check), &script, true).unwrap_err();
        assert!(err.to_string().contains("too many attempts"), "{err}");
    }

    #[test]
    fn without_a_terminal_the_variables_are_named() {
        let mut script = Script::new(&[]);
        script.interactive = false;
        let err = ask_server_passphrase("file:///d", ServerKeys::New, &script, true).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Key);
        assert_eq!(
            err.to_string(),
            "the file remote file:///d signs snapshot and timestamp with its own keys, which need a passphrase: \
             set TRUST_SERVER_PASSPHRASE (or DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE), or run in a terminal to be asked for it"
        );
        assert!(script.shown().is_empty());
    }
}
