//! IAM's state: one JSON document per role, user, customer managed policy,
//! access key and set of temporary credentials in `<data_dir>/iam.db`
//! (docstore: SQLite, WAL, synchronous=FULL), mirrored in memory.
//!
//! The mirror serves every read, including the credential lookup of each
//! signed request on every service, so it must never wait on a disk write:
//! writers are serialized by their own mutex, build their changes from a
//! read view, write them to disk, and only then take the mirror's write
//! lock for the moment it takes to install them. IAM's quotas keep the
//! whole state small (1,000 roles, 5,000 users, 1,500 policies by default).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use aws_model::Timestamp;
use aws_wire::AwsError;
use docstore::DocStore;
use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::errors;

const KIND_META: &str = "meta";
const KIND_ROLE: &str = "role";
const KIND_USER: &str = "user";
const KIND_POLICY: &str = "policy";
const KIND_KEY: &str = "access_key";
const KIND_SESSION: &str = "session";
/// The key of the one meta document.
const META_KEY: &str = "account";

/// A tag as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TagDoc {
    pub key: String,
    pub value: String,
}

/// What a role or user may do: inline policies, attached managed policies and
/// the permissions boundary (stored and reported, not evaluated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Permissions {
    /// Inline policy documents by policy name.
    pub inline: BTreeMap<String, String>,
    /// ARNs of the attached managed policies, in attachment order.
    pub attached: Vec<String>,
    /// ARN of the managed policy set as permissions boundary.
    pub boundary: Option<String>,
}

/// A role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RoleDoc {
    pub name: String,
    pub id: String,
    pub path: String,
    pub created_ms: i64,
    /// The trust policy, as JSON text (never URL-encoded).
    pub trust_policy: String,
    pub description: Option<String>,
    pub max_session_seconds: i32,
    pub permissions: Permissions,
    pub tags: Vec<TagDoc>,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct UserDoc {
    pub name: String,
    pub id: String,
    pub path: String,
    pub created_ms: i64,
    pub permissions: Permissions,
    pub tags: Vec<TagDoc>,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VersionDoc {
    /// `v1`, `v2`, ...
    pub id: String,
    pub document: String,
    pub created_ms: i64,
}

/// A managed policy (customer managed ones are stored; AWS managed ones come
/// from [`crate::aws_managed`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PolicyDoc {
    pub name: String,
    pub id: String,
    pub path: String,
    pub description: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub default_version: String,
    /// Oldest first.
    pub versions: Vec<VersionDoc>,
    /// The number the next version gets: version ids are never reused.
    pub next_version: u32,
    pub tags: Vec<TagDoc>,
}

/// An IAM user's long-term access key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeyDoc {
    pub id: String,
    pub secret: String,
    pub user_name: String,
    pub active: bool,
    pub created_ms: i64,
}

/// Who temporary credentials act as, fixed when they are issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Identity {
    /// The account's root user (the configured keys).
    Root,
    /// An IAM user.
    User {
        /// User name.
        name: String,
        /// `AIDA...`.
        id: String,
        /// The user's path, e.g. `/`.
        path: String,
    },
    /// A role session (AssumeRole).
    AssumedRole {
        /// Role name.
        role_name: String,
        /// `AROA...`.
        role_id: String,
        /// RoleSessionName.
        session_name: String,
    },
}

impl Identity {
    /// The ARN AWS reports for this identity (GetCallerIdentity, AccessDenied messages).
    pub fn arn(&self, account: &str) -> String {
        match self {
            Identity::Root => format!("arn:aws:iam::{account}:root"),
            Identity::User { name, path, .. } => format!("arn:aws:iam::{account}:user{path}{name}"),
            Identity::AssumedRole { role_name, session_name, .. } => {
                format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}")
            }
        }
    }

    /// The UserId AWS reports: the account id for root, the user id, or
    /// `roleId:sessionName` for a role session.
    pub fn user_id(&self, account: &str) -> String {
        match self {
            Identity::Root => account.to_string(),
            Identity::User { id, .. } => id.clone(),
            Identity::AssumedRole { role_id, session_name, .. } => format!("{role_id}:{session_name}"),
        }
    }
}

/// Temporary credentials (STS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SessionDoc {
    pub id: String,
    pub secret: String,
    pub token: String,
    pub expires_ms: i64,
    pub identity: Identity,
}

/// Facts about the account itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct MetaDoc {
    /// When this server first started with this data directory: the root
    /// user's CreateDate.
    created_ms: i64,
}

/// The in-memory mirror. Role, user and policy maps are keyed by the
/// lower-cased name: IAM names are unique regardless of case.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub created_ms: i64,
    pub roles: BTreeMap<String, RoleDoc>,
    pub users: BTreeMap<String, UserDoc>,
    pub policies: BTreeMap<String, PolicyDoc>,
    pub keys: HashMap<String, KeyDoc>,
    pub sessions: HashMap<String, SessionDoc>,
}

impl State {
    pub fn role(&self, name: &str) -> Option<&RoleDoc> {
        self.roles.get(&name_key(name))
    }

    pub fn user(&self, name: &str) -> Option<&UserDoc> {
        self.users.get(&name_key(name))
    }
}

/// The map key of a name: IAM names are ASCII and case-insensitively unique.
pub(crate) fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// One change to the state: a document put (`Some`) or deleted (`None`),
/// keyed as in [`State`].
#[derive(Debug, Clone)]
pub(crate) enum Change {
    Role(String, Option<RoleDoc>),
    User(String, Option<UserDoc>),
    Policy(String, Option<PolicyDoc>),
    Key(String, Option<KeyDoc>),
    Session(String, Option<SessionDoc>),
}

