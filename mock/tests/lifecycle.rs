//! The definition lifecycle a live tenant has, served by the mock: create (validated as the
//! service does), NotStarted → InProgress after the activation delay, stop, list by name
//! prefix, delete; a client-credentials token endpoint with expiring tokens; throttling.

use std::time::{Duration, Instant};

use accessreview_mock::{ClientApp, Lifecycle, MockOptions, MockServer};
use serde_json::{Value, json};

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn start(lifecycle: Lifecycle) -> MockServer {
    let options = MockOptions {
        lifecycle,
        ..MockOptions::default()
    };
    MockServer::start_with("127.0.0.1:0", options)
        .await
        .unwrap()
}

fn definitions(mock: &MockServer) -> String {
    format!(
        "{}/identityGovernance/accessReviews/definitions",
        mock.base_url()
    )
}

fn one_time_review(name: &str) -> Value {
    json!({
        "displayName": name,
        "descriptionForAdmins": "created by a test",
        "descriptionForReviewers": "created by a test",
        "scope": {"query": "/groups/g/transitiveMembers", "queryType": "MicrosoftGraph"},
        "reviewers": [{"query": "/users/alice", "queryType": "MicrosoftGraph"}],
        "settings": {"mailNotificationsEnabled": false, "reminderNotificationsEnabled": false}
    })
}

