//! Second-factor primitives: the box that encrypts TOTP secrets at rest, RFC 6238 codes with
//! the step they belong to (so a code is never accepted twice), the enrolment QR code, and
//! recovery codes.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;

/// Encrypts and decrypts secrets with AES-256-GCM under the key from configuration.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox([redacted])")
    }
}

impl SecretBox {
    pub fn new(key: &[u8; 32]) -> Self {
        SecretBox {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// A key given as base64 of 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| "the MFA key is not base64".to_owned())?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the MFA key must be 32 bytes (base64 of 32 random bytes)".to_owned())?;
        Ok(SecretBox::new(&key))
    }

    /// A fresh random key, base64, for `castellan` to suggest or store.
    pub fn generate_key() -> String {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        base64::engine::general_purpose::STANDARD.encode(key)
    }

    /// base64(nonce ‖ ciphertext).
    pub fn seal(&self, plain: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain)
            .expect("AES-GCM encryption of a short secret cannot fail");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| "sealed secret is not base64".to_owned())?;
        if bytes.len() < 13 {
            return Err("sealed secret is too short".into());
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| "sealed secret does not open with this key".to_owned())
    }
}

/// RFC 6238 with the parameters every authenticator app understands: HMAC-SHA-1, 6 digits,
/// 30-second steps, one step of drift either way.
pub mod totp {
    use totp_rs::{Algorithm, TOTP};

    pub const STEP_SECONDS: u64 = 30;
    pub const DIGITS: usize = 6;
    /// Secrets are 160 bits, as RFC 4226 recommends.
    pub const SECRET_BYTES: usize = 20;

    fn totp(secret: &[u8], digits: usize) -> TOTP {
        TOTP::new_unchecked(Algorithm::SHA1, digits, 1, STEP_SECONDS, secret.to_vec())
    }

    /// The code of one 30-second step.
    pub fn code_at_step(secret: &[u8], step: u64, digits: usize) -> String {
        totp(secret, digits).generate(step * STEP_SECONDS)
    }

    /// The step within one of `unix_time`'s step whose code is `code`, if any. Every candidate
    /// is compared, in constant time, so timing says nothing about which one matched.
    pub fn matching_step(secret: &[u8], code: &str, unix_time: u64) -> Option<u64> {
        let code = code.trim();
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = unix_time / STEP_SECONDS;
        let mut found = None;
        for step in [now.saturating_sub(1), now, now + 1] {
            let expected = code_at_step(secret, step, DIGITS);
            let same = expected
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
            if same && found.is_none() {
                found = Some(step);
            }
        }
        found
    }

    /// The secret as people type it into an app: unpadded base32.
    pub fn base32(secret: &[u8]) -> String {
        data_encoding::BASE32_NOPAD.encode(secret)
    }

    /// The `otpauth://` URI authenticator apps read from the QR code.
    pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> String {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            enc(issuer),
            enc(account),
            base32(secret),
            enc(issuer)
        )
    }
}

/// The enrolment QR code as an inline SVG document (no image request, CSP-friendly).
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

/// Ten recovery codes like `k7q2m-x9c4t`, from an alphabet without look-alikes.
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..10)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rng.fill_bytes(&mut bytes);
            let chars: String = bytes
                .iter()
                .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// What is stored for a recovery code: SHA-256 of the code as typed, without spaces or dashes,
/// in lower case. Codes carry about 50 random bits and are single-use, so a fast hash suffices.
pub fn recovery_code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// The WebAuthn relying party for the console at `public_url`: its host is the relying-party id,
/// which must be a domain name (`localhost` works for local use; an IP address cannot hold
/// passkeys).
pub fn relying_party(public_url: &str) -> Result<webauthn_rs::Webauthn, String> {
    let origin = webauthn_rs::prelude::Url::parse(public_url)
        .map_err(|e| format!("Passkeys are off: the public URL is not valid ({e})."))?;
    let Some(host) = origin.domain() else {
        return Err(format!(
            "Passkeys are off: the console must be opened under a domain name, not {public_url} \
             (set CASTELLAN_PUBLIC_URL, e.g. http://localhost:3000)."
        ));
    };
    webauthn_rs::WebauthnBuilder::new(host, &origin)
        .and_then(|b| b.rp_name("Castellan").build())
        .map_err(|e| format!("Passkeys are off: {e}"))
}

/// The stable, opaque WebAuthn user handle of a person: derived from their organisation and
/// id, so no column is needed and no internal id reaches an authenticator.
pub fn passkey_user_handle(org_id: i64, user_id: i64) -> webauthn_rs::prelude::Uuid {
    let digest = Sha256::digest(format!("castellan passkey user {org_id}:{user_id}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    webauthn_rs::prelude::Uuid::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits, the RFC's ASCII secret).
    #[test]
    fn rfc_6238_appendix_b_vectors() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(
                totp::code_at_step(secret, time / totp::STEP_SECONDS, 8),
                expected,
                "T = {time}"
            );
        }
    }

    #[test]
    fn a_code_matches_its_own_step_and_one_either_side_only() {
        let secret = [7u8; totp::SECRET_BYTES];
        let now = 1_700_000_000u64;
        let step = now / 30;
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let at = (step as i64 + offset) as u64;
            let code = totp::code_at_step(&secret, at, 6);
            assert_eq!(
                totp::matching_step(&secret, &code, now),
                accepted.then_some(at),
                "offset {offset}"
            );
        }
        assert_eq!(totp::matching_step(&secret, "12345", now), None);
        assert_eq!(totp::matching_step(&secret, "abcdef", now), None);
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let key = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        let other = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        let sealed = key.seal(b"secret");
        assert_ne!(sealed, key.seal(b"secret"), "a fresh nonce each time");
        assert_eq!(key.open(&sealed).unwrap(), b"secret");
        assert!(other.open(&sealed).is_err());
        assert!(SecretBox::from_base64("c2hvcnQ=").is_err());
    }

    #[test]
    fn recovery_codes_are_distinct_and_forgiving_to_type() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(
            codes.iter().collect::<std::collections::HashSet<_>>().len(),
            10
        );
        let code = &codes[0];
        assert_eq!(
            recovery_code_hash(code),
            recovery_code_hash(&format!(" {} ", code.replace('-', "").to_uppercase()))
        );
    }

    #[test]
    fn the_enrolment_uri_and_qr_code_carry_the_secret() {
        let secret = [1u8; 20];
        let uri = totp::otpauth_uri(&secret, "Castellan (acme)", "ana@acme.test");
        assert!(uri.starts_with("otpauth://totp/Castellan%20%28acme%29:ana@acme.test?secret="));
        assert!(uri.contains(&totp::base32(&secret)));
        assert!(qr_svg(&uri).starts_with("<?xml"));
    }
}
