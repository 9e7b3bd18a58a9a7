//! `trust completion SHELL` and the hidden `trust man --out DIR`: shell completion
//! scripts and manual pages, generated from the same clap definitions that parse the
//! command line, so they always list the flags `trust` takes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::args::Cli;
use crate::exit::{Code, Failure};

/// `trust completion`.
#[derive(Debug, Args)]
#[command(after_help = "\
Load it for this shell:
  source <(trust completion bash)
Install it (the packages do):
  trust completion bash > /etc/bash_completion.d/trust
  trust completion zsh > /usr/share/zsh/vendor-completions/_trust
  trust completion fish > ~/.config/fish/completions/trust.fish")]
pub struct CompletionArgs {
    /// The shell to print the completion script for
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// `trust man`: for packagers.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Directory to write the pages in (trust.1, trust-sign.1, trust-key-generate.1, …); created if missing
    #[arg(long = "out", value_name = "DIR")]
    pub out: PathBuf,
}

/// Prints the completion script for `args.shell`.
pub fn completion(args: &CompletionArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "trust", &mut script);
    out.write_all(&script).map_err(|e| Failure::new(Code::Io, format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// Writes one manual page per command and subcommand into `args.out`.
pub fn man(args: &ManArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let written = write_man_pages(Cli::command(), "1", &args.out)
        .map_err(|e| Failure::new(Code::Io, format!("cannot write the manual pages in {}: {e}", args.out.display())))?;
    writeln!(out, "{} manual pages written in {}", written, args.out.display())
        .map_err(|e| Failure::new(Code::Io, format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// Renders a page for `command` and each of its visible subcommands, named as man
/// expects (`trust-key-generate.1`), every page before any is written; returns how
/// many were written.
pub fn write_man_pages(command: clap::Command, section: &str, dir: &Path) -> std::io::Result<usize> {
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let mut pages = Vec::new();
    render(&command, section, &mut pages)?;
    std::fs::create_dir_all(dir)?;
    for (name, text) in &pages {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(pages.len())
}

fn render(command: &clap::Command, section: &str, pages: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    let page = clap_mangen::Man::new(command.clone()).section(section);
    let mut text = Vec::new();
    page.render(&mut text)?;
    pages.push((page.get_filename(), text));
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        render(sub, section, pages)?;
    }
    Ok(())
}
