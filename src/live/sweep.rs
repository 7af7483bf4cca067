//! `--sweep`: after runs killed too hard to clean up, delete the definitions a run of this tool
//! left on a tenant — and only them. A definition is this tool's when its display name is
//! exactly `accessreview-conformance <run id>` (twelve hex digits) **and** its
//! `descriptionForAdmins` carries the marker a run writes, naming the same run id. Of those,
//! the sweep deletes the ones whose delete-after time (in the marker) has passed, or, with
//! `--older-than AGE`, that were created longer ago than AGE. `--dry-run` lists them without
//! deleting.
//!
//! The list is read page by page (`$top=100`, then `@odata.nextLink`) without `$filter`: the
//! list API documents only a filter on the scope's query, so the sweep filters on the client.
//! A delete that fails is reported and the sweep carries on.

use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::live::marker::list_all;
pub use crate::live::marker::run_of;
use crate::provision::ProvisionError;
use crate::target::{HttpRequest, Target};

/// One definition the sweep found, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swept {
    /// Its id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Why it is due (or why it is kept).
    pub why: String,
    /// Deleted (false: kept, or `--dry-run`).
    pub deleted: bool,
    /// Due for deletion.
    pub due: bool,
    /// Why the delete failed, when it did.
    pub error: Option<String>,
}

/// The delete-after time a run wrote into a definition's description.
pub fn delete_after(definition: &Value) -> Option<SystemTime> {
    let text = definition["descriptionForAdmins"].as_str()?;
    let stamp = text.split("delete after ").nth(1)?;
    let stamp = stamp.trim_end_matches('.').split_whitespace().next()?;
    let stamp = stamp.trim_end_matches('.');
    humantime::parse_rfc3339_weak(stamp).ok()
}

fn created(definition: &Value) -> Option<SystemTime> {
    let text = definition["createdDateTime"].as_str()?;
    humantime::parse_rfc3339_weak(text.trim_end_matches('Z').split('.').next()?).ok()
}

/// Finds this tool's definitions on the target and deletes the due ones (unless `dry_run`).
pub async fn sweep(
    target: &Target,
    older_than: Option<Duration>,
    dry_run: bool,
) -> Result<Vec<Swept>, ProvisionError> {
    let now = SystemTime::now();
    let mut out = Vec::new();
    for d in list_all(target).await? {
        if run_of(&d).is_none() {
            continue;
        }
        let name = d["displayName"].as_str().unwrap_or("").to_string();
        let id = d["id"].as_str().unwrap_or("").to_string();
        let expired = delete_after(&d).is_some_and(|t| t <= now);
        let old = older_than
            .zip(created(&d))
            .is_some_and(|(age, c)| c + age <= now);
        let why = match (expired, old) {
            (true, _) => "its delete-after time has passed".to_string(),
            (false, true) => "it is older than --older-than".to_string(),
            (false, false) => "not due yet".to_string(),
        };
        let due = expired || old;
        let mut deleted = false;
        let mut error = None;
        let unusable = crate::target::url::check_id(&id).err();
        if due && !dry_run && unusable.is_some() {
            error = unusable;
        } else if due && !dry_run {
            let del = HttpRequest {
                method: "DELETE".into(),
                url: target.setup_definition_url(&id),
                headers: target.default_headers(false),
                body: None,
            };
            match target.send(&del).await {
                Ok(resp) if matches!(resp.status, 200 | 204 | 404) => deleted = true,
                Ok(resp) => {
                    let e = ProvisionError::answered(
                        format!("DELETE {}", del.url),
                        resp.status,
                        &resp.body,
                    );
                    error = Some(e.to_string());
                }
                Err(e) => error = Some(e.to_string()),
            }
        }
        out.push(Swept {
            id,
            name,
            why,
            deleted,
            due,
            error,
        });
    }
    Ok(out)
}

/// The sweep's report, a line per definition.
pub fn render(swept: &[Swept], dry_run: bool) -> String {
    let mut s = String::new();
    for d in swept {
        let what = match (d.due, d.deleted, dry_run) {
            (true, true, _) => "deleted",
            (true, false, true) => "would delete",
            (true, false, false) => "NOT DELETED",
            (false, _, _) => "kept",
        };
        let why = match &d.error {
            Some(e) => format!("{}; the delete failed: {e}", d.why),
            None => d.why.clone(),
        };
        s.push_str(&format!("{what:<13} {}  {}  ({why})\n", d.id, d.name));
    }
    let due = swept.iter().filter(|d| d.due).count();
    let failed = swept.iter().filter(|d| d.error.is_some()).count();
    s.push_str(&format!(
        "{} definition(s) of this tool found, {due} due{}{}\n",
        swept.len(),
        if dry_run {
            " (dry run: nothing deleted)"
        } else {
            ""
        },
        if failed > 0 {
            format!("; {failed} could not be deleted (run --sweep again)")
        } else {
            String::new()
        }
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[rstest::rstest]
    #[case::ours(
        "accessreview-conformance 0123456789ab",
        "Created by accessreview-conformance (conformance run 0123456789ab); delete after 2001-02-03T04:05:06Z.",
        true
    )]
    #[case::no_delimiter(
        "accessreview-conformance-prod 0123456789ab",
        "Created by accessreview-conformance (conformance run 0123456789ab); delete after 2001-02-03T04:05:06Z.",
        false
    )]
    #[case::longer_name(
        "accessreview-conformance 0123456789ab (copy)",
        "Created by accessreview-conformance (conformance run 0123456789ab); delete after 2001-02-03T04:05:06Z.",
        false
    )]
    #[case::not_a_run_id(
        "accessreview-conformance quarterly",
        "Created by accessreview-conformance (conformance run quarterly); delete after 2001-02-03T04:05:06Z.",
        false
    )]
    #[case::no_marker(
        "accessreview-conformance 0123456789ab",
        "Quarterly review of the building group",
        false
    )]
    #[case::marker_of_another_run(
        "accessreview-conformance 0123456789ab",
        "Created by accessreview-conformance (conformance run ba9876543210); delete after 2001-02-03T04:05:06Z.",
        false
    )]
    fn only_definitions_with_the_exact_name_and_the_runs_marker_are_this_tools(
        #[case] name: &str,
        #[case] description: &str,
        #[case] ours: bool,
    ) {
        let d = json!({"displayName": name, "descriptionForAdmins": description});
        assert_eq!(run_of(&d).is_some(), ours, "{name} / {description}");
    }

    #[test]
    fn the_delete_after_time_is_read_from_the_description() {
        let d = json!({"descriptionForAdmins": "Created by accessreview-conformance (conformance run ab); delete after 2001-02-03T04:05:06Z."});
        let t = delete_after(&d).unwrap();
        assert_eq!(
            humantime::format_rfc3339_seconds(t).to_string(),
            "2001-02-03T04:05:06Z"
        );
        assert!(delete_after(&json!({"descriptionForAdmins": "something else"})).is_none());
        let c = created(&json!({"createdDateTime": "2001-02-03T04:05:06.789Z"})).unwrap();
        assert_eq!(
            humantime::format_rfc3339_seconds(c).to_string(),
            "2001-02-03T04:05:06Z"
        );
    }
}