async fn call(method: reqwest::Method, url: &str, body: Option<&Value>) -> (u16, Value) {
    let mut req = client().request(method, url).bearer_auth("t");
    match body {
        Some(b) => req = req.json(b),
        // A bodyless request says so, as Graph requires (see below).
        None => req = req.header(reqwest::header::CONTENT_LENGTH, "0"),
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_definition_is_created_activates_is_stopped_listed_and_deleted() {
    let mock = start(Lifecycle {
        activation_delay: Duration::from_millis(200),
        ..Lifecycle::default()
    })
    .await;
    let url = definitions(&mock);
    // Validated as the service does: the observed 400 with an empty code.
    let (status, err) = call(
        reqwest::Method::POST,
        &url,
        Some(&json!({"displayName": "x", "scope": {"Query": "/groups/g"}})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["code"], "");
    assert!(
        err["error"]["innerError"]["message"]
            .as_str()
            .unwrap()
            .contains("scope.query : The query field is required.")
    );

    let (status, created) = call(
        reqwest::Method::POST,
        &url,
        Some(&one_time_review("prefix-1 review")),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let d = created["id"].as_str().unwrap().to_string();
    let instances = format!("{url}/{d}/instances");
    let (_, list) = call(reqwest::Method::GET, &instances, None).await;
    assert_eq!(list["value"][0]["status"], "NotStarted");
    let i = list["value"][0]["id"].as_str().unwrap().to_string();
    // Poll with a deadline until it is active.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, inst) = call(reqwest::Method::GET, &format!("{instances}/{i}"), None).await;
        if inst["status"] == "InProgress" {
            break;
        }
        assert!(Instant::now() < deadline, "never activated: {inst}");
        tokio::task::yield_now().await;
    }
    let stop = format!("{instances}/{i}/stop");
    assert_eq!(call(reqwest::Method::POST, &stop, None).await.0, 204);
    let (_, inst) = call(reqwest::Method::GET, &format!("{instances}/{i}"), None).await;
    assert_eq!(inst["status"], "Completed");
    assert_eq!(call(reqwest::Method::POST, &stop, None).await.0, 409);

    mock.seed(&json!({"definition": {"displayName": "other"}}))
        .unwrap();
    // The one documented filter (on the scope's query); any other is refused.
    let filter = format!(
        "{url}?$filter=contains(scope/microsoft.graph.accessReviewQueryScope/query, '/groups/g/')"
    );
    let (status, listed) = call(reqwest::Method::GET, &filter, None).await;
    assert_eq!(status, 200);
    assert_eq!(listed["value"].as_array().unwrap().len(), 1, "{listed}");
    let (status, refused) = call(
        reqwest::Method::GET,
        &format!("{url}?$filter=startswith(displayName,'prefix-')"),
        None,
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Invalid filter clause"),
        "{refused}"
    );
    assert_eq!(
        call(reqwest::Method::DELETE, &format!("{url}/{d}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(reqwest::Method::DELETE, &format!("{url}/{d}"), None)
            .await
            .0,
        404
    );
    assert!(mock.definitions_named("prefix-").is_empty());
}

#[tokio::test]
async fn waits_for_activation_can_overlap() {
    let mock = start(Lifecycle {
        activation_delay: Duration::from_secs(30),
        ..Lifecycle::default()
    })
    .await;
    let url = definitions(&mock);
    let creates = (0..8).map(|k| {
        let url = url.clone();
        async move {
            call(
                reqwest::Method::POST,
                &url,
                Some(&one_time_review(&format!("overlap {k}"))),
            )
            .await
        }
    });
    for (status, _) in futures_util::future::join_all(creates).await {
        assert_eq!(status, 201);
    }
    assert_eq!(mock.max_pending_activations(), 8);
}

#[tokio::test]
async fn client_credentials_tokens_are_issued_and_expire() {
    let mock = start(Lifecycle {
        client: Some(ClientApp::with_secret("app-id", "app-secret")),
        token_lifetime: Some(Duration::from_secs(1)),
        ..Lifecycle::default()
    })
    .await;
    let token_url = mock
        .base_url()
        .replace("/beta", "/tenant-x/oauth2/v2.0/token");
    let form = |secret: &str| {
        format!(
            "grant_type=client_credentials&client_id=app-id&client_secret={secret}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
        )
    };
    let send = |body: String| {
        client()
            .post(&token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let wrong = send(form("nope")).await.unwrap();
    assert_eq!(wrong.status(), 401);
    let answer: Value = send(form("app-secret"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["token_type"], "Bearer");
    let token = answer["access_token"].as_str().unwrap().to_string();
    let read = || client().get(definitions(&mock)).bearer_auth(&token).send();
    assert_eq!(read().await.unwrap().status(), 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let resp = read().await.unwrap();
        if resp.status() == 401 {
            let body: Value = resp.json().await.unwrap();
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("expired")
            );
            break;
        }
        assert!(Instant::now() < deadline, "the token never expired");
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn every_nth_api_request_is_throttled_with_retry_after() {
    let mock = start(Lifecycle {
        throttle_every: Some(3),
        throttle_retry_after: Some(Duration::from_millis(250)),
        ..Lifecycle::default()
    })
    .await;
    let url = definitions(&mock);
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let resp = client().get(&url).bearer_auth("t").send().await.unwrap();
        statuses.push(resp.status().as_u16());
        if resp.status() == 429 {
            assert_eq!(resp.headers()["retry-after"], "0.250");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["error"]["code"], "TooManyRequests");
        }
    }
    assert_eq!(statuses, [200, 200, 429, 200, 200, 429]);
}

#[tokio::test]
async fn a_write_without_a_length_is_answered_411_as_graphs_front_end_does() {
    let mock = start(Lifecycle::default()).await;
    let (status, created) = call(
        reqwest::Method::POST,
        &definitions(&mock),
        Some(&one_time_review("length")),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let stop = format!("{}/{id}/instances/{id}/stop", definitions(&mock));
    // reqwest (hyper) sends no length for a bodyless request unless told.
    for method in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
    ] {
        let resp = client()
            .request(method.clone(), &stop)
            .bearer_auth("t")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 411, "{method}");
        let ty = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ty.starts_with("text/html"), "{ty}");
        let text = resp.text().await.unwrap();
        assert!(
            text.contains("HTTP Error 411. The request must be chunked or have a content length."),
            "{text}"
        );
    }
    // With Content-Length: 0 the same stop goes through (204); a GET needs no length.
    let (status, _) = call(reqwest::Method::POST, &stop, None).await;
    assert_eq!(status, 204);
    let resp = client()
        .get(format!("{}/{id}", definitions(&mock)))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "a GET needs no length");
}
