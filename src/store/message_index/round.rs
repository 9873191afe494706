//! One round of the message index: the recorded edits and deletions applied, then the
//! messages committed since the last round indexed, in key order and one transaction.

use sqlx::{AnyPool, AssertSqlSafe, Row};

use crate::store::backend::MESSAGE_KEYS;

/// Messages (and changes) one round takes at most, so a backlog (an upgrade, a bulk load)
/// is indexed in transactions of bounded size.
const ROUND: i64 = 5_000;

/// Applies the changes up to id `applied` to the index, in the round's transaction, and
/// returns the mark, brought down to the newest message left if a deletion took it.
///
/// The changed keys go; so do the present keys of the changed rids already within the mark
/// (a rid the newest message left may have been taken again, and indexed again by a round
/// whose changes were not cleared); those messages are then indexed as they read now.
async fn apply_changes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    applied: i64,
    from: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "DELETE FROM message_search WHERE rowid IN (SELECT key FROM message_search_changes WHERE id <= $1)",
    )
    .bind(applied)
    .execute(&mut **tx)
    .await?;
    let changed_rids = "m.rid IN (SELECT rid FROM message_search_changes WHERE id <= $1) AND m.rid <= $2";
    let present = messages_keyed(false, changed_rids);
    let again = messages_keyed(true, changed_rids);
    for sql in [
        format!("DELETE FROM message_search WHERE rowid IN ({present})"),
        format!("INSERT INTO message_search (rowid, content) {again} ORDER BY 1"),
    ] {
        sqlx::query(AssertSqlSafe(sql)).bind(applied).bind(from).execute(&mut **tx).await?;
    }
    let newest: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(rid), 0) FROM messages").fetch_one(&mut **tx).await?;
    Ok(from.min(newest))
}

/// `SELECT key[, content] FROM` the messages `filter` keeps, joined to their conversations.
fn messages_keyed(with_content: bool, filter: &str) -> String {
    let content = if with_content { ", m.content" } else { "" };
    format!(
        "SELECT c.rid * {MESSAGE_KEYS} + m.seq{content} FROM messages m \
         JOIN conversations c ON c.id = m.conversation_id WHERE {filter}"
    )
}

/// One round, on the index's connection: applies the recorded changes, then indexes the next
/// messages (up to [`ROUND`] of each) in one transaction; then clears the changes applied,
/// through `writer`. Returns whether more are waiting.
pub(crate) async fn round(index: &AnyPool, writer: &AnyPool) -> Result<bool, sqlx::Error> {
    let mut tx = index.begin_with("BEGIN IMMEDIATE").await?;
    let mut from: i64 =
        sqlx::query_scalar("SELECT indexed_rid FROM message_index_progress").fetch_one(&mut *tx).await?;
    let row = sqlx::query(
        "SELECT MAX(id) AS upto, COUNT(*) AS n FROM \
         (SELECT id FROM message_search_changes ORDER BY id LIMIT $1)",
    )
    .bind(ROUND)
    .fetch_one(&mut *tx)
    .await?;
    let (applied, changes): (Option<i64>, i64) = (row.try_get("upto")?, row.try_get("n")?);
    if let Some(applied) = applied {
        from = apply_changes(&mut tx, applied, from).await?;
    }
    let row = sqlx::query(
        "SELECT MAX(rid) AS upto, COUNT(*) AS n FROM \
         (SELECT rid FROM messages WHERE rid > $1 ORDER BY rid LIMIT $2)",
    )
    .bind(from)
    .bind(ROUND)
    .fetch_one(&mut *tx)
    .await?;
    let (upto, n): (Option<i64>, i64) = (row.try_get("upto")?, row.try_get("n")?);
    if applied.is_none() && upto.is_none() {
        tx.rollback().await?;
        return Ok(false);
    }
    let upto = upto.unwrap_or(from);
    // In key order, so FTS5 writes the round as one run.
    let new = messages_keyed(true, "m.rid > $1 AND m.rid <= $2");
    sqlx::query(AssertSqlSafe(format!("INSERT INTO message_search (rowid, content) {new} ORDER BY 1")))
        .bind(from)
        .bind(upto)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE message_index_progress SET indexed_rid = $1").bind(upto).execute(&mut *tx).await?;
    tx.commit().await?;
    if let Some(applied) = applied {
        let mut clear = writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM message_search_changes WHERE id <= $1")
            .bind(applied)
            .execute(&mut *clear)
            .await?;
        clear.commit().await?;
    }
    Ok(n == ROUND || changes == ROUND)
}
