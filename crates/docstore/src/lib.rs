//! The control-plane store of kinesd's supporting services (Firehose, IAM,
//! CloudWatch, Logs, SNS, S3 metadata...): JSON documents addressed by
//! `(kind, key)` in one SQLite file per service, in WAL mode with
//! `synchronous=FULL`, so a change is on disk when the call that made it
//! returns.
//!
//! Documents are whatever a service serializes with serde; a service keeps
//! its own document types and names its kinds. Several writes that must land
//! together go through [`DocStore::batch`]. Secret key files beside the
//! stores are kept by [`secret_file`].

pub mod secret_file;

use std::path::Path;

use parking_lot::Mutex;
use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The most documents one [`DocStore::list`] call returns, whatever the caller asks.
pub const LIST_LIMIT_MAX: usize = 10_000;

/// A store failure: the disk or a document that no longer decodes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("store: document {kind}/{key} does not decode: {source}")]
    Decode { kind: String, key: String, source: serde_json::Error },
    #[error("store: document does not encode: {0}")]
    Encode(serde_json::Error),
}

/// JSON documents by kind and key (see the crate docs).
pub struct DocStore {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for DocStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocStore").finish_non_exhaustive()
    }
}

/// Writes that land together ([`DocStore::batch`]).
pub struct Batch<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl Batch<'_> {
    /// Inserts or replaces a document.
    pub fn put<T: Serialize>(&self, kind: &str, key: &str, doc: &T) -> Result<(), Error> {
        put(&self.tx, kind, key, doc)
    }

    /// Deletes a document; whether it existed.
    pub fn delete(&self, kind: &str, key: &str) -> Result<bool, Error> {
        delete(&self.tx, kind, key)
    }

    /// Reads a document inside the batch.
    pub fn get<T: DeserializeOwned>(&self, kind: &str, key: &str) -> Result<Option<T>, Error> {
        get(&self.tx, kind, key)
    }
}

impl DocStore {
    /// Opens (creating when missing) the store at `path`.
    pub fn open(path: &Path) -> Result<DocStore, Error> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS docs (
                 kind TEXT NOT NULL,
                 key TEXT NOT NULL,
                 doc TEXT NOT NULL,
                 PRIMARY KEY (kind, key)
             ) WITHOUT ROWID;",
        )?;
        Ok(DocStore { conn: Mutex::new(conn) })
    }

    /// The document of `kind` under `key`.
    pub fn get<T: DeserializeOwned>(&self, kind: &str, key: &str) -> Result<Option<T>, Error> {
        get(&self.conn.lock(), kind, key)
    }

    /// Inserts or replaces a document.
    pub fn put<T: Serialize>(&self, kind: &str, key: &str, doc: &T) -> Result<(), Error> {
        put(&self.conn.lock(), kind, key, doc)
    }

    /// Inserts a document unless one exists under the key; whether it was inserted.
    pub fn insert_new<T: Serialize>(&self, kind: &str, key: &str, doc: &T) -> Result<bool, Error> {
        let text = serde_json::to_string(doc).map_err(Error::Encode)?;
        let n = self.conn.lock().execute(
            "INSERT INTO docs (kind, key, doc) VALUES (?1, ?2, ?3) ON CONFLICT(kind, key) DO NOTHING",
            params![kind, key, text],
        )?;
        Ok(n == 1)
    }

    /// Deletes a document; whether it existed.
    pub fn delete(&self, kind: &str, key: &str) -> Result<bool, Error> {
        delete(&self.conn.lock(), kind, key)
    }

    /// Documents of `kind` whose key starts with `prefix`, in key order,
    /// after key `after` (exclusive) when given, at most `limit` (capped at
    /// [`LIST_LIMIT_MAX`]).
    pub fn list<T: DeserializeOwned>(
        &self,
        kind: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, T)>, Error> {
        let conn = self.conn.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT key, doc FROM docs WHERE kind = ?1 AND key > ?2 AND substr(key, 1, length(?3)) = ?3
             ORDER BY key LIMIT ?4",
        )?;
        let after = after.unwrap_or("");
        let limit = limit.min(LIST_LIMIT_MAX) as i64;
        let rows = stmt
            .query_map(params![kind, after, prefix, limit], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (key, text) = row?;
            let doc = serde_json::from_str(&text).map_err(|source| Error::Decode {
                kind: kind.to_string(),
                key: key.clone(),
                source,
            })?;
            out.push((key, doc));
        }
        Ok(out)
    }

    /// How many documents of `kind` have keys starting with `prefix`.
    pub fn count(&self, kind: &str, prefix: &str) -> Result<usize, Error> {
        let n: i64 = self.conn.lock().query_row(
            "SELECT count(*) FROM docs WHERE kind = ?1 AND substr(key, 1, length(?2)) = ?2",
            params![kind, prefix],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    /// Runs `f` in one transaction: every write in it lands, or none does
    /// (when `f` fails, the error is returned and nothing changes).
    pub fn batch<R, E: From<Error>>(&self, f: impl FnOnce(&Batch<'_>) -> Result<R, E>) -> Result<R, E> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction().map_err(Error::from)?;
        let batch = Batch { tx };
        let out = f(&batch)?;
        batch.tx.commit().map_err(Error::from)?;
        Ok(out)
    }
}

fn get<T: DeserializeOwned>(conn: &Connection, kind: &str, key: &str) -> Result<Option<T>, Error> {
    let text: Option<String> = conn
        .prepare_cached("SELECT doc FROM docs WHERE kind = ?1 AND key = ?2")?
        .query_row(params![kind, key], |r| r.get(0))
        .optional()?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|source| Error::Decode {
            kind: kind.to_string(),
            key: key.to_string(),
            source,
        })
    })
    .transpose()
}

fn put<T: Serialize>(conn: &Connection, kind: &str, key: &str, doc: &T) -> Result<(), Error> {
    let text = serde_json::to_string(doc).map_err(Error::Encode)?;
    conn.prepare_cached("INSERT OR REPLACE INTO docs (kind, key, doc) VALUES (?1, ?2, ?3)")?
        .execute(params![kind, key, text])?;
    Ok(())
}

fn delete(conn: &Connection, kind: &str, key: &str) -> Result<bool, Error> {
    Ok(conn.prepare_cached("DELETE FROM docs WHERE kind = ?1 AND key = ?2")?.execute(params![kind, key])? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_survive_reopen_list_in_order_and_batches_are_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let store = DocStore::open(&path).unwrap();
            store.put("role", "b", &serde_json::json!({"n": 2})).unwrap();
            store.put("role", "a", &serde_json::json!({"n": 1})).unwrap();
            store.put("user", "a", &serde_json::json!({"n": 9})).unwrap();
            assert!(!store.insert_new("role", "a", &serde_json::json!({"n": 5})).unwrap());
            let failed: Result<(), Error> = store.batch(|b| {
                b.put("role", "c", &serde_json::json!({"n": 3}))?;
                Err(Error::Encode(serde::de::Error::custom("stop")))
            });
            assert!(failed.is_err());
        }
        let store = DocStore::open(&path).unwrap();
        let roles: Vec<(String, serde_json::Value)> = store.list("role", "", None, 10).unwrap();
        assert_eq!(roles.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(roles[0].1["n"], 1);
        let after: Vec<(String, serde_json::Value)> = store.list("role", "", Some("a"), 10).unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(store.count("role", "").unwrap(), 2);
        assert!(store.delete("role", "a").unwrap());
        assert!(!store.delete("role", "a").unwrap());
        assert_eq!(store.get::<serde_json::Value>("user", "a").unwrap().unwrap()["n"], 9);
    }
}
