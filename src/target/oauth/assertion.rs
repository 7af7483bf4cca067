//! Client assertions: a JWT signed with the application's certificate (RS256, the certificate
//! named by its SHA-1 thumbprint in `x5t`, as Microsoft's "certificate credentials" page
//! describes the format), a federated token read from a file, or GitHub's OIDC token.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;

use crate::target::secret::Secret;

/// How long a signed assertion is valid.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(600);

/// An application's certificate with its private key (never shown).
pub struct Certificate {
    key: RsaKeyPair,
    /// `x5t`: base64url of the certificate's SHA-1 thumbprint.
    thumbprint: String,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("x5t", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// From a PEM file's bytes holding an RSA private key (PKCS#8 or PKCS#1) and the
    /// certificate; the problem otherwise, in words (never the key).
    pub fn from_pem(pem: &[u8]) -> Result<Certificate, String> {
        if !pem.starts_with(b"-----") && !pem.windows(5).any(|w| w == b"-----") {
            return Err(
                "not a PEM file (a .pfx must be converted first: openssl pkcs12 -in app.pfx -out app.pem -nodes)"
                    .into(),
            );
        }
        let key = PrivateKeyDer::from_pem_slice(pem)
            .map_err(|_| "no private key in the file (it needs the key and the certificate)")?;
        let key = match &key {
            PrivateKeyDer::Pkcs8(der) => RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der()),
            _ => return Err("the private key is not an RSA key".into()),
        }
        .map_err(|e| format!("the private key cannot be used: {e}"))?;
        let certificate = CertificateDer::from_pem_slice(pem)
            .map_err(|_| "no certificate in the file (it needs the key and the certificate)")?;
        let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &certificate);
        Ok(Certificate {
            key,
            thumbprint: URL_SAFE_NO_PAD.encode(digest.as_ref()),
        })
    }

    /// The certificate's `x5t`.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// An assertion for `client_id` at the token endpoint `audience`, valid ten minutes.
    pub fn assertion(&self, client_id: &str, audience: &str) -> Result<Secret, String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let header = json!({"alg": "RS256", "typ": "JWT", "x5t": self.thumbprint});
        let claims = json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME.as_secs(),
        });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "the certificate's key cannot sign".to_string())?;
        Ok(Secret::new(format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        )))
    }
}

/// The federated token in `path` (read for every token: the platform rotates it).
pub fn federated_token(path: &Path) -> Result<Secret, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("AZURE_FEDERATED_TOKEN_FILE {}: {e}", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!(
            "AZURE_FEDERATED_TOKEN_FILE {} is empty",
            path.display()
        ));
    }
    Ok(Secret::new(token))
}

/// The URL GitHub's OIDC token is asked at: the request URL with the audience Entra ID
/// expects.
pub fn github_oidc_url(request_url: &str) -> String {
    let separator = if request_url.contains('?') { '&' } else { '?' };
    format!("{request_url}{separator}audience=api%3A%2F%2FAzureADTokenExchange")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/mock/tests/fixtures/certificate/"
    );

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}{name}")).unwrap()
    }

    #[test]
    fn a_pem_with_key_and_certificate_signs_assertions_naming_the_certificate() {
        let certificate = Certificate::from_pem(&fixture("app.pem")).unwrap();
        // `openssl x509 -noout -fingerprint -sha1` of cert.pem, as base64url.
        let sha1 = "799DC1E5BC578074A5B51B7E0F3852CCA095585A";
        let bytes: Vec<u8> = (0..sha1.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&sha1[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(certificate.thumbprint(), URL_SAFE_NO_PAD.encode(bytes));
        let jwt = certificate
            .assertion("app-1", "https://login.example/t/oauth2/v2.0/token")
            .unwrap();
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "app-1");
        assert_eq!(claims["sub"], "app-1");
        assert_eq!(claims["aud"], "https://login.example/t/oauth2/v2.0/token");
        // Verifies with the certificate's public key.
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            fixture("public.der"),
        )
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
        )
        .unwrap();
        assert!(!format!("{certificate:?}").contains("PRIVATE"));
    }

    #[test]
    fn a_pkcs1_key_works_too_and_what_is_missing_is_named() {
        let pkcs1 = [fixture("key.pkcs1.pem"), fixture("cert.pem")].concat();
        assert!(Certificate::from_pem(&pkcs1).is_ok());
        let no_cert = Certificate::from_pem(&fixture("key.pkcs1.pem")).unwrap_err();
        assert!(no_cert.contains("no certificate"), "{no_cert}");
        let no_key = Certificate::from_pem(&fixture("cert.pem")).unwrap_err();
        assert!(no_key.contains("no private key"), "{no_key}");
        let pfx = Certificate::from_pem(&[0x30, 0x82, 0x01]).unwrap_err();
        assert!(pfx.contains("openssl pkcs12"), "{pfx}");
    }

    #[test]
    fn a_federated_token_file_is_read_trimmed_and_an_empty_one_refused() {
        let dir = std::env::temp_dir().join(format!("fed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("token");
        std::fs::write(&file, "eyJ.fed.token\n").unwrap();
        assert_eq!(federated_token(&file).unwrap().expose(), "eyJ.fed.token");
        std::fs::write(&file, " \n").unwrap();
        assert!(federated_token(&file).unwrap_err().contains("is empty"));
        assert!(federated_token(&dir.join("absent")).is_err());
        assert_eq!(
            github_oidc_url("https://gh/token?api-version=2.0"),
            "https://gh/token?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange"
        );
        assert_eq!(
            github_oidc_url("https://gh/token"),
            "https://gh/token?audience=api%3A%2F%2FAzureADTokenExchange"
        );
    }
}
