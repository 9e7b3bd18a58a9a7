//! The report as JSON: every field of [`Report`], pretty-printed.

use crate::audit::Report;

/// `report` as pretty-printed JSON, ending with a newline.
pub fn json(report: &Report) -> String {
    // The report holds strings, numbers, times and paths only: serialisation cannot fail.
    let mut out = serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::audit::sample;

    #[test]
    fn fields_and_names() {
        let value: serde_json::Value = serde_json::from_str(&json(&sample::report())).unwrap();
        assert_eq!(value["header"]["fips_mode"], true);
        assert_eq!(value["summary"]["high"], 2);
        let finding = &value["findings"][0];
        assert_eq!(finding["severity"], "high");
        assert_eq!(finding["location"]["kind"], "repository");
        let key = &value["keystore"]["keys"][0];
        assert_eq!(key["mode"], "0644");
        assert_eq!(key["protection"]["scheme"], "pbes2");
        assert_eq!(key["protection"]["prf"], "HMAC-SHA1");
        assert_eq!(value["repositories"][0]["roles"][0]["keys"][0]["certificate"]["days_left"], 3650);
    }
}
