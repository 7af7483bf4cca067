//! `--target FILE`: a target described once, in YAML, instead of a long command line — base
//! URL, fixtures strategy, enforcement, principals, timeouts, and which environment variables
//! hold the tokens (a target file never holds a secret itself). Flags given on the command line
//! override the file. `schemas/target.schema.json` describes it for editors.

use std::collections::HashMap;
use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;

use super::args::{Cli, FixtureStrategy};
use crate::case::UpdateMethod;
use crate::diagnostic::Diagnostic;
use crate::run::status::Enforce;

/// A target file, as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    /// Everything before `/identityGovernance`.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The fixture control URL (`fixtures: control`).
    #[serde(default)]
    pub control_url: Option<String>,
    /// `control` or `graph`.
    #[serde(default)]
    pub fixtures: Option<FixturesName>,
    /// `documented` or `all`.
    #[serde(default)]
    pub enforce: Option<EnforceName>,
    /// `put`, `patch` or `both`.
    #[serde(default)]
    pub update_method: Option<UpdateMethodName>,
    /// Allow writes to a host that is not this machine.
    #[serde(default)]
    pub allow_tenant_writes: Option<bool>,
    /// The environment variable holding the bearer token (default: client credentials from
    /// `AZURE_*`, or `GRAPH_TOKEN`).
    #[serde(default)]
    pub token_env: Option<String>,
    /// Restricted credentials for the 403 cases: name → the environment variable holding it.
    #[serde(default)]
    pub credentials: IndexMap<String, String>,
    /// Principal names in cases → this tenant's object ids.
    #[serde(default)]
    pub principals: HashMap<String, String>,
    /// With `fixtures: graph`: groups to scope reviews over several groups to.
    #[serde(default)]
    pub groups: Vec<String>,
    /// With `fixtures: graph`: the base URL of the lifecycle around the update
    /// (`--setup-base-url`).
    #[serde(default)]
    pub setup_base_url: Option<String>,
    /// With `fixtures: graph`: create reviews over several chosen groups with a filter the
    /// documentation does not show (`--allow-undocumented-group-filter`).
    #[serde(default)]
    pub allow_undocumented_group_filter: Option<bool>,
    /// Per-request timeout, seconds (at least 1, as `--timeout`).
    #[serde(default)]
    pub timeout: Option<PositiveSeconds>,
    /// With `fixtures: graph`: how long to wait for an instance to become active, seconds.
    #[serde(default)]
    pub activation_timeout: Option<PositiveSeconds>,
}

macro_rules! names {
    ($name:ident => $target:ty { $($text:literal => $value:expr),+ $(,)? }) => {
        /// A value of the file, by name.
        #[derive(Debug, Clone, Copy, Deserialize)]
        #[serde(try_from = "String")]
        pub struct $name(pub $target);

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(s: String) -> Result<Self, String> {
                match s.as_str() {
                    $($text => Ok($name($value)),)+
                    other => Err(format!(
                        "unknown value `{other}`, expected one of {}",
                        [$(concat!("`", $text, "`")),+].join(", ")
                    )),
                }
            }
        }
    };
}

/// A whole number of seconds, at least 1 (refused while decoding otherwise, as the flag is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u64")]
pub struct PositiveSeconds(pub u64);

impl TryFrom<u64> for PositiveSeconds {
    type Error = String;

    fn try_from(n: u64) -> Result<Self, String> {
        if n == 0 {
            Err("0 is not a timeout: expected a whole number of seconds, at least 1".into())
        } else {
            Ok(PositiveSeconds(n))
        }
    }
}

names!(FixturesName => FixtureStrategy { "control" => FixtureStrategy::Control, "graph" => FixtureStrategy::Graph });
names!(EnforceName => Enforce { "documented" => Enforce::Documented, "all" => Enforce::All });
names!(UpdateMethodName => UpdateMethod { "put" => UpdateMethod::Put, "patch" => UpdateMethod::Patch, "both" => UpdateMethod::Both });

