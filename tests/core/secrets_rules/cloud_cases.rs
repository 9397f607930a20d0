//! Cases for cloud providers, source hosting and package registries.

use super::*;

/// Cloud provider keys.
pub(super) fn cloud(g: &mut Gen, v: &mut Vec<Case>) {
    // --- cloud
    let s = format!("AKIA{}", g.s(B32, 16));
    v.push(pos(
        "aws-access-token",
        F,
        format!("aws_access_key_id = {s}\n"),
        s,
    ));
    v.push(neg(
        "aws-access-token",
        F,
        format!("id = AKIA{}\n", g.s(B32, 15)),
    ));
    v.push(neg(
        "aws-access-token",
        F,
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    ));

    let s = g.s(B64, 40);
    v.push(pos(
        "aws-secret-access-key",
        Via::File("app/deploy.sh"),
        format!("export AWS_SECRET_ACCESS_KEY=\"{s}\"\n"),
        s,
    ));
    v.push(neg(
        "aws-secret-access-key",
        F,
        format!("AWS_SECRET_ACCESS_KEY={}\n", g.s(B64, 39)),
    ));
    v.push(neg(
        "aws-secret-access-key",
        F,
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    ));

    let key = pem(g, "PRIVATE KEY", &Gen::new(7).bytes(600)).replace('\n', "\\n");
    let sa = |ty: &str| {
        format!(
            "{{\n  \"type\": \"{ty}\",\n  \"project_id\": \"proj-1\",\n  \"private_key_id\": \"{}\",\n  \"private_key\": \"{key}\\n\",\n  \"client_email\": \"svc@proj-1.iam.gserviceaccount.com\",\n  \"auth_provider_x509_cert_url\": \"https://www.googleapis.com/oauth2/v1/certs\"\n}}\n",
            "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233"
        )
    };
    v.push(pos(
        "gcp-service-account",
        Via::File("app/sa.json"),
        sa("service_account"),
        key.clone(),
    ));
    v.push(neg(
        "gcp-service-account",
        Via::File("app/sa.json"),
        sa("authorized_user"),
    ));

    let s = format!("AIza{}", g.s(WORD, 35));
    v.push(pos("gcp-api-key", F, format!("maps_key: \"{s}\"\n"), s));
    v.push(neg(
        "gcp-api-key",
        F,
        format!("maps_key: \"AIza{}\"\n", g.s(WORD, 30)),
    ));

    let s = format!("GOCSPX-{}", g.s(WORD, 28));
    v.push(pos(
        "gcp-oauth-client-secret",
        F,
        format!("\"client_secret\":\"{s}\"\n"),
        s,
    ));
    v.push(neg(
        "gcp-oauth-client-secret",
        F,
        format!("\"client_secret\":\"GOCSPX-{}\"\n", g.s(WORD, 20)),
    ));

    let s = format!("{}==", g.s(B64, 86));
    v.push(pos("azure-storage-account-key", F, format!("DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey={s};EndpointSuffix=core.windows.net\n"), s));
    v.push(neg(
        "azure-storage-account-key",
        F,
        format!("AccountKey={}==\n", g.s(B64, 60)),
    ));

    let s = format!("{}8Q~{}", g.s(ALNUM, 3), g.s(ALNUM, 34));
    v.push(pos(
        "azure-ad-client-secret",
        F,
        format!("client_secret = \"{s}\"\n"),
        s,
    ));
    v.push(neg(
        "azure-ad-client-secret",
        F,
        format!(
            "client_secret = \"{}8Q~{}\"\n",
            g.s(ALNUM, 3),
            g.s(ALNUM, 20)
        ),
    ));

    let s = format!("dop_v1_{}", g.s(HEX, 64));
    v.push(pos("digitalocean-pat", F, format!("DO_TOKEN={s}\n"), s));
    v.push(neg(
        "digitalocean-pat",
        F,
        format!("DO_TOKEN=dop_v1_{}\n", g.s(HEX, 63)),
    ));
}

