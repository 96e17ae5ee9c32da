//! Message signatures. An RSA-2048 key pair is generated on first use (the
//! first envelope signed, so that starting the server stays fast) and
//! kept in `<data_dir>/sns-signing-key.pem` (PKCS#8, mode 0600), with a
//! self-signed certificate for it in `<data_dir>/sns-signing-cert.pem`;
//! envelopes name that certificate by a `file://` SigningCertURL (the HTTP
//! front routes requests by AWS action, so it cannot serve a PEM file).
//!
//! Envelopes are signed with SHA256withRSA and say `SignatureVersion: 2`
//! whatever the topic's SignatureVersion: version 1 is SHA1withRSA, which
//! the crypto library does not sign with.

use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::RSA_PKCS1_SHA256;

/// The SignatureVersion of every envelope (SHA256withRSA).
pub const SIGNATURE_VERSION: &str = "2";
const KEY_FILE: &str = "sns-signing-key.pem";
const CERT_FILE: &str = "sns-signing-cert.pem";
const PEM_LABEL: &str = "PRIVATE KEY";
/// The certificate's subject name.
const CERT_NAME: &str = "sns.kinesd.local";

/// Signs envelopes with the server's key, loading (or creating) it on first use.
pub struct Signer {
    data_dir: PathBuf,
    loaded: std::sync::OnceLock<Result<Loaded, String>>,
}

struct Loaded {
    key: KeyPair,
    cert_url: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("data_dir", &self.data_dir).finish_non_exhaustive()
    }
}

impl Signer {
    /// The signer of the key under `data_dir`; the key is read, or created, on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<Signer, String> {
        Ok(Signer { data_dir: data_dir.to_path_buf(), loaded: std::sync::OnceLock::new() })
    }

    fn loaded(&self) -> Result<&Loaded, &str> {
        self.loaded.get_or_init(|| load(&self.data_dir)).as_ref().map_err(String::as_str)
    }

    /// The SigningCertURL of envelopes.
    pub fn cert_url(&self) -> &str {
        self.loaded().map(|l| l.cert_url.as_str()).unwrap_or_default()
    }

    /// The base64 SHA256withRSA signature of `text`.
    pub fn sign(&self, text: &str) -> String {
        let loaded = match self.loaded() {
            Ok(loaded) => loaded,
            Err(error) => {
                tracing::error!(error, "no SNS signing key: envelopes go out unsigned");
                return String::new();
            }
        };
        let mut signature = vec![0; loaded.key.public_modulus_len()];
        match loaded.key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), text.as_bytes(), &mut signature) {
            Ok(()) => aws_model::base64::encode(&signature),
            Err(_) => {
                // Signing with a key that loaded cannot fail short of memory exhaustion.
                tracing::error!("cannot sign an SNS envelope");
                String::new()
            }
        }
    }
}

/// Reads the key and certificate under `data_dir`, creating them when missing.
fn load(data_dir: &Path) -> Result<Loaded, String> {
    let key_path = data_dir.join(KEY_FILE);
    let pkcs8 = if key_path.exists() {
        let text =
            std::fs::read_to_string(&key_path).map_err(|e| format!("cannot read {}: {e}", key_path.display()))?;
        pem_decode(&text).ok_or_else(|| format!("{} is not a PEM private key", key_path.display()))?
    } else {
        let key = KeyPair::generate(KeySize::Rsa2048).map_err(|_| "cannot generate the SNS signing key".to_string())?;
        let der = key.as_der().map_err(|_| "cannot encode the SNS signing key".to_string())?;
        let der = der.as_ref().to_vec();
        write_private(&key_path, &pem_encode(&der))?;
        der
    };
    let key =
        KeyPair::from_pkcs8(&pkcs8).map_err(|e| format!("{} does not hold an RSA key: {e}", key_path.display()))?;
    let cert_path = data_dir.join(CERT_FILE);
    if !cert_path.exists() {
        let pem = self_signed_certificate(&pkcs8)?;
        std::fs::write(&cert_path, pem).map_err(|e| format!("cannot write {}: {e}", cert_path.display()))?;
    }
    let absolute = std::fs::canonicalize(&cert_path).unwrap_or_else(|_| PathBuf::from(&cert_path));
    Ok(Loaded { key, cert_url: format!("file://{}", absolute.display()) })
}

fn self_signed_certificate(pkcs8: &[u8]) -> Result<String, String> {
    let key = rcgen::KeyPair::try_from(pkcs8)
        .map_err(|e| format!("cannot load the SNS signing key for its certificate: {e}"))?;
    let params = rcgen::CertificateParams::new(vec![CERT_NAME.to_string()])
        .map_err(|e| format!("cannot build the SNS signing certificate: {e}"))?;
    let cert = params.self_signed(&key).map_err(|e| format!("cannot sign the SNS signing certificate: {e}"))?;
    Ok(cert.pem())
}

fn write_private(path: &Path, contents: &str) -> Result<(), String> {
    docstore::secret_file::write_private(path, contents.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn pem_encode(der: &[u8]) -> String {
    let body = aws_model::base64::encode(der);
    let mut out = format!("-----BEGIN {PEM_LABEL}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {PEM_LABEL}-----\n"));
    out
}

fn pem_decode(text: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {PEM_LABEL}-----");
    let end = format!("-----END {PEM_LABEL}-----");
    let body = text.split_once(&begin)?.1.split_once(&end)?.0;
    let joined: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    aws_model::base64::decode(&joined).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

    #[test]
    fn key_is_private_reused_and_signatures_verify() {
        let dir = tempfile::tempdir().unwrap();
        let signer = Signer::load_or_create(dir.path()).unwrap();
        assert!(!dir.path().join(KEY_FILE).exists(), "the key is created on first use");
        assert!(signer.cert_url().starts_with("file:///"), "{}", signer.cert_url());
        let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions();
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777, 0o600);
        let cert = std::fs::read_to_string(dir.path().join(CERT_FILE)).unwrap();
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));

        let signature = aws_model::base64::decode(&signer.sign("hello")).unwrap();
        let public = aws_lc_rs::signature::KeyPair::public_key(&signer.loaded().unwrap().key).as_ref().to_vec();
        let verifier = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &public);
        assert!(verifier.verify(b"hello", &signature).is_ok());
        assert!(verifier.verify(b"hellO", &signature).is_err());

        let again = Signer::load_or_create(dir.path()).unwrap();
        let public_again = aws_lc_rs::signature::KeyPair::public_key(&again.loaded().unwrap().key).as_ref().to_vec();
        assert_eq!(public, public_again);
        assert_eq!(std::fs::read_to_string(dir.path().join(CERT_FILE)).unwrap(), cert);
    }
}
