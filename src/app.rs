//! The `accessreview-conformance` command: flags, loading, one trial per case × matrix row ×
//! update method on libtest-mimic, and the exit code.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use libtest_mimic::{Completion, Failed, Trial};

use crate::case::TrialSpec;
pub use crate::cli::{Cli, CoverageMode, Enforce, FixtureStrategy};
use crate::coverage::{TrialResult, coverage, render_coverage};
use crate::credential::{Credential, CredentialArg};
use crate::embedded::{Embedded, EmbeddedOptions};
use crate::expectations::{Expectations, Expected};
use crate::files::{self, EMBEDDED_CASES, EMBEDDED_SCHEMAS, InputFile};
use crate::graph::GraphProvisioner;
use crate::load::{LoadedCase, Suite, load_suite, parse_principals};
use crate::oauth::{ClientCredentials, TokenCache};
use crate::outcome::Verdict;
use crate::report::{render_broken, render_outcome};
use crate::runner::{RunContext, run_trial, skip_reason};
use crate::schema::SchemaSet;
use crate::selfcheck::{KillRow, kill_table, render_kill_table};
use crate::target::{Secret, Target};

/// How many trials run at once by default: they wait on the network (and, live, on
/// activation), not the CPU — enough that a suite against a silent target ends in one timeout.
pub const DEFAULT_TRIAL_THREADS: usize = 64;

/// Exit code: every trial passed.
pub const EXIT_OK: u8 = 0;
/// Exit code: the target is not conformant.
pub const EXIT_NONCONFORMANT: u8 = 1;
/// Exit code: usage, configuration or case-file error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the target could not be reached or provisioning failed.
pub const EXIT_UNREACHABLE: u8 = 3;

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
    // The shipped ids, then the target file's, then the --principals file's.
    let principals = match load_principals(&cli.principals)? {
        Some(from_flag) => {
            let mut all = cli.target_principals.clone();
            all.extend(from_flag);
            Some(all)
        }
        None if cli.target_principals.is_empty() => None,
        None => Some(cli.target_principals.clone()),
    };
    let suite = load_suite(&case_files, &schemas, principals)
        .map_err(|e| AppError::Usage(e.to_string()))?;
    Ok((Arc::new(schemas), suite))
}

/// Parses the command line, applies `--target FILE` under the flags given, and runs.
pub fn run_from_args() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let given = |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    if let Some(path) = cli.target.clone() {
        let applied = crate::target_file::load(&path)
            .map_err(|d| d.to_string())
            .and_then(|file| apply_target_file(&mut cli, &file, &given));
        if let Err(text) = applied {
            eprintln!("{text}");
            return ExitCode::from(EXIT_USAGE);
        }
    }
    run(cli)
}

