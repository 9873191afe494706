//! Both migration folders build the same schema: the same tables, columns (nullability
//! included) and indexes, but for what each backend's search needs. Runs when
//! `BATON_TEST_POSTGRES_URL` is set (CI sets it); migrations are written twice, so a column
//! added to one folder only would otherwise surface as a runtime error on the other backend.

use std::collections::BTreeSet;

use sqlx::{AnyConnection, Connection, Row};

use crate::helpers::TestDb;

/// What differs on purpose: full text is FTS5 tables on SQLite — with the `rid` integer
/// primary keys their row ids map to (the text `id` is then `UNIQUE` instead of the primary
/// key) and the message index's change queue — and `search` (`tsvector`) columns with their
/// GIN indexes on PostgreSQL.
fn by_design(line: &str) -> bool {
    let table = line.trim_start_matches("index ").split(['.', ' ']).next().unwrap_or_default();
    table.contains("_fts")
        || table == "message_search_changes"
        || line.ends_with(".rid (not null)")
        || line.ends_with(".search (null)")
        || line.ends_with("_search")
        || (line.starts_with("unique ") && line.ends_with("(id)"))
}

async fn strings(conn: &mut AnyConnection, sql: &str) -> Vec<String> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&mut *conn).await.expect(sql);
    rows.iter().map(|row| row.try_get::<String, _>(0).expect("a text column")).collect()
}

/// `table`, `table.column (null|not null)` and `index table.name` lines.
async fn sqlite_schema(conn: &mut AnyConnection) -> BTreeSet<String> {
    let mut schema = BTreeSet::new();
    let tables = strings(
        conn,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .await;
    for table in tables {
        let columns = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT name, \"notnull\", pk FROM pragma_table_info('{table}')"
        )))
        .fetch_all(&mut *conn)
        .await
        .expect("columns");
        for column in columns {
            let (name, not_null, pk): (String, i64, i64) =
                (column.try_get(0).unwrap(), column.try_get(1).unwrap(), column.try_get(2).unwrap());
            // SQLite lets a non-integer primary key hold NULL unless told; PostgreSQL never.
            let null = if not_null == 1 || pk > 0 { "not null" } else { "null" };
            schema.insert(format!("{table}.{name} ({null})"));
        }
        schema.insert(table);
    }
    let indexes = strings(
        conn,
        "SELECT tbl_name || '.' || name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
    )
    .await;
    schema.extend(indexes.into_iter().map(|i| format!("index {i}")));
    let unique = strings(
        conn,
        "SELECT m.name || '(' || group_concat(ii.name, ',') || ')' FROM sqlite_master m, \
         pragma_index_list(m.name) il, pragma_index_info(il.name) ii \
         WHERE m.type = 'table' AND il.origin = 'u' GROUP BY m.name, il.name",
    )
    .await;
    schema.extend(unique.into_iter().map(|u| format!("unique {u}")));
    schema
}

async fn postgres_schema(conn: &mut AnyConnection) -> BTreeSet<String> {
    let mut schema = BTreeSet::new();
    let tables = strings(
        conn,
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
         AND table_type = 'BASE TABLE' AND table_name NOT LIKE '_sqlx%'",
    )
    .await;
    schema.extend(tables);
    let columns = strings(
        conn,
        "SELECT table_name || '.' || column_name || CASE WHEN is_nullable = 'YES' THEN ' (null)' ELSE ' (not null)' END \
         FROM information_schema.columns WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
    )
    .await;
    schema.extend(columns);
    // Primary keys and UNIQUE constraints make indexes of their own on PostgreSQL, as SQLite's
    // automatic ones (left out above): the constraints are compared instead.
    let indexes = strings(
        conn,
        "SELECT tablename || '.' || indexname FROM pg_indexes WHERE schemaname = current_schema() \
         AND tablename NOT LIKE '_sqlx%' AND indexname NOT IN \
         (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
    )
    .await;
    schema.extend(indexes.into_iter().map(|i| format!("index {i}")));
    let unique = strings(
        conn,
        "SELECT c.relname || '(' || string_agg(a.attname, ',' ORDER BY array_position(k.conkey, a.attnum)) || ')' \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (k.conkey) \
         WHERE k.contype = 'u' AND n.nspname = current_schema() GROUP BY c.relname, k.conname",
    )
    .await;
    schema.extend(unique.into_iter().map(|u| format!("unique {u}")));
    schema
}

#[tokio::test]
async fn both_migration_folders_build_the_same_schema() {
    let postgres = TestDb::new().await;
    if !postgres.url.starts_with("postgres") {
        return; // SQLite alone: nothing to compare with.
    }
    let sqlite_dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}?mode=rwc", sqlite_dir.path().join("schema.db").display());
    for url in [&sqlite_url, &postgres.url] {
        let store = baton::store::Store::connect(url).await.expect("connect");
        store.migrate().await.expect("migrate");
        store.close().await;
    }
    let sqlite = sqlite_schema(&mut AnyConnection::connect(&sqlite_url).await.unwrap()).await;
    let postgres = postgres_schema(&mut AnyConnection::connect(&postgres.url).await.unwrap()).await;
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).filter(|s| !by_design(s)).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).filter(|s| !by_design(s)).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "only on SQLite: {only_sqlite:#?}\nonly on PostgreSQL: {only_postgres:#?}"
    );
}
