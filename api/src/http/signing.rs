//! Statement signatures: a detached JWS (RFC 7515 appendix F) with EdDSA (Ed25519) over the
//! exact bytes of a statement, and the public key as a JWK for `/.well-known/jwks.json`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey};
use sha2::{Digest, Sha256};

/// Why a statement key cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("SLR_STATEMENT_KEY: {0}")]
pub struct KeyError(String);

/// The key statements are signed with, its id and its public JWK.
pub struct StatementSigner {
    key: EncodingKey,
    key_id: String,
    /// The public key as JWK JSON (with `kid`, `alg` and `use`).
    jwk: String,
    /// `BASE64URL(UTF8(JWS Protected Header))`, the same for every signature.
    header: String,
}

impl std::fmt::Debug for StatementSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatementSigner")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl StatementSigner {
    /// From an Ed25519 private key in PKCS#8 PEM. The key id is the key's RFC 7638
    /// thumbprint (SHA-256, base64url), so the same key always has the same id.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let key = EncodingKey::from_ed_pem(pem.as_bytes())
            .map_err(|e| KeyError(format!("not an Ed25519 private key in PKCS#8 PEM: {e}")))?;
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::EdDSA)
            .map_err(|e| KeyError(format!("not an Ed25519 private key: {e}")))?;
        let x = match &jwk.algorithm {
            jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(okp) => okp.x.clone(),
            _ => return Err(KeyError("not an Ed25519 key".to_owned())),
        };
        let members = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
        let key_id = URL_SAFE_NO_PAD.encode(Sha256::digest(members.as_bytes()));
        jwk.common.key_id = Some(key_id.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let jwk = serde_json::to_string(&jwk).map_err(|e| KeyError(e.to_string()))?;
        let header = format!(r#"{{"alg":"EdDSA","kid":"{key_id}"}}"#);
        Ok(Self {
            key,
            key_id,
            jwk,
            header: URL_SAFE_NO_PAD.encode(header),
        })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public key as JWK JSON.
    pub fn jwk(&self) -> &str {
        &self.jwk
    }

    /// The detached compact JWS over `payload`: `header..signature`; the payload is put back
    /// (base64url) between the dots to verify it with any JOSE library.
    pub fn sign_detached(&self, payload: &[u8]) -> Result<String, KeyError> {
        let input = format!("{}.{}", self.header, URL_SAFE_NO_PAD.encode(payload));
        let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &self.key, Algorithm::EdDSA)
            .map_err(|e| KeyError(format!("cannot sign: {e}")))?;
        Ok(format!("{}..{signature}", self.header))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detached_signature_verifies_over_the_payload_only() {
        let signer = StatementSigner::from_pem(&crate::settings::new_statement_key()).unwrap();
        let payload = br#"{"a":1}"#;
        let jws = signer.sign_detached(payload).unwrap();
        let (header, signature) = jws.split_once("..").unwrap();
        let jwk: Jwk = serde_json::from_str(signer.jwk()).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let input = |p: &[u8]| format!("{header}.{}", URL_SAFE_NO_PAD.encode(p));
        assert!(jsonwebtoken::crypto::verify(
            signature,
            input(payload).as_bytes(),
            &key,
            Algorithm::EdDSA
        )
        .unwrap());
        assert!(!jsonwebtoken::crypto::verify(
            signature,
            input(br#"{"a":2}"#).as_bytes(),
            &key,
            Algorithm::EdDSA
        )
        .unwrap_or(false));
        assert!(StatementSigner::from_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        )
        .is_err());
    }
}
