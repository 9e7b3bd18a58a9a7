//! Where key passphrases come from.
//!
//! A [`PassphraseSource`] is asked for the passphrase of one key at a time, the way
//! notary's `PassRetriever` is: with the key's alias (its PEM `role`: `root`, `targets`,
//! `snapshot`, or a signer or delegation name), its ID, whether the key is new, and how
//! many attempts have failed so far. It answers with a passphrase or an error, which
//! ends the attempts.
//!
//! [`DockerPassphrases`] implements docker's and notary's rules, in this order:
//!
//! 1. the OS keyring, when enabled ([`DockerPassphrases::with_keyring`]), for existing keys;
//! 2. a passphrase already entered for the same alias in this process;
//! 3. the environment: `DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE` for `root`,
//!    `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE` for every other alias; then notary's
//!    `NOTARY_ROOT_PASSPHRASE`, `NOTARY_TARGETS_PASSPHRASE`, `NOTARY_SNAPSHOT_PASSPHRASE`,
//!    and `NOTARY_DELEGATION_PASSPHRASE` for aliases that are not base roles. Empty
//!    values count as unset. A value from the environment is tried once;
//! 4. a no-echo prompt when stdin is a terminal, three attempts, with confirmation and
//!    at least 8 characters for new keys.
//!
//! With none of these, the error names the variables to set.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::sync::Mutex;

use zeroize::Zeroizing;

use super::keyring::SecretStore;
use crate::{Error, Result};

/// The shortest passphrase accepted for a new key (notary's rule).
pub const MIN_PASSPHRASE_LEN: usize = 8;

/// How many times a prompt asks before giving up (notary's rule).
const PROMPT_ATTEMPTS: u32 = 3;

/// Supplies passphrases for keys.
pub trait PassphraseSource {
    /// The passphrase for the key `key_id` (its canonical ID, or empty when not known)
    /// with alias `alias` (the PEM `role`; `encrypted` for a file being imported).
    /// `create_new` is true when a new key file will be encrypted with it. `attempt`
    /// counts the passphrases for this key that already failed. An error ends the
    /// attempts; it must say what to do.
    fn get(&self, alias: &str, key_id: &str, create_new: bool, attempt: u32) -> Result<Zeroizing<String>>;

    /// Called once `passphrase` has decrypted (or encrypted) the key `key_id`, so a
    /// source can remember it. The default does nothing.
    fn remember(&self, alias: &str, key_id: &str, passphrase: &str) {
        let _ = (alias, key_id, passphrase);
    }

    /// The user PIN of the PKCS#11 token labelled `token`. The default reads
    /// `TRUST_PKCS11_PIN` from the process environment.
    fn pkcs11_pin(&self, token: &str) -> Result<Zeroizing<String>> {
        match std::env::var(super::pkcs11::PIN_VAR) {
            Ok(pin) if !pin.is_empty() => Ok(Zeroizing::new(pin)),
            _ => Err(no_pin(token, false)),
        }
    }

    /// Called once the token labelled `token` accepted `pin`. The default does nothing.
    fn remember_pkcs11_pin(&self, token: &str, pin: &str) {
        let _ = (token, pin);
    }
}

/// The error when no PIN is at hand for `token`.
fn no_pin(token: &str, terminal_hint: bool) -> Error {
    let or_terminal = if terminal_hint { ", or run in a terminal to be asked for it" } else { "" };
    Error::Key(format!(
        "no PIN for the PKCS#11 token {token:?}: set {} (or pin-source= in the URI, or --keyring){or_terminal}",
        super::pkcs11::PIN_VAR
    ))
}

/// The keyring entry of a token's PIN (passphrases are kept under key IDs).
fn pin_entry(token: &str) -> String {
    format!("pkcs11-pin:{token}")
}

/// Always the same passphrase (for tests, and for callers that already have it). It is
/// tried once; a second attempt is an error.
pub struct ConstantPassphrase(Zeroizing<String>);

impl ConstantPassphrase {
    /// A source that answers `passphrase`.
    pub fn new(passphrase: &str) -> Self {
        ConstantPassphrase(Zeroizing::new(passphrase.to_owned()))
    }
}

impl std::fmt::Debug for ConstantPassphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConstantPassphrase(..)")
    }
}

impl PassphraseSource for ConstantPassphrase {
    fn get(&self, alias: &str, key_id: &str, _create_new: bool, attempt: u32) -> Result<Zeroizing<String>> {
        if attempt > 0 {
            return Err(Error::Key(format!(
                "wrong passphrase for the {} (or a damaged key file)",
                describe(alias, key_id)
            )));
        }
        Ok(self.0.clone())
    }
}

