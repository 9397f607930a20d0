//! Requests to the Engine API over the daemon socket, and the one-line errors made from
//! failed ones (HTTP status, API message, a stream cut short).

use super::endpoint::Endpoint;
use super::http::{self, HttpError, Response, Stream};
use crate::error::DaemonError;
use std::io::{self, Read, Seek, SeekFrom};
use std::time::Duration;

pub(super) fn is_api_version(v: &str) -> bool {
    let mut parts = v.split('.');
    let ok =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

pub(super) fn connect(endpoint: &Endpoint, timeout: Duration) -> io::Result<Stream> {
    match endpoint {
        Endpoint::Unix(p) => Stream::connect_unix(p, timeout),
        Endpoint::Tcp { host, port } => Stream::connect_tcp(host, *port, timeout),
    }
}

/// Connects and sends one `GET`.
pub(super) fn request(
    endpoint: &Endpoint,
    path: &str,
    timeout: Duration,
) -> Result<Response, DaemonError> {
    let socket = endpoint.to_string();
    let stream = connect(endpoint, timeout).map_err(|e| DaemonError::Io {
        socket: socket.clone(),
        source: e,
    })?;
    send(&socket, stream, endpoint, path, timeout)
}

pub(super) fn send(
    socket: &str,
    stream: Stream,
    endpoint: &Endpoint,
    path: &str,
    timeout: Duration,
) -> Result<Response, DaemonError> {
    let host = match endpoint {
        Endpoint::Unix(_) => "localhost".to_string(),
        Endpoint::Tcp { .. } => endpoint
            .to_string()
            .trim_start_matches("tcp://")
            .to_string(),
    };
    http::get(stream, &host, path).map_err(|e| match e {
        HttpError::NotHttp(detail) => DaemonError::NotADaemon {
            socket: socket.to_string(),
            detail: format!("{detail} (to GET {path})"),
        },
        HttpError::Io(e) if is_timeout(&e) => DaemonError::Timeout {
            socket: socket.to_string(),
            secs: timeout.as_secs().max(1),
            during: format!("waiting for the answer to GET {path}"),
        },
        HttpError::Io(e)
            if matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            ) =>
        {
            DaemonError::NotADaemon {
                socket: socket.to_string(),
                detail: format!("closed the connection without answering GET {path}"),
            }
        }
        HttpError::Io(e) => DaemonError::Io {
            socket: socket.to_string(),
            source: e,
        },
    })
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Maps a body read error.
pub(super) fn stream_error(
    socket: &str,
    e: io::Error,
    got: u64,
    expected: Option<u64>,
    timeout: Duration,
    what: &str,
) -> DaemonError {
    match e.kind() {
        _ if is_timeout(&e) => DaemonError::Timeout {
            socket: socket.to_string(),
            secs: timeout.as_secs().max(1),
            during: format!("after {got} bytes {what}"),
        },
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => DaemonError::Truncated {
            socket: socket.to_string(),
            received: got,
            expected,
            detail: one_line(&e.to_string()),
        },
        io::ErrorKind::InvalidData => DaemonError::Protocol {
            socket: socket.to_string(),
            detail: format!("{} (after {got} bytes {what})", one_line(&e.to_string())),
        },
        _ => DaemonError::Io {
            socket: socket.to_string(),
            source: e,
        },
    }
}

/// An error answer: API-version refusals get their own variant.
pub(super) fn api_error(socket: &str, path: &str, resp: &mut Response) -> DaemonError {
    let body = resp.read_body_limited(64 * 1024).unwrap_or_default();
    let message = error_message(&body).unwrap_or_else(|| resp.reason.clone());
    let lower = message.to_ascii_lowercase();
    if resp.status == 400 && (lower.contains("client version") || lower.contains("api version")) {
        return DaemonError::ApiVersion {
            socket: socket.to_string(),
            message,
        };
    }
    DaemonError::Api {
        socket: socket.to_string(),
        status: resp.status,
        request: format!("GET {path}"),
        message,
    }
}

/// `{"message": …}` (Docker, Podman) or the text body, on one line.
fn error_message(body: &[u8]) -> Option<String> {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(m) = v.get("message").and_then(|m| m.as_str()) {
            return Some(one_line(m));
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = one_line(&text);
    (!text.is_empty()).then_some(text)
}

/// Collapses whitespace runs (newlines included) and caps the length.
pub(super) fn one_line(s: &str) -> String {
    let mut out = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.chars().count() > 300 {
        out = out.chars().take(300).collect::<String>() + "…";
    }
    out
}

/// Docker writes `{"errorDetail":{"message":…},"error":…}` after the partial tar when the export
/// fails once the answer has started. Looks for it at the end of the spool.
pub(super) fn trailing_stream_error(
    file: &mut std::fs::File,
    len: u64,
) -> io::Result<Option<String>> {
    let tail_len = len.min(64 * 1024);
    file.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    file.take(tail_len).read_to_end(&mut tail)?;
    // A well-formed tar ends with zero blocks; only then is there nothing to look for.
    let trimmed = tail
        .iter()
        .rposition(|&b| !b.is_ascii_whitespace())
        .map(|i| &tail[..=i])
        .unwrap_or(&[]);
    if trimmed.last() != Some(&b'}') {
        return Ok(None);
    }
    let Some(start) = find_last(trimmed, b"{\"errorDetail\"") else {
        return Ok(None);
    };
    let v: serde_json::Value = match serde_json::from_slice(&trimmed[start..]) {
        Ok(v) => v,
        Err(_) => return Ok(None),
    };
    Ok(v.pointer("/errorDetail/message")
        .or_else(|| v.get("error"))
        .and_then(|m| m.as_str())
        .map(one_line))
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}
