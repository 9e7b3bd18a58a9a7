//! The one table of exit codes: every code the `trust` CLI documents, with a name
//! and a one-line meaning, and the code for each [`ErrorKind`]. The CLI exits with
//! these codes, the C binding returns them and the Python binding picks its
//! exception classes by them; the README's exit-code table is checked against it.

use crate::ErrorKind;

/// A documented exit code of the `trust` CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ExitCode {
    /// 0: success.
    Success = 0,
    /// 1: no trust data for the repository, or the tag is not signed.
    NotSigned = 1,
    /// 2: invalid arguments or configuration.
    Usage = 2,
    /// 3: trust data failed verification.
    Verification = 3,
    /// 4: the trust server or registry could not be reached, or refused.
    Network = 4,
    /// 5: a key or passphrase problem.
    Key = 5,
    /// 6: a local file could not be read or written.
    Io = 6,
    /// 7: `trust audit` found something at or above `--fail-on`.
    AuditFindings = 7,
    /// 8: `trust export`: some repositories failed and were left out of the bundle.
    PartialExport = 8,
}

impl ExitCode {
    /// Every code, in ascending order.
    pub const ALL: [ExitCode; 9] = [
        ExitCode::Success,
        ExitCode::NotSigned,
        ExitCode::Usage,
        ExitCode::Verification,
        ExitCode::Network,
        ExitCode::Key,
        ExitCode::Io,
        ExitCode::AuditFindings,
        ExitCode::PartialExport,
    ];

    /// The number the process exits with.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// A stable identifier: the C binding's constant is `TRUST_ERR_<NAME>` in upper
    /// case (`TRUST_OK` for success).
    pub const fn name(self) -> &'static str {
        match self {
            ExitCode::Success => "ok",
            ExitCode::NotSigned => "not_signed",
            ExitCode::Usage => "invalid_argument",
            ExitCode::Verification => "verification",
            ExitCode::Network => "network",
            ExitCode::Key => "key",
            ExitCode::Io => "io",
            ExitCode::AuditFindings => "audit_findings",
            ExitCode::PartialExport => "partial_export",
        }
    }

    /// What the code means, as the README's exit-code table says it (Markdown).
    pub const fn meaning(self) -> &'static str {
        match self {
            ExitCode::Success => "success",
            ExitCode::NotSigned => "no trust data for the repository, or the tag is not signed (docker's code)",
            ExitCode::Usage => "invalid arguments or configuration",
            ExitCode::Verification => {
                "trust data failed verification: signature, threshold, expiry, rollback, hash or length, \
                 size limit, root certificate, delegation rules"
            }
            ExitCode::Network => {
                "the trust server, the registry or the Docker engine could not be reached, or answered \
                 with an error (an image missing from the registry, an update refused)"
            }
            ExitCode::Key => "key or passphrase problem",
            ExitCode::Io => "a local file could not be read or written",
            ExitCode::AuditFindings => "`trust audit`: a finding at or above `--fail-on` (default `high`)",
            ExitCode::PartialExport => {
                "`trust export`: some repositories failed and were left out of the bundle (each is named on stderr)"
            }
        }
    }

    /// The meaning in a few words, as `trust --help` lists it (plain text).
    pub const fn summary(self) -> &'static str {
        match self {
            ExitCode::Success => "success",
            ExitCode::NotSigned => "no trust data for the repository, or the tag is not signed",
            ExitCode::Usage => "invalid arguments or configuration",
            ExitCode::Verification => {
                "trust data failed verification (signature, threshold, expiry, rollback, hash, size, certificate)"
            }
            ExitCode::Network => "the trust server, registry or engine could not be reached or answered with an error",
            ExitCode::Key => "key or passphrase problem",
            ExitCode::Io => "a local file could not be read or written",
            ExitCode::AuditFindings => "trust audit: a finding at or above --fail-on (default: high)",
            ExitCode::PartialExport => "trust export: some repositories failed and were left out of the bundle",
        }
    }

    /// The code for an error of `kind` (a kind added later counts as a
    /// verification failure until it is given a code of its own).
    pub fn of(kind: ErrorKind) -> ExitCode {
        match kind {
            ErrorKind::NotSigned => ExitCode::NotSigned,
            ErrorKind::Verification => ExitCode::Verification,
            ErrorKind::Network => ExitCode::Network,
            ErrorKind::InvalidInput => ExitCode::Usage,
            ErrorKind::Io => ExitCode::Io,
            ErrorKind::Key => ExitCode::Key,
            #[allow(unreachable_patterns)] // `ErrorKind` is non-exhaustive outside its crate
            _ => ExitCode::Verification,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows `| code | meaning |` of the README's "Exit codes" table.
    fn readme_rows() -> Vec<(u8, String)> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let section = text.split_once("### Exit codes\n").map(|(_, rest)| rest).unwrap_or_else(|| panic!("no section"));
        section
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
                Some((cells.first()?.parse().ok()?, cells.get(1)?.to_string()))
            })
            .collect()
    }

    #[test]
    fn the_readme_table_is_this_table() {
        let ours: Vec<(u8, String)> = ExitCode::ALL.iter().map(|c| (c.code(), c.meaning().to_owned())).collect();
        assert_eq!(readme_rows(), ours);
    }

    #[test]
    fn codes_are_ascending_names_unique() {
        for (i, c) in ExitCode::ALL.iter().enumerate() {
            assert_eq!(usize::from(c.code()), i);
        }
        let mut names: Vec<&str> = ExitCode::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ExitCode::ALL.len());
    }

    #[test]
    fn each_error_kind_has_its_code() {
        let kinds = [
            (ErrorKind::NotSigned, 1),
            (ErrorKind::InvalidInput, 2),
            (ErrorKind::Verification, 3),
            (ErrorKind::Network, 4),
            (ErrorKind::Key, 5),
            (ErrorKind::Io, 6),
        ];
        for (kind, code) in kinds {
            assert_eq!(ExitCode::of(kind).code(), code, "{kind:?}");
        }
    }
}
