//! `trustkit.tuf`: a TUF 1.0 client in python-tuf ngclient's shape (`Updater`,
//! `TargetInfo`, `init`) over [`trust_core::tuf`], with the GIL released while it
//! fetches, verifies and hashes.

use std::path::PathBuf;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use trust_core::tuf::{TargetInfo as CoreTargetInfo, Updater as CoreUpdater, UpdaterConfig};

use crate::errors::from_core;

/// Stores ``root`` as the trusted root of a new TUF client in ``metadata_dir``
/// (created if missing), with no network; ``root`` is the ``root.json`` obtained
/// out of band, as ``bytes`` or a path (``str`` or ``os.PathLike``) to read it from.
/// It must be TUF 1.0 root metadata signed by a threshold of its own keys (it may have
/// expired: the first refresh moves past it).
///
/// Raises VerificationError for what is not root metadata signed by its own keys
/// (malformed metadata included), LocalIOError when a file cannot be read or written.
#[pyfunction]
#[pyo3(name = "tuf_init", signature = (metadata_dir, root, /))]
pub fn init(py: Python<'_>, metadata_dir: PathBuf, root: &Bound<'_, PyAny>) -> PyResult<()> {
    let bytes: Option<Vec<u8>> = root.cast::<PyBytes>().ok().map(|b| b.as_bytes().to_vec());
    let path: Option<PathBuf> = match bytes {
        Some(_) => None,
        None => Some(root.extract()?),
    };
    py.detach(|| {
        let bytes = match (bytes, &path) {
            (Some(bytes), _) => bytes,
            (None, Some(path)) => std::fs::read(path).map_err(|e| trust_core::Error::io(path, e))?,
            (None, None) => unreachable!("root is bytes or a path"),
        };
        trust_core::tuf::init(&metadata_dir, &bytes)
    })
    .map_err(|e| from_core(py, e))
}

/// A target file as the repository's trusted metadata lists it: ``path``, the
/// ``role`` that lists it, ``length`` in bytes, ``hashes`` (algorithm to hex) and
/// ``custom`` (its ``custom`` value, or None). Returned by
/// ``Updater.get_targetinfo``; pass it to ``find_cached_target`` and
/// ``download_target``.
#[pyclass(module = "trustkit.tuf", name = "TargetInfo", frozen)]
pub struct TargetInfo {
    info: CoreTargetInfo,
}

#[pymethods]
impl TargetInfo {
    /// The target path.
    #[getter]
    fn path(&self) -> &str {
        &self.info.path
    }

    /// The role that lists the target (the first the delegation search reaches).
    #[getter]
    fn role(&self) -> &str {
        &self.info.role
    }

    /// The file's length in bytes.
    #[getter]
    fn length(&self) -> u64 {
        self.info.file.length
    }

    /// The file's hashes: algorithm (``sha256``, ``sha512``) to lowercase hex.
    #[getter]
    fn hashes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (algorithm, hex) in &self.info.file.hashes {
            d.set_item(algorithm, hex)?;
        }
        Ok(d)
    }

    /// The target's ``custom`` value (parsed JSON), or None.
    #[getter]
    fn custom<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.info.file.custom() {
            None => Ok(None),
            // Display of a JSON value is its JSON text.
            Some(value) => Ok(Some(py.import("json")?.call_method1("loads", (value.to_string(),))?)),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "trustkit.tuf.TargetInfo(path={:?}, role={:?}, length={})",
            self.info.path, self.info.role, self.info.file.length
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<TargetInfo>().is_ok_and(|o| o.get().info == self.info)
    }
}

