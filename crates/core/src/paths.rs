//! Path interning. Every path of every layer is stored once as (parent, name), so per-layer views
//! cost a `u32` per path instead of a copied string, and tree navigation needs no string work.
//! Names are bytes: layers may hold non-UTF-8 names and they must survive untouched.

pub type PathId = u32;
pub const ROOT: PathId = 0;
const NONE: u32 = u32::MAX;

#[derive(Default)]
pub struct PathTable {
    parent: Vec<PathId>,
    /// All names back to back; `name_at[id]..name_at[id+1]` is the name of `id`.
    names: Vec<u8>,
    name_at: Vec<u32>,
    /// (parent, name) -> id: a table of bare ids, hashed by `key_hash` on the fly. A
    /// `HashMap<(PathId, u64), Vec<PathId>>` cost ~90 bytes per path (key, Vec header, a heap
    /// block per bucket); this costs ~6.
    lookup: hashbrown::HashTable<PathId>,
    first_child: Vec<u32>,
    next_sibling: Vec<u32>,
    sorted: bool,
}

fn key_hash(parent: PathId, name: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(name, parent as u64)
}

impl PathTable {
    pub fn new() -> Self {
        let mut t = PathTable {
            name_at: vec![0],
            ..Default::default()
        };
        t.push(ROOT, b"");
        t
    }

    fn push(&mut self, parent: PathId, name: &[u8]) -> PathId {
        let id = self.parent.len() as PathId;
        self.parent.push(parent);
        self.names.extend_from_slice(name);
        self.name_at.push(self.names.len() as u32);
        self.sorted = false;
        id
    }

    pub fn len(&self) -> usize {
        self.parent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() <= 1
    }

    /// The id of a child called `name` under `parent`, creating it when absent.
    pub fn child(&mut self, parent: PathId, name: &[u8]) -> PathId {
        let h = key_hash(parent, name);
        let (parents, names, name_at) = (&self.parent, &self.names, &self.name_at);
        let is = |&id: &PathId| {
            parents[id as usize] == parent
                && &names[name_at[id as usize] as usize..name_at[id as usize + 1] as usize] == name
        };
        if let Some(&id) = self.lookup.find(h, is) {
            return id;
        }
        let id = self.push(parent, name);
        let (parents, names, name_at) = (&self.parent, &self.names, &self.name_at);
        self.lookup.insert_unique(h, id, |&i| {
            let n = &names[name_at[i as usize] as usize..name_at[i as usize + 1] as usize];
            key_hash(parents[i as usize], n)
        });
        id
    }

    pub fn find_child(&self, parent: PathId, name: &[u8]) -> Option<PathId> {
        self.lookup
            .find(key_hash(parent, name), |&id| {
                self.parent[id as usize] == parent && self.name(id) == name
            })
            .copied()
    }

