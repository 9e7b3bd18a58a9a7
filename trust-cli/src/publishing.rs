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

/// Asks `question` and reads the answer from standard input, a terminal or not, as
/// docker does (`echo y | trust revoke …`): `y` or `yes` goes ahead; anything else,
/// or no answer at all (standard input at its end), is no. Without a terminal, the
/// question goes with a hint at `flag` (which skips it).
pub fn confirm(question: &str, flag: &str, out: &mut dyn Write) -> Result<bool, Failure> {
    let _ = write!(out, "{question} [y/N] ");
    let _ = out.flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).map_err(|e| Failure::new(Code::Io, format!("reading the answer: {e}")))?;
    if answer.is_empty() && !std::io::stdin().is_terminal() {
        eprintln!("\nno answer on standard input: taken as no (pass {flag} to go ahead without asking)");
    }
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}
