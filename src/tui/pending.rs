//! What is still loading while an image is already on screen: the layers indexed so far, how
//! far the tree is complete, whether findings wait for the secret scan. Carried by each partial
//! snapshot and read by the status line and the waiting panes.

use layerscope_core::analysis::partial::Partial;

/// How far the load has got when a snapshot was taken.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pending {
    /// Snapshots are numbered; an older one arriving late is dropped.
    pub seq: u64,
    pub layers: usize,
    /// Layers indexed, in any order.
    pub indexed: usize,
    /// Layers 0..through are indexed: the tree is complete as of each of them.
    pub through: usize,
    /// Which layers are indexed (the selected one may come before those below it).
    pub ready: Vec<bool>,
    /// Findings come when the secret scan ends (false with `--no-secrets`).
    pub scan: bool,
}

impl Pending {
    /// How far `p` has got, for the snapshot numbered `seq` that is taken of it now.
    pub fn of(p: &Partial, seq: u64, scan: bool) -> Pending {
        Pending {
            seq,
            layers: p.layers(),
            indexed: p.indexed(),
            through: p.through(),
            ready: p.indexed_layers(),
            scan,
        }
    }

    /// Whether the files pane can show `layer`: everything up to it needs layers 0..=layer, its
    /// own changes only the layer itself.
    pub fn tree_ready(&self, layer: usize, aggregated: bool) -> bool {
        layer < self.through || (!aggregated && self.is_indexed(layer))
    }

    pub fn is_indexed(&self, layer: usize) -> bool {
        self.ready.get(layer).copied().unwrap_or(false)
    }

    /// A layer shown alone above a layer not indexed yet: whether each path was added or
    /// modified is provisional, and deletions of what only the missing layers hold are not seen.
    pub fn provisional(&self, layer: usize) -> bool {
        layer >= self.through && self.is_indexed(layer)
    }

    /// The layers below `layer` still missing, as a range (`through..layer`).
    fn missing_below(&self, layer: usize) -> String {
        let lo = self.through;
        match layer.saturating_sub(1) {
            hi if hi <= lo => format!("layer {lo}"),
            hi => format!("layers {lo}–{hi}"),
        }
    }

    /// The status line's word on what is still loading.
    pub fn status(&self) -> String {
        let tree = match self.through {
            0 => "no tree yet".to_string(),
            t if t == self.layers => "tree complete".to_string(),
            t => format!("tree up to layer {}", t - 1),
        };
        let findings = if self.scan {
            " · secret scan running"
        } else {
            ""
        };
        format!(
            "loading: {}/{} layers indexed · {tree}{findings}",
            self.indexed, self.layers
        )
    }

    /// What the files pane waits for at `layer` (aggregated view); `own_key` toggles to the
    /// layer's own changes.
    pub fn tree_wait(&self, layer: usize, own_key: &str) -> String {
        let done = format!("({} of {} layers done)", self.indexed, self.layers);
        if self.is_indexed(layer) {
            return format!(
                "Layer {layer} is indexed: {own_key} shows its own changes now. The image as of \
                 it waits for {} to be indexed {done}.",
                self.missing_below(layer)
            );
        }
        let lo = self.through;
        let range = if lo == layer {
            format!("layer {layer}")
        } else {
            format!("layers {lo}–{layer}")
        };
        format!("Waiting for {range} to be indexed {done}. Select a lower layer to browse it now.")
    }

    /// The files pane's title word for a provisional layer.
    pub fn provisional_title(&self, layer: usize) -> String {
        format!("provisional: {} not indexed", self.missing_below(layer))
    }

    /// The layer pane's note on a provisional layer (see [`Pending::provisional`]).
    pub fn provisional_note(&self, layer: usize) -> String {
        let missing = self.missing_below(layer);
        let verb = if missing.starts_with("layers") {
            "are"
        } else {
            "is"
        };
        format!("layer {layer} alone: added/modified are provisional until {missing} below it {verb} indexed")
    }

    /// The findings pane's title while the scan runs: its list holds what is found so far.
    pub fn findings_so_far(&self) -> String {
        format!("so far: {} of {} layers scanned", self.indexed, self.layers)
    }

    /// The findings pane without a scan (`--no-secrets`) while the pass runs.
    pub fn findings_wait(&self) -> String {
        "Waiting for the analysis to end.".to_string()
    }

    pub fn preview_wait(&self) -> String {
        "Previews open when every layer is indexed and scanned (so that secrets are masked)."
            .to_string()
    }
}
