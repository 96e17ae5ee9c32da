//! The KMS store: one SQLite file in WAL mode, synchronous=FULL (a change is
//! on disk when the call that made it returns). Key material is stored
//! sealed under the master key.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use crate::KmsError;

pub(crate) struct Store {
    conn: Connection,
}

#[derive(Debug, Clone)]
pub(crate) struct KeyRow {
    pub key_id: String,
    pub description: String,
    /// Creation time, epoch seconds.
    pub created: f64,
    pub aws_managed: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct AliasRow {
    /// `alias/...`
    pub name: String,
    pub target: String,
    pub created: f64,
}

fn db_err(e: impl std::fmt::Display) -> KmsError {
    KmsError::internal(format!("KMS store failure: {e}"))
}

fn key_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok(KeyRow { key_id: row.get(0)?, description: row.get(1)?, created: row.get(2)?, aws_managed: row.get(3)? })
}

impl Store {
    pub(crate) fn open(path: &Path) -> Result<Store, KmsError> {
        let conn = Connection::open(path).map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(db_err)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS keys (
                 key_id TEXT PRIMARY KEY,
                 description TEXT NOT NULL,
                 created REAL NOT NULL,
                 aws_managed INTEGER NOT NULL,
                 material BLOB NOT NULL
             );
             CREATE TABLE IF NOT EXISTS aliases (
                 name TEXT PRIMARY KEY,
                 target TEXT NOT NULL REFERENCES keys(key_id),
                 created REAL NOT NULL
             );",
        )
        .map_err(db_err)?;
        Ok(Store { conn })
    }

    pub(crate) fn insert_key(&self, key: &KeyRow, sealed: &[u8]) -> Result<(), KmsError> {
        self.conn
            .execute(
                "INSERT INTO keys (key_id, description, created, aws_managed, material) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key.key_id, key.description, key.created, key.aws_managed, sealed],
            )
            .map_err(db_err)?;
        Ok(())
    }

    /// An AWS-managed key and its alias, in one transaction.
    pub(crate) fn insert_aws_managed(&self, key: &KeyRow, sealed: &[u8], alias: &AliasRow) -> Result<(), KmsError> {
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        self.insert_key(key, sealed)?;
        self.insert_alias(alias)?;
        tx.commit().map_err(db_err)
    }

    pub(crate) fn key(&self, key_id: &str) -> Result<Option<KeyRow>, KmsError> {
        self.conn
            .query_row(
                "SELECT key_id, description, created, aws_managed FROM keys WHERE key_id = ?1",
                params![key_id],
                key_row,
            )
            .optional()
            .map_err(db_err)
    }

    pub(crate) fn sealed_material(&self, key_id: &str) -> Result<Option<Vec<u8>>, KmsError> {
        self.conn
            .query_row("SELECT material FROM keys WHERE key_id = ?1", params![key_id], |r| r.get(0))
            .optional()
            .map_err(db_err)
    }

    /// Key ids in order, after `after`, at most `limit`.
    pub(crate) fn key_ids(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>, KmsError> {
        let mut stmt =
            self.conn.prepare("SELECT key_id FROM keys WHERE key_id > ?1 ORDER BY key_id LIMIT ?2").map_err(db_err)?;
        let rows = stmt.query_map(params![after.unwrap_or(""), limit as i64], |r| r.get(0)).map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    /// Inserts an alias; false when the name is taken.
    pub(crate) fn insert_alias(&self, alias: &AliasRow) -> Result<bool, KmsError> {
        let n = self
            .conn
            .execute(
                "INSERT INTO aliases (name, target, created) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO NOTHING",
                params![alias.name, alias.target, alias.created],
            )
            .map_err(db_err)?;
        Ok(n == 1)
    }

    pub(crate) fn alias(&self, name: &str) -> Result<Option<AliasRow>, KmsError> {
        self.conn
            .query_row("SELECT name, target, created FROM aliases WHERE name = ?1", params![name], |r| {
                Ok(AliasRow { name: r.get(0)?, target: r.get(1)?, created: r.get(2)? })
            })
            .optional()
            .map_err(db_err)
    }

    /// Aliases in name order (of `target` only, when given), after `after`, at most `limit`.
    pub(crate) fn aliases(
        &self,
        target: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AliasRow>, KmsError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT name, target, created FROM aliases
                 WHERE name > ?1 AND (?2 IS NULL OR target = ?2) ORDER BY name LIMIT ?3",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map(params![after.unwrap_or(""), target, limit as i64], |r| {
                Ok(AliasRow { name: r.get(0)?, target: r.get(1)?, created: r.get(2)? })
            })
            .map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }
}
