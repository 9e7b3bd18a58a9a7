//! The audit's rules: stable IDs, what each checks and the standard behind it.
//!
//! | ID | severity | checks |
//! |---|---|---|
//! | `TRUST-FIPS-MODE` | info | FIPS mode is off, and what decided it |
//! | `TRUST-FIPS-MODULE` | medium in FIPS mode, else info | the crypto module is not FIPS 140-3 validated |
//! | `TRUST-FIPS-ALG` | high in FIPS mode, else low | a role's key uses an algorithm FIPS mode does not accept (Ed25519, RSA < 2048, other curves) |
//! | `TRUST-FIPS-ROLE` | high in FIPS mode, else low | a role's signatures by approved keys do not meet its threshold: it would not verify in FIPS mode |
//! | `TRUST-KEY-UNKNOWN` | medium | a role's key has an unknown type or does not parse |
//! | `TRUST-CERT-EXPIRY` | info; medium under 180 days; high under 30; critical when expired | a root certificate's validity and days left |
//! | `TRUST-CERT-SIGALG` | high in FIPS mode, else low | a root certificate signed with SHA-1 or MD5 |
//! | `TRUST-EXPIRY` | medium under 30 days (info for roles the server re-signs; a timestamp no server re-signs: medium under 3 days); critical when expired | metadata about to expire |
//! | `TRUST-THRESHOLD` | info | the root role's threshold is 1 (a policy note, not a FIPS failure) |
//! | `TRUST-SIG-INVALID` | medium | a signature by a role's key that does not verify |
//! | `TRUST-HASH` | info; high when no sha256 or sha512 | hash algorithms other than sha256/sha512 in metadata |
//! | `TRUST-SERVER-KEY` | info | a timestamp or snapshot key held by the trust server |
//! | `TRUST-DELEGATION-MISSING` | info | a delegation declared but never published |
//! | `TRUST-DELEGATION-INVALID` | high | a delegation file that is expired or does not verify (its signatures are ignored) |
//! | `TRUST-KEYFILE-SALT` | high in FIPS mode, else low | a key file's PBKDF2 salt is shorter than 128 bits |
//! | `TRUST-KEYFILE-KDF` | high in FIPS mode, else medium | a key file's PBKDF2 iteration count is under 1,000 |
//! | `TRUST-KEYFILE-SCHEME` | high in FIPS mode, else medium | a key file not encrypted with PBKDF2 (legacy PEM, PBES1, PKCS#12) |
//! | `TRUST-KEYFILE-UNENCRYPTED` | high | an unencrypted private key |
//! | `TRUST-KEYFILE-PERMS` | medium | a private key file readable or writable by group or others |
//! | `TRUST-KEYFILE-UNREADABLE` | low | a `.key` file in the store that is not a readable key |
//! | `TRUST-KEY-TOKEN` | info | a key on a PKCS#11 token: where it lives, and that the module's validation is its vendor's |
//! | `TRUST-REPO-ERROR` | critical (verification), high (otherwise) | a repository that could not be audited |

/// An audit rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The stable ID.
    pub id: &'static str,
    /// A PascalCase name (SARIF `name`).
    pub name: &'static str,
    /// One line: what the rule checks.
    pub summary: &'static str,
    /// Why it matters and what to do.
    pub help: &'static str,
    /// The standard or rule behind it.
    pub reference: &'static str,
    /// Where the reference can be read.
    pub help_uri: &'static str,
}

