//! The report for people: the header, per repository a table of roles and one of
//! keys, the key store, then every finding with its reference and fix, and a summary.

use chrono::SecondsFormat;

use super::short;
use crate::audit::report::{KeystoreReport, RepoReport, RoleStatus, mode_string};
use crate::audit::{Finding, Report};
use crate::output::table::write_table;

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn repository(repo: &RepoReport, out: &mut String) {
    out.push_str(&format!("\nRepository {} ({})\n", repo.repository, repo.server));
    if let Some(error) = &repo.error {
        out.push_str(&format!("not audited: {error}\n"));
        return;
    }
    let mut rows = vec![row(&["ROLE", "THRESHOLD", "SIGNED", "SIGNED (FIPS)", "VERSION", "EXPIRES", "DAYS", "HASHES"])];
    for role in &repo.roles {
        let (signed, fips) = match role.status {
            RoleStatus::Verified => (role.valid_signatures.to_string(), role.fips_valid_signatures.to_string()),
            RoleStatus::NotPublished => ("not published".to_owned(), "-".to_owned()),
            RoleStatus::NotTrusted => ("not trusted".to_owned(), "-".to_owned()),
        };
        rows.push(vec![
            role.role.clone(),
            role.threshold.to_string(),
            signed,
            fips,
            role.version.map_or("-".to_owned(), |v| v.to_string()),
            role.expires.map_or("-".to_owned(), |e| e.format("%Y-%m-%d").to_string()),
            role.days_left.map_or("-".to_owned(), |d| d.to_string()),
            if role.hashes.is_empty() { "-".to_owned() } else { role.hashes.join(",") },
        ]);
    }
    out.push('\n');
    write_table(&rows, out);
    let mut rows = vec![row(&["ROLE", "KEY", "TYPE", "ALGORITHM", "FIPS", "HELD BY", "CERTIFICATE"])];
    for role in &repo.roles {
        for key in &role.keys {
            let cert = key.certificate.as_ref().map_or("-".to_owned(), |c| {
                format!("{}, until {} ({} days)", c.signature_algorithm, c.not_after.format("%Y-%m-%d"), c.days_left)
            });
            rows.push(vec![
                role.role.clone(),
                short(&key.id).to_owned(),
                key.keytype.clone(),
                key.algorithm.clone().unwrap_or_else(|| "unreadable".into()),
                yes_no(key.approved).to_owned(),
                if key.server_managed { "server" } else { "client" }.to_owned(),
                cert,
            ]);
        }
    }
    out.push('\n');
    write_table(&rows, out);
    for warning in &repo.warnings {
        out.push_str(&format!("warning: {warning}\n"));
    }
}

fn keystore(store: &KeystoreReport, out: &mut String) {
    out.push_str(&format!("\nKey store {}\n\n", store.directory.display()));
    if store.keys.is_empty() {
        out.push_str("no keys\n");
    } else {
        let mut rows = vec![row(&["KEY", "ROLE", "REPOSITORY", "MODE", "PROTECTION"])];
        for key in &store.keys {
            rows.push(vec![
                short(&key.id).to_owned(),
                key.role.clone(),
                key.gun.clone().unwrap_or_else(|| "-".into()),
                key.mode.map_or("-".to_owned(), mode_string),
                key.protection.to_string(),
            ]);
        }
        write_table(&rows, out);
    }
    for path in &store.unreadable {
        out.push_str(&format!("unreadable: {}\n", path.display()));
    }
}

fn finding(f: &Finding, out: &mut String) {
    let severity = f.severity.as_str().to_uppercase();
    out.push_str(&format!("{severity:<9}{}  {}\n", f.id, f.subject));
    out.push_str(&format!("         {}\n", f.message));
    out.push_str(&format!("         reference: {}\n", f.reference));
    if let Some(fix) = &f.fix {
        out.push_str(&format!("         fix: {fix}\n"));
    }
}

/// `report` as text.
pub fn text(report: &Report) -> String {
    let h = &report.header;
    let mut out = format!(
        "{} {} audit at {}\ncrypto module: {}\nFIPS mode: {}\n",
        h.tool,
        h.version,
        h.time.to_rfc3339_opts(SecondsFormat::Secs, true),
        h.crypto_module,
        h.fips_source
    );
    for repo in &report.repositories {
        repository(repo, &mut out);
    }
    if let Some(store) = &report.keystore {
        keystore(store, &mut out);
    }
    out.push_str("\nFindings\n\n");
    if report.findings.is_empty() {
        out.push_str("none\n");
    }
    for f in &report.findings {
        finding(f, &mut out);
    }
    out.push_str(&format!("\nSummary: {}\n", report.summary));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::audit::sample;

    #[test]
    fn sample_report() {
        let expected = r#"trust 0.1.0 audit at 2026-11-23T00:55:37Z
crypto module: ring 0.17 (not a FIPS 140-3 validated module)
FIPS mode: on (--fips)

Repository registry.example.com/team/app (https://notary.example.com)

ROLE        THRESHOLD   SIGNED    SIGNED (FIPS)   VERSION   EXPIRES      DAYS      HASHES
root        1           1         1               2         2036-11-20   3649      -
timestamp   1           1         0               2         2036-11-20   3649      sha256,sha512

ROLE        KEY            TYPE         ALGORITHM     FIPS      HELD BY   CERTIFICATE
root        1c43d5265ff3   ecdsa-x509   ECDSA P-256   yes       client    ecdsa-with-SHA256, until 2036-11-23 (3650 days)
timestamp   4782558980f4   ed25519      Ed25519       no        server    -

Key store /home/ci/.docker/trust/private

KEY            ROLE      REPOSITORY   MODE      PROTECTION
8aae49442f46   root      -            0644      PBES2: PBKDF2-HMAC-SHA1, 2048 iterations, 8-byte salt, AES-256-CBC

Findings

HIGH     TRUST-FIPS-ALG  registry.example.com/team/app role timestamp key 4782558980f4
         Ed25519 key, held by the trust server: Ed25519 is not accepted in FIPS mode
         reference: FIPS 186-5 §7
         fix: notary key rotate registry.example.com/team/app timestamp -r
HIGH     TRUST-KEYFILE-SALT  key file 8aae49442f46 (role root)
         the salt is 64 bits, SP 800-132 requires at least 128
         reference: SP 800-132 §5.1
         fix: trust key migrate
MEDIUM   TRUST-KEYFILE-PERMS  key file 8aae49442f46 (role root)
         mode 0644 lets group or others reach the private key (0600 expected)
         reference: SP 800-57 Part 1 Rev. 5 (protection of private keys)
MEDIUM   TRUST-FIPS-MODULE  crypto module
         ring | not validated
         reference: FIPS 140-3
INFO     TRUST-THRESHOLD  registry.example.com/team/app role root
         threshold 1: one root key can sign a new root alone
         reference: TUF specification (root role threshold)

Summary: 0 critical, 2 high, 2 medium, 0 low, 1 info
"#;
        assert_eq!(text(&sample::report()), expected);
    }
}
