//! A deliberately small blocking HTTP/1.1 client for the Engine API.
//!
//! Only what three `GET`s need: one request per connection (`Connection: close`), a status line and
//! headers parsed with `httparse`, and a body that is either `Transfer-Encoding: chunked`,
//! `Content-Length`, or "until the peer closes". Every read on the socket has a timeout so a stuck
//! daemon can never hang the program.

use std::io::{self, BufRead, BufReader, Cursor, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Largest accepted response head (status line + headers).
const MAX_HEAD: usize = 64 * 1024;
/// Largest chunk-size line (`1a2b;ext=val\r\n`) or trailer line.
const MAX_LINE: usize = 4 * 1024;

/// A connected byte stream: a unix socket or plain TCP.
pub(crate) enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Stream {
    pub(crate) fn connect_unix(path: &Path, timeout: Duration) -> io::Result<Stream> {
        let s = UnixStream::connect(path)?;
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        Ok(Stream::Unix(s))
    }

    pub(crate) fn connect_tcp(host: &str, port: u16, timeout: Duration) -> io::Result<Stream> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{host}: no address"));
        for addr in (host, port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(s) => {
                    s.set_read_timeout(Some(timeout))?;
                    s.set_write_timeout(Some(timeout))?;
                    return Ok(Stream::Tcp(s));
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => s.read(buf),
            Stream::Tcp(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Unix(s) => s.write(buf),
            Stream::Tcp(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Unix(s) => s.flush(),
            Stream::Tcp(s) => s.flush(),
        }
    }
}

/// Why a response could not be read. Kept separate from `io::Error` so the caller can tell
/// "this is not HTTP" from "the socket failed".
#[derive(Debug)]
pub(crate) enum HttpError {
    /// The peer answered something that is not an HTTP/1.x response (or nothing at all).
    NotHttp(String),
    Io(io::Error),
}

impl From<io::Error> for HttpError {
    fn from(e: io::Error) -> Self {
        HttpError::Io(e)
    }
}

/// A response whose head has been read; `body` streams the rest.
pub(crate) struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The exact body length, when the daemon announced it.
    pub(crate) fn content_length(&self) -> Option<u64> {
        match &self.body {
            Body::Length(r) => Some(r.total),
            _ => None,
        }
    }

    /// Reads at most `limit` bytes of the body (for error messages and small JSON answers).
    pub(crate) fn read_body_limited(&mut self, limit: u64) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        (&mut self.body).take(limit).read_to_end(&mut out)?;
        Ok(out)
    }
}

/// Sends `GET path` and reads the response head.
pub(crate) fn get(mut stream: Stream, host: &str, path: &str) -> Result<Response, HttpError> {
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: layerscope/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Err(write_err) = stream
        .write_all(req.as_bytes())
        .and_then(|_| stream.flush())
    {
        // The peer may have sent something (garbage) and closed before reading our request:
        // what it sent says more than EPIPE does.
        return match read_response(Box::new(stream)) {
            Err(HttpError::NotHttp(d)) if !d.contains("without answering") => {
                Err(HttpError::NotHttp(d))
            }
            _ => Err(HttpError::Io(write_err)),
        };
    }
    read_response(Box::new(stream))
}

/// Reads a response head from `stream` (skipping `1xx` interim answers).
pub(crate) fn read_response(mut stream: BoxedRead) -> Result<Response, HttpError> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        if !buf.is_empty() {
            // Cheap early rejection of non-HTTP garbage, before the head is complete.
            let n = buf.len().min(5);
            if buf[..n] != b"HTTP/"[..n] {
                return Err(HttpError::NotHttp(format!(
                    "answered {} instead of HTTP",
                    preview(&buf)
                )));
            }
            let mut headers = [httparse::EMPTY_HEADER; 96];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(&buf) {
                Ok(httparse::Status::Complete(head_len)) => {
                    let status = resp.code.unwrap_or(0);
                    if (100..200).contains(&status) {
                        // Interim answer (100 Continue): drop it, parse what follows.
                        buf.drain(..head_len);
                        continue;
                    }
                    let reason = resp.reason.unwrap_or("").to_string();
                    let hdrs: Vec<(String, String)> = resp
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_string(),
                                String::from_utf8_lossy(h.value).trim().to_string(),
                            )
                        })
                        .collect();
                    let rest = buf.split_off(head_len);
                    return finish(status, reason, hdrs, rest, stream);
                }
                Ok(httparse::Status::Partial) => {
                    if buf.len() > MAX_HEAD {
                        return Err(HttpError::NotHttp(format!(
                            "response head larger than {MAX_HEAD} bytes"
                        )));
                    }
                }
                Err(e) => {
                    return Err(HttpError::NotHttp(format!(
                        "malformed HTTP answer ({e}): {}",
                        preview(&buf)
                    )))
                }
            }
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(HttpError::NotHttp(if buf.is_empty() {
                "closed the connection without answering".into()
            } else {
                format!(
                    "closed the connection in the middle of its answer ({})",
                    preview(&buf)
                )
            }));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn finish(
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    leftover: Vec<u8>,
    stream: BoxedRead,
) -> Result<Response, HttpError> {
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let inner = BufReader::with_capacity(256 * 1024, Cursor::new(leftover).chain(stream));
    let chunked = find("transfer-encoding")
        .map(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("chunked"))
        })
        .unwrap_or(false);
    let body = if status == 204 || status == 304 {
        Body::Empty
    } else if chunked {
        Body::Chunked(ChunkedReader::new(inner))
    } else if let Some(cl) = find("content-length") {
        let total: u64 = cl
            .parse()
            .map_err(|_| HttpError::NotHttp(format!("invalid Content-Length {cl:?}")))?;
        Body::Length(LengthReader {
            inner,
            total,
            remaining: total,
        })
    } else {
        Body::UntilClose(inner)
    };
    Ok(Response {
        status,
        reason,
        headers,
        body,
    })
}