/// Source hosting tokens.
pub(super) fn source_hosting(g: &mut Gen, v: &mut Vec<Case>) {
    // --- source hosting
    let s = format!("ghp_{}", g.s(ALNUM, 36));
    v.push(pos("github-pat", F, format!("token: {s}\n"), s));
    v.push(neg(
        "github-pat",
        F,
        format!("token: ghp_{}\n", g.s(ALNUM, 35)),
    ));

    let s = format!("github_pat_{}_{}", g.s(ALNUM, 22), g.s(ALNUM, 59));
    v.push(pos("github-fine-grained-pat", F, format!("GH={s}\n"), s));
    v.push(neg(
        "github-fine-grained-pat",
        F,
        format!("GH=github_pat_{}\n", g.s(ALNUM, 60)),
    ));

    let s = format!("gho_{}", g.s(ALNUM, 36));
    v.push(pos("github-oauth", F, format!("oauth_token: {s}\n"), s));
    v.push(neg(
        "github-oauth",
        F,
        format!("oauth_token: gho_{}\n", g.s(ALNUM, 30)),
    ));

    let s = format!("ghs_{}", g.s(ALNUM, 36));
    v.push(pos(
        "github-app-token",
        F,
        format!("x-access-token:{s}\n"),
        s,
    ));
    let s = format!("ghu_{}", g.s(ALNUM, 36));
    v.push(pos("github-app-token", F, format!("{s}\n"), s));
    let s = format!("ghs_{}_{}", 1234567, jwt(g));
    v.push(pos(
        "github-app-token",
        F,
        format!("GITHUB_TOKEN={s} make\n"),
        s,
    ));
    v.push(neg(
        "github-app-token",
        F,
        format!("ghs_{}\n", g.s(ALNUM, 30)),
    ));

    let s = format!("ghr_{}", g.s(ALNUM, 36));
    v.push(pos("github-refresh-token", F, format!("refresh={s}\n"), s));
    v.push(neg(
        "github-refresh-token",
        F,
        format!("refresh=ghr_{}\n", g.s(ALNUM, 30)),
    ));

    let s = format!("glpat-{}", g.s(WORD, 20));
    v.push(pos("gitlab-pat", F, format!("GITLAB_TOKEN={s}\n"), s));
    let s = format!("glpat-{}.{}", g.s(WORD, 36), g.s(LOWER_ALNUM, 9));
    v.push(pos("gitlab-pat", F, format!("GITLAB_TOKEN={s}\n"), s));
    v.push(neg(
        "gitlab-pat",
        F,
        format!("GITLAB_TOKEN=glpat-{}\n", g.s(WORD, 15)),
    ));

    let s = format!("glrt-{}", g.s(WORD, 20));
    v.push(pos(
        "gitlab-runner-token",
        F,
        format!("token = \"{s}\"\n"),
        s,
    ));
    v.push(neg(
        "gitlab-runner-token",
        F,
        format!("token = \"glrt-{}\"\n", g.s(WORD, 10)),
    ));

    let s = format!("gldt-{}", g.s(WORD, 20));
    v.push(pos("gitlab-deploy-token", F, format!("password: {s}\n"), s));
    v.push(neg(
        "gitlab-deploy-token",
        F,
        format!("password: gldt-{}\n", g.s(WORD, 10)),
    ));

    let s = format!("glcbt-64_{}", g.s(WORD, 20));
    v.push(pos(
        "gitlab-cicd-job-token",
        F,
        format!("CI_JOB_TOKEN={s}\n"),
        s,
    ));
    v.push(neg(
        "gitlab-cicd-job-token",
        F,
        format!("CI_JOB_TOKEN=glcbt-{}\n", g.s(ALNUM, 20)),
    ));
}