/// A terminal to ask for passphrases on.
pub trait Prompter {
    /// True if the user can be asked (stdin is a terminal).
    fn is_interactive(&self) -> bool;
    /// Shows `prompt` and reads one line without echo.
    fn read_hidden(&self, prompt: &str) -> Result<Zeroizing<String>>;
    /// Shows a line of text to the user.
    fn message(&self, text: &str);
}

/// The process's terminal: prompts and reads on the controlling terminal without echo
/// (stdin must be a terminal), messages go to stderr.
#[derive(Debug, Default, Clone, Copy)]
pub struct TerminalPrompter;

impl Prompter for TerminalPrompter {
    fn is_interactive(&self) -> bool {
        std::io::stdin().is_terminal()
    }

    fn read_hidden(&self, prompt: &str) -> Result<Zeroizing<String>> {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| Error::Key(format!("cannot read a passphrase from the terminal: {e}")))
    }

    fn message(&self, text: &str) {
        eprintln!("{text}");
    }
}

/// Looks up an environment variable.
pub type EnvLookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Docker's and notary's passphrase rules (see the module documentation).
pub struct DockerPassphrases {
    env: EnvLookup,
    prompter: Box<dyn Prompter + Send + Sync>,
    keyring: Option<Box<dyn SecretStore + Send + Sync>>,
    /// Passphrases that worked, by alias (notary caches prompted ones the same way).
    cache: Mutex<HashMap<String, Zeroizing<String>>>,
    /// Whether a missing passphrase's error suggests running in a terminal (not for a
    /// library caller, whose user may have no terminal to run in).
    terminal_hint: bool,
}

impl std::fmt::Debug for DockerPassphrases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerPassphrases").field("keyring", &self.keyring.is_some()).finish_non_exhaustive()
    }
}

impl Default for DockerPassphrases {
    fn default() -> Self {
        Self::new()
    }
}

/// Every passphrase variable docker and notary read.
pub const PASSPHRASE_VARS: [&str; 6] = [
    "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE",
    "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE",
    "NOTARY_ROOT_PASSPHRASE",
    "NOTARY_TARGETS_PASSPHRASE",
    "NOTARY_SNAPSHOT_PASSPHRASE",
    "NOTARY_DELEGATION_PASSPHRASE",
];

/// The environment variables that hold the passphrase for `alias`, in the order they
/// are read: docker's first, then notary's.
pub fn env_vars_for(alias: &str) -> &'static [&'static str] {
    const DOCKER_REPO: &str = "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE";
    match alias {
        "root" => &["DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", "NOTARY_ROOT_PASSPHRASE"],
        "targets" => &[DOCKER_REPO, "NOTARY_TARGETS_PASSPHRASE"],
        "snapshot" => &[DOCKER_REPO, "NOTARY_SNAPSHOT_PASSPHRASE"],
        "timestamp" => &[DOCKER_REPO],
        _ => &[DOCKER_REPO, "NOTARY_DELEGATION_PASSPHRASE"],
    }
}

/// `root key 1a2b3c4`, `repository key 1a2b3c4`, `encrypted key`: how errors name a key.
fn describe(alias: &str, key_id: &str) -> String {
    let short: String = key_id.chars().take(7).collect();
    if short.is_empty() { format!("{alias} key") } else { format!("{alias} key {short}") }
}

/// The alias docker shows in prompts (`targets` and `snapshot` keys are "repository" keys).
fn display_alias(alias: &str) -> &str {
    match alias {
        "targets" | "snapshot" => "repository",
        other => other,
    }
}

impl DockerPassphrases {
    /// Rules over the process environment and terminal, without the keyring.
    pub fn new() -> Self {
        DockerPassphrases {
            env: Box::new(|name| std::env::var(name).ok()),
            prompter: Box::new(TerminalPrompter),
            keyring: None,
            cache: Mutex::new(HashMap::new()),
            terminal_hint: true,
        }
    }

    /// A missing passphrase's error names the environment variables only, without
    /// "or run in a terminal" (for library callers such as the bindings).
    pub fn without_terminal_hint(mut self) -> Self {
        self.terminal_hint = false;
        self
    }

    /// Reads environment variables through `lookup` instead of the process environment.
    pub fn with_env(mut self, lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.env = Box::new(lookup);
        self
    }

