//! Migrations, embedded in the binary: one folder per dialect with identical numbering.

use std::borrow::Cow;

use sqlx::AssertSqlSafe;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::Dialect;

/// `(version, description, sqlite, postgres)`.
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../../migrations/sqlite/0001_foundation.sql"),
        include_str!("../../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "conversations",
        include_str!("../../migrations/sqlite/0002_conversations.sql"),
        include_str!("../../migrations/postgres/0002_conversations.sql"),
    ),
    (
        3,
        "tags_notes_states",
        include_str!("../../migrations/sqlite/0003_tags_notes_states.sql"),
        include_str!("../../migrations/postgres/0003_tags_notes_states.sql"),
    ),
    (
        4,
        "search",
        include_str!("../../migrations/sqlite/0004_search.sql"),
        include_str!("../../migrations/postgres/0004_search.sql"),
    ),
    (
        5,
        "posting_indexes",
        include_str!("../../migrations/sqlite/0005_posting_indexes.sql"),
        include_str!("../../migrations/postgres/0005_posting_indexes.sql"),
    ),
    (
        6,
        "members_teams_tickets",
        include_str!("../../migrations/sqlite/0006_members_teams_tickets.sql"),
        include_str!("../../migrations/postgres/0006_members_teams_tickets.sql"),
    ),
    (
        7,
        "agents",
        include_str!("../../migrations/sqlite/0007_agents.sql"),
        include_str!("../../migrations/postgres/0007_agents.sql"),
    ),
    (
        8,
        "webhooks",
        include_str!("../../migrations/sqlite/0008_webhooks.sql"),
        include_str!("../../migrations/postgres/0008_webhooks.sql"),
    ),
    (
        9,
        "deliveries",
        include_str!("../../migrations/sqlite/0009_deliveries.sql"),
        include_str!("../../migrations/postgres/0009_deliveries.sql"),
    ),
    (
        10,
        "ai",
        include_str!("../../migrations/sqlite/0010_ai.sql"),
        include_str!("../../migrations/postgres/0010_ai.sql"),
    ),
    (
        11,
        "widget",
        include_str!("../../migrations/sqlite/0011_widget.sql"),
        include_str!("../../migrations/postgres/0011_widget.sql"),
    ),
    (
        12,
        "message_search",
        include_str!("../../migrations/sqlite/0012_message_search.sql"),
        include_str!("../../migrations/postgres/0012_message_search.sql"),
    ),
    (
        13,
        "message_search_after_commit",
        include_str!("../../migrations/sqlite/0013_message_search_after_commit.sql"),
        include_str!("../../migrations/postgres/0013_message_search_after_commit.sql"),
    ),
    (
        14,
        "message_search_file",
        include_str!("../../migrations/sqlite/0014_message_search_file.sql"),
        include_str!("../../migrations/postgres/0014_message_search_file.sql"),
    ),
    (
        15,
        "canned_responses",
        include_str!("../../migrations/sqlite/0015_canned_responses.sql"),
        include_str!("../../migrations/postgres/0015_canned_responses.sql"),
    ),
    (
        16,
        "conversation_tallies",
        include_str!("../../migrations/sqlite/0016_conversation_tallies.sql"),
        include_str!("../../migrations/postgres/0016_conversation_tallies.sql"),
    ),
    (
        17,
        "setup_links",
        include_str!("../../migrations/sqlite/0017_setup_links.sql"),
        include_str!("../../migrations/postgres/0017_setup_links.sql"),
    ),
    (
        18,
        "files",
        include_str!("../../migrations/sqlite/0018_files.sql"),
        include_str!("../../migrations/postgres/0018_files.sql"),
    ),
    (
        19,
        "webhook_event_names",
        include_str!("../../migrations/sqlite/0019_webhook_event_names.sql"),
        include_str!("../../migrations/postgres/0019_webhook_event_names.sql"),
    ),
    (
        20,
        "security",
        include_str!("../../migrations/sqlite/0020_security.sql"),
        include_str!("../../migrations/postgres/0020_security.sql"),
    ),
];

pub(super) fn migrator(dialect: Dialect) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|&(version, description, sqlite, postgres)| {
            let sql = match dialect {
                Dialect::Sqlite => sqlite,
                Dialect::Postgres => postgres,
            };
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                AssertSqlSafe(sql).into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}
