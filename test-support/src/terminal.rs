//! Running a command under a pseudo-terminal (util-linux `script -qec`), for tests
//! of what a user at a terminal sees: progress lines, passphrase prompts.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::Outcome;

/// `cmd` run under a pseudo-terminal, its standard input, output and error all the
/// terminal; what the terminal showed is the outcome's stdout.
pub fn on_a_terminal(cmd: &Command) -> Outcome {
    typing(cmd, b"")
}

/// [`on_a_terminal`], with `input` typed at the terminal (each line read when the
/// command asks for it; the terminal echoes it before the command turns echo off).
pub fn typing(cmd: &Command, input: &[u8]) -> Outcome {
    let quote = |s: &std::ffi::OsStr| format!("'{}'", s.to_str().unwrap_or_default().replace('\'', r"'\''"));
    let line: Vec<String> = std::iter::once(cmd.get_program()).chain(cmd.get_args()).map(quote).collect();
    let mut script = Command::new("script");
    script.args(["-qec", &line.join(" "), "/dev/null"]).env("COLUMNS", "200");
    if let Some(dir) = cmd.get_current_dir() {
        script.current_dir(dir);
    }
    for (name, value) in cmd.get_envs() {
        match value {
            Some(v) => script.env(name, v),
            None => script.env_remove(name),
        };
    }
    script.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = script.spawn().unwrap_or_else(|e| panic!("cannot run script: {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input).unwrap_or_else(|e| panic!("cannot type at the terminal: {e}"));
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("script: {e}"));
    Outcome {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or_else(|| panic!("script was killed: {}", out.status)),
    }
}
