//! `docker trust inspect` output, byte for byte: the JSON array and the `--pretty`
//! tables, built from verified [`TrustInfo`].
//!
//! ```
//! use trust_core::output::inspect::{json, pretty};
//! use trust_core::resolve::{ReleasedTag, TrustInfo};
//! let info = TrustInfo {
//!     released: vec![ReleasedTag { tag: "v1".into(), digest: "ab".repeat(32), signers: vec![] }],
//!     signers: vec![],
//!     root_keys: vec!["r".into()],
//!     repository_keys: vec!["t".into()],
//! };
//! let text = json(&[("example.com/app".to_string(), info.clone())]);
//! assert!(text.starts_with("[\n    {\n        \"Name\": \"example.com/app\""));
//! assert!(pretty("example.com/app", &info).contains("(Repo Admin)"));
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::output::table::write_table;
use trust_tuf::resolve::{REPO_ADMIN, TrustInfo, natural_cmp, signer_name};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RepoJson {
    name: String,
    signed_tags: Vec<TagJson>,
    signers: Vec<SignerJson>,
    administrative_keys: Vec<SignerJson>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TagJson {
    signed_tag: String,
    digest: String,
    signers: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SignerJson {
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    keys: Vec<KeyJson>,
}

#[derive(Serialize)]
struct KeyJson {
    #[serde(rename = "ID")]
    id: String,
}

/// Signer name → canonical key IDs (docker's getDelegationRoleToKeyMap).
fn signer_keys(info: &TrustInfo) -> BTreeMap<String, Vec<String>> {
    info.signers.iter().map(|s| (signer_name(&s.role).to_owned(), s.key_ids.clone())).collect()
}

fn to_json(image: &str, info: &TrustInfo) -> RepoJson {
    let signed_tags = info
        .released
        .iter()
        .map(|r| TagJson {
            signed_tag: r.tag.clone(),
            digest: r.digest.clone(),
            signers: if r.signers.is_empty() { vec![REPO_ADMIN.to_owned()] } else { r.signers.clone() },
        })
        .collect();
    let keys = |ids: &[String]| ids.iter().map(|id| KeyJson { id: id.clone() }).collect::<Vec<_>>();
    let mut signers: Vec<SignerJson> =
        signer_keys(info).into_iter().map(|(name, ids)| SignerJson { keys: keys(&ids), name }).collect();
    signers.sort_by(|a, b| b.name.cmp(&a.name));
    let administrative_keys = vec![
        SignerJson { name: "Root".into(), keys: keys(&info.root_keys) },
        SignerJson { name: "Repository".into(), keys: keys(&info.repository_keys) },
    ];
    RepoJson { name: image.to_owned(), signed_tags, signers, administrative_keys }
}

/// The `--pretty` text for one repository.
pub fn pretty(image: &str, info: &TrustInfo) -> String {
    let mut out = String::new();
    if info.released.is_empty() {
        out.push_str(&format!("\nNo signatures for {image}\n\n"));
    } else {
        out.push_str(&format!("\nSignatures for {image}\n\n"));
        let mut rows = vec![vec!["SIGNED TAG".to_owned(), "DIGEST".to_owned(), "SIGNERS".to_owned()]];
        for r in &info.released {
            let mut signers = r.signers.clone();
            signers.sort();
            let cell = if signers.is_empty() { format!("({REPO_ADMIN})") } else { signers.join(", ") };
            rows.push(vec![r.tag.clone(), r.digest.clone(), cell]);
        }
        write_table(&rows, &mut out);
    }
    let signers = signer_keys(info);
    if !signers.is_empty() {
        out.push_str(&format!("\nList of signers and their keys for {image}\n\n"));
        let mut names: Vec<&String> = signers.keys().collect();
        names.sort_by(|a, b| natural_cmp(a, b));
        let mut rows = vec![vec!["SIGNER".to_owned(), "KEYS".to_owned()]];
        for name in names {
            let mut ids: Vec<&str> = signers[name].iter().map(|id| id.get(..12).unwrap_or(id)).collect();
            ids.sort();
            rows.push(vec![name.clone(), ids.join(", ")]);
        }
        write_table(&rows, &mut out);
    }
    out.push_str(&format!("\nAdministrative keys for {image}\n\n"));
    for (label, ids) in [("Repository Key", &info.repository_keys), ("Root Key", &info.root_keys)] {
        let mut ids = ids.clone();
        ids.sort();
        out.push_str(&format!("  {label}:\t{}\n", ids.join(", ")));
    }
    out
}

/// The note `--pretty` prints on standard error when no server re-signs a repository's
/// timestamp (the registry store, the file remote); standard output stays byte for byte
/// what `docker trust inspect --pretty` prints:
/// `Timestamp Expires:\t2026-12-16T21:00:00Z (no server re-signs it: run `trust timestamp refresh IMAGE` before then)`.
pub fn pretty_timestamp_expiry(image: &str, expires: DateTime<Utc>) -> String {
    format!(
        "Timestamp Expires:\t{} for {image} (no server re-signs it: run `trust timestamp refresh {image}` before then)\n",
        expires.to_rfc3339_opts(SecondsFormat::Secs, true)
    )
}

/// The JSON array for several repositories (name as typed → info), with docker's
/// four-space indentation and a final newline.
pub fn json(repos: &[(String, TrustInfo)]) -> String {
    let items: Vec<RepoJson> = repos.iter().map(|(name, info)| to_json(name, info)).collect();
    let mut text = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut text, formatter);
    // Strings and vectors always serialise.
    let _ = items.serialize(&mut ser);
    text.push(b'\n');
    String::from_utf8(text).unwrap_or_default()
}
