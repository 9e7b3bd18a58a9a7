//! Which root a repository's trust data must start from, under the policy: Docker EE's
//! trust pinning, then the scope's TOFU choice, mapped to trust-core's [`Pin`].
//!
//! Order (most specific wins):
//! 1. `cert-ids` for the exact GUN (root certificate IDs);
//! 2. `root-keys` for the exact GUN, else the longest matching `prefix*`, with
//!    `official-library-images` acting as a `docker.io/library/*` entry that a user
//!    entry for the same pattern replaces (canonical root key IDs);
//! 3. trust on first use when the repository's scope asks for it;
//! 4. otherwise refuse: with nothing pinning a repository and TOFU off, its trust data
//!    is never trusted (EE's `DisableTOFU`).

use std::collections::BTreeMap;

use trust_core::pinning::{Pin, TrustPinning};

use crate::pattern;
use crate::policy::{Policy, ScopeRef};

/// The pattern `official-library-images` pins.
pub const OFFICIAL_LIBRARY_PATTERN: &str = "docker.io/library/*";

/// The canonical root key IDs of Docker Hub's official images, as Docker EE pins them
/// with `official-library-images` (`officialImagesRootKeys` in EE's trust service).
pub const OFFICIAL_LIBRARY_ROOT_KEYS: [&str; 18] = [
    "487731f3a9ef2a094d456b37ea7880def4ced3de6f7876ed6258527ac35bcca2",
    "c6faa6d9c53edc26a372c20875f24407584674b834c719aca8c2a781a3fab49d",
    "35ecc5282ec9e9571910bd6fddd7e3b676ef3a480011b4d6e2e7a9ba9d1af1c7",
    "8530a0b0ff0d2c4db50c990faa9ba15d3593292f66312df1cb510a769388ccfa",
    "178c56227f727505bc3181c7fd33af583a6bd5dabdec6c9b3b2faa104386168a",
    "5a740b368b3b71088472e55d17e3a9e7e4bc9ef338bbf3fff3b8475911d803f7",
    "b4147b452cbb17b56eeaca3600244082bb73b2a82f986c8d549eee92baa360a1",
    "26488584f9b21efa90d15e8865c6fa22876e1b3bfc87ec79ba0d7e8aad720a03",
    "6e6beebc7346e7e7320166407b940f4283c8acb0c4940fac8c6f5c0b8dbcf3bb",
    "993134909608be52c5d833a9c6fd4626dc5b78502b4bf74bfc9bc62d290f18a0",
    "93a7bb6c0b1e5c74a141f6e4612e6f2cca1c5e29ce86fd70c61ab2b302ac5275",
    "ee3512f3b31a4a2ac723f31acf1850c1e4a0da124766a3e89c474af6b5c828eb",
    "2f1e6afeea89d56c92ed39ce661f6b29d93b20a1f1b082bc18ff0913b6bb73b5",
    "ac05a3f109ffedf8460a16f287747b04a3db877603a259a31b6ac55cd2b4ff50",
    "99185eb2ab3ccb10f8fa9f354c8c6e7bae8101c4a01dc4021e7a0446e17a50ae",
    "ee3aafa9fec9d3e458dcf56e025e5ebdc99183bd82cbe812d0d55853adc85ff1",
    "00981ccd5e43972e8885e6363a0318d9a02cab371311cd23ffd459c4731b9530",
    "c15164663f80d58bf3d8d5a0cd08b8086cba02065feb00421fc2a5436c563210",
];

/// The pin for a repository and the setting it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinChoice {
    /// What the repository's first root must satisfy.
    pub pin: Pin,
    /// Where it came from, e.g. `trust-pinning.root-keys["docker.io/library/*"]`.
    pub source: String,
}

/// The pin for `gun` under `policy`, whose scope for `gun` is `scope`.
pub fn pin_for(policy: &Policy, gun: &str, scope: ScopeRef<'_>) -> PinChoice {
    if let Some(ids) = policy.cert_ids.get(gun) {
        return PinChoice { pin: Pin::Certs(ids.clone()), source: format!("trust-pinning.cert-ids[{gun:?}]") };
    }
    if let Some((pattern, ids)) = pattern::best(&policy.root_keys, gun) {
        let official_is_closer = policy.official_library_images
            && !policy.root_keys.contains_key(OFFICIAL_LIBRARY_PATTERN)
            && pattern::is_wildcard(pattern)
            && gun.starts_with(OFFICIAL_LIBRARY_PATTERN.trim_end_matches('*'))
            && pattern.len() < OFFICIAL_LIBRARY_PATTERN.len();
        if !official_is_closer {
            return PinChoice { pin: Pin::Certs(ids.clone()), source: format!("trust-pinning.root-keys[{pattern:?}]") };
        }
    }
    if policy.official_library_images && gun.starts_with(OFFICIAL_LIBRARY_PATTERN.trim_end_matches('*')) {
        return PinChoice {
            pin: Pin::Certs(OFFICIAL_LIBRARY_ROOT_KEYS.iter().map(|s| (*s).to_owned()).collect()),
            source: "trust-pinning.official-library-images".into(),
        };
    }
    if let (Some(_), Some(pattern)) = (&scope.scope.bundle, scope.pattern) {
        // Never trust on first use: the bundle's manifest pins the root.
        return PinChoice {
            pin: Pin::Tofu,
            source: format!("scopes[{pattern:?}].bundle: the bundle manifest's root keys"),
        };
    }
    match (scope.scope.tofu, scope.pattern) {
        (true, Some(pattern)) => PinChoice { pin: Pin::Tofu, source: format!("scopes[{pattern:?}].tofu") },
        _ => PinChoice { pin: Pin::Refuse, source: "nothing pins this repository and TOFU is off".into() },
    }
}

