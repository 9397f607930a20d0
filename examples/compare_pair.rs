//! Writes two builds of one small app as `docker save` tars, for the compare view's screenshot
//! (`screenshots/make.sh`) and for trying `layerscope diff` by hand:
//!
//!     cargo run --example compare_pair -- OUTDIR      # writes OUTDIR/app-1.4.tar, OUTDIR/app-1.5.tar
//!
//! 1.5 shares the base layer, edits two files, drops an AWS key from its config, adds a token in
//! `app/.env` and a cache layer. Every secret is a generated fake.

use std::path::PathBuf;

use layerscope_imagegen::{fake, write_image, Compression, ImageSpec, Layout, Node, Step};

fn base() -> Step {
    Step::layer(
        "/bin/sh -c #(nop) ADD file:3f1c2a in / ",
        vec![
            Node::dir("etc"),
            Node::file("etc/os-release", "NAME=Base\nVERSION=3.19\n"),
            Node::dir("usr"),
            Node::dir("usr/bin"),
            Node::file("usr/bin/python3", vec![0x7fu8; 40_000]).mode(0o755),
            Node::dir("var"),
            Node::dir("var/cache"),
        ],
    )
    .at("2024-01-01T00:00:00Z")
}

fn app(version: &str, main: &str, config: &str, extra: Vec<Node>) -> Step {
    let mut nodes = vec![
        Node::dir("app"),
        Node::file("app/main.py", main),
        Node::file("app/config.py", config),
        Node::file("app/README", format!("the app, release {version}\n")),
        Node::file("app/run.sh", "#!/bin/sh\nexec python3 /app/main.py\n").mode(0o755),
    ];
    nodes.extend(extra);
    Step::layer("COPY app /app # buildkit", nodes).at("2024-03-01T10:00:00Z")
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: compare_pair OUTDIR");
        std::process::exit(2)
    }));
    std::fs::create_dir_all(&out).expect("OUTDIR");
    let key = {
        let mut r = fake::Rng::from_label("compare-pair-aws");
        format!("AKIA{}", r.string(fake::UPPER_B32, 16))
    };
    let v14 = ImageSpec {
        name: "example/app:1.4".into(),
        steps: vec![
            base(),
            app(
                "1.4",
                "print('hello from 1.4')\n",
                &format!("REGION = 'eu-west-1'\nAWS_ACCESS_KEY_ID = '{key}'\n"),
                vec![],
            ),
            Step::empty("CMD [\"/app/run.sh\"]").at("2024-03-01T10:00:01Z"),
        ],
        ..ImageSpec::default()
    };
    let v15 = ImageSpec {
        name: "example/app:1.5".into(),
        steps: vec![
            base(),
            app(
                "1.5",
                "print('hello from 1.5')\n",
                "REGION = 'eu-west-1'\n",
                vec![Node::file(
                    "app/.env",
                    format!("GITHUB_TOKEN={}\n", fake::github_pat("compare-pair-token")),
                )],
            ),
            Step::layer(
                "RUN /bin/sh -c make cache # buildkit",
                vec![Node::file("var/cache/app.cache", vec![7u8; 300_000])],
            )
            .at("2024-04-01T09:00:00Z"),
            Step::empty("CMD [\"/app/run.sh\"]").at("2024-04-01T09:00:01Z"),
        ],
        ..ImageSpec::default()
    };
    for (spec, name) in [(v14, "app-1.4.tar"), (v15, "app-1.5.tar")] {
        let p = out.join(name);
        write_image(&spec, Layout::DockerLegacy, Compression::None, &p).expect("write");
        println!("{}", p.display());
    }
}
