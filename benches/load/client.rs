//! A keep-alive HTTP/1.1 client that times each request.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    key: String,
}

pub struct Reply {
    pub status: u16,
    pub elapsed: Duration,
    pub body: Bytes,
}

impl Http {
    pub fn new(base: &str, key: &str) -> Self {
        let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(256).build_http();
        Http { client, base: base.trim_end_matches('/').to_owned(), key: key.to_owned() }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<String>) -> Result<Reply, String> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.key));
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request =
            request.body(Full::new(Bytes::from(body.unwrap_or_default()))).map_err(|e| e.to_string())?;
        let started = Instant::now();
        let response = self.client.request(request).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(Reply { status, elapsed: started.elapsed(), body })
    }

    /// Starts a GET whose body is read as it arrives (an event stream).
    pub async fn open(&self, path: &str) -> Result<hyper::body::Incoming, String> {
        let request = Request::builder()
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.key))
            .body(Full::new(Bytes::new()))
            .map_err(|e| e.to_string())?;
        let response = self.client.request(request).await.map_err(|e| e.to_string())?;
        if response.status() != 200 {
            return Err(format!("the stream answered {}", response.status()));
        }
        Ok(response.into_body())
    }
}
