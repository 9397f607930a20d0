//! `export::export`: writes one file version (ghosts included) and refuses the unsafe cases.

use std::os::unix::fs::symlink;

use crate::support::tui::*;
use layerscope_core::export::{export, resolve_target, ExportError};

fn setup() -> (tempfile::TempDir, std::sync::Arc<layerscope_core::Analysis>) {
    let dir = tempfile::tempdir().unwrap();
    let a = analyze(&sample(dir.path()));
    (dir, a)
}

/// (layer, entry) of the version of `path` written in `layer`.
fn version(a: &layerscope_core::Analysis, path: &[u8], layer: usize) -> (usize, u32) {
    let p = a.tree.paths.lookup(path).unwrap();
    let v = a.tree.version_in(p, layer).unwrap();
    (layer, v.entry)
}

#[test]
fn exports_a_ghost_into_a_directory() {
    let (_d, a) = setup();
    let out = tempfile::tempdir().unwrap();
    let (l, e) = version(&a, b"app/.aws-credentials", 0);
    let written = export(&a, l, e, out.path(), false).unwrap();
    assert_eq!(written, out.path().join(".aws-credentials"));
    assert_eq!(std::fs::read(&written).unwrap(), SECRET_FILE);
}

#[test]
fn exports_to_a_file_name_and_strips_special_bits() {
    let (_d, a) = setup();
    let out = tempfile::tempdir().unwrap();
    let (l, e) = version(&a, b"app/bin.dat", 0);
    let dest = out.path().join("copy.bin");
    export(&a, l, e, &dest, false).unwrap();
    assert_eq!(
        std::fs::read(&dest).unwrap(),
        [0u8, 1, 2, 3, 0xff, b'A', b'B', 0, 9]
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o755);
}

#[test]
fn refuses_to_overwrite_without_force() {
    let (_d, a) = setup();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("config.txt");
    std::fs::write(&dest, b"keep me").unwrap();
    let (l, e) = version(&a, b"app/config.txt", 1);
    let err = export(&a, l, e, &dest, false).unwrap_err();
    assert!(matches!(err, ExportError::Exists(_)), "{err}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"keep me");
    // Into the directory: same name exists there too.
    let err = export(&a, l, e, out.path(), false).unwrap_err();
    assert!(matches!(err, ExportError::Exists(_)));
    export(&a, l, e, &dest, true).unwrap();
    assert_eq!(
        std::fs::read(&dest).unwrap(),
        b"mode=dev\nport=8080\nname=demo\n"
    );
}

#[test]
fn refuses_a_symlink_target_even_with_force() {
    let (_d, a) = setup();
    let out = tempfile::tempdir().unwrap();
    let victim = out.path().join("victim");
    std::fs::write(&victim, b"original").unwrap();
    let dir = out.path().join("exports");
    std::fs::create_dir(&dir).unwrap();
    // A link with the file's own name waits in the export directory.
    symlink(&victim, dir.join("config.txt")).unwrap();
    let (l, e) = version(&a, b"app/config.txt", 0);
    for force in [false, true] {
        let err = export(&a, l, e, &dir, force).unwrap_err();
        assert!(matches!(err, ExportError::Symlink(_)), "{err}");
        let err = export(&a, l, e, &dir.join("config.txt"), force).unwrap_err();
        assert!(matches!(err, ExportError::Symlink(_)), "{err}");
    }
    assert_eq!(std::fs::read(&victim).unwrap(), b"original");
}

#[test]
fn refuses_a_symlinked_directory_component() {
    let (_d, a) = setup();
    let out = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    symlink(elsewhere.path(), out.path().join("link")).unwrap();
    let (l, e) = version(&a, b"app/config.txt", 0);
    let err = export(&a, l, e, &out.path().join("link/x.txt"), false).unwrap_err();
    assert!(matches!(err, ExportError::Symlink(_)), "{err}");
    let err = export(&a, l, e, &out.path().join("link"), false).unwrap_err();
    assert!(matches!(err, ExportError::Symlink(_)), "{err}");
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}

#[test]
fn refuses_non_files_and_missing_directories() {
    let (_d, a) = setup();
    let out = tempfile::tempdir().unwrap();
    let (l, e) = version(&a, b"app/link", 0);
    assert!(matches!(
        export(&a, l, e, out.path(), false).unwrap_err(),
        ExportError::NotAFile(_)
    ));
    let (l, e) = version(&a, b"app", 0);
    assert!(matches!(
        export(&a, l, e, out.path(), false).unwrap_err(),
        ExportError::NotAFile(_)
    ));
    let (l, e) = version(&a, b"app/config.txt", 0);
    let err = export(&a, l, e, &out.path().join("nope/x.txt"), false).unwrap_err();
    assert!(matches!(err, ExportError::NoDirectory(_)), "{err}");
    let err = export(&a, l, e, &out.path().join("nope/"), false).unwrap_err();
    assert!(matches!(err, ExportError::NoDirectory(_)), "{err}");
    // A directory where the file would go.
    std::fs::create_dir(out.path().join("config.txt")).unwrap();
    let err = resolve_target(out.path(), b"config.txt", true).unwrap_err();
    assert!(matches!(err, ExportError::IsDirectory(_)), "{err}");
    assert!(resolve_target(out.path(), b"..", true).is_err());
}