/// Fills in what the command line left open from a target file. Tokens are read from the
/// environment variables the file names; a missing one is an error naming the variable.
fn apply_target_file(
    cli: &mut Cli,
    file: &crate::target_file::TargetFile,
    given: &dyn Fn(&str) -> bool,
) -> Result<(), String> {
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("error: the target file names {name}, which is not set"))
    };
    if !given("base_url") && file.base_url.is_some() {
        cli.base_url.clone_from(&file.base_url);
    }
    if !given("control_url") && file.control_url.is_some() {
        cli.control_url.clone_from(&file.control_url);
    }
    if let (false, Some(f)) = (given("fixtures"), file.fixtures) {
        cli.fixtures = f.0;
    }
    if let (false, Some(e)) = (given("enforce"), file.enforce) {
        cli.enforce = Some(e.0);
    }
    if let (false, Some(m)) = (given("update_method"), file.update_method) {
        cli.update_method = m.0;
    }
    if !given("allow_tenant_writes") && file.allow_tenant_writes == Some(true) {
        cli.allow_tenant_writes = true;
    }
    if let (false, Some(name)) = (given("token"), &file.token_env) {
        cli.token = Some(env(name)?);
    }
    if !given("credentials") && !file.credentials.is_empty() {
        cli.credentials = file
            .credentials
            .iter()
            .map(|(credential, name)| env(name).map(|token| format!("{credential}={token}")))
            .collect::<Result<_, _>>()?;
    }
    if let (false, Some(t)) = (given("timeout"), file.timeout) {
        cli.timeout = t.max(1);
    }
    if let (false, Some(t)) = (given("activation_timeout"), file.activation_timeout) {
        cli.activation_timeout = t;
    }
    if !given("groups") && !file.groups.is_empty() {
        cli.groups.clone_from(&file.groups);
    }
    cli.target_principals.clone_from(&file.principals);
    Ok(())
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
    if cli.sweep {
        return run_sweep(&cli, &runtime);
    }
    let listing = cli.harness.list;
    let enforce = enforcement(&cli);
    let (target, _mock) = connect(&cli, &runtime, listing)?;
    let mut live_run: Option<GraphProvisioner> = None;
    let provisioner: Arc<dyn crate::provision::Provisioner> = match cli.fixtures {
        FixtureStrategy::Control => {
            Arc::new(crate::provision::ControlProtocol::new(target.clone()))
        }
        FixtureStrategy::Graph => {
            let run_id = uuid::Uuid::new_v4().simple().to_string();
            let mut graph = GraphProvisioner::new(target.clone(), &run_id[..12]);
            graph.activation_timeout = Duration::from_secs(cli.activation_timeout);
            graph.groups.clone_from(&cli.groups);
            if graph.groups.is_empty() && cli.base_url.is_none() {
                // The embedded mock reviews any group: two made-up ones give it siblings.
                graph.groups = (0..2).map(|_| uuid::Uuid::new_v4().to_string()).collect();
            }
            if !listing {
                runtime.spawn(clean_up_on_signal(graph.clone()));
            }
            live_run = Some(graph.clone());
            Arc::new(graph)
        }
    };
    let ctx = Arc::new(RunContext::with_provisioner(
        target,
        provisioner,
        schemas,
        suite.principals.clone(),
    ));
    let record: Record = Arc::default();
    let expectations = match &cli.expectations {
        Some(path) => {
            Arc::new(Expectations::load(path).map_err(|d| AppError::Usage(d.to_string()))?)
        }
        None => Arc::default(),
    };
    let trials = build_trials(
        &cli,
        &suite,
        &ctx,
        runtime.handle(),
        &record,
        enforce,
        &expectations,
    );
    if !listing {
        eprintln!("{}", enforcement_line(enforce));
    }
    // Trials mostly wait on the network (and, live, on activation): run many at once unless
    // --test-threads says otherwise.
    let mut harness = cli.harness.clone();
    harness.test_threads = harness.test_threads.or(Some(DEFAULT_TRIAL_THREADS));
    let shown = (cli.fixtures == FixtureStrategy::Graph
        && !listing
        && std::io::IsTerminal::is_terminal(&std::io::stderr()))
    .then(|| runtime.spawn(show_progress(Arc::clone(&ctx.progress))));
    let conclusion = libtest_mimic::run(&harness, trials);
    if let Some(task) = shown {
        task.abort();
        eprint!("\r\x1b[2K");
    }
    // Whatever a trial left (a panicking trial skips its own cleanup) is deleted now.
    if let Some(graph) = &live_run {
        for (id, e) in runtime.block_on(graph.delete_all()) {
            eprintln!(
                "could not delete definition {id}: {} (run --sweep later)",
                ctx.target.redact(&e.to_string())
            );
        }
    }
    let record = record
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut stale_fails = false;
    if !listing {
        eprint!("{}", render_summary(&record, enforce));
        write_reports(&cli, &ctx, &record, enforce)?;
        let outcomes = record
            .reports
            .values()
            .map(|t| (t.name.clone(), t.outcome))
            .collect();
        let compared = crate::expectations::compare(&outcomes, &expectations);
        if !compared.stale.is_empty() {
            eprintln!(
                "stale expectations (no trial of this run has these names): {}",
                compared.stale.join(", ")
            );
            stale_fails = cli.strict_expectations;
        }
        if let Some(path) = &cli.write_expectations {
            let report = run_report_of(&ctx, &record, enforce);
            std::fs::write(path, Expectations::from_report(&report).to_yaml())
                .map_err(|e| AppError::Usage(format!("cannot write {}: {e}", path.display())))?;
        }
    }
    let results = &record.results;
    if cli.coverage == Some(CoverageMode::Run) && !listing {
        println!();
        print!(
            "{}",
            render_coverage(&coverage(&suite, cli.update_method), Some(results))
        );
    }
    let code = if any_broken {
        EXIT_USAGE
    } else if results.values().any(|r| *r == TrialResult::Error) {
        EXIT_UNREACHABLE
    } else if results.values().any(|r| *r == TrialResult::Fail)
        || stale_fails
        // A trial that failed without recording why (a panic) still fails the run.
        || conclusion.num_failed as usize
            > results
                .values()
                .filter(|r| matches!(r, TrialResult::Fail | TrialResult::Error))
                .count()
    {
        EXIT_NONCONFORMANT
    } else {
        EXIT_OK
    };
    Ok(code)
}

