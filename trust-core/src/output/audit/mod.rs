//! Writing a [`Report`]: a text table for people, JSON for scripts, Markdown for
//! tickets and pull requests, SARIF 2.1.0 for code-scanning tools.

mod json;
mod markdown;
mod sarif;
mod text;

use std::fmt;
use std::str::FromStr;

use crate::audit::Report;

pub use json::json;
pub use markdown::markdown;
pub use sarif::{SCHEMA_URI, sarif};
pub use text::text;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Tables and finding blocks ([`text`]).
    Text,
    /// The report as JSON ([`json`]).
    Json,
    /// Markdown tables ([`markdown`]).
    Markdown,
    /// SARIF 2.1.0 ([`sarif`]).
    Sarif,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [Format::Text, Format::Json, Format::Markdown, Format::Sarif];

    /// The name `--format` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Sarif => "sarif",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown format {s:?} (text, json, markdown, sarif)"))
    }
}

/// `report` in `format`, ending with a newline.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => text(report),
        Format::Json => json(report),
        Format::Markdown => markdown(report),
        Format::Sarif => sarif(report),
    }
}

/// A key ID as tables show it.
fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

#[cfg(test)]
pub(crate) mod sample;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        assert!("yaml".parse::<Format>().is_err());
    }

    #[test]
    fn every_format_ends_with_a_newline() {
        let report = sample::report();
        for f in Format::ALL {
            let out = render(&report, f);
            assert!(out.ends_with('\n') && !out.ends_with("\n\n"), "{f}: {out:?}");
        }
    }
}
