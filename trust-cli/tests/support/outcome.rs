//! Running a command to completion and keeping what it printed and its exit code:
//! shared by every CLI test file (the interop ones through `support`).

use std::process::Command;

/// What a command printed and how it exited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Runs `cmd` to completion and captures its output; a command killed by a signal
/// fails the test.
pub fn run(cmd: &mut Command) -> Outcome {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    Outcome {
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        code: out.status.code().unwrap_or_else(|| panic!("{cmd:?} was killed: {}", out.status)),
    }
}
