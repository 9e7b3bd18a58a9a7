//! What the commands that change trust data share in the CLI: a publish's warnings
//! on stderr, and confirmations.

use std::io::{IsTerminal, Write};

use trust_core::publish::Outcome;

use crate::exit::{Code, Failure};

/// A publish's warnings, on stderr.
pub fn print_warnings(outcome: &Outcome) {
    for w in &outcome.warnings {
        eprintln!("warning: {w}");
    }
}

/// Asks `question` on a terminal; without one, refuses with what to pass instead.
pub fn confirm(question: &str, out: &mut dyn Write) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(
            Code::Usage,
            format!(
                "{question}\nno terminal to confirm on: pass --force (signer remove) or --yes (revoke) to go ahead"
            ),
        ));
    }
    let _ = write!(out, "{question} [y/N] ");
    let _ = out.flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).map_err(|e| Failure::new(Code::Io, format!("reading the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}
