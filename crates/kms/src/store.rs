//! The KMS store: one SQLite file in WAL mode, synchronous=FULL (a change is
//! on disk when the call that made it returns). Key material is stored
//! sealed under the master key.
//!
//! Schema history: the first release had `keys(key_id, description,
//! created, aws_managed, material)` and `aliases(name, target, created)`.
//! Later attributes are columns added on open when missing
//! ([`KEY_COLUMNS_ADDED`], [`ALIAS_COLUMNS_ADDED`]), with defaults that
//! describe an old row exactly (an enabled symmetric key with the default
//! policy and no rotation), and tags live in a table of their own; so a data
//! dir from any earlier version opens.

use std::collections::HashSet;
use std::path::Path;

use aws_model::kms::KeyState;
use rusqlite::{params, Connection, OptionalExtension};

use crate::KmsError;

/// Columns of `keys` added after the first release: name and declaration.
const KEY_COLUMNS_ADDED: &[(&str, &str)] = &[
    ("key_usage", "TEXT NOT NULL DEFAULT 'ENCRYPT_DECRYPT'"),
    ("key_spec", "TEXT NOT NULL DEFAULT 'SYMMETRIC_DEFAULT'"),
    ("policy", "TEXT"),
    ("key_state", "TEXT NOT NULL DEFAULT 'Enabled'"),
    ("deletion_date", "REAL"),
    ("pending_window_days", "INTEGER"),
    ("rotation_period_days", "INTEGER"),
    ("rotation_anchor", "REAL"),
];

/// Columns of `aliases` added after the first release.
const ALIAS_COLUMNS_ADDED: &[(&str, &str)] = &[("updated", "REAL")];

const KEY_COLUMNS: &str = "key_id, description, created, aws_managed, key_usage, key_spec, policy, key_state,
     deletion_date, pending_window_days, rotation_period_days, rotation_anchor";

pub(crate) struct Store {
    conn: Connection,
}

/// A KMS key, without its material.
#[derive(Debug, Clone)]
pub(crate) struct KeyRow {
    pub key_id: String,
    pub description: String,
    /// Creation time, epoch seconds.
    pub created: f64,
    pub aws_managed: bool,
    /// `KeyUsageType` wire value.
    pub key_usage: String,
    /// `KeySpec` wire value.
    pub key_spec: String,
    /// The key policy; `None` for the default policy of the key's kind.
    pub policy: Option<String>,
    pub state: KeyState,
    /// When a key pending deletion is deleted, epoch seconds.
    pub deletion_date: Option<f64>,
    pub pending_window_days: Option<i32>,
    /// Automatic rotation period of a customer key; `None` when rotation is off.
    pub rotation_period_days: Option<i32>,
    /// When the rotation schedule started, epoch seconds.
    pub rotation_anchor: Option<f64>,
}

#[derive(Debug, Clone)]
pub(crate) struct AliasRow {
    /// `alias/...`
    pub name: String,
    pub target: String,
    pub created: f64,
    pub updated: f64,
}

fn db_err(e: impl std::fmt::Display) -> KmsError {
    KmsError::internal(format!("KMS store failure: {e}"))
}

fn key_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRow> {
    let state: String = row.get(7)?;
    Ok(KeyRow {
        key_id: row.get(0)?,
        description: row.get(1)?,
        created: row.get(2)?,
        aws_managed: row.get(3)?,
        key_usage: row.get(4)?,
        key_spec: row.get(5)?,
        policy: row.get(6)?,
        state: KeyState::from(state.as_str()),
        deletion_date: row.get(8)?,
        pending_window_days: row.get(9)?,
        rotation_period_days: row.get(10)?,
        rotation_anchor: row.get(11)?,
    })
}

fn alias_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AliasRow> {
    Ok(AliasRow { name: row.get(0)?, target: row.get(1)?, created: row.get(2)?, updated: row.get(3)? })
}