/// Reads and decodes a target file; a problem points at its line and column.
pub fn load(path: &Path) -> Result<TargetFile, Box<Diagnostic>> {
    crate::load::read_yaml_file(
        path,
        Some(
            "keys: base_url, control_url, fixtures, enforce, update_method, allow_tenant_writes, \
             token_env, credentials, principals, groups, allow_undocumented_group_filter, \
             setup_base_url, timeout, activation_timeout (see \
             schemas/target.schema.json)",
        ),
    )
}

/// Whether `name` is an environment variable name. A value that is not may be a secret pasted
/// in where a name belongs: the error never repeats it.
fn variable_name(name: &str) -> Result<(), String> {
    let is_name = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 128;
    if is_name {
        Ok(())
    } else {
        Err(
            "not an environment variable name where one belongs: a target file names \
             variables, never secrets (the value is not repeated here)"
                .to_string(),
        )
    }
}

/// Fills in what the command line left open (`given` says which flags it gave) from a target
/// file. Tokens are read from the environment variables the file names; a missing one is an
/// error naming the variable.
pub fn apply(cli: &mut Cli, file: &TargetFile, given: &dyn Fn(&str) -> bool) -> Result<(), String> {
    let env = |name: &str| {
        variable_name(name)?;
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("the target file names {name}, which is not set"))
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
        // A named credential is optional: when its variable is not set, the cases that need
        // it are skipped with the reason (`needs --credential NAME=TOKEN`).
        cli.credentials = file
            .credentials
            .iter()
            .map(|(credential, name)| {
                variable_name(name).map_err(|e| format!("credentials.{credential}: {e}"))?;
                Ok(env(name).ok().map(|token| format!("{credential}={token}")))
            })
            .collect::<Result<Vec<_>, String>>()?
            .into_iter()
            .flatten()
            .collect();
    }
    if let (false, Some(t)) = (given("timeout"), file.timeout) {
        cli.timeout = t.0;
    }
    if let (false, Some(t)) = (given("activation_timeout"), file.activation_timeout) {
        cli.activation_timeout = t.0;
    }
    if !given("groups") && !file.groups.is_empty() {
        cli.groups.clone_from(&file.groups);
    }
    if !given("setup_base_url") && file.setup_base_url.is_some() {
        cli.setup_base_url.clone_from(&file.setup_base_url);
    }
    if !given("allow_undocumented_group_filter")
        && file.allow_undocumented_group_filter == Some(true)
    {
        cli.allow_undocumented_group_filter = true;
    }
    cli.target_principals.clone_from(&file.principals);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Result<TargetFile, String> {
        serde_yaml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_target_file_decodes_and_refuses_what_it_does_not_know() {
        let t = decode(
            "base_url: https://graph.microsoft.com/beta\nfixtures: graph\nenforce: documented\nprincipals: {alice: a-1}\ncredentials: {app-without-permission: LOW_TOKEN}\ntimeout: 60\n",
        )
        .unwrap();
        assert_eq!(t.fixtures.map(|f| f.0), Some(FixtureStrategy::Graph));
        assert_eq!(t.principals["alice"], "a-1");
        assert!(
            decode("fixtures: live\n")
                .unwrap_err()
                .contains("expected one of `control`, `graph`")
        );
        assert!(
            decode("timeout: 0\n")
                .unwrap_err()
                .contains("0 is not a timeout")
        );
        assert_eq!(
            decode("timeout: 1\n").unwrap().timeout,
            Some(PositiveSeconds(1))
        );
        assert!(
            decode("token: abc\n")
                .unwrap_err()
                .contains("unknown field `token`")
        );
    }

    #[test]
    fn a_secret_where_a_variable_name_belongs_is_refused_and_never_repeated() {
        let secret = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.payload.sig";
        for text in [
            format!("token_env: \"{secret}\"\n"),
            format!("credentials:\n  app: \"{secret}\"\n"),
        ] {
            let file = decode(&text).unwrap();
            let mut cli = <Cli as clap::Parser>::parse_from(["accessreview-conformance"]);
            let err = apply(&mut cli, &file, &|_| false).unwrap_err();
            assert!(err.contains("never secrets"), "{err}");
            assert!(!err.contains("payload"), "{err}");
        }
    }
}
