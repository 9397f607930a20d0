//! Image names: `repo:tag` splitting and the familiar and full repository forms.

/// (repository, tag) of `repo[:tag][@digest]`; tag defaults to `latest`.
pub(super) fn split_name(name: &str) -> (String, String) {
    let name = name.split('@').next().unwrap_or(name);
    let last_slash = name.rfind('/').map(|i| i + 1).unwrap_or(0);
    match name[last_slash..].rfind(':') {
        Some(i) => (
            name[..last_slash + i].to_string(),
            name[last_slash + i + 1..].to_string(),
        ),
        None => (name.to_string(), "latest".to_string()),
    }
}

/// Docker's familiar name (`RepoTags`, `repositories`): no `docker.io/[library/]`.
pub(super) fn familiar_repo(repo: &str) -> String {
    let r = repo.strip_prefix("docker.io/").unwrap_or(repo);
    r.strip_prefix("library/").unwrap_or(r).to_string()
}

/// Fully qualified name (`io.containerd.image.name`).
pub(super) fn full_repo(repo: &str) -> String {
    let first = repo.split('/').next().unwrap_or("");
    let has_domain =
        repo.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    if has_domain {
        repo.to_string()
    } else if repo.contains('/') {
        format!("docker.io/{repo}")
    } else {
        format!("docker.io/library/{repo}")
    }
}

pub(super) fn repo_tags(name: &str) -> Option<Vec<String>> {
    if name.is_empty() {
        return None;
    }
    let (repo, tag) = split_name(name);
    Some(vec![format!("{}:{}", familiar_repo(&repo), tag)])
}
