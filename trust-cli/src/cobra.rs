//! The hidden `trust __complete`: completion answered in cobra's protocol, which the
//! Docker CLI (23 and later) speaks to its plugins. `docker trust sign --d<TAB>` runs
//! `docker-trust __complete trust sign --d`; the answer is one candidate a line
//! (`candidate<TAB>description`), then `:<directive>`. Candidates come from the same
//! clap definitions that parse the command line.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, CommandFactory};

use crate::args::Cli;
use crate::exit::{Code, Failure};

/// cobra's ShellCompDirectiveDefault: the shell may complete file names.
const FILES: u8 = 0;
/// cobra's ShellCompDirectiveNoFileComp: only the candidates given.
const NO_FILES: u8 = 4;

/// `trust __complete [PLUGIN-NAME] WORD... CURRENT`.
#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// The words typed so far, the last one being completed
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0.., value_name = "WORDS")]
    pub words: Vec<String>,
}

/// Prints the candidates for the last of `args.words`.
pub fn run(args: &CompleteArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let mut root = Cli::command();
    root.build();
    let (candidates, directive) = complete(&root, &args.words);
    let mut text = String::new();
    for (name, about) in candidates {
        text.push_str(&if about.is_empty() { format!("{name}\n") } else { format!("{name}\t{about}\n") });
    }
    text.push_str(&format!(":{directive}\n"));
    out.write_all(text.as_bytes()).map_err(|e| Failure::new(Code::Io, format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// The candidates and cobra directive for the last word of `words` under `root`.
/// A first word naming no subcommand is the plugin's name, which docker passes first.
fn complete(root: &clap::Command, words: &[String]) -> (Vec<(String, String)>, u8) {
    let Some((current, typed)) = words.split_last() else {
        return (Vec::new(), NO_FILES);
    };
    let mut typed = typed;
    if let Some((first, rest)) = typed.split_first()
        && root.find_subcommand(first).is_none()
        && !first.starts_with('-')
    {
        typed = rest;
    }
    let mut command = root;
    let mut pending: Option<&clap::Arg> = None;
    for word in typed {
        if pending.take().is_some() {
            continue;
        }
        if let Some(flag) = word.strip_prefix("--") {
            pending = long(command, flag).filter(|a| takes_value(a) && !flag.contains('='));
        } else if let Some(short) = word.strip_prefix('-').and_then(|s| s.chars().last()) {
            pending = command.get_arguments().find(|a| a.get_short() == Some(short)).filter(|a| takes_value(a));
        } else if let Some(sub) = command.find_subcommand(word) {
            command = sub;
        }
    }
    if let Some(arg) = pending {
        return values(arg, current);
    }
    if current.starts_with('-') {
        let flags = command
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| a.get_long().map(|l| (format!("--{l}"), about(a.get_help()))))
            .filter(|(name, _)| name.starts_with(current.as_str()))
            .collect();
        return (flags, NO_FILES);
    }
    if command.has_subcommands() {
        let subs = command
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name().starts_with(current.as_str()))
            .map(|s| (s.get_name().to_owned(), about(s.get_about())))
            .collect();
        return (subs, NO_FILES);
    }
    let positional = command.get_positionals().next();
    match positional {
        Some(arg) => values(arg, current),
        None => (Vec::new(), NO_FILES),
    }
}

fn long<'a>(command: &'a clap::Command, flag: &str) -> Option<&'a clap::Arg> {
    let name = flag.split('=').next().unwrap_or(flag);
    command.get_arguments().find(|a| a.get_long() == Some(name))
}

fn takes_value(arg: &clap::Arg) -> bool {
    arg.get_num_args().is_some_and(|n| n.takes_values())
}

/// An argument's possible values, or file names when it takes a path.
fn values(arg: &clap::Arg, current: &str) -> (Vec<(String, String)>, u8) {
    let possible: Vec<_> = arg
        .get_possible_values()
        .into_iter()
        .filter(|v| !v.is_hide_set() && v.get_name().starts_with(current))
        .map(|v| (v.get_name().to_owned(), about(v.get_help())))
        .collect();
    if !possible.is_empty() {
        return (possible, NO_FILES);
    }
    let paths =
        matches!(arg.get_value_hint(), clap::ValueHint::AnyPath | clap::ValueHint::FilePath | clap::ValueHint::DirPath);
    (Vec::new(), if paths { FILES } else { NO_FILES })
}

/// The first line of a help text.
fn about(text: Option<&clap::builder::StyledStr>) -> String {
    text.map(|t| t.to_string().lines().next().unwrap_or_default().to_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(words: &[&str]) -> (Vec<String>, u8) {
        let mut root = Cli::command();
        root.build();
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let (candidates, directive) = complete(&root, &words);
        (candidates.into_iter().map(|(n, _)| n).collect(), directive)
    }

    #[test]
    fn subcommands_flags_and_values() {
        assert_eq!(ask(&["trust", "si"]), (vec!["signer".to_owned(), "sign".to_owned()], NO_FILES));
        assert_eq!(ask(&["trust", "key", "g"]), (vec!["generate".to_owned()], NO_FILES));
        assert_eq!(ask(&["trust", "sign", "--dig"]), (vec!["--digest".to_owned(), "--digests".to_owned()], NO_FILES));
        assert_eq!(ask(&["trust", "verify", "--output", ""]), (vec!["text".to_owned(), "json".to_owned()], NO_FILES));
        assert_eq!(ask(&["trust", "sign", "--digests", ""]), (vec![], FILES));
        assert_eq!(ask(&["trust", "key", "load", ""]), (vec![], FILES));
        // Without docker's plugin name first, as `trust __complete` typed by hand.
        assert_eq!(ask(&["inspect", "--pre"]), (vec!["--pretty".to_owned()], NO_FILES));
    }
}
