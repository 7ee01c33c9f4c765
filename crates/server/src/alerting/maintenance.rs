//! Maintenance windows (the `maintenance:` section): when alerts are held.
//!
//! A window is one-off (`start` to `end`) or weekly (`days` at `start` for `duration`, in a
//! time zone, so "Sunday 03:00 Europe/Paris" stays 03:00 across daylight-saving changes). It
//! covers every website, or the listed ones. Checks run and results are kept during a window;
//! only alerts wait (see `step`).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// When a window is open.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// From `start` (included) to `end` (excluded).
    Once {
        /// Opens.
        start: DateTime<Utc>,
        /// Closes.
        end: DateTime<Utc>,
    },
    /// Every listed weekday at `start` local time, for `duration`.
    Weekly {
        /// The days it opens.
        days: Vec<Weekday>,
        /// Local opening time.
        start: NaiveTime,
        /// How long it stays open (under a week).
        duration: Duration,
        /// The zone of `start`.
        tz: Tz,
    },
}

/// One maintenance window.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// A name for pages and logs.
    pub name: String,
    /// When.
    pub schedule: Schedule,
    /// The websites it covers, as domains (`https://example.org/`) or `host[:port]`; empty:
    /// every website.
    pub domains: Vec<String>,
}

impl Window {
    /// Whether the window is open at `at`.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        match &self.schedule {
            Schedule::Once { start, end } => *start <= at && at < *end,
            Schedule::Weekly {
                days,
                start,
                duration,
                tz,
            } => weekly_open(days, *start, *duration, *tz, at),
        }
    }

    /// Whether it covers the website with this `domain` URL and `netloc`.
    pub fn covers(&self, domain: &str, netloc: &str) -> bool {
        self.domains.is_empty() || self.domains.iter().any(|d| d == domain || d == netloc)
    }
}

/// Looks at every opening that could still be running at `at`: today's and those of the
/// previous days that `duration` reaches back to.
fn weekly_open(
    days: &[Weekday],
    start: NaiveTime,
    duration: Duration,
    tz: Tz,
    at: DateTime<Utc>,
) -> bool {
    let today = at.with_timezone(&tz).date_naive();
    let reach = duration.num_days() + 1;
    (0..=reach).any(|back| {
        let Some(day) = today.checked_sub_signed(Duration::days(back)) else {
            return false;
        };
        days.contains(&day.weekday())
            && opening(day, start, tz).is_some_and(|open| {
                // A window running past chrono's last instant is open until then.
                open <= at && open.checked_add_signed(duration).is_none_or(|end| at < end)
            })
    })
}

/// `day` at `time` in `tz`, in UTC. A time skipped by a daylight-saving change opens at the
/// first instant after the gap; a repeated one at its first occurrence.
fn opening(day: NaiveDate, time: NaiveTime, tz: Tz) -> Option<DateTime<Utc>> {
    let local = day.and_time(time);
    let resolved = tz.from_local_datetime(&local).earliest().or_else(|| {
        // In a spring-forward gap: an hour later always exists.
        tz.from_local_datetime(&local.checked_add_signed(Duration::hours(1))?)
            .earliest()
    })?;
    Some(resolved.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn weekly(days: &[Weekday], start: &str, minutes: i64, tz: Tz) -> Window {
        Window {
            name: "w".into(),
            schedule: Schedule::Weekly {
                days: days.to_vec(),
                start: NaiveTime::parse_from_str(start, "%H:%M").unwrap(),
                duration: Duration::minutes(minutes),
                tz,
            },
            domains: vec![],
        }
    }

    #[test]
    fn one_off_windows_include_the_start_and_exclude_the_end() {
        let w = Window {
            name: "move".into(),
            schedule: Schedule::Once {
                start: utc("2026-12-24T22:00:00Z"),
                end: utc("2026-12-25T02:00:00Z"),
            },
            domains: vec!["example.org".into()],
        };
        assert!(!w.is_open(utc("2026-12-24T21:59:59Z")));
        assert!(w.is_open(utc("2026-12-24T22:00:00Z")));
        assert!(w.is_open(utc("2026-12-25T01:59:59Z")));
        assert!(!w.is_open(utc("2026-12-25T02:00:00Z")));
        assert!(w.covers("https://example.org/", "example.org"));
        assert!(!w.covers("https://other.org/", "other.org"));
    }

    #[test]
    fn weekly_windows_follow_local_time_across_dst() {
        let w = weekly(&[Weekday::Sun], "03:00", 60, chrono_tz::Europe::Paris);
        // Winter (UTC+1): Sunday 2026-12-06 03:00 Paris is 02:00 UTC.
        assert!(w.is_open(utc("2026-12-06T02:30:00Z")));
        assert!(!w.is_open(utc("2026-12-06T03:00:00Z")));
        // Summer (UTC+2): Sunday 2026-07-05 03:00 Paris is 01:00 UTC.
        assert!(w.is_open(utc("2026-07-05T01:00:00Z")));
        assert!(!w.is_open(utc("2026-07-05T02:00:00Z")));
        // Not on Saturday.
        assert!(!w.is_open(utc("2026-12-05T02:30:00Z")));
    }

    #[test]
    fn weekly_windows_may_run_past_midnight() {
        let w = weekly(&[Weekday::Fri], "23:00", 180, chrono_tz::UTC);
        assert!(w.is_open(utc("2026-12-04T23:30:00Z")));
        assert!(
            w.is_open(utc("2026-12-05T01:59:00Z")),
            "Saturday 01:59, from Friday"
        );
        assert!(!w.is_open(utc("2026-12-05T02:00:00Z")));
    }

    #[test]
    fn a_start_in_the_spring_gap_opens_after_it() {
        // 2026-03-29 02:30 does not exist in Paris (02:00 → 03:00).
        let w = weekly(&[Weekday::Sun], "02:30", 60, chrono_tz::Europe::Paris);
        assert!(w.is_open(utc("2026-03-29T01:45:00Z")), "03:45 local");
    }
}