/// `TRUST-FIPS-MODE`.
pub const FIPS_MODE: &str = "TRUST-FIPS-MODE";
/// `TRUST-FIPS-MODULE`.
pub const FIPS_MODULE: &str = "TRUST-FIPS-MODULE";
/// `TRUST-FIPS-ALG`.
pub const FIPS_ALG: &str = "TRUST-FIPS-ALG";
/// `TRUST-FIPS-ROLE`.
pub const FIPS_ROLE: &str = "TRUST-FIPS-ROLE";
/// `TRUST-KEY-UNKNOWN`.
pub const KEY_UNKNOWN: &str = "TRUST-KEY-UNKNOWN";
/// `TRUST-CERT-EXPIRY`.
pub const CERT_EXPIRY: &str = "TRUST-CERT-EXPIRY";
/// `TRUST-CERT-SIGALG`.
pub const CERT_SIGALG: &str = "TRUST-CERT-SIGALG";
/// `TRUST-EXPIRY`.
pub const EXPIRY: &str = "TRUST-EXPIRY";
/// `TRUST-THRESHOLD`.
pub const THRESHOLD: &str = "TRUST-THRESHOLD";
/// `TRUST-SIG-INVALID`.
pub const SIG_INVALID: &str = "TRUST-SIG-INVALID";
/// `TRUST-HASH`.
pub const HASH: &str = "TRUST-HASH";
/// `TRUST-SERVER-KEY`.
pub const SERVER_KEY: &str = "TRUST-SERVER-KEY";
/// `TRUST-DELEGATION-MISSING`.
pub const DELEGATION_MISSING: &str = "TRUST-DELEGATION-MISSING";
/// `TRUST-DELEGATION-INVALID`.
pub const DELEGATION_INVALID: &str = "TRUST-DELEGATION-INVALID";
/// `TRUST-KEYFILE-SALT`.
pub const KEYFILE_SALT: &str = "TRUST-KEYFILE-SALT";
/// `TRUST-KEYFILE-KDF`.
pub const KEYFILE_KDF: &str = "TRUST-KEYFILE-KDF";
/// `TRUST-KEYFILE-SCHEME`.
pub const KEYFILE_SCHEME: &str = "TRUST-KEYFILE-SCHEME";
/// `TRUST-KEYFILE-UNENCRYPTED`.
pub const KEYFILE_UNENCRYPTED: &str = "TRUST-KEYFILE-UNENCRYPTED";
/// `TRUST-KEYFILE-PERMS`.
pub const KEYFILE_PERMS: &str = "TRUST-KEYFILE-PERMS";
/// `TRUST-KEYFILE-UNREADABLE`.
pub const KEYFILE_UNREADABLE: &str = "TRUST-KEYFILE-UNREADABLE";
/// `TRUST-KEY-TOKEN`.
pub const KEY_TOKEN: &str = "TRUST-KEY-TOKEN";
/// `TRUST-REPO-ERROR`.
pub const REPO_ERROR: &str = "TRUST-REPO-ERROR";

const FIPS_186_5: &str = "https://doi.org/10.6028/NIST.FIPS.186-5";
const FIPS_140_3: &str = "https://doi.org/10.6028/NIST.FIPS.140-3";
const FIPS_180_4: &str = "https://doi.org/10.6028/NIST.FIPS.180-4";
const SP_800_131A: &str = "https://doi.org/10.6028/NIST.SP.800-131Ar2";
const SP_800_132: &str = "https://doi.org/10.6028/NIST.SP.800-132";
const SP_800_57: &str = "https://doi.org/10.6028/NIST.SP.800-57pt1r5";
const RFC_5280: &str = "https://www.rfc-editor.org/rfc/rfc5280";
const TUF: &str = "https://theupdateframework.github.io/specification/latest/";
const STIG: &str = "https://public.cyber.mil/stigs/";

