//! What the posting path reads and writes through: a sqlx connection (either database), or
//! on SQLite the post writer's own connection (`post_writer`). Rows of both are read by
//! column name through [`Columns`], so each row type is mapped by one function.

use std::future::Future;

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection};

use super::StoreError;
use super::sql::{Script, Sql};

/// A column type both drivers decode.
pub(crate) trait Column:
    for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql
{
}

impl<T> Column for T where T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql {}

/// A result row, read by column name.
pub(crate) trait Columns {
    fn try_get<T: Column, N: AsRef<str>>(&self, name: N) -> Result<T, sqlx::Error>;
}

impl Columns for AnyRow {
    fn try_get<T: Column, N: AsRef<str>>(&self, name: N) -> Result<T, sqlx::Error> {
        sqlx::Row::try_get(self, name.as_ref())
    }
}

pub(crate) trait Conn: Send {
    type Row: Columns + Send + Sync;

    /// An empty script to run on this connection.
    fn script(&self) -> Script;

    fn fetch_all(&mut self, sql: Sql) -> impl Future<Output = Result<Vec<Self::Row>, StoreError>> + Send;

    fn run(&mut self, script: Script) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl Conn for AnyConnection {
    type Row = AnyRow;

    fn script(&self) -> Script {
        Script::for_connection(self)
    }

    async fn fetch_all(&mut self, sql: Sql) -> Result<Vec<AnyRow>, StoreError> {
        Ok(sql.query()?.fetch_all(self).await?)
    }

    async fn run(&mut self, script: Script) -> Result<(), StoreError> {
        script.execute(self).await
    }
}
