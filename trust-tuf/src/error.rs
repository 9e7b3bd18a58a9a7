//! The error of every decision this crate makes, and the coarse kinds errors fall into.

/// What went wrong, coarsely: each kind maps to one exit code of the `trust` CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The repository or tag has no trust data (docker: "no signatures").
    NotSigned,
    /// Trust data exists but failed verification (signature, threshold, expiry,
    /// rollback, hash, size, certificate, delegation rules).
    Verification,
    /// The trust server or registry could not be reached or answered with an error.
    Network,
    /// The caller's input was invalid (reference, URL, flags, configuration).
    InvalidInput,
    /// A local file could not be read or written.
    Io,
    /// A private key or passphrase problem.
    Key,
}

/// Why trust data, a key or an input was refused. Messages name what was wrong and,
/// where it helps, what to do. They never contain key material or passphrases.
///
/// `trust-core` has an error with these same variants (and the I/O ones) and converts
/// each of these into its namesake, message unchanged.
///
/// Not `non_exhaustive`: a new variant must get its namesake in trust-core's error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The repository exists but the tag is not signed in `targets/releases` or `targets`.
    #[error(
        "no signed trust data for {gun}:{tag}: neither targets/releases nor targets signs it (`trust inspect {gun}` lists the signed tags)"
    )]
    TagNotSigned {
        /// The repository (GUN).
        gun: String,
        /// The tag.
        tag: String,
    },
    /// No released tag of the repository points to a digest.
    #[error("no signed tag of {gun} points to {digest} (`trust inspect {gun}` lists the signed tags)")]
    DigestNotSigned {
        /// The repository (GUN).
        gun: String,
        /// The digest, `sha256:<hex>`.
        digest: String,
    },
    /// A metadata file failed verification.
    #[error("{role}: {reason}")]
    Verification {
        /// The role whose metadata failed (`root`, `targets/releases`, ...).
        role: String,
        /// Why it failed.
        reason: String,
    },
    /// A delegation's signatures from keys its parent still lists do not reach the
    /// threshold (its owner removed or replaced the keys that signed it), and no
    /// signature by a listed key failed to verify. Readers treat such a delegation as
    /// holding no targets, as notary and docker do; see [`Error::is_below_threshold`].
    #[error("{role}: {reason}")]
    BelowThreshold {
        /// The delegation role.
        role: String,
        /// The threshold and how many listed keys signed.
        reason: String,
    },
    /// Metadata is past its expiry time.
    #[error("{role}: metadata expired at {expires}")]
    Expired {
        /// The expired role.
        role: String,
        /// The expiry as written in the metadata.
        expires: String,
    },
    /// Metadata could not be parsed.
    #[error("{role}: malformed metadata: {reason}")]
    Malformed {
        /// The role whose bytes were malformed.
        role: String,
        /// The parser's complaint.
        reason: String,
    },
    /// Invalid input from the caller.
    #[error("{0}")]
    InvalidInput(String),
    /// A key problem.
    #[error("{0}")]
    Key(String),
}

impl Error {
    /// The coarse kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::TagNotSigned { .. } | Error::DigestNotSigned { .. } => ErrorKind::NotSigned,
            Error::Verification { .. }
            | Error::BelowThreshold { .. }
            | Error::Expired { .. }
            | Error::Malformed { .. } => ErrorKind::Verification,
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::Key(_) => ErrorKind::Key,
        }
    }

    /// True for [`Error::BelowThreshold`].
    pub fn is_below_threshold(&self) -> bool {
        matches!(self, Error::BelowThreshold { .. })
    }

    /// A verification failure of `role`.
    pub fn verification(role: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Verification { role: role.into(), reason: reason.into() }
    }

    /// Malformed metadata for `role`.
    pub fn malformed(role: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Error::Malformed { role: role.into(), reason: reason.to_string() }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
