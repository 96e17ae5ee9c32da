//! A bounded cache of open segment files shared by all shards, so thousands
//! of shards do not hold a descriptor each.
//!
//! Evicting a file only drops the cache's handle: a reader or the committer
//! holding the `Arc` keeps using it, and an fsync through a later handle
//! still covers data written through an earlier one (fsync is per inode).

use std::fs::{File, OpenOptions};
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Arc;

use lru::LruCache;
use parking_lot::Mutex;

/// (shard uid, segment base position).
pub(crate) type FileKey = (u64, u64);

#[derive(Debug)]
pub(crate) struct FdCache {
    files: Mutex<LruCache<FileKey, Arc<File>>>,
}

impl FdCache {
    pub fn new(capacity: usize) -> FdCache {
        let capacity = NonZeroUsize::new(capacity.max(1)).expect("capacity is at least 1");
        FdCache { files: Mutex::new(LruCache::new(capacity)) }
    }

    /// The open file for `key`, opening `path` read-write on a miss.
    pub fn get(&self, key: FileKey, path: &Path) -> std::io::Result<Arc<File>> {
        if let Some(file) = self.files.lock().get(&key) {
            return Ok(file.clone());
        }
        let file = Arc::new(OpenOptions::new().read(true).write(true).open(path)?);
        Ok(self.files.lock().get_or_insert(key, || file).clone())
    }

    /// Creates a new empty segment file and caches it.
    pub fn create(&self, key: FileKey, path: &Path) -> std::io::Result<Arc<File>> {
        let file = OpenOptions::new().read(true).write(true).create_new(true).open(path)?;
        let file = Arc::new(file);
        self.files.lock().put(key, file.clone());
        Ok(file)
    }

    pub fn remove(&self, key: FileKey) {
        self.files.lock().pop(&key);
    }

    /// Drops every file of one shard.
    pub fn remove_shard(&self, uid: u64) {
        let mut files = self.files.lock();
        let keys: Vec<FileKey> = files.iter().map(|(k, _)| *k).filter(|(owner, _)| *owner == uid).collect();
        for key in keys {
            files.pop(&key);
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.files.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_holds_at_most_its_capacity_and_evicts_least_recent() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FdCache::new(2);
        for base in 0..3u64 {
            let path = dir.path().join(format!("{base}"));
            cache.create((1, base), &path).unwrap();
        }
        assert_eq!(cache.len(), 2);
        assert!(cache.files.lock().peek(&(1, 0)).is_none(), "oldest evicted");
        // A miss reopens the file from its path.
        cache.get((1, 0), &dir.path().join("0")).unwrap();
        assert_eq!(cache.len(), 2);
        cache.remove_shard(1);
        assert_eq!(cache.len(), 0);
    }
}
