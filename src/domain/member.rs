//! What a member's name, email, avatar and password must be.

use super::validate::Checker;

/// A member's name, email (lower-cased) and avatar URL, checked.
pub fn check_member(
    check: &mut Checker,
    name: &str,
    email: &str,
    avatar_url: Option<String>,
) -> (String, String, Option<String>) {
    let name = check.text("name", name, 200);
    let email = check.email("email", email);
    let avatar_url = avatar_url.map(|url| check.url("avatar_url", &url));
    (name, email, avatar_url)
}

/// A password: 8 to 256 characters, any of them (it is hashed, never stored).
pub fn check_password(check: &mut Checker, password: &str) {
    let length = password.chars().count();
    if !(8..=256).contains(&length) {
        check.fail("password", "must be 8 to 256 characters");
    }
}
