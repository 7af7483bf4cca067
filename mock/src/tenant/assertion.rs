//! A certificate's client assertion, checked as Microsoft Entra ID checks it: a JWT signed
//! RS256 with the application's key (the header naming the certificate by `x5t`), issued by
//! and about the application, for this token endpoint, not expired.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// Why an assertion is refused (for the mock's own tests; the endpoint answers one code).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Not three base64url parts with JSON header and claims.
    Malformed,
    /// Not RS256, or no `x5t`.
    Header,
    /// `iss`/`sub` not the client, `aud` not this endpoint, or expired.
    Claims,
    /// The signature does not verify with the certificate's key.
    Signature,
}

/// Checks `jwt` for the application `client_id` at the token endpoint `path`.
pub(crate) fn verify(
    jwt: &str,
    public_key: &[u8],
    client_id: &str,
    path: &str,
) -> Result<(), Refused> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err(Refused::Malformed);
    };
    let json = |part: &str| -> Result<Value, Refused> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| Refused::Malformed)?;
        serde_json::from_slice(&bytes).map_err(|_| Refused::Malformed)
    };
    let (head, body) = (json(header)?, json(claims)?);
    if head["alg"] != "RS256" || !head["x5t"].is_string() {
        return Err(Refused::Header);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let audience_ok = body["aud"]
        .as_str()
        .is_some_and(|aud| aud.ends_with(path) && aud.contains("://"));
    if body["iss"] != client_id
        || body["sub"] != client_id
        || !audience_ok
        || body["exp"].as_u64().is_none_or(|exp| exp <= now)
        || body["nbf"].as_u64().is_some_and(|nbf| nbf > now + 300)
    {
        return Err(Refused::Claims);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Refused::Malformed)?;
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        public_key,
    )
    .verify(format!("{header}.{claims}").as_bytes(), &signature)
    .map_err(|_| Refused::Signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    const KEY: &[u8] = include_bytes!("../../tests/fixtures/certificate/key.pk8.der");
    const PUBLIC: &[u8] = include_bytes!("../../tests/fixtures/certificate/public.der");
    const PATH: &str = "/tenant-1/oauth2/v2.0/token";

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    fn signed(header: &Value, claims: &Value) -> String {
        let key = ring::signature::RsaKeyPair::from_pkcs8(KEY).unwrap();
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; key.public().modulus_len()];
        key.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            input.as_bytes(),
            &mut signature,
        )
        .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn good_claims() -> Value {
        json!({"aud": format!("https://login.example{PATH}"), "iss": "app", "sub": "app",
               "exp": now() + 600, "nbf": now(), "jti": "1"})
    }

    #[rstest]
    #[case::good(json!({}), json!({}), Ok(()))]
    #[case::not_rs256(json!({"alg": "none"}), json!({}), Err(Refused::Header))]
    #[case::no_thumbprint(json!({"x5t": null}), json!({}), Err(Refused::Header))]
    #[case::other_issuer(json!({}), json!({"iss": "other"}), Err(Refused::Claims))]
    #[case::other_subject(json!({}), json!({"sub": "other"}), Err(Refused::Claims))]
    #[case::other_endpoint(json!({}), json!({"aud": "https://login.example/other/oauth2/v2.0/token"}), Err(Refused::Claims))]
    #[case::expired(json!({}), json!({"exp": 1000}), Err(Refused::Claims))]
    #[case::no_expiry(json!({}), json!({"exp": null}), Err(Refused::Claims))]
    fn a_signed_assertion_is_checked_as_entra_id_does(
        #[case] header_patch: Value,
        #[case] claims_patch: Value,
        #[case] expected: Result<(), Refused>,
    ) {
        let mut header = json!({"alg": "RS256", "typ": "JWT", "x5t": "thumb"});
        let mut claims = good_claims();
        for (target, patch) in [(&mut header, header_patch), (&mut claims, claims_patch)] {
            for (k, v) in patch.as_object().unwrap() {
                target[k] = v.clone();
            }
        }
        assert_eq!(
            verify(&signed(&header, &claims), PUBLIC, "app", PATH),
            expected
        );
    }

    #[test]
    fn a_tampered_or_malformed_assertion_is_refused() {
        let jwt = signed(&json!({"alg": "RS256", "x5t": "t"}), &good_claims());
        assert_eq!(verify(&jwt, PUBLIC, "app", PATH), Ok(()));
        let (input, _) = jwt.rsplit_once('.').unwrap();
        let other = signed(&json!({"alg": "RS256", "x5t": "u"}), &good_claims());
        let (_, signature) = other.rsplit_once('.').unwrap();
        assert_eq!(
            verify(&format!("{input}.{signature}"), PUBLIC, "app", PATH),
            Err(Refused::Signature)
        );
        for bad in ["", "a.b", "a.b.c.d", "!!.!!.!!", &format!("{input}.***")] {
            assert_eq!(
                verify(bad, PUBLIC, "app", PATH),
                Err(Refused::Malformed),
                "{bad}"
            );
        }
    }
}
