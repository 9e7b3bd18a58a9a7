//! Writes a signed test repository with N tags into a file remote directory, for
//! benchmarks and for trying `trust` with no server.
//!
//! `cargo run --release -p trust-core --example make_repo -- 100000 /tmp/remote`
//! prints the GUN; then `trust --server file:///tmp/remote verify <gun>:tag-1`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "remote".into()));
    let mut repo = common::Repo::new("example.com/bench/app");
    // Real time: the CLI verifies against the clock.
    repo.timestamp_expires = (chrono::Utc::now() + chrono::Duration::days(14)).to_rfc3339();
    for i in 0..n {
        repo.targets.insert(format!("tag-{i}"), common::target_json(format!("manifest {i}").as_bytes()));
    }
    let files = repo.build();
    let tuf = dir.join("v2").join(&repo.gun).join("_trust/tuf");
    for (role, bytes) in &files {
        common::write(&tuf.join(format!("{role}.json")), bytes);
    }
    common::write(&tuf.join("1.root.json"), &files["root"]);
    eprintln!("targets.json: {} bytes", files["targets"].len());
    println!("{}", repo.gun);
}
