//! An image as far as its indexing pass has got, for a view that shows it while it loads: the
//! config, history and layer list as soon as the source is open (kilobytes), then the tree as
//! of layer N once layers 0..=N are indexed. Each snapshot is an ordinary [`Analysis`] whose
//! layers not indexed yet are empty, with the findings of the config, the history and the
//! layers indexed so far (a status such as "visible" may still change: a later layer can delete
//! the file); the complete analysis still comes from the pass itself.

use std::collections::HashMap;
use std::sync::Arc;

use super::{layer_info, Analysis};
use crate::error::{Result, Warning};
use crate::findings::{self, Finding};
use crate::image::{map_history, HistoryEntry, ImageConfig};
use crate::layer::{LayerIndex, LayerInfo};
use crate::paths::PathTable;
use crate::secrets::{KnownSecrets, Match, Scanner};
use crate::source::ImageSource;
use crate::tree::Tree;

pub struct Partial {
    src: ImageSource,
    scanner: Option<Arc<Scanner>>,
    config: ImageConfig,
    history: Vec<HistoryEntry>,
    layer_hist: Vec<Option<usize>>,
    warnings: Vec<Warning>,
    indexes: Vec<Option<LayerIndex>>,
    /// Each indexed layer's secret matches, as the pass found them.
    hits: Vec<Vec<(u32, Match)>>,
}

impl Partial {
    /// Parses the config of an opened source; with a scanner, every snapshot has the findings
    /// of the config, the history and the layers indexed so far, all masked from the first on.
    pub fn new(src: &ImageSource, scanner: Option<Arc<Scanner>>) -> Result<Partial> {
        let mut config = ImageConfig::parse(&src.image.config_raw, &src.image.config_display)?;
        let n = src.image.layers.len();
        let mut history = std::mem::take(&mut config.history);
        let (layer_hist, mut warnings) = map_history(&mut history, n);
        warnings.splice(0..0, src.image.warnings.iter().cloned());
        Ok(Partial {
            src: src.clone(),
            scanner,
            config,
            history,
            layer_hist,
            warnings,
            indexes: (0..n).map(|_| None).collect(),
            hits: vec![Vec::new(); n],
        })
    }

    /// The findings so far, the values to mask wherever they show, and the config and history
    /// text masked. A value only a file's rule recognises may be echoed in a build step or an ENV
    /// and its file may not be scanned yet: until the scan ends, every token there that looks
    /// like a secret is masked too.
    fn findings(&self, a: &Analysis) -> (Vec<Finding>, KnownSecrets, HashMap<String, String>) {
        let Some(scanner) = &self.scanner else {
            return Default::default();
        };
        let found = findings::assemble(&a.indexed(), scanner, self.hits.clone());
        let known = findings::known_secrets(&found);
        let mut masked = findings::masker(&found, &a.indexed(), &known);
        let texts = self
            .history
            .iter()
            .filter_map(|h| h.created_by.clone())
            .chain(self.config.env.iter().cloned())
            .chain(self.config.labels.values().cloned());
        for t in texts {
            let base = masked.get(&t).cloned().unwrap_or_else(|| t.clone());
            let spans = crate::secrets::likely_secret_spans(&base);
            if !spans.is_empty() {
                let m = crate::secrets::redact_str(&base, &spans, &KnownSecrets::default());
                masked.insert(t, m);
            }
        }
        (found, known, masked)
    }

    /// Takes a layer's index (a [`LayerIndex::share`] copy from the pass) and its files'
    /// secret matches.
    pub fn add(&mut self, layer: usize, ix: LayerIndex, hits: Vec<(u32, Match)>) {
        if let (Some(slot), Some(h)) = (self.indexes.get_mut(layer), self.hits.get_mut(layer)) {
            *slot = Some(ix);
            *h = hits;
        }
    }

    pub fn layers(&self) -> usize {
        self.indexes.len()
    }

    pub fn is_indexed(&self, layer: usize) -> bool {
        self.indexes.get(layer).is_some_and(Option::is_some)
    }

    /// Which layers are indexed.
    pub fn indexed_layers(&self) -> Vec<bool> {
        self.indexes.iter().map(Option::is_some).collect()
    }

    /// How many layers are indexed, in any order.
    pub fn indexed(&self) -> usize {
        self.indexes.iter().filter(|i| i.is_some()).count()
    }

    /// Layers 0..through() are all indexed: the tree is complete as of any of them.
    pub fn through(&self) -> usize {
        self.indexes
            .iter()
            .position(Option::is_none)
            .unwrap_or(self.indexes.len())
    }

    /// The image as far as it is known: a tree of every layer indexed so far, an empty stand-in
    /// for each one that is not, and the manifest's description of those; no findings. The tree
    /// as of layer N is the image's own for N < through(). Above a missing layer, a layer's own
    /// paths are right but whether each was added or modified is provisional (the layer below
    /// that holds it may be missing), and deleting a path only a missing layer holds is not seen
    /// yet; the tree's warnings are kept only when nothing is missing below the top.
    pub fn snapshot(&self) -> Analysis {
        let through = self.through();
        let top = self
            .indexes
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        let mut table = PathTable::new();
        let mut known: Vec<LayerIndex> = self.indexes[..top]
            .iter()
            .map(|ix| ix.as_ref().map(LayerIndex::share).unwrap_or_default())
            .collect();
        for ix in &mut known {
            ix.intern(&mut table);
        }
        let tree = Tree::build(table, &known);
        let mut warnings = self.warnings.clone();
        if top == through {
            warnings.extend(tree.warnings.iter().cloned());
        }
        let diff_id = |i: usize| self.config.diff_ids.get(i).cloned().unwrap_or_default();
        let mut layers: Vec<LayerInfo> = known
            .into_iter()
            .enumerate()
            .map(|(i, ix)| match self.indexes[i] {
                Some(_) => layer_info(&self.src, i, ix, diff_id(i), self.layer_hist[i], None),
                None => self.pending(i, diff_id(i)),
            })
            .collect();
        for i in top..self.indexes.len() {
            layers.push(self.pending(i, diff_id(i)));
        }
        let mut a = Analysis::assemble(
            self.src.clone(),
            self.config.clone(),
            self.history.clone(),
            layers,
            tree,
            warnings,
        );
        (a.findings, a.known, a.masked_text) = self.findings(&a);
        a
    }

    /// A layer not in the tree yet, as the manifest describes it.
    fn pending(&self, i: usize, diff_id: String) -> LayerInfo {
        let r = &self.src.image.layers[i];
        LayerInfo {
            index: i,
            diff_id,
            computed_diff_id: None,
            computed_digest: None,
            digest: r.digest.clone(),
            media_type: r.media_type.clone(),
            compression: None,
            compressed_size: self.src.blob_size(i),
            size: 0,
            content_size: 0,
            history: self.layer_hist[i],
            member: r.member.clone(),
            spool: None,
            entries: Vec::new(),
            whiteouts: Vec::new(),
            added: 0,
            modified: 0,
            removed: 0,
        }
    }
}
