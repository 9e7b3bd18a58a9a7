//! The report as SARIF 2.1.0 (OASIS), for code-scanning tools: one run whose driver
//! lists every rule, one result per finding with its level (`error`, `warning`,
//! `note`), message and location: logical (repository, role, key) for trust data,
//! physical (a `file://` URI) for key files.

use std::path::Path;

use chrono::SecondsFormat;
use serde_json::{Value, json};

use crate::audit::rules::RULES;
use crate::audit::{Finding, Location, Report};

/// The SARIF 2.1.0 schema the output declares (`$schema`).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// A `file:` URI (or a relative reference) for `path`, percent-encoding everything
/// but unreserved characters and `/`.
fn file_uri(path: &Path) -> String {
    let text = path.to_string_lossy();
    let encoded = crate::percent::encode(&text, |b| crate::percent::is_unreserved(b) || b == b'/');
    if path.is_absolute() { format!("file://{encoded}") } else { encoded }
}

fn locations(location: &Location) -> Value {
    match location {
        Location::Repository { repository, role, key } => {
            let mut path = vec![repository.as_str()];
            path.extend(role.as_deref());
            path.extend(key.as_deref());
            let name = path.last().copied().unwrap_or_default();
            let kind = if key.is_some() {
                "key"
            } else if role.is_some() {
                "role"
            } else {
                "repository"
            };
            json!([{ "logicalLocations": [{ "name": name, "fullyQualifiedName": path.join(" "), "kind": kind }] }])
        }
        Location::File { path } => json!([{ "physicalLocation": { "artifactLocation": { "uri": file_uri(path) } } }]),
        Location::Host => json!([]),
    }
}

fn result(f: &Finding) -> Value {
    let mut text = format!("{}: {}", f.subject, f.message);
    if let Some(fix) = &f.fix {
        text.push_str(&format!(" Fix: {fix}."));
    }
    let mut value = json!({
        "ruleId": f.id,
        "level": f.severity.sarif_level(),
        "message": { "text": text },
        "properties": { "severity": f.severity.as_str(), "reference": f.reference, "subject": f.subject },
    });
    if let Some(index) = RULES.iter().position(|r| r.id == f.id) {
        value["ruleIndex"] = json!(index);
    }
    if let Some(fix) = &f.fix {
        value["properties"]["fix"] = json!(fix);
    }
    let locations = locations(&f.location);
    if locations.as_array().is_some_and(|l| !l.is_empty()) {
        value["locations"] = locations;
    }
    value
}

/// `report` as a SARIF 2.1.0 log.
pub fn sarif(report: &Report) -> String {
    let h = &report.header;
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.help },
                "help": { "text": format!("{} Reference: {}.", r.help, r.reference) },
                "helpUri": r.help_uri,
                "properties": { "reference": r.reference, "tags": ["security", "supply-chain"] },
            })
        })
        .collect();
    let mut log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": h.tool,
                "version": h.version,
                "semanticVersion": h.version,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "endTimeUtc": h.time.to_rfc3339_opts(SecondsFormat::Secs, true),
                "properties": {
                    "fipsMode": h.fips_mode,
                    "fipsSource": h.fips_source,
                    "cryptoModule": h.crypto_module,
                    "summary": report.summary,
                },
            }],
            "results": report.findings.iter().map(result).collect::<Vec<_>>(),
        }],
    });
    // The crate names no repository in this workspace; SARIF makes the field optional.
    let repository = env!("CARGO_PKG_REPOSITORY");
    if !repository.is_empty() {
        log["runs"][0]["tool"]["driver"]["informationUri"] = json!(repository);
    }
    // A tree of strings, numbers and booleans: serialisation cannot fail.
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::audit::sample;

    #[test]
    fn structure() {
        let log: Value = serde_json::from_str(&sarif(&sample::report())).unwrap();
        assert_eq!((log["$schema"].as_str(), log["version"].as_str()), (Some(SCHEMA_URI), Some("2.1.0")));
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "trust");
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), RULES.len());
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 5);
        let alg = &results[0];
        assert_eq!((alg["ruleId"].as_str(), alg["level"].as_str()), (Some("TRUST-FIPS-ALG"), Some("error")));
        let index = alg["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(run["tool"]["driver"]["rules"][index]["id"], "TRUST-FIPS-ALG");
        let logical = &alg["locations"][0]["logicalLocations"][0];
        assert_eq!(logical["kind"], "key");
        assert!(
            logical["fullyQualifiedName"].as_str().unwrap().starts_with("registry.example.com/team/app timestamp ")
        );
        let salt = &results[1];
        assert_eq!(
            salt["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "file:///home/ci/.docker/trust/private/a%7Cb%208aae49442f46.key"
        );
        assert!(salt["message"]["text"].as_str().unwrap().ends_with(" Fix: trust key migrate."));
        let module = results.iter().find(|r| r["ruleId"] == "TRUST-FIPS-MODULE").unwrap();
        assert_eq!((module["level"].as_str(), module.get("locations")), (Some("warning"), None));
    }

    #[test]
    fn file_uris() {
        assert_eq!(file_uri(Path::new("/a b/c:d.key")), "file:///a%20b/c%3Ad.key");
        assert_eq!(file_uri(Path::new("rel/x.key")), "rel/x.key");
    }
}
