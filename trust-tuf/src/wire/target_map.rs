//! The `targets` map of a targets file, kept as the JSON text received and decoded
//! per lookup: Notary v1's (entries [`FileMeta`], the default) and TUF 1.0's
//! ([`crate::tuf1::TargetFile`]).
//!
//! A 100k-tag targets.json is ~10 MB; decoding it into a hash map would cost more
//! memory than the file and time on every run that needs one tag. The map instead
//! points into the verified file's own bytes (shared, not copied) and a lookup scans
//! them without allocating for the entries it skips.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use super::FileMeta;

/// Target name → file metadata (`V`), as JSON text inside a shared buffer.
pub struct TargetMap<V = FileMeta> {
    source: Arc<Vec<u8>>,
    start: usize,
    end: usize,
    /// The first name [`TargetMap::get`] looked up and what the scan found: resolving
    /// one tag reads it more than once (its release, then the roles that co-sign it),
    /// and every lookup scans the whole map. The text never changes, so neither does
    /// the answer.
    first_lookup: OnceLock<(String, Option<V>)>,
    entry: PhantomData<fn() -> V>,
}

impl<V> Clone for TargetMap<V> {
    fn clone(&self) -> Self {
        TargetMap {
            source: Arc::clone(&self.source),
            start: self.start,
            end: self.end,
            first_lookup: OnceLock::new(),
            entry: PhantomData,
        }
    }
}

impl<V> PartialEq for TargetMap<V> {
    /// The same JSON text.
    fn eq(&self, other: &Self) -> bool {
        self.json_text() == other.json_text()
    }
}

impl<V> Eq for TargetMap<V> {}

impl<V> fmt::Debug for TargetMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TargetMap").field("bytes", &(self.end - self.start)).finish()
    }
}

impl<V> Default for TargetMap<V> {
    fn default() -> Self {
        TargetMap::from_json_text(b"{}".to_vec())
    }
}

/// What a scan looks for.
enum Want<'n> {
    One(&'n str),
    All,
}

struct Scan<'n, V>(Want<'n>, PhantomData<fn() -> V>);

impl<'de, V: DeserializeOwned> Visitor<'de> for Scan<'_, V> {
    type Value = Vec<(String, V)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of target name to file metadata")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out: Vec<(String, V)> = Vec::new();
        while let Some(name) = map.next_key::<Cow<'de, str>>()? {
            let wanted = match &self.0 {
                Want::One(n) => *n == name.as_ref(),
                Want::All => true,
            };
            if wanted {
                out.push((name.into_owned(), map.next_value()?));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(last_of_each(out))
    }
}

/// `entries` with a repeated name kept once: its last entry counts, as in any JSON
/// object decoder, at the place of the last. Linear: one pass to find each name's
/// last place (a scan of the kept entries per entry made listing n targets cost n²).
fn last_of_each<V>(entries: Vec<(String, V)>) -> Vec<(String, V)> {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
    for (i, (name, _)) in entries.iter().enumerate() {
        last.insert(name.as_str(), i);
    }
    if last.len() == entries.len() {
        return entries;
    }
    let keep: Vec<bool> =
        entries.iter().enumerate().map(|(i, (name, _))| last.get(name.as_str()) == Some(&i)).collect();
    entries.into_iter().zip(keep).filter_map(|(entry, keep)| keep.then_some(entry)).collect()
}

impl<'de, V: DeserializeOwned> DeserializeSeed<'de> for Scan<'_, V> {
    type Value = Vec<(String, V)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<V> TargetMap<V> {
    /// A map over JSON text (an object of name → file metadata).
    pub fn from_json_text(text: Vec<u8>) -> Self {
        let end = text.len();
        TargetMap { source: Arc::new(text), start: 0, end, first_lookup: OnceLock::new(), entry: PhantomData }
    }

    /// A map over `raw`, a JSON object that lies inside `source`. Falls back to a
    /// copy if `raw` is not inside `source`.
    pub(crate) fn within(source: &Arc<Vec<u8>>, raw: &RawValue) -> Self {
        let text = raw.get().as_bytes();
        let base = source.as_ptr() as usize;
        let at = text.as_ptr() as usize;
        match at.checked_sub(base) {
            Some(start) if start + text.len() <= source.len() => TargetMap {
                source: Arc::clone(source),
                start,
                end: start + text.len(),
                first_lookup: OnceLock::new(),
                entry: PhantomData,
            },
            _ => TargetMap::from_json_text(text.to_vec()),
        }
    }

    /// The JSON text of the map.
    pub fn json_text(&self) -> &[u8] {
        &self.source[self.start..self.end]
    }
}

impl<V: Serialize> TargetMap<V> {
    /// A map built from entries (for tests and tools that write metadata).
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = (&'a str, &'a V)>) -> Self
    where
        V: 'a,
    {
        let map: serde_json::Map<String, serde_json::Value> = entries
            .into_iter()
            .map(|(n, m)| (n.to_owned(), serde_json::to_value(m).unwrap_or(serde_json::Value::Null)))
            .collect();
        TargetMap::from_json_text(serde_json::to_vec(&map).unwrap_or_else(|_| b"{}".to_vec()))
    }
}

