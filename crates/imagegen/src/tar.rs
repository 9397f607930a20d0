//! A deterministic tar writer that mirrors Go's `archive/tar` (the writer behind Docker's
//! tar-split, containers/storage, buildah, containerd and Docker's own `save`).
//!
//! Observed in the real fixtures (`/work/shared/fixtures/built/`):
//! - POSIX ustar headers (`ustar\0` + `00`), octal fields zero-padded to width-1 plus NUL,
//!   checksum as 6 octal digits + NUL + space, `devmajor`/`devminor` written as zeros;
//! - names longer than 100 bytes are split into `prefix`/`name` when possible (ASCII only);
//! - otherwise (and for non-ASCII names, long link targets, uid/gid > 0o7777777) a local PAX
//!   `x` record precedes the entry, named `dir/PaxHeaders.0/base`; the record values are raw
//!   bytes, so non-UTF-8 names go into `path=` verbatim, like Go does;
//! - the main header then carries a best-effort ASCII-only, truncated name;
//! - the archive ends with exactly two zero blocks (no padding to a 10 KiB record).

use super::{Node, NodeKind, RawEntry, DEFAULT_MTIME};

const BLOCK: usize = 512;

/// Options for [`layer_tar_with`].
#[derive(Clone, Debug)]
pub struct TarOptions {
    /// mtime used for nodes that do not set one.
    pub default_mtime: u64,
    /// Write the two zero blocks that end an archive (default true).
    pub trailer: bool,
    /// Pad the archive to a multiple of 10240 bytes like GNU tar does (default false, Go does not).
    pub pad_to_record: bool,
}

impl Default for TarOptions {
    fn default() -> Self {
        TarOptions {
            default_mtime: DEFAULT_MTIME,
            trailer: true,
            pad_to_record: false,
        }
    }
}

/// Fields of one header as Go's `tar.Header` would hold them.
pub(crate) struct Hdr<'a> {
    pub name: &'a [u8],
    pub linkname: &'a [u8],
    pub typeflag: u8,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub size: u64,
    pub mtime: u64,
    pub uname: &'a [u8],
    pub gname: &'a [u8],
    pub devmajor: u32,
    pub devminor: u32,
    pub xattrs: &'a [(String, Vec<u8>)],
}

fn is_ascii(b: &[u8]) -> bool {
    b.iter().all(|c| *c < 0x80)
}

fn to_ascii(b: &[u8]) -> Vec<u8> {
    b.iter().copied().filter(|c| *c < 0x80).collect()
}

/// Go's `formatString`: copy, NUL-terminate if room; a too-long value is truncated, and a
/// truncated value whose last kept byte is `/` has that trailing slash run replaced by NUL.
fn put_str(field: &mut [u8], s: &[u8]) {
    let n = s.len().min(field.len());
    field[..n].copy_from_slice(&s[..n]);
    if s.len() < field.len() {
        field[s.len()] = 0;
    }
    if s.len() > field.len() && field[field.len() - 1] == b'/' {
        let kept = &s[..field.len() - 1];
        let trimmed = kept.len() - kept.iter().rev().take_while(|c| **c == b'/').count();
        field[trimmed] = 0;
    }
}

/// Go's `formatOctal`: digits zero-padded to width-1, then NUL; a value that does not fit
/// is written as 0 (the real value then lives in a PAX record).
fn put_octal(field: &mut [u8], v: u64) {
    let width = field.len() - 1;
    let max = if width >= 21 {
        u64::MAX
    } else {
        (1u64 << (3 * width)) - 1
    };
    let v = if v > max { 0 } else { v };
    let s = format!("{:0width$o}", v, width = width);
    put_str(field, s.as_bytes());
}

fn fits_octal(width: usize, v: u64) -> bool {
    width >= 21 || v < (1u64 << (3 * width))
}