/// A TUF 1.0 client of one repository, in python-tuf ngclient's shape.
///
/// ``metadata_dir`` holds the trusted metadata (start it with ``trustkit.tuf.init``);
/// ``metadata_url`` is where the repository serves its metadata; target files are
/// fetched under ``target_base_url`` into ``target_dir`` (either may be None when no
/// target is downloaded). Nothing is contacted until ``refresh`` (or the first
/// ``get_targetinfo``). Calls on one updater are serialised; each releases the GIL.
///
/// Example (``tests/test_tuf.py`` runs this against a server of
/// ``fixtures/tuf1/basic``)::
///
///     from trustkit import tuf
///
///     tuf.init("md", open("root.json", "rb").read())   # the root obtained out of band
///     updater = tuf.Updater("md", f"{url}/metadata",
///                           target_base_url=f"{url}/targets", target_dir="downloads")
///     updater.refresh()
///     info = updater.get_targetinfo("hello.txt")
///     assert info is not None and info.length == 13
///     path = updater.find_cached_target(info) or updater.download_target(info)
///     assert open(path, "rb").read() == b"hello, world\n"
///
/// Raises VerificationError for metadata or a target file that fails verification,
/// NetworkError when the repository cannot be reached or does not serve a file,
/// InvalidArgumentError for a bad URL, a directory without a trusted root, or a
/// download without ``target_base_url`` or ``target_dir``; LocalIOError when a local
/// file cannot be read or written.
#[pyclass(module = "trustkit.tuf", name = "Updater", frozen)]
pub struct Updater {
    updater: Mutex<CoreUpdater>,
}

impl Updater {
    /// Runs `call` on the updater with the GIL released and its lock held.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        call: impl FnOnce(&mut CoreUpdater) -> trust_core::Result<T> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            // A call that panicked stopped between two checked steps: the trusted set
            // is as one of them left it, so the next call may go on from it.
            let mut updater = self.updater.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            call(&mut updater)
        })
        .map_err(|e| from_core(py, e))
    }
}

#[pymethods]
impl Updater {
    #[new]
    #[pyo3(signature = (metadata_dir, metadata_url, target_base_url=None, target_dir=None))]
    fn new(
        py: Python<'_>,
        metadata_dir: PathBuf,
        metadata_url: &str,
        target_base_url: Option<&str>,
        target_dir: Option<PathBuf>,
    ) -> PyResult<Self> {
        let updater = py.detach(|| {
            CoreUpdater::new(
                &metadata_dir,
                metadata_url,
                target_dir.as_deref(),
                target_base_url,
                UpdaterConfig::default(),
            )
        });
        Ok(Updater { updater: Mutex::new(updater.map_err(|e| from_core(py, e))?) })
    }

    /// Updates the top-level metadata (root, timestamp, snapshot, targets) as the TUF
    /// specification's client workflow does, storing in the metadata directory what
    /// verifies and nothing else.
    fn refresh(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, CoreUpdater::refresh)
    }

    /// The target ``path`` as the delegation search finds it (refreshing first when
    /// this updater has not; delegated roles are fetched as the search reaches them),
    /// or None when no role lists it.
    #[pyo3(signature = (path, /))]
    fn get_targetinfo(&self, py: Python<'_>, path: &str) -> PyResult<Option<TargetInfo>> {
        let info = self.with(py, |u| u.get_target_info(path))?;
        Ok(info.map(|info| TargetInfo { info }))
    }

    /// The path of the copy of ``info`` in the target directory when its length and
    /// hashes match, else None.
    #[pyo3(signature = (info, /))]
    fn find_cached_target(&self, py: Python<'_>, info: &Bound<'_, TargetInfo>) -> PyResult<Option<String>> {
        let info = &info.get().info;
        let found = self.with(py, |u| u.find_cached_target(info))?;
        Ok(found.map(|p| p.to_string_lossy().into_owned()))
    }

    /// Downloads ``info``'s file from the target base URL and stores it in the target
    /// directory, under its path percent-encoded into one file name, once its length
    /// and hashes match; returns that path. A file that does not match raises
    /// VerificationError and leaves nothing in the target directory.
    #[pyo3(signature = (info, /))]
    fn download_target(&self, py: Python<'_>, info: &Bound<'_, TargetInfo>) -> PyResult<String> {
        let info = &info.get().info;
        let stored = self.with(py, |u| u.download_target(info))?;
        Ok(stored.to_string_lossy().into_owned())
    }
}
