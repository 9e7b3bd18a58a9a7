//! A bundle directory as one file: a `.tar`, or a gzip-compressed `.tar.gz` / `.tgz`.
//!
//! [`pack`] writes the same bytes for the same directory every time (entries sorted,
//! mtime 0, owner 0:0, mode 0644 for files and 0755 for directories, gzip with no name
//! and mtime 0) and atomically. [`unpack`] takes regular files and directories only,
//! refuses any name that could reach outside the target (absolute, `..`), links,
//! devices, duplicate entries and more than a size cap, and notices an archive that
//! was cut short; on any error it leaves nothing behind.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use crate::{Error, Result};

/// The gzip magic bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// A tar header or padding block.
const BLOCK: u64 = 512;
/// The most trailing zero padding [`unpack`] reads after the end-of-archive marker
/// (GNU tar pads to 10 KiB records; this leaves room for larger blocking factors).
const MAX_TRAILER: u64 = 1 << 20;

/// Whether `path` names an archive, by its extension: `.tar`, `.tar.gz` or `.tgz`.
pub fn is_archive_path(path: &Path) -> bool {
    compression_of(path).is_some()
}

/// `Some(true)` for a gzip archive name, `Some(false)` for a plain tar, `None` for
/// anything else.
fn compression_of(path: &Path) -> Option<bool> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        Some(true)
    } else if name.ends_with(".tar") {
        Some(false)
    } else {
        None
    }
}

/// Writes the directory `dir` as one tar file at `dest`: gzip-compressed when `dest`
/// ends in `.tar.gz` or `.tgz`, plain when `.tar`. Deterministic and atomic: a
/// temporary file beside `dest` is written, fsynced and renamed over it; on any error
/// `dest` is as it was and no temporary file is left.
pub fn pack(dir: &Path, dest: &Path) -> Result<()> {
    let gzip = compression_of(dest).ok_or_else(|| {
        Error::InvalidInput(format!("{}: an archive's name must end in .tar, .tar.gz or .tgz", dest.display()))
    })?;
    let mut entries = Vec::new();
    collect(dir, Path::new(""), &mut entries)?;
    entries.sort();
    let parent = parent_of(dest);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".tmp-{}-", std::process::id()))
        .tempfile_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;
    let written = if gzip {
        let encoder = flate2::GzBuilder::new().mtime(0).write(tmp.as_file_mut(), flate2::Compression::best());
        write_tar(dir, &entries, encoder).and_then(|e| e.finish().map(drop))
    } else {
        write_tar(dir, &entries, tmp.as_file_mut()).map(drop)
    };
    written.and_then(|()| tmp.as_file().sync_all()).map_err(|e| Error::io(dest, e))?;
    tmp.persist(dest).map_err(|e| Error::io(dest, e.error))?;
    fs::File::open(&parent).and_then(|d| d.sync_all()).map_err(|e| Error::io(&parent, e))
}

/// The relative paths under `dir/rel`, directories included (a trailing `/` is not
/// kept; the kind is looked up again when writing). A link or special file is refused.
fn collect(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let here = dir.join(rel);
    let listing = fs::read_dir(&here).map_err(|e| Error::io(&here, e))?;
    for entry in listing {
        let entry = entry.map_err(|e| Error::io(&here, e))?;
        let path = rel.join(entry.file_name());
        let kind = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
        if kind.is_dir() {
            out.push(path.clone());
            collect(dir, &path, out)?;
        } else if kind.is_file() {
            out.push(path);
        } else {
            return Err(Error::InvalidInput(format!(
                "{}: a bundle holds regular files and directories only, not links or special files",
                entry.path().display()
            )));
        }
    }
    Ok(())
}