/// Package and image registry tokens.
pub(super) fn registries(g: &mut Gen, v: &mut Vec<Case>) {
    // --- registries
    let s = format!("npm_{}", g.s(LOWER_ALNUM, 36));
    v.push(pos(
        "npm-access-token",
        Via::File("app/build.sh"),
        format!("NPM_TOKEN={s} npm publish\n"),
        s,
    ));
    v.push(neg(
        "npm-access-token",
        F,
        format!("npm_{}\n", g.s(LOWER_ALNUM, 35)),
    ));

    let s = format!("pypi-AgEIcHlwaS5vcmc{}", g.s(WORD, 60));
    v.push(pos(
        "pypi-upload-token",
        F,
        format!("TWINE_PASSWORD={s}\n"),
        s,
    ));
    v.push(neg(
        "pypi-upload-token",
        F,
        format!("TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmc{}\n", g.s(WORD, 40)),
    ));

    let s = format!("rubygems_{}", g.s(HEX, 48));
    v.push(pos(
        "rubygems-api-token",
        Via::File("root/.gem/credentials"),
        format!("---\n:rubygems_api_key: {s}\n"),
        s,
    ));
    v.push(neg(
        "rubygems-api-token",
        F,
        format!("rubygems_{}\n", g.s(HEX, 47)),
    ));

    let s = format!("oy2{}", g.s(LOWER_ALNUM, 43));
    v.push(pos(
        "nuget-api-key",
        F,
        format!("dotnet nuget push -k {s} pkg.nupkg\n"),
        s,
    ));
    v.push(neg(
        "nuget-api-key",
        F,
        format!("oy2{}\n", g.s(LOWER_ALNUM, 42)),
    ));

    let pw = g.s(ALNUM, 16);
    let xml = format!("<configuration><packageSourceCredentials><src>\n  <add key=\"Username\" value=\"bob\" />\n  <add key=\"ClearTextPassword\" value=\"{pw}\" />\n</src></packageSourceCredentials></configuration>\n");
    v.push(pos(
        "nuget-config-password",
        Via::File("app/NuGet.Config"),
        xml.clone(),
        pw,
    ));
    v.push(neg(
        "nuget-config-password",
        Via::File("app/other.xml"),
        xml,
    ));

    let s = format!("dckr_pat_{}", g.s(WORD, 27));
    v.push(pos(
        "dockerhub-pat",
        F,
        format!("echo {s} | docker login -u bob --password-stdin\n"),
        s,
    ));
    let s = format!("dckr_oat_{}", g.s(WORD, 32));
    v.push(pos("dockerhub-pat", F, format!("DOCKERHUB_TOKEN={s}\n"), s));
    v.push(neg(
        "dockerhub-pat",
        F,
        format!("dckr_pat_{}\n", g.s(WORD, 20)),
    ));

    let s = format!("AKCp{}", g.s(ALNUM, 69));
    v.push(pos(
        "artifactory-api-key",
        F,
        format!("X-JFrog-Art-Api: {s}\n"),
        s,
    ));
    v.push(neg(
        "artifactory-api-key",
        F,
        format!("AKCp{}\n", g.s(ALNUM, 60)),
    ));

    let s = format!("cmVmd{}", g.s(ALNUM, 59));
    v.push(pos(
        "artifactory-reference-token",
        F,
        format!("ARTIFACTORY_TOKEN={s}\n"),
        s,
    ));
    v.push(neg(
        "artifactory-reference-token",
        F,
        format!("cmVmd{}\n", g.s(ALNUM, 50)),
    ));

    let s = format!("SWMTKN-1-{}-{}", g.s(LOWER_ALNUM, 50), g.s(LOWER_ALNUM, 25));
    v.push(pos(
        "docker-swarm-join-token",
        F,
        format!("docker swarm join --token {s} 10.0.0.1:2377\n"),
        s,
    ));
    v.push(neg(
        "docker-swarm-join-token",
        F,
        format!("SWMTKN-1-{}\n", g.s(LOWER_ALNUM, 40)),
    ));
}
