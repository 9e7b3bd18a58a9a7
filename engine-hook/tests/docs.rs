//! `trust-engine-hook man --out DIR` writes section-8 manual pages that render without
//! warnings, and `trust-engine-hook completion bash` loads in bash.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

const HOOK: &str = env!("CARGO_BIN_EXE_trust-engine-hook");

/// Whether `program` runs here; on CI (CI=true) it must, as .ci/run installs it.
fn installed(program: &str) -> bool {
    let found = Command::new("sh").args(["-c", &format!("command -v {program}")]).output().unwrap().status.success();
    assert!(found || std::env::var("CI").as_deref() != Ok("true"), "{program} is not installed (.ci/run installs it)");
    found
}

#[test]
fn manual_pages_are_written_for_every_command_and_render() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(HOOK).args(["man", "--out"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "trust-engine-hook-check-policy.8",
            "trust-engine-hook-completion.8",
            "trust-engine-hook-containerd-verifier.8",
            "trust-engine-hook-explain.8",
            "trust-engine-hook-serve.8",
            "trust-engine-hook.8",
        ]
    );
    if !installed("man") {
        eprintln!("skipped rendering: man is not installed");
        return;
    }
    for name in &names {
        let page = Path::new(dir.path()).join(name);
        let rendered =
            Command::new("man").args(["--warnings", "-l"]).arg(&page).env("MANWIDTH", "80").output().unwrap();
        let stderr = String::from_utf8_lossy(&rendered.stderr);
        assert!(rendered.status.success() && stderr.is_empty(), "man -l {name}: {stderr}");
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(text.contains(&format!("NAME\n       {} ", name.trim_end_matches(".8"))), "{name}: {text}");
    }
}

#[test]
fn bash_completion_loads() {
    let bin = Path::new(HOOK).parent().unwrap().display().to_string();
    let path = format!("{bin}:{}", std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .args(["-c", "source <(trust-engine-hook completion bash) && complete -p trust-engine-hook"])
        .env("PATH", path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains(" -F _trust__engine__hook trust-engine-hook"), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
}