/// Type-erased underlying reader (the socket, or a test buffer).
pub(crate) type BoxedRead = Box<dyn Read + Send>;

type Inner = BufReader<std::io::Chain<Cursor<Vec<u8>>, BoxedRead>>;

/// A response body as a `Read`. A body cut short surfaces as `io::ErrorKind::UnexpectedEof`.
pub(crate) enum Body {
    Empty,
    Chunked(ChunkedReader<Inner>),
    Length(LengthReader<Inner>),
    UntilClose(Inner),
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Body::Empty => Ok(0),
            Body::Chunked(r) => r.read(buf),
            Body::Length(r) => r.read(buf),
            Body::UntilClose(r) => r.read(buf),
        }
    }
}

/// `Content-Length` body: exactly `total` bytes, an early EOF is an error.
pub(crate) struct LengthReader<R> {
    inner: R,
    total: u64,
    remaining: u64,
}

impl<R: Read> Read for LengthReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let max = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "connection closed after {} of {} body bytes",
                    self.total - self.remaining,
                    self.total
                ),
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Expecting a `size[;ext]\r\n` line.
    Size,
    /// Inside a chunk's data with this many bytes left.
    Data(u64),
    /// Expecting the `\r\n` that ends a chunk's data.
    DataEnd,
    /// After the last (zero) chunk: reading trailer lines until an empty one.
    Trailers,
    Done,
}

/// Decodes `Transfer-Encoding: chunked` (RFC 9112 §7.1) from a buffered reader.
pub struct ChunkedReader<R> {
    inner: R,
    state: ChunkState,
}

impl<R: BufRead> ChunkedReader<R> {
    pub fn new(inner: R) -> Self {
        ChunkedReader {
            inner,
            state: ChunkState::Size,
        }
    }

    /// Reads one CRLF- (or bare LF-) terminated line without the terminator.
    fn read_line(&mut self, what: &str) -> io::Result<Vec<u8>> {
        let mut line = Vec::new();
        loop {
            let avail = self.inner.fill_buf()?;
            if avail.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("connection closed inside a chunked body (while reading {what})"),
                ));
            }
            if let Some(pos) = avail.iter().position(|&b| b == b'\n') {
                line.extend_from_slice(&avail[..pos]);
                self.inner.consume(pos + 1);
                break;
            }
            let n = avail.len();
            line.extend_from_slice(avail);
            self.inner.consume(n);
            if line.len() > MAX_LINE {
                return Err(invalid(format!("{what} line longer than {MAX_LINE} bytes")));
            }
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(line)
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn parse_chunk_size(line: &[u8]) -> io::Result<u64> {
    let text =
        std::str::from_utf8(line).map_err(|_| invalid("non-ASCII chunk size line".into()))?;
    let hex = text.split(';').next().unwrap_or("").trim();
    if hex.is_empty() || hex.len() > 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(format!("invalid chunk size line {text:?}")));
    }
    u64::from_str_radix(hex, 16).map_err(|_| invalid(format!("invalid chunk size {hex:?}")))
}