impl Change {
    pub fn put_role(doc: RoleDoc) -> Change {
        Change::Role(name_key(&doc.name), Some(doc))
    }

    pub fn put_user(doc: UserDoc) -> Change {
        Change::User(name_key(&doc.name), Some(doc))
    }

    pub fn put_policy(doc: PolicyDoc) -> Change {
        Change::Policy(name_key(&doc.name), Some(doc))
    }

    pub fn put_key(doc: KeyDoc) -> Change {
        Change::Key(doc.id.clone(), Some(doc))
    }

    pub fn put_session(doc: SessionDoc) -> Change {
        Change::Session(doc.id.clone(), Some(doc))
    }
}

/// The durable store and its mirror.
pub(crate) struct Store {
    db: DocStore,
    /// Serializes writers (see the module docs).
    writer: Mutex<()>,
    state: RwLock<State>,
}

impl Store {
    /// Opens the store at `path`, loads it, and drops expired temporary credentials.
    pub fn open(path: &Path) -> Result<Store, String> {
        let db = DocStore::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let now_ms = Timestamp::now().as_secs() * 1000;
        let meta = match db.get::<MetaDoc>(KIND_META, META_KEY).map_err(|e| e.to_string())? {
            Some(meta) => meta,
            None => {
                let meta = MetaDoc { created_ms: now_ms };
                db.put(KIND_META, META_KEY, &meta).map_err(|e| e.to_string())?;
                meta
            }
        };
        let mut state = State { created_ms: meta.created_ms, ..State::default() };
        state.roles = load(&db, KIND_ROLE)?.into_iter().collect();
        state.users = load(&db, KIND_USER)?.into_iter().collect();
        state.policies = load(&db, KIND_POLICY)?.into_iter().collect();
        state.keys = load(&db, KIND_KEY)?.into_iter().collect();
        let sessions: Vec<(String, SessionDoc)> = load(&db, KIND_SESSION)?;
        let (live, expired): (Vec<_>, Vec<_>) = sessions.into_iter().partition(|(_, s)| s.expires_ms > now_ms);
        db.batch(|b| expired.iter().try_for_each(|(key, _)| b.delete(KIND_SESSION, key).map(drop)))
            .map_err(|e: docstore::Error| e.to_string())?;
        state.sessions = live.into_iter().collect();
        Ok(Store { db, writer: Mutex::new(()), state: RwLock::new(state) })
    }

    /// A read view of the state.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read()
    }

    /// Runs one write: `f` decides from the current state what changes (or
    /// fails, changing nothing); the changes land on disk in one transaction,
    /// then in the mirror.
    pub fn mutate<R>(&self, f: impl FnOnce(&State) -> Result<(R, Vec<Change>), AwsError>) -> Result<R, AwsError> {
        let _writer = self.writer.lock();
        let (out, changes) = f(&self.state.read())?;
        if changes.is_empty() {
            return Ok(out);
        }
        self.db
            .batch(|b| {
                for change in &changes {
                    match change {
                        Change::Role(key, doc) => write(b, KIND_ROLE, key, doc.as_ref())?,
                        Change::User(key, doc) => write(b, KIND_USER, key, doc.as_ref())?,
                        Change::Policy(key, doc) => write(b, KIND_POLICY, key, doc.as_ref())?,
                        Change::Key(key, doc) => write(b, KIND_KEY, key, doc.as_ref())?,
                        Change::Session(key, doc) => write(b, KIND_SESSION, key, doc.as_ref())?,
                    }
                }
                Ok::<(), docstore::Error>(())
            })
            .map_err(|e| {
                tracing::error!(error = %e, "cannot write IAM state");
                errors::service_failure()
            })?;
        let mut state = self.state.write();
        for change in changes {
            match change {
                Change::Role(key, doc) => install(&mut state.roles, key, doc),
                Change::User(key, doc) => install(&mut state.users, key, doc),
                Change::Policy(key, doc) => install(&mut state.policies, key, doc),
                Change::Key(key, doc) => install_hashed(&mut state.keys, key, doc),
                Change::Session(key, doc) => install_hashed(&mut state.sessions, key, doc),
            }
        }
        Ok(out)
    }
}

/// Every document of `kind`.
fn load<T: DeserializeOwned>(db: &DocStore, kind: &str) -> Result<Vec<(String, T)>, String> {
    let mut out: Vec<(String, T)> = Vec::new();
    loop {
        let after = out.last().map(|(key, _)| key.clone());
        let batch = db.list(kind, "", after.as_deref(), docstore::LIST_LIMIT_MAX).map_err(|e| e.to_string())?;
        let done = batch.len() < docstore::LIST_LIMIT_MAX;
        out.extend(batch);
        if done {
            return Ok(out);
        }
    }
}

fn write<T: Serialize>(b: &docstore::Batch<'_>, kind: &str, key: &str, doc: Option<&T>) -> Result<(), docstore::Error> {
    match doc {
        Some(doc) => b.put(kind, key, doc),
        None => b.delete(kind, key).map(drop),
    }
}

fn install<T>(map: &mut BTreeMap<String, T>, key: String, doc: Option<T>) {
    match doc {
        Some(doc) => map.insert(key, doc),
        None => map.remove(&key),
    };
}

fn install_hashed<T>(map: &mut HashMap<String, T>, key: String, doc: Option<T>) {
    match doc {
        Some(doc) => map.insert(key, doc),
        None => map.remove(&key),
    };
}
