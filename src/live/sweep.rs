//! `--sweep`: after runs killed too hard to clean up, delete the definitions a run of this tool
//! left on a tenant — those whose display name carries [`NAME_PREFIX`] and whose delete-after
//! time (in their description) has passed, or that are older than `--older-than` — and only
//! them. `--dry-run` lists them without deleting.

use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::live::graph::NAME_PREFIX;
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
    let url = format!(
        "{}?$filter=startswith(displayName,'{NAME_PREFIX}')",
        target.definitions_url()
    );
    let req = HttpRequest {
        method: "GET".into(),
        url: url.clone(),
        headers: target.default_headers(false),
        body: None,
    };
    let resp = target.send(&req).await?;
    let protocol = ProvisionError::answered;
    let list: Value = serde_json::from_slice(&resp.body)
        .ok()
        .filter(|_| resp.status == 200)
        .ok_or_else(|| protocol(format!("GET {url}"), resp.status, &resp.body))?;
    let now = SystemTime::now();
    let mut out = Vec::new();
    for d in list["value"].as_array().into_iter().flatten() {
        let name = d["displayName"].as_str().unwrap_or("").to_string();
        // The service filters by prefix; check again rather than trust it.
        if !name.starts_with(NAME_PREFIX) {
            continue;
        }
        let id = d["id"].as_str().unwrap_or("").to_string();
        let expired = delete_after(d).is_some_and(|t| t <= now);
        let old = older_than
            .zip(created(d))
            .is_some_and(|(age, c)| c + age <= now);
        let why = match (expired, old) {
            (true, _) => "its delete-after time has passed".to_string(),
            (false, true) => "it is older than --older-than".to_string(),
            (false, false) => "not due yet".to_string(),
        };
        let due = expired || old;
        let mut deleted = false;
        if due && !dry_run && !id.is_empty() {
            let del = HttpRequest {
                method: "DELETE".into(),
                url: target.definition_url(&id),
                headers: target.default_headers(false),
                body: None,
            };
            let resp = target.send(&del).await?;
            if !matches!(resp.status, 200 | 204 | 404) {
                return Err(protocol(
                    format!("DELETE {}", del.url),
                    resp.status,
                    &resp.body,
                ));
            }
            deleted = true;
        }
        out.push(Swept {
            id,
            name,
            why,
            deleted,
            due,
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
            (true, false, false) => "not deleted",
            (false, _, _) => "kept",
        };
        s.push_str(&format!("{what:<13} {}  {}  ({})\n", d.id, d.name, d.why));
    }
    let due = swept.iter().filter(|d| d.due).count();
    s.push_str(&format!(
        "{} definition(s) of this tool found, {due} due{}\n",
        swept.len(),
        if dry_run {
            " (dry run: nothing deleted)"
        } else {
            ""
        }
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
