//! How the cost of whole client operations grows with the number of tags, on a file
//! remote (no network, no registry):
//!
//! - `verify-tag`: `trust verify IMAGE:TAG` from a warm cache (the timestamp read
//!   from the remote, root, snapshot and targets from the cache, the tag found), at
//!   1k / 10k / 100k tags;
//! - `inspect`: `trust inspect IMAGE` (every tag with its signers, as JSON), the same;
//! - `sign`: `trust sign` of N tags with their digests given into a repository of N
//!   tags (N changes staged, then targets, snapshot and timestamp built, signed and
//!   uploaded), at 1k / 10k tags.
//!
//! Each repository is made by the sign workflow itself. `cargo bench -p trust-core
//! --bench growth` measures; run as a test (`cargo test --bench growth`, no
//! `--bench` flag) only the smallest size of each is set up and run once.
//!
//! The key store's passphrases come from the environment, as for `trust sign`; the
//! bench runs itself again with them set when they are not (the workspace forbids the
//! unsafe `std::env::set_var`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::Command;

use criterion::{BatchSize, BenchmarkId, Criterion};
use trust_core::keystore::Zeroizing;
use trust_core::output::inspect;
use trust_core::reference::Reference;
use trust_core::settings::Settings;
use trust_core::signing::{self, TagTarget};
use trust_core::workflow::Images;

const GUN: &str = "registry.example.com/bench/app";
const PASSPHRASE: &str = "bench passphrase";
const PASSPHRASE_VARS: [&str; 2] =
    ["DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"];

/// Whether criterion measures (`cargo bench` passes `--bench`) rather than running
/// each benchmark once as a test.
fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// `all` when measuring, else its first (smallest) size only.
fn sizes(all: &[usize]) -> &[usize] {
    if measuring() { all } else { &all[..1] }
}

/// The CLI's settings for the file remote at `remote` and the trust directory `trust_dir`;
/// `author` settings also hold the passphrase of the remote's own snapshot and timestamp keys.
fn settings(remote: &Path, trust_dir: &Path, author: bool) -> Settings {
    Settings {
        server: Some(format!("file://{}", remote.display())),
        trust_dir: Some(trust_dir.to_owned()),
        file_server_passphrase: author.then(|| Zeroizing::new("server passphrase".to_owned())),
        ..Settings::default()
    }
}

/// `tag0`..`tag{n-1}`, each with a manifest digest of its own for signing `round`.
fn targets(n: usize, round: u64) -> Vec<TagTarget> {
    (0..n)
        .map(|i| {
            let digest = format!("sha256:{:064x}", (u128::from(round) << 64) | i as u128);
            signing::tag_target(&format!("{GUN}:tag{i}"), &digest, 1000 + i as u64).unwrap()
        })
        .collect()
}

/// A file remote holding a repository of `n` tags signed by `author`, and a reader
/// whose cache is warm.
struct Site {
    _dir: tempfile::TempDir,
    author: Settings,
    reader: Settings,
    n: usize,
}

impl Site {
    fn new(n: usize) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let remote = dir.path().join("remote");
        let author = settings(&remote, &dir.path().join("author"), true);
        let reader = settings(&remote, &dir.path().join("reader"), false);
        signing::sign(&author, &targets(n, 0), &mut |_| {}).unwrap();
        let site = Site { _dir: dir, author, reader, n };
        site.verify();
        site
    }

    /// `trust verify` of the middle tag, checked.
    fn verify(&self) {
        let i = self.n / 2;
        let verified = Images::new(self.reader.clone()).verify(&format!("{GUN}:tag{i}")).unwrap();
        assert_eq!(verified.digest, format!("sha256:{i:064x}"));
    }

    /// `trust inspect GUN`'s JSON, as the CLI makes it: the reader's inspection with
    /// the timestamp's expiry, rendered.
    fn inspect(&self) -> String {
        let reference = Reference::parse(GUN).unwrap();
        let reader = self.reader.reader_for(&reference).unwrap();
        let (info, _warnings, _expires) = reader.inspect_with_expiry(&reference).unwrap();
        assert_eq!(info.released.len(), self.n);
        inspect::json(&[(GUN.to_owned(), info)])
    }
}

fn read(c: &mut Criterion) {
    let mut group = c.benchmark_group("growth");
    group.sample_size(10);
    for &n in sizes(&[1_000, 10_000, 100_000]) {
        let site = Site::new(n);
        group.bench_with_input(BenchmarkId::new("verify-tag", n), &site, |b, s| b.iter(|| s.verify()));
        group.bench_with_input(BenchmarkId::new("inspect", n), &site, |b, s| b.iter(|| s.inspect().len()));
    }
    group.finish();
}

fn sign(c: &mut Criterion) {
    let mut group = c.benchmark_group("growth");
    group.sample_size(10);
    for &n in sizes(&[1_000, 10_000]) {
        let site = Site::new(n);
        let mut round = 0;
        group.bench_with_input(BenchmarkId::new("sign", n), &site, |b, s| {
            b.iter_batched(
                || {
                    round += 1;
                    targets(n, round)
                },
                |t| signing::sign(&s.author, &t, &mut |_| {}).unwrap(),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// Runs this bench again with the key passphrases in its environment, when they are
/// not there yet; its exit status, or None when they are.
fn rerun_with_passphrases() -> Option<i32> {
    if PASSPHRASE_VARS.iter().all(|v| std::env::var(v).as_deref() == Ok(PASSPHRASE)) {
        return None;
    }
    let status = Command::new(std::env::current_exe().unwrap())
        .args(std::env::args_os().skip(1))
        .envs(PASSPHRASE_VARS.map(|v| (v, PASSPHRASE)))
        .status()
        .unwrap();
    Some(status.code().unwrap_or(1))
}

fn main() {
    if let Some(code) = rerun_with_passphrases() {
        std::process::exit(code);
    }
    let mut c = Criterion::default().configure_from_args();
    read(&mut c);
    sign(&mut c);
    c.final_summary();
}
