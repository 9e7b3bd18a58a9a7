//! Running a command to completion and keeping what it printed and its exit code.

use std::process::Command;

/// What a command printed and how it exited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
    /// Its exit code.
    pub code: i32,
}

impl Outcome {
    /// True when it exited 0.
    pub fn ok(&self) -> bool {
        self.code == 0
    }
}

/// Runs `cmd` to completion (stdin empty) and captures its output; output that is
/// not UTF-8 or a command killed by a signal fails the test.
pub fn run(cmd: &mut Command) -> Outcome {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    Outcome {
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        code: out.status.code().unwrap_or_else(|| panic!("{cmd:?} was killed: {}", out.status)),
    }
}

/// Runs `cmd`, which must succeed, and returns its stdout as bytes.
pub fn run_ok_bytes(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Asserts `out` is a success of `what` and returns it.
pub fn ok(what: &str, out: Outcome) -> Outcome {
    assert_eq!(out.code, 0, "{what} failed: {out:?}");
    out
}