    /// Prompts on `prompter` instead of the terminal.
    pub fn with_prompter(mut self, prompter: impl Prompter + Send + Sync + 'static) -> Self {
        self.prompter = Box::new(prompter);
        self
    }

    /// Looks passphrases up in `store` first, and stores the ones entered at a prompt.
    pub fn with_keyring(mut self, store: impl SecretStore + Send + Sync + 'static) -> Self {
        self.keyring = Some(Box::new(store));
        self
    }

    /// The first non-empty variable for `alias`: `(name, value)`.
    fn env_passphrase(&self, alias: &str) -> Option<(&'static str, Zeroizing<String>)> {
        env_vars_for(alias).iter().find_map(|&name| {
            let value = Zeroizing::new((self.env)(name)?);
            (!value.is_empty()).then_some((name, value))
        })
    }

    fn cached(&self, alias: &str) -> Option<Zeroizing<String>> {
        self.cache.lock().ok()?.get(alias).cloned()
    }

    fn keyring_passphrase(&self, key_id: &str) -> Option<Zeroizing<String>> {
        let store = self.keyring.as_ref()?;
        if key_id.is_empty() {
            return None;
        }
        match store.get(key_id) {
            Ok(found) => found.filter(|p| !p.is_empty()),
            Err(e) => {
                self.prompter.message(&format!("warning: {e}"));
                None
            }
        }
    }

    fn no_input(&self, alias: &str, key_id: &str) -> Error {
        let vars = env_vars_for(alias);
        let names = match vars {
            [docker, notary] => format!("{docker} (or {notary})"),
            [docker, ..] => (*docker).to_owned(),
            [] => String::new(),
        };
        let or_terminal = if self.terminal_hint { ", or run in a terminal to be asked for it" } else { "" };
        Error::Key(format!("no passphrase for the {}: set {names}{or_terminal}", describe(alias, key_id)))
    }

    /// Asks for a passphrase for a new key: twice, at least 8 characters, three rounds.
    fn prompt_new(&self, alias: &str, key_id: &str) -> Result<Zeroizing<String>> {
        let with_id = short_id_suffix(key_id);
        let shown = display_alias(alias);
        for _ in 0..PROMPT_ATTEMPTS {
            let first =
                trimmed(self.prompter.read_hidden(&format!("Enter passphrase for new {shown} key{with_id}: "))?);
            if first.chars().count() < MIN_PASSPHRASE_LEN {
                self.prompter.message(&format!(
                    "Passphrase is too short: use at least {MIN_PASSPHRASE_LEN} characters (a password manager can make and keep a good one)."
                ));
                continue;
            }
            let again =
                trimmed(self.prompter.read_hidden(&format!("Repeat passphrase for new {shown} key{with_id}: "))?);
            if *first != *again {
                self.prompter.message("Passphrases do not match. Please retry.");
                continue;
            }
            return Ok(first);
        }
        Err(Error::Key(format!("no passphrase chosen for the new {}: too many attempts", describe(alias, key_id))))
    }
}

/// ` with ID 1a2b3c4`, or nothing without an ID (as notary prompts).
fn short_id_suffix(key_id: &str) -> String {
    let short: String = key_id.chars().take(7).collect();
    if short.len() < 7 { String::new() } else { format!(" with ID {short}") }
}

/// Leading and trailing whitespace removed, as notary does with typed passphrases.
pub(crate) fn trimmed(s: Zeroizing<String>) -> Zeroizing<String> {
    let t = s.trim();
    if t.len() == s.len() { s } else { Zeroizing::new(t.to_owned()) }
}

