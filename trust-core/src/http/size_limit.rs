//! Reading a download to at most a given size: at most `max_len + 1` bytes are read,
//! whatever `Content-Length` or a file's metadata says, and nothing is allocated by a
//! declared size.

use std::io::Read;

use crate::Error;

/// Reads at most `max_len` bytes from `reader`; one more is a size-limit breach of `role`.
/// Never pre-allocates by a declared size. `io_error` turns a read failure into an error.
pub(crate) fn read_limited(
    reader: impl Read,
    max_len: u64,
    role: &str,
    io_error: impl FnOnce(std::io::Error) -> Error,
) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    reader.take(max_len.saturating_add(1)).read_to_end(&mut bytes).map_err(io_error)?;
    if bytes.len() as u64 > max_len {
        return Err(too_large(role, max_len));
    }
    Ok(bytes)
}

/// The size-limit breach error.
pub(crate) fn too_large(role: &str, max_len: u64) -> Error {
    Error::verification(role, format!("download exceeds the {max_len}-byte size limit"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_limited_stops_after_one_extra_byte() {
        let data = [7u8; 100];
        let io = |e| Error::io("x", e);
        assert_eq!(read_limited(&data[..], 100, "root", io).ok().map(|b| b.len()), Some(100));
        let e = read_limited(&data[..], 99, "root", io).err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("root: download exceeds the 99-byte size limit"));
        // An endless source is cut off, not read to the end.
        let endless = std::io::repeat(1);
        assert!(read_limited(endless, 1 << 20, "root", io).is_err());
    }
}