/// Go's `splitUSTARPath`.
fn split_ustar(name: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut length = name.len();
    if length <= 100 || !is_ascii(name) {
        return None;
    } else if length > 156 {
        length = 156;
    } else if name[length - 1] == b'/' {
        length -= 1;
    }
    let i = name[..length].iter().rposition(|c| *c == b'/')?;
    let nlen = name.len() - i - 1;
    let plen = i;
    if i == 0 || nlen > 100 || nlen == 0 || plen > 155 {
        return None;
    }
    Some((&name[..i], &name[i + 1..]))
}

fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    // "%d %s=%s\n", where the length counts its own digits.
    let body = 1 + key.len() + 1 + value.len() + 1;
    let mut len = body + body.to_string().len();
    if len.to_string().len() + body != len {
        len = body + len.to_string().len();
    }
    let mut r = format!("{} {}=", len, key).into_bytes();
    r.extend_from_slice(value);
    r.push(b'\n');
    debug_assert_eq!(r.len(), len);
    r
}

/// `path.Join(dir, "PaxHeaders.0", file)` as Go's writer names local PAX headers.
fn pax_header_name(name: &[u8]) -> Vec<u8> {
    let (dir, file) = match name.iter().rposition(|c| *c == b'/') {
        Some(i) => (&name[..=i], &name[i + 1..]),
        None => (&name[..0], name),
    };
    let mut parts: Vec<&[u8]> = Vec::new();
    for p in dir.split(|c| *c == b'/') {
        if !p.is_empty() && p != b"." {
            parts.push(p);
        }
    }
    parts.push(b"PaxHeaders.0");
    if !file.is_empty() {
        parts.push(file);
    }
    let mut out = Vec::new();
    if dir.first() == Some(&b'/') {
        out.push(b'/');
    }
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(p);
    }
    out
}

fn finish_header(h: &mut [u8; BLOCK]) {
    // Checksum computed with the checksum field set to spaces.
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|b| *b as u64).sum();
    let s = format!("{:06o}", sum);
    h[148..154].copy_from_slice(s.as_bytes());
    h[154] = 0;
    h[155] = b' ';
}

fn pad(out: &mut Vec<u8>, len: usize) {
    let rem = len % BLOCK;
    if rem != 0 {
        out.resize(out.len() + BLOCK - rem, 0);
    }
}

/// Writes a PAX `x` (or `g`) extended header block plus its data.
fn write_pax_block(out: &mut Vec<u8>, real_name: &[u8], records: &[u8], flag: u8) {
    let mut h = [0u8; BLOCK];
    let mut name = to_ascii(&pax_header_name(real_name));
    name.truncate(100);
    while name.last() == Some(&b'/') {
        name.pop();
    }
    put_str(&mut h[0..100], &name);
    put_octal(&mut h[100..108], 0);
    put_octal(&mut h[108..116], 0);
    put_octal(&mut h[116..124], 0);
    put_octal(&mut h[124..136], records.len() as u64);
    put_octal(&mut h[136..148], 0);
    h[156] = flag;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    finish_header(&mut h);
    out.extend_from_slice(&h);
    out.extend_from_slice(records);
    pad(out, records.len());
}

