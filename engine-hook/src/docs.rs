//! `trust-engine-hook completion SHELL` and the hidden `man --out DIR`: the completion
//! script and the manual pages (section 8), from the clap definitions that parse the
//! command line.

use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::Cli;

/// Prints the completion script for `shell` on stdout.
pub fn completion(shell: clap_complete::Shell) -> ExitCode {
    clap_complete::generate(shell, &mut Cli::command(), "trust-engine-hook", &mut std::io::stdout());
    ExitCode::SUCCESS
}

/// Writes `trust-engine-hook.8` and a page per visible subcommand into `dir`.
pub fn man(dir: &Path) -> ExitCode {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let mut pages = vec![command.clone()];
    pages.extend(command.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    let written = std::fs::create_dir_all(dir).and_then(|()| {
        pages.into_iter().try_for_each(|page| {
            let page = clap_mangen::Man::new(page).section("8");
            let mut text = Vec::new();
            page.render(&mut text)?;
            std::fs::write(dir.join(page.get_filename()), text)
        })
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot write the manual pages in {}: {e}", dir.display());
            ExitCode::from(crate::INVALID)
        }
    }
}
