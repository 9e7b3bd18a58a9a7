//! Keys on PKCS#11 tokens (hardware security modules, smart cards, SoftHSM).
//!
//! The token is reached through `cryptoki`, Parallaxsecond's maintained PKCS#11
//! wrapper: its API is safe (this workspace forbids `unsafe`), and it loads the
//! module named by the URI's `module-path` at run time with libloading, so building or
//! running trust needs no token library until a token key is used.
//!
//! A token key is ECDSA P-256, made on the token with `CKA_TOKEN`, `CKA_SENSITIVE` and
//! not `CKA_EXTRACTABLE`: its private half never leaves the token. It signs with
//! `CKM_ECDSA` over a SHA-256 digest trust-tuf computes; the token answers with raw
//! `r‖s`, notary's `ecdsa` form ([`trust_tuf::crypto::signer::ExternalSigner`]).
//!
//! The trust directory keeps only `pkcs11/<key ID>.json`: the URI (never a PIN), the
//! role and the public key ([`TokenRecord`]).
//!
//! The PIN comes from the URI's `pin-source` file, then
//! [`PassphraseSource::pkcs11_pin`](crate::keystore::PassphraseSource::pkcs11_pin): `TRUST_PKCS11_PIN`, the OS keyring when enabled,
//! a prompt. It is never logged or put in an error; a PIN the token refuses ends the
//! command (a second try could lock the token) with the token's code, as a key error
//! (exit 5).

mod record;
mod token;
mod uri;

pub use record::TokenRecord;
pub use token::{TokenKey, generate, open};
pub use uri::Pkcs11Uri;

/// The environment variable that holds a token's user PIN.
pub const PIN_VAR: &str = "TRUST_PKCS11_PIN";
