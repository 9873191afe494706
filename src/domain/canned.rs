//! Canned responses: what a shortcode may be, and the placeholders a body may hold (the inbox
//! fills them in when it inserts the reply).

use super::validate::Checker;

/// The placeholders a body may hold.
pub const PLACEHOLDERS: [&str; 4] = ["contact.name", "contact.first_name", "contact.email", "member.name"];

/// The longest body, in characters (a message's content may be longer; a saved reply is not).
const MAX_BODY: usize = 10_000;

/// A shortcode: 1 to 32 of `a-z`, `0-9`, `_` and `-` (what an agent types after `/`).
pub fn check_shortcode(check: &mut Checker, field: &str, value: &str) -> String {
    let value = value.trim();
    let valid = (1..=32).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !valid {
        check.fail(field, "must be 1 to 32 of a-z, 0-9, _ and - (such as refund-policy)");
    }
    value.to_owned()
}

/// A body: text whose every `{{…}}` is one of [`PLACEHOLDERS`].
pub fn check_body(check: &mut Checker, field: &str, value: &str) -> String {
    let body = check.text(field, value, MAX_BODY);
    if let Some(unknown) = placeholders(&body).find(|name| !PLACEHOLDERS.contains(name)) {
        let known: Vec<String> = PLACEHOLDERS.iter().map(|p| format!("{{{{{p}}}}}")).collect();
        check.fail(field, format!("has an unknown placeholder {{{{{unknown}}}}}; use {}", known.join(", ")));
    }
    body
}

/// The names inside every `{{…}}` of `body`, trimmed.
fn placeholders(body: &str) -> impl Iterator<Item = &str> {
    body.split("{{").skip(1).filter_map(|rest| rest.split_once("}}").map(|(name, _)| name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(run: impl FnOnce(&mut Checker)) -> Vec<String> {
        let mut check = Checker::new();
        run(&mut check);
        check.finish().err().map_or_else(Vec::new, |e| e.errors.into_iter().map(|e| e.message).collect())
    }

    #[test]
    fn shortcodes_are_short_lower_case_words() {
        for good in ["refund", "refund-policy", "r_2", "a"] {
            assert!(errors(|c| assert_eq!(check_shortcode(c, "shortcode", good), good)).is_empty(), "{good}");
        }
        for bad in ["", "Refund", "refund policy", "€uro", &"x".repeat(33)] {
            assert_eq!(errors(|c| drop(check_shortcode(c, "shortcode", bad))).len(), 1, "{bad}");
        }
    }

    #[test]
    fn bodies_hold_only_known_placeholders() {
        let ok = "Hi {{contact.first_name}}, I'm {{ member.name }}. {{contact.email}} {{contact.name}}";
        assert!(errors(|c| drop(check_body(c, "body", ok))).is_empty());
        let unknown = errors(|c| drop(check_body(c, "body", "Hi {{contact.nickname}}")));
        assert_eq!(unknown.len(), 1);
        assert!(
            unknown[0].contains("{{contact.nickname}}") && unknown[0].contains("{{member.name}}"),
            "{unknown:?}"
        );
        assert!(errors(|c| drop(check_body(c, "body", "Braces {alone} and }} are text"))).is_empty());
    }
}