/// Writes one entry (header, optional PAX header, data) the way Go's `tar.Writer` does.
pub(crate) fn write_entry(out: &mut Vec<u8>, hd: &Hdr, data: &[u8]) {
    // Which values need a PAX record (Go: Header.allowedFormats).
    let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
    let name_needs = !is_ascii(hd.name) || hd.name.len() > 100;
    if name_needs {
        pax.push(("path".into(), hd.name.to_vec()));
    }
    if !is_ascii(hd.linkname) || hd.linkname.len() > 100 {
        pax.push(("linkpath".into(), hd.linkname.to_vec()));
    }
    if !fits_octal(7, hd.uid) {
        pax.push(("uid".into(), hd.uid.to_string().into_bytes()));
    }
    if !fits_octal(7, hd.gid) {
        pax.push(("gid".into(), hd.gid.to_string().into_bytes()));
    }
    if !fits_octal(11, hd.size) {
        pax.push(("size".into(), hd.size.to_string().into_bytes()));
    }
    if !fits_octal(11, hd.mtime) {
        pax.push(("mtime".into(), hd.mtime.to_string().into_bytes()));
    }
    if !is_ascii(hd.uname) || hd.uname.len() > 32 {
        pax.push(("uname".into(), hd.uname.to_vec()));
    }
    if !is_ascii(hd.gname) || hd.gname.len() > 32 {
        pax.push(("gname".into(), hd.gname.to_vec()));
    }
    for (k, v) in hd.xattrs {
        pax.push((format!("SCHILY.xattr.{k}"), v.clone()));
    }
    // USTAR is possible when the only problem is a long ASCII path that splits.
    let ustar_split = if pax.len() == 1 && name_needs {
        split_ustar(hd.name)
    } else {
        None
    };
    let use_pax = !pax.is_empty() && ustar_split.is_none();

    if use_pax {
        pax.sort_by(|a, b| a.0.cmp(&b.0));
        let mut records = Vec::new();
        for (k, v) in &pax {
            records.extend_from_slice(&pax_record(k, v));
        }
        write_pax_block(out, hd.name, &records, b'x');
    }

    let mut h = [0u8; BLOCK];
    match ustar_split {
        Some((prefix, suffix)) => {
            put_str(&mut h[0..100], suffix);
            put_str(&mut h[345..500], prefix);
        }
        None => put_str(&mut h[0..100], &to_ascii(hd.name)),
    }
    put_octal(&mut h[100..108], hd.mode as u64);
    put_octal(&mut h[108..116], hd.uid);
    put_octal(&mut h[116..124], hd.gid);
    put_octal(&mut h[124..136], hd.size);
    put_octal(&mut h[136..148], hd.mtime);
    h[156] = hd.typeflag;
    put_str(&mut h[157..257], &to_ascii(hd.linkname));
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    put_str(&mut h[265..297], &to_ascii(hd.uname));
    put_str(&mut h[297..329], &to_ascii(hd.gname));
    put_octal(&mut h[329..337], hd.devmajor as u64);
    put_octal(&mut h[337..345], hd.devminor as u64);
    finish_header(&mut h);
    out.extend_from_slice(&h);
    out.extend_from_slice(data);
    pad(out, data.len());
}

/// Writes a [`RawEntry`]: every field verbatim, no PAX or prefix logic applied unless asked.
fn write_raw(out: &mut Vec<u8>, path: &[u8], r: &RawEntry, mtime: u64) {
    for (long, flag) in [(&r.gnu_longname, b'L'), (&r.gnu_longlink, b'K')] {
        let Some(long) = long else { continue };
        let mut h = [0u8; BLOCK];
        put_str(&mut h[0..100], b"././@LongLink");
        put_octal(&mut h[100..108], 0);
        put_octal(&mut h[108..116], 0);
        put_octal(&mut h[116..124], 0);
        let mut data = long.clone();
        data.push(0);
        put_octal(&mut h[124..136], data.len() as u64);
        put_octal(&mut h[136..148], 0);
        h[156] = flag;
        h[257..265].copy_from_slice(b"ustar  \0");
        finish_header(&mut h);
        out.extend_from_slice(&h);
        out.extend_from_slice(&data);
        pad(out, data.len());
    }
    if !r.pax.is_empty() {
        let mut records = Vec::new();
        for (k, v) in &r.pax {
            records.extend_from_slice(&pax_record(k, v));
        }
        write_pax_block(out, path, &records, if r.pax_global { b'g' } else { b'x' });
    }
    let mut h = [0u8; BLOCK];
    let n = path.len().min(100);
    h[..n].copy_from_slice(&path[..n]);
    let p = r.prefix.len().min(155);
    h[345..345 + p].copy_from_slice(&r.prefix[..p]);
    put_octal(&mut h[100..108], r.mode as u64);
    put_octal(&mut h[108..116], r.uid);
    put_octal(&mut h[116..124], r.gid);
    let size = r.declared_size.unwrap_or(r.data.len() as u64);
    if fits_octal(11, size) {
        put_octal(&mut h[124..136], size);
    } else {
        // GNU base-256: the high bit of the first byte set, the value big-endian after it (a
        // declared size no octal field holds, for bombs).
        h[124] = 0x80;
        h[128..136].copy_from_slice(&size.to_be_bytes());
    }
    put_octal(&mut h[136..148], mtime);
    h[156] = r.typeflag;
    let l = r.linkname.len().min(100);
    h[157..157 + l].copy_from_slice(&r.linkname[..l]);
    if r.gnu_magic {
        h[257..265].copy_from_slice(b"ustar  \0");
    } else {
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
    }
    put_octal(&mut h[329..337], r.devmajor as u64);
    put_octal(&mut h[337..345], r.devminor as u64);
    finish_header(&mut h);
    if let Some(c) = r.checksum_override {
        h[148..156].copy_from_slice(&c);
    }
    out.extend_from_slice(&h);
    out.extend_from_slice(&r.data);
    if !r.no_data_padding {
        pad(out, r.data.len());
    }
}

