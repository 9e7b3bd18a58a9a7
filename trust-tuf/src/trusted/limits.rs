//! Bounds on what the client downloads and walks.

/// Size and count limits applied to every update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest root.json accepted (its length is known to nothing that signs it).
    pub max_root_bytes: u64,
    /// Largest timestamp.json accepted (notary's own cap is 1 MiB).
    pub max_timestamp_bytes: u64,
    /// Largest snapshot, targets or delegation file accepted, whatever length the
    /// parent metadata declares.
    pub max_metadata_bytes: u64,
    /// Most root versions walked in one update.
    pub max_root_rotations: u64,
    /// Deepest delegation chain followed below `targets`.
    pub max_delegation_depth: usize,
    /// Most delegated roles visited while resolving one target.
    pub max_delegations_visited: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_root_bytes: 512 * 1024,
            max_timestamp_bytes: 1024 * 1024,
            max_metadata_bytes: 128 * 1024 * 1024,
            max_root_rotations: 256,
            max_delegation_depth: 32,
            max_delegations_visited: 256,
        }
    }
}
