//! The runner's command line: its flags (the libtest flags are accepted as well), with the
//! help text that explains them. Parsing only; the `cli` module runs what the flags say.

use std::path::PathBuf;

use clap::Parser;
use libtest_mimic::Arguments;

use crate::case::UpdateMethod;

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

use crate::run::status::Enforce;

/// The verdict model knows nothing of clap: `--enforce`'s values are described here.
impl clap::ValueEnum for Enforce {
    fn value_variants<'a>() -> &'a [Self] {
        &[Enforce::Documented, Enforce::All]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self {
            Enforce::Documented => {
                "Only what the page says; where a target differs from the reference behaviour on what the page leaves open, the trial is reported as a divergence and does not fail"
            }
            Enforce::All => {
                "Everything, the reference behaviour included: divergences fail (mocks are held to it)"
            }
        };
        Some(clap::builder::PossibleValue::new(self.name()).help(help))
    }
}

/// How starting states come to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FixtureStrategy {
    /// The fixture control protocol (mocks).
    Control,
    /// A live tenant: one-time review definitions created through the API for each trial,
    /// waited for until active, and deleted afterwards.
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
#[derive(Parser, Clone)]
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
    /// A target file (YAML; see targets/example.yaml and schemas/target.schema.json): base URL,
    /// fixtures, enforcement, principals, timeouts, and the environment variables that hold
    /// the tokens. Flags given on the command line override it.
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    /// Principal ids from the target file (the command line's --principals file wins).
    #[arg(skip)]
    pub target_principals: std::collections::HashMap<String, String>,
    /// Target base URL: everything before /identityGovernance, e.g. `https://graph.microsoft.com/beta`
    /// or `http://127.0.0.1:8080/beta`. Default: the embedded reference mock.
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
    /// A named credential as NAME=TOKEN (repeatable), for the permission and role cases.
    /// Refused: app-without-permission, delegated-without-permission (no
    /// AccessReview.ReadWrite.All), roleless (delegated, no supported Entra role),
    /// personal-account. Allowed: app (application, with the permission), delegated-user-admin,
    /// delegated-iga, delegated-pra (delegated, with the permission, of a User Administrator,
    /// Identity Governance Administrator or Privileged Role Administrator). Cases that need
    /// one are skipped without it. Never printed.
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
    /// Which expectations fail the run: documented (what the page says) or all (the reference
    /// behaviour too). Default: all with --fixtures control, documented with --fixtures graph.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub enforce: Option<Enforce>,
    /// Allow the run to create, update and delete access reviews on a host that is not this
    /// machine (a real tenant). Without it such a target is refused before anything is sent.
    #[arg(long)]
    pub allow_tenant_writes: bool,
    /// Fixture control URL. Default: the base URL's origin + /_conformance.
    #[arg(long, value_name = "URL")]
    pub control_url: Option<String>,
    /// Send the bearer token to a --control-url on another origin than --base-url (by default
    /// a control URL elsewhere gets no Authorization header).
    #[arg(long)]
    pub send_token_to_control_url: bool,
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
    /// Delete what runs of this tool left on the target (definitions named
    /// "accessreview-conformance …" whose delete-after time has passed, or older than
    /// --older-than), and only that; then exit. With --dry-run, list them only.
    #[arg(long)]
    pub sweep: bool,
    /// With --sweep: also delete this tool's definitions older than this (e.g. 2h, 1day).
    #[arg(long, value_name = "AGE", requires = "sweep", value_parser = humantime::parse_duration)]
    pub older_than: Option<std::time::Duration>,
    /// With --fixtures graph: print what the run would do — every trial that would run or be
    /// skipped and why, every review definition it would create (redacted), how many, the
    /// time budget — and send nothing but the token request client credentials need.
    #[arg(long)]
    pub plan: bool,
    /// With --sweep: list what would be deleted, delete nothing.
    #[arg(long, requires = "sweep")]
    pub dry_run: bool,
    /// With --fixtures graph: a group to scope reviews over several groups to (repeatable;
    /// a starting state with N instances of one definition needs N groups).
    #[arg(long = "group", value_name = "ID")]
    pub groups: Vec<String>,
    /// With --fixtures graph: create a review over several chosen groups (for starting states
    /// with sibling instances) with `instanceEnumerationScope`
    /// `/groups?$filter=(id eq 'a' or id eq 'b')`, a filter the documentation does not show.
    /// Without it those states are skipped; with it the canary tries the filter before
    /// anything else is created.
    #[arg(long)]
    pub allow_undocumented_group_filter: bool,
    /// With --fixtures graph or --sweep: the base URL of the lifecycle around the update
    /// (create, wait, stop, list, delete reviews). Default: --base-url with /v1.0 in place of
    /// a final /beta (the definitions API exists in v1.0 in every cloud). Must be on the base
    /// URL's origin: the token goes nowhere else.
    #[arg(long, value_name = "URL")]
    pub setup_base_url: Option<String>,
    /// With --fixtures graph: how long to wait for a created review's instance to become
    /// active, in seconds. The documentation says a review's start "could vary a few hours
    /// based on system processing": the default is an hour; the progress line says what is
    /// still waiting.
    #[arg(long, default_value_t = 3600, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub activation_timeout: u64,
    /// Run one shard of the trials: hash:I/N (by a stable hash of each trial's name) or
    /// count:I/N (dealt out in suite order). The N shards together run every trial once.
    #[arg(long, value_name = "SCHEME:I/N")]
    pub partition: Option<crate::cli::partition::Partition>,
    /// Trials expected to fail (or diverge) on this target, each with a reason (YAML; see
    /// schemas/expectations.schema.json). An expected failure does not fail the run.
    #[arg(long, value_name = "FILE")]
    pub expectations: Option<PathBuf>,
    /// An expected failure that passes does not fail the run (it is still reported).
    #[arg(long)]
    pub allow_unexpected_pass: bool,
    /// Entries of the expectations file that match no trial fail the run.
    #[arg(long)]
    pub strict_expectations: bool,
    /// Write an expectations file from this run (every failure and divergence).
    #[arg(long, value_name = "FILE")]
    pub write_expectations: Option<PathBuf>,
    /// Write each trial's exchange with the target (the request under test and its answer,
    /// the token redacted, and a curl line to send it again) as JSON into this folder.
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// Leave the state of every trial that fails the run on the target, as the trial left it,
    /// for a reproduction by hand: its ids are shown with the failure (whose curl line then
    /// finds it), and the end of the run lists how to delete each kept state. Expected
    /// failures and divergences that are not enforced are deleted as usual. Needs a target
    /// that outlives the run (--base-url).
    #[arg(long)]
    pub keep_on_failure: bool,
    /// Run the cases and write a target profile here: for every trial that exercises an
    /// inferred rule, what the target did (status, error code and message shape, headers of
    /// note, which properties came back, how reviewer lists were echoed and ordered) with the
    /// answer's request-id and date as evidence, and the silent-page choices that amounts to
    /// (schemas/target-profile.schema.json). No ids or times outside the evidence, keys
    /// sorted, and the evidence of an existing file kept where nothing changed: a `git diff`
    /// of the file is the drift report.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["profile", "plan", "coverage", "sweep"])]
    pub probe: Option<PathBuf>,
    /// Hold the target to a target profile (from --probe) instead of the reference mock's
    /// choices: a divergence then means "differs from the profile"; the page's rules are
    /// checked as always.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Run the same trials against two targets, A and B (each a base URL, or a target file
    /// with its own fixtures and credentials), and show every behaviour where they differ, by
    /// trial and rule. A is run twice first: what differs between its two runs (generated ids,
    /// dates) is noise and left out. --report-json and --report-markdown write the comparison
    /// (schemas/comparison.schema.json). Exit 0 when A and B behave alike, 1 when they differ.
    #[arg(
        long,
        num_args = 2,
        value_names = ["A", "B"],
        conflicts_with_all = [
            "base_url", "target", "probe", "profile", "sweep", "plan", "keep_on_failure",
            "coverage", "report_junit", "record", "expectations", "write_expectations"
        ]
    )]
    pub compare: Vec<String>,
    /// Write a JUnit XML report here (failures, errors and skips apart; divergences pass
    /// unless enforced, marked with a property; rule ids and case file as properties).
    #[arg(long, value_name = "PATH")]
    pub report_junit: Option<PathBuf>,
    /// Write a JSON report here (every trial with its findings as data and the exchange;
    /// schemas/report.schema.json describes it).
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
    /// Write a Markdown summary here (by outcome and by rule); also appended to
    /// $GITHUB_STEP_SUMMARY when that is set.
    #[arg(long, value_name = "PATH")]
    pub report_markdown: Option<PathBuf>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// Largest response body accepted, in bytes.
    #[arg(long, default_value_t = 4 << 20, value_name = "BYTES")]
    pub max_response_bytes: usize,
    /// How long one request may take in all, retries after 429/503/504 and their waits
    /// included, in seconds (--timeout bounds each attempt). Default: ten times --timeout.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub request_deadline: Option<u64>,
    /// Longest value a report keeps (a body, say), in bytes: the rest is replaced by its length
    /// and SHA-256, so that reports and memory stay bounded whatever a target sends.
    #[arg(long, default_value_t = 64 << 10, value_name = "BYTES")]
    pub max_report_value: usize,
    #[allow(missing_docs)]
    #[command(flatten, next_help_heading = "Test harness (libtest) options")]
    pub harness: Arguments,
}

/// No token and no restricted credential ever shows in `Debug`.
impl std::fmt::Debug for Cli {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cli")
            .field("target", &self.target)
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "(redacted)"))
            .field("credentials", &format!("{} given", self.credentials.len()))
            .field("update_method", &self.update_method)
            .field("fixtures", &self.fixtures)
            .field("enforce", &self.enforce)
            .field("control_url", &self.control_url)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_token() {
        let cli = Cli::parse_from([
            "accessreview-conformance",
            "--token",
            "tok-secret-1234",
            "--credential",
            "app-without-permission=low-secret-5678",
        ]);
        let shown = format!("{cli:?}");
        assert!(
            !shown.contains("tok-secret-1234") && !shown.contains("low-secret-5678"),
            "{shown}"
        );
        assert!(shown.contains("(redacted)"), "{shown}");
    }
}
