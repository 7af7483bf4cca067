//! `--target FILE`: a target described once, in YAML, instead of a long command line — base
//! URL, fixtures strategy, enforcement, principals, timeouts, and which environment variables
//! hold the tokens (a target file never holds a secret itself). Flags given on the command line
//! override the file. `schemas/target.schema.json` describes it for editors.

use std::collections::HashMap;
use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::case::UpdateMethod;
use crate::cli::{Enforce, FixtureStrategy};
use crate::files::InputFile;
use crate::source::{Diagnostic, SourceFile};

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
    /// Per-request timeout, seconds.
    #[serde(default)]
    pub timeout: Option<u64>,
    /// With `fixtures: graph`: how long to wait for an instance to become active, seconds.
    #[serde(default)]
    pub activation_timeout: Option<u64>,
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

names!(FixturesName => FixtureStrategy { "control" => FixtureStrategy::Control, "graph" => FixtureStrategy::Graph });
names!(EnforceName => Enforce { "documented" => Enforce::Documented, "all" => Enforce::All });
names!(UpdateMethodName => UpdateMethod { "put" => UpdateMethod::Put, "patch" => UpdateMethod::Patch, "both" => UpdateMethod::Both });

/// Reads and decodes a target file; a problem points at its line and column.
pub fn load(path: &Path) -> Result<TargetFile, Box<Diagnostic>> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| Box::new(Diagnostic::file(shown.clone(), format!("cannot read: {e}"))))?;
    let file = InputFile::from_bytes(shown.clone(), shown.clone(), &bytes);
    if let Some(why) = file.not_text {
        return Err(Box::new(Diagnostic::file(shown, why.to_string())));
    }
    serde_yaml::from_str(&file.text).map_err(|e| {
        let src = SourceFile::new(shown.clone(), file.text.clone());
        Box::new(crate::load::yaml_diagnostic(&src, &e).with_help(
            "keys: base_url, control_url, fixtures, enforce, update_method, allow_tenant_writes, \
             token_env, credentials, principals, groups, timeout, activation_timeout (see \
             schemas/target.schema.json)",
        ))
    })
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
            "base_url: https://graph.microsoft.com/beta\nfixtures: graph\nenforce: documented\nprincipals: {alice: a-1}\ncredentials: {unprivileged: LOW_TOKEN}\ntimeout: 60\n",
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
            decode("token: abc\n")
                .unwrap_err()
                .contains("unknown field `token`")
        );
    }
}
