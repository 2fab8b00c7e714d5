//! Sealing the database credentials offline, for the cluster's sealed-secrets controller.
//!
//! - [`certificate`]: the controller's certificate (what `kubeseal --fetch-cert` prints),
//!   checked: PEM, RSA of 2048 to 4096 bits, within its validity.
//! - [`hybrid`]: sealed-secrets' hybrid encryption (`pkg/crypto/crypto.go`), and the check
//!   that a committed value has its shape.
//! - [`credentials`]: the plaintext passwords: fresh from the operating system's CSPRNG, or
//!   read from a `KEY=VALUE` file; zeroized when dropped, never printed.
//!
//! All cryptography is RustCrypto's (`rsa` for RSA-OAEP with SHA-256, `aes-gcm`,
//! `x509-cert` to read the certificate) and the OS's random source (`getrandom`).

pub mod certificate;
pub mod credentials;
pub mod hybrid;
