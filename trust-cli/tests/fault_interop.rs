//! Hostile networks and faults against the real peers (tests/peers), through the
//! project's own fault-injecting proxy (`trust_test_support::fault_proxy`) in front of
//! notary-server or the registry: a drip-fed download fails within the limits, and
//! server errors, resets, early closes, refused uploads and a hung token endpoint
//! each fail with exit code 4 and a message naming what failed, keep staged changes,
//! leave the cache byte for byte as it was (no temporary files), and the next command
//! succeeds once the fault is gone.
//!
//! Every test needs the peers and is `#[ignore]`d; with `--include-ignored` and no
//! peers' environment, each test fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use trust_test_support::fault_proxy;
use trust_test_support::interop;
use trust_test_support::live;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fault_proxy::{Fault, FaultProxy};
use interop::{Outcome, run, tempdir};
use live::{Live, ok, snapshot, staged_changes};

/// A hang guard, far above the limits' worst case: proves a command did not hang.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// A repository name no other test, run or engineer uses.
fn fresh_name(case: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("net-faults/{case}-{}-{nanos}", std::process::id())
}

/// `trust ARGS` against `server`, timed.
fn trust_at(live: &Live, server: &str, dir: &Path, args: &[&str]) -> (Outcome, Duration) {
    let started = Instant::now();
    let out = run(&mut live.trust_cmd_at(server, dir, args));
    (out, started.elapsed())
}

fn assert_fails(what: &str, out: &Outcome, needles: &[&str]) {
    assert_eq!(out.code, 4, "{what}: exit code; {out:?}");
    for needle in needles {
        assert!(out.stderr.contains(needle), "{what}: stderr should mention {needle:?}: {:?}", out.stderr);
    }
}

/// The files of a trust dir outside its changelists: keys, cache, freshness records.
fn outside_changelists(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    snapshot(dir).into_iter().filter(|(p, _)| !p.components().any(|c| c.as_os_str() == "changelist")).collect()
}

