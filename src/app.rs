//! The `accessreview-conformance` command: flags, loading, one trial per case × matrix row ×
//! update method on libtest-mimic, and the exit code.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::case::{TrialSpec, UpdateMethod};
use crate::coverage::{TrialResult, coverage, render_coverage};
use crate::credential::{Credential, CredentialArg};
use crate::embedded::{Embedded, EmbeddedOptions};
use crate::files::{self, EMBEDDED_CASES, EMBEDDED_SCHEMAS, InputFile};
use crate::load::{LoadedCase, Suite, load_suite, parse_principals};
use crate::outcome::Verdict;
use crate::report::{render_broken, render_outcome};
use crate::runner::{RunContext, run_trial, skip_reason};
use crate::schema::SchemaSet;
use crate::selfcheck::{KillRow, kill_table, render_kill_table};
use crate::target::{Secret, Target};

/// Exit code: every trial passed.
pub const EXIT_OK: u8 = 0;
/// Exit code: the target is not conformant.
pub const EXIT_NONCONFORMANT: u8 = 1;
/// Exit code: usage, configuration or case-file error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the target could not be reached or provisioning failed.
pub const EXIT_UNREACHABLE: u8 = 3;

/// What `--coverage` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CoverageMode {
    /// Rule → kind → trials, without sending a request.
    Static,
    /// Run the suite against the target, then show each rule's outcome.
    Run,
    /// Run the suite against the reference mock with each deviation: the kill table.
    Deviations,
}

/// The model knows nothing of clap: the flag's values are described here.
impl clap::ValueEnum for UpdateMethod {
    fn value_variants<'a>() -> &'a [Self] {
        &[UpdateMethod::Put, UpdateMethod::Patch, UpdateMethod::Both]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        UpdateMethod::ALL
            .iter()
            .find(|(m, _, _)| m == self)
            .map(|(_, name, help)| clap::builder::PossibleValue::new(*name).help(*help))
    }
}

/// How starting states come to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FixtureStrategy {
    /// The fixture control protocol (mocks).
    Control,
    /// Real Graph: one-time definitions created and deleted per trial (not available yet).
    Graph,
}

const AFTER_HELP: &str = "\
Without --base-url the suite runs against its own reference mock, started in-process.

Examples:
  accessreview-conformance                                   # the whole suite, embedded mock
  accessreview-conformance --list                            # every trial name
  accessreview-conformance --base-url http://127.0.0.1:8080/beta --token T --update-method both
  accessreview-conformance fallback-reviewers                # only trials whose name contains this

Exit codes: 0 all passed; 1 the target is not conformant; 2 usage, configuration or case-file
error; 3 the target could not be reached or provisioning failed.";

/// Command-line flags of the runner (the libtest flags are accepted as well).
#[derive(Parser, Debug)]
#[command(
    name = "accessreview-conformance",
    version,
    about = "Conformance suite for Microsoft Graph beta: Update accessReviewInstance \
             (PUT/PATCH /identityGovernance/accessReviews/definitions/{id}/instances/{id}).",
    disable_version_flag = false,
    help_template = "{about-with-newline}\n{usage-heading} {usage}\n\n{all-args}{after-help}",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Target base URL: everything before /identityGovernance, e.g. https://graph.microsoft.com/beta
    /// or http://127.0.0.1:8080/beta. Default: the embedded reference mock.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Bearer token sent as `Authorization: Bearer …`. Never printed.
    #[arg(
        long,
        env = "GRAPH_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// A restricted credential as NAME=TOKEN (repeatable): unprivileged (no
    /// AccessReview.ReadWrite.All), roleless (delegated, no supported Entra role),
    /// personal-account. Cases that need one are skipped without it. Never printed.
    #[arg(
        long = "credential",
        env = "GRAPH_CREDENTIALS",
        value_delimiter = ',',
        hide_env_values = true,
        value_name = "NAME=TOKEN"
    )]
    pub credentials: Vec<String>,
    /// The method for cases that do not name one: put (the page's HTTP section), patch (the
    /// SDKs), or both.
    #[arg(long, value_enum, default_value = "put", value_name = "METHOD")]
    pub update_method: UpdateMethod,
    /// How starting states come to exist: control (the fixture control protocol) or graph.
    #[arg(long, value_enum, default_value = "control", value_name = "STRATEGY")]
    pub fixtures: FixtureStrategy,
    /// Fixture control URL. Default: the base URL's origin + /_conformance.
    #[arg(long, value_name = "URL")]
    pub control_url: Option<String>,
    /// Case folder to use instead of the shipped cases.
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// Schema folder to use instead of the shipped schemas.
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
    /// YAML file mapping principal names to this target's object ids (`principals: {alice: <id>}`).
    #[arg(long, value_name = "FILE")]
    pub principals: Option<PathBuf>,
    /// Show rule coverage: `static` (default; no request is sent), `run` (run, then each
    /// rule's outcome), or `deviations` (the suite against every deviant reference mock).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "static", value_name = "MODE")]
    pub coverage: Option<CoverageMode>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// Largest response body accepted, in bytes.
    #[arg(long, default_value_t = 4 << 20, value_name = "BYTES")]
    pub max_response_bytes: usize,
    #[allow(missing_docs)]
    #[command(flatten, next_help_heading = "Test harness (libtest) options")]
    pub harness: Arguments,
}

