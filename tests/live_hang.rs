//! A server that stops answering mid-batch without closing the socket (a frozen host, a network
//! partition, a stopped backend, a proxy that hangs): statement_timeout is the server's, so only
//! planlint's own deadline ends the wait. A proxy in front of the test server freezes on the
//! second statement. Under CI this test never skips.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{database_url, planlint, with};

/// `--timeout` of the run.
const TIMEOUT: Duration = Duration::from_secs(2);
/// What planlint waits past the statement timeout before it gives the connection up.
const GRACE: Duration = Duration::from_secs(10);
/// In the second statement only: the proxy freezes when planlint sends it.
const MARKER: &[u8] = b"planlint_hang_marker";

/// A TCP proxy on 127.0.0.1 between planlint and the test server. Once planlint sends
/// [`MARKER`] it freezes: that message and everything after it, both ways, is held back, and
/// both sockets stay open. Dropping it closes them all.
struct FreezingProxy {
    port: u16,
    frozen_at: Arc<OnceLock<Instant>>,
    sockets: Arc<Mutex<Vec<TcpStream>>>,
}

impl FreezingProxy {
    fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let frozen_at = Arc::new(OnceLock::new());
        let sockets = Arc::new(Mutex::new(Vec::new()));
        let (frozen, held) = (Arc::clone(&frozen_at), Arc::clone(&sockets));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let client = client.unwrap();
                let server = TcpStream::connect(&upstream).unwrap();
                held.lock()
                    .unwrap()
                    .extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                let (to_server, to_client) =
                    (server.try_clone().unwrap(), client.try_clone().unwrap());
                let frozen_too = Arc::clone(&frozen);
                std::thread::spawn(move || pump(client, to_server, Some(MARKER), &frozen_too));
                let frozen_too = Arc::clone(&frozen);
                std::thread::spawn(move || pump(server, to_client, None, &frozen_too));
            }
        });
        Self {
            port,
            frozen_at,
            sockets,
        }
    }
}

impl Drop for FreezingProxy {
    fn drop(&mut self) {
        // The server's backend, idle in its transaction, sees the end and goes away.
        for socket in self.sockets.lock().unwrap().iter() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}

/// Forwards `from` to `to` until either end closes or the proxy is frozen; with a `marker`,
/// freezes the proxy when the marker goes by, before forwarding the bytes that hold it. The
/// proxy keeps clones of both sockets, so they stay open when this returns.
fn pump(mut from: TcpStream, mut to: TcpStream, marker: Option<&[u8]>, frozen: &OnceLock<Instant>) {
    let mut buffer = [0; 8192];
    // The last bytes read, enough to find a marker split across reads.
    let mut window = Vec::new();
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        if let Some(marker) = marker {
            window.extend_from_slice(&buffer[..read]);
            if window.windows(marker.len()).any(|part| part == marker) {
                frozen.get_or_init(Instant::now);
            }
            window.drain(..window.len().saturating_sub(marker.len() - 1));
        }
        if frozen.get().is_some() || to.write_all(&buffer[..read]).is_err() {
            return;
        }
    }
}

/// The value of `key` in a `key=value` conninfo.
fn conninfo_value<'a>(conninfo: &'a str, key: &str) -> &'a str {
    conninfo
        .split_whitespace()
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {key} in {conninfo}"))
}

#[test]
fn a_server_that_stops_answering_mid_batch_is_one_line_exit_2_within_the_timeout_and_grace() {
    let Some(url) = database_url() else { return };
    let upstream = format!(
        "{}:{}",
        conninfo_value(&url, "host"),
        conninfo_value(&url, "port")
    );
    let proxy = FreezingProxy::start(upstream);
    let through_proxy = with(
        &with(
            &with(&url, "host", "127.0.0.1"),
            "port",
            &proxy.port.to_string(),
        ),
        "sslmode",
        "disable",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batch.sql");
    // planlint sends one statement at a time, so the second goes out only once the first
    // statement's plan came back.
    std::fs::write(
        &file,
        format!(
            "SELECT * FROM customers WHERE id = 5;\n\
             SELECT id, '{}' FROM customers WHERE id = 6;\n\
             SELECT * FROM customers WHERE id = 7;\n",
            std::str::from_utf8(MARKER).unwrap()
        ),
    )
    .unwrap();
    let name = file.display().to_string();

    let output = planlint()
        // Killed (and so failing below) if it hangs.
        .timeout(Duration::from_secs(60))
        .args(["check", "--db", &through_proxy, "--format", "json"])
        .args(["--timeout", "2s", "-f", &name])
        .output()
        .unwrap();
    let finished = Instant::now();

    let stderr = String::from_utf8(output.stderr).unwrap();
    let frozen_at = *proxy
        .frozen_at
        .get()
        .unwrap_or_else(|| panic!("the second statement never reached the proxy: {stderr}"));
    assert_eq!(
        output.status.code(),
        Some(2),
        "killed after hanging, or the wrong exit: {stderr}"
    );
    let waited = finished - frozen_at;
    assert!(
        waited >= GRACE && waited < TIMEOUT + GRACE + Duration::from_secs(8),
        "planlint ended {waited:?} after the server stopped answering, not after the statement \
         timeout and the grace: {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("planlint: error: {name}:2:1: ")),
        "the line names the statement in flight: {stderr}"
    );
    assert!(
        stderr.contains("no answer from the server within 2s + 10s")
            && stderr.contains("1 more statement not checked"),
        "and what happened: {stderr}"
    );

    let report: Value = serde_json::from_slice(&output.stdout).expect("the report is printed");
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{report}");
    assert_eq!(results[0]["source"], format!("{name}:1:1"));
    let errors = report["errors"].as_array().unwrap();
    let listed: Vec<(&str, &str)> = errors
        .iter()
        .map(|error| {
            (
                error["source"].as_str().unwrap(),
                error["kind"].as_str().unwrap(),
            )
        })
        .collect();
    let (second, third) = (format!("{name}:2:1"), format!("{name}:3:1"));
    assert_eq!(
        listed,
        [
            (second.as_str(), "connection"),
            (third.as_str(), "connection")
        ]
    );
    let message = |index: usize| errors[index]["message"].as_str().unwrap();
    assert!(message(0).contains("no answer from the server"), "{report}");
    assert!(message(1).contains("not checked"), "{report}");
    assert_eq!(report["summary"]["failed_inputs"], 2);
}