const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;
const S_IFLNK: u32 = 0o120000;
const S_IFIFO: u32 = 0o010000;
const S_IFCHR: u32 = 0o020000;
const S_IFBLK: u32 = 0o060000;

/// Appends one node to a tar stream.
pub(crate) fn write_node(out: &mut Vec<u8>, node: &Node, default_mtime: u64) {
    let mtime = node.mtime.unwrap_or(default_mtime);
    let path = node.path.as_slice();
    // Full mode as Go's FileInfoHeader writes it (file-type bits included) unless exact.
    let m = |default_perm: u32, ty: u32| -> u32 {
        let perm = node.mode.unwrap_or(default_perm);
        if node.exact_mode {
            perm
        } else {
            (perm & 0o7777) | ty
        }
    };
    let hdr = |name: &[u8], link: &[u8], tf: u8, mode: u32, size: u64, maj: u32, min: u32| {
        let mut v = Vec::new();
        write_entry(
            &mut v,
            &Hdr {
                name,
                linkname: link,
                typeflag: tf,
                mode,
                uid: node.uid,
                gid: node.gid,
                size,
                mtime,
                uname: node.uname.as_bytes(),
                gname: node.gname.as_bytes(),
                devmajor: maj,
                devminor: min,
                xattrs: &node.xattrs,
            },
            &[],
        );
        v
    };
    match &node.kind {
        NodeKind::File { data } => {
            let mut v = hdr(path, b"", b'0', m(0o644, S_IFREG), data.len() as u64, 0, 0);
            // hdr wrote an empty body; append data and pad.
            v.extend_from_slice(data);
            pad(&mut v, data.len());
            out.extend_from_slice(&v);
        }
        NodeKind::Dir => {
            let mut name = path.to_vec();
            if name.last() != Some(&b'/') {
                name.push(b'/');
            }
            out.extend_from_slice(&hdr(&name, b"", b'5', m(0o755, S_IFDIR), 0, 0, 0));
        }
        NodeKind::Symlink { target } => {
            out.extend_from_slice(&hdr(path, target, b'2', m(0o777, S_IFLNK), 0, 0, 0));
        }
        NodeKind::Hardlink { target } => {
            out.extend_from_slice(&hdr(path, target, b'1', m(0o644, S_IFREG), 0, 0, 0));
        }
        NodeKind::Fifo => {
            out.extend_from_slice(&hdr(path, b"", b'6', m(0o644, S_IFIFO), 0, 0, 0));
        }
        NodeKind::CharDev { major, minor } => {
            out.extend_from_slice(&hdr(path, b"", b'3', m(0o644, S_IFCHR), 0, *major, *minor));
        }
        NodeKind::BlockDev { major, minor } => {
            out.extend_from_slice(&hdr(path, b"", b'4', m(0o644, S_IFBLK), 0, *major, *minor));
        }
        NodeKind::Whiteout => {
            let name = whiteout_name(path);
            // Whiteouts are plain empty regular files; Docker writes mode 0, buildah 0000.
            let mode = node.mode.unwrap_or(0);
            out.extend_from_slice(&hdr(&name, b"", b'0', mode, 0, 0, 0));
        }
        NodeKind::Opaque => {
            let mut name = path.to_vec();
            while name.last() == Some(&b'/') {
                name.pop();
            }
            if !name.is_empty() {
                name.push(b'/');
            }
            name.extend_from_slice(b".wh..wh..opq");
            let mode = node.mode.unwrap_or(0o755);
            out.extend_from_slice(&hdr(&name, b"", b'0', mode, 0, 0, 0));
        }
        NodeKind::Raw(r) => write_raw(out, path, r, mtime),
        NodeKind::Bytes(b) => out.extend_from_slice(b),
    }
}

