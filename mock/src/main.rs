//! `accessreview-mock`: the reference mock as a standalone server.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use accessreview_mock::{
    AppCredential, ClientApp, Deviation, Lifecycle, MockServer, MockServerBuilder, Restricted,
    SilentPage, SilentPageError, Variant,
};
use clap::Parser;

/// The reference mock of Update accessReviewInstance, with the fixture control protocol.
///
/// Prints the base URL to pass as --base-url as its first line of output, then serves until
/// stopped.
// No `Debug`: the token, the credentials and the client secret are secrets.
#[derive(Parser)]
#[command(name = "accessreview-mock", version)]
#[command(group(clap::ArgGroup::new("client_credential").args(["client_secret", "client_assertion"])))]
struct Cli {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    listen: String,
    /// The only bearer token accepted (default: any non-empty bearer token). Never printed.
    #[arg(long, env = "MOCK_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    token: Option<String>,
    /// A named token as NAME=TOKEN (repeatable). It may read; whether it may update follows
    /// the page: app-without-permission, delegated-without-permission, roleless and
    /// personal-account are refused with 403; app and delegated-iga may update any review;
    /// delegated-user-admin reviews of groups and apps only, delegated-pra reviews of Entra
    /// roles only (a scope naming /roleManagement/). Never printed.
    #[arg(
        long = "credential",
        env = "MOCK_CREDENTIALS",
        value_delimiter = ',',
        hide_env_values = true,
        value_name = "NAME=TOKEN"
    )]
    credentials: Vec<String>,
    /// Run with one deliberate bug (see --list-deviations).
    #[arg(long, value_name = "NAME")]
    deviation: Option<Deviation>,
    /// List the deviations and exit.
    #[arg(long)]
    list_deviations: bool,
    /// Answer differently where the API page is silent (see --list-variants); a conformant
    /// variant that a suite may only report as a divergence. Repeatable: variants combine.
    #[arg(
        long = "variant",
        value_name = "NAME",
        value_delimiter = ',',
        conflicts_with = "profile"
    )]
    variants: Vec<Variant>,
    /// Behave as a target profile says where the page is silent (its `silent-page`
    /// section: PATCH answer, refusal statuses, error codes, GET without lists, extra
    /// properties, list order), as the page says everywhere else. A profile is written by
    /// `accessreview-conformance --probe FILE` against a target, e.g. the live service.
    #[arg(long, value_name = "FILE")]
    profile: Option<std::path::PathBuf>,
    /// List the silent-page variants and exit.
    #[arg(long)]
    list_variants: bool,
    /// A user id of the tenant (repeatable, or comma-separated): with --variant
    /// unknown-users-400, an update naming any other user (`/users/{id}`) is refused with 400.
    #[arg(long = "user", value_name = "ID", value_delimiter = ',')]
    users: Vec<String>,
    /// How long a definition created through the API keeps its instances NotStarted before
    /// they turn InProgress, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    activation_delay: u64,
    /// The client id the token endpoint (POST /{tenant}/oauth2/v2.0/token) accepts, with
    /// --client-secret or --client-assertion.
    #[arg(long, value_name = "ID", requires = "client_credential")]
    client_id: Option<String>,
    /// The client secret the token endpoint accepts. Never printed.
    #[arg(
        long,
        env = "MOCK_CLIENT_SECRET",
        hide_env_values = true,
        value_name = "SECRET",
        requires = "client_id"
    )]
    client_secret: Option<String>,
    /// Instead of a secret: the federated token (`client_assertion`) the token endpoint
    /// accepts for --client-id, as from workload identity or GitHub's OIDC. Never printed.
    #[arg(
        long,
        env = "MOCK_CLIENT_ASSERTION",
        hide_env_values = true,
        value_name = "TOKEN",
        conflicts_with = "client_secret",
        requires = "client_id"
    )]
    client_assertion: Option<String>,
    /// How long tokens from the token endpoint live, in seconds.
    #[arg(long, default_value_t = 3600, value_name = "S")]
    token_lifetime: u64,
    /// Answer every Nth API request with 429 Too Many Requests and a Retry-After.
    #[arg(long, value_name = "N")]
    throttle_every: Option<u64>,
    /// Wait this long before every answer, in milliseconds (a slow, far-away target).
    #[arg(long, default_value_t = 0, value_name = "MS")]
    latency: u64,
    /// How long a definition created through the API answers 404 for its instances, in
    /// milliseconds (as an eventually consistent service does right after a create).
    #[arg(long, default_value_t = 0, value_name = "MS")]
    unlisted_after_create: u64,
    /// Take a review over chosen groups listed by id (`instanceEnumerationScope`
    /// `/groups?$filter=(id eq 'a' or id eq 'b')`), a form the documentation does not show;
    /// without this flag it is refused ("Query … is not supported."), as every undocumented
    /// query is.
    #[arg(long)]
    accept_group_filter: bool,
    /// Drop the fallback reviewers of a review whose reviewers are all specific users, as a
    /// tenant may (the portal offers fallback reviewers only for manager or owner reviews).
    #[arg(long)]
    drop_user_review_fallbacks: bool,
    /// Carry out every Nth create of a definition but cut its answer off (the connection
    /// drops), so that the client never learns the id.
    #[arg(long, value_name = "N")]
    lose_create_answer_every: Option<u64>,
    /// Answer every Nth API request with 504 Gateway Timeout and no Retry-After, as Graph's
    /// gateway does now and then; a POST is carried out first.
    #[arg(long, value_name = "N")]
    gateway_timeout_every: Option<u64>,
    /// The Retry-After of those 429s, in milliseconds.
    #[arg(long, default_value_t = 100, value_name = "MS")]
    throttle_retry_after: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut credentials = Vec::new();
    for raw in &cli.credentials {
        match Restricted::parse_credential(raw) {
            Ok(c) => credentials.push(c),
            Err(e) => {
                // The value may be a secret: name only the part before `=`.
                let shown = raw
                    .split_once('=')
                    .map_or("…".to_string(), |(n, _)| format!("{n}=…"));
                eprintln!("error: invalid --credential `{shown}`: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if cli.list_variants || cli.list_deviations {
        list(cli.list_variants);
        return ExitCode::SUCCESS;
    }
    let page = match &cli.profile {
        None => None,
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| SilentPage::from_profile(&text).map_err(|e| e.to_string()))
        {
            Ok(page) => Some(page),
            Err(e) => {
                eprintln!("error: --profile {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    runtime.block_on(serve(cli, credentials, page))
}

/// `--list-variants` (when `variants`) or `--list-deviations`.
fn list(variants: bool) {
    if variants {
        for v in Variant::ALL {
            println!(
                "{:<22} diverges from {:<28} {}",
                v.name(),
                v.diverges_from().unwrap_or("(nothing)"),
                v.description()
            );
        }
        return;
    }
    for d in Deviation::ALL {
        println!(
            "{:<28} breaks {:<40} {}",
            d.name(),
            d.breaks(),
            d.description()
        );
    }
}

/// The server the flags describe. Nobody asks a standalone server for its journal: it keeps
/// none.
fn builder(
    cli: &Cli,
    credentials: Vec<(Restricted, String)>,
    page: Option<&SilentPage>,
) -> Result<MockServerBuilder, SilentPageError> {
    let lifecycle = Lifecycle {
        activation_delay: Duration::from_millis(cli.activation_delay),
        client: cli.client_id.clone().and_then(|id| {
            let credential = match (&cli.client_secret, &cli.client_assertion) {
                (Some(secret), _) => AppCredential::Secret(secret.clone()),
                (None, Some(token)) => AppCredential::FederatedToken(token.clone()),
                (None, None) => return None,
            };
            Some(ClientApp { id, credential })
        }),
        token_lifetime: Some(Duration::from_secs(cli.token_lifetime)),
        throttle_every: cli.throttle_every,
        throttle_retry_after: Some(Duration::from_millis(cli.throttle_retry_after)),
        latency: Some(Duration::from_millis(cli.latency)),
        unlisted_after_create: Duration::from_millis(cli.unlisted_after_create),
        lose_create_answer_every: cli.lose_create_answer_every,
        accept_group_filter: cli.accept_group_filter,
        drop_user_review_fallbacks: cli.drop_user_review_fallbacks,
        gateway_timeout_every: cli.gateway_timeout_every,
    };
    let mut builder = MockServer::builder()
        .listen(&cli.listen)
        .lifecycle(lifecycle)
        .disable_request_recording();
    if let Some(token) = &cli.token {
        builder = builder.token(token);
    }
    for (kind, token) in credentials {
        builder = builder.credential(kind, token);
    }
    if let Some(d) = cli.deviation {
        builder = builder.deviation(d);
    }
    for u in &cli.users {
        builder = builder.user(u.clone());
    }
    for v in &cli.variants {
        builder = builder.variant(*v);
    }
    if let Some(page) = page {
        builder = builder.silent_page(page)?;
    }
    Ok(builder)
}

/// Serves until Ctrl-C, printing the base URL first.
async fn serve(
    cli: Cli,
    credentials: Vec<(Restricted, String)>,
    page: Option<SilentPage>,
) -> ExitCode {
    let builder = match builder(&cli, credentials, page.as_ref()) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: --profile: {e}");
            return ExitCode::from(2);
        }
    };
    let server = match builder.start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", cli.listen);
            return ExitCode::from(3);
        }
    };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{}", server.base_url());
    let _ = out.flush();
    if let Some(d) = cli.deviation {
        eprintln!(
            "accessreview-mock: running with deviation {d}: {}",
            d.description()
        );
    }
    let _ = tokio::signal::ctrl_c().await;
    drop(server);
    ExitCode::SUCCESS
}
