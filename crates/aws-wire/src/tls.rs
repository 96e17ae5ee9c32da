//! Optional TLS on the same port as cleartext: a connection whose first
//! byte is a TLS handshake record (0x16) is served over TLS, with ALPN
//! offering h2 and http/1.1 (some SDKs speak HTTP/2 only over TLS).

use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
pub use tokio_rustls::TlsAcceptor;

/// The first byte of a TLS ClientHello (record type "handshake").
pub const TLS_HANDSHAKE_BYTE: u8 = 0x16;

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

fn acceptor(certs: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> std::io::Result<TlsAcceptor> {
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| invalid(format!("certificate and key do not fit: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// TLS from a PEM certificate chain and a PEM private key.
pub fn from_pem_files(cert: &Path, key: &Path) -> std::io::Result<TlsAcceptor> {
    let read = |path: &Path| std::fs::File::open(path).map(BufReader::new);
    let certs = rustls_pemfile::certs(&mut read(cert)?).collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(invalid(format!("no certificate in {}", cert.display())));
    }
    let key = rustls_pemfile::private_key(&mut read(key)?)?
        .ok_or_else(|| invalid(format!("no private key in {}", key.display())))?;
    acceptor(certs, key)
}

/// A self-signed certificate for `hosts`, written as PEM files into `dir`
/// (`cert.pem`, `key.pem`, mode 0600) so clients can be told to trust it;
/// reused on later starts.
pub fn self_signed(dir: &Path, hosts: &[String]) -> std::io::Result<TlsAcceptor> {
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    if cert_path.exists() && key_path.exists() {
        return from_pem_files(&cert_path, &key_path);
    }
    std::fs::create_dir_all(dir)?;
    let generated = rcgen::generate_simple_self_signed(hosts.to_vec()).map_err(|e| invalid(e.to_string()))?;
    std::fs::write(&cert_path, generated.cert.pem())?;
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file =
            std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&key_path)?;
        file.write_all(generated.key_pair.serialize_pem().as_bytes())?;
    }
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(generated.key_pair.serialize_der()));
    acceptor(vec![generated.cert.der().clone()], key)
}
