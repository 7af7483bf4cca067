//! Where and as whom a run gets its tokens, from the variables Azure Identity reads:
//! `AZURE_TENANT_ID` and `AZURE_CLIENT_ID`, with one credential — `AZURE_CLIENT_SECRET`,
//! `AZURE_CLIENT_CERTIFICATE_PATH` (PEM: the key and the certificate),
//! `AZURE_FEDERATED_TOKEN_FILE` (workload identity), or GitHub's OIDC token
//! (`ACTIONS_ID_TOKEN_REQUEST_URL` / `_TOKEN`, with `permissions: id-token: write`). The
//! authority is `AZURE_AUTHORITY_HOST` (an https URL or a bare host), else the one of the
//! Graph host's cloud.

use std::path::PathBuf;
use std::sync::Arc;

use super::assertion::Certificate;
use crate::target::secret::Secret;

/// The public cloud's authority.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

/// The national clouds' Graph hosts and their authorities (Microsoft's "National cloud
/// deployments": US Government L4 and L5 (DOD) sign in at login.microsoftonline.us, China
/// operated by 21Vianet at login.chinacloudapi.cn).
const NATIONAL_CLOUDS: &[(&str, &str)] = &[
    ("graph.microsoft.us", "https://login.microsoftonline.us"),
    ("dod-graph.microsoft.us", "https://login.microsoftonline.us"),
    (
        "microsoftgraph.chinacloudapi.cn",
        "https://login.chinacloudapi.cn",
    ),
];

/// How the application proves who it is.
#[derive(Clone)]
pub enum ClientAuth {
    /// `AZURE_CLIENT_SECRET`.
    Secret(Secret),
    /// `AZURE_CLIENT_CERTIFICATE_PATH`: assertions signed with its key.
    Certificate(Arc<Certificate>),
    /// `AZURE_FEDERATED_TOKEN_FILE`: the file is read again for every token (it is rotated).
    FederatedTokenFile(PathBuf),
    /// GitHub's OIDC token, asked for every token.
    GitHubOidc {
        /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
        request_url: String,
        /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
        request_token: Secret,
    },
}

impl ClientAuth {
    /// What the credential is, for messages (never its value).
    pub fn kind(&self) -> &'static str {
        match self {
            ClientAuth::Secret(_) => "client secret",
            ClientAuth::Certificate(_) => "certificate",
            ClientAuth::FederatedTokenFile(_) => "federated token file",
            ClientAuth::GitHubOidc { .. } => "GitHub OIDC token",
        }
    }
}

/// Where and as whom to get tokens.
#[derive(Clone)]
pub struct ClientCredentials {
    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    pub token_url: String,
    /// The application (client) id.
    pub client_id: String,
    /// How it proves who it is.
    pub auth: ClientAuth,
    /// `{resource origin}/.default`.
    pub scope: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("auth", &self.auth.kind())
            .finish()
    }
}

/// Why the `AZURE_*` variables give no usable credentials.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialsError {
    /// A tenant and a client id, but nothing proving who the client is.
    #[error(
        "AZURE_TENANT_ID and AZURE_CLIENT_ID are set, but no credential: set AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE (in GitHub Actions, grant the job `permissions: id-token: write` for its OIDC token)"
    )]
    NoCredential,
    /// One of tenant and client id without the other.
    #[error("{set} is set but {missing} is not: client credentials need both")]
    Partial {
        /// The variable set.
        set: &'static str,
        /// The variable missing.
        missing: &'static str,
    },
    /// `AZURE_AUTHORITY_HOST` is neither an https URL nor a host.
    #[error(
        "AZURE_AUTHORITY_HOST `{0}` is not an authority: give a host (login.microsoftonline.us) or an https URL (https://login.microsoftonline.us)"
    )]
    Authority(String),
    /// The certificate file cannot be used.
    #[error("AZURE_CLIENT_CERTIFICATE_PATH {path}: {problem}")]
    Certificate {
        /// The file.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// The authority for a Graph base URL: `explicit` (`AZURE_AUTHORITY_HOST`: a URL, or a bare
/// host meaning https) when given, else the authority of the Graph host's national cloud, else
/// the public cloud's.
pub fn authority(base_url: &str, explicit: Option<&str>) -> Result<String, CredentialsError> {
    if let Some(given) = explicit {
        let trimmed = given.trim().trim_end_matches('/');
        let url = if trimmed.contains("://") {
            trimmed.to_string()
        } else {
            format!("https://{trimmed}")
        };
        let parsed = reqwest::Url::parse(&url)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.host_str().is_some())
            .filter(|u| u.query().is_none() && u.fragment().is_none());
        return match parsed {
            Some(_) if !trimmed.is_empty() => Ok(url),
            _ => Err(CredentialsError::Authority(given.to_string())),
        };
    }
    let host = reqwest::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    Ok(NATIONAL_CLOUDS
        .iter()
        .find(|(graph, _)| host.as_deref() == Some(*graph))
        .map_or(DEFAULT_AUTHORITY, |(_, authority)| *authority)
        .to_string())
}

