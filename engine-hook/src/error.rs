//! The crate's one error type.

use std::path::PathBuf;

/// Errors of the engine hook. Messages name what was wrong and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The policy file is not valid; the message names the setting.
    #[error("{path}: {message}")]
    Policy {
        /// The policy file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Invalid command-line arguments.
    #[error("{0}")]
    Usage(String),
    /// A malformed message on the wire (HTTP, JSON, a containerd descriptor).
    #[error("{0}")]
    Protocol(String),
    /// The Docker engine API answered with an error or could not be reached.
    #[error("docker engine at {socket}: {message}")]
    Engine {
        /// The engine's API socket.
        socket: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The decision log could not be written.
    #[error("decision log: {0}")]
    Log(String),
    /// Trust data could not be fetched or verified.
    #[error(transparent)]
    Trust(#[from] trust_core::Error),
    /// A local file or socket could not be used.
    #[error("{path}: {source}")]
    Io {
        /// The file or socket involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// A policy error in `path`.
    pub fn policy(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Policy { path: path.into(), message: message.into() }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
