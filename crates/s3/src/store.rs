//! Where S3 state lives: metadata documents in the docstore `s3.db` and object bytes in blob
//! files under `<data_dir>/s3/blobs/`.
//!
//! Blobs are immutable and named by a random id, never by key (keys are up to 1024 bytes of
//! anything). A blob is written to `tmp/`, fsynced, renamed into place and its directory
//! fsynced before the metadata naming it is committed, so a document never points at bytes
//! that are not on disk. A crash between the two leaves an unreferenced blob behind (space,
//! not correctness). Readers open the blob file first; an overwrite or delete unlinks the old
//! file only after the metadata has moved on, and an open file stays readable.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::checksum::{Algorithm, StoredChecksum};

/// Document kind of buckets, keyed by name.
pub const KIND_BUCKET: &str = "bucket";
/// Document kind of objects, keyed by `<bucket>/<key>` (sorted as S3 lists: UTF-8 byte order).
pub const KIND_OBJECT: &str = "object";
/// Document kind of multipart uploads in progress, keyed by `<bucket>/<upload id>`.
pub const KIND_UPLOAD: &str = "upload";
/// Document kind of uploaded parts, keyed by `<upload id>/<part number, 5 digits>`.
pub const KIND_PART: &str = "part";

/// A bucket.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BucketDoc {
    pub name: String,
    /// Its region (the LocationConstraint, `us-east-1` when none).
    pub region: String,
    pub created_ms: i64,
    /// Canned ACL from `x-amz-acl` (`private` when none was given).
    #[serde(default)]
    pub canned_acl: Option<String>,
    /// The policy document exactly as put.
    #[serde(default)]
    pub policy: Option<String>,
    /// Stored configurations by subresource (`cors`, `website`, ...), as normalized XML.
    #[serde(default)]
    pub configs: BTreeMap<String, String>,
}

/// A user-metadata or stored-header pair.
pub type Pair = (String, String);

/// An object.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ObjectDoc {
    /// Blob holding the bytes.
    pub blob: String,
    pub size: u64,
    /// Quoted, as sent in the `ETag` header.
    pub etag: String,
    pub last_modified_ms: i64,
    #[serde(default)]
    pub content_type: Option<String>,
    /// `Cache-Control`, `Content-Disposition`, `Content-Encoding`, `Content-Language`, `Expires`
    /// and `x-amz-website-redirect-location`, lower-case names.
    #[serde(default)]
    pub headers: Vec<Pair>,
    /// `x-amz-meta-*` without the prefix, lower-case names.
    #[serde(default)]
    pub metadata: Vec<Pair>,
    #[serde(default)]
    pub checksum: Option<StoredChecksum>,
    /// Sizes of the parts, for objects completed from a multipart upload.
    #[serde(default)]
    pub part_sizes: Vec<u64>,
    #[serde(default)]
    pub tags: Vec<Pair>,
    #[serde(default)]
    pub storage_class: Option<String>,
}

/// A multipart upload in progress.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UploadDoc {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    pub initiated_ms: i64,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub headers: Vec<Pair>,
    #[serde(default)]
    pub metadata: Vec<Pair>,
    #[serde(default)]
    pub tags: Vec<Pair>,
    #[serde(default)]
    pub storage_class: Option<String>,
    /// Checksum algorithm named at creation; parts get one each, the object a composite.
    #[serde(default)]
    pub checksum_algorithm: Option<Algorithm>,
    /// `x-amz-checksum-type: FULL_OBJECT` was asked for.
    #[serde(default)]
    pub checksum_full_object: bool,
}

/// One uploaded part.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PartDoc {
    pub blob: String,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
    #[serde(default)]
    pub checksum: Option<StoredChecksum>,
}

/// The document key of an object.
pub fn object_key(bucket: &str, key: &str) -> String {
    format!("{bucket}/{key}")
}

/// The document key of an upload.
pub fn upload_key(bucket: &str, upload_id: &str) -> String {
    format!("{bucket}/{upload_id}")
}

/// The document key of a part.
pub fn part_key(upload_id: &str, part_number: u32) -> String {
    format!("{upload_id}/{part_number:05}")
}

/// The blob files.
pub struct Blobs {
    blobs: PathBuf,
    tmp: PathBuf,
}

impl Blobs {
    /// Opens the blob directories under `root`, removing temporary files a crash left behind.
    pub fn open(root: &Path) -> io::Result<Blobs> {
        let blobs = root.join("blobs");
        let tmp = root.join("tmp");
        fs::create_dir_all(&blobs)?;
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir_all(&tmp)?;
        Ok(Blobs { blobs, tmp })
    }

    fn path(&self, id: &str) -> PathBuf {
        assert!(id.len() >= 2 && id.bytes().all(|b| b.is_ascii_hexdigit()), "blob id {id:?} is not hex");
        self.blobs.join(&id[..2]).join(id)
    }

    /// Writes a new blob with `fill` and makes it durable; its id and what `fill` returned.
    pub fn create<T>(&self, fill: impl FnOnce(&mut File) -> io::Result<T>) -> io::Result<(String, T)> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let tmp_path = self.tmp.join(&id);
        let result = (|| {
            let mut file = File::create(&tmp_path)?;
            let out = fill(&mut file)?;
            file.flush()?;
            file.sync_all()?;
            let path = self.path(&id);
            let dir = path.parent().expect("a blob path has a parent");
            fs::create_dir_all(dir)?;
            fs::rename(&tmp_path, &path)?;
            File::open(dir)?.sync_all()?;
            Ok(out)
        })();
        match result {
            Ok(out) => Ok((id, out)),
            Err(error) => {
                let _ = fs::remove_file(&tmp_path);
                Err(error)
            }
        }
    }

    /// Writes `bytes` as a new durable blob.
    pub fn write(&self, bytes: &[u8]) -> io::Result<String> {
        self.create(|file| file.write_all(bytes)).map(|(id, ())| id)
    }

    /// Opens a blob for reading.
    pub fn open_blob(&self, id: &str) -> io::Result<File> {
        File::open(self.path(id))
    }

    /// Deletes a blob no document names any more (a missing file is fine: a crash may have
    /// removed it already).
    pub fn remove(&self, id: &str) {
        match fs::remove_file(self.path(id)) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => tracing::warn!(blob = id, %error, "cannot remove an unreferenced blob"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn blobs_are_written_durably_read_back_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let id = blobs.write(b"hello").unwrap();
        let mut text = String::new();
        blobs.open_blob(&id).unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "hello");
        blobs.remove(&id);
        blobs.remove(&id);
        assert_eq!(blobs.open_blob(&id).unwrap_err().kind(), io::ErrorKind::NotFound);
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn a_failed_fill_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let failed = blobs.create(|_| -> io::Result<()> { Err(io::Error::other("boom")) });
        assert!(failed.is_err());
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }
}