/// A repository with `tags` pushed and `first` signed through the real server by
/// trust dir `admin`.
fn signed_repo(live: &Live, case: &str, tags: &[&str], first: &str) -> (tempfile::TempDir, String) {
    let tmp = tempdir();
    let name = fresh_name(case);
    live.push_manifest(&name, tags);
    let gun = live.gun(&name);
    live.trust_ok(&tmp.path().join("admin"), &["sign", &format!("{gun}:{first}")]);
    (tmp, gun)
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_drip_fed_timestamp_fails_verify_in_seconds_with_the_default_limits_and_caches_nothing() {
    let live = Live::from_env();
    let (tmp, gun) = signed_repo(&live, "drip", &["v1"], "v1");
    let proxy = FaultProxy::start_tls(&live.server, &live.ca);
    proxy.arm(Fault::Drip(Duration::from_secs(1)), "timestamp.json");
    let reader = tmp.path().join("reader");

    let (out, took) = trust_at(&live, &proxy.url(), &reader, &["verify", &format!("{gun}:v1")]);
    eprintln!("a verify drip-fed 1 byte/s failed after {:.1} s (whole process, wall clock)", took.as_secs_f64());
    eprintln!("its message: {}", out.stderr.trim_end());
    assert_fails("drip-fed verify", &out, &["timestamp.json", "byte/s", "1024-byte/s floor (--min-rate)"]);
    assert!(took < HANG_GUARD, "verify took {took:?}");
    assert_eq!(proxy.faulted().len(), 1, "{:?}", proxy.faulted());
    assert_eq!(snapshot(&reader), BTreeMap::new(), "nothing cached (not even the root, which verified)");

    proxy.disarm();
    let (out, _) = trust_at(&live, &proxy.url(), &reader, &["verify", &format!("{gun}:v1")]);
    ok("verify once the drip is gone", out);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn server_errors_resets_and_early_closes_fail_verify_cleanly_and_the_next_verify_succeeds() {
    let live = Live::from_env();
    let (tmp, gun) = signed_repo(&live, "verify-faults", &["v1"], "v1");
    let proxy = FaultProxy::start_tls(&live.server, &live.ca);
    let image = format!("{gun}:v1");
    let faults = [
        (Fault::Status(500), "500"),
        (Fault::Status(502), "502"),
        (Fault::Status(503), "503"),
        (Fault::ResetMidBody, "timestamp.json"),
        (Fault::CloseAfterHeaders, "timestamp.json"),
    ];
    for (i, (fault, needle)) in faults.into_iter().enumerate() {
        let reader = tmp.path().join(format!("reader-{i}"));
        proxy.arm(fault.clone(), "timestamp.json");
        let (out, took) = trust_at(&live, &proxy.url(), &reader, &["verify", &image]);
        assert_fails(&format!("verify with {fault:?}"), &out, &["timestamp.json", needle]);
        assert!(took < HANG_GUARD, "{fault:?}: verify took {took:?}");
        assert_eq!(proxy.faulted().len(), 1, "{fault:?}: {:?}", proxy.faulted());
        assert_eq!(snapshot(&reader), BTreeMap::new(), "{fault:?}: nothing cached");
        proxy.disarm();
        let (out, _) = trust_at(&live, &proxy.url(), &reader, &["verify", &image]);
        ok(&format!("verify after {fault:?} is gone"), out);
    }
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_sign_that_meets_a_fault_stays_staged_and_the_next_sign_publishes_everything() {
    let live = Live::from_env();
    let tags = ["t0", "t1", "t2", "t3", "t4", "t5", "t6"];
    let (tmp, gun) = signed_repo(&live, "sign-faults", &tags, "t0");
    let admin = tmp.path().join("admin");
    let proxy = FaultProxy::start_tls(&live.server, &live.ca);
    let faults = [
        (Fault::UploadThenStatus(500), "POST ", "500"),
        (Fault::Status(502), "POST ", "502"),
        (Fault::Status(503), "POST ", "503"),
        (Fault::ResetMidBody, "timestamp.json", "timestamp.json"),
        (Fault::CloseAfterHeaders, "timestamp.json", "timestamp.json"),
    ];
    for (i, (fault, pattern, needle)) in faults.into_iter().enumerate() {
        let tag = tags[i + 1];
        let before = outside_changelists(&admin);
        proxy.arm(fault.clone(), pattern);
        let (out, took) = trust_at(&live, &proxy.url(), &admin, &["sign", &format!("{gun}:{tag}")]);
        assert_fails(&format!("sign with {fault:?}"), &out, &[needle, "stay staged"]);
        assert!(took < HANG_GUARD, "{fault:?}: sign took {took:?}");
        assert!(!proxy.faulted().is_empty(), "{fault:?}: the fault was not met");
        let staged = staged_changes(&admin, &gun);
        assert_eq!(staged.len(), i + 1, "{fault:?}: every failed sign stays staged: {staged:?}");
        assert_eq!(outside_changelists(&admin), before, "{fault:?}: cache and keys unchanged, no temporary files");
    }
    assert_eq!(live.notary_list(&gun).len(), 1, "only t0 is on the server");

    proxy.disarm();
    let (out, _) = trust_at(&live, &proxy.url(), &admin, &["sign", &format!("{gun}:t6")]);
    ok("sign once the faults are gone", out);
    assert_eq!(staged_changes(&admin, &gun), Vec::<PathBuf>::new(), "the changelist is empty again");
    let on_server: Vec<String> = live.notary_list(&gun).into_iter().map(|[name, ..]| name).collect();
    assert_eq!(on_server, tags.map(String::from).to_vec(), "every staged tag was published");
}

/// The server applies the upload, but the answer is lost (an error instead): the
/// change stays staged, and publishing it again with the next command is harmless.
#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_sign_whose_applied_upload_is_answered_with_an_error_stays_staged_and_lands_once() {
    let live = Live::from_env();
    let tags = ["t0", "t1", "t2"];
    let (tmp, gun) = signed_repo(&live, "applied-then-error", &tags, "t0");
    let admin = tmp.path().join("admin");
    let proxy = FaultProxy::start_tls(&live.server, &live.ca);
    let before = outside_changelists(&admin);
    proxy.arm(Fault::AppliedThenStatus(502), "POST ");
    let (out, took) = trust_at(&live, &proxy.url(), &admin, &["sign", &format!("{gun}:t1")]);
    assert_fails("sign whose applied upload is answered 502", &out, &["502", "stay staged"]);
    assert!(took < HANG_GUARD, "sign took {took:?}");
    assert!(!out.stdout.contains("Successfully signed"), "{out:?}");
    assert_eq!(staged_changes(&admin, &gun).len(), 1, "the change stays staged");
    assert_eq!(outside_changelists(&admin), before, "cache and keys unchanged, no temporary files");
    let on_server: Vec<String> = live.notary_list(&gun).into_iter().map(|[name, ..]| name).collect();
    assert_eq!(on_server, ["t0", "t1"], "the server applied the upload");

    proxy.disarm();
    let (out, _) = trust_at(&live, &proxy.url(), &admin, &["sign", &format!("{gun}:t2")]);
    ok("sign once the fault is gone", out);
    assert_eq!(staged_changes(&admin, &gun), Vec::<PathBuf>::new(), "the changelist is empty again");
    let on_server: Vec<String> = live.notary_list(&gun).into_iter().map(|[name, ..]| name).collect();
    assert_eq!(on_server, tags.map(String::from).to_vec());
    let verified = live.trust_ok(&tmp.path().join("reader"), &["verify", &format!("{gun}:t1")]);
    assert!(verified.stdout.starts_with("sha256:"), "{verified:?}");
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_hung_token_endpoint_fails_sign_within_the_deadline_and_the_next_sign_succeeds() {
    let live = Live::from_env();
    let name = fresh_name("token-hang");
    live.push_manifest(&name, &["v1"]);
    let registry_url = std::env::var("TRUST_TEST_REGISTRY_URL").unwrap();
    let proxy = FaultProxy::start(&registry_url, None);
    let realm = fault_proxy::hanging_listener();
    proxy.arm(Fault::Challenge(realm.clone()), "/manifests/");
    // The image through the proxy: its GUN names the proxy's address.
    let image = format!("{}/{name}:v1", proxy.host());
    let gun = format!("{}/{name}", proxy.host());
    let tmp = tempdir();
    let dir = tmp.path().join("admin");

    let (out, took) = trust_at(&live, &live.server, &dir, &["--timeout", "5", "sign", &image]);
    eprintln!("a sign whose token endpoint hangs failed after {:.1} s with --timeout 5", took.as_secs_f64());
    assert_fails("sign with a hung token endpoint", &out, &[&realm, "5 s deadline"]);
    assert!(took < HANG_GUARD, "sign took {took:?}");
    assert_eq!(staged_changes(&dir, &gun), Vec::<PathBuf>::new(), "nothing staged");
    assert!(!dir.join("tuf").join(&gun).join("metadata").exists(), "nothing cached");

    proxy.disarm();
    let (out, _) = trust_at(&live, &live.server, &dir, &["sign", &image]);
    ok("sign once the token endpoint is gone", out);
    let on_server: Vec<String> = live.notary_list(&gun).into_iter().map(|[name, ..]| name).collect();
    assert_eq!(on_server, vec!["v1".to_owned()]);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_revoke_whose_upload_fails_stays_staged_and_the_next_revoke_removes_the_tag() {
    let live = Live::from_env();
    let (tmp, gun) = signed_repo(&live, "revoke-fault", &["v1", "v2"], "v1");
    let admin = tmp.path().join("admin");
    live.trust_ok(&admin, &["sign", &format!("{gun}:v2")]);
    let proxy = FaultProxy::start_tls(&live.server, &live.ca);
    let before = outside_changelists(&admin);
    proxy.arm(Fault::UploadThenStatus(503), "POST ");

    let (out, took) = trust_at(&live, &proxy.url(), &admin, &["revoke", &format!("{gun}:v1")]);
    assert_fails("revoke with a refused upload", &out, &["503"]);
    assert!(took < HANG_GUARD, "revoke took {took:?}");
    assert_eq!(staged_changes(&admin, &gun).len(), 1, "the removal stays staged");
    assert_eq!(outside_changelists(&admin), before, "cache and keys unchanged, no temporary files");
    let on_server = |live: &Live| -> Vec<String> { live.notary_list(&gun).into_iter().map(|[n, ..]| n).collect() };
    assert_eq!(on_server(&live), ["v1", "v2"], "nothing removed on the server yet");

    proxy.disarm();
    let (out, _) = trust_at(&live, &proxy.url(), &admin, &["revoke", &format!("{gun}:v1")]);
    ok("revoke once the fault is gone", out);
    assert_eq!(staged_changes(&admin, &gun), Vec::<PathBuf>::new(), "the changelist is empty again");
    assert_eq!(on_server(&live), ["v2"]);
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn a_trust_server_url_that_answers_plain_http_says_so() {
    // The real registry speaks plain HTTP; an https:// trust server URL pointed at it
    // (a wrong port, a server without TLS) must say what happened.
    let live = Live::from_env();
    let dir = tempdir();
    let server = format!("https://{}", live.registry);
    let (out, _) = trust_at(&live, &server, dir.path(), &["verify", &live.gun("net-faults/plain:v1")]);
    assert_fails("plain HTTP", &out, &[&server, "answered in plain HTTP, not TLS", "check the URL's port"]);
    assert!(!out.stderr.contains("InvalidContentType"), "{out:?}");
}
