//! The docker CLI's plugin socket: when docker runs a CLI plugin it listens on a
//! socket named in `DOCKER_CLI_PLUGIN_SOCKET` (an abstract unix socket on Linux,
//! `@docker_cli_<random>`), and closes it when the user interrupts docker (Ctrl-C
//! without a terminal the signal would reach the plugin through) or when docker
//! ends. A plugin connects and stops its work at end of file.

use std::io::Read;

/// The variable docker names its plugin socket in.
pub const SOCKET_ENV: &str = "DOCKER_CLI_PLUGIN_SOCKET";

/// Connects to the socket named in [`SOCKET_ENV`], if set, and calls `on_eof` on a
/// thread of its own once docker closes it. Does nothing when the variable is unset
/// or the socket cannot be reached (an older docker CLI, or no docker at all), as
/// docker's own plugins do.
pub fn watch(on_eof: impl FnOnce() + Send + 'static) {
    let Some(name) = std::env::var_os(SOCKET_ENV).filter(|n| !n.is_empty()) else {
        return;
    };
    let Some(mut stream) = connect(&name.to_string_lossy()) else {
        return;
    };
    std::thread::spawn(move || {
        let mut byte = [0u8; 1];
        loop {
            match stream.read(&mut byte) {
                Ok(0) => return on_eof(),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    });
}

/// `@name` is an abstract socket (Linux), anything else a path.
#[cfg(unix)]
fn connect(address: &str) -> Option<std::os::unix::net::UnixStream> {
    use std::os::unix::net::UnixStream;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(abstract_name) = address.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(abstract_name.as_bytes()).ok()?;
        return UnixStream::connect_addr(&addr).ok();
    }
    UnixStream::connect(address).ok()
}

#[cfg(not(unix))]
fn connect(_: &str) -> Option<std::io::Empty> {
    None
}
