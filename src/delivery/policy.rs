//! When to try again: the retry schedule, its jitter, `Retry-After`, and when to give up.

use std::time::Duration;

use crate::store::AfterAttempt;

#[derive(Debug, Clone)]
pub struct Policy {
    /// The wait before each retry; one attempt more than it has steps.
    pub schedule: Vec<Duration>,
    /// How long one attempt may take, response body included.
    pub timeout: Duration,
    /// An endpoint failing without a success for this long is disabled.
    pub disable_after: Duration,
    pub allow_private: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            schedule: parse_schedule(DEFAULT_SCHEDULE).expect("the default schedule parses"),
            timeout: Duration::from_secs(15),
            disable_after: Duration::from_secs(5 * 24 * 3600),
            allow_private: false,
        }
    }
}

pub const DEFAULT_SCHEDULE: &str = "5s,5m,30m,2h,5h,10h,10h";

/// Jitter: each wait is moved by up to this share, either way.
const JITTER: f64 = 0.2;

impl Policy {
    /// A node holds a claimed delivery this long: longer than an attempt can take, so a live
    /// node never loses it; short enough that a dead node's deliveries move on.
    pub fn lease(&self) -> Duration {
        self.timeout * 2
    }

    /// What follows attempt `number` (1 for the first) that got `status` (`None`: no
    /// response). `unit` in [0, 1) places the jitter.
    pub fn after(
        &self,
        number: i64,
        status: Option<u16>,
        retry_after: Option<Duration>,
        now: i64,
        unit: f64,
    ) -> AfterAttempt {
        match status {
            Some(200..=299) => return AfterAttempt::Succeeded,
            Some(410) => {
                return AfterAttempt::Failed { disable: Some("the endpoint answered 410 Gone".into()) };
            }
            _ => {}
        }
        let Some(step) = usize::try_from(number - 1).ok().and_then(|i| self.schedule.get(i)) else {
            return AfterAttempt::Failed { disable: None };
        };
        let longest = self.schedule.iter().max().copied().unwrap_or_default();
        let wait = match retry_after {
            Some(asked) => asked.min(longest),
            None => step.mul_f64(1.0 + JITTER * (2.0 * unit - 1.0)),
        };
        AfterAttempt::RetryAt(now + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX))
    }
}

/// `"5s,5m,30m,2h"`: durations in `ms`, `s`, `m`, `h` or `d`.
pub fn parse_schedule(text: &str) -> Result<Vec<Duration>, String> {
    text.split(',').map(|step| parse_duration(step.trim())).collect()
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("`{text}` is not a duration like 5s, 5m or 2h"))?;
    let ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("`{text}` is not a duration like 5s, 5m or 2h")),
    };
    Ok(Duration::from_millis(n * ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000;

    fn policy() -> Policy {
        Policy { schedule: parse_schedule("10s,1h").unwrap(), ..Policy::default() }
    }

    #[test]
    fn the_default_schedule_is_the_contracts() {
        let hours = |h: u64| Duration::from_secs(h * 3600);
        assert_eq!(
            Policy::default().schedule,
            [
                Duration::from_secs(5),
                Duration::from_secs(300),
                Duration::from_secs(1800),
                hours(2),
                hours(5),
                hours(10),
                hours(10)
            ]
        );
    }

    #[test]
    fn success_ends_and_failures_follow_the_schedule_with_jitter() {
        let p = policy();
        assert_eq!(p.after(1, Some(204), None, NOW, 0.5), AfterAttempt::Succeeded);
        assert_eq!(p.after(1, Some(500), None, NOW, 0.5), AfterAttempt::RetryAt(NOW + 10_000));
        assert_eq!(p.after(1, None, None, NOW, 0.0), AfterAttempt::RetryAt(NOW + 8_000));
        assert_eq!(p.after(2, Some(302), None, NOW, 0.75), AfterAttempt::RetryAt(NOW + 3_960_000));
        assert_eq!(p.after(3, Some(500), None, NOW, 0.5), AfterAttempt::Failed { disable: None });
    }

    #[test]
    fn retry_after_replaces_the_wait_up_to_the_longest_step() {
        let p = policy();
        let asked = Some(Duration::from_secs(30));
        assert_eq!(p.after(1, Some(429), asked, NOW, 0.9), AfterAttempt::RetryAt(NOW + 30_000));
        let days = Some(Duration::from_secs(86_400 * 3));
        assert_eq!(p.after(1, Some(503), days, NOW, 0.9), AfterAttempt::RetryAt(NOW + 3_600_000));
    }

    #[test]
    fn gone_gives_up_and_disables() {
        assert!(matches!(
            policy().after(1, Some(410), None, NOW, 0.5),
            AfterAttempt::Failed { disable: Some(_) }
        ));
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5d"), Ok(Duration::from_secs(432_000)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("fast").is_err());
    }
}
