//! Virtual and real time for a run.
//!
//! Everything in the engine that waits (retry delays, WAIT tasks, timeouts, a mock's
//! `executionTime`, polling again after `callbackAfterSeconds`) is a deadline in the engine's own
//! timer queue, measured as a [`Duration`] since the run started. With [`ClockMode::Virtual`] time
//! only moves when the decider jumps it to the next deadline because nothing is in flight, so a
//! run with an hour of retry delays finishes in milliseconds, its timestamps are reproducible
//! (given the start time) and it reports the simulated elapsed time. With
//! [`ClockMode::RealTime`] the clock is the wall clock and the decider really sleeps.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// How time passes in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockMode {
    /// Time jumps to the next deadline whenever nothing is in flight (`wfc run`'s default).
    #[default]
    Virtual,
    /// Time is the wall clock; waits really wait (`wfc run --real-time`).
    RealTime,
}

/// The clock of one run.
#[derive(Debug, Clone)]
pub struct Clock {
    mode: ClockMode,
    epoch_start_milliseconds: i64,
    real_start: Instant,
    virtual_elapsed: Duration,
}

impl Clock {
    /// A clock whose time 0 is `epoch_start_milliseconds` (milliseconds since 1970).
    pub fn new(mode: ClockMode, epoch_start_milliseconds: i64) -> Clock {
        Clock {
            mode,
            epoch_start_milliseconds,
            real_start: Instant::now(),
            virtual_elapsed: Duration::ZERO,
        }
    }

    pub fn mode(&self) -> ClockMode {
        self.mode
    }

    /// Time since the run started on this clock (simulated in virtual mode).
    pub fn elapsed(&self) -> Duration {
        match self.mode {
            ClockMode::Virtual => self.virtual_elapsed,
            ClockMode::RealTime => self.real_start.elapsed(),
        }
    }

    /// Wall-clock time since the run started, whatever the mode.
    pub fn real_elapsed(&self) -> Duration {
        self.real_start.elapsed()
    }

    /// The current time in epoch milliseconds (task and workflow timestamps).
    pub fn now_milliseconds(&self) -> i64 {
        self.at_milliseconds(self.elapsed())
    }

    /// The epoch milliseconds of a point `elapsed` after the start.
    pub fn at_milliseconds(&self, elapsed: Duration) -> i64 {
        let offset = i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX);
        self.epoch_start_milliseconds.saturating_add(offset)
    }

    /// The point on this clock of an epoch time (for WAIT `until`); before the start gives 0.
    pub fn elapsed_at_epoch_milliseconds(&self, epoch_milliseconds: i64) -> Duration {
        let offset = epoch_milliseconds.saturating_sub(self.epoch_start_milliseconds);
        Duration::from_millis(u64::try_from(offset).unwrap_or(0))
    }

    /// Virtual mode: moves time forward to `elapsed` (never backwards). Real time: nothing.
    pub fn advance_to(&mut self, elapsed: Duration) {
        if self.mode == ClockMode::Virtual && elapsed > self.virtual_elapsed {
            self.virtual_elapsed = elapsed;
        }
    }

    /// How long to really sleep before `elapsed` is reached (always zero in virtual mode, where
    /// the decider jumps instead).
    pub fn real_wait_until(&self, elapsed: Duration) -> Duration {
        match self.mode {
            ClockMode::Virtual => Duration::ZERO,
            ClockMode::RealTime => elapsed.saturating_sub(self.real_start.elapsed()),
        }
    }
}

/// Milliseconds since 1970 now (the default start of a run's clock).
pub fn epoch_milliseconds_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_time_moves_only_by_jumps_and_never_back() {
        let mut clock = Clock::new(ClockMode::Virtual, 1_000);
        assert_eq!(clock.now_milliseconds(), 1_000);
        clock.advance_to(Duration::from_secs(60));
        assert_eq!(clock.elapsed(), Duration::from_secs(60));
        assert_eq!(clock.now_milliseconds(), 61_000);
        clock.advance_to(Duration::from_secs(10));
        assert_eq!(clock.elapsed(), Duration::from_secs(60));
        assert_eq!(
            clock.real_wait_until(Duration::from_secs(3600)),
            Duration::ZERO
        );
    }

    #[test]
    fn real_time_ignores_jumps() {
        let mut clock = Clock::new(ClockMode::RealTime, 0);
        clock.advance_to(Duration::from_secs(3600));
        assert!(clock.elapsed() < Duration::from_secs(3600));
        assert!(clock.real_wait_until(Duration::from_secs(3600)) > Duration::from_secs(3500));
    }

    #[test]
    fn epoch_times_convert_both_ways() {
        let clock = Clock::new(ClockMode::Virtual, 5_000);
        assert_eq!(
            clock.elapsed_at_epoch_milliseconds(7_500),
            Duration::from_millis(2_500)
        );
        assert_eq!(clock.elapsed_at_epoch_milliseconds(10), Duration::ZERO);
        assert_eq!(clock.at_milliseconds(Duration::from_millis(2_500)), 7_500);
    }
}
