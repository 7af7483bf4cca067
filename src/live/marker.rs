//! What marks a definition as this tool's, and reading every definition of a tenant: the
//! display name (`accessreview-conformance <run id>`), the marker a run writes into the admin
//! description, and the paged list. Shared by the live run (which reconciles by run id) and
//! `--sweep`.

use serde_json::Value;

use crate::provision::ProvisionError;
use crate::target::{HttpRequest, Target};

/// Every display name of a definition this tool creates starts with this.
pub const NAME_PREFIX: &str = "accessreview-conformance";

/// The most pages read (100 definitions each): a bound against a service that never stops
/// sending `@odata.nextLink`.
const MAX_PAGES: usize = 1000;

/// The admin description a run writes into every definition it creates.
pub fn marker(run_id: &str, delete_after: &str) -> String {
    format!("Created by {NAME_PREFIX} (conformance run {run_id}); delete after {delete_after}.")
}

/// The run id of a definition this tool created, when it is one: the display name is exactly
/// `accessreview-conformance <run id>` and the admin description carries the marker with the
/// same run id.
pub fn run_of(definition: &Value) -> Option<&str> {
    let name = definition["displayName"].as_str()?;
    let run = name.strip_prefix(NAME_PREFIX)?.strip_prefix(' ')?;
    let well_formed = run.len() == 12 && run.bytes().all(|b| b.is_ascii_hexdigit());
    let marker = format!("Created by {NAME_PREFIX} (conformance run {run}); delete after ");
    let description = definition["descriptionForAdmins"].as_str()?;
    (well_formed && description.starts_with(&marker)).then_some(run)
}

/// Every definition on the target, page by page.
pub async fn list_all(target: &Target) -> Result<Vec<Value>, ProvisionError> {
    let mut url = format!("{}?$top=100", target.setup_definitions_url());
    let origin = crate::target::url::origin(&url).to_string();
    let mut all = Vec::new();
    for _ in 0..MAX_PAGES {
        let req = HttpRequest {
            method: "GET".into(),
            url: url.clone(),
            headers: target.default_headers(false),
            body: None,
        };
        let resp = target.send(&req).await?;
        let page: Value = serde_json::from_slice(&resp.body)
            .ok()
            .filter(|_| resp.status == 200)
            .ok_or_else(|| {
                ProvisionError::answered(format!("GET {url}"), resp.status, &resp.body)
            })?;
        all.extend(page["value"].as_array().into_iter().flatten().cloned());
        match page["@odata.nextLink"].as_str() {
            // The token goes only where the list came from.
            Some(next) if crate::target::url::origin(next) == origin => url = next.to_string(),
            Some(next) => {
                return Err(ProvisionError::Protocol {
                    what: format!("GET {url}"),
                    status: resp.status,
                    body: format!(
                        "@odata.nextLink {next:?} leaves the target's origin; not followed"
                    ),
                });
            }
            None => return Ok(all),
        }
    }
    Err(ProvisionError::Protocol {
        what: format!("GET {url}"),
        status: 200,
        body: format!("still more pages after {MAX_PAGES}; stopped"),
    })
}
