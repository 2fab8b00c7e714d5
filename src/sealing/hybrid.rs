//! sealed-secrets' hybrid encryption, exactly as `HybridEncrypt` in bitnami-labs/sealed-secrets
//! `pkg/crypto/crypto.go` writes it: a fresh 32-byte AES-256 session key per value; the
//! output is the 2-byte big-endian length of the RSA ciphertext, the RSA-OAEP (SHA-256)
//! ciphertext of the session key under the scope's label, then the AES-256-GCM ciphertext
//! of the value with a 12-byte all-zero nonce (safe: the key is used once); standard base64.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::{Oaep, PublicKey};
use sha2::Sha256;
use zeroize::Zeroizing;

/// Bytes of the AES-256 session key.
const SESSION_KEY_BYTES: usize = 32;
/// Bytes of the GCM tag at the end of the AES ciphertext.
const GCM_TAG_BYTES: usize = 16;
/// The smallest RSA block (2048-bit keys) and the largest (4096-bit keys), in bytes.
const RSA_BLOCK_BYTES: std::ops::RangeInclusive<usize> = 256..=512;

/// Why a value could not be sealed (the operating system's random source or the key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SealError(String);

/// Seals `plaintext` for `key` under `label`, as base64 text for `encryptedData`.
pub fn seal(key: &PublicKey, plaintext: &[u8], label: &[u8]) -> Result<String, SealError> {
    let mut session_key = Zeroizing::new([0u8; SESSION_KEY_BYTES]);
    getrandom::fill(session_key.as_mut())
        .map_err(|e| SealError(format!("the operating system's random source failed: {e}")))?;
    let padding = Oaep::<Sha256>::new_with_label(label.to_vec());
    let rsa_block = key
        .encrypt(&mut getrandom::SysRng, padding, session_key.as_ref())
        .map_err(|e| SealError(format!("RSA-OAEP encryption failed: {e}")))?;
    let length = u16::try_from(rsa_block.len())
        .map_err(|_| SealError("the RSA key is too large".to_string()))?;
    let cipher = Aes256Gcm::new_from_slice(session_key.as_ref())
        .map_err(|_| SealError("the session key has the wrong length".to_string()))?;
    let zero_nonce = Nonce::default();
    let sealed_value = cipher
        .encrypt(&zero_nonce, plaintext)
        .map_err(|_| SealError("AES-GCM encryption failed".to_string()))?;
    let mut out = Vec::with_capacity(2 + rsa_block.len() + sealed_value.len());
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&rsa_block);
    out.extend_from_slice(&sealed_value);
    Ok(STANDARD.encode(out))
}

/// Checks that `text` can be a sealed value: standard base64 of the 2-byte length, an RSA
/// block of 256 to 512 bytes that the length names, and at least a GCM tag after it.
/// The reason never quotes the value.
pub fn check_ciphertext(text: &str) -> Result<(), String> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| "is not base64, so it is not a sealed value".to_string())?;
    let smallest = 2 + RSA_BLOCK_BYTES.start() + GCM_TAG_BYTES;
    if bytes.len() < smallest {
        return Err(format!(
            "is {} bytes long, too short for a sealed value, which holds at least {smallest}: \
             a 2-byte length, an RSA block of 256 bytes or more, a 16-byte GCM tag",
            bytes.len()
        ));
    }
    let rsa_length = usize::from(u16::from_be_bytes([bytes[0], bytes[1]]));
    if !RSA_BLOCK_BYTES.contains(&rsa_length) || 2 + rsa_length + GCM_TAG_BYTES > bytes.len() {
        return Err(format!(
            "names an RSA block of {rsa_length} bytes, which disagrees with its size of {} \
             bytes: it is not a sealed value, or it was cut",
            bytes.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_check_names_what_is_wrong() {
        assert!(
            check_ciphertext("not base64!")
                .unwrap_err()
                .contains("not base64")
        );
        assert!(
            check_ciphertext(&STANDARD.encode([1u8; 100]))
                .unwrap_err()
                .contains("too short")
        );
        let mut wrong_length = vec![0x02, 0x00];
        wrong_length.extend([7u8; 300]);
        assert!(
            check_ciphertext(&STANDARD.encode(&wrong_length))
                .unwrap_err()
                .contains("disagrees with its size")
        );
        let mut well_formed = vec![0x01, 0x00];
        well_formed.extend([7u8; 256 + 16 + 10]);
        assert_eq!(check_ciphertext(&STANDARD.encode(&well_formed)), Ok(()));
    }
}
