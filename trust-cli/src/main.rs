//! `trust`: docker trust compatible signing and verification of container images.
//!
//! The binary is thin: it parses arguments, opens clients through
//! `trust_core::settings`, and formats what trust-core returns.

mod args;
mod exit;
mod inspect;
mod verify;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = cli.global.settings();
    let mut out = std::io::stdout().lock();
    let result = match &cli.command {
        Command::Inspect(a) => inspect::run(&settings, a, &mut out),
        Command::Verify(a) => verify::run(&settings, a, &mut out),
    };
    let _ = out.flush();
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("{}", failure.message);
            failure.code.into()
        }
    }
}
