//! The crate's one error type, with kinds that map to documented exit codes.
//!
//! [`ErrorKind`] is trust-tuf's; every [`trust_tuf::Error`] becomes the variant of the
//! same name here, with the same message, so `?` works across the two crates.

use std::path::PathBuf;

pub use trust_tuf::ErrorKind;

/// Errors from trust-core. Messages name what was wrong and, where it helps, what to do.
/// They never contain key material or passphrases.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No trust data exists for a repository on the server.
    #[error("remote trust data does not exist for {gun}: {server} does not have trust data for {gun}")]
    RepositoryNotFound {
        /// The repository (GUN).
        gun: String,
        /// The trust server that was asked.
        server: String,
    },
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
    /// A repository has no signer of that name (`trust signer remove`).
    #[error("no signer {signer} for repository {repository}")]
    SignerNotFound {
        /// The signer's name (`alice`).
        signer: String,
        /// The repository as the caller named it.
        repository: String,
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
    /// A download failed.
    #[error("{url}: {reason}")]
    Network {
        /// What was requested.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The server refused an update because another one was published first.
    #[error("{0}")]
    Conflict(String),
    /// Invalid input from the caller.
    #[error("{0}")]
    InvalidInput(String),
    /// A local I/O failure.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A key or passphrase problem.
    #[error("{0}")]
    Key(String),
    /// Another error, with a note on what it left behind or what to do next.
    #[error("{source}\n{note}")]
    Noted {
        /// The error.
        source: Box<Error>,
        /// The note (for example which changes stay staged).
        note: String,
    },
}

impl Error {
    /// The coarse kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::RepositoryNotFound { .. }
            | Error::TagNotSigned { .. }
            | Error::DigestNotSigned { .. }
            | Error::SignerNotFound { .. } => ErrorKind::NotSigned,
            Error::Verification { .. }
            | Error::BelowThreshold { .. }
            | Error::Expired { .. }
            | Error::Malformed { .. } => ErrorKind::Verification,
            Error::Network { .. } | Error::Conflict(_) => ErrorKind::Network,
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::Io { .. } => ErrorKind::Io,
            Error::Key(_) => ErrorKind::Key,
            Error::Noted { source, .. } => source.kind(),
        }
    }

    /// True for [`Error::BelowThreshold`] (also under a note).
    pub fn is_below_threshold(&self) -> bool {
        match self {
            Error::BelowThreshold { .. } => true,
            Error::Noted { source, .. } => source.is_below_threshold(),
            _ => false,
        }
    }

    /// This error with `note` after its message; the kind stays the same.
    pub fn noted(self, note: impl Into<String>) -> Self {
        Error::Noted { source: Box::new(self), note: note.into() }
    }

    /// A verification failure of `role`.
    pub fn verification(role: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Verification { role: role.into(), reason: reason.into() }
    }

    /// Malformed metadata for `role`.
    pub fn malformed(role: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Error::Malformed { role: role.into(), reason: reason.to_string() }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}

impl From<trust_tuf::Error> for Error {
    fn from(e: trust_tuf::Error) -> Self {
        use trust_tuf::Error as Tuf;
        match e {
            Tuf::TagNotSigned { gun, tag } => Error::TagNotSigned { gun, tag },
            Tuf::DigestNotSigned { gun, digest } => Error::DigestNotSigned { gun, digest },
            Tuf::Verification { role, reason } => Error::Verification { role, reason },
            Tuf::BelowThreshold { role, reason } => Error::BelowThreshold { role, reason },
            Tuf::Expired { role, expires } => Error::Expired { role, expires },
            Tuf::Malformed { role, reason } => Error::Malformed { role, reason },
            Tuf::InvalidInput(message) => Error::InvalidInput(message),
            Tuf::Key(message) => Error::Key(message),
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
