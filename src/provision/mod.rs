//! How a starting state comes to exist on a target: the [`Provisioner`] trait, and its first
//! implementation, the fixture control protocol (`--fixtures control`).
//!
//! `POST {control}/fixtures` with `{definition, instances}` → `201 {definitionId, instanceIds}`;
//! `DELETE {control}/fixtures/{definitionId}` → `204`.

pub mod progress;

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use crate::case::RenderedFixture;
use crate::case::matching::clip;
use crate::target::{HttpRequest, Target, TransportError};

/// A boxed future, so that provisioners can live behind `dyn`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why seeding or cleaning up failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProvisionError {
    /// The provisioning endpoint could not be reached or did not answer.
    #[error("{0}")]
    Transport(#[from] TransportError),
    /// It answered, but not as the protocol says.
    #[error("{what} answered {status}: {body}")]
    Protocol {
        /// Which call.
        what: String,
        /// The status received.
        status: u16,
        /// The body received (cut).
        body: String,
    },
    /// What it waited for did not happen in time.
    #[error("{what}: not so after {after:?}: {last_seen}")]
    Timeout {
        /// What was waited for.
        what: String,
        /// How long.
        after: std::time::Duration,
        /// What was seen last (cut).
        last_seen: String,
    },
    /// The run is being interrupted (Ctrl-C, SIGTERM): nothing new is created.
    #[error("{what}: the run is being interrupted")]
    Interrupted {
        /// What was not done.
        what: String,
    },
}

impl ProvisionError {
    /// An answer that is not what the protocol says: the call, the status and the body (cut).
    pub fn answered(what: impl Into<String>, status: u16, body: &[u8]) -> ProvisionError {
        ProvisionError::Protocol {
            what: what.into(),
            status,
            body: clip(&String::from_utf8_lossy(body), 500),
        }
    }
}

/// The ids a target gave one created definition and its instances (in the order sent).
#[derive(Debug, Clone)]
pub struct Seeded {
    /// The definition's id.
    pub definition_id: String,
    /// The instances' ids.
    pub instance_ids: Vec<String>,
    /// The request that created them, as sent (for a reproduction by hand).
    pub request: HttpRequest,
}

/// Brings a definition with its instances into existence on the target, and removes it again.
pub trait Provisioner: Send + Sync + std::fmt::Debug {
    /// Creates one definition with its instances (rendered properties; each instance
    /// carries its `status`).
    fn create<'a>(
        &'a self,
        fixture: &'a RenderedFixture,
    ) -> BoxFuture<'a, Result<Seeded, ProvisionError>>;

    /// Deletes a created definition with its instances.
    fn delete<'a>(&'a self, definition_id: &'a str) -> BoxFuture<'a, Result<(), ProvisionError>>;

    /// The request that deletes a created definition (what [`Provisioner::delete`] sends
    /// first), for a user who deletes a kept state by hand.
    fn delete_request(&self, definition_id: &str) -> HttpRequest;

    /// A created definition is kept (`--keep-on-failure`): nothing of the run deletes it.
    fn keep(&self, _definition_id: &str) {}

    /// Why this starting state cannot be produced here, if it cannot (the trial is then
    /// skipped with the reason). The control protocol can seed anything.
    fn unsupported(&self, _fixture: &RenderedFixture) -> Option<String> {
        None
    }

    /// Whether what was asked for may come out otherwise (a live tenant may drop fallback
    /// reviewers it does not offer for specific-user reviewers): then a starting state whose
    /// reviewers read back differ from what was asked is skipped with the difference, not
    /// tested. The control protocol seeds exactly what it is given.
    fn may_differ(&self) -> bool {
        false
    }
}

/// The fixture control protocol, at the target's control URL.
#[derive(Debug, Clone)]
pub struct ControlProtocol {
    target: Target,
}

impl ControlProtocol {
    /// The protocol at `target.control_url`, with the target's client, token and limits.
    pub fn new(target: Target) -> ControlProtocol {
        ControlProtocol { target }
    }
}

impl Provisioner for ControlProtocol {
    fn create<'a>(
        &'a self,
        fixture: &'a RenderedFixture,
    ) -> BoxFuture<'a, Result<Seeded, ProvisionError>> {
        Box::pin(async move {
            let target = &self.target;
            // The protocol's body is the rendered fixture's text, as it is.
            let req = HttpRequest {
                method: "POST".into(),
                url: format!("{}/fixtures", target.control_url),
                headers: target.control_headers(true),
                body: Some(fixture.json().to_vec()),
            };
            let resp = target.send(&req).await?;
            let bad = |status: u16, body: &[u8]| {
                ProvisionError::answered(format!("POST {}", req.url), status, body)
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
            if instance_ids.len() != fixture.instance_count() {
                return Err(bad(resp.status, &resp.body));
            }
            // Ids go into URLs that carry the token: one path segment each, or nothing.
            if let Some(problem) = std::iter::once(&definition_id)
                .chain(&instance_ids)
                .find_map(|id| crate::target::url::check_id(id).err())
            {
                return Err(ProvisionError::Protocol {
                    what: format!("POST {}", req.url),
                    status: resp.status,
                    body: problem,
                });
            }
            Ok(Seeded {
                definition_id,
                instance_ids,
                request: req,
            })
        })
    }

    fn delete_request(&self, definition_id: &str) -> HttpRequest {
        HttpRequest {
            method: "DELETE".into(),
            url: format!(
                "{}/fixtures/{}",
                self.target.control_url,
                crate::target::segment(definition_id)
            ),
            headers: self.target.control_headers(false),
            body: None,
        }
    }

    fn delete<'a>(&'a self, definition_id: &'a str) -> BoxFuture<'a, Result<(), ProvisionError>> {
        Box::pin(async move {
            let target = &self.target;
            let req = self.delete_request(definition_id);
            let resp = target.send(&req).await?;
            if resp.status == 204 || resp.status == 200 {
                Ok(())
            } else {
                Err(ProvisionError::answered(
                    format!("DELETE {}", req.url),
                    resp.status,
                    &resp.body,
                ))
            }
        })
    }
}
