//! Helpers for the hand-written deserialisers of the large roles: required and
//! once-only fields, other fields kept, and the common header read in place.

use std::collections::BTreeMap;

use serde::de::{Error as _, MapAccess};
use serde_json::Value;

use super::header::{Expires, Header};

/// Stores a field's value, refusing a second occurrence.
pub(super) fn fill<T, E: serde::de::Error>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), E> {
    if slot.replace(value).is_some() {
        return Err(E::custom(format!("duplicate field `{name}`")));
    }
    Ok(())
}

/// A required field's value.
pub(super) fn need<T, E: serde::de::Error>(slot: Option<T>, name: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(name))
}

/// Keeps a field the specification does not define, refusing a second occurrence.
pub(super) fn other<E: serde::de::Error>(
    extra: &mut BTreeMap<String, Value>,
    name: String,
    value: Value,
) -> Result<(), E> {
    if extra.contains_key(&name) {
        return Err(E::custom(format!("duplicate field `{name}`")));
    }
    extra.insert(name, value);
    Ok(())
}

/// The [`Header`] fields as they are read.
#[derive(Default)]
pub(super) struct HeaderFields {
    role_type: Option<String>,
    spec_version: Option<String>,
    version: Option<u64>,
    expires: Option<Expires>,
}

impl HeaderFields {
    /// Whether `name` is a header field.
    pub(super) fn is_header(name: &str) -> bool {
        matches!(name, "_type" | "spec_version" | "version" | "expires")
    }

    /// Reads the value of header field `name` from `map`.
    pub(super) fn read<'de, A: MapAccess<'de>>(&mut self, name: &str, map: &mut A) -> Result<(), A::Error> {
        match name {
            "_type" => fill(&mut self.role_type, name, map.next_value()?),
            "spec_version" => fill(&mut self.spec_version, name, map.next_value()?),
            "version" => fill(&mut self.version, name, map.next_value()?),
            "expires" => fill(&mut self.expires, name, map.next_value()?),
            _ => Err(A::Error::custom(format!("`{name}` is not a header field"))),
        }
    }

    /// The header, every field required.
    pub(super) fn finish<E: serde::de::Error>(self) -> Result<Header, E> {
        Ok(Header {
            role_type: need(self.role_type, "_type")?,
            spec_version: need(self.spec_version, "spec_version")?,
            version: need(self.version, "version")?,
            expires: need(self.expires, "expires")?,
        })
    }
}