/// `root/.ssh` → `root/.wh..ssh`.
pub fn whiteout_name(path: &[u8]) -> Vec<u8> {
    let mut p = path.to_vec();
    while p.last() == Some(&b'/') {
        p.pop();
    }
    match p.iter().rposition(|c| *c == b'/') {
        Some(i) => {
            let mut n = p[..=i].to_vec();
            n.extend_from_slice(b".wh.");
            n.extend_from_slice(&p[i + 1..]);
            n
        }
        None => {
            let mut n = b".wh.".to_vec();
            n.extend_from_slice(&p);
            n
        }
    }
}

/// One entry's blocks (headers, data, padding), without the end-of-archive blocks: for streams
/// built by hand, such as a hostile test's truncated or oversized archive.
pub fn tar_entry(node: &Node) -> Vec<u8> {
    let mut out = Vec::new();
    write_node(&mut out, node, crate::DEFAULT_MTIME);
    out
}

/// An outer archive of named members (regular files, in the given order, names as given).
pub fn archive(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let nodes: Vec<Node> = members
        .iter()
        .map(|(n, d)| {
            Node::raw(
                n.as_bytes(),
                RawEntry {
                    typeflag: b'0',
                    mode: 0o644,
                    data: d.clone(),
                    gnu_longname: (n.len() > 100).then(|| n.as_bytes().to_vec()),
                    gnu_magic: true,
                    ..RawEntry::default()
                },
            )
        })
        .collect();
    layer_tar(&nodes)
}

/// A layer tar of `nodes`, written in the given order, with [`TarOptions::default`].
pub fn layer_tar(nodes: &[Node]) -> Vec<u8> {
    layer_tar_with(nodes, &TarOptions::default())
}

/// A layer tar of `nodes` with explicit options.
pub fn layer_tar_with(nodes: &[Node], opts: &TarOptions) -> Vec<u8> {
    let mut out = Vec::new();
    for n in nodes {
        write_node(&mut out, n, opts.default_mtime);
    }
    if opts.trailer {
        out.resize(out.len() + 2 * BLOCK, 0);
    }
    if opts.pad_to_record {
        let rem = out.len() % 10240;
        if rem != 0 {
            out.resize(out.len() + 10240 - rem, 0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_record_lengths() {
        assert_eq!(pax_record("uid", b"3000000"), b"15 uid=3000000\n");
        // Length crossing a power of ten: body 98 => "100 ..."
        let v = vec![b'a'; 92];
        let r = pax_record("path", &v);
        assert_eq!(
            r.len(),
            std::str::from_utf8(&r[..3])
                .unwrap()
                .parse::<usize>()
                .unwrap()
        );
    }

    #[test]
    fn pax_names_like_go() {
        assert_eq!(pax_header_name(b"long/bigids"), b"long/PaxHeaders.0/bigids");
        assert_eq!(pax_header_name(b"x"), b"PaxHeaders.0/x");
        assert_eq!(pax_header_name(b"a/b/"), b"a/b/PaxHeaders.0");
    }

    #[test]
    fn whiteouts() {
        assert_eq!(whiteout_name(b"root/.ssh"), b"root/.wh..ssh");
        assert_eq!(whiteout_name(b"foo/"), b".wh.foo");
    }
}
