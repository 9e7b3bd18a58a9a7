//! Fakes shared by the integration tests: a verifier and an engine answering from
//! `tests/data/world.json`, and the test policy `tests/data/daemon.json`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use engine_hook::engine::{ImageInfo, ImageInspector};
use engine_hook::policy::Policy;
use engine_hook::verify::{Failure, Query, Release, Verification, Verifier};
use serde::Deserialize;

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

pub fn policy() -> Policy {
    Policy::load(&data("daemon.json")).unwrap()
}

#[derive(Debug, Clone, Deserialize)]
pub struct Signed {
    pub digest: String,
    pub signers: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct World {
    pub trust: BTreeMap<String, BTreeMap<String, Signed>>,
    pub images: BTreeMap<String, ImageInfo>,
}

pub fn world() -> World {
    serde_json::from_slice(&std::fs::read(data("world.json")).unwrap()).unwrap()
}

/// Answers from the world's trust data and records every query.
pub struct FakeVerifier {
    pub trust: BTreeMap<String, BTreeMap<String, Signed>>,
    pub queries: Mutex<Vec<Query>>,
}

impl FakeVerifier {
    pub fn new() -> Self {
        FakeVerifier { trust: world().trust, queries: Mutex::new(Vec::new()) }
    }

    pub fn queries(&self) -> Vec<Query> {
        self.queries.lock().unwrap().clone()
    }
}

impl Verifier for FakeVerifier {
    fn verify(&self, query: &Query) -> Result<Verification, Failure> {
        self.queries.lock().unwrap().push(query.clone());
        let gun = query.reference.gun();
        let not_found =
            || Failure::from(trust_core::Error::RepositoryNotFound { gun: gun.clone(), server: "https://fake".into() });
        let tags = self.trust.get(&gun).ok_or_else(not_found)?;
        let release = |tag: &str, s: &Signed| Release {
            tag: tag.to_owned(),
            digest_hex: s.digest.clone(),
            signers: s.signers.clone(),
        };
        let releases = match (query.reference.tag(), query.reference.digest()) {
            (Some(tag), _) => match tags.get(tag) {
                Some(s) => vec![release(tag, s)],
                None => {
                    return Err(trust_core::Error::TagNotSigned { gun: gun.clone(), tag: tag.into() }.into());
                }
            },
            (None, Some(digest)) => {
                let hex = digest.strip_prefix("sha256:").unwrap_or_default();
                let found: Vec<Release> =
                    tags.iter().filter(|(_, s)| s.digest == hex).map(|(t, s)| release(t, s)).collect();
                if found.is_empty() {
                    return Err(trust_core::Error::DigestNotSigned { gun: gun.clone(), digest: digest.into() }.into());
                }
                found
            }
            (None, None) => return Err(Failure::not_signed("no tag")),
        };
        Ok(Verification {
            gun,
            server: query.server.clone().unwrap_or_else(|| "https://fake".into()),
            releases,
            expires: None,
            offline: false,
            warnings: vec![],
            from_cache: false,
        })
    }
}

/// Answers from the world's images, by the exact name or an image ID prefix.
pub struct FakeEngine {
    pub images: BTreeMap<String, ImageInfo>,
}

impl FakeEngine {
    pub fn new() -> Self {
        FakeEngine { images: world().images }
    }
}

impl ImageInspector for FakeEngine {
    fn inspect(&self, name: &str) -> engine_hook::Result<Option<ImageInfo>> {
        if let Some(info) = self.images.get(name) {
            return Ok(Some(info.clone()));
        }
        let id = name.strip_prefix("sha256:").unwrap_or(name);
        Ok(self.images.values().find(|i| !id.is_empty() && i.id.trim_start_matches("sha256:").starts_with(id)).cloned())
    }
}
