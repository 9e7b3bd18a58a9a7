//! Image references and GUNs (`trust_tuf::reference`): no panic on any string, and
//! for every reference that parses:
//! - its fully qualified form parses back to the same reference (domain, path, tag,
//!   digest) and prints the same (a fixed point);
//! - its GUN is `domain/path`, passes `check_gun` (cannot escape the trust dir), and
//!   parses as a reference to the same repository;
//! - the limits hold (path ≤ 255 bytes, tag ≤ 128, digests of the right length).

#![no_main]

use libfuzzer_sys::fuzz_target;
use trust_tuf::reference::{Reference, check_gun};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = check_gun(s);
    let Ok(r) = Reference::parse(s) else {
        return;
    };
    assert_eq!(r.original(), s);
    let printed = r.to_string();
    let again = Reference::parse(&printed).unwrap_or_else(|e| panic!("{s:?} prints as {printed:?}, which fails: {e}"));
    assert_eq!(
        (again.domain(), again.path(), again.tag(), again.digest()),
        (r.domain(), r.path(), r.tag(), r.digest()),
        "{s:?} → {printed:?} does not round-trip"
    );
    assert_eq!(again.to_string(), printed, "display is not a fixed point");

    let gun = r.gun();
    assert_eq!(gun, format!("{}/{}", r.domain(), r.path()));
    check_gun(&gun).unwrap_or_else(|e| panic!("{s:?} has GUN {gun:?}, refused by check_gun: {e}"));
    let repo = Reference::parse(&gun).unwrap_or_else(|e| panic!("GUN {gun:?} of {s:?} does not parse: {e}"));
    assert_eq!((repo.domain(), repo.path(), repo.tag(), repo.digest()), (r.domain(), r.path(), None, None));
    assert_eq!(repo.gun(), gun);

    assert!(r.path().len() <= 255);
    assert!(r.tag().is_none_or(|t| !t.is_empty() && t.len() <= 128));
    if let Some(d) = r.digest() {
        let (alg, hex) = d.split_once(':').unwrap();
        let want = match alg {
            "sha256" => 64,
            "sha384" => 96,
            "sha512" => 128,
            other => panic!("digest algorithm {other:?} accepted"),
        };
        assert_eq!(hex.len(), want);
        assert!(hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    }
    assert_eq!(r.is_docker_hub(), r.domain() == "docker.io");
});
