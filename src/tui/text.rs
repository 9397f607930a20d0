//! Text helpers shared by the panes. Everything that comes from an image (names, build commands,
//! labels, file content) passes through `clean`/`clean_bytes` before it reaches the terminal, so
//! control characters and escape sequences are shown as `\xNN` and never interpreted.

use layerscope_core::paths::escape;

/// A string from the image, safe to print: control characters become `\xNN`.
pub(crate) fn clean(s: &str) -> String {
    escape(s.as_bytes())
}

/// Bytes from the image, safe to print (invalid UTF-8 and controls become `\xNN`).
pub(crate) fn clean_bytes(b: &[u8]) -> String {
    escape(b)
}

/// A run of one line of file content that starts at column `col` (a [`layerscope_core::secrets::Escape`]
/// for `redact`): tabs expanded to 4-column stops, other controls escaped.
pub(crate) fn line_escape(b: &[u8], col: &mut usize) -> String {
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

pub(crate) use layerscope_core::units::human;

/// `-rwxr-xr-x` from a tar mode and the entry kind's type letter.
pub(crate) fn mode_string(kind_letter: char, mode: u32) -> String {
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

/// Cuts a string to at most `width` terminal columns, ending with `…` when cut.
pub(crate) fn truncate(s: &str, width: usize) -> String {
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
pub(crate) fn width(s: &str) -> usize {
    ratatui::text::Span::raw(s).width()
}

/// Greedy word wrap of `s` into pieces of at most `w` characters (a longer word is split).
pub(crate) fn wrap(s: &str, w: usize) -> Vec<String> {
    let w = w.max(8);
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        let mut word = word.to_string();
        while word.chars().count() > w {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            let head: String = word.chars().take(w).collect();
            word = word.chars().skip(w).collect();
            out.push(head);
        }
        let need = cur.chars().count() + usize::from(!cur.is_empty()) + word.chars().count();
        if need > w && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(&word);
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_words_and_splits_long_ones() {
        assert_eq!(wrap("a bb ccc", 8), vec!["a bb ccc"]);
        assert_eq!(wrap("aaaa bbbb cccc", 9), vec!["aaaa bbbb", "cccc"]);
        assert_eq!(wrap("abcdefghijkl", 8), vec!["abcdefgh", "ijkl"]);
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
    fn lines_are_cleaned() {
        assert_eq!(line_escape(b"a\tb", &mut 0), "a   b");
        assert_eq!(line_escape(b"\x1b]0;x\x07", &mut 0), "\\x1b]0;x\\x07");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
