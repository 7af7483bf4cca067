//! The target the flags name, and how its starting states come to exist: the embedded
//! reference mock without `--base-url`; otherwise a remote target (refused before any request
//! when it is not this machine and writes are not allowed), with a static token or
//! client-credentials tokens; then the provisioner the `--fixtures` strategy asks for.

use std::sync::Arc;
use std::time::Duration;

use super::args::{Cli, FixtureStrategy};
use super::error::CommandError;
use crate::live::graph::GraphProvisioner;
use crate::provision::{ControlProtocol, Provisioner};
use crate::selfcheck::embedded::{Embedded, EmbeddedOptions};
use crate::target::credential::{Credential, CredentialArg};
use crate::target::oauth::{ClientCredentials, TokenCache};
use crate::target::{Secret, Target};

/// Parses `--credential NAME=TOKEN` values; errors never repeat the token.
fn parse_credentials(raw: &[String]) -> Result<Vec<CredentialArg>, CommandError> {
    raw.iter()
        .map(|r| {
            r.parse::<CredentialArg>().map_err(|e| {
                let shown = r
                    .split_once('=')
                    .map_or("…".to_string(), |(n, _)| format!("{n}=…"));
                CommandError::Usage(format!("invalid --credential `{shown}`: {e}"))
            })
        })
        .collect()
}

/// The target the flags name — or, without `--base-url`, the embedded reference mock,
/// started in-process with a token of its own and one of each restricted credential.
pub fn connect(
    cli: &Cli,
    runtime: &tokio::runtime::Runtime,
    listing: bool,
) -> Result<(Target, Option<Embedded>), CommandError> {
    let given: Vec<(Credential, String)> = parse_credentials(&cli.credentials)?
        .into_iter()
        .map(|c| (c.credential, c.token))
        .collect();
    let timeout = Duration::from_secs(cli.timeout);
    if cli.base_url.is_none() && !listing {
        let mut options = EmbeddedOptions::fresh();
        if let Some(t) = &cli.token {
            options.token = t.clone();
        }
        for (c, t) in &mut options.credentials {
            if let Some((_, given)) = given.iter().find(|(g, _)| g == c) {
                *t = given.clone();
            }
        }
        options.timeout = timeout;
        options.max_body = cli.max_response_bytes;
        // The embedded mock stands for a tenant that takes what the run is allowed to send.
        options.lifecycle.accept_group_filter = cli.allow_undocumented_group_filter;
        let embedded = runtime
            .block_on(Embedded::start(options))
            .map_err(|e| CommandError::Setup(format!("cannot start the embedded mock: {e}")))?;
        return Ok((embedded.target.clone(), Some(embedded)));
    }
    // A dry sweep only reads.
    let allow_writes = cli.allow_tenant_writes || (cli.sweep && cli.dry_run);
    if let Some(url) = &cli.base_url
        && !listing
    {
        crate::target::safety::check("--base-url", url, allow_writes)
            .map_err(|e| CommandError::Usage(e.to_string()))?;
        if let Some(control) = &cli.control_url {
            crate::target::safety::check("--control-url", control, allow_writes)
                .map_err(|e| CommandError::Usage(e.to_string()))?;
        }
    }
    // Listing sends nothing: a placeholder address is enough.
    let base_url = cli.base_url.as_deref().unwrap_or("http://127.0.0.1:0/beta");
    let target = Target::new(
        base_url,
        cli.control_url.as_deref(),
        cli.token.clone().map(Secret::new),
        timeout,
        cli.max_response_bytes,
    )
    .map_err(|e| CommandError::Usage(e.to_string()))?
    .with_credentials(given);
    let mut target = with_setup_base(target, cli.setup_base_url.as_deref())?;
    if let Some(secs) = cli.request_deadline {
        target.deadline = Duration::from_secs(secs);
    }
    target.control_authorized |= cli.send_token_to_control_url;
    let target = with_client_credentials(cli, target, runtime, listing)?;
    if !listing {
        require_credentials(&target)?;
    }
    Ok((target, None))
}