/// Adds the `columns` that `table` lacks.
fn add_missing_columns(conn: &Connection, table: &str, columns: &[(&str, &str)]) -> Result<(), KmsError> {
    let existing: HashSet<String> = {
        let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})")).map_err(db_err)?;
        let names = stmt.query_map([], |r| r.get::<_, String>(1)).map_err(db_err)?;
        names.collect::<Result<_, _>>().map_err(db_err)?
    };
    for (name, declaration) in columns {
        if !existing.contains(*name) {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {name} {declaration}")).map_err(db_err)?;
        }
    }
    Ok(())
}

impl Store {
    pub(crate) fn open(path: &Path) -> Result<Store, KmsError> {
        let conn = Connection::open(path).map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(db_err)?;
        let tx = conn.unchecked_transaction().map_err(db_err)?;
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
             );
             CREATE TABLE IF NOT EXISTS key_tags (
                 key_id TEXT NOT NULL REFERENCES keys(key_id),
                 tag_key TEXT NOT NULL,
                 tag_value TEXT NOT NULL,
                 PRIMARY KEY (key_id, tag_key)
             );",
        )
        .map_err(db_err)?;
        add_missing_columns(&conn, "keys", KEY_COLUMNS_ADDED)?;
        add_missing_columns(&conn, "aliases", ALIAS_COLUMNS_ADDED)?;
        tx.commit().map_err(db_err)?;
        Ok(Store { conn })
    }

    pub(crate) fn insert_key(&self, key: &KeyRow, sealed: &[u8]) -> Result<(), KmsError> {
        self.conn
            .execute(
                &format!("INSERT INTO keys ({KEY_COLUMNS}, material) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
                params![
                    key.key_id,
                    key.description,
                    key.created,
                    key.aws_managed,
                    key.key_usage,
                    key.key_spec,
                    key.policy,
                    key.state.as_str(),
                    key.deletion_date,
                    key.pending_window_days,
                    key.rotation_period_days,
                    key.rotation_anchor,
                    sealed
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    /// A new key with its tags, in one transaction.
    pub(crate) fn insert_key_with_tags(
        &self,
        key: &KeyRow,
        sealed: &[u8],
        tags: &[(String, String)],
    ) -> Result<(), KmsError> {
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        self.insert_key(key, sealed)?;
        self.upsert_tags(&key.key_id, tags)?;
        tx.commit().map_err(db_err)
    }

    /// An AWS-managed key and its alias, in one transaction.
    pub(crate) fn insert_aws_managed(&self, key: &KeyRow, sealed: &[u8], alias: &AliasRow) -> Result<(), KmsError> {
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        self.insert_key(key, sealed)?;
        self.insert_alias(alias)?;
        tx.commit().map_err(db_err)
    }

    /// Writes the mutable attributes of `key`.
    pub(crate) fn update_key(&self, key: &KeyRow) -> Result<(), KmsError> {
        self.conn
            .execute(
                "UPDATE keys SET description = ?2, policy = ?3, key_state = ?4, deletion_date = ?5,
                     pending_window_days = ?6, rotation_period_days = ?7, rotation_anchor = ?8
                 WHERE key_id = ?1",
                params![
                    key.key_id,
                    key.description,
                    key.policy,
                    key.state.as_str(),
                    key.deletion_date,
                    key.pending_window_days,
                    key.rotation_period_days,
                    key.rotation_anchor
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    pub(crate) fn key(&self, key_id: &str) -> Result<Option<KeyRow>, KmsError> {
        self.conn
            .query_row(&format!("SELECT {KEY_COLUMNS} FROM keys WHERE key_id = ?1"), params![key_id], key_row)
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

    /// Deletes a key with its material, aliases and tags.
    pub(crate) fn delete_key(&self, key_id: &str) -> Result<(), KmsError> {
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        self.conn.execute("DELETE FROM key_tags WHERE key_id = ?1", params![key_id]).map_err(db_err)?;
        self.conn.execute("DELETE FROM aliases WHERE target = ?1", params![key_id]).map_err(db_err)?;
        self.conn.execute("DELETE FROM keys WHERE key_id = ?1", params![key_id]).map_err(db_err)?;
        tx.commit().map_err(db_err)
    }

    /// Deletes every key whose deletion date is at or before `now`; answers how many.
    pub(crate) fn purge_expired(&self, now: f64) -> Result<usize, KmsError> {
        let ids: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare("SELECT key_id FROM keys WHERE key_state = 'PendingDeletion' AND deletion_date <= ?1")
                .map_err(db_err)?;
            let rows = stmt.query_map(params![now], |r| r.get(0)).map_err(db_err)?;
            rows.collect::<Result<_, _>>().map_err(db_err)?
        };
        for id in &ids {
            self.delete_key(id)?;
        }
        Ok(ids.len())
    }

    /// Inserts an alias; false when the name is taken.
    pub(crate) fn insert_alias(&self, alias: &AliasRow) -> Result<bool, KmsError> {
        let n = self
            .conn
            .execute(
                "INSERT INTO aliases (name, target, created, updated) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(name) DO NOTHING",
                params![alias.name, alias.target, alias.created, alias.updated],
            )
            .map_err(db_err)?;
        Ok(n == 1)
    }

    pub(crate) fn alias(&self, name: &str) -> Result<Option<AliasRow>, KmsError> {
        self.conn
            .query_row(
                "SELECT name, target, created, COALESCE(updated, created) FROM aliases WHERE name = ?1",
                params![name],
                alias_row,
            )
            .optional()
            .map_err(db_err)
    }

    /// Deletes an alias; false when there is none by that name.
    pub(crate) fn delete_alias(&self, name: &str) -> Result<bool, KmsError> {
        let n = self.conn.execute("DELETE FROM aliases WHERE name = ?1", params![name]).map_err(db_err)?;
        Ok(n == 1)
    }

    /// Points an existing alias at `target`; false when there is none by that name.
    pub(crate) fn retarget_alias(&self, name: &str, target: &str, now: f64) -> Result<bool, KmsError> {
        let n = self
            .conn
            .execute("UPDATE aliases SET target = ?2, updated = ?3 WHERE name = ?1", params![name, target, now])
            .map_err(db_err)?;
        Ok(n == 1)
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
                "SELECT name, target, created, COALESCE(updated, created) FROM aliases
                 WHERE name > ?1 AND (?2 IS NULL OR target = ?2) ORDER BY name LIMIT ?3",
            )
            .map_err(db_err)?;
        let rows = stmt.query_map(params![after.unwrap_or(""), target, limit as i64], alias_row).map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    /// A key's tags in tag-key order.
    pub(crate) fn tags(&self, key_id: &str) -> Result<Vec<(String, String)>, KmsError> {
        let mut stmt = self
            .conn
            .prepare("SELECT tag_key, tag_value FROM key_tags WHERE key_id = ?1 ORDER BY tag_key")
            .map_err(db_err)?;
        let rows = stmt.query_map(params![key_id], |r| Ok((r.get(0)?, r.get(1)?))).map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    /// Adds tags to a key, replacing the values of keys it already has.
    pub(crate) fn put_tags(&self, key_id: &str, tags: &[(String, String)]) -> Result<(), KmsError> {
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        self.upsert_tags(key_id, tags)?;
        tx.commit().map_err(db_err)
    }

    /// [`Store::put_tags`] inside the caller's transaction.
    fn upsert_tags(&self, key_id: &str, tags: &[(String, String)]) -> Result<(), KmsError> {
        for (tag_key, tag_value) in tags {
            self.conn
                .execute(
                    "INSERT INTO key_tags (key_id, tag_key, tag_value) VALUES (?1, ?2, ?3)
                     ON CONFLICT(key_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
                    params![key_id, tag_key, tag_value],
                )
                .map_err(db_err)?;
        }
        Ok(())
    }

    /// Removes tags from a key; keys it does not have are ignored.
    pub(crate) fn remove_tags(&self, key_id: &str, tag_keys: &[String]) -> Result<(), KmsError> {
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        for tag_key in tag_keys {
            self.conn
                .execute("DELETE FROM key_tags WHERE key_id = ?1 AND tag_key = ?2", params![key_id, tag_key])
                .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }

    /// The connection, for tests that set up states no operation reaches.
    #[cfg(test)]
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}
