//! What a store call can fail with, typed: which object was missing, which unique key clashed.
//! The HTTP layer maps each case to an error code with one exhaustive `match`.

use crate::domain::conversation::Refusal;

/// The objects a store call can fail to find in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Agent,
    Contact,
    Conversation,
    Delivery,
    File,
    Member,
    Message,
    Note,
    Team,
    Ticket,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Agent => "agent",
            Entity::Contact => "contact",
            Entity::Conversation => "conversation",
            Entity::Delivery => "delivery",
            Entity::File => "file",
            Entity::Member => "member",
            Entity::Message => "message",
            Entity::Note => "note",
            Entity::Team => "team",
            Entity::Ticket => "ticket",
        }
    }
}

/// The unique keys a write can clash with, besides ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueKey {
    /// A contact's email, per workspace.
    ContactEmail,
    /// A contact's `external_id`, per workspace.
    ContactExternalId,
    /// A member's email, per workspace.
    MemberEmail,
    StateName,
    TagName,
    TeamName,
    /// One ticket per conversation.
    ConversationTicket,
    /// A canned response's shortcode, per workspace.
    CannedShortcode,
}

impl UniqueKey {
    pub fn as_str(self) -> &'static str {
        match self {
            UniqueKey::ContactEmail => "contact email",
            UniqueKey::ContactExternalId => "contact external_id",
            UniqueKey::MemberEmail => "member email",
            UniqueKey::StateName => "state name",
            UniqueKey::TagName => "tag name",
            UniqueKey::TeamName => "team name",
            UniqueKey::ConversationTicket => "conversation's ticket",
            UniqueKey::CannedShortcode => "canned response shortcode",
        }
    }
}

#[derive(Debug)]
pub enum StoreError {
    Database(sqlx::Error),
    /// A unique constraint failed.
    Conflict(UniqueKey),
    /// An optimistic update found another version than expected.
    VersionMismatch,
    /// No such object in this workspace.
    NotFound(Entity),
    /// A field of the request names an object that does not exist in this workspace.
    InvalidReference(&'static str),
    /// A rule of the domain refuses the change.
    Refused(Refusal),
    /// The database could not take the write (the error itself was logged where it arose).
    Outage(Outage),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Database(error) => write!(f, "database: {error}"),
            StoreError::Conflict(key) => write!(f, "another row has this {}", key.as_str()),
            StoreError::VersionMismatch => write!(f, "the row changed meanwhile"),
            StoreError::NotFound(what) => write!(f, "no such {}", what.as_str()),
            StoreError::InvalidReference(field) => write!(f, "{field} names nothing in this workspace"),
            StoreError::Refused(refusal) => write!(f, "refused: {refusal:?}"),
            StoreError::Outage(kind) => write!(f, "database outage: {kind:?}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Database(error)
    }
}

/// Maps a unique-constraint failure to the key it guards, given the keys that may clash and
/// the column that names each. PostgreSQL names the index, SQLite lists "table.column" in the
/// message; both contain the column.
pub(crate) fn unique_violation(error: sqlx::Error, keys: &[(&str, UniqueKey)]) -> StoreError {
    if let sqlx::Error::Database(db) = &error
        && db.is_unique_violation()
    {
        let haystack = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
        if let Some((_, key)) = keys.iter().find(|(column, _)| haystack.contains(column)) {
            return StoreError::Conflict(*key);
        }
    }
    StoreError::Database(error)
}

/// Maps any unique-constraint failure of a statement to `Conflict(key)`, for tables whose only
/// unique key besides the id is one column.
pub(crate) fn conflict_as(error: sqlx::Error, key: UniqueKey) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(key),
        _ => StoreError::Database(error),
    }
}

/// A database error that is not the request's fault nor a bug: the caller should try again
/// later (503 with `Retry-After`), and nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// The database cannot be reached or will not take work now: connection refused, reset or
    /// closed by an administrator, too many connections, a failover or restart in progress, a
    /// pool with no free connection in time, a SQLite file busy past the wait, unreadable or
    /// unopenable.
    Unavailable,
    /// The disk is full (SQLite `SQLITE_FULL`, PostgreSQL `53100`): reads go on, writes fail
    /// until space is freed.
    StorageFull,
    /// The transaction lost a deadlock or a serialization check against another and was
    /// rolled back; run again, it would most likely pass (`retrying`).
    Contention,
}

/// What `error` means if it is an outage rather than a bug.
pub fn outage(error: &sqlx::Error) -> Option<Outage> {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => Some(Outage::Unavailable),
        sqlx::Error::Database(db) => match db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
            Some(pg) => match pg.code() {
                "53100" => Some(Outage::StorageFull),
                "40001" | "40P01" => Some(Outage::Contention),
                // Too many connections, out of memory or other resources, shut down or
                // starting, a read-only standby after a failover, a statement or lock timeout.
                "53000" | "53200" | "53300" | "57P01" | "57P02" | "57P03" | "25006" | "57014" | "55P03" => {
                    Some(Outage::Unavailable)
                }
                // Connection exceptions, but for a protocol violation (a bug).
                state if state.starts_with("08") && state != "08P01" => Some(Outage::Unavailable),
                _ => None,
            },
            // SQLite's extended result code; the primary code is its low byte.
            None => match db.code()?.parse::<i32>().ok()? & 0xff {
                13 => Some(Outage::StorageFull), // SQLITE_FULL
                // BUSY, READONLY (the file's permissions), IOERR, CANTOPEN, PROTOCOL
                5 | 8 | 10 | 14 | 15 => Some(Outage::Unavailable),
                _ => None,
            },
        },
        _ => None,
    }
}

/// Runs `transaction` (begun and committed inside it) again, up to twice, when it lost a
/// deadlock or serialization check to another: the database rolled it back, so nothing of it
/// was stored, and a client should not see how two requests happened to meet.
pub(crate) async fn retrying<T, F: Future<Output = Result<T, StoreError>>>(
    mut transaction: impl FnMut() -> F,
) -> Result<T, StoreError> {
    let mut attempt = 1;
    loop {
        match transaction().await {
            Err(StoreError::Database(error)) if attempt < 3 && outage(&error) == Some(Outage::Contention) => {
                tracing::debug!(%error, attempt, "a transaction lost to another; running it again");
                // Apart by a few random milliseconds, so the two do not meet again in step.
                let jitter = getrandom::u32().unwrap_or_default() % 10;
                tokio::time::sleep(std::time::Duration::from_millis(u64::from(5 * attempt + jitter))).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}
