//! What is still loading while an image is already on screen: the layers indexed so far, how
//! far the tree is complete, whether findings wait for the secret scan. Carried by each partial
//! snapshot and read by the status line and the waiting panes.

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
    /// Findings come when the secret scan ends (false with `--no-secrets`).
    pub scan: bool,
}

impl Pending {
    pub fn tree_ready(&self, layer: usize) -> bool {
        layer < self.through
    }

    /// The status line's word on what is still loading.
    pub fn status(&self) -> String {
        let tree = match self.through {
            0 => "no tree yet".to_string(),
            t if t == self.layers => "tree complete".to_string(),
            t => format!("tree up to layer {}", t - 1),
        };
        let findings = if self.scan {
            " · findings after the scan"
        } else {
            ""
        };
        format!(
            "loading: {}/{} layers indexed · {tree}{findings}",
            self.indexed, self.layers
        )
    }

    /// What the files pane waits for at `layer`.
    pub fn tree_wait(&self, layer: usize) -> String {
        let lo = self.through;
        let range = if lo == layer {
            format!("layer {layer}")
        } else {
            format!("layers {lo}–{layer}")
        };
        format!(
            "Waiting for {range} to be indexed ({} of {} layers done). Select a lower layer \
             to browse it now.",
            self.indexed, self.layers
        )
    }

    pub fn findings_wait(&self) -> String {
        if self.scan {
            format!(
                "Findings appear when the secret scan ends ({} of {} layers scanned).",
                self.indexed, self.layers
            )
        } else {
            "Waiting for the analysis to end.".to_string()
        }
    }

    pub fn preview_wait(&self) -> String {
        "Previews open when every layer is indexed and scanned (so that secrets are masked)."
            .to_string()
    }
}