impl<R: BufRead> Read for ChunkedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.state {
                ChunkState::Done => return Ok(0),
                ChunkState::Size => {
                    let line = self.read_line("a chunk size")?;
                    let size = parse_chunk_size(&line)?;
                    self.state = if size == 0 {
                        ChunkState::Trailers
                    } else {
                        ChunkState::Data(size)
                    };
                }
                ChunkState::Data(left) => {
                    let max = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = self.inner.read(&mut buf[..max])?;
                    if n == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!(
                                "connection closed inside a chunked body ({left} bytes of the current chunk missing)"
                            ),
                        ));
                    }
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(left)
                    };
                    return Ok(n);
                }
                ChunkState::DataEnd => {
                    let line = self.read_line("the end of a chunk")?;
                    if !line.is_empty() {
                        return Err(invalid("chunk data longer than its announced size".into()));
                    }
                    self.state = ChunkState::Size;
                }
                ChunkState::Trailers => {
                    let line = self.read_line("the trailer")?;
                    if line.is_empty() {
                        self.state = ChunkState::Done;
                    }
                }
            }
        }
    }
}

/// First bytes of an answer, printable, for error messages.
pub(crate) fn preview(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(40)];
    let mut s = String::from("\"");
    for &b in head {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    if bytes.len() > head.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out its data in pieces of at most `step` bytes, to exercise every
    /// boundary inside chunk-size lines and CRLFs.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        step: usize,
    }
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step).min(self.data.len() - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn decode(raw: &[u8], step: usize, cap: usize) -> io::Result<Vec<u8>> {
        let t = Trickle {
            data: raw.to_vec(),
            pos: 0,
            step,
        };
        let mut r = ChunkedReader::new(BufReader::with_capacity(cap, t));
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn chunked_basic_every_split() {
        let raw = b"5\r\nhello\r\n1;name=val\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n";
        for step in 1..raw.len() {
            for cap in [1, 2, 3, 7, 64] {
                assert_eq!(
                    decode(raw, step, cap).unwrap(),
                    b"hello 0123456789",
                    "step {step} cap {cap}"
                );
            }
        }
    }

    #[test]
    fn chunked_uppercase_hex_and_bare_lf() {
        let mut raw = b"1F\n".to_vec();
        raw.extend_from_slice(&[b'x'; 31]);
        raw.extend_from_slice(b"\n0\n\n");
        assert_eq!(decode(&raw, 5, 8).unwrap(), vec![b'x'; 31]);
    }

    #[test]
    fn chunked_large_binary() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut raw = Vec::new();
        for part in data.chunks(32 * 1024 + 3) {
            raw.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            raw.extend_from_slice(part);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"0\r\n\r\n");
        assert_eq!(decode(&raw, 10_000, 8192).unwrap(), data);
    }

    #[test]
    fn chunked_does_not_read_past_the_end() {
        let raw = b"3\r\nabc\r\n0\r\n\r\nGARBAGE AFTER";
        let mut r = ChunkedReader::new(BufReader::new(&raw[..]));
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abc");
        let mut rest = Vec::new();
        r.inner.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"GARBAGE AFTER");
    }

    #[test]
    fn chunked_truncated_is_unexpected_eof() {
        for raw in [
            &b"5\r\nhel"[..],
            b"5\r\nhello",
            b"5\r\nhello\r\n",
            b"5\r\nhello\r\n0\r\n",
            b"5",
            b"",
        ] {
            let err = decode(raw, 3, 16).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{raw:?}: {err}");
        }
    }

    #[test]
    fn chunked_invalid_is_invalid_data() {
        for raw in [
            &b"zz\r\nhello\r\n0\r\n\r\n"[..],
            b"\r\n",
            b"3\r\nabcd\r\n0\r\n\r\n",
            b"-1\r\n",
            b"11111111111111111\r\n",
        ] {
            let err = decode(raw, 64, 64).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{raw:?}: {err}");
        }
    }

    fn parse(raw: &[u8]) -> Result<Response, HttpError> {
        let r: BoxedRead = Box::new(Cursor::new(raw.to_vec()));
        read_response(r)
    }

    #[test]
    fn response_content_length_and_headers() {
        let mut r =
            parse(b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOKextra")
                .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("api-version"), Some("1.41"));
        assert_eq!(r.content_length(), Some(2));
        let mut b = String::new();
        r.body.read_to_string(&mut b).unwrap();
        assert_eq!(b, "OK");
    }

    #[test]
    fn response_content_length_short() {
        let mut r = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").unwrap();
        let mut b = Vec::new();
        let e = r.body.read_to_end(&mut b).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(b, b"abc");
    }

    #[test]
    fn response_interim_100_is_skipped() {
        let r = parse(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.status, 404);
    }

    #[test]
    fn response_garbage() {
        for raw in [
            &b"SSH-2.0-OpenSSH_9.2\r\n"[..],
            b"\x16\x03\x01\x00",
            b"",
            b"HTTP/1.1 2",
        ] {
            match parse(raw) {
                Err(HttpError::NotHttp(_)) => {}
                Err(HttpError::Io(e)) => panic!("{raw:?}: io {e}"),
                Ok(_) => panic!("{raw:?}: parsed"),
            }
        }
    }
}
