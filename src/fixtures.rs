//! How a starting state comes to exist: the fixture control protocol (`--fixtures control`).
//!
//! `POST {control}/fixtures` with `{definition, instances}` → `201 {definitionId, instanceIds}`;
//! `DELETE {control}/fixtures/{definitionId}` → `204`.

use serde_json::{Value, json};

use crate::matching::clip;
use crate::target::{HttpRequest, Target, TransportError};

/// Why seeding or cleaning up failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProvisionError {
    /// The control endpoint could not be reached or did not answer.
    #[error("fixture control: {0}")]
    Transport(#[from] TransportError),
    /// It answered, but not as the protocol says.
    #[error("fixture control: {what} answered {status}: {body}")]
    Protocol {
        /// Which call.
        what: String,
        /// The status received.
        status: u16,
        /// The body received (cut).
        body: String,
    },
}

/// The ids a target gave one seeded definition and its instances (in the order sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// The definition's id.
    pub definition_id: String,
    /// The instances' ids.
    pub instance_ids: Vec<String>,
}

fn cut(body: &[u8]) -> String {
    clip(&String::from_utf8_lossy(body), 500)
}

/// Seeds one definition with its instances.
pub async fn seed(
    target: &Target,
    definition: &Value,
    instances: &[Value],
) -> Result<Seeded, ProvisionError> {
    let body = json!({"definition": definition, "instances": instances});
    let req = HttpRequest {
        method: "POST".into(),
        url: format!("{}/fixtures", target.control_url),
        headers: target.default_headers(true),
        body: Some(body.to_string().into_bytes()),
    };
    let resp = target.send(&req).await?;
    let bad = |status: u16, body: &[u8]| ProvisionError::Protocol {
        what: format!("POST {}", req.url),
        status,
        body: cut(body),
    };
    if resp.status != 201 {
        return Err(bad(resp.status, &resp.body));
    }
    let parsed: Value =
        serde_json::from_slice(&resp.body).map_err(|_| bad(resp.status, &resp.body))?;
    let definition_id = parsed
        .get("definitionId")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(resp.status, &resp.body))?
        .to_string();
    let instance_ids: Vec<String> = parsed
        .get("instanceIds")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if instance_ids.len() != instances.len() {
        return Err(bad(resp.status, &resp.body));
    }
    Ok(Seeded {
        definition_id,
        instance_ids,
    })
}

/// Deletes a seeded definition (and its instances).
pub async fn delete(target: &Target, definition_id: &str) -> Result<(), ProvisionError> {
    let req = HttpRequest {
        method: "DELETE".into(),
        url: format!("{}/fixtures/{definition_id}", target.control_url),
        headers: target.default_headers(false),
        body: None,
    };
    let resp = target.send(&req).await?;
    if resp.status == 204 || resp.status == 200 {
        Ok(())
    } else {
        Err(ProvisionError::Protocol {
            what: format!("DELETE {}", req.url),
            status: resp.status,
            body: cut(&resp.body),
        })
    }
}
