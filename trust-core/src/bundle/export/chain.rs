//! The chain of a repository's root versions, `1.root.json` … current: each version
//! accepted from the one before by the trusted set's rules, ending at the root the
//! client trusts now. No I/O: the caller fetched the bytes.

use crate::{Error, Result};
use trust_tuf::trusted::{Context, TrustedSet};

/// Checks that `roots` (versions 1, 2, … in order) form a chain ending at `current`,
/// the root the client verified: version 1 is signed by its own root keys with
/// certificates for the GUN, each later version by a threshold of the previous
/// version's root keys and of its own (certificates of superseded versions may have
/// expired since), and the last one's bytes are `current`'s.
pub(crate) fn check_root_chain(roots: &[Vec<u8>], current: &[u8], ctx: Context) -> Result<()> {
    let (first, rest) = roots.split_first().ok_or_else(|| Error::verification("root", "no root versions"))?;
    let mut set = TrustedSet::from_trusted_root(first.clone(), ctx)
        .map_err(|e| Error::verification("root", format!("root version 1 does not verify: {e}")))?;
    if set.root().signed.version != 1 {
        return Err(Error::verification(
            "root",
            format!("the server's 1.root.json is version {}", set.root().signed.version),
        ));
    }
    for raw in rest {
        let expected = set.root().signed.version + 1;
        set.update_root_in_history(raw.clone()).map_err(|e| {
            Error::verification(
                "root",
                format!("root version {expected} does not follow from version {}: {e}", expected - 1),
            )
        })?;
    }
    if set.root().raw.as_slice() != current {
        return Err(Error::verification(
            "root",
            format!(
                "the server's root version {} is not the current root the client verified",
                set.root().signed.version
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    const TUF: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/rotated/remote/v2/localhost:5000/interop/rotated/_trust/tuf");
    const GUN: &str = "localhost:5000/interop/rotated";

    fn root(name: &str) -> Vec<u8> {
        std::fs::read(format!("{TUF}/{name}")).unwrap()
    }

    fn ctx() -> Context {
        Context::new(GUN, Utc::now())
    }

    #[test]
    fn the_rotated_fixture_chains_to_its_current_root() {
        let roots = [root("1.root.json"), root("2.root.json"), root("3.root.json")];
        check_root_chain(&roots, &root("root.json"), ctx()).unwrap();
    }

    #[test]
    fn a_gap_a_wrong_end_or_a_changed_byte_is_refused() {
        let gap = [root("1.root.json"), root("3.root.json")];
        let e = check_root_chain(&gap, &root("root.json"), ctx()).unwrap_err().to_string();
        assert!(e.contains("root version 2 does not follow from version 1"), "{e}");

        let short = [root("1.root.json"), root("2.root.json")];
        let e = check_root_chain(&short, &root("root.json"), ctx()).unwrap_err().to_string();
        assert!(e.contains("root version 2 is not the current root"), "{e}");

        let mut tampered = root("2.root.json");
        let at = tampered.iter().position(|&b| b == b'"').unwrap();
        tampered.insert(at + 1, b'x');
        let e = check_root_chain(&[root("1.root.json"), tampered, root("3.root.json")], &root("root.json"), ctx())
            .unwrap_err()
            .to_string();
        assert!(e.contains("root version 2"), "{e}");

        let e = check_root_chain(&[root("2.root.json")], &root("2.root.json"), ctx()).unwrap_err().to_string();
        assert!(e.contains("1.root.json is version 2"), "{e}");
    }
}
