//! Access tokens: HS256 JWTs whose expiry is checked against the service [`Clock`], not
//! the system clock, and which are accepted only with the configured algorithm.

use crate::clock::Clock;
use crate::domain::ids::{SessionId, TenantId, UserId};
use crate::domain::role::Role;
use crate::error::{AppError, ErrorCode};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Claims of an access token.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The account.
    pub sub: UserId,
    /// Its role at issue time (the extractor re-checks the current one).
    pub role: Role,
    /// The tenant of a merchant user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<TenantId>,
    /// The session (refresh-token family) it belongs to; logout revokes it.
    pub sid: SessionId,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Expires at (unix seconds).
    pub exp: i64,
}

/// Signing and verification keys for access tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    /// Keys from the HMAC secret.
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the service clock in `verify`, so simulated-time tests
        // and the production clock follow the same rule.
        validation.validate_exp = false;
        validation.required_spec_claims = ["exp", "sub"].into_iter().map(String::from).collect();
        validation.leeway = 0;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// Signs other claims with the same key (short-lived links such as draft previews).
    /// Each kind carries its own `typ`, and access-token verification requires `sub`,
    /// `role` and `sid`, so neither is accepted as the other.
    pub fn sign_any<T: Serialize>(&self, claims: &T) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// Decodes claims signed by [`Self::sign_any`] (signature only: the caller checks
    /// `typ` and expiry against the service clock).
    pub fn verify_any<T: serde::de::DeserializeOwned>(&self, token: &str) -> Option<T> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims = ["exp"].into_iter().map(String::from).collect();
        jsonwebtoken::decode::<T>(token, &self.decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }

    /// Signs `claims`.
    pub fn issue(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature, algorithm and expiry (by `clock`).
    pub fn verify(&self, token: &str, clock: &Clock) -> Result<Claims, AppError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| AppError::new(ErrorCode::InvalidToken))?;
        if data.claims.exp <= clock.now().timestamp() {
            return Err(AppError::new(ErrorCode::TokenExpired));
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn claims(clock: &Clock, ttl: i64) -> Claims {
        let now = clock.now().timestamp();
        Claims {
            sub: UserId::new(),
            role: Role::MerchantAdmin,
            tid: Some(TenantId::new()),
            sid: SessionId::new(),
            iat: now,
            exp: now + ttl,
        }
    }

    #[test]
    fn round_trip_and_clock_expiry() {
        let clock = Clock::settable();
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let c = claims(&clock, 3600);
        let token = keys.issue(&c).unwrap();
        assert_eq!(keys.verify(&token, &clock).unwrap(), c);
        clock.advance(chrono::Duration::seconds(3601));
        assert_eq!(
            keys.verify(&token, &clock).unwrap_err().code(),
            ErrorCode::TokenExpired
        );
    }

    #[test]
    fn other_key_other_algorithm_and_none_are_refused() {
        let clock = Clock::settable();
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let other = JwtKeys::new(b"fedcba9876543210fedcba9876543210");
        let c = claims(&clock, 3600);
        let foreign = other.issue(&c).unwrap();
        assert_eq!(
            keys.verify(&foreign, &clock).unwrap_err().code(),
            ErrorCode::InvalidToken
        );

        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &c,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert_eq!(
            keys.verify(&hs512, &clock).unwrap_err().code(),
            ErrorCode::InvalidToken
        );

        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
        let none = format!("{header}.{payload}.");
        assert_eq!(
            keys.verify(&none, &clock).unwrap_err().code(),
            ErrorCode::InvalidToken
        );
    }
}
