//! npm: `node_modules/<name>/package.json` and `node_modules/@scope/<name>/package.json`. A
//! package owns its folder, except nested `node_modules` (other packages).

use super::Package;

/// Bytes of one `package.json` read at most.
pub const MAX_PACKAGE_JSON: u64 = 1 << 20;

/// Is this path a package's own manifest (not a `package.json` deep inside a package)?
pub fn is_manifest(path: &[u8]) -> bool {
    let Some(dir) = path.strip_suffix(b"/package.json") else {
        return false;
    };
    let comps: Vec<&[u8]> = dir.split(|&b| b == b'/').collect();
    let n = comps.len();
    (n >= 2
        && comps[n - 2] == b"node_modules"
        && !comps[n - 1].starts_with(b"@")
        && !comps[n - 1].starts_with(b"."))
        || (n >= 3 && comps[n - 3] == b"node_modules" && comps[n - 2].starts_with(b"@"))
}

pub fn parse(dir: &[u8], data: &[u8], shown: &str, warnings: &mut Vec<String>) -> Option<Package> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        name: Option<String>,
        version: Option<String>,
    }
    let m: Manifest = match serde_json::from_slice(data) {
        Ok(m) => m,
        Err(e) => {
            warnings.push(format!("{shown}: not a package manifest ({e}); skipped"));
            return None;
        }
    };
    let folder =
        String::from_utf8_lossy(dir.rsplit(|&b| b == b'/').next().unwrap_or(dir)).into_owned();
    Some(Package {
        name: m.name.filter(|n| !n.is_empty()).unwrap_or(folder),
        version: m.version.unwrap_or_default(),
        arch: None,
        files: Vec::new(),
        dirs: vec![dir.to_vec()],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_only_at_package_roots() {
        assert!(is_manifest(b"app/node_modules/ms/package.json"));
        assert!(is_manifest(b"node_modules/@types/node/package.json"));
        assert!(!is_manifest(b"app/node_modules/ms/lib/package.json"));
        assert!(!is_manifest(b"app/package.json"));
        assert!(!is_manifest(b"node_modules/@types/package.json"));
    }
}