/// A configuration problem: printed, exit code 2 (or 3 for an unreachable setup).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad flags or files.
    #[error("{0}")]
    Usage(String),
    /// Could not start or reach what the run needs.
    #[error("{0}")]
    Setup(String),
}

fn load_inputs(
    dir: &Option<PathBuf>,
    embedded: &'static include_dir::Dir<'static>,
    label: &str,
) -> Result<Vec<InputFile>, AppError> {
    match dir {
        Some(d) => files::from_dir(d).map_err(|e| AppError::Usage(e.to_string())),
        None => files::embedded(embedded, label).map_err(|e| AppError::Usage(e.to_string())),
    }
}

fn load_principals(path: &Option<PathBuf>) -> Result<Option<HashMap<String, String>>, AppError> {
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let file = InputFile::text(path.display().to_string(), path.display().to_string(), text);
    parse_principals(&file)
        .map(Some)
        .map_err(|e| AppError::Usage(e.to_string()))
}

/// Loads schemas and cases as the flags say.
pub fn load(cli: &Cli) -> Result<(Arc<SchemaSet>, Suite), AppError> {
    let schema_files = load_inputs(&cli.schemas, &EMBEDDED_SCHEMAS, "schemas")?;
    let schemas = SchemaSet::build(&schema_files).map_err(|e| AppError::Usage(e.to_string()))?;
    let case_files = load_inputs(&cli.cases, &EMBEDDED_CASES, "cases")?;
    let principals = load_principals(&cli.principals)?;
    let suite = load_suite(&case_files, &schemas, principals)
        .map_err(|e| AppError::Usage(e.to_string()))?;
    Ok((Arc::new(schemas), suite))
}

/// Runs the command; returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    match run_inner(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let text = e.to_string();
            if text.starts_with("error:") {
                eprintln!("{text}");
            } else {
                eprintln!("error: {text}");
            }
            ExitCode::from(match e {
                AppError::Usage(_) => EXIT_USAGE,
                AppError::Setup(_) => EXIT_UNREACHABLE,
            })
        }
    }
}

fn run_inner(cli: Cli) -> Result<u8, AppError> {
    if cli.fixtures == FixtureStrategy::Graph {
        return Err(AppError::Usage(
            "--fixtures graph (one-time definitions on a real tenant) is not implemented yet; \
             use --fixtures control against a target that implements the fixture control protocol"
                .into(),
        ));
    }
    let (schemas, suite) = load(&cli)?;
    let any_broken = suite
        .cases
        .iter()
        .any(|c| matches!(c, LoadedCase::Broken(_)));
    if cli.coverage == Some(CoverageMode::Static) {
        print!(
            "{}",
            render_coverage(&coverage(&suite, cli.update_method), None)
        );
        return Ok(if any_broken { EXIT_USAGE } else { EXIT_OK });
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::Setup(format!("cannot start the async runtime: {e}")))?;
    if cli.coverage == Some(CoverageMode::Deviations) {
        let caught = run_deviations(&cli, &runtime, &schemas, &suite)?;
        return Ok(if any_broken {
            EXIT_USAGE
        } else if caught {
            EXIT_OK
        } else {
            EXIT_NONCONFORMANT
        });
    }
    let listing = cli.harness.list;
    let (target, _mock) = connect(&cli, &runtime, listing)?;
    let ctx = Arc::new(RunContext::new(target, schemas, suite.principals.clone()));
    let results: Results = Arc::default();
    let trials = build_trials(&cli, &suite, &ctx, runtime.handle(), &results, listing);
    let conclusion = libtest_mimic::run(&cli.harness, trials);
    let results = results
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if cli.coverage == Some(CoverageMode::Run) && !listing {
        println!();
        print!(
            "{}",
            render_coverage(&coverage(&suite, cli.update_method), Some(&results))
        );
    }
    let code = if any_broken {
        EXIT_USAGE
    } else if results.values().any(|r| *r == TrialResult::Error) {
        EXIT_UNREACHABLE
    } else if results.values().any(|r| *r == TrialResult::Fail) || conclusion.has_failed() {
        EXIT_NONCONFORMANT
    } else {
        EXIT_OK
    };
    Ok(code)
}

