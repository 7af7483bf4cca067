//! The rule catalogue (`cases/rules.yaml`): every normative statement of the API page,
//! paraphrased, one testable rule each, plus inferred rules with their reason.

use serde::Deserialize;

use crate::case::attribution::Selector;

/// Whether a rule is stated by the page or inferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// Stated on the API page.
    Documented,
    /// Not stated, but follows from Graph conventions, the SDKs or the page's intent.
    Inferred,
}

impl RuleKind {
    /// `documented` or `inferred`, as every output writes it.
    pub fn name(self) -> &'static str {
        match self {
            RuleKind::Documented => "documented",
            RuleKind::Inferred => "inferred",
        }
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Kebab-case id cited by cases.
    pub id: String,
    /// Documented or inferred.
    pub kind: RuleKind,
    /// The rule, paraphrased.
    pub text: String,
    /// A link to where it is stated (defaults to the page).
    #[serde(default)]
    pub link: Option<String>,
    /// For inferred rules: why the rule is believed to hold.
    #[serde(default)]
    pub reason: Option<String>,
    /// What checks it (`status`, `body`, `instance.scope`, …): a finding there breaks it.
    /// None: every key of a case's part that cites it.
    #[serde(default)]
    pub checks: Vec<Selector>,
}

/// The whole catalogue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// The API page every documented rule links to.
    pub page: String,
    /// The rules, in page order.
    pub rules: Vec<Rule>,
}

impl Catalogue {
    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Every rule id.
    pub fn ids(&self) -> impl Iterator<Item = &str> + Clone {
        self.rules.iter().map(|r| r.id.as_str())
    }

    /// The link of a rule (its own, or the page).
    pub fn link<'a>(&'a self, rule: &'a Rule) -> &'a str {
        rule.link.as_deref().unwrap_or(&self.page)
    }
}
