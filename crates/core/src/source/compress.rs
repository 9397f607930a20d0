//! Compression is sniffed from magic bytes: names and media types lie (kaniko gzips `.tar`
//! layers, skopeo's media types do not always match). gzip streams are read as multi-member
//! (eStargz), zstd as multi-frame.

use std::io::{self, BufRead, BufReader, Read};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Compression {
        match head {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            [b'B', b'Z', b'h', ..] => Compression::Bzip2,
            [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Compression::Xz,
            _ => Compression::None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
        }
    }
}

/// Wraps `r` in the decoder its first bytes call for.
pub fn decoder<'a, R: Read + Send + 'a>(
    r: R,
) -> io::Result<(Compression, Box<dyn Read + Send + 'a>)> {
    let mut br = BufReader::with_capacity(256 * 1024, r);
    let head = br.fill_buf()?;
    let kind = Compression::sniff(head);
    let rd: Box<dyn Read + Send + 'a> = match kind {
        Compression::None => Box::new(br),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::bufread::MultiGzDecoder::new(br),
        )),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(br)?),
        Compression::Bzip2 | Compression::Xz => {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("{} compression is not supported", kind.name()),
            ))
        }
    };
    Ok((kind, rd))
}

/// Turns decoder errors into messages a user can act on.
pub fn describe_stream_error(kind: Compression, e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => match kind {
            Compression::None => "truncated tar (unexpected end of data)".into(),
            k => format!("truncated {} stream (unexpected end of data)", k.name()),
        },
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::Other
            if kind != Compression::None =>
        {
            format!("corrupt {} stream: {e}", kind.name())
        }
        _ => e.to_string(),
    }
}