/// Each trial's result by name, filled in as trials end.
type Results = Arc<Mutex<BTreeMap<String, TrialResult>>>;

fn record(results: &Results, name: &str, result: TrialResult) {
    results
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(name.to_string(), result);
}

/// Parses `--credential NAME=TOKEN` values; errors never repeat the token.
fn parse_credentials(raw: &[String]) -> Result<Vec<CredentialArg>, AppError> {
    raw.iter()
        .map(|r| {
            r.parse::<CredentialArg>().map_err(|e| {
                let shown = r
                    .split_once('=')
                    .map_or("…".to_string(), |(n, _)| format!("{n}=…"));
                AppError::Usage(format!("invalid --credential `{shown}`: {e}"))
            })
        })
        .collect()
}

/// `--coverage=deviations`: the kill table; true when the faithful mock passed and every
/// deviation was caught.
fn run_deviations(
    cli: &Cli,
    runtime: &tokio::runtime::Runtime,
    schemas: &Arc<SchemaSet>,
    suite: &Suite,
) -> Result<bool, AppError> {
    let trials: Vec<TrialSpec> = suite
        .trials(cli.update_method)
        .into_iter()
        .filter(|t| t.case.skip.is_none())
        .collect();
    let rows = runtime
        .block_on(kill_table(
            &trials,
            schemas,
            &suite.principals,
            Duration::from_secs(cli.timeout.min(5)),
        ))
        .map_err(|e| AppError::Setup(format!("cannot run the reference mock: {e}")))?;
    print!("{}", render_kill_table(&rows));
    Ok(rows.iter().all(KillRow::verdict_ok))
}

/// The target the flags name — or, without `--base-url`, the embedded reference mock,
/// started in-process with a token of its own and one of each restricted credential.
fn connect(
    cli: &Cli,
    runtime: &tokio::runtime::Runtime,
    listing: bool,
) -> Result<(Target, Option<Embedded>), AppError> {
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
        let embedded = runtime
            .block_on(Embedded::start(options))
            .map_err(|e| AppError::Setup(format!("cannot start the embedded mock: {e}")))?;
        return Ok((embedded.target.clone(), Some(embedded)));
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
    .map_err(|e| AppError::Usage(e.to_string()))?
    .with_credentials(given);
    Ok((target, None))
}

/// One libtest-mimic trial per case × matrix row × method; a broken case file is one failing
/// trial; a case needing a credential the target lacks is ignored with the reason.
fn build_trials(
    cli: &Cli,
    suite: &Suite,
    ctx: &Arc<RunContext>,
    handle: &tokio::runtime::Handle,
    results: &Results,
    listing: bool,
) -> Vec<Trial> {
    let rules = Arc::new(suite.rules.clone());
    let mut trials = Vec::new();
    for loaded in &suite.cases {
        let case = match loaded {
            LoadedCase::Broken(b) => {
                let message = render_broken(b);
                trials.push(Trial::test(b.id.clone(), move || {
                    Err(Failed::from(message))
                }));
                continue;
            }
            LoadedCase::Ok(case) => case,
        };
        for spec in case.trials(cli.update_method) {
            // Listing sends nothing, so it does not ask whether a credential is missing.
            let skip = if listing {
                case.skip.clone()
            } else {
                skip_reason(case, &ctx.target)
            };
            if let Some(reason) = skip {
                let results = Arc::clone(results);
                let name = spec.name.clone();
                trials.push(Trial::ignorable_test(spec.name.clone(), move || {
                    record(&results, &name, TrialResult::Skip);
                    Ok(Completion::ignored_with(reason))
                }));
                continue;
            }
            let ctx = Arc::clone(ctx);
            let rules = Arc::clone(&rules);
            let results = Arc::clone(results);
            let handle = handle.clone();
            trials.push(Trial::test(spec.name.clone(), move || {
                let outcome = handle.block_on(run_trial(&ctx, &spec));
                let result = match (&outcome.verdict, outcome.cleanup.is_empty()) {
                    (Verdict::Pass, true) => TrialResult::Pass,
                    (Verdict::Fail(_), _) => TrialResult::Fail,
                    (Verdict::Skip(_), true) => TrialResult::Skip,
                    _ => TrialResult::Error,
                };
                record(&results, &spec.name, result);
                if matches!(result, TrialResult::Pass | TrialResult::Skip) {
                    return Ok(());
                }
                let redact = |s: &str| ctx.target.redact(s);
                Err(Failed::from(render_outcome(
                    &spec, &outcome, &rules, &redact,
                )))
            }));
        }
    }
    trials
}
