//! What a target profile says the service does where the page is silent — its `silent-page`
//! section — and how the mock takes it on: a set of [`Variant`]s and error codes by status.
//! `accessreview-mock --profile FILE` reads it from a profile written by
//! `accessreview-conformance --probe FILE` (or by hand; `schemas/target-profile.schema.json`).

use std::collections::BTreeMap;

use crate::faults::variant::Variant;

/// The choices where the page is silent. Each one left out is the reference behaviour.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SilentPage {
    /// The status a PATCH of a valid update is answered with: 200 (as PUT), 204 (no
    /// content) or 405 (only PUT is served).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<u16>,
    /// The status of an update that carries read-only properties or another scope: 200
    /// (ignored) or 400 (refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_body: Option<u16>,
    /// The status of an update of an unknown definition or instance: 404 or 400.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_ids: Option<u16>,
    /// The status of an update of an instance that is not InProgress: 409 or 400.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_in_progress: Option<u16>,
    /// The status of an update naming a user the tenant does not have: 200 or 400 (the mock
    /// knows the tenant's users from `--user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_users: Option<u16>,
    /// Whether a GET of an instance holds the reviewer lists: `always`, or `with-select`
    /// (only when `$select` names them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_lists: Option<GetLists>,
    /// Whether instances and reviewer scopes carry properties the metadata does not know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_properties: Option<bool>,
    /// The order of reviewer lists in answers: `stored`, or `varies` from answer to answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_order: Option<ListOrder>,
    /// The error `code` answered with each error status (`""`: an empty code).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub error_codes: BTreeMap<u16, String>,
}

/// Whether a GET holds the reviewer lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GetLists {
    /// Always (the reference).
    Always,
    /// Only when `$select` names them.
    WithSelect,
}

/// The order of reviewer lists in answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListOrder {
    /// As stored (the reference).
    Stored,
    /// Another order from one answer to the next.
    Varies,
}

/// Why a profile cannot be taken on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SilentPageError {
    /// The text is not a profile.
    #[error("not a target profile: {0}")]
    Format(String),
    /// A choice the mock cannot make.
    #[error("silent-page.{key}: {value} is not an answer the mock can give (valid: {valid})")]
    Unsupported {
        /// The choice.
        key: &'static str,
        /// What the profile says.
        value: u16,
        /// What the mock can do.
        valid: &'static str,
    },
}

/// The top-level keys of a profile document (`trials` and `profile` are the runner's).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    profile: Option<u32>,
    #[serde(rename = "silent-page", default)]
    silent_page: SilentPage,
    #[allow(dead_code)]
    trials: Option<serde_yaml::Value>,
}

impl SilentPage {
    /// The `silent-page` section of a profile document (YAML).
    pub fn from_profile(text: &str) -> Result<SilentPage, SilentPageError> {
        let doc: Document =
            serde_yaml::from_str(text).map_err(|e| SilentPageError::Format(e.to_string()))?;
        if let Some(v) = doc.profile.filter(|v| *v != 1) {
            return Err(SilentPageError::Format(format!(
                "profile format {v}; this mock reads format 1"
            )));
        }
        doc.silent_page.variants()?;
        Ok(doc.silent_page)
    }

    /// The variants these choices amount to; an error for a choice the mock cannot make.
    pub fn variants(&self) -> Result<Vec<Variant>, SilentPageError> {
        let mut out = Vec::new();
        let mut pick = |key: &'static str,
                        value: Option<u16>,
                        valid: &'static str,
                        table: &[(u16, Option<Variant>)]|
         -> Result<(), SilentPageError> {
            let Some(value) = value else { return Ok(()) };
            match table.iter().find(|(s, _)| *s == value) {
                Some((_, v)) => {
                    out.extend(*v);
                    Ok(())
                }
                None => Err(SilentPageError::Unsupported { key, value, valid }),
            }
        };
        pick(
            "patch",
            self.patch,
            "200, 204, 405",
            &[
                (200, None),
                (204, Some(Variant::Patch204)),
                (405, Some(Variant::PutOnly)),
            ],
        )?;
        pick(
            "read-only-body",
            self.read_only_body,
            "200, 400",
            &[(200, None), (400, Some(Variant::ReadOnly400))],
        )?;
        pick(
            "unknown-ids",
            self.unknown_ids,
            "404, 400",
            &[(404, None), (400, Some(Variant::UnknownIds400))],
        )?;
        pick(
            "not-in-progress",
            self.not_in_progress,
            "409, 400",
            &[(409, None), (400, Some(Variant::NotInProgress400))],
        )?;
        pick(
            "unknown-users",
            self.unknown_users,
            "200, 400",
            &[(200, None), (400, Some(Variant::UnknownUsers400))],
        )?;
        if self.get_lists == Some(GetLists::WithSelect) {
            out.push(Variant::GetWithoutLists);
        }
        if self.extra_properties == Some(true) {
            out.push(Variant::ExtraProperties);
        }
        if self.list_order == Some(ListOrder::Varies) {
            out.push(Variant::ReorderedLists);
        }
        if let Some((&status, _)) = self
            .error_codes
            .iter()
            .find(|(s, _)| !(400..600).contains(*s))
        {
            return Err(SilentPageError::Unsupported {
                key: "error-codes",
                value: status,
                valid: "error statuses, 400 to 599",
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("silent-page: {patch: 204}", &[Variant::Patch204])]
    #[case("silent-page: {patch: 405}", &[Variant::PutOnly])]
    #[case("silent-page: {patch: 200, unknown-ids: 404}", &[])]
    #[case("silent-page: {read-only-body: 400}", &[Variant::ReadOnly400])]
    #[case("silent-page: {unknown-ids: 400}", &[Variant::UnknownIds400])]
    #[case("silent-page: {not-in-progress: 400}", &[Variant::NotInProgress400])]
    #[case("silent-page: {unknown-users: 400}", &[Variant::UnknownUsers400])]
    #[case("silent-page: {get-lists: with-select}", &[Variant::GetWithoutLists])]
    #[case("silent-page: {extra-properties: true}", &[Variant::ExtraProperties])]
    #[case("silent-page: {list-order: varies}", &[Variant::ReorderedLists])]
    #[case("profile: 1\ntrials: {}\n", &[])]
    fn each_choice_is_its_variant(#[case] text: &str, #[case] want: &[Variant]) {
        let page = SilentPage::from_profile(text).unwrap();
        assert_eq!(page.variants().unwrap(), want);
    }

    #[rstest]
    #[case(
        "silent-page: {patch: 201}",
        "silent-page.patch: 201 is not an answer the mock can give (valid: 200, 204, 405)"
    )]
    #[case("silent-page: {not-in-progress: 403}", "valid: 409, 400")]
    #[case("silent-page: {error-codes: {200: Ok}}", "error-codes: 200")]
    #[case("silent-page: {pach: 204}", "unknown field `pach`")]
    #[case("silent_page: {}", "unknown field `silent_page`")]
    #[case("- a list", "not a target profile")]
    #[case("profile: 2", "profile format 2; this mock reads format 1")]
    fn what_the_mock_cannot_do_is_refused(#[case] text: &str, #[case] says: &str) {
        let err = SilentPage::from_profile(text).unwrap_err().to_string();
        assert!(err.contains(says), "{err}");
    }
}
