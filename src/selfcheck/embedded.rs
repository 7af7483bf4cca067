//! A run against the reference mock, started in-process on `127.0.0.1:0`: the one constructor
//! behind the embedded default target, the self-check's deviant mocks and the tests.

use std::time::Duration;

use accessreview_mock::{Deviation, Lifecycle, MockServer, Restricted, Variant};

use crate::target::credential::Credential;
use crate::target::{Secret, Target};

/// A mock and the target that reaches it, with the mock's token and one token for each
/// restricted credential. Dropping it stops the mock.
pub struct Embedded {
    /// The running mock.
    pub mock: MockServer,
    /// The target: the mock's base URL, token and credentials.
    pub target: Target,
}

/// What to start.
#[derive(Clone)]
pub struct EmbeddedOptions {
    /// The full-privilege token the mock accepts and the target sends.
    pub token: String,
    /// One token per restricted credential.
    pub credentials: Vec<(Credential, String)>,
    /// A deliberate bug for the mock.
    pub deviation: Option<Deviation>,
    /// Ways of answering differently where the page is silent.
    pub variants: Vec<Variant>,
    /// The mock's definition lifecycle (activation delay, token endpoint, throttling).
    pub lifecycle: Lifecycle,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Response body cap.
    pub max_body: usize,
    /// Whether the mock keeps its request journal (tests that ask it what it received).
    pub journal: bool,
}

impl EmbeddedOptions {
    /// Fresh random tokens for everything, a 30 s timeout and a 4 MiB cap.
    pub fn fresh() -> EmbeddedOptions {
        let fresh = || uuid::Uuid::new_v4().to_string();
        EmbeddedOptions {
            token: fresh(),
            credentials: Credential::ALL.iter().map(|c| (*c, fresh())).collect(),
            deviation: None,
            variants: Vec::new(),
            lifecycle: Lifecycle::default(),
            timeout: Duration::from_secs(30),
            max_body: 4 << 20,
            journal: false,
        }
    }
}

/// The mock's name for a restricted credential (the two crates name them alike).
fn restricted(c: Credential) -> Restricted {
    match c {
        Credential::AppWithoutPermission => Restricted::AppWithoutPermission,
        Credential::DelegatedWithoutPermission => Restricted::DelegatedWithoutPermission,
        Credential::Roleless => Restricted::Roleless,
        Credential::PersonalAccount => Restricted::PersonalAccount,
        Credential::App => Restricted::App,
        Credential::DelegatedUserAdmin => Restricted::DelegatedUserAdmin,
        Credential::DelegatedIga => Restricted::DelegatedIga,
        Credential::DelegatedPra => Restricted::DelegatedPra,
    }
}

impl Embedded {
    /// Starts the mock on the current runtime and builds the target for it.
    pub async fn start(options: EmbeddedOptions) -> std::io::Result<Embedded> {
        let mut mock = MockServer::builder()
            .token(options.token.clone())
            .lifecycle(options.lifecycle);
        for (c, t) in &options.credentials {
            mock = mock.credential(restricted(*c), t.clone());
        }
        if let Some(d) = options.deviation {
            mock = mock.deviation(d);
        }
        for v in &options.variants {
            mock = mock.variant(*v);
        }
        if !options.journal {
            // A run never reads the journal: it would only grow with every request.
            mock = mock.disable_request_recording();
        }
        let mock = mock.start().await?;
        let target = Target::new(
            &mock.base_url(),
            None,
            Some(Secret::new(options.token)),
            options.timeout,
            options.max_body,
        )
        .map_err(std::io::Error::other)?
        .with_credentials(options.credentials);
        Ok(Embedded { mock, target })
    }
}

/// No token shows in `Debug`.
impl std::fmt::Debug for EmbeddedOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedOptions")
            .field("token", &"(redacted)")
            .field("credentials", &format!("{} given", self.credentials.len()))
            .field("deviation", &self.deviation)
            .field("variants", &self.variants)
            .field("timeout", &self.timeout)
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_token() {
        let mut o = EmbeddedOptions::fresh();
        o.token = "tok-secret-1234".into();
        let shown = format!("{o:?}");
        assert!(!shown.contains("tok-secret-1234"), "{shown}");
        assert!(
            o.credentials
                .iter()
                .all(|(_, t)| !shown.contains(t.as_str())),
            "{shown}"
        );
    }

    #[test]
    fn every_credential_maps_to_the_mock_kind_of_the_same_name() {
        for c in Credential::ALL {
            assert_eq!(restricted(c).name(), c.name());
        }
    }
}
