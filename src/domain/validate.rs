//! Field validation that collects every problem of a request, so one 422 names them all.

/// One invalid field of a request.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path in the request, e.g. `email` or `contact.email`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// The fields a request got wrong, every one of them (the HTTP layer answers 422 with them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub errors: Vec<FieldError>,
}

#[derive(Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

/// The bidirectional formatting characters: embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069) and the invisible direction marks (U+200E, U+200F, U+061C).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// Trimmed text of 1..=max characters (control characters refused). The request fields
    /// checked here say so in the OpenAPI document: `#[schema(min_length = 1, pattern = r"\S")]`.
    /// A short text (a name, a title): trimmed, without the bidirectional controls that make
    /// text display in another order than it reads (`invoice\u{202E}fdp.exe`).
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let value: String = value.chars().filter(|c| !is_bidi_control(*c)).collect();
        let value = value.trim();
        if value.is_empty() {
            self.fail(field, "must not be empty");
        } else if value.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        } else if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            self.fail(field, "must not contain control characters");
        }
        value.to_owned()
    }

    pub fn optional_text(&mut self, field: &str, value: Option<String>, max: usize) -> Option<String> {
        value.map(|v| self.text(field, &v, max))
    }

    /// An email address, lower-cased (addresses are compared case-insensitively).
    pub fn email(&mut self, field: &str, value: &str) -> String {
        let value = value.trim().to_lowercase();
        let valid = value.len() <= 254
            && value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            })
            && !value.chars().any(|c| c.is_whitespace() || c.is_control() || is_bidi_control(c));
        if !valid {
            self.fail(field, "must be an email address such as june@example.com");
        }
        value
    }

    /// A phone number: digits with an optional leading `+` and common separators.
    pub fn phone(&mut self, field: &str, value: &str) -> String {
        let value = value.trim().to_owned();
        let digits = value.chars().filter(char::is_ascii_digit).count();
        let allowed = value
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " -.()".contains(c) || (c == '+' && i == 0));
        if !allowed || !(3..=20).contains(&digits) || value.len() > 32 {
            self.fail(field, "must be a phone number such as +14155550100");
        }
        value
    }

    /// An absolute `http` or `https` URL.
    pub fn url(&mut self, field: &str, value: &str) -> String {
        let value = value.trim().to_owned();
        match url::Url::parse(&value) {
            Ok(url)
                if matches!(url.scheme(), "http" | "https")
                    && url.host().is_some()
                    && value.len() <= 2048 => {}
            _ => self.fail(field, "must be an absolute http(s) URL of at most 2048 characters"),
        }
        value
    }

    /// The links a message's metadata shows (`sources[].url`, `citations[].url`): web addresses
    /// only, never `javascript:` or `data:`.
    pub fn shown_links(&mut self, field: &str, metadata: &serde_json::Map<String, serde_json::Value>) {
        for list in ["sources", "citations"] {
            let Some(items) = metadata.get(list).and_then(|l| l.as_array()) else { continue };
            for (i, item) in items.iter().enumerate() {
                if let Some(url) = item.get("url").and_then(|u| u.as_str()) {
                    self.url(&format!("{field}.{list}[{i}].url"), url);
                }
            }
        }
    }

    /// A colour as `#rrggbb`, lower-cased.
    pub fn color(&mut self, field: &str, value: &str) -> String {
        let value = value.trim().to_lowercase();
        let hex =
            value.strip_prefix('#').filter(|h| h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit()));
        if hex.is_none() {
            self.fail(field, "must be a colour such as #1f9d55");
        }
        value
    }

    /// A JSON object of at most `max_keys` keys and `max_bytes` serialised.
    pub fn object_size(
        &mut self,
        field: &str,
        value: &serde_json::Map<String, serde_json::Value>,
        max_keys: usize,
        max_bytes: usize,
    ) {
        if value.len() > max_keys {
            self.fail(field, format!("must have at most {max_keys} keys"));
        } else if serde_json::to_vec(value).map_or(0, |v| v.len()) > max_bytes {
            self.fail(field, format!("must be at most {max_bytes} bytes as JSON"));
        }
    }

    pub fn finish(self) -> Result<(), Invalid> {
        if self.errors.is_empty() { Ok(()) } else { Err(Invalid { errors: self.errors }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_lose_bidirectional_overrides() {
        let mut check = Checker::new();
        assert_eq!(check.text("name", " June \u{202E}kraP\u{202C} ", 50), "June kraP");
        assert_eq!(check.text("name", "\u{2067}ليلى\u{2069}\u{200F}", 50), "ليلى");
        assert!(check.finish().is_ok());
        let mut check = Checker::new();
        check.email("email", "june\u{202E}@example.com");
        assert!(check.finish().is_err(), "an address with a direction override is no address");
    }

    #[test]
    fn collects_every_error() {
        let mut check = Checker::new();
        check.text("name", "  ", 10);
        check.email("email", "not-an-email");
        check.phone("phone", "call me");
        check.url("avatar_url", "ftp://x");
        let error = check.finish().unwrap_err();
        let fields: Vec<_> = error.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "phone", "avatar_url"]);
    }

    #[test]
    fn normalises_valid_values() {
        let mut check = Checker::new();
        assert_eq!(check.email("email", " June@Example.COM "), "june@example.com");
        assert_eq!(check.text("name", " June ", 10), "June");
        assert_eq!(check.phone("phone", "+1 (415) 555-0100"), "+1 (415) 555-0100");
        check.url("u", "https://example.com/a.png");
        assert!(check.finish().is_ok());
    }
}
