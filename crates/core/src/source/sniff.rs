//! What a file that is not an image archive holds, so that the error names it ("it starts like
//! text", "gzip-compressed JSON") instead of passing on a tar parser's complaint about a checksum
//! field, which quotes the file's own bytes.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use crate::error::{Error, Result};
use crate::source::compress::Compression;

const BLOCK: usize = 512;

/// What the user named when the container was expected.
const EXPECTED: &str = "not a tar archive or OCI layout";

/// Fails unless `f` starts like a tar archive; `outer` is the compression it was inflated from.
/// Leaves `f` at offset 0.
pub(super) fn check_tar(f: &mut File, display: &str, outer: Compression) -> Result<()> {
    let mut head = Vec::with_capacity(BLOCK);
    (&mut *f)
        .take(BLOCK as u64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(display, e))?;
    f.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(display, e))?;
    if head.len() < BLOCK && cut_header(&head) {
        return Err(Error::invalid(
            display,
            format!(
                "truncated tar (it ends after {} bytes, inside its first header)",
                head.len()
            ),
        ));
    }
    match describe_non_tar(&head, outer) {
        None => Ok(()),
        Some(what) => Err(Error::invalid(display, format!("{EXPECTED} ({what})"))),
    }
}

/// The start of a tar header cut short: a mode field of octal digits where tar puts it.
fn cut_header(head: &[u8]) -> bool {
    head.len() >= 108
        && head[100..107]
            .iter()
            .all(|b| b.is_ascii_digit() && *b < b'8' || *b == b' ')
        && matches!(head[107], 0 | b' ')
}

/// `None` when `head` (the first block, or the whole file if shorter) can start a tar archive;
/// otherwise what it looks like.
pub(super) fn describe_non_tar(head: &[u8], outer: Compression) -> Option<String> {
    if head.len() >= BLOCK && is_tar_header(&head[..BLOCK]) {
        return None;
    }
    let (noun, article) = kind(head);
    Some(match outer {
        Compression::None if head.is_empty() => "the file is empty".to_string(),
        Compression::None => format!("it starts like {article}{noun}"),
        c if head.is_empty() => format!("an empty {} stream", c.name()),
        c => format!("{}-compressed {noun}", c.name()),
    })
}

/// A block of zeros (the end-of-archive marker: the tar reader then says the archive is
/// empty), the POSIX `ustar` magic, or a v7 header whose checksum adds up.
fn is_tar_header(h: &[u8]) -> bool {
    if h.iter().all(|&b| b == 0) || &h[257..262] == b"ustar" {
        return true;
    }
    let field = &h[148..156];
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|&b| b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(b))
        .collect();
    if digits.is_empty() {
        return false;
    }
    let Ok(want) = u32::from_str_radix(std::str::from_utf8(&digits).unwrap_or("x"), 8) else {
        return false;
    };
    let spaces = 8 * u32::from(b' ');
    let outside = |i: &usize| !(148..156).contains(i);
    let unsigned: u32 = h
        .iter()
        .enumerate()
        .filter(|(i, _)| outside(i))
        .map(|(_, &b)| u32::from(b))
        .sum::<u32>()
        + spaces;
    // Some old tars summed signed bytes.
    let signed: i64 = h
        .iter()
        .enumerate()
        .filter(|(i, _)| outside(i))
        .map(|(_, &b)| i64::from(b as i8))
        .sum::<i64>()
        + i64::from(spaces);
    want == unsigned || i64::from(want) == signed
}

/// Magic numbers of files people open by mistake.
const MAGIC: &[(&[u8], &str)] = &[
    (b"\x7fELF", "ELF executable"),
    (b"PK\x03\x04", "zip archive"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"%PDF", "PDF document"),
    (b"SQLite format 3\0", "SQLite database"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\x1f\x8b", "gzip stream"),
    (b"\x28\xb5\x2f\xfd", "zstd stream"),
    (b"!<arch>\n", "ar archive (a .deb?)"),
    (b"\xed\xab\xee\xdb", "RPM package"),
];

/// A noun for what `head` holds, and the article it takes.
fn kind(head: &[u8]) -> (&'static str, &'static str) {
    if let Some((_, noun)) = MAGIC.iter().find(|(m, _)| head.starts_with(m)) {
        let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
            "an "
        } else {
            "a "
        };
        return (noun, article);
    }
    if head.is_empty() {
        return ("empty data", "");
    }
    if !is_text(head) {
        return ("binary data", "");
    }
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => ("JSON", ""),
        Some(b'<') => ("XML or HTML", ""),
        _ => ("text", ""),
    }
}

/// UTF-8 (a character cut at the end of the sample is allowed) with no control bytes other
/// than whitespace.
fn is_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(_) => head.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => return false,
    };
    head[..valid]
        .iter()
        .all(|&b| b >= 0x20 || matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        && valid > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(b: &[u8]) -> Option<String> {
        describe_non_tar(b, Compression::None)
    }

    #[test]
    fn names_what_the_file_holds() {
        assert_eq!(
            plain(b"1 2 3 4 5\n").as_deref(),
            Some("it starts like text")
        );
        assert_eq!(
            plain(b"  {\"a\": 1}").as_deref(),
            Some("it starts like JSON")
        );
        assert_eq!(
            plain(b"\x7fELF\x02\x01\x01").as_deref(),
            Some("it starts like an ELF executable")
        );
        assert_eq!(
            plain(&[0x9c, 0x00, 0xfe, 0x13]).as_deref(),
            Some("it starts like binary data")
        );
        assert_eq!(plain(b"").as_deref(), Some("the file is empty"));
        assert_eq!(
            describe_non_tar(b"[1,2]", Compression::Gzip).as_deref(),
            Some("gzip-compressed JSON")
        );
        assert_eq!(
            describe_non_tar(b"", Compression::Zstd).as_deref(),
            Some("an empty zstd stream")
        );
    }

    #[test]
    fn accepts_tar_headers() {
        let mut h = tar::Header::new_gnu();
        h.set_path("manifest.json").unwrap();
        h.set_size(3);
        h.set_mode(0o644);
        h.set_cksum();
        assert_eq!(plain(h.as_bytes()), None);
        // v7: no magic, only the checksum.
        let mut v7 = tar::Header::new_old();
        v7.set_path("a").unwrap();
        v7.set_size(0);
        v7.set_cksum();
        assert_eq!(plain(v7.as_bytes()), None);
        assert_eq!(plain(&[0u8; 1024]), None);
        assert!(cut_header(&h.as_bytes()[..300]));
        assert!(!cut_header(&[b'a'; 300]));
        // A text file longer than a block still is text.
        assert_eq!(
            plain("hello world\n".repeat(100).as_bytes()).as_deref(),
            Some("it starts like text")
        );
    }
}