impl PassphraseSource for DockerPassphrases {
    fn get(&self, alias: &str, key_id: &str, create_new: bool, attempt: u32) -> Result<Zeroizing<String>> {
        let mut left = attempt;
        if !create_new {
            // Remembered passphrases first; each is one attempt.
            let remembered = [
                self.keyring_passphrase(key_id).map(|p| (p, "the OS keyring")),
                self.cached(alias).map(|p| (p, "one that worked earlier in this command")),
            ];
            for (remembered, from) in remembered.into_iter().flatten() {
                if left == 0 {
                    log::debug!("passphrase for the {}: {from}", describe(alias, key_id));
                    return Ok(remembered);
                }
                left -= 1;
            }
        }
        if let Some((name, value)) = self.env_passphrase(alias) {
            if left > 0 {
                return Err(Error::Key(format!(
                    "the passphrase in {name} does not decrypt the {} (or the key file is damaged)",
                    describe(alias, key_id)
                )));
            }
            if create_new && value.chars().count() < MIN_PASSPHRASE_LEN {
                return Err(Error::Key(format!(
                    "the passphrase in {name} is too short for a new key: use at least {MIN_PASSPHRASE_LEN} characters"
                )));
            }
            log::debug!("passphrase for the {}: from ${name}", describe(alias, key_id));
            return Ok(value);
        }
        if !self.prompter.is_interactive() {
            return Err(self.no_input(alias, key_id));
        }
        log::debug!("passphrase for the {}: asked at the terminal", describe(alias, key_id));
        if create_new {
            return self.prompt_new(alias, key_id);
        }
        if left >= PROMPT_ATTEMPTS {
            return Err(Error::Key(format!("wrong passphrase for the {}: too many attempts", describe(alias, key_id))));
        }
        if left > 0 {
            self.prompter.message("Passphrase incorrect. Please retry.");
        }
        let prompt = format!("Enter passphrase for {} key{}: ", display_alias(alias), short_id_suffix(key_id));
        Ok(trimmed(self.prompter.read_hidden(&prompt)?))
    }

    fn pkcs11_pin(&self, token: &str) -> Result<Zeroizing<String>> {
        if let Some(pin) = (self.env)(super::pkcs11::PIN_VAR).filter(|p| !p.is_empty()) {
            log::debug!("PIN for the PKCS#11 token {token:?}: from ${}", super::pkcs11::PIN_VAR);
            return Ok(Zeroizing::new(pin));
        }
        if let Some(pin) = self.keyring_passphrase(&pin_entry(token)) {
            log::debug!("PIN for the PKCS#11 token {token:?}: the OS keyring");
            return Ok(pin);
        }
        if !self.prompter.is_interactive() {
            return Err(no_pin(token, self.terminal_hint));
        }
        log::debug!("PIN for the PKCS#11 token {token:?}: asked at the terminal");
        Ok(trimmed(self.prompter.read_hidden(&format!("Enter PIN for PKCS#11 token {token}: "))?))
    }

    fn remember_pkcs11_pin(&self, token: &str, pin: &str) {
        if (self.env)(super::pkcs11::PIN_VAR).is_some_and(|p| p == pin) {
            return;
        }
        if let Some(store) = &self.keyring {
            let entry = pin_entry(token);
            if store.get(&entry).ok().flatten().as_deref().map(String::as_str) != Some(pin)
                && let Err(e) = store.set(&entry, pin)
            {
                self.prompter.message(&format!("warning: {e}"));
            }
        }
    }

