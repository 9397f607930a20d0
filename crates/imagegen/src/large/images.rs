//! The large images: their parameters, big layers and many layers.

use super::content::{Content, Corpus, Kind};
use super::fake_secrets::Secrets;
use super::layer_writer::LayerWriter;
use super::trees::{distro_spec, ident, node_spec, python_spec, write_tree};
use crate::fake::Rng;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct Params {
    /// Multiplies file counts and byte sizes (1.0 = full size; 0.01 for a smoke run).
    pub scale: f64,
    pub seed: u64,
    pub gzip_level: u32,
    pub zstd_level: i32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scale: 1.0,
            seed: 42,
            gzip_level: 6,
            zstd_level: 3,
        }
    }
}

impl Params {
    fn n(&self, full: u64) -> u64 {
        ((full as f64 * self.scale).round() as u64).max(1)
    }
}

/// One layer as generated: its tar on disk plus what the config says of it.
pub struct Layer {
    pub tar: PathBuf,
    pub diff_id: String,
    pub size: u64,
    pub created_by: String,
    pub files: u64,
}

fn write_layer(
    dir: &Path,
    i: usize,
    corpus: &Corpus,
    build: &dyn Fn(&mut LayerWriter<'_, BufWriter<File>>) -> io::Result<()>,
    created_by: &str,
) -> io::Result<Layer> {
    let tar = dir.join(format!("layer-{i:02}.tar"));
    let f = BufWriter::with_capacity(1 << 20, File::create(&tar)?);
    let mut w = LayerWriter::new(f, corpus);
    build(&mut w)?;
    let files = w.files;
    let (mut f, diff_id, size) = w.finish()?;
    f.flush()?;
    Ok(Layer {
        tar,
        diff_id,
        size,
        created_by: created_by.to_string(),
        files,
    })
}

/// The `big` image: ~1 GB, ~45k files at scale 1.
pub fn big_layers(dir: &Path, p: &Params) -> io::Result<Vec<Layer>> {
    let corpus = Corpus::new(p.seed);
    let s = Secrets::new(p.seed);
    let mut layers = Vec::new();
    let seed = p.seed;
    let sc = p.scale;
    let n = |full: u64| p.n(full);
    let bytes = |full: u64| ((full as f64 * sc) as u64).max(1);

    // 0: base distribution.
    layers.push(write_layer(
        dir,
        0,
        &corpus,
        &|w| {
            let mut rng = Rng::new(seed);
            for d in [
                "bin", "dev", "home", "proc", "root", "run", "sys", "tmp", "var/log", "var/tmp",
            ] {
                w.dir(d)?;
            }
            w.literal(
                "etc/os-release",
                0o644,
                b"PRETTY_NAME=\"Benchian GNU/Linux 12\"\nID=benchian\n",
            )?;
            w.literal("etc/passwd", 0o644, b"root:x:0:0:root:/root:/bin/bash\n")?;
            w.file(
                "var/lib/dpkg/status",
                0o644,
                Kind::Text,
                bytes(2_000_000),
                rng.next_u64(),
            )?;
            w.file(
                "etc/ld.so.cache",
                0o644,
                Kind::Binary,
                bytes(60_000),
                rng.next_u64(),
            )?;
            // Shared libraries and executables.
            for i in 0..n(900) {
                let name = format!("usr/lib/x86_64-linux-gnu/lib{}{i}.so.1", ident(&mut rng));
                let size = rng.range(bytes(8_000), bytes(300_000));
                w.file(&name, 0o644, Kind::Binary, size, rng.next_u64())?;
                w.symlink(&name[..name.len() - 2], name.rsplit('/').next().unwrap())?;
            }
            for i in 0..n(500) {
                let name = format!("usr/bin/{}{i}", ident(&mut rng));
                w.file(
                    &name,
                    0o755,
                    Kind::Binary,
                    rng.range(bytes(10_000), bytes(200_000)),
                    rng.next_u64(),
                )?;
            }
            w.file(
                "usr/bin/python3.12",
                0o755,
                Kind::Binary,
                bytes(6_500_000),
                rng.next_u64(),
            )?;
            w.hardlink("usr/bin/python3", "usr/bin/python3.12")?;
            w.symlink("bin/sh", "/usr/bin/dash")?;
            write_tree(w, &mut rng, &distro_spec(), n(6_000))?;
            let mut spec = distro_spec();
            spec.root = "var/lib/dpkg/info".into();
            write_tree(w, &mut rng, &spec, n(2_500))?;
            spec.root = "usr/share/locale".into();
            spec.exts = &["mo"];
            write_tree(w, &mut rng, &spec, n(1_500))?;
            for i in 0..n(40) {
                w.file(
                    &format!("var/lib/apt/lists/deb_{i}_Packages"),
                    0o644,
                    Kind::Text,
                    rng.range(bytes(100_000), bytes(900_000)),
                    rng.next_u64(),
                )?;
            }
            Ok(())
        },
        "/bin/sh -c #(nop) ADD file:benchian-rootfs.tar.xz in / ",
    )?);

    // 1: build toolchain (apt-get install), overwriting some base files.
    layers.push(write_layer(
        dir,
        1,
        &corpus,
        &|w| {
            let mut rng = Rng::new(seed ^ 1);
            w.file(
                "var/lib/dpkg/status",
                0o644,
                Kind::Text,
                bytes(2_400_000),
                rng.next_u64(),
            )?;
            w.file(
                "etc/ld.so.cache",
                0o644,
                Kind::Binary,
                bytes(90_000),
                rng.next_u64(),
            )?;
            for i in 0..n(300) {
                let name = format!("usr/lib/gcc/x86_64-linux-gnu/12/{}{i}.a", ident(&mut rng));
                w.file(
                    &name,
                    0o644,
                    Kind::Binary,
                    rng.range(bytes(20_000), bytes(500_000)),
                    rng.next_u64(),
                )?;
            }
            let mut spec = distro_spec();
            spec.root = "usr/include".into();
            spec.exts = &["h", "h", "hpp"];
            write_tree(w, &mut rng, &spec, n(3_500))?;
            w.file(
                "usr/bin/cc1",
                0o755,
                Kind::Binary,
                bytes(30_000_000),
                rng.next_u64(),
            )?;
            Ok(())
        },
        "/bin/sh -c apt-get update && apt-get install -y build-essential python3-dev nodejs",
    )?);

    // 2: pip install.
    layers.push(write_layer(dir, 2, &corpus, &|w| {
        let mut rng = Rng::new(seed ^ 2);
        write_tree(w, &mut rng, &python_spec(), n(15_000))?;
        // Planted: an AWS key pair in a settings module.
        let settings = format!(
            "# settings for the billing service\nAWS_REGION = 'eu-west-1'\nAWS_ACCESS_KEY_ID = '{}'\nAWS_SECRET_ACCESS_KEY = '{}'\n",
            s.aws_key_id, s.aws_secret
        );
        w.literal("usr/local/lib/python3.12/site-packages/billing/settings.py", 0o644, settings.as_bytes())?;
        Ok(())
    }, "/bin/sh -c pip install --no-cache-dir -r requirements.txt")?);

    // 3: npm ci.
    layers.push(write_layer(
        dir,
        3,
        &corpus,
        &|w| {
            let mut rng = Rng::new(seed ^ 3);
            write_tree(w, &mut rng, &node_spec(), n(20_000))?;
            Ok(())
        },
        "/bin/sh -c npm ci",
    )?);

    // 4: application, model weights and other large binaries; secrets that layer 5 deletes.
    layers.push(write_layer(
        dir,
        4,
        &corpus,
        &|w| {
            let mut rng = Rng::new(seed ^ 4);
            let env = format!(
                "NODE_ENV=production\nGITHUB_TOKEN={}\nDATABASE_URL=postgres://app@db/app\n",
                s.github
            );
            w.literal("app/.env", 0o600, env.as_bytes())?;
            w.literal("root/.ssh/id_rsa", 0o600, s.pem.as_bytes())?;
            let mut spec = node_spec();
            spec.root = "app/src".into();
            write_tree(w, &mut rng, &spec, n(1_500))?;
            // Binaries from 5 to 45 MB, ~350 MB together at scale 1.
            let sizes = [45, 40, 36, 32, 30, 28, 25, 22, 20, 18, 15, 12, 10, 8, 6, 5];
            for (i, mb) in sizes.iter().enumerate() {
                let size = bytes(mb * 1_000_000);
                let path = format!("opt/models/shard-{i:02}.bin");
                let kind = if i % 2 == 0 {
                    Kind::Random
                } else {
                    Kind::Binary
                };
                let c = Content::new(w.corpus, kind, size, rng.next_u64());
                if i == 4 {
                    // Deep in a binary: the scanner must read every byte to find it.
                    let planted = format!("\naws_access_key_id={}\n", s.deep_key_id);
                    let c = c.with_plant(size * 2 / 3, planted.as_bytes());
                    w.file_from(&path, 0o644, size, c)?;
                } else {
                    w.file_from(&path, 0o644, size, c)?;
                }
            }
            w.file(
                "app/bin/server",
                0o755,
                Kind::Binary,
                bytes(40_000_000),
                rng.next_u64(),
            )?;
            Ok(())
        },
        "/bin/sh -c #(nop) COPY dir:app in /app",
    )?);

    // 5: cleanup: deletions (the secrets stay in layer 4 as ghosts), an opaque dir, overwrites.
    layers.push(write_layer(
        dir,
        5,
        &corpus,
        &|w| {
            let mut rng = Rng::new(seed ^ 5);
            w.whiteout("app/.env")?;
            w.whiteout("root/.ssh/id_rsa")?;
            w.whiteout("opt/models/shard-03.bin")?;
            w.whiteout("usr/bin/cc1")?;
            w.whiteout("usr/include")?;
            w.opaque("var/lib/apt/lists")?;
            w.literal("var/lib/apt/lists/lock", 0o640, b"")?;
            w.file(
                "var/lib/dpkg/status",
                0o644,
                Kind::Text,
                bytes(2_300_000),
                rng.next_u64(),
            )?;
            w.file(
                "app/bin/server",
                0o755,
                Kind::Binary,
                bytes(41_000_000),
                rng.next_u64(),
            )?;
            w.literal(
                "etc/passwd",
                0o644,
                b"root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/app:/bin/sh\n",
            )?;
            Ok(())
        },
        "/bin/sh -c rm -rf /app/.env /root/.ssh /var/lib/apt/lists/* /usr/include && useradd app",
    )?);
    Ok(layers)
}

/// The `many` images: 350,000 files (scale 1) in `nlayers` layers.
pub fn many_layers(dir: &Path, p: &Params, nlayers: usize) -> io::Result<Vec<Layer>> {
    let corpus = Corpus::new(p.seed);
    let total = p.n(350_000);
    // Which tree each share of the files goes to: distro, python, node.
    let mut layers = Vec::new();
    let per = total / nlayers as u64;
    for li in 0..nlayers {
        let count = if li + 1 == nlayers {
            total - per * (nlayers as u64 - 1)
        } else {
            per
        };
        let seed = p.seed ^ (0x1000 + li as u64);
        let sc = p.scale;
        let created_by = format!("/bin/sh -c install step {li}");
        layers.push(write_layer(
            dir,
            li,
            &corpus,
            &|w| {
                let mut rng = Rng::new(seed);
                let mut written = 0u64;
                // Upper layers re-write a build log and delete one file of the layer below.
                if li > 0 {
                    w.file(
                        "var/log/build.log",
                        0o644,
                        Kind::Text,
                        ((20_000.0 * sc) as u64).max(1) * li as u64,
                        rng.next_u64(),
                    )?;
                    written += 1;
                    if li % 3 == 0 {
                        w.whiteout(&format!("opt/step{}/README.md", li - 1))?;
                    }
                }
                w.literal(
                    &format!("opt/step{li}/README.md"),
                    0o644,
                    format!("step {li}\n").as_bytes(),
                )?;
                written += 1;
                let rest = count.saturating_sub(written);
                let specs = [distro_spec(), python_spec(), node_spec()];
                let mut spec_i = li % 3;
                let mut left = rest;
                let chunk = (rest / 3).max(1);
                while left > 0 {
                    let mut spec = specs[spec_i].clone();
                    // Small files only: this image is about file count, not bytes.
                    spec.bin_pct = 0;
                    spec.text = (50, 1_500);
                    spec.root = format!("{}/l{li}s{spec_i}", spec.root);
                    let k = chunk.min(left);
                    write_tree(w, &mut rng, &spec, k)?;
                    left -= k;
                    spec_i = (spec_i + 1) % 3;
                }
                Ok(())
            },
            &created_by,
        )?);
    }
    Ok(layers)
}
