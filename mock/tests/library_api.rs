//! The mock as a Rust user's test double: start, seed, update over HTTP, read back; refusals
//! are Graph error bodies; the binary prints its base URL first.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use accessreview_mock::{
    Deviation, MockOptions, MockServer, ReceivedRequest, RequestKind, Restricted, Variant, Why,
};
use serde_json::{Value, json};

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

const SCOPE: &str = "/groups/02f3bafb-448c-487c-88c2-5fd65ce49a41/transitiveMembers";

#[tokio::test]
async fn start_seed_update_and_read_back() {
    let mock = MockServer::start().await.unwrap();
    let seeded = mock
        .seed(&json!({
            "definition": {"fallbackReviewers": [{"query": "/users/fallback"}]},
            "instances": [{"status": "InProgress"}, {"status": "InProgress"}]
        }))
        .unwrap();
    let (d, i) = (&seeded.definition_id, &seeded.instance_ids[0]);
    let body = json!({
        "scope": {"query": SCOPE, "queryType": "MicrosoftGraph"},
        "reviewers": [{"query": "/users/alice", "queryType": "MicrosoftGraph"}],
        "fallbackReviewers": [{"query": "/users/fallback"}, {"query": "/users/bob"}]
    });
    let answer = client()
        .patch(mock.instance_url(d, i))
        .bearer_auth("t")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let answered: Value = answer.json().await.unwrap();
    assert!(
        answered["@odata.context"]
            .as_str()
            .unwrap()
            .contains("$metadata#")
    );
    let stored = mock.instance(d, i).unwrap();
    assert_eq!(stored["reviewers"][0]["query"], "/v1.0/users/alice");
    assert_eq!(stored["fallbackReviewers"].as_array().unwrap().len(), 2);
    // The sibling and the definition are untouched.
    let sibling = mock.instance(d, &seeded.instance_ids[1]).unwrap();
    assert_eq!(sibling["reviewers"], json!([]));
    assert_eq!(mock.definition(d).unwrap()["reviewers"], json!([]));
    // Read back over HTTP too.
    let read: Value = client()
        .get(mock.instance_url(d, i))
        .bearer_auth("t")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["reviewers"], stored["reviewers"]);
}

