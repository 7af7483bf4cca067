//! The phases of a trial that talk to the target: provision the starting state, snapshot it,
//! build the request, read objects back.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::case::Auth;
use crate::case::finding::StateObject;
use crate::case::matching::{clip, show};
use crate::case::template::Bindings;
use crate::case::{GivenObject, Snapshot, state_of};
use crate::case::{RequestBody, TrialSpec};
use crate::run::outcome::TrialError;
use crate::run::verify::ReadBack;
use crate::target::{HttpRequest, Secret, Target};

use super::context::RunContext;

/// The token a request carries for `auth`.
pub(super) fn token_for(target: &Target, auth: Auth) -> Option<Secret> {
    match auth {
        Auth::Default => target.run_token(),
        Auth::None => None,
        Auth::Credential(c) => target.credentials.get(&c).cloned(),
    }
}

/// What instance read-backs select: every property of accessReviewInstance (a plain GET of an
/// instance, as documented, may leave the reviewer lists out).
pub const INSTANCE_SELECT: &str =
    "id,status,startDateTime,endDateTime,scope,reviewers,fallbackReviewers,errors";

/// What definition read-backs select: what an instance update could touch, not the fields
/// the definition's own lifecycle changes (status, lastModifiedDateTime).
pub const DEFINITION_SELECT: &str = "id,displayName,scope,reviewers,fallbackReviewers";

/// The URL that reads an object back with `$select`.
pub(super) fn select(url: &str, is_instance: bool) -> String {
    let fields = if is_instance {
        INSTANCE_SELECT
    } else {
        DEFINITION_SELECT
    };
    format!("{url}?$select={fields}")
}

/// A provisioned object: its symbol and URL.
pub(super) struct Provisioned {
    pub(super) symbol: String,
    pub(super) url: String,
    pub(super) is_instance: bool,
}

/// What a trial created on the target.
#[derive(Debug, Default)]
pub(super) struct Created {
    /// The definitions, in creation order (each deleted with its instances).
    pub(super) definitions: Vec<String>,
    /// Each object's symbol and id.
    pub(super) ids: Vec<(String, String)>,
    /// The requests that created them, as sent.
    pub(super) setup: Vec<HttpRequest>,
}

/// Brings every fixture of the case into existence; records what was created in `created`
/// (so that it is deleted whatever happens next) and binds the symbols to their ids.
pub(super) async fn provision(
    ctx: &RunContext,
    spec: &TrialSpec,
    bindings: &mut Bindings,
    created: &mut Created,
) -> Result<Vec<Provisioned>, TrialError> {
    let mut objects = Vec::new();
    for fixture in &spec.case.given.fixtures {
        let rendered = Arc::new(fixture.render(bindings)?);
        if let Some(reason) = ctx.provisioner.unsupported(&rendered) {
            return Err(TrialError::NotProducible(reason));
        }
        let seeded = ctx.provisioner.create(&rendered).await?;
        created.definitions.push(seeded.definition_id.clone());
        created.setup.push(seeded.request);
        created
            .ids
            .push((fixture.name.clone(), seeded.definition_id.clone()));
        (bindings.given).insert(fixture.name.clone(), GivenObject::definition(&rendered));
        bindings
            .ids
            .insert(fixture.name.clone(), seeded.definition_id.clone());
        objects.push(Provisioned {
            symbol: fixture.name.clone(),
            url: ctx.target.definition_url(&seeded.definition_id),
            is_instance: false,
        });
        for (k, ((name, _), id)) in (fixture.instances.iter())
            .zip(seeded.instance_ids)
            .enumerate()
        {
            (bindings.given).insert(name.clone(), GivenObject::instance(&rendered, k));
            bindings.ids.insert(name.clone(), id.clone());
            created.ids.push((name.clone(), id.clone()));
            objects.push(Provisioned {
                symbol: name.clone(),
                url: ctx.target.instance_url(&seeded.definition_id, &id),
                is_instance: true,
            });
        }
    }
    Ok(objects)
}

/// Why the state read before the request is not the starting state asked for, if it is not:
/// an instance whose reviewers or fallback reviewers (compared by what their queries name, in
/// any order) differ from the ones it was created with.
pub(super) fn not_kept(
    objects: &[Provisioned],
    bindings: &Bindings,
    before: &HashMap<String, Arc<Snapshot>>,
) -> Option<String> {
    let names = |v: Option<&Value>| -> Vec<String> {
        let mut names: Vec<String> = v
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|r| {
                r.get("query")
                    .and_then(Value::as_str)
                    .map_or_else(|| r.to_string(), crate::case::query::normalize_query)
            })
            .collect();
        names.sort();
        names
    };
    objects.iter().filter(|o| o.is_instance).find_map(|o| {
        let asked = bindings.given.get(&o.symbol)?.value()?;
        let held = before.get(&o.symbol)?.value();
        crate::case::matching::REVIEWER_KEYS.iter().find_map(|key| {
            // A target that does not show a list says nothing about whether it kept it.
            let (wanted, shown) = (asked.get(*key)?, held.get(*key)?);
            let (a, h) = (names(Some(wanted)), names(Some(shown)));
            (a != h).then(|| {
                format!(
                    "the tenant did not keep the starting state: {}'s {key} were created as {a:?} and read back as {h:?}",
                    o.symbol
                )
            })
        })
    })
}

