//! Text helpers shared by the panes. Everything that comes from an image (names, build commands,
//! labels, file content) passes through `clean`/`clean_bytes` before it reaches the terminal, so
//! control characters and escape sequences are shown as `\xNN` and never interpreted.

use crate::paths::escape;

/// A string from the image, safe to print: control characters become `\xNN`.
pub fn clean(s: &str) -> String {
    escape(s.as_bytes())
}

/// Bytes from the image, safe to print (invalid UTF-8 and controls become `\xNN`).
pub fn clean_bytes(b: &[u8]) -> String {
    escape(b)
}

/// One line of file content: tabs expanded to 4-column stops, other controls escaped, a trailing
/// `\r` dropped (CRLF files).
pub fn clean_line(b: &[u8]) -> String {
    let b = b.strip_suffix(b"\r").unwrap_or(b);
    line_escape(b, &mut 0)
}

/// A run of one line of file content that starts at column `col` (a [`crate::secrets::Escape`]
/// for `redact`): tabs expanded to 4-column stops, other controls escaped.
pub fn line_escape(b: &[u8], col: &mut usize) -> String {
    let mut out = String::with_capacity(b.len() + 8);
    for (i, part) in b.split(|&c| c == b'\t').enumerate() {
        if i > 0 {
            let pad = 4 - *col % 4;
            out.extend(std::iter::repeat_n(' ', pad));
            *col += pad;
        }
        let e = escape(part);
        *col += e.chars().count();
        out.push_str(&e);
    }
    out
}

/// A run of text shown on one line (build steps, names, notes): controls escaped.
pub fn text_escape(b: &[u8], col: &mut usize) -> String {
    let e = escape(b);
    *col += e.chars().count();
    e
}

/// 1234567 -> "1.2 MB" (decimal units, as docker and dive print them).
pub fn human(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if v >= 100.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A build step as a Dockerfile line: drops the shell wrapper docker and buildkit put around it.
/// `/bin/sh -c #(nop)  ENV A=b` -> `ENV A=b`; `/bin/sh -c apt-get x` -> `RUN apt-get x`;
/// `RUN |2 A=1 B=2 /bin/sh -c make` -> `RUN make`; a trailing `# buildkit` is dropped.
pub fn short_created_by(s: &str) -> String {
    let mut t = s.trim();
    if let Some(rest) = t.strip_suffix("# buildkit") {
        t = rest.trim_end();
    }
    let shells = [
        "/bin/sh -c ",
        "/bin/bash -c ",
        "/bin/sh -o pipefail -c ",
        "/bin/bash -o pipefail -c ",
    ];
    let out = if let Some(rest) = t.strip_prefix("RUN ") {
        let rest = strip_build_args(rest);
        let rest = shells
            .iter()
            .find_map(|p| rest.strip_prefix(p))
            .unwrap_or(rest);
        format!("RUN {}", rest.trim())
    } else if let Some(rest) = shells.iter().find_map(|p| t.strip_prefix(p)) {
        let rest = rest.trim_start();
        match rest.strip_prefix("#(nop)") {
            Some(nop) => nop.trim().to_string(),
            None => format!("RUN {}", rest.trim()),
        }
    } else {
        t.to_string()
    };
    clean(&out.replace('\n', " ↵ "))
}

/// `|2 A=1 B=2 cmd` -> `cmd` (buildkit's record of the build args in effect).
fn strip_build_args(s: &str) -> &str {
    let Some(rest) = s.strip_prefix('|') else {
        return s;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let Ok(n) = rest[..digits].parse::<usize>() else {
        return s;
    };
    let mut rest = rest[digits..].trim_start();
    for _ in 0..n {
        match rest.find(' ') {
            Some(i) => rest = rest[i..].trim_start(),
            None => return "",
        }
    }
    rest
}

/// `-rwxr-xr-x` from a tar mode and the entry kind's type letter.
pub fn mode_string(kind_letter: char, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(kind_letter);
    let bits = [
        (0o400, 'r'),
        (0o200, 'w'),
        (0o100, 'x'),
        (0o040, 'r'),
        (0o020, 'w'),
        (0o010, 'x'),
        (0o004, 'r'),
        (0o002, 'w'),
        (0o001, 'x'),
    ];
    for (i, (bit, c)) in bits.iter().enumerate() {
        let set = mode & bit != 0;
        let ch = match i {
            2 if mode & 0o4000 != 0 => {
                if set {
                    's'
                } else {
                    'S'
                }
            }
            5 if mode & 0o2000 != 0 => {
                if set {
                    's'
                } else {
                    'S'
                }
            }
            8 if mode & 0o1000 != 0 => {
                if set {
                    't'
                } else {
                    'T'
                }
            }
            _ if set => *c,
            _ => '-',
        };
        s.push(ch);
    }
    s
}

/// Seconds since the Unix epoch of an RFC 3339 timestamp (`2024-01-02T03:04:05.123Z`,
/// `...+02:00`). Fractions are ignored. `None` when it does not parse.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse::<i64>().ok() };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z') | Some(b'z') | None => 0,
        Some(&c @ (b'+' | b'-')) => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = oh * 3600 + om * 60;
            if c == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + h * 3600 + mi * 60 + se - offset)
}

/// Cuts a string to at most `width` terminal columns, ending with `…` when cut.
pub fn truncate(s: &str, width: usize) -> String {
    let total = self::width(s);
    if total <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let cw = self::width(c.encode_utf8(&mut buf));
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// Terminal columns of a string.
pub fn width(s: &str) -> usize {
    ratatui::text::Span::raw(s).width()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_by_shortening() {
        assert_eq!(short_created_by("/bin/sh -c #(nop)  ENV A=b"), "ENV A=b");
        assert_eq!(
            short_created_by("/bin/sh -c apt-get update"),
            "RUN apt-get update"
        );
        assert_eq!(
            short_created_by("RUN |2 A=1 B=2 /bin/sh -c make all # buildkit"),
            "RUN make all"
        );
        assert_eq!(short_created_by("COPY . /app # buildkit"), "COPY . /app");
        assert_eq!(short_created_by("RUN a\x1b[31m"), "RUN a\\x1b[31m");
    }

    #[test]
    fn modes_and_sizes() {
        assert_eq!(mode_string('-', 0o755), "-rwxr-xr-x");
        assert_eq!(mode_string('-', 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_string('d', 0o1777), "drwxrwxrwt");
        assert_eq!(human(999), "999 B");
        assert_eq!(human(1_500), "1.5 kB");
        assert_eq!(human(123_456_789), "123 MB");
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2000-03-01T00:00:01.5Z"), Some(951868801));
        assert_eq!(parse_rfc3339("1970-01-01T02:00:00+02:00"), Some(0));
        assert_eq!(parse_rfc3339("nope"), None);
    }

    #[test]
    fn lines_are_cleaned() {
        assert_eq!(clean_line(b"a\tb\r"), "a   b");
        assert_eq!(clean_line(b"\x1b]0;x\x07"), "\\x1b]0;x\\x07");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