#[tokio::test]
async fn refusals_are_graph_error_bodies_and_change_nothing() {
    let mock = MockServer::start().await.unwrap();
    let seeded = mock
        .seed(&json!({"instances": [{"status": "Completed"}]}))
        .unwrap();
    let url = mock.instance_url(&seeded.definition_id, &seeded.instance_ids[0]);
    let before = mock.instance(&seeded.definition_id, &seeded.instance_ids[0]);
    for (token, body, status) in [
        (None, json!({"scope": {}}), 401),
        (Some("t"), json!({"reviewers": []}), 400),
        (Some("t"), json!({"scope": {}, "reviewers": []}), 409),
    ] {
        let mut req = client().put(&url).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), status, "{body}");
        assert!(resp.headers().contains_key("request-id"));
        let err: Value = resp.json().await.unwrap();
        assert!(err["error"]["code"].is_string(), "{err}");
        assert!(err["error"]["message"].is_string(), "{err}");
    }
    let unknown = mock.instance_url(&seeded.definition_id, "nope");
    let resp = client()
        .put(&unknown)
        .bearer_auth("t")
        .json(&json!({"scope": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(
        mock.instance(&seeded.definition_id, &seeded.instance_ids[0]),
        before
    );
}

#[tokio::test]
async fn a_deviation_changes_only_what_it_names() {
    let options = MockOptions {
        deviation: Some(Deviation::UpdateAnyStatus),
        ..MockOptions::default()
    };
    let mock = MockServer::start_with("127.0.0.1:0", options)
        .await
        .unwrap();
    let seeded = mock
        .seed(&json!({"instances": [{"status": "Completed"}]}))
        .unwrap();
    let url = mock.instance_url(&seeded.definition_id, &seeded.instance_ids[0]);
    let resp = client()
        .put(&url)
        .bearer_auth("t")
        .json(&json!({"scope": {}, "reviewers": [{"query": "/users/x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let stored = mock
        .instance(&seeded.definition_id, &seeded.instance_ids[0])
        .unwrap();
    assert_eq!(stored["status"], "Completed");
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let mock = MockServer::start().await.unwrap();
    let url = format!(
        "{}/identityGovernance/accessReviews/definitions/x",
        mock.base_url()
    );
    drop(mock);
    let mut refused = false;
    // Graceful shutdown ends the accept loop; poll with a deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if client().get(&url).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(refused, "the mock still answers after drop");
}

#[test]
fn the_binary_prints_its_base_url_first_and_lists_deviations() {
    let bin = env!("CARGO_BIN_EXE_accessreview-mock");
    let out = Command::new(bin).arg("--list-deviations").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for d in Deviation::ALL {
        assert!(
            text.contains(d.name()) && text.contains(d.breaks()),
            "{text}"
        );
    }
    let mut child = Command::new(bin)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.trim().starts_with("http://127.0.0.1:") && line.trim().ends_with("/beta"),
        "{line:?}"
    );
}

#[tokio::test]
async fn gets_honour_select() {
    let mock = MockServer::start().await.unwrap();
    let seeded = mock
        .seed(&json!({"instances": [{"status": "InProgress"}]}))
        .unwrap();
    let url = mock.instance_url(&seeded.definition_id, &seeded.instance_ids[0]);
    let read: Value = client()
        .get(format!("{url}?$select=reviewers,status"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut keys: Vec<&str> = read
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["@odata.context", "id", "reviewers", "status"]);
}

/// An instance read (plain GET, or with `?$select=…`) and an update, against a variant.
async fn variant_answers(variant: Variant) -> (Value, Value, reqwest::StatusCode, Value) {
    let options = MockOptions {
        variants: vec![variant],
        ..MockOptions::default()
    };
    let mock = MockServer::start_with("127.0.0.1:0", options)
        .await
        .unwrap();
    let seeded = mock
        .seed(&json!({"instances": [{"status": "Completed"}]}))
        .unwrap();
    let url = mock.instance_url(&seeded.definition_id, &seeded.instance_ids[0]);
    let get = |u: String| async move {
        client()
            .get(u)
            .bearer_auth("t")
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let plain = get(url.clone()).await;
    let selected = get(format!("{url}?$select=reviewers,fallbackReviewers")).await;
    let resp = client()
        .patch(&url)
        .bearer_auth("t")
        .json(&json!({"scope": {}}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (plain, selected, status, body)
}

#[tokio::test]
async fn silent_page_variants_answer_as_they_say() {
    let (plain, selected, _, _) = variant_answers(Variant::GetWithoutLists).await;
    assert!(plain.get("reviewers").is_none() && plain.get("fallbackReviewers").is_none());
    assert!(selected.get("reviewers").is_some() && selected.get("fallbackReviewers").is_some());
    let (_, _, status, body) = variant_answers(Variant::EmptyErrorCodes).await;
    assert_eq!((status.as_u16(), &body["error"]["code"]), (409, &json!("")));
    let (_, _, status, _) = variant_answers(Variant::NotInProgress400).await;
    assert_eq!(status, 400);
    let (plain, _, _, _) = variant_answers(Variant::ExtraProperties).await;
    assert!(plain.get("futureProperty").is_some(), "{plain}");
}

/// The builder sets what `MockOptions` holds; the journal records every answered request with
/// its kind and status; a refused seed is an error `?` carries.
#[tokio::test]
async fn the_builder_the_journal_and_refusals_as_errors() -> Result<(), Box<dyn std::error::Error>>
{
    let mock = MockServer::builder()
        .token("full")
        .credential(Restricted::Roleless, "roleless-token")
        .deviation(Deviation::UpdateAnyStatus)
        .listen("127.0.0.1:0")
        .start()
        .await?;
    let seeded = mock.seed(&json!({"instances": [{"status": "Completed"}]}))?;
    let url = mock.instance_url(&seeded.definition_id, &seeded.instance_ids[0]);
    let body = json!({"scope": {}, "reviewers": []});
    for (token, status) in [("other", 401), ("roleless-token", 403), ("full", 200)] {
        let resp = client()
            .put(&url)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        assert_eq!(resp.status(), status, "{token}");
    }
    let fixtures = format!("http://{}/_conformance/fixtures", mock.addr());
    let created = client().post(&fixtures).json(&json!({})).send().await?;
    assert_eq!(created.status(), 201);
    let listed = client()
        .get(format!("{}?$top=1", mock.definitions_url()))
        .bearer_auth("full")
        .send()
        .await?;
    assert_eq!(listed.status(), 200);
    let path = url
        .strip_prefix(&format!("http://{}", mock.addr()))
        .unwrap();
    let entry = |method: &str, path: &str, kind, status| ReceivedRequest {
        method: method.into(),
        path: path.into(),
        kind,
        status,
    };
    let definitions = "/beta/identityGovernance/accessReviews/definitions?$top=1";
    assert_eq!(
        mock.received_requests(),
        [
            entry("PUT", path, RequestKind::Api, 401),
            entry("PUT", path, RequestKind::Api, 403),
            entry("PUT", path, RequestKind::Api, 200),
            entry("POST", "/_conformance/fixtures", RequestKind::Control, 201),
            entry("GET", definitions, RequestKind::Lifecycle, 200),
        ]
    );
    let refused = mock.seed(&json!({"instances": "no"})).unwrap_err();
    assert_eq!(refused.why, Why::InvalidBody);
    let as_error: Box<dyn std::error::Error> = Box::new(refused);
    assert!(
        as_error
            .to_string()
            .contains("`instances` must be an array"),
        "{as_error}"
    );
    Ok(())
}

#[tokio::test]
async fn a_server_without_recording_keeps_no_journal() {
    let mock = MockServer::builder()
        .disable_request_recording()
        .start()
        .await
        .unwrap();
    let resp = client().get(mock.definitions_url()).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(mock.received_requests().is_empty());
}
