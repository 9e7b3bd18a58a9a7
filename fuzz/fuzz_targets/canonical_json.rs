//! Canonical JSON (`trust_tuf::canonical`): any bytes in, no panic; and whenever
//! bytes canonicalise:
//! - it is byte for byte what an independent canonical writer makes of the value
//!   they parse to;
//! - unless a string holds a control character, the canonical form is a fixed point
//!   (canonicalising it again gives the same bytes) and parses to the same value.
//!   Control characters are written raw, as Go's `MarshalCanonical` writes them
//!   (only `"` and `\` are escaped), so such a canonical form is not JSON any more:
//!   it is only ever a message to sign, never parsed.
//!
//! Also checks the fast path against the slow one: bytes that `is_canonical` accepts
//! are returned unchanged and are exactly what the writer produces for the value they
//! parse to, and another spelling of the same value canonicalises to the same bytes
//! (or is refused for the same reason, e.g. depth).

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use trust_tuf::canonical;
use trust_fuzz::independent_canonical;

fuzz_target!(|data: &[u8]| {
    let fast = canonical::is_canonical(data);
    let Ok(canonical) = canonical::canonicalize(data) else {
        assert!(!fast, "canonicalize refused bytes that is_canonical accepts: {:?}", String::from_utf8_lossy(data));
        return;
    };
    if fast {
        assert_eq!(canonical.as_ref(), data, "the fast path must return canonical input unchanged");
    }
    let original: Value = serde_json::from_slice(data).expect("canonicalised bytes that serde_json cannot parse");
    let independent = independent_canonical(&original).expect("canonicalised a float");
    assert_eq!(canonical.as_ref(), independent.as_slice(), "differs from the independent canonical writer");
    assert_eq!(canonical::to_vec(&original).unwrap(), independent, "to_vec differs from the independent writer");
    // Any other spelling of the same value (here: pretty-printed, so the slow path)
    // canonicalises to the same bytes: the fast path and the slow path agree.
    let pretty = serde_json::to_vec_pretty(&original).unwrap();
    let slow = canonical::canonicalize(&pretty).expect("the same value, spelt differently, does not canonicalise");
    assert_eq!(slow.as_ref(), canonical.as_ref(), "two spellings of one value canonicalise differently");
    if has_control_character(&original) {
        return;
    }
    let reparsed: Value = serde_json::from_slice(&canonical).expect("canonical form is not JSON");
    assert_eq!(original, reparsed, "canonical form parses to another value");
    let again = canonical::canonicalize(&canonical).expect("canonical form does not canonicalise");
    assert_eq!(again.as_ref(), canonical.as_ref(), "canonical form is not a fixed point");
});

fn has_control_character(value: &Value) -> bool {
    let control = |s: &str| s.bytes().any(|b| b < 0x20);
    match value {
        Value::String(s) => control(s),
        Value::Array(items) => items.iter().any(has_control_character),
        Value::Object(map) => map.iter().any(|(k, v)| control(k) || has_control_character(v)),
        _ => false,
    }
}
