//! A small builder for dynamic SQL with numbered `$n` placeholders (which both SQLite and
//! PostgreSQL accept), and keyset/offset pagination shared by every list.

use std::fmt::Write;

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, AnyConnection, Arguments, AssertSqlSafe};

use super::{Backend, Store, StoreError};

/// Binds values as one parenthesised row of placeholders, `($1, $2, …)`, for multi-row
/// `INSERT … VALUES` and `WITH v AS (VALUES …)`.
macro_rules! bind_row {
    ($sql:expr, $first:expr $(, $value:expr)* $(,)?) => {{
        let sql: &mut $crate::store::sql::Sql = $sql;
        sql.push("(").bind($first);
        $(sql.push(", ").bind($value);)*
        sql.push(")");
    }};
}
pub(crate) use bind_row;

/// A value bound to a placeholder, typed even when null (PostgreSQL needs the type).
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(Some(value))
    }
}

impl From<Option<i64>> for Value {
    fn from(value: Option<i64>) -> Self {
        Value::Int(value)
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Text(Some(value))
    }
}

impl From<Option<String>> for Value {
    fn from(value: Option<String>) -> Self {
        Value::Text(value)
    }
}

#[derive(Default)]
pub(crate) struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self { text: text.to_owned(), ..Self::default() }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder and binds `value` to it.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        let _ = write!(self.text, "${}", self.values.len());
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// `column LIKE pattern` over a user-supplied substring, with LIKE metacharacters escaped.
    pub fn like(&mut self, store: &Store, column: &str, needle: &str) -> &mut Self {
        self.like_pattern(store, column, format!("%{}%", like_escaped(needle)))
    }

    /// `column LIKE pattern` for values starting with a user-supplied prefix.
    pub fn like_prefix(&mut self, store: &Store, column: &str, prefix: &str) -> &mut Self {
        self.like_pattern(store, column, format!("{}%", like_escaped(prefix)))
    }

    fn like_pattern(&mut self, store: &Store, column: &str, pattern: String) -> &mut Self {
        self.push(column).push(" ").push(store.backend().ilike()).push(" ");
        self.bind(pattern).push(" ESCAPE '\\'")
    }

    /// ` AND column IN (…)` when `values` is not empty.
    pub fn any_of(&mut self, column: &str, values: &[String]) -> &mut Self {
        if values.is_empty() {
            return self;
        }
        self.push(" AND ").push(column).push(" IN (");
        self.list(values).push(")")
    }

    /// ` OR column IN (…)` when `values` is not empty.
    pub fn any_of_or(&mut self, column: &str, values: &[String]) -> &mut Self {
        if values.is_empty() {
            return self;
        }
        self.push(" OR ").push(column).push(" IN (");
        self.list(values).push(")")
    }

    /// Binds `values` as a comma-separated list of placeholders.
    pub fn list(&mut self, values: &[String]) -> &mut Self {
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value.clone());
        }
        self
    }

    pub fn query(self) -> Result<sqlx::query::Query<'static, Any, AnyArguments>, sqlx::Error> {
        let mut args = AnyArguments::default();
        for value in self.values {
            match value {
                Value::Int(v) => args.add(v),
                Value::Text(v) => args.add(v),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok(sqlx::query_with(AssertSqlSafe(self.text), args))
    }
}

/// Statements sent together, in order. SQLite takes several statements in one call, so a
/// script costs one round trip to the connection's thread however many statements it holds;
/// PostgreSQL's extended protocol takes one statement per call, so there they run in turn.
/// (sqlx calls several statements in one SQLite query a deprecated behaviour; should it go,
/// `execute` is the one place to change.)
pub(crate) struct Script {
    backend: Backend,
    /// Whether statements are joined into one call (sqlx on SQLite).
    joined: bool,
    statements: Vec<Sql>,
}

impl Script {
    pub fn new(backend: Backend) -> Self {
        Self { backend, joined: backend == Backend::Sqlite, statements: Vec::new() }
    }