/// The state before the request: every provisioned object, read through the API (each
/// checked to be a JSON object, and parsed when something reads it).
pub(super) async fn snapshot(
    target: &Target,
    objects: &[Provisioned],
) -> Result<HashMap<String, Arc<Snapshot>>, TrialError> {
    let mut before = HashMap::with_capacity(objects.len());
    for o in objects {
        let read = fetch(target, &select(&o.url, o.is_instance))
            .await
            .and_then(snapshot_of);
        let snapshot = read.map_err(|e| TrialError::ReadBefore(format!("{}: {e}", o.symbol)))?;
        before.insert(o.symbol.clone(), Arc::new(snapshot));
    }
    Ok(before)
}

pub(super) async fn read_back(
    target: &Target,
    object: StateObject,
    url: &str,
    before: Option<&Arc<Snapshot>>,
) -> ReadBack {
    let url = select(url, object != StateObject::Definition);
    ReadBack {
        object,
        after: read(target, &url).await,
        url,
        before: before.map(Arc::clone),
    }
}

/// The request of a case, rendered with one copy's bindings.
pub(super) fn build_request(
    ctx: &RunContext,
    spec: &TrialSpec,
    bindings: &Bindings,
    url: &str,
) -> Result<HttpRequest, TrialError> {
    let when = &spec.case.when;
    let body: Option<Vec<u8>> = match &when.body {
        RequestBody::None => None,
        RequestBody::Json(tree) => {
            let mut body = Vec::with_capacity(256);
            tree.write_json(bindings, &mut body)?;
            Some(body)
        }
        RequestBody::Raw(s) => Some(s.clone().into_bytes()),
    };
    let token = token_for(&ctx.target, when.auth);
    let mut headers = ctx.target.headers_with(token.as_ref(), body.is_some());
    for (name, value) in &when.headers {
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        if let Some(v) = value {
            headers.push((name.clone(), v.render(bindings)?));
        }
    }
    Ok(HttpRequest {
        method: spec.method.clone(),
        url: url.to_string(),
        headers,
        body,
    })
}

/// A snapshot of a read's text, or why the text is not an object, as a full parse says (what
/// [`Snapshot::read`] does not take is left to it).
fn snapshot_of(text: Vec<u8>) -> Result<Snapshot, String> {
    Snapshot::read(text).or_else(|text| parse_object(&text).map(Snapshot::from_value))
}

/// GETs a JSON object; any other answer is described as an error string.
pub(super) async fn read(target: &Target, url: &str) -> Result<Value, String> {
    parse_object(&fetch(target, url).await?)
}

/// The object's state in a read's text (see [`state_of`]), or why the text is not an object.
fn parse_object(text: &[u8]) -> Result<Value, String> {
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(o)) => Ok(state_of(o)),
        Ok(other) => Err(format!("not a JSON object: {}", show(&other))),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

/// GETs an object's text; any answer but a 200 is described as an error string.
async fn fetch(target: &Target, url: &str) -> Result<Vec<u8>, String> {
    let req = HttpRequest {
        method: "GET".into(),
        url: url.to_string(),
        headers: target.default_headers(false),
        body: None,
    };
    let resp = target.send(&req).await.map_err(|e| e.to_string())?;
    if resp.status != 200 {
        let text = String::from_utf8_lossy(&resp.body);
        return Err(format!("status {}: {}", resp.status, clip(&text, 300)));
    }
    Ok(resp.body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn nested(depth: usize) -> Vec<u8> {
        format!("{{\"a\":{}{}}}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
    }

    /// A snapshot is what a full parse of the text gives, or fails as it fails, whatever the
    /// text: the check without building the value lets nothing else through.
    #[rstest]
    #[case::an_object(br#"{"id":"i","@odata.context":"x","s":"\ud83d\ude00"}"#.to_vec())]
    #[case::not_an_object(b"[1]".to_vec())]
    #[case::not_json(b"<html>".to_vec())]
    #[case::a_lone_surrogate(br#"{"s":"\ud83d"}"#.to_vec())]
    #[case::not_utf8(b"{\"s\":\"caf\xe9\"}".to_vec())]
    #[case::out_of_range(br#"{"n":-1e400}"#.to_vec())]
    #[case::depth_126(nested(126))]
    #[case::depth_127(nested(127))]
    #[case::depth_128(nested(128))]
    #[case::a_raw_value_first(br#"{"$serde_json::private::RawValue":"{\"a\":1}"}"#.to_vec())]
    #[case::a_raw_value_not_an_object(br#"{"$serde_json::private::RawValue":"[1]"}"#.to_vec())]
    #[case::a_raw_value_nested(br#"{"a":{"$serde_json::private::RawValue":1}}"#.to_vec())]
    #[case::a_raw_value_nested_not_json(br#"{"a":{"$serde_json::private::RawValue":"x"}}"#.to_vec())]
    #[case::a_raw_value_in_an_array(br#"{"a":[{"$serde_json::private::RawValue":"1","b":2}]}"#.to_vec())]
    #[case::a_raw_value_nested_valid(br#"{"a":{"$serde_json::private::RawValue":"[1]"}}"#.to_vec())]
    #[case::a_raw_value_escaped(br#"{"a":{"$serde_json::private::RawValu\u0065":"x"}}"#.to_vec())]
    #[case::a_raw_value_second(br#"{"a":{"b":1,"$serde_json::private::RawValue":"x"}}"#.to_vec())]
    fn a_snapshot_is_what_a_full_parse_gives(#[case] text: Vec<u8>) {
        let full = parse_object(&text);
        let snapshot = snapshot_of(text);
        assert_eq!(snapshot.as_ref().map(Snapshot::value), full.as_ref());
    }
}
