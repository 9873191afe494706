//! Values the server's nodes share, kept in the database: the key that signs file URLs, and
//! the client key the `/demo` page carries (client keys are public: they sit in web pages).

use super::{Store, StoreError};

/// The name under which the demo page's client key is kept.
const DEMO_CLIENT_KEY: &str = "demo_client_key";

impl Store {
    /// The client key `/demo` carries (`baton demo` and the first start set it).
    pub async fn demo_client_key(&self) -> Result<Option<String>, StoreError> {
        self.get_server_secret(DEMO_CLIENT_KEY).await
    }

    pub async fn set_demo_client_key(&self, key: &str) -> Result<(), StoreError> {
        self.set_server_secret(DEMO_CLIENT_KEY, key).await
    }

    /// The secret `name` all nodes share, made (random, 32 bytes, hex) on first use.
    pub async fn server_secret(&self, name: &str) -> Result<String, StoreError> {
        let fresh: String = crate::ids::random_bytes::<32>().iter().map(|b| format!("{b:02x}")).collect();
        sqlx::query("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name.to_owned())
            .bind(fresh)
            .execute(self.writer())
            .await?;
        Ok(sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name.to_owned())
            .fetch_one(self.writer())
            .await?)
    }

    /// Sets (or replaces) `name`.
    async fn set_server_secret(&self, name: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO server_secrets (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name.to_owned())
        .bind(value.to_owned())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn get_server_secret(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name.to_owned())
            .fetch_optional(self.reader())
            .await?)
    }
}