/// A target that is not this machine gets no tokenless request: without `--token` /
/// `GRAPH_TOKEN` or complete client credentials, the run stops before any request and says
/// what to set (a loopback mock may accept anything).
fn require_credentials(target: &Target) -> Result<(), CommandError> {
    let host = host_of(&target.base_url);
    if target.run_token().is_some()
        || target.flow.is_some()
        || crate::target::safety::is_loopback(&host)
    {
        return Ok(());
    }
    Err(CommandError::Usage(format!(
        "no credentials for {host}: set GRAPH_TOKEN (or --token), or AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE; nothing was sent"
    )))
}

/// The target with `--setup-base-url`, which must be on the base URL's origin (the token
/// goes nowhere else).
fn with_setup_base(mut target: Target, setup: Option<&str>) -> Result<Target, CommandError> {
    let Some(setup) = setup else {
        return Ok(target);
    };
    let setup = setup.trim_end_matches('/');
    let origin = crate::target::url::origin;
    if !origin(setup).eq_ignore_ascii_case(origin(&target.base_url)) || !setup.contains("://") {
        return Err(CommandError::Usage(format!(
            "--setup-base-url {setup} is not on the base URL's origin ({}): give a URL there, such as {}/v1.0",
            origin(&target.base_url),
            origin(&target.base_url)
        )));
    }
    target.setup_base_url = setup.to_string();
    Ok(target)
}

/// The host of a URL, or nothing.
fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default()
}

/// Without `--token`, client credentials from `AZURE_TENANT_ID` / `AZURE_CLIENT_ID` and a
/// secret, certificate or federated token (see [`ClientCredentials::from_env`]): the first
/// token is fetched now, so that bad credentials stop the run before any trial.
fn with_client_credentials(
    cli: &Cli,
    mut target: Target,
    runtime: &tokio::runtime::Runtime,
    listing: bool,
) -> Result<Target, CommandError> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if cli.token.is_some() || listing {
        return Ok(target);
    }
    let credentials = match ClientCredentials::from_env(&target.base_url, env) {
        Ok(Some(credentials)) => credentials,
        Ok(None) => return Ok(target),
        // A loopback mock may accept anything: half-set variables are not a reason to stop.
        Err(_) if crate::target::safety::is_loopback(&host_of(&target.base_url)) => {
            return Ok(target);
        }
        Err(e) => {
            return Err(CommandError::Usage(format!(
                "no credentials for {}: {e}; nothing was sent",
                host_of(&target.base_url)
            )));
        }
    };
    crate::target::safety::check(
        "AZURE_AUTHORITY_HOST",
        &credentials.token_url,
        cli.allow_tenant_writes,
    )
    .or_else(|e| match e {
        // Asking for a token writes nothing.
        crate::target::safety::SafetyError::WritesNotAllowed { .. } => Ok(()),
        other => Err(other),
    })
    .map_err(|e| CommandError::Usage(e.to_string()))?;
    let cache = TokenCache::new(credentials, target.timeout)
        .map_err(|e| CommandError::Setup(e.to_string()))?;
    runtime
        .block_on(cache.fresh())
        .map_err(|e| CommandError::Setup(format!("cannot get a token: {e}")))?;
    target.flow = Some(Arc::new(cache));
    Ok(target)
}

/// The provisioner `--fixtures` asks for; with `graph`, also the live run (whose leftovers the
/// command deletes at the end and on a signal).
pub fn provisioner(cli: &Cli, target: &Target) -> (Arc<dyn Provisioner>, Option<GraphProvisioner>) {
    match cli.fixtures {
        FixtureStrategy::Control => (Arc::new(ControlProtocol::new(target.clone())), None),
        FixtureStrategy::Graph => {
            let run_id = uuid::Uuid::new_v4().simple().to_string();
            let mut graph = GraphProvisioner::new(target.clone(), &run_id[..12]);
            graph.activation_timeout = Duration::from_secs(cli.activation_timeout);
            graph.groups.clone_from(&cli.groups);
            graph.group_filter = cli.allow_undocumented_group_filter;
            if graph.groups.is_empty() && cli.base_url.is_none() {
                // The embedded mock reviews any group: two made-up ones give it siblings.
                graph.groups = (0..2).map(|_| uuid::Uuid::new_v4().to_string()).collect();
            }
            (Arc::new(graph.clone()), Some(graph))
        }
    }
}