impl ClientCredentials {
    /// From the `AZURE_*` (and GitHub's `ACTIONS_ID_TOKEN_REQUEST_*`) variables, for a target
    /// whose base URL is `base_url`: `None` when neither a tenant nor a client id is set.
    pub fn from_env(
        base_url: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<ClientCredentials>, CredentialsError> {
        let (tenant, client_id) = match (env("AZURE_TENANT_ID"), env("AZURE_CLIENT_ID")) {
            (None, None) => return Ok(None),
            (Some(_), None) => {
                return Err(CredentialsError::Partial {
                    set: "AZURE_TENANT_ID",
                    missing: "AZURE_CLIENT_ID",
                });
            }
            (None, Some(_)) => {
                return Err(CredentialsError::Partial {
                    set: "AZURE_CLIENT_ID",
                    missing: "AZURE_TENANT_ID",
                });
            }
            (Some(t), Some(c)) => (t, c),
        };
        let auth = if let Some(secret) = env("AZURE_CLIENT_SECRET") {
            ClientAuth::Secret(Secret::new(secret))
        } else if let Some(path) = env("AZURE_CLIENT_CERTIFICATE_PATH") {
            let problem = |problem: String| CredentialsError::Certificate {
                path: path.clone(),
                problem,
            };
            let bytes = std::fs::read(&path).map_err(|e| problem(e.to_string()))?;
            ClientAuth::Certificate(Arc::new(Certificate::from_pem(&bytes).map_err(problem)?))
        } else if let Some(file) = env("AZURE_FEDERATED_TOKEN_FILE") {
            ClientAuth::FederatedTokenFile(PathBuf::from(file))
        } else if let (Some(request_url), Some(token)) = (
            env("ACTIONS_ID_TOKEN_REQUEST_URL"),
            env("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
        ) {
            ClientAuth::GitHubOidc {
                request_url,
                request_token: Secret::new(token),
            }
        } else {
            return Err(CredentialsError::NoCredential);
        };
        let authority = authority(base_url, env("AZURE_AUTHORITY_HOST").as_deref())?;
        Ok(Some(ClientCredentials {
            token_url: format!("{authority}/{tenant}/oauth2/v2.0/token"),
            client_id,
            auth,
            scope: format!("{}/.default", crate::target::url::origin(base_url)),
        }))
    }

    /// The secrets these credentials hold (the client secret, GitHub's request token).
    pub fn secrets(&self) -> Vec<Secret> {
        match &self.auth {
            ClientAuth::Secret(s) => vec![s.clone()],
            ClientAuth::GitHubOidc { request_token, .. } => vec![request_token.clone()],
            ClientAuth::Certificate(_) | ClientAuth::FederatedTokenFile(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::public("https://graph.microsoft.com/beta", None, Ok(DEFAULT_AUTHORITY))]
    #[case::us_gov(
        "https://graph.microsoft.us/beta",
        None,
        Ok("https://login.microsoftonline.us")
    )]
    #[case::dod(
        "https://dod-graph.microsoft.us/beta",
        None,
        Ok("https://login.microsoftonline.us")
    )]
    #[case::china(
        "https://microsoftgraph.chinacloudapi.cn/beta",
        None,
        Ok("https://login.chinacloudapi.cn")
    )]
    #[case::look_alike("https://graph.microsoft.us.example/beta", None, Ok(DEFAULT_AUTHORITY))]
    #[case::bare_host(
        "https://graph.microsoft.com/beta",
        Some("login.microsoftonline.us"),
        Ok("https://login.microsoftonline.us")
    )]
    #[case::bare_host_slash(
        "https://graph.microsoft.com/beta",
        Some("login.microsoftonline.us/"),
        Ok("https://login.microsoftonline.us")
    )]
    #[case::url(
        "https://graph.microsoft.us/beta",
        Some("https://login.microsoftonline.us/"),
        Ok("https://login.microsoftonline.us")
    )]
    #[case::explicit_wins(
        "https://graph.microsoft.us/beta",
        Some("https://login.microsoftonline.com"),
        Ok(DEFAULT_AUTHORITY)
    )]
    #[case::loopback(
        "http://127.0.0.1:9/beta",
        Some("http://127.0.0.1:9"),
        Ok("http://127.0.0.1:9")
    )]
    #[case::empty("https://graph.microsoft.com/beta", Some(" "), Err(()))]
    #[case::other_scheme("https://graph.microsoft.com/beta", Some("ftp://login"), Err(()))]
    #[case::query("https://graph.microsoft.com/beta", Some("https://login?x=1"), Err(()))]
    #[case::spaces("https://graph.microsoft.com/beta", Some("login microsoft"), Err(()))]
    fn the_authority_is_given_or_inferred_from_the_graph_host(
        #[case] base_url: &str,
        #[case] explicit: Option<&str>,
        #[case] expected: Result<&str, ()>,
    ) {
        let got = authority(base_url, explicit);
        match expected {
            Ok(url) => assert_eq!(got, Ok(url.to_string())),
            Err(()) => assert!(
                matches!(got, Err(CredentialsError::Authority(_))),
                "{got:?}"
            ),
        }
    }

    fn env_of(pairs: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        let pairs = pairs.to_vec();
        move |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.to_string())
        }
    }

    const IDS: [(&str, &str); 2] = [("AZURE_TENANT_ID", "t-1"), ("AZURE_CLIENT_ID", "c-1")];

    #[test]
    fn credentials_come_from_the_environment_and_never_show() {
        let env = env_of(&[IDS[0], IDS[1], ("AZURE_CLIENT_SECRET", "very-secret-value")]);
        let c = ClientCredentials::from_env("https://graph.microsoft.com/beta", env)
            .unwrap()
            .unwrap();
        assert_eq!(
            c.token_url,
            "https://login.microsoftonline.com/t-1/oauth2/v2.0/token"
        );
        assert_eq!(c.scope, "https://graph.microsoft.com/.default");
        assert!(!format!("{c:?}").contains("very-secret-value"));
        assert_eq!(c.secrets().len(), 1);
        // A US Government Graph host signs in at its own authority without AZURE_AUTHORITY_HOST.
        let env = env_of(&[IDS[0], IDS[1], ("AZURE_CLIENT_SECRET", "s")]);
        let c = ClientCredentials::from_env("https://graph.microsoft.us/beta", env)
            .unwrap()
            .unwrap();
        assert_eq!(
            c.token_url,
            "https://login.microsoftonline.us/t-1/oauth2/v2.0/token"
        );
        assert_eq!(c.scope, "https://graph.microsoft.us/.default");
        assert_eq!(
            ClientCredentials::from_env("https://x/beta", |_| None).map(|c| c.is_some()),
            Ok(false)
        );
    }

    #[rstest]
    #[case::secret(&[("AZURE_CLIENT_SECRET", "s")], Ok("client secret"))]
    #[case::federated(&[("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token")], Ok("federated token file"))]
    #[case::github(&[("ACTIONS_ID_TOKEN_REQUEST_URL", "https://gh/x?a=1"), ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "r")], Ok("GitHub OIDC token"))]
    #[case::github_without_token(&[("ACTIONS_ID_TOKEN_REQUEST_URL", "https://gh/x?a=1")], Err(CredentialsError::NoCredential))]
    #[case::secret_first(&[("AZURE_CLIENT_SECRET", "s"), ("AZURE_FEDERATED_TOKEN_FILE", "/f")], Ok("client secret"))]
    #[case::nothing(&[], Err(CredentialsError::NoCredential))]
    #[case::missing_certificate(&[("AZURE_CLIENT_CERTIFICATE_PATH", "/nonexistent/cert.pem")], Err(CredentialsError::Certificate { path: "/nonexistent/cert.pem".into(), problem: String::new() }))]
    fn the_credential_is_the_first_one_set(
        #[case] extra: &[(&'static str, &'static str)],
        #[case] expected: Result<&str, CredentialsError>,
    ) {
        let mut pairs = IDS.to_vec();
        pairs.extend_from_slice(extra);
        let got = ClientCredentials::from_env("https://graph.microsoft.com/beta", env_of(&pairs));
        match (got, expected) {
            (Ok(Some(c)), Ok(kind)) => assert_eq!(c.auth.kind(), kind),
            (
                Err(CredentialsError::Certificate { path, .. }),
                Err(CredentialsError::Certificate { path: want, .. }),
            ) => {
                assert_eq!(path, want)
            }
            (Err(e), Err(want)) => assert_eq!(e, want),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn a_tenant_or_client_id_alone_is_named() {
        let got = ClientCredentials::from_env("https://x/beta", env_of(&[IDS[0]]));
        assert_eq!(
            got.unwrap_err().to_string(),
            "AZURE_TENANT_ID is set but AZURE_CLIENT_ID is not: client credentials need both"
        );
        let got = ClientCredentials::from_env("https://x/beta", env_of(&[IDS[1]]));
        assert!(matches!(
            got,
            Err(CredentialsError::Partial {
                set: "AZURE_CLIENT_ID",
                ..
            })
        ));
    }
}
