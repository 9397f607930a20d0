//! 4. Read-only inputs, no network.

use super::*;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_core_neither_writes_inputs_nor_opens_sockets() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/core/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("layer.rs")),
        "the core's sources are in {}",
        src.display()
    );
    let net = [
        "TcpStream",
        "TcpListener",
        "UdpSocket",
        "UnixStream",
        "UnixListener",
        "UnixDatagram",
        "std::net",
        "ToSocketAddrs",
    ];
    let write = [
        ".write(true)",
        ".append(true)",
        ".create(true)",
        ".truncate(true)",
        "File::create",
        "fs::write(",
        "remove_file",
        "set_permissions",
        "OpenOptions::new()",
    ];
    for f in &files {
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(f).unwrap();
        // Talking to a local container daemon (docker://, podman://) or a registry
        // (registry://) is those modules' job and happens only when the user names such an
        // image; the registry module also writes its blob cache, never an input.
        let remote = rel.contains("daemon") || rel.starts_with("source/registry/");
        if !remote {
            for n in net {
                assert!(
                    !text.contains(n),
                    "src/{rel} uses {n}: the core must not open sockets"
                );
            }
        }
        // Reading images never writes: these modules only read (the binary's output writer,
        // the TUI's export and the image writer live elsewhere).
        let core = (rel.starts_with("source/") && !remote)
            || [
                "layer.rs",
                "analysis.rs",
                "content.rs",
                "tree.rs",
                "image.rs",
                "paths.rs",
                "digest.rs",
                "error.rs",
                "lib.rs",
                "report/json.rs",
            ]
            .contains(&rel.as_str());
        if core {
            for w in write {
                assert!(
                    !text.contains(w),
                    "src/{rel} contains {w:?}: inputs are opened read-only"
                );
            }
        }
    }
}

#[test]
fn inputs_are_left_untouched() {
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::Gzip)]);
    let bytes = outer(&img.docker25());
    let (d, p) = temp_image("ro.tar", &bytes);
    let mut perm = std::fs::metadata(&p).unwrap().permissions();
    perm.set_readonly(true);
    std::fs::set_permissions(&p, perm).unwrap();
    let before = std::fs::metadata(&p).unwrap().modified().unwrap();
    let r = run_file(&p, &[]);
    assert_eq!(r.code, Some(0), "{}", r.err());
    assert_eq!(std::fs::read(&p).unwrap(), bytes);
    assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}
