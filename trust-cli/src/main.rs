//! `trust`: docker trust compatible signing and verification of container images.
//!
//! The binary is thin: it parses arguments, opens clients through
//! `trust_core::settings`, and formats what trust-core returns.

// Doc comments on the argument structs are the `--help` text, where `<hex>` and
// `<trust dir>` are the usual notation for a value, not HTML.
#![allow(rustdoc::invalid_html_tags)]

mod args;
mod audit;
mod bundle;
mod cobra;
mod copy;
mod cosign;
mod debug_log;
mod docs;
mod exit;
mod export;
mod help_text;
mod inspect;
mod key;
mod key_manage;
mod local;
mod plugin;
mod progress;
mod publishing;
mod pull;
mod revoke;
mod rotate;
mod sign;
mod sign_local;
mod signer;
mod timestamp;
mod tuf;
mod usage;
mod verify;

use std::io::Write;
use std::process::ExitCode;

use args::{BundleCommand, Command, SignerCommand, TimestampCommand};

/// `trust version`: the version, the crypto module and FIPS mode with its source.
fn version(settings: &trust_core::settings::Settings, out: &mut dyn Write) -> Result<ExitCode, exit::Failure> {
    let text = format!(
        "trust {}\ncrypto module: {}\nFIPS mode: {}\n",
        env!("CARGO_PKG_VERSION"),
        trust_core::crypto::module_status(),
        settings.fips
    );
    out.write_all(text.as_bytes())
        .map_err(|e| exit::Failure::new(exit::Code::Io, format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let (args, docker) = match args.first().and_then(|argv0| plugin::plugin_name(argv0)) {
        None => (args, None),
        Some(name) => match plugin::rewrite(&name, args) {
            Ok(plugin::Invocation::Metadata) => {
                println!("{}", plugin::metadata());
                return ExitCode::SUCCESS;
            }
            Ok(plugin::Invocation::Run { args, globals }) => {
                // docker closes its plugin socket when the user interrupts it.
                trust_core::plugin_socket::watch(|| std::process::exit(130));
                (args, Some(globals))
            }
            Err(message) => {
                eprintln!("error: {message}");
                return exit::Code::Usage.into();
            }
        },
    };
    let cli = usage::parse(args);
    let mut settings = cli.global.settings();
    if let Some(docker) = &docker {
        settings = docker.apply(settings);
    }
    progress::set_quiet(cli.global.quiet);
    if cli.global.debug || docker.as_ref().is_some_and(|d| d.debug) {
        debug_log::enable(started);
    }
    for (name, value) in &settings.fips.ignored {
        eprintln!("warning: {name}={value} ignored: FIPS mode takes 1 or 0");
    }
    let mut out = std::io::stdout().lock();
    let result = match &cli.command {
        Command::Inspect(a) => inspect::run(&settings, a, &mut out),
        Command::Verify(a) => verify::run(&settings, a, &mut out),
        Command::Key(a) => key::run(&settings, a, &mut out),
        Command::Signer(SignerCommand::Add(a)) => signer::add(&settings, a, &mut out),
        Command::Signer(SignerCommand::Remove(a)) => signer::remove(&settings, a, &mut out),
        Command::Sign(a) => sign::run(&settings, a, &mut out),
        Command::Revoke(a) => revoke::run(&settings, a, &mut out),
        Command::Publish(a) => cosign::publish(&settings, a, &mut out),
        Command::Pull(a) => pull::run(&settings, a, &mut out),
        Command::Copy(a) => copy::run(&settings, a, &mut out),
        Command::Audit(a) => audit::run(&settings, a, &mut out),
        Command::Bundle(BundleCommand::Update(a)) => bundle::update(&settings, a, &mut out),
        Command::Export(a) => export::run(&settings, a, &mut out),
        Command::Timestamp(TimestampCommand::Refresh(a)) => timestamp::refresh(&settings, a, &mut out),
        Command::Status(a) => local::status(&settings, a, &mut out),
        Command::Reset(a) => local::reset(&settings, a, &mut out),
        Command::Delete(a) => local::delete(&settings, a, &mut out),
        Command::Tuf(a) => tuf::run(&settings, a, &mut out),
        Command::Version => version(&settings, &mut out),
        Command::Completion(a) => docs::completion(a, &mut out),
        Command::Man(a) => docs::man(a, &mut out),
        Command::Complete(a) => cobra::run(a, &mut out),
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