fn write_tar<W: Write>(dir: &Path, entries: &[PathBuf], out: W) -> io::Result<W> {
    let mut builder = tar::Builder::new(out);
    builder.mode(tar::HeaderMode::Deterministic);
    for rel in entries {
        let full = dir.join(rel);
        let mut header = tar::Header::new_gnu();
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        if full.is_dir() {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(0o755);
            header.set_size(0);
            builder.append_data(&mut header, rel, io::empty())?;
        } else {
            let file = fs::File::open(&full)?;
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(0o644);
            header.set_size(file.metadata()?.len());
            builder.append_data(&mut header, rel, file)?;
        }
    }
    builder.into_inner()
}

/// Unpacks the tar archive `src` (gzip-compressed or not, told by its first bytes)
/// into `into`, which must not exist or be an empty directory. Only regular files and
/// directories are taken; an absolute name, a `..`, a link, a device, a duplicate
/// entry, or more than `max_total_bytes` unpacked (headers included) is refused. A
/// truncated or corrupt archive is an [`Error::InvalidInput`] naming `src`. On any
/// error nothing is left in `into`.
pub fn unpack(src: &Path, into: &Path, max_total_bytes: u64) -> Result<()> {
    unpack_only(src, into, max_total_bytes, &|_| true)
}

/// [`unpack`], writing only the entries whose relative path `keep` accepts; every
/// other entry is read and checked as [`unpack`] checks it (names, types, duplicates,
/// sizes, the archive's end), but not written.
pub fn unpack_only(src: &Path, into: &Path, max_total_bytes: u64, keep: &dyn Fn(&Path) -> bool) -> Result<()> {
    let mut file = fs::File::open(src).map_err(|e| Error::io(src, e))?;
    let mut magic = [0u8; 2];
    let got = read_up_to(&mut file, &mut magic).map_err(|e| Error::io(src, e))?;
    let head = io::Cursor::new(magic[..got].to_vec());
    let parent = parent_of(into);
    let staging = temp_dir_in(&parent)?;
    let stream = head.chain(file);
    if got == 2 && magic == GZIP_MAGIC {
        extract(src, flate2::read::GzDecoder::new(stream), staging.path(), max_total_bytes, keep)?;
    } else {
        extract(src, stream, staging.path(), max_total_bytes, keep)?;
    }
    // Renaming onto an empty directory replaces it; onto anything else fails.
    fs::rename(staging.path(), into).map_err(|e| Error::io(into, e))?;
    // The staging directory is gone (renamed); dropping it now removes nothing.
    drop(staging);
    Ok(())
}

/// The directory `path` is in (`.` for a bare name).
pub(crate) fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// A new temporary directory in `dir`, named as [`crate::atomic_file`] names its
/// temporary files; removed on drop.
pub(crate) fn temp_dir_in(dir: &Path) -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(&format!(".tmp-{}-", std::process::id()))
        .tempdir_in(dir)
        .map_err(|e| Error::io(dir, e))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The error for an archive that cannot be read to its end.
fn broken(src: &Path, why: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!("{} is truncated or not a tar archive: {why}; export it again", src.display()))
}

fn refused(src: &Path, name: &Path, why: &str) -> Error {
    Error::InvalidInput(format!(
        "{}: entry {:?} {why}; a bundle archive holds only files and directories below its top",
        src.display(),
        name.display().to_string()
    ))
}

