//! Knowledge articles and their passages: what the AI answers from.
//!
//! An article is cut into passages when written (`domain::retrieval::passages`); the passages
//! carry the full-text index (FTS5 with porter stemming, or an English `tsvector`). Search
//! finds every passage sharing a word with the question; the ranking is `domain::retrieval`.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::sql::{ListQuery, Page, PageRequest, Sql, bind_row};
use super::{Backend, Store, StoreError, WorkspaceId};
use crate::domain::retrieval::{self, Candidate};
use crate::domain::text::words;
use crate::domain::vector;

#[derive(Debug, Clone, PartialEq)]
pub struct NewArticle {
    pub agent_id: Option<String>,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ArticleRow {
    pub id: String,
    pub fields: NewArticle,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

/// A passage found for a question, with its confidence (0–1).
#[derive(Debug, Clone)]
pub struct FoundPassage {
    pub article_id: String,
    pub title: String,
    pub url: Option<String>,
    pub text: String,
    pub position: i64,
    pub score: f64,
}

/// Passages looked at most per question: every passage sharing a word with it, up to this.
const CANDIDATES: i64 = 200;

macro_rules! article_columns {
    () => {
        "id, agent_id, title, body, url, created_at, updated_at, version"
    };
}

fn map(row: &AnyRow) -> Result<ArticleRow, sqlx::Error> {
    Ok(ArticleRow {
        id: row.try_get("id")?,
        fields: NewArticle {
            agent_id: row.try_get("agent_id")?,
            title: row.try_get("title")?,
            body: row.try_get("body")?,
            url: row.try_get("url")?,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

impl Store {
    pub async fn create_article(
        &self,
        ws: &WorkspaceId,
        id: &str,
        article: &NewArticle,
        now: i64,
    ) -> Result<ArticleRow, StoreError> {
        let mut tx = self.begin_write().await?;
        check_agent(&mut tx, ws, article.agent_id.as_deref()).await?;
        let row = sqlx::query(concat!(
            "INSERT INTO knowledge_articles (workspace_id, ",
            article_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1) RETURNING ",
            article_columns!()
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(article.agent_id.clone())
        .bind(article.title.clone())
        .bind(article.body.clone())
        .bind(article.url.clone())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        write_passages(&mut tx, ws, id, article).await?;
        self.commit(tx).await?;
        Ok(map(&row)?)
    }

    pub async fn get_article(&self, ws: &WorkspaceId, id: &str) -> Result<Option<ArticleRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            article_columns!(),
            " FROM knowledge_articles WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(map).transpose()?)
    }

    /// Articles oldest first; `agent_id` keeps those of one agent (and none of the shared).
    pub async fn list_articles(
        &self,
        ws: &WorkspaceId,
        agent_id: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<ArticleRow>, StoreError> {
        let filters = |sql: &mut Sql| {
            sql.push(" WHERE workspace_id = ").bind(ws.as_str().to_owned());
            if let Some(agent) = agent_id {
                sql.push(" AND agent_id = ").bind(agent.to_owned());
            }
        };
        ListQuery {
            store: self,
            select: concat!("SELECT ", article_columns!(), " FROM knowledge_articles"),
            sort_column: "created_at",
            id_column: "id",
            filters: &filters,
            map,
            key: |a| (a.created_at, a.id.clone()),
        }
        .fetch(page)
        .await
    }

    /// Rewrites an article (and its passages, when its words changed).
    pub async fn update_article(
        &self,
        ws: &WorkspaceId,
        id: &str,
        article: &NewArticle,
        expected_version: i64,
        now: i64,
    ) -> Result<ArticleRow, StoreError> {
        let mut tx = self.begin_write().await?;
        check_agent(&mut tx, ws, article.agent_id.as_deref()).await?;
        let before: Option<(String, String)> =
            sqlx::query_as("SELECT title, body FROM knowledge_articles WHERE workspace_id = $1 AND id = $2")
                .bind(ws.as_str().to_owned())
                .bind(id.to_owned())
                .fetch_optional(&mut *tx)
                .await?;
        let row = sqlx::query(concat!(
            "UPDATE knowledge_articles SET agent_id = $1, title = $2, body = $3, url = $4, updated_at = $5, \
             version = version + 1 WHERE workspace_id = $6 AND id = $7 AND version = $8 RETURNING ",
            article_columns!()
        ))
        .bind(article.agent_id.clone())
        .bind(article.title.clone())
        .bind(article.body.clone())
        .bind(article.url.clone())
        .bind(now)
        .bind(ws.as_str().to_owned())
        .bind(id.to_owned())
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await?;
        let row = row.as_ref().map(map).transpose()?.ok_or(StoreError::VersionMismatch)?;
        if before != Some((article.title.clone(), article.body.clone())) {
            sqlx::query("DELETE FROM knowledge_passages WHERE workspace_id = $1 AND article_id = $2")
                .bind(ws.as_str().to_owned())
                .bind(id.to_owned())
                .execute(&mut *tx)
                .await?;
            write_passages(&mut tx, ws, id, article).await?;
        }
        self.commit(tx).await?;
        Ok(row)
    }

    /// Deletes an article and its passages. Whether it existed.
    pub async fn delete_article(&self, ws: &WorkspaceId, id: &str) -> Result<bool, StoreError> {
        self.delete_detaching(ws, "knowledge_articles", id, &[], 0).await
    }

    /// The passages answering `question` best, ranked, with their confidence. With `agent_id`,
    /// the agent's articles and the workspace's shared ones; without, every article. With the
    /// question's sentence vector, passages close in meaning are candidates too.
    pub async fn search_knowledge(
        &self,
        ws: &WorkspaceId,
        agent_id: Option<&str>,
        question: &str,
        vector: Option<&[f32]>,
        limit: usize,
    ) -> Result<Vec<FoundPassage>, StoreError> {
        let scope = |sql: &mut Sql| {
            sql.push(" AND a.workspace_id = ").bind(ws.as_str().to_owned());
            if let Some(agent) = agent_id {
                sql.push(" AND (a.agent_id = ").bind(agent.to_owned()).push(" OR a.agent_id IS NULL)");
            }
        };
        let mut rows = Vec::new();
        let terms = crate::domain::text::query_words(question);
        if !terms.is_empty() {
            let mut sql = Sql::new(PASSAGE_SELECT);
            match self.backend() {
                Backend::Sqlite => {
                    sql.push(" JOIN knowledge_fts f ON f.rowid = p.rid WHERE knowledge_fts MATCH ")
                        .bind(fts5_any(&terms));
                    scope(&mut sql);
                    sql.push(" ORDER BY f.rank");
                }
                Backend::Postgres => {
                    sql.push(" WHERE p.search @@ to_tsquery('english', ").bind(terms.join(" | ")).push(")");
                    scope(&mut sql);
                    sql.push(" ORDER BY ts_rank(p.search, to_tsquery('english', ").bind(terms.join(" | "));
                    sql.push(")) DESC");
                }
            }
            sql.push(", p.rid LIMIT ").bind(CANDIDATES);
            for row in sql.query()?.fetch_all(self.reader()).await? {
                rows.push(PassageRow::from_row(&row)?);
            }
        }
        if let Some(vector) = vector {
            let mut sql = Sql::new(PASSAGE_SELECT);
            sql.push(" WHERE p.embedding IS NOT NULL");
            scope(&mut sql);
            let mut near: Vec<(f32, PassageRow)> = Vec::new();
            for row in sql.query()?.fetch_all(self.reader()).await? {
                let passage = PassageRow::from_row(&row)?;
                let similarity = passage.embedding.as_deref().map_or(0.0, |e| vector::cosine(vector, e));
                near.push((similarity, passage));
            }
            near.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (_, passage) in near.into_iter().take(SEMANTIC_CANDIDATES) {
                if !rows.iter().any(|r| r.rid == passage.rid) {
                    rows.push(passage);
                }
            }
        }
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut count = Sql::new(
            "SELECT COUNT(*) FROM knowledge_passages p JOIN knowledge_articles a ON a.id = p.article_id WHERE 1 = 1",
        );
        scope(&mut count);
        let total: i64 = count.query()?.fetch_one(self.reader()).await?.try_get(0)?;

        let candidates: Vec<Candidate> =
            rows.iter().map(|r| Candidate { title: r.title.clone(), text: r.text.clone() }).collect();
        let similarity: Option<Vec<f32>> = vector.map(|v| {
            rows.iter().map(|r| r.embedding.as_deref().map_or(0.0, |e| vector::cosine(v, e))).collect()
        });
        let ranked = retrieval::rank(question, &candidates, total as usize, similarity.as_deref());
        Ok(ranked
            .into_iter()
            .take(limit)
            .map(|place| {
                let row = &rows[place.index];
                FoundPassage {
                    article_id: row.article_id.clone(),
                    title: row.title.clone(),
                    url: row.url.clone(),
                    text: row.text.clone(),
                    position: row.position,
                    score: place.score,
                }
            })
            .collect())
    }

    /// Passages still without a sentence vector, oldest first: `(rid, title, text)`.
    pub async fn passages_to_embed(&self, limit: i64) -> Result<Vec<(i64, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT rid, title, text FROM knowledge_passages WHERE embedding IS NULL ORDER BY rid LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get("rid")?, r.try_get("title")?, r.try_get("text")?)))
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// Stores passages' sentence vectors (a passage rewritten meanwhile is a new row: its
    /// old vector lands nowhere).
    pub async fn set_passage_embeddings(&self, vectors: &[(i64, Vec<f32>)]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for (rid, vector) in vectors {
            sqlx::query("UPDATE knowledge_passages SET embedding = $1 WHERE rid = $2")
                .bind(vector::to_bytes(vector))
                .bind(*rid)
                .execute(&mut *tx)
                .await?;
        }
        self.commit(tx).await?;
        Ok(())
    }
}

const PASSAGE_SELECT: &str = "SELECT p.rid, p.article_id, p.title, p.text, p.position, p.embedding, a.url \
     FROM knowledge_passages p JOIN knowledge_articles a ON a.id = p.article_id";

/// Passages close in meaning considered beside those sharing words.
const SEMANTIC_CANDIDATES: usize = 20;

struct PassageRow {
    rid: i64,
    article_id: String,
    title: String,
    text: String,
    position: i64,
    url: Option<String>,
    embedding: Option<Vec<f32>>,
}

impl PassageRow {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(PassageRow {
            rid: row.try_get("rid")?,
            article_id: row.try_get("article_id")?,
            title: row.try_get("title")?,
            text: row.try_get("text")?,
            position: row.try_get("position")?,
            url: row.try_get("url")?,
            embedding: row.try_get::<Option<Vec<u8>>, _>("embedding")?.map(|b| vector::from_bytes(&b)),
        })
    }
}

/// Any of `terms` (plain words, so nothing in them is FTS5 syntax), each quoted anyway.
fn fts5_any(terms: &[String]) -> String {
    terms.iter().map(|t| format!("\"{}\"", t.replace('"', ""))).collect::<Vec<_>>().join(" OR ")
}

async fn check_agent(
    conn: &mut sqlx::AnyConnection,
    ws: &WorkspaceId,
    agent_id: Option<&str>,
) -> Result<(), StoreError> {
    let Some(agent) = agent_id else { return Ok(()) };
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM agents WHERE workspace_id = $1 AND id = $2")
            .bind(ws.as_str().to_owned())
            .bind(agent.to_owned())
            .fetch_optional(&mut *conn)
            .await?;
    found.map(|_| ()).ok_or(StoreError::InvalidReference("agent_id"))
}

async fn write_passages(
    conn: &mut sqlx::AnyConnection,
    ws: &WorkspaceId,
    article_id: &str,
    article: &NewArticle,
) -> Result<(), StoreError> {
    let passages = retrieval::passages(&article.body);
    // An article whose body has no words still has its title to be found by.
    let passages = if passages.is_empty() || words(&article.body).is_empty() {
        vec![article.title.clone()]
    } else {
        passages
    };
    let mut sql =
        Sql::new("INSERT INTO knowledge_passages (workspace_id, article_id, position, title, text) VALUES ");
    for (position, text) in passages.into_iter().enumerate() {
        if position > 0 {
            sql.push(", ");
        }
        bind_row!(
            &mut sql,
            ws.as_str().to_owned(),
            article_id.to_owned(),
            position as i64,
            article.title.clone(),
            text
        );
    }
    sql.query()?.execute(conn).await?;
    Ok(())
}
