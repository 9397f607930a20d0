//! Search hits grouped by identical content: the same line of the same bytes under several
//! names (hard links, a file copied to several paths, a version re-written unchanged) is one
//! row of the results, listing the other places, instead of one row per copy.

use std::collections::HashMap;

use crate::tui::search::Hit;

/// Groups of indices into `hits`, in the order of each group's first hit.
pub fn hit_groups(hits: &[Hit]) -> Vec<Vec<usize>> {
    let mut at: HashMap<(usize, u64, String), usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, h) in hits.iter().enumerate() {
        // The revealed text is only a key here; what is shown goes through `Piece::shown`.
        let text: String = h.pieces.iter().map(|p| p.text.as_str()).collect();
        let key = (h.line, h.offset, text);
        match at.get(&key) {
            Some(&g) => groups[g].push(i),
            None => {
                at.insert(key, groups.len());
                groups.push(vec![i]);
            }
        }
    }
    groups
}
