//! The sealed-secrets controller's certificate, as `kubeseal --fetch-cert` prints it.
//!
//! Only its RSA public key is used; the certificate is checked so that sealing for the
//! wrong thing fails here, with what was found, rather than in the cluster: not PEM, not a
//! certificate, not RSA, a key size the controller does not make, or outside its validity
//! (the controller keeps old keys, so an expired certificate may still be used on request).

use std::time::{Duration, SystemTime};

use rsa::PublicKey;
use rsa::traits::PublicKeyParts;
use x509_cert::Certificate;
use x509_cert::der::Decode;
use x509_cert::der::referenced::OwnedToRef;

/// RSA key sizes accepted, in bits (the controller makes 4096-bit keys by default).
pub const RSA_BITS: std::ops::RangeInclusive<u32> = 2048..=4096;

/// The OID of `rsaEncryption`.
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// A checked sealing certificate.
#[derive(Debug)]
pub struct SealingCertificate {
    /// The controller's RSA public key.
    pub key: PublicKey,
    /// Its size in bits.
    pub bits: u32,
    /// When the certificate expired, if it has (and expired ones were allowed).
    pub expired_on: Option<String>,
    /// How many certificates the file holds (the first is used).
    pub certificates_in_file: usize,
}

impl SealingCertificate {
    /// Reads and checks `pem` (named `display` in messages) at time `now`. An expired
    /// certificate is an error unless `allow_expired`.
    pub fn from_pem(
        pem: &str,
        display: &str,
        allow_expired: bool,
        now: SystemTime,
    ) -> Result<Self, String> {
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            let found = if pem.contains("-----BEGIN") {
                "PEM data that is not a certificate (no BEGIN CERTIFICATE block)"
            } else {
                "no PEM data"
            };
            return Err(format!(
                "{display}: holds {found}; give the certificate `kubeseal --fetch-cert` prints"
            ));
        }
        // Read as Go's encoding/pem and openssl read it: text around the blocks, blank lines
        // and CRLF are allowed. kubeseal seals with the first certificate of a file.
        let blocks = pem::parse_many(pem).map_err(|error| {
            format!("{display}: the PEM data cannot be read ({error}); give the certificate `kubeseal --fetch-cert` prints")
        })?;
        let certificates: Vec<&pem::Pem> = blocks
            .iter()
            .filter(|block| block.tag() == "CERTIFICATE")
            .collect();
        let Some(first) = certificates.first() else {
            return Err(format!(
                "{display}: no CERTIFICATE block can be read; give the certificate `kubeseal --fetch-cert` prints"
            ));
        };
        let certificate = Certificate::from_der(first.contents()).map_err(|error| {
            format!("{display}: the CERTIFICATE block is not a valid X.509 certificate ({error})")
        })?;
        let tbs = certificate.tbs_certificate();
        let spki = tbs.subject_public_key_info();
        let algorithm = spki.algorithm.oid.to_string();
        if algorithm != RSA_ENCRYPTION {
            return Err(format!(
                "{display}: the certificate's key is {}, not RSA; sealed-secrets seals with an RSA \
                 key (is this the controller's certificate?)",
                describe_algorithm(&algorithm)
            ));
        }
        let key = PublicKey::try_from(spki.owned_to_ref()).map_err(|error| {
            format!("{display}: the certificate's RSA key is malformed ({error})")
        })?;
        let bits = key.n().bit_width();
        if !RSA_BITS.contains(&bits) {
            return Err(format!(
                "{display}: the certificate's RSA key has {bits} bits; sealed-secrets keys have \
                 {} to {} bits",
                RSA_BITS.start(),
                RSA_BITS.end()
            ));
        }
        let validity = tbs.validity();
        let not_before = validity.not_before.to_unix_duration();
        let not_after = validity.not_after.to_unix_duration();
        let now = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        if now < not_before {
            return Err(format!(
                "{display}: the certificate is not valid before {} (check the machine's clock, or \
                 fetch the certificate again)",
                validity.not_before
            ));
        }
        let expired_on = (now > not_after).then(|| validity.not_after.to_string());
        if let Some(date) = &expired_on
            && !allow_expired
        {
            return Err(format!(
                "{display}: the certificate expired on {date}; fetch the current one with \
                 `kubeseal --fetch-cert`, or pass --allow-expired to seal with this key (the \
                 controller keeps its old keys)"
            ));
        }
        Ok(Self {
            key,
            bits,
            expired_on,
            certificates_in_file: certificates.len(),
        })
    }
}

fn describe_algorithm(oid: &str) -> String {
    match oid {
        "1.2.840.10045.2.1" => "an elliptic-curve (EC) key".to_string(),
        "1.3.101.112" => "an Ed25519 key".to_string(),
        "1.3.101.113" => "an Ed448 key".to_string(),
        "1.2.840.10040.4.1" => "a DSA key".to_string(),
        other => format!("of the algorithm {other}"),
    }
}