    fn remember(&self, alias: &str, key_id: &str, passphrase: &str) {
        let from_env = self.env_passphrase(alias).is_some_and(|(_, v)| *v == passphrase);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(alias.to_owned(), Zeroizing::new(passphrase.to_owned()));
        }
        if from_env || key_id.is_empty() {
            return;
        }
        if let Some(store) = &self.keyring {
            let known = store.get(key_id).ok().flatten();
            if known.as_deref().map(String::as_str) != Some(passphrase)
                && let Err(e) = store.set(key_id, passphrase)
            {
                self.prompter.message(&format!("warning: {e}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Arc;

    use super::*;
    use crate::keystore::keyring::MemoryKeyring;

    /// A scripted terminal: answers in order and records what it showed.
    #[derive(Clone, Default)]
    struct Script {
        answers: Arc<Mutex<VecDeque<String>>>,
        shown: Arc<Mutex<Vec<String>>>,
    }

    impl Script {
        fn new(answers: &[&str]) -> Self {
            let s = Script::default();
            s.answers.lock().unwrap().extend(answers.iter().map(|a| a.to_string()));
            s
        }
        fn shown(&self) -> Vec<String> {
            self.shown.lock().unwrap().clone()
        }
    }

    impl Prompter for Script {
        fn is_interactive(&self) -> bool {
            true
        }
        fn read_hidden(&self, prompt: &str) -> Result<Zeroizing<String>> {
            self.shown.lock().unwrap().push(prompt.to_owned());
            let a = self.answers.lock().unwrap().pop_front().expect("an answer left");
            Ok(Zeroizing::new(a))
        }
        fn message(&self, text: &str) {
            self.shown.lock().unwrap().push(text.to_owned());
        }
    }

    struct NoTerminal;
    impl Prompter for NoTerminal {
        fn is_interactive(&self) -> bool {
            false
        }
        fn read_hidden(&self, _: &str) -> Result<Zeroizing<String>> {
            panic!("must not prompt")
        }
        fn message(&self, _: &str) {}
    }

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    const ID: &str = "8aae49442f468f90224c8d079239ebdd0d08385318e45d31919a780306a035a5";

    #[test]
    fn docker_then_notary_variables() {
        let p = DockerPassphrases::new().with_prompter(NoTerminal).with_env(env(&[
            ("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", "root-pass"),
            ("NOTARY_ROOT_PASSPHRASE", "notary-root"),
            ("NOTARY_TARGETS_PASSPHRASE", "notary-targets"),
            ("NOTARY_DELEGATION_PASSPHRASE", "notary-delegation"),
        ]));
        assert_eq!(*p.get("root", ID, false, 0).unwrap(), "root-pass");
        assert_eq!(*p.get("targets", ID, false, 0).unwrap(), "notary-targets");
        assert_eq!(*p.get("alice", ID, false, 0).unwrap(), "notary-delegation");
        assert_eq!(*p.get("targets/releases", ID, false, 0).unwrap(), "notary-delegation");
        let err = p.get("snapshot", ID, false, 0).unwrap_err().to_string();
        assert!(err.contains("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE (or NOTARY_SNAPSHOT_PASSPHRASE)"), "{err}");

        let p = DockerPassphrases::new().with_prompter(NoTerminal).with_env(env(&[
            ("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", "repo-pass"),
            ("NOTARY_ROOT_PASSPHRASE", ""),
        ]));
        for alias in ["targets", "snapshot", "alice", "encrypted", "timestamp"] {
            assert_eq!(*p.get(alias, ID, false, 0).unwrap(), "repo-pass", "{alias}");
        }
        let err = p.get("root", ID, false, 0).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Key);
        assert_eq!(
            err.to_string(),
            "no passphrase for the root key 8aae494: set DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE (or NOTARY_ROOT_PASSPHRASE), \
             or run in a terminal to be asked for it"
        );
        let library = DockerPassphrases::new().with_prompter(NoTerminal).with_env(env(&[])).without_terminal_hint();
        let err = library.get("root", ID, false, 0).unwrap_err().to_string();
        assert_eq!(
            err,
            "no passphrase for the root key 8aae494: set DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE (or NOTARY_ROOT_PASSPHRASE)"
        );
    }

    #[test]
    fn environment_is_tried_once_and_checked_for_new_keys() {
        let p = DockerPassphrases::new()
            .with_prompter(NoTerminal)
            .with_env(env(&[("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", "short")]));
        let err = p.get("alice", ID, false, 1).unwrap_err().to_string();
        assert_eq!(
            err,
            "the passphrase in DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE does not decrypt the alice key 8aae494 \
             (or the key file is damaged)"
        );
        let err = p.get("alice", ID, true, 0).unwrap_err().to_string();
        assert!(err.contains("too short for a new key"), "{err}");
        assert!(!err.contains("short\""), "the passphrase itself is never shown");
    }

    #[test]
    fn prompts_like_notary() {
        let script = Script::new(&["wrong", "  right passphrase  "]);
        let p = DockerPassphrases::new().with_prompter(script.clone()).with_env(env(&[]));
        assert_eq!(*p.get("targets", ID, false, 0).unwrap(), "wrong");
        assert_eq!(*p.get("targets", ID, false, 1).unwrap(), "right passphrase");
        assert!(p.get("targets", ID, false, 3).is_err());
        assert_eq!(
            script.shown(),
            [
                "Enter passphrase for repository key with ID 8aae494: ",
                "Passphrase incorrect. Please retry.",
                "Enter passphrase for repository key with ID 8aae494: ",
            ]
        );
        // Remembered for the alias within the process.
        p.remember("targets", ID, "right passphrase");
        assert_eq!(*p.get("targets", "other", false, 0).unwrap(), "right passphrase");
    }

    #[test]
    fn new_key_prompt_confirms_and_checks_length() {
        let script = Script::new(&["short", "long enough 1", "long enough 2", "long enough", "long enough"]);
        let p = DockerPassphrases::new().with_prompter(script.clone()).with_env(env(&[]));
        assert_eq!(*p.get("alice", ID, true, 0).unwrap(), "long enough");
        let shown = script.shown();
        assert_eq!(shown[0], "Enter passphrase for new alice key with ID 8aae494: ");
        assert!(shown[1].starts_with("Passphrase is too short"));
        assert_eq!(shown[3], "Repeat passphrase for new alice key with ID 8aae494: ");
        assert_eq!(shown[4], "Passphrases do not match. Please retry.");
        assert_eq!(shown.len(), 7);

        let script = Script::new(&["a", "b", "c"]);
        let p = DockerPassphrases::new().with_prompter(script).with_env(env(&[]));
        let err = p.get("alice", ID, true, 0).unwrap_err().to_string();
        assert_eq!(err, "no passphrase chosen for the new alice key 8aae494: too many attempts");

        let script = Script::new(&["whatever1"]);
        let p = DockerPassphrases::new().with_prompter(script.clone()).with_env(env(&[]));
        p.get("encrypted", "", false, 0).unwrap();
        assert_eq!(script.shown(), ["Enter passphrase for encrypted key: "]);
    }

    #[test]
    fn keyring_first_then_the_rest() {
        let ring = MemoryKeyring::default();
        ring.set(ID, "from keyring").unwrap();
        let p = DockerPassphrases::new()
            .with_prompter(NoTerminal)
            .with_keyring(ring.clone())
            .with_env(env(&[("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", "from env")]));
        assert_eq!(*p.get("root", ID, false, 0).unwrap(), "from keyring");
        assert_eq!(*p.get("root", ID, false, 1).unwrap(), "from env");
        assert_eq!(*p.get("root", ID, true, 0).unwrap(), "from env", "new keys never use the keyring");
        // Environment passphrases are not copied into the keyring.
        p.remember("root", ID, "from env");
        assert_eq!(ring.get(ID).unwrap().as_deref().map(String::as_str), Some("from keyring"));

        let script = Script::new(&["typed passphrase"]);
        let p = DockerPassphrases::new().with_prompter(script).with_keyring(ring.clone()).with_env(env(&[]));
        let other = "b6a0a9ad13730f7b45b60f7877e897da6e3336626ad29f8bed3c69e6f3ae6549";
        let typed = p.get("alice", other, false, 0).unwrap();
        p.remember("alice", other, &typed);
        assert_eq!(ring.get(other).unwrap().as_deref().map(String::as_str), Some("typed passphrase"));
    }

    #[test]
    fn token_pins_from_the_environment_the_keyring_then_a_prompt() {
        let ring = MemoryKeyring::default();
        let p = DockerPassphrases::new()
            .with_prompter(NoTerminal)
            .with_keyring(ring.clone())
            .with_env(env(&[("TRUST_PKCS11_PIN", "env-pin")]));
        assert_eq!(*p.pkcs11_pin("ci").unwrap(), "env-pin");
        p.remember_pkcs11_pin("ci", "env-pin");
        assert_eq!(ring.get("pkcs11-pin:ci").unwrap(), None, "a PIN from the environment is not kept");

        let p = DockerPassphrases::new().with_prompter(NoTerminal).with_keyring(ring.clone()).with_env(env(&[]));
        let err = p.pkcs11_pin("ci").unwrap_err().to_string();
        assert!(err.contains("no PIN for the PKCS#11 token \"ci\": set TRUST_PKCS11_PIN"), "{err}");

        let script = Script::new(&["  typed-pin "]);
        let p = DockerPassphrases::new().with_prompter(script.clone()).with_keyring(ring.clone()).with_env(env(&[]));
        assert_eq!(*p.pkcs11_pin("ci").unwrap(), "typed-pin");
        assert_eq!(script.shown(), ["Enter PIN for PKCS#11 token ci: "]);
        p.remember_pkcs11_pin("ci", "typed-pin");
        assert_eq!(ring.get("pkcs11-pin:ci").unwrap().as_deref().map(String::as_str), Some("typed-pin"));
        // Then the keyring answers, without a prompt.
        let p = DockerPassphrases::new().with_prompter(NoTerminal).with_keyring(ring).with_env(env(&[]));
        assert_eq!(*p.pkcs11_pin("ci").unwrap(), "typed-pin");
    }

    #[test]
    fn constant() {
        let c = ConstantPassphrase::new("p");
        assert_eq!(*c.get("root", ID, false, 0).unwrap(), "p");
        assert_eq!(
            c.get("root", ID, false, 1).unwrap_err().to_string(),
            "wrong passphrase for the root key 8aae494 (or a damaged key file)"
        );
        assert_eq!(format!("{c:?}"), "ConstantPassphrase(..)");
    }
}