/// `--sweep`: this tool's leftover definitions on the target, deleted (or listed).
fn run_sweep(cli: &Cli, runtime: &tokio::runtime::Runtime) -> Result<u8, AppError> {
    // connect() refuses a remote target unless writes are allowed (a dry run only reads).
    let (target, _mock) = connect(cli, runtime, false)?;
    let swept = runtime
        .block_on(crate::sweep::sweep(&target, cli.older_than, cli.dry_run))
        .map_err(|e| AppError::Setup(format!("sweep: {}", target.redact(&e.to_string()))))?;
    print!("{}", crate::sweep::render(&swept, cli.dry_run));
    Ok(EXIT_OK)
}

/// While a live run waits: what it waits on, as one line redrawn on the terminal (stderr only,
/// never in a report).
async fn show_progress(progress: Arc<crate::progress::Progress>) {
    loop {
        eprint!("\r\x1b[2K{}", progress.snapshot());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// On Ctrl-C or SIGTERM: delete what the run created on the tenant, then exit 130.
async fn clean_up_on_signal(graph: GraphProvisioner) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
    }
    let live = graph.live_definitions();
    eprintln!(
        "\ninterrupted: deleting the {} access review definition(s) this run created",
        live.len()
    );
    for (id, e) in graph.delete_all().await {
        eprintln!("could not delete definition {id}: {e} (run --sweep later)");
    }
    std::process::exit(130);
}

/// Keeps a trial's report, at its place in the suite.
fn keep(record: &Record, at: usize, report: crate::run_report::TrialReport) {
    record
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .reports
        .insert(at, report);
}

/// What the trials of a run recorded as they ended.
#[derive(Debug, Default)]
struct RunRecord {
    /// Each trial's report, by its place in the suite.
    reports: BTreeMap<usize, crate::run_report::TrialReport>,
    /// Each trial's result by name.
    results: BTreeMap<String, TrialResult>,
    /// The report of each divergence that did not fail its trial, by trial name.
    divergences: BTreeMap<String, String>,
}

type Record = Arc<Mutex<RunRecord>>;

fn record(record: &Record, name: &str, result: TrialResult, divergence: Option<String>) {
    let mut r = record
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    r.results.insert(name.to_string(), result);
    if let Some(text) = divergence {
        r.divergences.insert(name.to_string(), text);
    }
}

/// The run as a report.
fn run_report_of(
    ctx: &RunContext,
    record: &RunRecord,
    enforce: Enforce,
) -> crate::run_report::RunReport {
    let enforce = match enforce {
        Enforce::All => "all",
        Enforce::Documented => "documented",
    };
    crate::run_report::RunReport::new(
        &ctx.target.base_url,
        enforce,
        record.reports.values().cloned().collect(),
    )
}

/// Writes the reports the flags ask for (secrets redacted over the whole text); the Markdown
/// summary also goes to `$GITHUB_STEP_SUMMARY` when that is set.
fn write_reports(
    cli: &Cli,
    ctx: &RunContext,
    record: &RunRecord,
    enforce: Enforce,
) -> Result<(), AppError> {
    if cli.report_json.is_none()
        && cli.report_junit.is_none()
        && cli.report_markdown.is_none()
        && cli.record.is_none()
    {
        return Ok(());
    }
    let report = run_report_of(ctx, record, enforce);
    let write = |path: &PathBuf, text: String| {
        std::fs::write(path, ctx.target.redact(&text))
            .map_err(|e| AppError::Usage(format!("cannot write {}: {e}", path.display())))
    };
    if let Some(p) = &cli.report_json {
        write(p, report.to_json())?;
    }
    if let Some(dir) = &cli.record {
        std::fs::create_dir_all(dir)
            .map_err(|e| AppError::Usage(format!("cannot create {}: {e}", dir.display())))?;
        for t in report.trials.iter().filter(|t| t.exchange.is_some()) {
            let file: String = t
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "._-".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let transcript = serde_json::json!({
                "trial": t.name,
                "outcome": t.outcome,
                "exchange": t.exchange,
                "curl": t.exchange.as_ref().map(crate::run_report::curl_line),
            });
            write(
                &dir.join(format!("{file}.json")),
                serde_json::to_string_pretty(&transcript).unwrap_or_default(),
            )?;
        }
    }
    if let Some(p) = &cli.report_junit {
        write(p, report.to_junit())?;
    }
    if let Some(p) = &cli.report_markdown {
        let md = report.to_markdown();
        write(p, md.clone())?;
        if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY") {
            use std::io::Write as _;
            let appended = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&summary)
                .and_then(|mut f| f.write_all(ctx.target.redact(&md).as_bytes()));
            if let Err(e) = appended {
                eprintln!("could not append to $GITHUB_STEP_SUMMARY: {e}");
            }
        }
    }
    Ok(())
}

