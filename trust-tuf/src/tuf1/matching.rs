//! Which delegated role is trusted for which target path: the specification's
//! shell-style `paths` patterns, `path_hash_prefixes`, and TAP 15 bins.

use crate::crypto::backend::digest;

/// Whether `target` matches the delegation path `pattern`, as python-tuf (the
/// reference implementation) applies the specification's shell-style patterns:
/// both are split at `/` and must have as many parts, and each part must match with
/// `*` (any run of characters, so never across `/`), `?` (one character) and
/// `[seq]` / `[!seq]` (one character in or not in `seq`, ranges like `a-z` allowed;
/// a `[` with no closing `]` is a literal). Matching is case-sensitive.
pub fn path_matches(pattern: &str, target: &str) -> bool {
    let pattern_parts: Vec<&str> = pattern.split('/').collect();
    let target_parts: Vec<&str> = target.split('/').collect();
    pattern_parts.len() == target_parts.len()
        && pattern_parts.iter().zip(&target_parts).all(|(p, t)| part_matches(p, t))
}

/// The lower-case hex SHA-256 of the target path's UTF-8 bytes.
pub fn path_hash_hex(target: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, target.as_bytes()))
}

/// The TAP 15 bin number of `target`: the first `bit_length` bits (1 to 32) of the
/// SHA-256 of its path, as an integer.
pub fn succinct_bin(target: &str, bit_length: u32) -> u32 {
    let d = digest::digest(&digest::SHA256, target.as_bytes());
    let first = u32::from_be_bytes([d.as_ref()[0], d.as_ref()[1], d.as_ref()[2], d.as_ref()[3]]);
    if bit_length == 0 { 0 } else { first >> (32 - bit_length.min(32)) }
}

#[derive(Debug)]
enum Token {
    Star,
    Any,
    Class { negated: bool, items: Vec<(char, char)> },
    Literal(char),
}

fn tokens(pattern: &str) -> Vec<Token> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => {
                if !matches!(out.last(), Some(Token::Star)) {
                    out.push(Token::Star);
                }
                i += 1;
            }
            '?' => {
                out.push(Token::Any);
                i += 1;
            }
            '[' => match class(&chars, i + 1) {
                Some((token, next)) => {
                    out.push(token);
                    i = next;
                }
                None => {
                    out.push(Token::Literal('['));
                    i += 1;
                }
            },
            c => {
                out.push(Token::Literal(c));
                i += 1;
            }
        }
    }
    out
}

/// A `[...]` class starting after its `[` at `start`: the token and the index after
/// its `]`, or None when it does not close. As in fnmatch, `!` first negates and a
/// `]` right after `[` or `[!` is a member.
fn class(chars: &[char], start: usize) -> Option<(Token, usize)> {
    let mut i = start;
    let negated = chars.get(i) == Some(&'!');
    if negated {
        i += 1;
    }
    let first = i;
    let mut items = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c == ']' && i > first {
            return Some((Token::Class { negated, items }, i + 1));
        }
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|&e| e != ']') {
            items.push((c, chars[i + 2]));
            i += 3;
        } else {
            items.push((c, c));
            i += 1;
        }
    }
    None
}

fn token_matches(token: &Token, c: char) -> bool {
    match token {
        Token::Any => true,
        Token::Literal(l) => *l == c,
        Token::Class { negated, items } => items.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated,
        Token::Star => false,
    }
}

/// One path part against one pattern part: greedy with backtracking to the last `*`.
fn part_matches(pattern: &str, text: &str) -> bool {
    let toks = tokens(pattern);
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Token::Star) => {
                star = Some((p, t));
                p += 1;
            }
            Some(tok) if token_matches(tok, text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[p..].iter().all(|tok| matches!(tok, Token::Star))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_patterns_as_the_specification_gives_them() {
        let yes = [
            ("targets/*.tgz", "targets/foo.tgz"),
            ("*", "foo"),
            ("*.txt", ".txt"),
            ("file?.bin", "file1.bin"),
            ("a/*/c", "a/b/c"),
            ("[ab]*", "apple"),
            ("[!ab]*", "cherry"),
            ("[a-c]x", "bx"),
            ("[]]", "]"),
            ("[", "["),
            ("a[", "a["),
            ("*a*b*", "xxaxxbxx"),
            ("", ""),
        ];
        for (p, t) in yes {
            assert!(path_matches(p, t), "{p} should match {t}");
        }
        let no = [
            ("*", "a/b"),
            ("targets/*.tgz", "targets/sub/foo.tgz"),
            ("file?.bin", "file10.bin"),
            ("file?.bin", "file.bin"),
            ("[ab]*", "cherry"),
            ("[!ab]*", "apple"),
            ("*.TXT", "a.txt"),
            ("a/b", "a/b/"),
            ("*a*b", "xxaxxbxxc"),
        ];
        for (p, t) in no {
            assert!(!path_matches(p, t), "{p} should not match {t}");
        }
    }

    #[test]
    fn hashes_and_bins() {
        // sha256("") = e3b0c442...
        assert!(path_hash_hex("").starts_with("e3b0c442"));
        assert_eq!(succinct_bin("", 8), 0xe3);
        assert_eq!(succinct_bin("", 3), 0xe3 >> 5);
        assert_eq!(succinct_bin("", 32), 0xe3b0_c442);
    }
}
