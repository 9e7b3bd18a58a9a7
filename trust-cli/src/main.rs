//! `trust`: docker trust compatible signing and verification.
fn main() {}
