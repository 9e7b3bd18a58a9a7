//! Signs a repository with N tags into a file remote directory, for benchmarks and
//! for trying `trust` with no server. With a signer name, the tags are signed the way
//! `docker trust sign` does: into `targets/releases` and `targets/<signer>`.
//!
//! `cargo run --release -p trust-core --example make_repo -- N DIR [GUN [SIGNER]]`
//! prints the GUN; then `trust --server file://DIR verify <gun>:tag-1`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use trust_test_support::builders;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "remote".into()));
    let gun = args.next().unwrap_or_else(|| "example.com/bench/app".into());
    let signer = args.next();
    let mut repo = builders::Repo::new(&gun);
    // The CLI verifies against the clock, not the tests' fixed time.
    let now = chrono::Utc::now();
    repo.root_keys =
        vec![builders::Key::root(&gun, now - chrono::Duration::hours(1), now + chrono::Duration::days(3650))];
    repo.timestamp_expires = (now + chrono::Duration::days(14)).to_rfc3339();
    let tags: Vec<(String, serde_json::Value)> =
        (1..=n).map(|i| (format!("tag-{i}"), builders::target_json(format!("manifest {i}").as_bytes()))).collect();
    match signer {
        Some(name) => {
            for role in ["targets/releases".to_string(), format!("targets/{name}")] {
                repo.add_delegation(&role, &[""]).targets.extend(tags.iter().cloned());
            }
        }
        None => repo.targets.extend(tags),
    }
    let files = repo.build();
    let tuf = dir.join("v2").join(&repo.gun).join("_trust/tuf");
    for (role, bytes) in &files {
        builders::write(&tuf.join(format!("{role}.json")), bytes);
    }
    builders::write(&tuf.join("1.root.json"), &files["root"]);
    println!("{}", repo.gun);
}
