//! Scripted fake daemons on a unix socket or loopback TCP, for error cases a real daemon does
//! not produce on demand (garbage, cut-off streams, stalls, refusals).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the handler is given: the request path (empty when the request was not read) and the
/// connection to write the answer to. Returning closes the connection.
pub type Handler = dyn Fn(&str, &mut dyn Write) + Send + Sync + 'static;

pub struct FakeDaemon {
    _dir: tempfile::TempDir,
    pub socket: PathBuf,
    /// `unix://…` or `tcp://127.0.0.1:PORT`.
    pub host: String,
    /// Request paths in arrival order.
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl FakeDaemon {
    /// A unix socket server; each connection's request head is read first when `read_request`.
    pub fn unix(
        read_request: bool,
        handler: impl Fn(&str, &mut dyn Write) + Send + Sync + 'static,
    ) -> FakeDaemon {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("fake.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let reqs = requests.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let (h, r) = (handler.clone(), reqs.clone());
                std::thread::spawn(move || serve(conn, read_request, &*h, &r));
            }
        });
        FakeDaemon {
            host: format!("unix://{}", socket.display()),
            socket,
            _dir: dir,
            requests,
        }
    }

    /// A loopback TCP server (127.0.0.1, ephemeral port).
    pub fn tcp(handler: impl Fn(&str, &mut dyn Write) + Send + Sync + 'static) -> FakeDaemon {
        let dir = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let reqs = requests.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let (h, r) = (handler.clone(), reqs.clone());
                std::thread::spawn(move || serve(conn, true, &*h, &r));
            }
        });
        FakeDaemon {
            host: format!("tcp://127.0.0.1:{port}"),
            socket: PathBuf::new(),
            _dir: dir,
            requests,
        }
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve<S: Read + Write>(
    mut conn: S,
    read_request: bool,
    handler: &Handler,
    requests: &Mutex<Vec<String>>,
) {
    let mut path = String::new();
    if read_request {
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
            match conn.read(&mut b) {
                Ok(1) => head.push(b[0]),
                _ => return,
            }
        }
        let text = String::from_utf8_lossy(&head);
        let line = text.lines().next().unwrap_or("");
        path = line.split(' ').nth(1).unwrap_or("").to_string();
        requests.lock().unwrap().push(path.clone());
    }
    handler(&path, &mut conn);
    let _ = conn.flush();
}

/// Writes a complete answer with a `Content-Length`.
pub fn respond(w: &mut dyn Write, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let _ = w.write_all(out.as_bytes());
    let _ = w.write_all(body);
}

/// `/_ping` as Docker 20.10 answers it (plus `extra` headers, e.g. Podman's).
pub fn ping_ok(w: &mut dyn Write, api_version: &str, extra: &[(&str, &str)]) {
    let mut h = vec![
        ("Api-Version", api_version),
        ("Content-Type", "text/plain; charset=utf-8"),
    ];
    h.extend_from_slice(extra);
    respond(w, "200 OK", &h, b"OK");
}

/// A JSON answer.
pub fn json(w: &mut dyn Write, status: &str, body: &str) {
    respond(
        w,
        status,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
}

/// A chunked answer made of `parts`; `finish` writes the terminating zero chunk.
pub fn chunked(w: &mut dyn Write, content_type: &str, parts: &[&[u8]], finish: bool) {
    let _ = w.write_all(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        .as_bytes(),
    );
    for p in parts {
        let _ = w.write_all(format!("{:x}\r\n", p.len()).as_bytes());
        let _ = w.write_all(p);
        let _ = w.write_all(b"\r\n");
    }
    if finish {
        let _ = w.write_all(b"0\r\n\r\n");
    }
}

/// Sleeps (for stall tests) without holding anything.
pub fn stall(d: Duration) {
    std::thread::sleep(d);
}
