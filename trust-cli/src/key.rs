//! `trust key`: generate, load and list signing keys, as `docker trust key` does.
//!
//! Keys go to `<trust dir>/private/<key ID>.key` in notary's format, so docker and
//! notary use them as they are. Passphrases come from docker's and notary's variables
//! (`DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE`, `NOTARY_DELEGATION_PASSPHRASE`, ...),
//! the OS keyring with `--keyring`, or a prompt on a terminal.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use trust_core::crypto::signer::KeyAlgorithm;
use trust_core::keystore::pkcs11::Pkcs11Uri;
use trust_core::keystore::{
    DockerPassphrases, KeyEncryption, KeyStore, OsKeyring, StoredKey, is_valid_key_name, keyring_enabled,
};
use trust_core::settings::Settings;
use trust_core::workflow::{
    GenerateStep, NewKeyHome, generate_key, load_key_file, public_key_file, register_token_key,
};
use trust_core::{Error, ErrorKind};

use crate::exit::{Code, Failure};

/// `trust key` and its options.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Keep key passphrases in the OS keyring (Linux: kernel keyutils); remembered for this trust directory
    #[arg(long, global = true, conflicts_with = "no_keyring", help_heading = "Keyring Options")]
    pub keyring: bool,
    /// Stop using the OS keyring for this trust directory
    #[arg(long, global = true, help_heading = "Keyring Options")]
    pub no_keyring: bool,
    #[command(subcommand)]
    pub command: KeyCommand,
}

/// The `trust key` verbs.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate and load a signing key-pair
    #[command(after_help = crate::help_text::PASSPHRASES)]
    Generate(GenerateArgs),
    /// Load a private key file for signing
    #[command(after_help = crate::help_text::PASSPHRASES)]
    Load(LoadArgs),
    /// List the private keys in the trust directory (ID, role, repository)
    List,
    /// Re-encrypt key files with SP 800-132 parameters (PBKDF2-HMAC-SHA256, 600,000
    /// iterations, 16-byte salt, AES-256-CBC), keeping their passphrases; docker and
    /// notary cannot read migrated files
    Migrate(MigrateArgs),
    /// Replace the root, targets, snapshot or timestamp key of a repository, publishing
    /// a new root version listing the new key (as `notary key rotate`)
    #[command(after_help = crate::help_text::PASSPHRASES)]
    Rotate(crate::rotate::RotateArgs),
    /// Change a key's passphrase (the file keeps its format: docker and notary read it)
    #[command(after_help = crate::help_text::PASSPHRASES)]
    Passwd(crate::key_manage::PasswdArgs),
    /// Remove a private key from the trust directory (asks first unless --yes)
    Remove(crate::key_manage::RemoveArgs),
    /// Export private keys, encrypted as stored, to move them (`trust key load` or
    /// `notary key import` on the other side)
    Export(crate::key_manage::ExportArgs),
}

/// `trust key migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Key IDs (or unique prefixes) to migrate [default: every key in the trust directory]
    #[arg(value_name = "KEY-ID")]
    pub ids: Vec<String>,
}

/// The key algorithms `trust key generate` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Algorithm {
    /// ECDSA P-256 (what docker always makes)
    Ecdsa,
    /// Ed25519 (docker and notary cannot add its public key as a signer)
    Ed25519,
}

/// `trust key generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Name of the key (the signer name: lowercase letters, digits, `-` and `_`)
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Directory to write NAME.pub in [default: the current directory]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Key algorithm
    #[arg(long, value_enum, default_value_t = Algorithm::Ecdsa)]
    pub algorithm: Algorithm,
    /// Make the key (ECDSA P-256) on a PKCS#11 token instead, named by an RFC 7512 URI:
    /// 'pkcs11:token=LABEL;object=LABEL?module-path=/path/to/module.so'; the private key
    /// never leaves the token, the trust directory records only the URI
    #[arg(long, value_name = "URI")]
    pub pkcs11: Option<String>,
}

/// `trust key load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Name for the loaded key (its role)
    #[arg(long, default_value = "signer")]
    pub name: String,
    /// Private key file (PEM: PKCS#8, encrypted or not, or EC/RSA/ED25519 PRIVATE KEY)
    #[arg(value_name = "KEYFILE", required_unless_present = "pkcs11")]
    pub file: Option<PathBuf>,
    /// Register a key already on a PKCS#11 token (its private key object and public key
    /// object), named by an RFC 7512 URI, instead of loading a file
    #[arg(long, value_name = "URI", conflicts_with = "file")]
    pub pkcs11: Option<String>,
}

