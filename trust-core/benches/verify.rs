//! Canonicalisation and targets verification at 1k, 10k and 100k tags.
//!
//! `cargo bench -p trust-core --bench verify`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use trust_test_support::builders;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use trust_core::trusted::{Context, TrustedSet};

/// A published repository with `n` tags in targets.json, and its files.
fn repo(n: usize) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut repo = builders::Repo::new("example.com/bench/app");
    for i in 0..n {
        repo.targets.insert(format!("tag-{i}"), builders::target_json(format!("manifest {i}").as_bytes()));
    }
    repo.build()
}

/// A trusted set that has accepted root, timestamp and snapshot.
fn trusted(files: &std::collections::BTreeMap<String, Vec<u8>>) -> TrustedSet {
    let ctx = Context::new("example.com/bench/app", builders::now());
    let mut set = TrustedSet::from_trusted_root(files["root"].clone(), ctx).unwrap();
    set.update_timestamp(files["timestamp"].clone()).unwrap();
    set.update_snapshot(files["snapshot"].clone()).unwrap();
    set
}

fn benches(c: &mut Criterion) {
    let mut canonical = c.benchmark_group("canonicalize");
    for n in [1_000, 10_000, 100_000] {
        let files = repo(n);
        let targets = &files["targets"];
        let signed = trust_core::wire::Envelope::parse(targets).unwrap().signed.get().as_bytes().to_vec();
        let value: serde_json::Value = serde_json::from_slice(&signed).unwrap();
        canonical.throughput(Throughput::Bytes(signed.len() as u64));
        canonical.bench_with_input(BenchmarkId::new("received-bytes", n), &signed, |b, s| {
            b.iter(|| trust_core::canonical::canonicalize(s).unwrap().len())
        });
        canonical.bench_with_input(BenchmarkId::new("write-value", n), &value, |b, v| {
            b.iter(|| trust_core::canonical::to_vec(v).unwrap().len())
        });
    }
    canonical.finish();

    let mut verify = c.benchmark_group("verify-targets");
    verify.sample_size(10);
    for n in [1_000, 10_000, 100_000] {
        let files = repo(n);
        let set = trusted(&files);
        verify.throughput(Throughput::Bytes(files["targets"].len() as u64));
        verify.bench_with_input(BenchmarkId::from_parameter(n), &files["targets"], |b, raw| {
            b.iter_batched(
                || (trusted(&files), raw.clone()),
                |(mut s, raw)| s.update_targets(raw).unwrap(),
                criterion::BatchSize::LargeInput,
            )
        });
        drop(set);
    }
    verify.finish();
}

criterion_group!(verify, benches);
criterion_main!(verify);
