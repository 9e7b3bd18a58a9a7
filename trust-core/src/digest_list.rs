//! The digests file of `trust sign --digests FILE IMAGE`: the tags of one image with
//! the manifests they name, given instead of asked of the registry.
//!
//! One tag a line, `TAG DIGEST SIZE` separated by spaces or tabs: the digest
//! `sha256:` and 64 lowercase hex digits, the size the manifest's length in decimal
//! bytes. Blank lines and lines starting with `#` (after leading blanks) are
//! ignored. A tag may be listed once. The first bad line is an error that names the
//! file, the line and what is wrong ([`Error::InvalidInput`], exit 2), and then
//! nothing is signed.
//!
//! ```
//! use trust_core::digest_list;
//! let text = format!("# release 7\nv1 sha256:{} 528\n\nlatest sha256:{} 528\n", "ab".repeat(32), "ab".repeat(32));
//! let targets = digest_list::tag_targets("localhost:5000/team/app", &text, "digests.txt")?;
//! assert_eq!((targets[1].image.as_str(), targets[1].meta.length), ("localhost:5000/team/app:latest", 528));
//! # Ok::<(), trust_core::Error>(())
//! ```

use std::collections::HashMap;

use crate::signing::{TagTarget, manifest_meta, parse_tag};
use crate::{Error, Result};
use trust_tuf::reference::Reference;

/// The tags of `image` (a repository, no tag or digest) listed in `text`, in the
/// order listed, each with the digest and size given. `source` names the text in
/// errors (the file's path, or `-` for standard input).
pub fn tag_targets(image: &str, text: &str, source: &str) -> Result<Vec<TagTarget>> {
    let repository = Reference::parse(image).map_err(|e| Error::InvalidInput(format!("{image}: {e}")))?;
    if repository.tag().is_some() || repository.digest().is_some() {
        return Err(Error::InvalidInput(format!(
            "{image}: with --digests, give the image without a tag or digest (the tags come from {source})"
        )));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut targets = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let bad = |what: String| Error::InvalidInput(format!("{source}, line {number}: {what}"));
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        let [tag, digest, size] = fields[..] else {
            return Err(bad(format!("expected TAG DIGEST SIZE, found {} field(s)", fields.len())));
        };
        let size: u64 = size
            .parse()
            .ok()
            .filter(|_| size.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| bad(format!("size {size:?} is not a number of bytes")))?;
        let meta = manifest_meta(digest, size)
            .map_err(|_| bad(format!("digest {digest:?} is not sha256:<64 lowercase hex>")))?;
        let tagged = format!("{image}:{tag}");
        let (reference, tag) = parse_tag(&tagged).map_err(|_| bad(format!("{tag:?} is not a valid tag")))?;
        if let Some(first) = seen.insert(tag.clone(), number) {
            return Err(bad(format!("tag {tag} is listed twice (first on line {first})")));
        }
        targets.push(TagTarget { image: tagged, reference, tag, meta });
    }
    if targets.is_empty() {
        return Err(Error::InvalidInput(format!("{source}: no tags listed (expected lines of TAG DIGEST SIZE)")));
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(byte: &str) -> String {
        format!("sha256:{}", byte.repeat(32))
    }

    #[test]
    fn lists_tags_in_order_skipping_blanks_and_comments() {
        let text = format!("\n  # a comment\nv1 {} 528\n\tv2\t{}\t7  \n\n", digest("ab"), digest("cd"));
        let targets = tag_targets("example.com/team/app", &text, "list").unwrap();
        let got: Vec<(&str, &str, u64)> =
            targets.iter().map(|t| (t.image.as_str(), t.tag.as_str(), t.meta.length)).collect();
        assert_eq!(got, [("example.com/team/app:v1", "v1", 528), ("example.com/team/app:v2", "v2", 7)]);
        assert_eq!(targets[1].meta.hashes.sha256, Some([0xcd; 32]));
    }

    #[test]
    fn a_bad_line_names_the_source_the_line_and_the_fault() {
        let good = format!("v1 {} 528", digest("ab"));
        let cases = [
            (format!("{good}\nv2 {}", digest("ab")), "list, line 2: expected TAG DIGEST SIZE, found 2 field(s)"),
            (format!("{good}\nv2 {} 1 extra", digest("ab")), "line 2: expected TAG DIGEST SIZE, found 4"),
            (format!("{good}\n# c\nv2 {} -1", digest("ab")), "line 3: size \"-1\" is not a number of bytes"),
            (format!("v2 {} +1", digest("ab")), "line 1: size \"+1\" is not a number"),
            (format!("v2 {} 99999999999999999999999", digest("ab")), "line 1: size"),
            (format!("v2 {} 1", digest("AB")), "line 1: digest \"sha256:ABAB"),
            ("v2 sha512:ab 1".to_owned(), "line 1: digest \"sha512:ab\" is not sha256:<64 lowercase hex>"),
            (format!("v:2 {} 1", digest("ab")), "line 1: \"v:2\" is not a valid tag"),
            (format!("{good}\n\n{good}"), "list, line 3: tag v1 is listed twice (first on line 1)"),
            ("# only a comment\n\n".to_owned(), "list: no tags listed"),
        ];
        for (text, want) in cases {
            let err = tag_targets("example.com/app", &text, "list").unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{text}");
            assert!(err.to_string().contains(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn the_image_has_no_tag() {
        let text = format!("v1 {} 1", digest("ab"));
        let err = tag_targets("example.com/app:v1", &text, "list").unwrap_err();
        assert!(err.to_string().contains("without a tag"), "{err}");
    }
}