fn write_out(out: &mut dyn Write, text: &str) -> Result<(), Failure> {
    out.write_all(text.as_bytes()).map_err(|e| Failure::new(Code::Io, format!("cannot write output: {e}")))
}

fn invalid_name(name: &str) -> Failure {
    Failure::new(
        Code::Usage,
        format!(
            "key name \"{name}\" must start with lowercase alphanumeric characters and can include \"-\" or \"_\" after the first character"
        ),
    )
}

/// The passphrase rules for this run: docker's and notary's, with the OS keyring when
/// enabled (by this run's flag or a remembered one).
fn passphrases(trust_dir: &Path, args: &KeyArgs) -> Result<DockerPassphrases, Failure> {
    let flag = match (args.keyring, args.no_keyring) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let source = DockerPassphrases::new();
    Ok(if keyring_enabled(trust_dir, flag)? { source.with_keyring(OsKeyring::new()) } else { source })
}

/// Runs `trust key …`.
pub fn run(settings: &Settings, args: &KeyArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let trust_dir = settings.trust_dir();
    let store = KeyStore::open(&trust_dir)?.with_encryption(KeyEncryption::for_mode(settings.fips.enabled));
    match &args.command {
        KeyCommand::Generate(a) => {
            if settings.fips.enabled && a.algorithm == Algorithm::Ed25519 {
                return Err(Failure::new(
                    Code::Usage,
                    format!("Ed25519 keys are not accepted in FIPS mode ({}): use --algorithm ecdsa", settings.fips),
                ));
            }
            generate(&store, &passphrases(&trust_dir, args)?, a, out)?
        }
        KeyCommand::Migrate(a) => migrate(&store, &passphrases(&trust_dir, args)?, a, out)?,
        KeyCommand::Load(a) => load(&store, &passphrases(&trust_dir, args)?, a, out)?,
        KeyCommand::List => {
            passphrases(&trust_dir, args)?;
            list(&store, out)?
        }
        KeyCommand::Passwd(a) => crate::key_manage::passwd(&store, &passphrases(&trust_dir, args)?, a, out)?,
        KeyCommand::Remove(a) => crate::key_manage::remove(&store, a, out)?,
        KeyCommand::Export(a) => crate::key_manage::export(&store, a, out)?,
        KeyCommand::Rotate(a) => {
            // Records --keyring/--no-keyring for the trust directory, as the other verbs do.
            passphrases(&trust_dir, args)?;
            return crate::rotate::run(settings, a, out);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `trust key migrate`: every named key (or all), one line each; stops at the first
/// key that cannot be migrated (the files already migrated stay migrated).
fn migrate(
    store: &KeyStore,
    source: &DockerPassphrases,
    args: &MigrateArgs,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let keys: Vec<StoredKey> = if args.ids.is_empty() {
        store.list()?
    } else {
        args.ids.iter().map(|id| store.lookup(id)).collect::<Result<_, _>>()?
    };
    if keys.is_empty() {
        return write_out(out, "No keys to migrate.\n");
    }
    let mut migrated = 0;
    for key in &keys {
        let line = match store.migrate(&key.id, source)? {
            Some(before) => {
                migrated += 1;
                format!(
                    "Migrated {} ({}): {before} -> PBKDF2-HMAC-SHA256, 600000 iterations, 16-byte salt\n",
                    key.id, key.role
                )
            }
            None => format!("Unchanged {} ({}): already meets SP 800-132\n", key.id, key.role),
        };
        write_out(out, &line)?;
    }
    if migrated > 0 {
        write_out(out, "docker and notary cannot read migrated key files; trust reads them.\n")?;
    }
    Ok(())
}

fn generate(
    store: &KeyStore,
    source: &DockerPassphrases,
    args: &GenerateArgs,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let name = args.name.as_str();
    if !is_valid_key_name(name) {
        return Err(invalid_name(name));
    }
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().map_err(|e| Failure::new(Code::Io, format!("current directory: {e}")))?,
    };
    let uri = args
        .pkcs11
        .as_deref()
        .map(Pkcs11Uri::parse)
        .transpose()
        .map_err(|e| Failure::new(Code::of(e.kind()), format!("failed to generate key for {name}: {e}")))?;
    let home = match (&uri, args.algorithm) {
        (Some(uri), _) => NewKeyHome::Token(uri),
        (None, Algorithm::Ecdsa) => NewKeyHome::File(KeyAlgorithm::EcdsaP256),
        (None, Algorithm::Ed25519) => NewKeyHome::File(KeyAlgorithm::Ed25519),
    };
    let mut last_step = None;
    let mut printed = Ok(());
    let made = generate_key(store, source, name, home, &dir, &mut |step| {
        if step == GenerateStep::Generating {
            let line = match &uri {
                Some(uri) => format!("Generating key for {name} on {uri}...\n"),
                None => format!("Generating key for {name}...\n"),
            };
            printed = write_out(out, &line);
        }
        last_step = Some(step);
    });
    printed?;
    let made = made.map_err(|e| {
        let code = Code::of(e.kind());
        match last_step {
            None => Failure::new(code, e.to_string()),
            Some(GenerateStep::WritingPublicKey) => Failure::new(
                code,
                format!("failed to write public key to {}: {e}", public_key_file(&dir, name).display()),
            ),
            Some(_) => Failure::new(code, format!("failed to generate key for {name}: {e}")),
        }
    })?;
    let what = if uri.is_some() {
        "Successfully generated the key on the token and registered it."
    } else {
        "Successfully generated and loaded private key."
    };
    write_out(out, &format!("{what} Corresponding public key available: {}\n", made.public_key_file.display()))
}

/// `trust key load --pkcs11 URI --name NAME`: registers a key already on a token.
fn load_from_token(
    store: &KeyStore,
    source: &DockerPassphrases,
    name: &str,
    uri: &str,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let failed = |e: Error| Failure::new(Code::of(e.kind()), format!("error registering the token key: {e}"));
    let uri = Pkcs11Uri::parse(uri).map_err(failed)?;
    write_out(out, &format!("Loading key from {uri}...\n"))?;
    let id = register_token_key(store, source, name, &uri).map_err(failed)?;
    write_out(out, &format!("Successfully registered key {id} ({name}) on {uri}\n"))
}

fn load(store: &KeyStore, source: &DockerPassphrases, args: &LoadArgs, out: &mut dyn Write) -> Result<(), Failure> {
    if !is_valid_key_name(&args.name) {
        return Err(invalid_name(&args.name));
    }
    let file = match (&args.file, &args.pkcs11) {
        (_, Some(uri)) => return load_from_token(store, source, &args.name, uri, out),
        (Some(file), None) => file,
        (None, None) => return Err(Failure::new(Code::Usage, "give a KEYFILE or --pkcs11 URI".to_owned())),
    };
    let shown = file.display().to_string();
    write_out(out, &format!("Loading key from \"{shown}\"...\n"))?;
    load_key_file(store, source, &args.name, file).map_err(|e| match e.kind() {
        // docker's words: the core's messages for key problems, "refusing" for a file it cannot read.
        ErrorKind::Key | ErrorKind::InvalidInput => Failure::new(Code::of(e.kind()), e.to_string()),
        kind => Failure::new(Code::of(kind), format!("refusing to load key from {e}")),
    })?;
    write_out(out, &format!("Successfully imported key from {shown}\n"))
}

/// Base roles first (root, targets, snapshot, timestamp), then the rest by name.
fn role_order(role: &str) -> (usize, &str) {
    let rank = ["root", "targets", "snapshot", "timestamp"].iter().position(|r| *r == role).unwrap_or(4);
    (rank, role)
}

fn list(store: &KeyStore, out: &mut dyn Write) -> Result<(), Failure> {
    let mut keys: Vec<StoredKey> = store.list()?;
    let tokens = store.tokens()?;
    if keys.is_empty() && tokens.is_empty() {
        return write_out(out, &format!("No signing keys found in {}\n", store.private_dir().display()));
    }
    keys.sort_by(|a, b| (role_order(&a.role), &a.gun, &a.id).cmp(&(role_order(&b.role), &b.gun, &b.id)));
    let mut rows: Vec<(String, String, String, String)> =
        keys.iter().map(|k| (k.id.clone(), k.role.clone(), k.gun.clone().unwrap_or_default(), String::new())).collect();
    // Where each key lives: a file (the column stays empty, as before) or a token URI
    // (which never holds a PIN).
    for t in &tokens {
        rows.push((t.id.clone(), t.role.clone(), String::new(), t.uri.clone()));
    }
    rows.sort_by(|a, b| (role_order(&a.1), &a.2, &a.0).cmp(&(role_order(&b.1), &b.2, &b.0)));
    let header = (
        "ID".to_owned(),
        "ROLE".to_owned(),
        "GUN".to_owned(),
        if tokens.is_empty() { String::new() } else { "LOCATION".to_owned() },
    );
    let rows: Vec<_> = std::iter::once(header).chain(rows).collect();
    let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let w2 = rows.iter().map(|r| r.2.len()).max().unwrap_or(0);
    let mut text = String::new();
    for (id, role, gun, location) in rows {
        let line = if tokens.is_empty() {
            format!("{id:<w0$}   {role:<w1$}   {gun}")
        } else {
            format!("{id:<w0$}   {role:<w1$}   {gun:<w2$}   {location}")
        };
        text.push_str(line.trim_end());
        text.push('\n');
    }
    write_out(out, &text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::os::unix::fs::PermissionsExt as _;

    use trust_core::keystore::{Prompter, Zeroizing, encode_public_key};

    use super::*;

    const PASSPHRASE: &str = "trust-test-passphrase";

    struct NoTerminal;

    impl Prompter for NoTerminal {
        fn is_interactive(&self) -> bool {
            false
        }
        fn read_hidden(&self, _: &str) -> trust_core::Result<Zeroizing<String>> {
            panic!("no prompt in tests")
        }
        fn message(&self, _: &str) {}
    }

    fn source(passphrase: Option<&str>) -> DockerPassphrases {
        let passphrase = passphrase.map(str::to_owned);
        DockerPassphrases::new().with_prompter(NoTerminal).with_env(move |name| {
            (name == "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE").then(|| passphrase.clone()).flatten()
        })
    }

    fn generate_args(name: &str, dir: &Path) -> GenerateArgs {
        GenerateArgs { name: name.into(), dir: Some(dir.to_owned()), algorithm: Algorithm::Ecdsa, pkcs11: None }
    }

    fn output(f: impl FnOnce(&mut Vec<u8>) -> Result<(), Failure>) -> (String, Option<Failure>) {
        let mut out = Vec::new();
        let failure = f(&mut out).err();
        (String::from_utf8(out).unwrap(), failure)
    }

    #[test]
    fn generate_writes_the_key_and_the_public_key() {
        let tmp = tempfile::tempdir().unwrap();
        let store = KeyStore::open(&tmp.path().join("trust")).unwrap();
        let (out, failure) =
            output(|out| generate(&store, &source(Some(PASSPHRASE)), &generate_args("alice", tmp.path()), out));
        assert!(failure.is_none(), "{failure:?}");
        let pub_file = tmp.path().join("alice.pub");
        assert_eq!(
            out,
            format!(
                "Generating key for alice...\nSuccessfully generated and loaded private key. \
                 Corresponding public key available: {}\n",
                pub_file.display()
            )
        );
        assert_eq!(std::fs::metadata(&pub_file).unwrap().permissions().mode() & 0o777, 0o600);
        let text = std::fs::read_to_string(&pub_file).unwrap();
        assert!(text.starts_with("-----BEGIN PUBLIC KEY-----\nrole: alice\n\nMFkw"), "{text}");
        let keys = store.find("alice").unwrap();
        assert_eq!(keys.len(), 1);
        let (key, _) = store.get(&keys[0].id, &source(Some(PASSPHRASE))).unwrap();
        assert_eq!(text, encode_public_key(&key, "alice").unwrap());

        // The public key file exists: refused before anything is made.
        let (out, failure) =
            output(|out| generate(&store, &source(Some(PASSPHRASE)), &generate_args("alice", tmp.path()), out));
        let failure = failure.unwrap();
        assert_eq!((out.as_str(), failure.code), ("", Code::Usage));
        assert!(failure.message.starts_with("public key file already exists: "), "{}", failure.message);
        assert_eq!(store.list().unwrap().len(), 1);

        let (_, failure) =
            output(|out| generate(&store, &source(Some(PASSPHRASE)), &generate_args("Bad", tmp.path()), out));
        assert_eq!(failure.unwrap().code, Code::Usage);
    }

    #[test]
    fn generate_without_a_passphrase_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let trust_dir = tmp.path().join("trust");
        let store = KeyStore::open(&trust_dir).unwrap();
        for passphrase in [None, Some("short")] {
            let (_, failure) =
                output(|out| generate(&store, &source(passphrase), &generate_args("bob", tmp.path()), out));
            let failure = failure.unwrap();
            assert_eq!(failure.code, Code::Key, "{}", failure.message);
            assert!(failure.message.starts_with("failed to generate key for bob: "), "{}", failure.message);
            assert!(failure.message.contains("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"), "{}", failure.message);
            assert!(!trust_dir.exists() && !tmp.path().join("bob.pub").exists());
        }
    }

    fn fixture_alice(dir: &Path, mode: u32) -> PathBuf {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/docker-signers/trust-dir/private/f0df8799e1169912864fe4ae20da39a44602b585827fc9d739149dfb2f6e891f.key");
        let path = dir.join("alice.key");
        std::fs::copy(src, &path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    fn load_args(name: &str, file: &Path) -> LoadArgs {
        LoadArgs { name: name.into(), file: Some(file.to_owned()), pkcs11: None }
    }

    #[test]
    fn load_reencrypts_under_the_new_name() {
        let tmp = tempfile::tempdir().unwrap();
        let store = KeyStore::open(&tmp.path().join("trust")).unwrap();
        let file = fixture_alice(tmp.path(), 0o600);
        let (out, failure) = output(|out| load(&store, &source(Some(PASSPHRASE)), &load_args("ci", &file), out));
        assert!(failure.is_none(), "{failure:?}");
        let shown = file.display();
        assert_eq!(out, format!("Loading key from \"{shown}\"...\nSuccessfully imported key from {shown}\n"));
        let stored = store.find("ci").unwrap();
        assert_eq!(stored[0].id, "f0df8799e1169912864fe4ae20da39a44602b585827fc9d739149dfb2f6e891f");

        // The same key under another name is refused, the stored one kept.
        let (_, failure) = output(|out| load(&store, &source(Some(PASSPHRASE)), &load_args("other", &file), out));
        let failure = failure.unwrap();
        assert_eq!(failure.code, Code::Key);
        assert!(failure.message.contains("is already stored with role \"ci\""), "{}", failure.message);
        assert_eq!(store.find("ci").unwrap().len(), 1);

        let mut listed = Vec::new();
        list(&store, &mut listed).unwrap();
        assert_eq!(
            String::from_utf8(listed).unwrap(),
            "ID                                                                 ROLE   GUN\n\
             f0df8799e1169912864fe4ae20da39a44602b585827fc9d739149dfb2f6e891f   ci\n"
        );
    }

    #[test]
    fn load_refusals_write_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let trust_dir = tmp.path().join("trust");
        let store = KeyStore::open(&trust_dir).unwrap();

        let readable = fixture_alice(tmp.path(), 0o640);
        let (_, failure) = output(|out| load(&store, &source(Some(PASSPHRASE)), &load_args("signer", &readable), out));
        let failure = failure.unwrap();
        assert_eq!(failure.code, Code::Key);
        assert!(failure.message.contains("must not be readable or writable by others"), "{}", failure.message);

        std::fs::set_permissions(&readable, std::fs::Permissions::from_mode(0o600)).unwrap();
        let (_, failure) =
            output(|out| load(&store, &source(Some("wrong passphrase")), &load_args("signer", &readable), out));
        let failure = failure.unwrap();
        assert_eq!(failure.code, Code::Key);
        assert!(failure.message.contains("does not decrypt the encrypted key"), "{}", failure.message);

        let public = tmp.path().join("alice.pub");
        std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/docker-signers/keys/alice.pub"), &public)
            .unwrap();
        // A checkout gives files 0644; the owner-only check comes first, as in docker.
        std::fs::set_permissions(&public, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let (_, failure) = output(|out| load(&store, &source(Some(PASSPHRASE)), &load_args("signer", &public), out));
        let failure = failure.unwrap();
        assert_eq!(failure.code, Code::Key);
        assert!(failure.message.ends_with("to add a signer's public key use trust signer add"), "{}", failure.message);

        assert!(!trust_dir.exists(), "nothing written");
        let mut listed = Vec::new();
        list(&store, &mut listed).unwrap();
        assert!(String::from_utf8(listed).unwrap().starts_with("No signing keys found in "));
    }
}
