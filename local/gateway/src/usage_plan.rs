//! The usage plans and stage throttling: token buckets (governor's GCRA, which admits exactly what a
//! token bucket of `burstLimit` tokens refilled at `rateLimit` per second admits) and a request quota
//! per calendar period. Each client of the stage has its own plan; within a plan every API key has
//! its own bucket and its own quota count, as on AWS.
//!
//! Order (inferred from AWS's documentation, which does not spell it out): the key's bucket, then the
//! method's stage-level bucket, then the quota; a request only counts against the quota once both
//! buckets let it through.
//!
//! Quota counts can be kept in a file, so that a restart on the same day does not hand every key a
//! fresh quota (AWS keeps them server-side).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota as GcraQuota, RateLimiter};

use crate::stage::{QuotaPeriod, QuotaSettings, ThrottleSettings, UsagePlanSettings};

/// Why the usage plan turned a request away (both are 429 for the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// A token bucket is empty: `{"message":"Too Many Requests"}`.
    Throttled,
    /// The key's quota for the current period is spent: `{"message":"Limit Exceeded"}`.
    QuotaExceeded,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot use the quota file {path}: {detail}")]
pub struct QuotaFileError {
    path: String,
    detail: String,
}

/// Wall-clock time, for the quota's calendar periods (replaceable in tests).
pub trait WallClock: Send + Sync {
    fn now_utc(&self) -> DateTime<Utc>;
}

/// The machine's clock.
pub struct SystemWallClock;

