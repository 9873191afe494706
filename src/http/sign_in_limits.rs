//! Sign-in attempts, counted in the database ([`Store::hit_throttle`]) before the password is
//! checked: every node counts in the same row, in one atomic statement, so attempts sent at
//! once are all counted. Kept per email *and* address, so a guesser elsewhere pauses only
//! their own attempts, never the member's; and per address, against password spraying.

use super::quotas::{Limit, limited};
use crate::error::{ApiError, ApiResult};
use crate::store::Store;

/// Wrong passwords allowed for one email from one address.
pub const PER_ACCOUNT_AND_ADDRESS: Limit = Limit::per_minutes(10, 15);
/// Sign-in attempts (and setup-link tries) from one address, whatever the email: room for an
/// office behind one address signing in at the start of a shift, not for spraying.
pub const PER_ADDRESS: Limit = Limit::per_minutes(60, 5);

/// Why a sign-in attempt was not let through to the password check.
pub enum SignInRefused {
    /// The database could not count it.
    Failed(ApiError),
    /// Over a limit; `lockout_began`: this is the first refusal for the email at this address.
    Throttled { error: ApiError, lockout_began: bool },
}

impl From<SignInRefused> for ApiError {
    fn from(refused: SignInRefused) -> Self {
        match refused {
            SignInRefused::Failed(error) | SignInRefused::Throttled { error, .. } => error,
        }
    }
}

/// Counts one hit on `bucket`; refused when that takes it over `limit`. Returns the hits.
async fn count(
    store: &Store,
    bucket: &str,
    limit: Limit,
    now: i64,
    what: &str,
) -> Result<u64, SignInRefused> {
    let counted = store.hit_throttle(bucket, limit.window_ms, now).await;
    let (hits, started) = counted.map_err(|e| SignInRefused::Failed(e.into()))?;
    let hits = u64::try_from(hits).unwrap_or(0);
    if hits > limit.hits {
        let error = limited(limit.seconds_left(started, now), what);
        return Err(SignInRefused::Throttled { error, lockout_began: hits == limit.hits + 1 });
    }
    Ok(hits)
}

/// Counts a sign-in attempt for `email` from `address` before its password is checked.
pub async fn admit_sign_in(store: &Store, email: &str, address: &str, now: i64) -> Result<(), SignInRefused> {
    admit_address(store, address, now).await?;
    let what = "Too many wrong passwords for this email: wait before trying again";
    count(store, &account_bucket(email, address), PER_ACCOUNT_AND_ADDRESS, now, what).await.map(|_| ())
}

/// Counts an attempt from `address` at anything that checks a password or a secret link
/// (sign-in, the setup link).
pub async fn admit_address(store: &Store, address: &str, now: i64) -> Result<(), SignInRefused> {
    let what = "Too many sign-in attempts from this address: wait before trying again";
    match count(store, &address_bucket(address), PER_ADDRESS, now, what).await {
        Err(SignInRefused::Throttled { error, .. }) => {
            Err(SignInRefused::Throttled { error, lockout_began: false })
        }
        other => other.map(|_| ()),
    }
}

/// Takes back an attempt the server turned away unchecked (too busy): it was never a guess.
pub async fn refund(store: &Store, email: &str, address: &str) -> ApiResult<()> {
    store.refund_throttle(&address_bucket(address)).await?;
    Ok(store.refund_throttle(&account_bucket(email, address)).await?)
}

/// A member signed in: their email's attempts from this address are forgotten. The address
/// keeps the attempt: refunding it would let anyone holding one account spray between
/// their own sign-ins.
pub async fn succeeded(store: &Store, email: &str, address: &str) -> ApiResult<()> {
    Ok(store.clear_throttle(&account_bucket(email, address)).await?)
}

fn address_bucket(address: &str) -> String {
    format!("sign-in:{address}")
}

/// Emails are kept hashed in bucket names: the table is not a list of who tried to sign in.
fn account_bucket(email: &str, address: &str) -> String {
    let hashed = crate::auth::hash_secret(&email.trim().to_lowercase());
    format!("sign-in:{}:{address}", &hashed[..32])
}