/// A trust-core pinning configuration under which `gun` gets exactly `pin`.
pub fn trust_pinning(gun: &str, pin: &Pin) -> TrustPinning {
    match pin {
        Pin::Certs(ids) => TrustPinning {
            certs: BTreeMap::from([(gun.to_owned(), ids.clone())]),
            ca: BTreeMap::new(),
            disable_tofu: true,
        },
        Pin::Ca(path) => TrustPinning {
            certs: BTreeMap::new(),
            ca: BTreeMap::from([(gun.to_owned(), path.clone())]),
            disable_tofu: true,
        },
        Pin::Tofu => TrustPinning::default(),
        Pin::Refuse => TrustPinning { disable_tofu: true, ..TrustPinning::default() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    fn policy(pinning: &str) -> Policy {
        let json = format!(
            r#"{{"mode":"enforced","trust-pinning":{pinning},"scopes":{{"tofu.example.com/*":{{"tofu":true}}}}}}"#
        );
        Policy::from_json(json.as_bytes()).unwrap()
    }

    fn pin(p: &Policy, gun: &str) -> PinChoice {
        pin_for(p, gun, p.scope_for(gun))
    }

    #[test]
    fn cert_ids_then_root_keys_then_tofu_then_refuse() {
        let p = policy(&format!(
            r#"{{"cert-ids":{{"r.example.com/team/app":["{A}"]}},
                "root-keys":{{"r.example.com/*":["{B}"],"r.example.com/team/*":["{C}"],"tofu.example.com/x":["{A}"]}}}}"#
        ));
        assert_eq!(pin(&p, "r.example.com/team/app").pin, Pin::Certs(vec![A.into()]));
        assert_eq!(pin(&p, "r.example.com/team/other").pin, Pin::Certs(vec![C.into()]));
        assert_eq!(pin(&p, "r.example.com/x").pin, Pin::Certs(vec![B.into()]));
        assert_eq!(pin(&p, "tofu.example.com/x").pin, Pin::Certs(vec![A.into()]), "a pin beats TOFU");
        assert_eq!(pin(&p, "tofu.example.com/y").pin, Pin::Tofu);
        assert_eq!(pin(&p, "docker.io/library/alpine").pin, Pin::Refuse);
    }

    #[test]
    fn official_library_images_and_overrides() {
        let p = policy(&format!(r#"{{"official-library-images":true,"root-keys":{{"docker.io/*":["{B}"]}}}}"#));
        let official = pin(&p, "docker.io/library/alpine");
        assert_eq!(official.source, "trust-pinning.official-library-images");
        assert!(matches!(official.pin, Pin::Certs(ref ids) if ids.len() == 18));
        assert_eq!(pin(&p, "docker.io/someone/app").pin, Pin::Certs(vec![B.into()]));

        let p = policy(&format!(r#"{{"official-library-images":true,"root-keys":{{"docker.io/library/*":["{A}"]}}}}"#));
        assert_eq!(pin(&p, "docker.io/library/alpine").pin, Pin::Certs(vec![A.into()]), "a user entry replaces it");
        let p = policy(&format!(
            r#"{{"official-library-images":true,"root-keys":{{"docker.io/library/alpine":["{C}"]}}}}"#
        ));
        assert_eq!(pin(&p, "docker.io/library/alpine").pin, Pin::Certs(vec![C.into()]), "more specific wins");
        assert_eq!(pin(&p, "docker.io/library/busybox").source, "trust-pinning.official-library-images");
    }

    #[test]
    fn trust_core_pinning_gives_the_same_pin() {
        for p in [Pin::Certs(vec![A.into()]), Pin::Ca("/ca.pem".into()), Pin::Tofu, Pin::Refuse] {
            assert_eq!(trust_pinning("r.example.com/app", &p).pin_for("r.example.com/app"), p);
        }
    }
}
