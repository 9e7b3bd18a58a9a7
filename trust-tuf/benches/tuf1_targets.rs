//! Parse and verify a TUF 1.0 `targets.json` with 100,000 targets (sha256 and
//! sha512 hashes, a `custom` field each), signed by one ed25519 key with the crate's
//! own signer: the envelope split, canonicalisation of the received `signed` bytes,
//! the strict parse (the `targets` map is kept as text, decoded per lookup), the
//! threshold check and one target looked up. Two layouts of the same file:
//! canonical (canonicalisation is one validating pass) and indented as python-tuf
//! and go-tuf write it (canonicalisation parses and re-writes `signed`).
//!
//! `cargo bench -p trust-tuf --bench tuf1_targets` measures and reports the time per
//! parse + verify; `cargo test -p trust-tuf --bench tuf1_targets` runs it once.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use trust_tuf::canonical;
use trust_tuf::crypto::backend::digest;
use trust_tuf::crypto::default_provider;
use trust_tuf::crypto::signer::{KeyAlgorithm, PrivateKey};
use trust_tuf::tuf1::{Key, Metadata, RoleKeys, Signature, Targets, threshold, write_envelope};

const TARGETS: usize = 100_000;

/// The signed targets file, the key map and the role's keys.
fn fixture() -> (Vec<u8>, BTreeMap<String, Key>, RoleKeys) {
    let key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let key_json =
        json!({"keytype":"ed25519","scheme":"ed25519","keyval":{"public":hex::encode(&key.public_key().public)}});
    let keyid = hex::encode(digest::digest(&digest::SHA256, &canonical::to_vec(&key_json).unwrap()));
    let mut targets = serde_json::Map::new();
    for i in 0..TARGETS {
        let content = format!("content of file {i}");
        targets.insert(
            format!("packages/pkg-{i}/pkg-{i}.tar.gz"),
            json!({
                "length": content.len(),
                "hashes": {
                    "sha256": hex::encode(digest::digest(&digest::SHA256, content.as_bytes())),
                    "sha512": hex::encode(digest::digest(&digest::SHA512, content.as_bytes())),
                },
                "custom": {"n": i},
            }),
        );
    }
    let signed = json!({
        "_type": "targets", "spec_version": "1.0.31", "version": 1,
        "expires": "2036-01-01T00:00:00Z", "targets": Value::Object(targets),
    });
    let bytes = canonical::to_vec(&signed).unwrap();
    let sig = key.sign(&bytes).unwrap().1;
    let file = write_envelope(&bytes, &[Signature { keyid: keyid.clone(), sig }]);
    let keys = BTreeMap::from([(keyid.clone(), serde_json::from_value(key_json).unwrap())]);
    (file, keys, RoleKeys { keyids: vec![keyid], threshold: 1, extra: BTreeMap::new() })
}

fn parse_and_verify(c: &mut Criterion) {
    let (file, keys, role) = fixture();
    let mut group = c.benchmark_group("tuf1_targets");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(file.len() as u64));
    let indented = serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&file).unwrap()).unwrap();
    for (layout, bytes) in [("canonical", &file), ("indented", &indented)] {
        group.bench_function(format!("parse+verify 100k targets, one lookup, {layout}"), |b| {
            b.iter(|| {
                let md: Metadata<Targets> = Metadata::parse("targets", bytes).unwrap();
                let n = threshold::verify("targets", &md, &keys, &role, default_provider()).unwrap();
                let one = md.signed.target(&format!("packages/pkg-{0}/pkg-{0}.tar.gz", TARGETS / 2)).unwrap();
                assert_eq!((n, one.map(|f| f.length > 0)), (1, Some(true)));
            });
        });
    }
    group.finish();
}

criterion_group!(benches, parse_and_verify);
criterion_main!(benches);
