//! The tenant key every store function takes first, so a query without it does not compile.

/// A workspace id that came from an authenticated caller or the store itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkspaceId(String);

impl WorkspaceId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Trusted construction: only for ids read back from the database or the admin API,
    /// which addresses workspaces by id by design.
    pub fn trusted(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl std::fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
