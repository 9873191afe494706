//! Migrations, embedded in the binary: one folder per backend with identical numbering.

use std::borrow::Cow;

use sqlx::AssertSqlSafe;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::Backend;

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

pub(super) fn migrator(backend: Backend) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|&(version, description, sqlite, postgres)| {
            let sql = match backend {
                Backend::Sqlite => sqlite,
                Backend::Postgres => postgres,
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

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    /// The registry, and both folders, name the same migrations in the same order: a file
    /// added to one folder and not the other, or not registered, fails here.
    #[test]
    fn both_folders_hold_exactly_the_registered_migrations() {
        let expected: Vec<String> = MIGRATIONS
            .iter()
            .map(|(version, description, _, _)| format!("{version:04}_{description}.sql"))
            .collect();
        for backend in ["sqlite", "postgres"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
            let mut found: Vec<String> = std::fs::read_dir(&dir)
                .expect("the migrations folder")
                .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
                .collect();
            found.sort();
            assert_eq!(found, expected, "migrations/{backend} against the registry in store/migrate.rs");
        }
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.0).collect();
        assert_eq!(
            versions,
            (1..=versions.len() as i64).collect::<Vec<_>>(),
            "numbered 1, 2, 3, … without gaps"
        );
    }
}