/// Every rule, in the order reports list them.
pub const RULES: &[Rule] = &[
    Rule {
        id: FIPS_MODE,
        name: "FipsModeOff",
        summary: "FIPS mode is off",
        help: "FIPS mode (--fips, TRUST_FIPS=1, DOCKER_FIPS=1 or a kernel booted with fips=1) makes trust accept \
               only FIPS-approved signature algorithms, as Docker Engine - Enterprise does. Outside FIPS mode, \
               findings about non-approved algorithms are low.",
        reference: "DISA STIG V-235777 (Docker Enterprise: FIPS mode)",
        help_uri: STIG,
    },
    Rule {
        id: FIPS_MODULE,
        name: "CryptoModuleNotValidated",
        summary: "The cryptographic module is not FIPS 140-3 validated",
        help: "This build of trust verifies with ring, which has no FIPS 140-3 certificate. FIPS mode restricts \
               the algorithms, not the module; a validated module needs a FIPS build.",
        reference: "FIPS 140-3",
        help_uri: FIPS_140_3,
    },
    Rule {
        id: FIPS_ALG,
        name: "KeyAlgorithmNotApproved",
        summary: "A role's key uses an algorithm FIPS mode does not accept",
        help: "FIPS mode accepts ECDSA on P-256 and P-384 and RSA keys of 2048 bits or more. Ed25519 is accepted \
               only where the validated module lists EdDSA, which trust does not assume; RSA under 2048 bits is \
               disallowed. Rotate the key (notary key rotate GUN ROLE; -r for a server-managed key on a server \
               that signs with ECDSA).",
        reference: "FIPS 186-5; SP 800-131A r2 §3",
        help_uri: FIPS_186_5,
    },
    Rule {
        id: FIPS_ROLE,
        name: "RoleFailsInFipsMode",
        summary: "A role would not verify in FIPS mode",
        help: "Signatures by keys FIPS mode refuses do not count toward a role's threshold in FIPS mode; without \
               enough signatures by approved keys the role, and everything below it, does not verify.",
        reference: "FIPS 186-5; SP 800-131A r2 §3",
        help_uri: FIPS_186_5,
    },
    Rule {
        id: KEY_UNKNOWN,
        name: "KeyUnreadable",
        summary: "A role's key has an unknown type or does not parse",
        help: "A key trust cannot read never verifies a signature, so it cannot count toward the role's threshold.",
        reference: "FIPS 186-5",
        help_uri: FIPS_186_5,
    },
    Rule {
        id: CERT_EXPIRY,
        name: "RootCertificateValidity",
        summary: "A root certificate's validity and days left",
        help: "A repository whose root certificates have all expired cannot be trusted by a new client. Notary \
               makes root certificates valid for 10 years; rotate the root key before they expire \
               (notary key rotate GUN root).",
        reference: "RFC 5280 §4.1.2.5",
        help_uri: RFC_5280,
    },
    Rule {
        id: CERT_SIGALG,
        name: "CertificateSignatureHash",
        summary: "A root certificate is signed with SHA-1 or MD5",
        help: "SHA-1 and MD5 are disallowed for digital signature generation; notary and trust refuse such root \
               certificates.",
        reference: "SP 800-131A r2 §9",
        help_uri: SP_800_131A,
    },
    Rule {
        id: EXPIRY,
        name: "MetadataExpiry",
        summary: "Trust data about to expire",
        help: "Expired metadata fails verification and its tags stop resolving. Re-sign it before it expires \
               (trust sign, notary publish; notary-server re-signs timestamps and server-managed snapshots \
               itself; on the registry store and the file remote, run trust timestamp refresh from a scheduled job).",
        reference: "TUF specification (metadata expiry)",
        help_uri: TUF,
    },
    Rule {
        id: THRESHOLD,
        name: "RootThresholdOne",
        summary: "The root role has a threshold of 1",
        help: "One root key can sign a new root alone. A policy choice (notary's default), not a FIPS failure.",
        reference: "TUF specification (root role threshold)",
        help_uri: TUF,
    },
    Rule {
        id: SIG_INVALID,
        name: "SignatureDoesNotVerify",
        summary: "A signature by a role's key does not verify",
        help: "The role met its threshold with other signatures, but this one is invalid: damaged or tampered \
               metadata, or a signer bug.",
        reference: "FIPS 186-5",
        help_uri: FIPS_186_5,
    },
    Rule {
        id: HASH,
        name: "MetadataHashes",
        summary: "Hash algorithms in metadata",
        help: "Notary pins files by sha256 and sha512 (FIPS 180-4). Other algorithms are ignored; an entry with \
               neither cannot be checked.",
        reference: "FIPS 180-4; SP 800-131A r2 §9",
        help_uri: FIPS_180_4,
    },
    Rule {
        id: SERVER_KEY,
        name: "ServerManagedKey",
        summary: "A key held by the trust server",
        help: "notary-server holds every timestamp key and, for repositories made by docker, the snapshot key; \
               their algorithm is the server's choice.",
        reference: "SP 800-57 Part 1 Rev. 5 (key management)",
        help_uri: SP_800_57,
    },
    Rule {
        id: DELEGATION_MISSING,
        name: "DelegationNotPublished",
        summary: "A delegation is declared but was never published",
        help: "The role has keys and paths but no file: it signs nothing. Remove it if it is unused \
               (trust signer remove).",
        reference: "TUF specification (delegations)",
        help_uri: TUF,
    },
    Rule {
        id: DELEGATION_INVALID,
        name: "DelegationNotTrusted",
        summary: "A delegation file is expired or does not verify",
        help: "Its signatures are ignored, so its tags do not resolve. Re-sign it with the signer's key.",
        reference: "TUF specification (delegations)",
        help_uri: TUF,
    },
    Rule {
        id: KEYFILE_SALT,
        name: "KeyFileSaltTooShort",
        summary: "A key file's PBKDF2 salt is shorter than 128 bits",
        help: "SP 800-132 requires at least 128 random bits of salt; notary and docker write 8 bytes. Re-wrap the \
               key with trust key migrate.",
        reference: "SP 800-132 §5.1",
        help_uri: SP_800_132,
    },
    Rule {
        id: KEYFILE_KDF,
        name: "KeyFileIterationCount",
        summary: "A key file's PBKDF2 iteration count is under 1,000",
        help: "SP 800-132 recommends at least 1,000 iterations, and as many as the use allows. Re-wrap the key \
               with trust key migrate.",
        reference: "SP 800-132 §5.2",
        help_uri: SP_800_132,
    },
    Rule {
        id: KEYFILE_SCHEME,
        name: "KeyFileLegacyEncryption",
        summary: "A key file is not encrypted with PBKDF2",
        help: "OpenSSL's legacy PEM encryption derives the key with one round of MD5, and PBES1/PKCS#12 use MD5 \
               or SHA-1 with DES or RC2: none is an approved password-based key derivation. Re-wrap the key \
               with trust key migrate.",
        reference: "SP 800-132 §5.3",
        help_uri: SP_800_132,
    },
    Rule {
        id: KEYFILE_UNENCRYPTED,
        name: "KeyFileUnencrypted",
        summary: "A private key is stored unencrypted",
        help: "Anyone who can read the file can sign as its role. Encrypt it (trust key migrate, or load it again \
               with trust key load and a passphrase).",
        reference: "SP 800-57 Part 1 Rev. 5 (protection of private keys)",
        help_uri: SP_800_57,
    },
    Rule {
        id: KEYFILE_PERMS,
        name: "KeyFilePermissions",
        summary: "A private key file is accessible to group or others",
        help: "notary, docker and trust write key files with mode 0600. Restrict it: chmod 600 FILE.",
        reference: "SP 800-57 Part 1 Rev. 5 (protection of private keys)",
        help_uri: SP_800_57,
    },
    Rule {
        id: KEYFILE_UNREADABLE,
        name: "KeyFileUnreadable",
        summary: "A .key file in the key store is not a readable key",
        help: "notary, docker and trust skip it: damaged, truncated or not a key. Restore it from a backup or \
               remove it.",
        reference: "SP 800-57 Part 1 Rev. 5 (key management)",
        help_uri: SP_800_57,
    },
    Rule {
        id: KEY_TOKEN,
        name: "KeyOnToken",
        summary: "A key lives on a PKCS#11 token",
        help: "Its private key was made on the token and never leaves it; the trust directory records only the \
               token URI and the public key. Signing with it runs in the token's PKCS#11 module, not in trust's \
               crypto module: whether that module is FIPS 140-3 validated is for its vendor's certificate to say.",
        reference: "FIPS 140-3; SP 800-57 Part 1 Rev. 5 (key management)",
        help_uri: FIPS_140_3,
    },
    Rule {
        id: REPO_ERROR,
        name: "RepositoryNotAudited",
        summary: "A repository could not be audited",
        help: "Its trust data failed verification, does not exist, or could not be fetched; the message says \
               which.",
        reference: "TUF specification (client workflow)",
        help_uri: TUF,
    },
];

/// The rule with ID `id`.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_documented() {
        let docs = include_str!("rules.rs");
        for (i, r) in RULES.iter().enumerate() {
            assert!(RULES[i + 1..].iter().all(|o| o.id != r.id && o.name != r.name), "{}", r.id);
            assert!(docs.contains(&format!("| `{}` |", r.id)), "{} is not in the table", r.id);
            assert!(r.id.starts_with("TRUST-") && !r.reference.is_empty() && r.help_uri.starts_with("https://"));
        }
        assert_eq!(rule(KEYFILE_SALT).map(|r| r.reference), Some("SP 800-132 §5.1"));
        assert!(rule("TRUST-NOPE").is_none());
    }
}
