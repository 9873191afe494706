//! SQLite's post writer: a connection of its own on the posting thread, with each statement
//! prepared once and kept.
//!
//! Through sqlx every statement of a batch is handed to the connection's worker thread and
//! back, prepared anew (and, once the planner has statistics, prepared again when its values
//! are bound), and its numbered parameters are bound by looking each name up. Here the
//! posting thread calls SQLite itself. Writes stay one at a time: a batch holds the write
//! pool's only connection while it writes (`group_commit`), so this connection and the pool's
//! never contend for SQLite's write lock.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rusqlite::types::Value as SqliteValue;
use rusqlite::{CachedStatement, Connection, ErrorCode};

use super::conn::{Column, Columns, Conn};
use super::sql::{Script, Sql, Value};
use super::sqlite::{SQLITE_PRAGMAS, WRITER_PRAGMAS};
use super::{Backend, StoreError};

/// Distinct statement texts kept prepared: a batch's multi-row statements have one text per
/// row count, up to the batch limit.
const PREPARED: usize = 256;

pub(crate) struct PostWriter {
    conn: Connection,
}

impl PostWriter {
    pub fn open(path: &Path) -> Result<Self, sqlx::Error> {
        let open = || {
            let conn = Connection::open(path)?;
            conn.execute_batch(SQLITE_PRAGMAS)?;
            conn.execute_batch(WRITER_PRAGMAS)?;
            // Its commits do not wait for the disk: `group_commit` flushes the WAL on a
            // thread of its own and answers a batch's posts only once that is done.
            conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
            conn.set_prepared_statement_cache_capacity(PREPARED);
            Ok(PostWriter { conn })
        };
        open().map_err(database_error)
    }

    /// Runs a statement without values (`BEGIN IMMEDIATE`, `COMMIT`, `ROLLBACK`).
    pub fn execute(&self, sql: &str) -> Result<(), StoreError> {
        Ok(self.conn.prepare_cached(sql)?.raw_execute().map(|_| ())?)
    }

    fn prepared(&self, sql: &Sql) -> Result<CachedStatement<'_>, StoreError> {
        let mut statement = self.conn.prepare_cached(sql.text())?;
        // `Sql` numbers its placeholders in the order it binds them: the nth is `$n`.
        if statement.parameter_count() != sql.values().len() {
            return Err(rusqlite::Error::InvalidParameterCount(
                sql.values().len(),
                statement.parameter_count(),
            )
            .into());
        }
        for (i, value) in sql.values().iter().enumerate() {
            match value {
                Value::Int(v) => statement.raw_bind_parameter(i + 1, v)?,
                Value::Text(v) => statement.raw_bind_parameter(i + 1, v)?,
            }
        }
        Ok(statement)
    }
}

impl Conn for PostWriter {
    type Row = SqliteRow;

    fn script(&self) -> Script {
        Script::apart(Backend::Sqlite)
    }

    async fn fetch_all(&mut self, sql: Sql) -> Result<Vec<SqliteRow>, StoreError> {
        let mut statement = self.prepared(&sql)?;
        let names: HashMap<String, usize> =
            statement.column_names().into_iter().enumerate().map(|(i, name)| (name.to_owned(), i)).collect();
        let (names, width) = (Arc::new(names), statement.column_count());
        let mut rows = statement.raw_query();
        let mut read = Vec::new();
        while let Some(row) = rows.next()? {
            let values = (0..width).map(|i| row.get::<_, SqliteValue>(i)).collect::<Result<_, _>>()?;
            read.push(SqliteRow { names: names.clone(), values });
        }
        Ok(read)
    }

    async fn run(&mut self, script: Script) -> Result<(), StoreError> {
        for sql in script.into_statements() {
            self.prepared(&sql)?.raw_execute()?;
        }
        Ok(())
    }
}

pub(crate) struct SqliteRow {
    names: Arc<HashMap<String, usize>>,
    values: Vec<SqliteValue>,
}

impl Columns for SqliteRow {
    fn try_get<T: Column, N: AsRef<str>>(&self, name: N) -> Result<T, sqlx::Error> {
        let name = name.as_ref();
        let value = self.names.get(name).map(|&i| &self.values[i]);
        let value = value.ok_or_else(|| sqlx::Error::ColumnNotFound(name.to_owned()))?;
        T::column_result(value.into())
            .map_err(|error| sqlx::Error::ColumnDecode { index: name.to_owned(), source: Box::new(error) })
    }
}

/// A SQLite error as sqlx reports database errors, so callers handle both alike.
#[derive(Debug)]
struct SqliteError(rusqlite::Error);

impl std::fmt::Display for SqliteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SqliteError {}

impl sqlx::error::DatabaseError for SqliteError {
    fn message(&self) -> &str {
        match &self.0 {
            rusqlite::Error::SqliteFailure(_, Some(message)) => message,
            _ => "SQLite failed",
        }
    }

    /// The extended result code, as sqlx's own SQLite errors give it.
    fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
        match &self.0 {
            rusqlite::Error::SqliteFailure(error, _) => Some(error.extended_code.to_string().into()),
            _ => None,
        }
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use sqlx::error::ErrorKind;
        let rusqlite::Error::SqliteFailure(error, _) = &self.0 else { return ErrorKind::Other };
        match (error.code, error.extended_code) {
            (ErrorCode::ConstraintViolation, 1555 | 2067) => ErrorKind::UniqueViolation,
            (ErrorCode::ConstraintViolation, 787) => ErrorKind::ForeignKeyViolation,
            (ErrorCode::ConstraintViolation, 1299) => ErrorKind::NotNullViolation,
            (ErrorCode::ConstraintViolation, 275) => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

fn database_error(error: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Database(Box::new(SqliteError(error)))
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Database(database_error(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A constraint SQLite refuses reaches callers as sqlx reports it, so the store's
    /// conflict mapping (`unique_violation`) works on either connection.
    #[tokio::test]
    async fn sqlite_errors_read_as_sqlx_database_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = PostWriter::open(&dir.path().join("t.db")).unwrap();
        writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)").unwrap();
        let insert = |name: &str| {
            let mut script = Script::apart(Backend::Sqlite);
            script.statement("INSERT INTO t (name) VALUES (").bind(name.to_owned()).push(")");
            script
        };
        writer.run(insert("ada")).await.unwrap();
        let Err(StoreError::Database(sqlx::Error::Database(error))) = writer.run(insert("ada")).await else {
            panic!("a repeated name must fail as a database error");
        };
        assert!(error.is_unique_violation(), "{error}");
        assert!(error.message().contains("UNIQUE"), "{error}");

        let rows = writer.fetch_all(Sql::new("SELECT id, name, NULL AS absent FROM t")).await.unwrap();
        let row = &rows[0];
        assert_eq!(row.try_get::<i64, _>("id").unwrap(), 1);
        assert_eq!(row.try_get::<String, _>("name").unwrap(), "ada");
        assert_eq!(row.try_get::<Option<String>, _>("absent").unwrap(), None);
        assert!(matches!(row.try_get::<i64, _>("missing"), Err(sqlx::Error::ColumnNotFound(_))));
    }
}
