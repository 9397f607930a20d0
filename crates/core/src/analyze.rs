//! The analysis of an image, end to end: open the source, index every layer once (in parallel,
//! secret-scanning each file as it streams), merge the tree, read the package databases, place
//! the findings and mark vendor material. Every output (JSON, SARIF, CI, the TUI, `diff`) starts
//! from one of these calls.

use std::path::Path;

use crate::analysis::{self, Analysis, AnalyzeOptions};
use crate::error::Result;
use crate::findings::{self, ImageScan};
use crate::layer::{LayerIndex, PassState};
use crate::packages::capture::Captured;
use crate::secrets::{Match, Scanner};
use crate::source::{self, ImageSource};
use crate::vendor;

/// Opens and analyses an image file or layout directory, scanning for secrets when a scanner
/// is given.
pub fn analyze(path: &Path, opts: &AnalyzeOptions, state: &PassState) -> Result<Analysis> {
    let src = source::open_path(path, &opts.open)?;
    analyze_source(src, opts, state, None)
}

/// Analyses what the user named (path or daemon image), with an optional secret scan.
pub fn analyze_input(
    arg: &str,
    opts: &AnalyzeOptions,
    state: &PassState,
    scanner: Option<&Scanner>,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Analysis> {
    let src = source::open_input(arg, &opts.open, progress)?;
    analyze_source(src, opts, state, scanner)
}

/// `analyze` with a secret scan in the same pass.
pub fn analyze_scanned(
    path: &Path,
    opts: &AnalyzeOptions,
    state: &PassState,
    scanner: &Scanner,
) -> Result<Analysis> {
    let src = source::open_path(path, &opts.open)?;
    analyze_source(src, opts, state, Some(scanner))
}

/// Analyses an already located image; with a scanner, every file version of every layer is
/// scanned during the indexing pass and the config and history after it.
pub fn analyze_source(
    src: ImageSource,
    opts: &AnalyzeOptions,
    state: &PassState,
    scanner: Option<&Scanner>,
) -> Result<Analysis> {
    analyze_reusing(src, opts, state, scanner, None, None)
}

/// `analyze_source` for a view that shows the image while it loads: `on_layer` gets each
/// layer's index as soon as it is indexed, with the secret scan's matches in its files (empty
/// without a scanner), in the order the pass finishes them (the layer a viewer asked for through
/// `PassState::first`, then largest first).
pub fn analyze_progressive(
    src: ImageSource,
    opts: &AnalyzeOptions,
    state: &PassState,
    scanner: Option<&Scanner>,
    on_layer: &OnScanned<'_>,
) -> Result<Analysis> {
    analyze_reusing(src, opts, state, scanner, None, Some(on_layer))
}

/// A layer handed out by [`analyze_progressive`]: its index and its files' secret matches.
pub type OnScanned<'a> = dyn Fn(usize, &LayerIndex, &[(u32, Match)]) + Sync + 'a;

/// `analyze_source` that takes every layer it shares with `from` (the same bytes as stored, or
/// the same verified uncompressed stream) from `from` instead of indexing and scanning it again
/// (see `reuse`). `from` must have been analysed with the same scanner (or none) and
/// options.
pub fn analyze_source_reusing(
    src: ImageSource,
    opts: &AnalyzeOptions,
    state: &PassState,
    scanner: Option<&Scanner>,
    from: &Analysis,
) -> Result<Analysis> {
    let plan = analysis::reuse::plan(&src, from, state)?;
    analyze_reusing(src, opts, state, scanner, Some(&plan), None)
}

fn analyze_reusing(
    src: ImageSource,
    opts: &AnalyzeOptions,
    state: &PassState,
    scanner: Option<&Scanner>,
    plan: Option<&analysis::reuse::Plan>,
    on_layer: Option<&OnScanned<'_>>,
) -> Result<Analysis> {
    let Some(scanner) = scanner else {
        let bare = on_layer.map(|f| move |i: usize, ix: &LayerIndex| f(i, ix, &[]));
        let bare = bare.as_ref().map(|f| f as &analysis::OnLayer<'_>);
        let (mut a, captured) = analysis::index(src, opts, state, &|_| Box::new(()), plan, bare)?;
        own_packages(&mut a, &captured);
        return Ok(a);
    };
    let scan = ImageScan::new(scanner, src.image.layers.len());
    if let Some(p) = plan {
        for (i, j) in p.layers.iter().enumerate() {
            if let Some(j) = j {
                scan.store(i, p.hits(*j));
            }
        }
    }
    // The layer's matches are stored by its visitor before the pass hands the layer out.
    let scanned = on_layer.map(|f| {
        let scan = &scan;
        move |i: usize, ix: &LayerIndex| f(i, ix, &scan.hits_of(i))
    });
    let scanned = scanned.as_ref().map(|f| f as &analysis::OnLayer<'_>);
    let (mut a, captured) = analysis::index(
        src,
        opts,
        state,
        &|layer| Box::new(scan.visitor(layer)),
        plan,
        scanned,
    )?;
    own_packages(&mut a, &captured);
    a.findings = findings::assemble(&a.indexed(), scanner, scan.into_hits());
    vendor::mark_findings(&mut a);
    a.known = findings::known_secrets(&a.findings);
    a.masked_text = findings::masker(&a.findings, &a.indexed(), &a.known);
    Ok(a)
}

/// Which package owns each file version, from the databases the pass captured.
fn own_packages(a: &mut Analysis, captured: &Captured) {
    a.packages = vendor::package_model(a, Some(captured));
    a.warnings.extend(a.packages.warnings.iter().cloned());
}