    /// A script whose statements stay apart, for a connection that prepares each once and
    /// keeps it (`post_writer`).
    pub fn apart(backend: Backend) -> Self {
        Self { backend, joined: false, statements: Vec::new() }
    }

    /// The backend of `conn`, for code that is handed a connection.
    pub fn for_connection(conn: &AnyConnection) -> Self {
        let postgres = conn.backend_name().eq_ignore_ascii_case("postgresql");
        Self::new(if postgres { Backend::Postgres } else { Backend::Sqlite })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts the next statement with `text`; bind its values on the builder returned.
    pub fn statement(&mut self, text: &str) -> &mut Sql {
        match (self.joined, self.statements.last_mut()) {
            // The placeholders go on numbering across the script: `$n` is the script's nth value.
            (true, Some(last)) => {
                last.push("; ").push(text);
            }
            _ => self.statements.push(Sql::new(text)),
        }
        self.statements.last_mut().expect("a statement was just added")
    }

    pub fn into_statements(self) -> Vec<Sql> {
        self.statements
    }

    pub async fn execute(self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        for sql in self.statements {
            sql.query()?.persistent(false).execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// What page of a list to read. The sort key is an integer column (epoch ms or a number),
/// with the id breaking ties so the order is total.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: u32,
    /// Keyset position: rows strictly after this `(sort key, id)` in the list's order.
    pub after: Option<(i64, String)>,
    pub offset: Option<u64>,
    pub include_total: bool,
    pub descending: bool,
}

#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
    /// The `(sort key, id)` of the last item, when there is a next page.
    pub next: Option<(i64, String)>,
    pub total: Option<i64>,
}

pub(crate) struct ListQuery<'a, T> {
    pub store: &'a Store,
    /// `SELECT … FROM table` without a WHERE clause.
    pub select: &'a str,
    pub sort_column: &'a str,
    /// The id column, qualified when the select joins tables.
    pub id_column: &'a str,
    /// Appends ` WHERE …` with the filters (always starting with the workspace).
    pub filters: &'a (dyn Fn(&mut Sql) + Sync),
    pub map: fn(&AnyRow) -> Result<T, sqlx::Error>,
    pub key: fn(&T) -> (i64, String),
}

impl<T> ListQuery<'_, T> {
    pub async fn fetch(self, page: &PageRequest) -> Result<Page<T>, StoreError> {
        let (cmp, dir) = if page.descending { ("<", "DESC") } else { (">", "ASC") };
        let mut sql = Sql::new(self.select);
        (self.filters)(&mut sql);
        if let Some((key, id)) = &page.after {
            sql.push(&format!(" AND ({}, {}) {cmp} (", self.sort_column, self.id_column));
            sql.bind(*key).push(", ").bind(id.clone()).push(")");
        }
        sql.push(&format!(" ORDER BY {} {dir}, {} {dir} LIMIT ", self.sort_column, self.id_column));
        sql.bind(i64::from(page.limit) + 1);
        if let Some(offset) = page.offset {
            sql.push(" OFFSET ").bind(offset as i64);
        }
        let rows = sql.query()?.fetch_all(self.store.reader()).await?;
        let mut items = rows.iter().map(self.map).collect::<Result<Vec<T>, _>>()?;
        let has_more = items.len() > page.limit as usize;
        items.truncate(page.limit as usize);
        let next = if has_more { items.last().map(self.key) } else { None };

        let total = if page.include_total {
            let mut count = Sql::new("SELECT COUNT(*) AS n FROM (SELECT 1 FROM ");
            let table = self.select.rsplit(" FROM ").next().unwrap_or_default();
            count.push(table);
            (self.filters)(&mut count);
            count.push(") AS filtered");
            let row = count.query()?.fetch_one(self.store.reader()).await?;
            Some(sqlx::Row::try_get::<i64, _>(&row, "n")?)
        } else {
            None
        };
        Ok(Page { items, has_more, next, total })
    }
}

/// `text` with LIKE's metacharacters escaped (`\\` is the escape character).
pub(crate) fn like_escaped(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}