impl<V: DeserializeOwned> TargetMap<V> {
    fn scan(&self, want: Want<'_>) -> Result<Vec<(String, V)>, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(self.json_text());
        Scan(want, PhantomData).deserialize(&mut de)
    }

    /// The metadata of target `name`.
    pub fn get(&self, name: &str) -> Result<Option<V>, serde_json::Error>
    where
        V: Clone,
    {
        if let Some((first, found)) = self.first_lookup.get()
            && first == name
        {
            return Ok(found.clone());
        }
        let found = self.scan(Want::One(name))?.pop().map(|(_, m)| m);
        // Set by the first lookup only; a later one of another name just scans.
        let _ = self.first_lookup.set((name.to_owned(), found.clone()));
        Ok(found)
    }

    /// Every target, in the order the file lists them.
    pub fn entries(&self) -> Result<Vec<(String, V)>, serde_json::Error> {
        self.scan(Want::All)
    }
}

impl<V> Serialize for TargetMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let value: serde_json::Value = serde_json::from_slice(self.json_text()).map_err(serde::ser::Error::custom)?;
        value.serialize(s)
    }
}

impl<'de, V> Deserialize<'de> for TargetMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        Ok(TargetMap::from_json_text(raw.get().as_bytes().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"{"v1":{"hashes":{"sha256":"3/mSHCJg9dkVKfesm6fjm2wul2nO/K2BfyD3SR7e+NU="},"length":528},"v2":{"hashes":{},"length":1,"custom":{"x":[1,2]}}}"#;

    #[test]
    fn looks_up_and_lists() {
        let map: TargetMap = TargetMap::from_json_text(TEXT.as_bytes().to_vec());
        assert_eq!(map.get("v1").unwrap().unwrap().length, 528);
        assert!(map.get("v3").unwrap().is_none());
        let names: Vec<String> = map.entries().unwrap().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["v1", "v2"]);
    }

    #[test]
    fn the_last_of_a_repeated_name_counts() {
        let map: TargetMap =
            TargetMap::from_json_text(br#"{"a":{"hashes":{},"length":1},"a":{"hashes":{},"length":2}}"#.to_vec());
        assert_eq!(map.get("a").unwrap().unwrap().length, 2);
        assert_eq!(map.entries().unwrap().len(), 1);
        let map: TargetMap = TargetMap::from_json_text(
            br#"{"a":{"hashes":{},"length":1},"b":{"hashes":{},"length":2},"a":{"hashes":{},"length":3}}"#.to_vec(),
        );
        let listed: Vec<(String, u64)> = map.entries().unwrap().into_iter().map(|(n, m)| (n, m.length)).collect();
        assert_eq!(listed, [("b".to_owned(), 2), ("a".to_owned(), 3)]);
    }

    #[test]
    fn a_name_looked_up_again_gets_the_same_answer() {
        let map: TargetMap = TargetMap::from_json_text(
            br#"{"a":{"hashes":{},"length":1},"b":{"hashes":{},"length":2},"a":{"hashes":{},"length":3}}"#.to_vec(),
        );
        for _ in 0..2 {
            assert_eq!(map.get("a").unwrap().unwrap().length, 3, "the last entry of a repeated name");
            assert_eq!(map.get("b").unwrap().unwrap().length, 2);
            assert!(map.get("c").unwrap().is_none());
        }
        let absent_first: TargetMap = TargetMap::from_json_text(TEXT.as_bytes().to_vec());
        assert!(absent_first.get("v3").unwrap().is_none());
        assert!(absent_first.get("v3").unwrap().is_none());
        assert_eq!(absent_first.get("v1").unwrap().unwrap().length, 528);
        assert_eq!(absent_first.clone().get("v1").unwrap().unwrap().length, 528);
    }

    #[test]
    fn points_into_the_shared_bytes() {
        let source = Arc::new(format!(r#"{{"targets":{TEXT}}}"#).into_bytes());
        #[derive(Deserialize)]
        struct Outer<'a> {
            #[serde(borrow)]
            targets: &'a RawValue,
        }
        let outer: Outer<'_> = serde_json::from_slice(&source).unwrap();
        let map: TargetMap = TargetMap::within(&source, outer.targets);
        assert_eq!(map.json_text(), TEXT.as_bytes());
        assert_eq!(Arc::strong_count(&source), 2, "shared, not copied");
    }

    #[test]
    fn malformed_entries_are_errors_when_read() {
        let map: TargetMap = TargetMap::from_json_text(br#"{"a":{"hashes":{"sha256":"AA=="},"length":1}}"#.to_vec());
        assert!(map.get("a").is_err());
        assert!(map.get("a").is_err(), "an error is not remembered as an answer");
    }
}
