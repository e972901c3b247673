//! Runs a sandbox on a background thread for Rust tests, and stops it when the handle is dropped.

use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use super::server::serve;

/// A running sandbox on 127.0.0.1 with its own tokio runtime; dropping it shuts the sandbox down.
pub struct SandboxHandle {
    address: SocketAddr,
    key: String,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Starts a sandbox answering to the API key `key` on a free port of 127.0.0.1.
///
/// Panics if no port can be bound or no runtime built: this is test set-up, where failing loudly
/// is the useful answer.
pub fn spawn(key: &str) -> SandboxHandle {
    spawn_on(key, 0).expect("the sandbox could not bind a port on 127.0.0.1")
}

/// Starts a sandbox on a given port of 127.0.0.1 (0: any free port); fails when the port is taken.
pub fn spawn_on(key: &str, port: u16) -> std::io::Result<SandboxHandle> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))
        .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))?;
    let address = listener.local_addr()?;
    let (shutdown, shutdown_received) = oneshot::channel::<()>();
    let server_key = key.to_string();
    let thread = std::thread::Builder::new()
        .name("closem-sandbox".to_string())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the sandbox could not build its tokio runtime");
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => listener,
                    Err(error) => {
                        eprintln!("closem-sandbox: cannot use its listener: {error}");
                        return;
                    }
                };
                tokio::select! {
                    result = serve(listener, server_key) => {
                        if let Err(error) = result {
                            eprintln!("closem-sandbox: stopped: {error}");
                        }
                    }
                    _ = shutdown_received => {}
                }
            });
            // Connections still open (a client's keep-alive pool, a delayed answer) are cut.
            runtime.shutdown_timeout(Duration::from_secs(1));
        })
        .expect("the sandbox could not start its thread");
    Ok(SandboxHandle {
        address,
        key: key.to_string(),
        shutdown: Some(shutdown),
        thread: Some(thread),
    })
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The API URL with its query: `http://127.0.0.1:PORT/?m=api&auth=KEY`.
    pub fn api_url(&self) -> String {
        format!("{}/?m=api&auth={}", self.url(), percent_encode(&self.key))
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn key(&self) -> &str {
        &self.key
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}
