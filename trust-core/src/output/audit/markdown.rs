//! The report as Markdown (GitHub-flavoured tables), for tickets and pull requests.

use chrono::SecondsFormat;

use super::short;
use crate::audit::Report;
use crate::audit::report::{RepoReport, RoleStatus, mode_string};

/// A table cell: pipes escaped, line breaks flattened.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn table(header: &[&str], rows: &[Vec<String>], out: &mut String) {
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
}

fn repository(repo: &RepoReport, out: &mut String) {
    out.push_str(&format!("\n## Repository `{}`\n\nServer: {}\n", repo.repository, repo.server));
    if let Some(error) = &repo.error {
        out.push_str(&format!("\nNot audited: {}\n", cell(error)));
        return;
    }
    let rows: Vec<Vec<String>> = repo
        .roles
        .iter()
        .map(|r| {
            let signed = match r.status {
                RoleStatus::Verified => format!("{} ({} in FIPS mode)", r.valid_signatures, r.fips_valid_signatures),
                RoleStatus::NotPublished => "not published".into(),
                RoleStatus::NotTrusted => format!("not trusted: {}", r.problem.as_deref().unwrap_or("")),
            };
            vec![
                format!("`{}`", r.role),
                r.threshold.to_string(),
                signed,
                r.version.map_or("-".into(), |v| v.to_string()),
                r.expires.map_or("-".into(), |e| e.to_rfc3339_opts(SecondsFormat::Secs, true)),
                r.days_left.map_or("-".into(), |d| d.to_string()),
                r.hashes.join(", "),
            ]
        })
        .collect();
    out.push_str("\n### Roles\n\n");
    table(&["role", "threshold", "valid signatures", "version", "expires", "days left", "hashes"], &rows, out);
    let mut rows = Vec::new();
    for role in &repo.roles {
        for k in &role.keys {
            let cert = k.certificate.as_ref().map_or("-".into(), |c| {
                format!(
                    "{}, {} to {} ({} days left)",
                    c.signature_algorithm,
                    c.not_before.format("%Y-%m-%d"),
                    c.not_after.format("%Y-%m-%d"),
                    c.days_left
                )
            });
            rows.push(vec![
                format!("`{}`", role.role),
                format!("`{}`", short(&k.id)),
                k.keytype.clone(),
                k.algorithm.clone().unwrap_or_else(|| "unreadable".into()),
                if k.approved { "yes".into() } else { format!("no: {}", k.refusal.as_deref().unwrap_or("")) },
                if k.server_managed { "trust server" } else { "client" }.into(),
                cert,
            ]);
        }
    }
    out.push_str("\n### Keys\n\n");
    table(&["role", "key", "type", "algorithm", "FIPS-approved", "held by", "certificate"], &rows, out);
}

/// `report` as Markdown.
pub fn markdown(report: &Report) -> String {
    let h = &report.header;
    let mut out = String::from("# trust audit\n\n");
    let rows = vec![
        vec!["tool".into(), format!("{} {}", h.tool, h.version)],
        vec!["crypto module".into(), h.crypto_module.clone()],
        vec!["FIPS mode".into(), h.fips_source.clone()],
        vec!["time".into(), h.time.to_rfc3339_opts(SecondsFormat::Secs, true)],
        vec!["findings".into(), report.summary.to_string()],
    ];
    table(&["", ""], &rows, &mut out);
    out.push_str("\n## Findings\n\n");
    if report.findings.is_empty() {
        out.push_str("None.\n");
    } else {
        let rows: Vec<Vec<String>> = report
            .findings
            .iter()
            .map(|f| {
                vec![
                    f.severity.to_string(),
                    format!("`{}`", f.id),
                    f.subject.clone(),
                    f.message.clone(),
                    f.reference.clone(),
                    f.fix.clone().unwrap_or_default(),
                ]
            })
            .collect();
        table(&["severity", "rule", "subject", "finding", "reference", "fix"], &rows, &mut out);
    }
    for repo in &report.repositories {
        repository(repo, &mut out);
    }
    if let Some(store) = &report.keystore {
        out.push_str(&format!("\n## Key store `{}`\n\n", store.directory.display()));
        let rows: Vec<Vec<String>> = store
            .keys
            .iter()
            .map(|k| {
                vec![
                    format!("`{}`", short(&k.id)),
                    k.role.clone(),
                    k.gun.clone().unwrap_or_default(),
                    k.mode.map_or("-".into(), mode_string),
                    k.protection.to_string(),
                ]
            })
            .collect();
        if rows.is_empty() {
            out.push_str("No keys.\n");
        } else {
            table(&["key", "role", "repository", "mode", "protection"], &rows, &mut out);
        }
        for path in &store.unreadable {
            out.push_str(&format!("\nUnreadable: `{}`\n", path.display()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::audit::sample;

    #[test]
    fn sample_report() {
        let out = markdown(&sample::report());
        assert!(out.starts_with("# trust audit\n\n|  |  |\n|---|---|\n| tool | trust 0.1.0 |\n"), "{out}");
        assert!(out.contains("| findings | 0 critical, 2 high, 2 medium, 0 low, 1 info |\n"), "{out}");
        assert!(out.contains(
            "| high | `TRUST-FIPS-ALG` | registry.example.com/team/app role timestamp key 4782558980f4 | Ed25519 key, \
             held by the trust server: Ed25519 is not accepted in FIPS mode | FIPS 186-5 §7 | notary key rotate \
             registry.example.com/team/app timestamp -r |\n"
        ), "{out}");
        assert!(out.contains("| medium | `TRUST-FIPS-MODULE` | crypto module | ring \\| not validated |"), "{out}");
        assert!(
            out.contains(
                "| `timestamp` | 1 | 1 (0 in FIPS mode) | 2 | 2036-11-20T00:55:35Z | 3649 | sha256, sha512 |\n"
            ),
            "{out}"
        );
        assert!(out.contains("| `timestamp` | `4782558980f4` | ed25519 | Ed25519 | no: Ed25519 is not accepted in FIPS mode | trust server | - |\n"), "{out}");
        assert!(out.ends_with("| `8aae49442f46` | root |  | 0644 | PBES2: PBKDF2-HMAC-SHA1, 2048 iterations, 8-byte salt, AES-256-CBC |\n"), "{out}");
    }
}