fn extract<R: Read>(
    src: &Path,
    reader: R,
    to: &Path,
    max_total_bytes: u64,
    keep: &dyn Fn(&Path) -> bool,
) -> Result<()> {
    let mut archive = tar::Archive::new(reader);
    let mut seen = HashSet::new();
    let mut total: u64 = 0;
    let mut any = false;
    {
        let entries = archive.entries().map_err(|e| broken(src, e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| broken(src, e))?;
            any = true;
            let name = entry.path().map_err(|e| broken(src, e))?.into_owned();
            let rel = relative(&name).ok_or_else(|| refused(src, &name, "is absolute or has a .. in it"))?;
            if rel.as_os_str().is_empty() {
                // "./": the top itself.
                continue;
            }
            if !seen.insert(rel.clone()) {
                return Err(refused(src, &name, "appears twice"));
            }
            let size = entry.header().entry_size().map_err(|e| broken(src, e))?;
            total = total.saturating_add(BLOCK).saturating_add(size);
            if total > max_total_bytes {
                return Err(Error::InvalidInput(format!(
                    "{} unpacks to more than {max_total_bytes} bytes; it is not a bundle this trust accepts",
                    src.display()
                )));
            }
            let target = to.join(&rel);
            let wanted = keep(&rel);
            match entry.header().entry_type() {
                tar::EntryType::Directory if !wanted => {}
                tar::EntryType::Directory => fs::create_dir_all(&target).map_err(|e| Error::io(&target, e))?,
                tar::EntryType::Regular | tar::EntryType::Continuous if !wanted => {
                    let skipped =
                        io::copy(&mut (&mut entry).take(size), &mut io::sink()).map_err(|e| broken(src, e))?;
                    if skipped != size {
                        return Err(broken(src, format!("entry {} ends early", rel.display())));
                    }
                }
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    if let Some(dir) = target.parent() {
                        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                    }
                    let mut out = fs::File::create_new(&target).map_err(|e| Error::io(&target, e))?;
                    let copied = io::copy(&mut (&mut entry).take(size), &mut out).map_err(|e| broken(src, e))?;
                    if copied != size {
                        return Err(broken(src, format!("entry {} ends early", rel.display())));
                    }
                }
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    return Err(refused(src, &name, "is a link"));
                }
                other => return Err(refused(src, &name, &format!("is a {other:?} entry, not a file or directory"))),
            }
        }
    }
    if !any {
        return Err(broken(src, "it holds no entries"));
    }
    // The tar reader stops at the first zero block; a whole archive has a second one
    // (and maybe more zero padding) after it. Reading to the end also checks a gzip
    // stream's length and CRC.
    let mut rest = Vec::new();
    archive.into_inner().take(MAX_TRAILER + 1).read_to_end(&mut rest).map_err(|e| broken(src, e))?;
    if (rest.len() as u64) < BLOCK || rest.len() as u64 > MAX_TRAILER || rest.iter().any(|&b| b != 0) {
        return Err(broken(src, "it does not end with the end-of-archive marker"));
    }
    Ok(())
}

