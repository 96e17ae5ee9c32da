//! The control-plane store: one SQLite file in WAL mode holding each stream
//! as a JSON document. Synchronous=FULL: a change is on disk when the call
//! that made it returns.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use crate::model::StreamDoc;

pub struct Store {
    conn: Connection,
}

fn db_err(e: impl std::fmt::Display) -> crate::KinesisError {
    crate::KinesisError::internal(format!("Control-plane store failure: {e}"))
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, crate::KinesisError> {
        let conn = Connection::open(path).map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(db_err)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS streams (
                 name TEXT PRIMARY KEY,
                 uid INTEGER NOT NULL UNIQUE,
                 doc TEXT NOT NULL
             );
             CREATE TABLE IF NOT EXISTS counters (
                 name TEXT PRIMARY KEY,
                 value INTEGER NOT NULL
             );
             CREATE TABLE IF NOT EXISTS settings (
                 name TEXT PRIMARY KEY,
                 value TEXT NOT NULL
             );",
        )
        .map_err(db_err)?;
        Ok(Store { conn })
    }

    pub fn load(&self) -> Result<Vec<StreamDoc>, crate::KinesisError> {
        let mut stmt = self.conn.prepare("SELECT doc FROM streams ORDER BY name").map_err(db_err)?;
        let docs = stmt.query_map([], |row| row.get::<_, String>(0)).map_err(db_err)?;
        docs.map(|doc| serde_json::from_str(&doc.map_err(db_err)?).map_err(db_err)).collect()
    }

    pub fn put(&self, doc: &StreamDoc) -> Result<(), crate::KinesisError> {
        let json = serde_json::to_string(doc).map_err(db_err)?;
        self.conn
            .execute(
                "INSERT INTO streams (name, uid, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO UPDATE SET uid = excluded.uid, doc = excluded.doc",
                params![doc.name, doc.uid as i64, json],
            )
            .map_err(db_err)?;
        Ok(())
    }

    pub fn delete(&self, name: &str) -> Result<(), crate::KinesisError> {
        self.conn.execute("DELETE FROM streams WHERE name = ?1", params![name]).map_err(db_err)?;
        Ok(())
    }

    /// An account-level setting, as stored JSON.
    pub fn setting(&self, name: &str) -> Result<Option<String>, crate::KinesisError> {
        self.conn
            .query_row("SELECT value FROM settings WHERE name = ?1", params![name], |r| r.get(0))
            .optional()
            .map_err(db_err)
    }

    pub fn put_setting(&self, name: &str, value: &str) -> Result<(), crate::KinesisError> {
        self.conn
            .execute(
                "INSERT INTO settings (name, value) VALUES (?1, ?2)
                 ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )
            .map_err(db_err)?;
        Ok(())
    }

    /// A number never handed out before (stream uids).
    pub fn next_uid(&self) -> Result<u64, crate::KinesisError> {
        let current: Option<i64> = self
            .conn
            .query_row("SELECT value FROM counters WHERE name = 'stream_uid'", [], |r| r.get(0))
            .optional()
            .map_err(db_err)?;
        let next = current.unwrap_or(0) + 1;
        self.conn
            .execute(
                "INSERT INTO counters (name, value) VALUES ('stream_uid', ?1)
                 ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                params![next],
            )
            .map_err(db_err)?;
        Ok(next as u64)
    }
}