impl WallClock for SystemWallClock {
    fn now_utc(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

type Buckets<C> =
    RateLimiter<String, HashMapStateStore<String>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// One client's plan and the ids of its keys.
#[derive(Debug, Clone)]
pub struct ClientPlan {
    pub key_ids: Vec<String>,
    pub settings: UsagePlanSettings,
}

/// A plan's per-key buckets and quota.
struct Plan<C: Clock> {
    per_key: Buckets<C>,
    quota: Option<QuotaSettings>,
}

/// Throttle and quota state for one stage; `C` is the token buckets' clock.
pub struct UsagePlan<C: Clock = DefaultClock> {
    per_method: Buckets<C>,
    plans: Vec<Plan<C>>,
    /// Key id -> index in `plans`; `None`: one plan for whatever key the gateway admits.
    plan_of_key: Option<HashMap<String, usize>>,
    quota_counts: QuotaCounts,
    wall_clock: Box<dyn WallClock>,
}

impl UsagePlan<DefaultClock> {
    /// One usage plan for every key, on the machine's clocks.
    pub fn new(
        key_throttle: ThrottleSettings,
        method_throttle: ThrottleSettings,
        quota: Option<QuotaSettings>,
    ) -> Self {
        Self::with_clocks(
            key_throttle,
            method_throttle,
            quota,
            DefaultClock::default(),
            Box::new(SystemWallClock),
        )
    }

    /// One plan per client, each applying to that client's keys only; quota counts are read from
    /// and written to `quota_file` when one is given.
    pub fn for_clients(
        method_throttle: ThrottleSettings,
        clients: &[ClientPlan],
        quota_file: Option<&Path>,
    ) -> Result<Self, QuotaFileError> {
        let clock = DefaultClock::default();
        let plan_of_key = clients
            .iter()
            .enumerate()
            .flat_map(|(index, client)| client.key_ids.iter().map(move |id| (id.clone(), index)))
            .collect();
        Ok(Self {
            per_method: RateLimiter::hashmap_with_clock(gcra_quota(method_throttle), clock.clone()),
            plans: clients
                .iter()
                .map(|client| Plan::new(&client.settings, clock.clone()))
                .collect(),
            plan_of_key: Some(plan_of_key),
            quota_counts: QuotaCounts::open(quota_file.map(Path::to_path_buf))?,
            wall_clock: Box::new(SystemWallClock),
        })
    }
}

impl<C: Clock + Clone> Plan<C> {
    fn new(settings: &UsagePlanSettings, clock: C) -> Self {
        Self {
            per_key: RateLimiter::hashmap_with_clock(gcra_quota(settings.throttle), clock),
            quota: settings.quota,
        }
    }
}

impl<C: Clock + Clone> UsagePlan<C> {
    /// One plan for every key, on the given clocks.
    pub fn with_clocks(
        key_throttle: ThrottleSettings,
        method_throttle: ThrottleSettings,
        quota: Option<QuotaSettings>,
        clock: C,
        wall_clock: Box<dyn WallClock>,
    ) -> Self {
        let settings = UsagePlanSettings {
            throttle: key_throttle,
            quota,
        };
        Self {
            per_method: RateLimiter::hashmap_with_clock(gcra_quota(method_throttle), clock.clone()),
            plans: vec![Plan::new(&settings, clock)],
            plan_of_key: None,
            quota_counts: QuotaCounts::in_memory(),
            wall_clock,
        }
    }

    /// Admits one request to `method` (e.g. `GET /staff/{id}`), or says why not. A method that
    /// needs no API key is only subject to the stage's method throttle.
    pub fn admit(&self, api_key_id: Option<&str>, method: &str) -> Result<(), Rejection> {
        let plan = match api_key_id {
            Some(key) => {
                let plan = self.plan_of(key).ok_or(Rejection::Throttled)?;
                plan.per_key
                    .check_key(&key.to_owned())
                    .map_err(|_| Rejection::Throttled)?;
                Some(plan)
            }
            None => None,
        };
        self.per_method
            .check_key(&method.to_owned())
            .map_err(|_| Rejection::Throttled)?;
        match (plan.and_then(|plan| plan.quota), api_key_id) {
            (Some(quota), Some(key)) => {
                self.quota_counts
                    .count(key, quota, self.wall_clock.now_utc())
            }
            _ => Ok(()),
        }
    }

    /// The plan a key belongs to. The gateway only admits keys of the stage's clients, each of
    /// which has a plan; a key outside every plan (AWS answers 403 before any plan applies) is
    /// refused here too, never let through unlimited.
    fn plan_of(&self, key_id: &str) -> Option<&Plan<C>> {
        match &self.plan_of_key {
            None => self.plans.first(),
            Some(plans) => plans.get(key_id).map(|&index| &self.plans[index]),
        }
    }
}

/// A bucket of `burstLimit` tokens refilled at `rateLimit` per second. Settings are validated when
/// the stage file is read, so both are positive here.
fn gcra_quota(throttle: ThrottleSettings) -> GcraQuota {
    let burst = NonZeroU32::new(throttle.burst_limit).unwrap_or(NonZeroU32::MIN);
    let refill_one_per = Duration::from_secs_f64(1.0 / throttle.rate_limit);
    GcraQuota::with_period(refill_one_per)
        .unwrap_or_else(|| GcraQuota::per_second(NonZeroU32::MAX))
        .allow_burst(burst)
}

/// Requests counted per key id in the current calendar period (UTC): key id -> (period, count).
struct QuotaCounts {
    used: Mutex<HashMap<String, (i64, u64)>>,
    file: Option<PathBuf>,
}

impl QuotaCounts {
    fn in_memory() -> Self {
        Self {
            used: Mutex::new(HashMap::new()),
            file: None,
        }
    }

    /// The counts saved in `file` (none yet if it does not exist).
    fn open(file: Option<PathBuf>) -> Result<Self, QuotaFileError> {
        let Some(path) = file else {
            return Ok(Self::in_memory());
        };
        let error = |detail: String| QuotaFileError {
            path: path.display().to_string(),
            detail,
        };
        let used = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| error(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(error(e.to_string())),
        };
        Ok(Self {
            used: Mutex::new(used),
            file: Some(path),
        })
    }

    fn count(
        &self,
        api_key_id: &str,
        settings: QuotaSettings,
        now: DateTime<Utc>,
    ) -> Result<(), Rejection> {
        let period = period_number(settings.period, now);
        let mut used = self
            .used
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (counted_period, count) = used.entry(api_key_id.to_owned()).or_insert((period, 0));
        if *counted_period != period {
            *counted_period = period;
            *count = 0;
        }
        if *count >= settings.limit {
            return Err(Rejection::QuotaExceeded);
        }
        *count += 1;
        if let Some(file) = &self.file {
            save(file, &used);
        }
        Ok(())
    }
}

/// Replaces the quota file atomically (write, then rename), under the counts' lock. A failed write
/// only loses persistence, never a request; it is reported on stderr.
fn save(file: &Path, used: &HashMap<String, (i64, u64)>) {
    let staged = file.with_extension("json.partial");
    let written = serde_json::to_vec(used)
        .map_err(std::io::Error::other)
        .and_then(|bytes| std::fs::write(&staged, bytes))
        .and_then(|()| std::fs::rename(&staged, file));
    if let Err(error) = written {
        eprintln!(
            "local-gateway: warning: cannot save the quota counts to {}: {error}",
            file.display()
        );
    }
}

/// A number that changes exactly when a new period starts. Periods are UTC calendar days, ISO weeks
/// (Monday to Sunday) and calendar months; AWS's documentation does not fix the week's first day, so
/// Monday is an assumption.
fn period_number(period: QuotaPeriod, now: DateTime<Utc>) -> i64 {
    let date = now.date_naive();
    match period {
        QuotaPeriod::Day => i64::from(date.num_days_from_ce()),
        QuotaPeriod::Week => {
            let week = date.iso_week();
            i64::from(week.year()) * 100 + i64::from(week.week())
        }
        QuotaPeriod::Month => i64::from(date.year()) * 12 + i64::from(date.month0()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[derive(Clone)]
    struct ManualWallClock(Arc<Mutex<DateTime<Utc>>>);

    impl ManualWallClock {
        fn at(time: DateTime<Utc>) -> Self {
            Self(Arc::new(Mutex::new(time)))
        }
        fn set(&self, time: DateTime<Utc>) {
            *self.0.lock().unwrap() = time;
        }
    }

    impl WallClock for ManualWallClock {
        fn now_utc(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    const GENEROUS: ThrottleSettings = ThrottleSettings {
        rate_limit: 1000.0,
        burst_limit: 1000,
    };

    fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn plan(
        key_throttle: ThrottleSettings,
        method_throttle: ThrottleSettings,
        quota: Option<QuotaSettings>,
    ) -> (
        UsagePlan<FakeRelativeClock>,
        FakeRelativeClock,
        ManualWallClock,
    ) {
        let clock = FakeRelativeClock::default();
        let wall = ManualWallClock::at(utc(2026, 1, 7, 12));
        let plan = UsagePlan::with_clocks(
            key_throttle,
            method_throttle,
            quota,
            clock.clone(),
            Box::new(wall.clone()),
        );
        (plan, clock, wall)
    }

    fn admitted(plan: &UsagePlan<FakeRelativeClock>, key: &str, attempts: usize) -> usize {
        (0..attempts)
            .filter(|_| plan.admit(Some(key), "GET /staff").is_ok())
            .count()
    }

    #[test]
    fn a_full_bucket_admits_exactly_the_burst_then_refills_at_the_rate() {
        let key_throttle = ThrottleSettings {
            rate_limit: 2.0,
            burst_limit: 3,
        };
        let (plan, clock, _) = plan(key_throttle, GENEROUS, None);

        assert_eq!(admitted(&plan, "key", 10), 3);
        assert_eq!(
            plan.admit(Some("key"), "GET /staff"),
            Err(Rejection::Throttled)
        );

        clock.advance(Duration::from_millis(500));
        assert_eq!(
            admitted(&plan, "key", 10),
            1,
            "2 per second refills one token in 500 ms"
        );

        clock.advance(Duration::from_secs(10));
        assert_eq!(
            admitted(&plan, "key", 10),
            3,
            "the bucket never holds more than the burst"
        );
    }

    #[test]
    fn each_key_has_its_own_bucket() {
        let key_throttle = ThrottleSettings {
            rate_limit: 1.0,
            burst_limit: 2,
        };
        let (plan, _, _) = plan(key_throttle, GENEROUS, None);

        assert_eq!(admitted(&plan, "first", 5), 2);
        assert_eq!(admitted(&plan, "second", 5), 2);
    }

    #[test]
    fn the_stage_bucket_is_per_method_and_shared_by_keys() {
        let method_throttle = ThrottleSettings {
            rate_limit: 1.0,
            burst_limit: 3,
        };
        let (plan, _, _) = plan(GENEROUS, method_throttle, None);

        assert!(plan.admit(Some("first"), "GET /staff").is_ok());
        assert!(plan.admit(Some("second"), "GET /staff").is_ok());
        assert!(plan.admit(Some("third"), "GET /staff").is_ok());
        assert_eq!(
            plan.admit(Some("fourth"), "GET /staff"),
            Err(Rejection::Throttled)
        );
        assert!(plan.admit(Some("fourth"), "POST /staff").is_ok());
    }

    #[test]
    fn the_quota_admits_exactly_the_limit_per_day_and_resets_at_midnight_utc() {
        let quota = QuotaSettings {
            limit: 4,
            period: QuotaPeriod::Day,
        };
        let (plan, _, wall) = plan(GENEROUS, GENEROUS, Some(quota));

        assert_eq!(admitted(&plan, "key", 10), 4);
        assert_eq!(
            plan.admit(Some("key"), "GET /staff"),
            Err(Rejection::QuotaExceeded)
        );
        assert_eq!(admitted(&plan, "other key", 10), 4, "quotas are per key");

        wall.set(utc(2026, 1, 7, 23));
        assert_eq!(admitted(&plan, "key", 1), 0);
        wall.set(utc(2026, 1, 8, 0));
        assert_eq!(admitted(&plan, "key", 10), 4);
    }

    #[test]
    fn throttled_requests_do_not_use_up_the_quota() {
        let key_throttle = ThrottleSettings {
            rate_limit: 1.0,
            burst_limit: 1,
        };
        let quota = QuotaSettings {
            limit: 2,
            period: QuotaPeriod::Day,
        };
        let (plan, clock, _) = plan(key_throttle, GENEROUS, Some(quota));

        assert_eq!(admitted(&plan, "key", 5), 1);
        clock.advance(Duration::from_secs(1));
        assert_eq!(admitted(&plan, "key", 5), 1);
        clock.advance(Duration::from_secs(1));
        assert_eq!(
            plan.admit(Some("key"), "GET /staff"),
            Err(Rejection::QuotaExceeded)
        );
    }

    fn client(key_ids: &[&str], burst: u32, quota: Option<u64>) -> ClientPlan {
        ClientPlan {
            key_ids: key_ids.iter().map(|id| (*id).to_owned()).collect(),
            settings: UsagePlanSettings {
                throttle: ThrottleSettings {
                    rate_limit: 0.001,
                    burst_limit: burst,
                },
                quota: quota.map(|limit| QuotaSettings {
                    limit,
                    period: QuotaPeriod::Day,
                }),
            },
        }
    }

    fn admitted_by(plan: &UsagePlan, key: &str, attempts: usize) -> usize {
        (0..attempts)
            .filter(|_| plan.admit(Some(key), "GET /staff").is_ok())
            .count()
    }

    #[test]
    fn each_client_has_its_own_plan_and_a_key_outside_every_plan_is_refused() {
        let clients = [
            client(&["mobile-key"], 2, None),
            client(&["partner-key"], 5, None),
        ];
        let plan = UsagePlan::for_clients(GENEROUS, &clients, None).unwrap();
        assert_eq!(admitted_by(&plan, "mobile-key", 10), 2);
        assert_eq!(admitted_by(&plan, "partner-key", 10), 5);
        assert_eq!(
            plan.admit(Some("stranger"), "GET /staff"),
            Err(Rejection::Throttled)
        );
        assert!(
            plan.admit(None, "GET /staff").is_ok(),
            "a keyless method is only under the stage throttle"
        );
    }

    #[test]
    fn quota_counts_survive_a_restart_through_the_quota_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("quota.json");
        let clients = [client(&["key"], 100, Some(3))];
        let first = UsagePlan::for_clients(GENEROUS, &clients, Some(&file)).unwrap();
        assert_eq!(admitted_by(&first, "key", 2), 2);
        drop(first);

        let restarted = UsagePlan::for_clients(GENEROUS, &clients, Some(&file)).unwrap();
        assert_eq!(
            admitted_by(&restarted, "key", 5),
            1,
            "2 of 3 were used before"
        );
        assert_eq!(
            restarted.admit(Some("key"), "GET /staff"),
            Err(Rejection::QuotaExceeded)
        );
    }

    #[test]
    fn a_corrupt_quota_file_is_a_clear_start_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("quota.json");
        std::fs::write(&file, "not json").unwrap();
        let error = UsagePlan::for_clients(GENEROUS, &[], Some(&file))
            .err()
            .expect("refused");
        assert!(error.to_string().contains("quota.json"), "{error}");
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let sunday = utc(2026, 1, 11, 23);
        let monday = utc(2026, 1, 12, 0);
        assert_ne!(
            period_number(QuotaPeriod::Week, sunday),
            period_number(QuotaPeriod::Week, monday)
        );
        assert_eq!(
            period_number(QuotaPeriod::Week, monday),
            period_number(QuotaPeriod::Week, utc(2026, 1, 18, 23))
        );
        assert_eq!(
            period_number(QuotaPeriod::Month, utc(2026, 1, 1, 0)),
            period_number(QuotaPeriod::Month, utc(2026, 1, 31, 23))
        );
        assert_ne!(
            period_number(QuotaPeriod::Month, utc(2026, 1, 31, 23)),
            period_number(QuotaPeriod::Month, utc(2026, 2, 1, 0))
        );
    }
}