/// `--enforce`, or its default: everything against mocks, the page against a real tenant.
fn enforcement(cli: &Cli) -> Enforce {
    cli.enforce.unwrap_or(match cli.fixtures {
        FixtureStrategy::Control => Enforce::All,
        FixtureStrategy::Graph => Enforce::Documented,
    })
}

/// The first line of a run: which expectations fail it.
pub fn enforcement_line(enforce: Enforce) -> &'static str {
    match enforce {
        Enforce::All => {
            "enforcing all expectations (--enforce all): what the page says, and the reference behaviour where it is silent; a divergence fails the run"
        }
        Enforce::Documented => {
            "enforcing documented rules only (--enforce documented): where the page is silent, a target that differs from the reference behaviour is reported as a divergence and does not fail the run"
        }
    }
}

/// The divergences that did not fail (with their reports) and the closing count.
fn render_summary(record: &RunRecord, enforce: Enforce) -> String {
    let mut s = String::new();
    if !record.divergences.is_empty() {
        s.push_str("\ndivergences (not enforced):\n");
        for (name, text) in &record.divergences {
            s.push_str(&format!("\n---- {name} ----\n{text}\n"));
        }
    }
    let count = |r: TrialResult| record.results.values().filter(|v| **v == r).count();
    let diverged = match enforce {
        Enforce::All => String::new(),
        Enforce::Documented => format!("{} diverged (not enforced), ", count(TrialResult::Diverge)),
    };
    s.push_str(&format!(
        "\nconformance: {} passed, {} failed, {diverged}{} skipped, {} could not run\n",
        count(TrialResult::Pass),
        count(TrialResult::Fail),
        count(TrialResult::Skip),
        count(TrialResult::Error),
    ));
    s
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
    // A dry sweep only reads.
    let allow_writes = cli.allow_tenant_writes || (cli.sweep && cli.dry_run);
    if let Some(url) = &cli.base_url
        && !listing
    {
        crate::safety::check("--base-url", url, allow_writes)
            .map_err(|e| AppError::Usage(e.to_string()))?;
        if let Some(control) = &cli.control_url {
            crate::safety::check("--control-url", control, allow_writes)
                .map_err(|e| AppError::Usage(e.to_string()))?;
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
    .map_err(|e| AppError::Usage(e.to_string()))?
    .with_credentials(given);
    let target = with_client_credentials(cli, target, runtime, listing)?;
    Ok((target, None))
}

/// Without `--token`, client credentials from `AZURE_TENANT_ID` / `AZURE_CLIENT_ID` /
/// `AZURE_CLIENT_SECRET` (`AZURE_AUTHORITY_HOST` for national clouds): the first token is
/// fetched now, so that bad credentials stop the run before any trial.
fn with_client_credentials(
    cli: &Cli,
    mut target: Target,
    runtime: &tokio::runtime::Runtime,
    listing: bool,
) -> Result<Target, AppError> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let Some(credentials) = cli
        .token
        .is_none()
        .then(|| ClientCredentials::from_env(&target.base_url, env))
        .flatten()
    else {
        return Ok(target);
    };
    if listing {
        return Ok(target);
    }
    crate::safety::check(
        "AZURE_AUTHORITY_HOST",
        &credentials.token_url,
        cli.allow_tenant_writes,
    )
    .or_else(|e| match e {
        // Asking for a token writes nothing.
        crate::safety::SafetyError::WritesNotAllowed { .. } => Ok(()),
        other => Err(other),
    })
    .map_err(|e| AppError::Usage(e.to_string()))?;
    let cache =
        TokenCache::new(credentials, target.timeout).map_err(|e| AppError::Setup(e.to_string()))?;
    runtime
        .block_on(cache.fresh())
        .map_err(|e| AppError::Setup(format!("cannot get a token: {e}")))?;
    target.flow = Some(Arc::new(cache));
    Ok(target)
}

/// One libtest-mimic trial per case × matrix row × method; a broken case file is one failing
/// trial; a case needing a credential the target lacks is ignored with the reason.
fn build_trials(
    cli: &Cli,
    suite: &Suite,
    ctx: &Arc<RunContext>,
    handle: &tokio::runtime::Handle,
    record_to: &Record,
    enforce: Enforce,
    expectations: &Arc<Expectations>,
) -> Vec<Trial> {
    let listing = cli.harness.list;
    let rules = Arc::new(suite.rules.clone());
    let enforced = enforce == Enforce::All;
    let mut trials = Vec::new();
    // Every trial's position in the whole suite, for --partition.
    let mut position = 0usize;
    let mut in_shard = |name: &str| {
        let here = position;
        position += 1;
        cli.partition.is_none_or(|p| p.includes(here, name))
    };
    for loaded in &suite.cases {
        let case = match loaded {
            LoadedCase::Broken(b) => {
                if !in_shard(&b.id) {
                    continue;
                }
                let message = render_broken(b);
                let at = trials.len();
                let report = crate::run_report::broken_report(b, message.clone());
                let record_to = Arc::clone(record_to);
                trials.push(Trial::test(b.id.clone(), move || {
                    keep(&record_to, at, report);
                    Err(Failed::from(message))
                }));
                continue;
            }
            LoadedCase::Ok(case) => case,
        };
        for spec in case.trials(cli.update_method) {
            if !in_shard(&spec.name) {
                continue;
            }
            // Listing sends nothing, so it does not ask whether a credential is missing.
            let skip = if listing {
                case.skip.clone()
            } else {
                skip_reason(case, &ctx.target)
            };
            let at = trials.len();
            if let Some(reason) = skip {
                let record_to = Arc::clone(record_to);
                let rules = Arc::clone(&rules);
                trials.push(Trial::ignorable_test(spec.name.clone(), move || {
                    record(&record_to, &spec.name, TrialResult::Skip, None);
                    let outcome = crate::outcome::Outcome {
                        verdict: Verdict::Skip(reason.clone()),
                        exchange: None,
                        cleanup: Vec::new(),
                    };
                    let report =
                        crate::run_report::trial_report(&spec, &outcome, 0, &rules, enforced);
                    keep(&record_to, at, report);
                    Ok(Completion::ignored_with(reason))
                }));
                continue;
            }
            let ctx = Arc::clone(ctx);
            let rules = Arc::clone(&rules);
            let record_to = Arc::clone(record_to);
            let handle = handle.clone();
            let expected = expectations.get(&spec.name).cloned();
            let allow_unexpected_pass = cli.allow_unexpected_pass;
            trials.push(Trial::ignorable_test(spec.name.clone(), move || {
                let started = std::time::Instant::now();
                let outcome = handle.block_on(run_trial(&ctx, &spec));
                let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                keep(
                    &record_to,
                    at,
                    crate::run_report::trial_report(&spec, &outcome, took, &rules, enforced),
                );
                let result = match (&outcome.verdict, outcome.cleanup.is_empty()) {
                    (Verdict::Pass, true) => TrialResult::Pass,
                    (Verdict::Fail(_), _) => TrialResult::Fail,
                    (Verdict::Diverge(_), _) if enforce == Enforce::All => TrialResult::Fail,
                    (Verdict::Diverge(_), true) => TrialResult::Diverge,
                    (Verdict::Skip(_), true) => TrialResult::Skip,
                    _ => TrialResult::Error,
                };
                let redact = |s: &str| ctx.target.redact(s);
                let report = || render_outcome(&spec, &outcome, &rules, &redact);
                match (&expected, result) {
                    (Some(e), TrialResult::Fail | TrialResult::Diverge) => {
                        record(&record_to, &spec.name, TrialResult::Expected, None);
                        return Ok(Completion::ignored_with(format!(
                            "expected to {}: {}",
                            match e.outcome {
                                Expected::Fail => "fail",
                                Expected::Diverge => "diverge",
                            },
                            e.reason
                        )));
                    }
                    (Some(e), TrialResult::Pass) if !allow_unexpected_pass => {
                        record(&record_to, &spec.name, TrialResult::Fail, None);
                        return Err(Failed::from(format!(
                            "passed, but the expectations file says it does not ({}); remove its \
                             entry, or pass --allow-unexpected-pass",
                            e.reason
                        )));
                    }
                    _ => {}
                }
                match (result, &outcome.verdict) {
                    (TrialResult::Pass, _) => {
                        record(&record_to, &spec.name, result, None);
                        Ok(Completion::Completed)
                    }
                    (TrialResult::Skip, Verdict::Skip(reason)) => {
                        record(&record_to, &spec.name, result, None);
                        Ok(Completion::ignored_with(reason.clone()))
                    }
                    (TrialResult::Diverge, Verdict::Diverge(findings)) => {
                        record(&record_to, &spec.name, result, Some(report()));
                        let first = findings
                            .first()
                            .map(ToString::to_string)
                            .unwrap_or_default();
                        Ok(Completion::ignored_with(format!(
                            "diverges: {}",
                            redact(&first)
                        )))
                    }
                    _ => {
                        record(&record_to, &spec.name, result, None);
                        Err(Failed::from(report()))
                    }
                }
            }));
        }
    }
    trials
}