    /// Interns a normalised path (components separated by `/`, no leading `/`).
    pub fn intern(&mut self, path: &[u8]) -> PathId {
        let mut id = ROOT;
        for comp in path.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            id = self.child(id, comp);
        }
        id
    }

    pub fn lookup(&self, path: &[u8]) -> Option<PathId> {
        let mut id = ROOT;
        for comp in path.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            id = self.find_child(id, comp)?;
        }
        Some(id)
    }

    pub fn parent(&self, id: PathId) -> Option<PathId> {
        (id != ROOT).then(|| self.parent[id as usize])
    }

    pub fn name(&self, id: PathId) -> &[u8] {
        let (a, b) = (self.name_at[id as usize], self.name_at[id as usize + 1]);
        &self.names[a as usize..b as usize]
    }

    pub fn depth(&self, mut id: PathId) -> usize {
        let mut d = 0;
        while id != ROOT {
            id = self.parent[id as usize];
            d += 1;
        }
        d
    }

    /// The full path as bytes, without a leading `/`.
    pub fn path(&self, id: PathId) -> Vec<u8> {
        let mut comps = Vec::new();
        let mut cur = id;
        while cur != ROOT {
            comps.push(cur);
            cur = self.parent[cur as usize];
        }
        let mut out = Vec::new();
        for (i, c) in comps.iter().rev().enumerate() {
            if i > 0 {
                out.push(b'/');
            }
            out.extend_from_slice(self.name(*c));
        }
        out
    }

    /// Is `anc` a proper ancestor of `id`?
    pub fn is_ancestor(&self, anc: PathId, mut id: PathId) -> bool {
        while id != ROOT {
            id = self.parent[id as usize];
            if id == anc {
                return true;
            }
        }
        false
    }

    /// Builds the child lists, sorted by name. Call once after all paths are interned.
    pub fn finish(&mut self) {
        // No more paths: give back what growth by doubling reserved.
        self.parent.shrink_to_fit();
        self.names.shrink_to_fit();
        self.name_at.shrink_to_fit();
        let n = self.len();
        let mut kids: Vec<PathId> = (1..n as PathId).collect();
        kids.sort_by(|&a, &b| {
            self.parent[a as usize]
                .cmp(&self.parent[b as usize])
                .then_with(|| self.name(a).cmp(self.name(b)))
        });
        self.first_child = vec![NONE; n];
        self.next_sibling = vec![NONE; n];
        for w in kids.iter().rev() {
            let p = self.parent[*w as usize] as usize;
            self.next_sibling[*w as usize] = self.first_child[p];
            self.first_child[p] = *w;
        }
        self.sorted = true;
    }

    /// Children of `id` in name order. `finish` must have been called.
    pub fn children(&self, id: PathId) -> Children<'_> {
        debug_assert!(self.sorted, "PathTable::finish not called");
        let next = self.first_child.get(id as usize).copied().unwrap_or(NONE);
        Children { table: self, next }
    }

    /// All proper descendants of `id`, depth first.
    pub fn descendants(&self, id: PathId) -> Vec<PathId> {
        let mut out = Vec::new();
        let mut stack: Vec<PathId> = self.children(id).collect();
        stack.reverse();
        while let Some(p) = stack.pop() {
            out.push(p);
            let mut kids: Vec<PathId> = self.children(p).collect();
            kids.reverse();
            stack.extend(kids);
        }
        out
    }

    /// Approximate heap bytes, for the memory-per-entry figure.
    pub fn heap_bytes(&self) -> usize {
        self.parent.capacity() * 4
            + self.names.capacity()
            + self.name_at.capacity() * 4
            + self.first_child.capacity() * 4
            + self.next_sibling.capacity() * 4
            + self.lookup.capacity() * (std::mem::size_of::<PathId>() + 1)
    }
}

pub struct Children<'a> {
    table: &'a PathTable,
    next: u32,
}

impl Iterator for Children<'_> {
    type Item = PathId;
    fn next(&mut self) -> Option<PathId> {
        if self.next == NONE {
            return None;
        }
        let cur = self.next;
        self.next = self.table.next_sibling[cur as usize];
        Some(cur)
    }
}

/// Normalises a tar entry path: drops `./` and leading `/`, folds `//`, drops trailing `/`.
/// Returns `None` for a path that climbs out of the root with `..` (hostile input).
pub fn normalize(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    normalize_into(raw, &mut out).then_some(out)
}

/// `normalize` into a reused buffer (cleared first); false for a path that climbs out.
pub fn normalize_into(raw: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    for comp in raw.split(|&b| b == b'/') {
        match comp {
            b"" | b"." => {}
            b".." => return false,
            c => {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(c);
            }
        }
    }
    true
}

/// Shows bytes safely in a terminal or text report: invalid UTF-8 and control characters become
/// `\xNN` escapes, so a hostile name can neither garble the screen nor drive the terminal.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            // Controls (C0, DEL, C1) and the bidi overrides that reorder what a terminal shows.
            if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intern_and_walk() {
        let mut t = PathTable::new();
        let a = t.intern(b"etc/passwd");
        let b = t.intern(b"etc/group");
        assert_eq!(t.intern(b"etc/passwd"), a);
        t.finish();
        let etc = t.lookup(b"etc").unwrap();
        assert_eq!(t.children(etc).collect::<Vec<_>>(), vec![b, a]);
        assert_eq!(t.path(a), b"etc/passwd");
        assert_eq!(t.depth(a), 2);
        assert!(t.is_ancestor(etc, a));
        assert_eq!(t.descendants(ROOT).len(), 3);
    }

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize(b"./a//b/").unwrap(), b"a/b");
        assert_eq!(normalize(b"/abs/x").unwrap(), b"abs/x");
        assert_eq!(normalize(b"./").unwrap(), b"");
        assert!(normalize(b"a/../../etc").is_none());
    }

    #[test]
    fn escape_controls_and_bytes() {
        assert_eq!(escape(b"a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(escape(b"caf\xe9"), "caf\\xe9");
        assert_eq!(escape("名前".as_bytes()), "名前");
        assert_eq!(
            escape("a\u{202e}b\u{9b}".as_bytes()),
            "a\\xe2\\x80\\xaeb\\xc2\\x9b"
        );
    }
}
