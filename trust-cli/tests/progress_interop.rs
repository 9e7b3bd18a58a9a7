//! Progress on a terminal: `trust sign` of 200 tags run under a pseudo-terminal
//! (util-linux `script`) shows one redrawn progress line and a last line saying
//! what was done and how long it took; the same command piped prints exactly
//! docker's lines and nothing else, and `--quiet` on a terminal shows no progress.
//!
//! Every test needs the real peers (tests/peers) and is `#[ignore]`d; with
//! `--include-ignored` and no peers' environment, each test fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use trust_test_support::live::{self, Live};
use trust_test_support::terminal::on_a_terminal;
use trust_test_support::{ok, tempdir};

const TAGS: usize = 200;

/// `TAG DIGEST SIZE` lines for 200 made-up manifests.
fn digests_file(dir: &Path) -> std::path::PathBuf {
    let text: String = (0..TAGS)
        .map(|i| format!("v{i} {} {}\n", live::sha256_digest(format!("manifest {i}").as_bytes()), 100 + i))
        .collect();
    let file = dir.join("digests.txt");
    fs::write(&file, text).unwrap();
    file
}

/// What `trust sign --digests` prints on stdout for a repository with no trust data
/// (docker's lines), whatever stderr is.
fn docker_lines(gun: &str) -> String {
    let mut text: String = (0..TAGS).map(|i| format!("Signing and pushing trust metadata for {gun}:v{i}\n")).collect();
    text.push_str(&format!("Finished initializing signed repository for {gun}\n"));
    text.extend((0..TAGS).map(|i| format!("Successfully signed {gun}:v{i}\n")));
    text
}

/// What a terminal shows once `\r`-redrawn lines are taken away: the lines left
/// standing, each as the last thing drawn on it.
fn standing_lines(shown: &str) -> String {
    shown
        .split('\n')
        .map(|l| {
            let l = l.strip_suffix('\r').unwrap_or(l);
            let last = l.rsplit('\r').next().unwrap_or(l);
            last.strip_prefix("\x1b[2K").unwrap_or(last).to_owned()
        })
        .filter(|l| !l.is_empty())
        .map(|l| l + "\n")
        .collect()
}

#[test]
#[ignore = "needs the real peers: run .ci/run, or start tests/peers/start.sh and source its env"]
fn signing_200_tags_shows_progress_on_a_terminal_and_none_when_piped() {
    let live = Live::from_env();
    let tmp = tempdir();
    let file = digests_file(tmp.path());
    let file = file.to_str().unwrap();
    let trust_dir = tmp.path().join("trust");

    // Piped: docker's lines on stdout, nothing on stderr, no terminal control.
    let piped_gun = live.gun(&live.fresh_name("progress-piped"));
    let piped = ok("trust sign piped", live.trust(&trust_dir, &["sign", "--digests", file, &piped_gun]));
    assert_eq!(piped.stdout, docker_lines(&piped_gun));
    assert_eq!(piped.stderr, "", "nothing but docker's lines when stderr is not a terminal");

    // A terminal: the progress line, redrawn, reaching 200/200, then docker's lines
    // as they were, and a last line with what was done and how long it took.
    let gun = live.gun(&live.fresh_name("progress-tty"));
    let shown = on_a_terminal(&live.trust_cmd(&trust_dir, &["sign", "--digests", file, &gun]));
    assert_eq!(shown.code, 0, "{shown:?}");
    let progress = format!("\r\x1b[2KSigning {TAGS}/{TAGS} tags, ");
    assert!(shown.stdout.contains(&progress), "no progress line reaching {TAGS}/{TAGS}: {shown:?}");
    assert!(shown.stdout.contains("\r\x1b[2KSigning 0/200 tags"), "the line starts at 0/200: {shown:?}");
    assert!(shown.stdout.contains(&format!("publishing {gun}")), "the publish is shown: {shown:?}");
    let standing = standing_lines(&shown.stdout);
    let (lines, last) = standing.rsplit_once("Signed 200 tags of 1 repository in ").expect("a last line");
    assert_eq!(lines, docker_lines(&gun), "docker's lines stand as they are");
    assert!(last.ends_with(" s\n") && last.trim_end_matches(" s\n").parse::<f64>().is_ok(), "{last:?}");

    // --quiet on a terminal: no progress and no last line; docker's lines stay.
    let quiet_gun = live.gun(&live.fresh_name("progress-quiet"));
    let quiet = on_a_terminal(&live.trust_cmd(&trust_dir, &["--quiet", "sign", "--digests", file, &quiet_gun]));
    assert_eq!(quiet.code, 0, "{quiet:?}");
    assert!(!quiet.stdout.contains("\x1b[2K") && !quiet.stdout.contains("Signed 200 tags"), "{quiet:?}");
    assert_eq!(quiet.stdout.replace("\r\n", "\n"), docker_lines(&quiet_gun));
}
