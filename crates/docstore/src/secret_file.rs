//! Secret files in the data dir (the iterator HMAC key, the KMS master key,
//! the SNS signing key): created once with mode 0600, written to a temporary
//! file, fsynced and renamed into place, so a crash never leaves half a key.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Writes `bytes` to `path` (mode 0600) durably: temporary file, fsync, rename, fsync of the directory.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The `N`-byte random key kept at `path` (`what` names it in errors), created on first use.
pub fn load_or_create_key<const N: usize>(path: &Path, what: &str) -> std::io::Result<[u8; N]> {
    match std::fs::read(path) {
        Ok(bytes) => bytes
            .try_into()
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{what} has the wrong length"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; N];
            getrandom::getrandom(&mut key).map_err(|e| std::io::Error::other(e.to_string()))?;
            write_private(path, &key)?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn keys_are_private_reused_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        let key: [u8; 32] = load_or_create_key(&path, "the key").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(load_or_create_key::<32>(&path, "the key").unwrap(), key);
        let err = load_or_create_key::<16>(&path, "the key").unwrap_err();
        assert_eq!(err.to_string(), "the key has the wrong length");
    }
}