/// `name` as a relative path of normal components only (`.` dropped), or `None` when
/// it is absolute or has a `..`.
fn relative(name: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in name.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: u64 = 1 << 20;

    fn sample_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let tuf = dir.path().join("v2/localhost:5000/app/_trust/tuf");
        fs::create_dir_all(tuf.join("targets")).unwrap();
        fs::write(dir.path().join("manifest.json"), b"{}\n").unwrap();
        fs::write(tuf.join("root.json"), b"root bytes").unwrap();
        fs::write(tuf.join("targets/releases.json"), vec![7u8; 5000]).unwrap();
        dir
    }

    /// Every file under `dir` with its bytes, by relative path.
    fn contents(dir: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
        let mut paths = Vec::new();
        collect(dir, Path::new(""), &mut paths).unwrap();
        paths.sort();
        paths
            .into_iter()
            .map(|p| {
                let full = dir.join(&p);
                let bytes = if full.is_file() { Some(fs::read(full).unwrap()) } else { None };
                (p, bytes)
            })
            .collect()
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    /// A raw tar with one entry of `kind` named `name` (bytes set by hand, so that
    /// names the builder would refuse can be written).
    fn raw_tar(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, kind, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            header.set_entry_type(*kind);
            header.set_mode(0o644);
            header.set_size(data.len() as u64);
            if *kind == tar::EntryType::Symlink {
                header.set_link_name("/etc/passwd").unwrap();
            }
            header.set_cksum();
            out.extend_from_slice(header.as_bytes());
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.extend_from_slice(&[0u8; 1024]);
        out
    }

    fn unpack_bytes(bytes: &[u8], name: &str) -> (tempfile::TempDir, Result<()>) {
        let work = tempfile::tempdir().unwrap();
        let src = work.path().join(name);
        fs::write(&src, bytes).unwrap();
        let result = unpack(&src, &work.path().join("out"), CAP);
        (work, result)
    }

    fn assert_refused(bytes: &[u8], want: &str) {
        let (work, result) = unpack_bytes(bytes, "b.tar");
        let e = result.unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
        assert!(e.to_string().contains(want), "{e}");
        assert_eq!(names_in(work.path()), ["b.tar"], "nothing is left behind");
    }

    #[test]
    fn round_trips_both_forms_and_is_deterministic() {
        let dir = sample_dir();
        for name in ["b.tar", "b.tar.gz", "b.tgz"] {
            let out = tempfile::tempdir().unwrap();
            let dest = out.path().join(name);
            pack(dir.path(), &dest).unwrap();
            let first = fs::read(&dest).unwrap();
            assert_eq!(first[..2] == GZIP_MAGIC, name != "b.tar", "{name}");
            pack(dir.path(), &dest).unwrap();
            assert_eq!(fs::read(&dest).unwrap(), first, "{name}: the same bytes every time");
            assert_eq!(names_in(out.path()), [name], "no temporary file is left");
            // Gzip is told by its bytes, not the name.
            let renamed = out.path().join("renamed.bin");
            fs::rename(&dest, &renamed).unwrap();
            unpack(&renamed, &out.path().join("x"), CAP).unwrap();
            assert_eq!(contents(&out.path().join("x")), contents(dir.path()), "{name}");
        }
    }

    #[test]
    fn entries_are_sorted_with_fixed_metadata() {
        let dir = sample_dir();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("b.tar");
        pack(dir.path(), &dest).unwrap();
        let mut archive = tar::Archive::new(fs::File::open(&dest).unwrap());
        let mut names = Vec::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let h = entry.header();
            assert_eq!((h.mtime().unwrap(), h.uid().unwrap(), h.gid().unwrap()), (0, 0, 0));
            let want = if h.entry_type().is_dir() { 0o755 } else { 0o644 };
            assert_eq!(h.mode().unwrap(), want);
            names.push(entry.path().unwrap().display().to_string());
        }
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names[0], "manifest.json");
    }

    #[test]
    fn other_names_are_not_archives() {
        assert!(is_archive_path(Path::new("/x/b.TAR.GZ")) && is_archive_path(Path::new("b.tgz")));
        assert!(!is_archive_path(Path::new("/x/bundle")) && !is_archive_path(Path::new("b.zip")));
        let dir = sample_dir();
        let e = pack(dir.path(), &dir.path().join("b.zip")).unwrap_err();
        assert!(e.to_string().contains(".tar, .tar.gz or .tgz"), "{e}");
    }

    #[test]
    fn an_error_while_packing_leaves_dest_as_it_was() {
        let dir = sample_dir();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("b.tar");
        fs::write(&dest, b"old").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link")).unwrap();
        #[cfg(unix)]
        {
            let e = pack(dir.path(), &dest).unwrap_err();
            assert!(e.to_string().contains("not links"), "{e}");
        }
        assert_eq!(fs::read(&dest).unwrap(), b"old");
        assert_eq!(names_in(out.path()), ["b.tar"]);
    }

    #[test]
    fn unpack_only_writes_what_is_kept_and_still_checks_the_rest() {
        let dir = sample_dir();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("b.tar.gz");
        pack(dir.path(), &dest).unwrap();
        let keep = |rel: &Path| rel == Path::new("manifest.json");
        unpack_only(&dest, &out.path().join("x"), CAP, &keep).unwrap();
        let written: Vec<PathBuf> = contents(&out.path().join("x")).into_iter().map(|(p, _)| p).collect();
        assert_eq!(written, [PathBuf::from("manifest.json")]);
        // A cut in an entry that is not written is still a truncated archive.
        let whole = fs::read(&dest).unwrap();
        fs::write(&dest, &whole[..whole.len() - 8]).unwrap();
        let e = unpack_only(&dest, &out.path().join("y"), CAP, &keep).unwrap_err().to_string();
        assert!(e.contains("is truncated or not a tar archive"), "{e}");
        assert!(!out.path().join("y").exists());
    }

    #[test]
    fn truncated_archives_are_named() {
        let dir = sample_dir();
        let out = tempfile::tempdir().unwrap();
        for name in ["b.tar", "b.tar.gz"] {
            let dest = out.path().join(name);
            pack(dir.path(), &dest).unwrap();
            let whole = fs::read(&dest).unwrap();
            // Cut inside an entry, at an entry boundary (before the end marker), and
            // just before the end.
            let cuts = if name == "b.tar" {
                vec![whole.len() / 2, 1536, whole.len() - 1, whole.len() - 600]
            } else {
                // Inside the deflate stream, and in its CRC and length trailer.
                vec![whole.len() / 2, whole.len() - 1, whole.len() - 8]
            };
            for cut in cuts {
                let (work, result) = unpack_bytes(&whole[..cut], name);
                let e = result.unwrap_err().to_string();
                assert!(
                    e.contains("is truncated or not a tar archive") && e.contains("export it again"),
                    "{name} at {cut}: {e}"
                );
                assert!(e.contains(name), "{e}");
                assert_eq!(names_in(work.path()), [name], "nothing is left behind");
            }
        }
    }

    #[test]
    fn garbage_is_not_a_tar() {
        let (_work, result) = unpack_bytes(b"this is not a tar archive at all", "b.tar");
        assert!(result.unwrap_err().to_string().contains("is truncated or not a tar archive"));
        let (_work, result) = unpack_bytes(b"", "b.tar");
        assert!(result.unwrap_err().to_string().contains("is truncated or not a tar archive"));
    }

    #[test]
    fn traversal_and_absolute_names_are_refused() {
        assert_refused(&raw_tar(&[("../evil.json", tar::EntryType::Regular, b"x")]), "has a ..");
        assert_refused(&raw_tar(&[("a/../../evil.json", tar::EntryType::Regular, b"x")]), "has a ..");
        assert_refused(&raw_tar(&[("/tmp/evil.json", tar::EntryType::Regular, b"x")]), "absolute");
    }

    #[test]
    fn links_devices_and_duplicates_are_refused() {
        assert_refused(
            &raw_tar(&[("ok.json", tar::EntryType::Regular, b"x"), ("link", tar::EntryType::Symlink, b"")]),
            "is a link",
        );
        assert_refused(&raw_tar(&[("hard", tar::EntryType::Link, b"")]), "is a link");
        assert_refused(&raw_tar(&[("dev", tar::EntryType::Char, b"")]), "not a file or directory");
        assert_refused(&raw_tar(&[("fifo", tar::EntryType::Fifo, b"")]), "not a file or directory");
        assert_refused(
            &raw_tar(&[("a.json", tar::EntryType::Regular, b"x"), ("./a.json", tar::EntryType::Regular, b"y")]),
            "appears twice",
        );
    }

    #[test]
    fn the_size_cap_holds() {
        let dir = sample_dir();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("b.tar.gz");
        pack(dir.path(), &dest).unwrap();
        let e = unpack(&dest, &out.path().join("x"), 4096).unwrap_err();
        assert!(e.to_string().contains("more than 4096 bytes"), "{e}");
        assert_eq!(names_in(out.path()), ["b.tar.gz"]);
        unpack(&dest, &out.path().join("x"), 64 * 1024).unwrap();
    }

    #[test]
    fn a_non_empty_target_is_not_overwritten() {
        let dir = sample_dir();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("b.tar");
        pack(dir.path(), &dest).unwrap();
        let into = out.path().join("x");
        fs::create_dir(&into).unwrap();
        fs::write(into.join("keep"), b"mine").unwrap();
        assert!(matches!(unpack(&dest, &into, CAP), Err(Error::Io { .. })));
        assert_eq!(names_in(&into), ["keep"]);
        assert_eq!(names_in(out.path()), ["b.tar", "x"]);
    }
}
