#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::ErrorKind;
use crate::keystore::ConstantPassphrase;

const PASSPHRASE: &str = "a long test passphrase";

fn generate(store: &KeyStore, dir: &Path, steps: &mut Vec<GenerateStep>) -> Result<GeneratedKey> {
    let source = ConstantPassphrase::new(PASSPHRASE);
    generate_key(store, &source, "alice", NewKeyHome::File(KeyAlgorithm::EcdsaP256), dir, &mut |s| steps.push(s))
}

#[test]
fn a_generated_key_is_stored_with_its_public_half_beside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let store = KeyStore::open(&tmp.path().join("trust")).unwrap();
    let mut steps = Vec::new();
    let made = generate(&store, tmp.path(), &mut steps).unwrap();
    assert_eq!(steps, [GenerateStep::Generating, GenerateStep::WritingPublicKey]);
    assert_eq!(made.public_key_file, tmp.path().join("alice.pub"));
    let (key, _) = store.get(&made.id, &ConstantPassphrase::new(PASSPHRASE)).unwrap();
    assert_eq!(std::fs::read_to_string(&made.public_key_file).unwrap(), encode_public_key(&key, "alice").unwrap());

    // NAME.pub exists: refused before a key is made.
    let mut steps = Vec::new();
    let refused = generate(&store, tmp.path(), &mut steps).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    assert!(refused.to_string().starts_with("public key file already exists: "), "{refused}");
    assert!(steps.is_empty());
    assert_eq!(store.list().unwrap().len(), 1);

    let refused = generate(&store, &tmp.path().join("missing"), &mut Vec::new()).unwrap_err();
    assert_eq!(
        refused.to_string(),
        format!("public key path does not exist: \"{}\"", tmp.path().join("missing").display())
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_public_key_that_cannot_be_written_takes_its_stored_key_away_again() {
    let tmp = tempfile::tempdir().unwrap();
    let trust_dir = tmp.path().join("trust");
    let store = KeyStore::open(&trust_dir).unwrap();
    // A directory no one can create files in, root included.
    let mut steps = Vec::new();
    let failed = generate(&store, Path::new("/proc"), &mut steps).unwrap_err();
    assert_eq!(steps, [GenerateStep::Generating, GenerateStep::WritingPublicKey]);
    assert_eq!(failed.kind(), ErrorKind::Io, "{failed}");
    assert!(store.list().unwrap().is_empty(), "the stored key must be removed");
    assert!(!Path::new("/proc/alice.pub").exists());
}

#[test]
fn a_key_file_that_cannot_be_read_is_an_io_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let store = KeyStore::open(&tmp.path().join("trust")).unwrap();
    let missing = tmp.path().join("missing.key");
    let failed = load_key_file(&store, &ConstantPassphrase::new(PASSPHRASE), "signer", &missing).unwrap_err();
    assert_eq!(failed.kind(), ErrorKind::Io);
    assert!(failed.to_string().starts_with(&missing.display().to_string()), "{failed}");
    assert!(!tmp.path().join("trust").exists(), "nothing written");
}

#[test]
fn paths_are_joined_as_go_joins_them() {
    for (dir, want) in [
        (".", "alice.pub"),
        ("./keys/", "keys/alice.pub"),
        ("keys//x/../", "keys/alice.pub"),
        ("/tmp/./k", "/tmp/k/alice.pub"),
        ("/..", "/alice.pub"),
        ("../k", "../k/alice.pub"),
    ] {
        assert_eq!(clean_join(Path::new(dir), "alice.pub"), PathBuf::from(want), "{dir}");
    }
}
