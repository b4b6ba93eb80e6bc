//! The long-running loop: a cycle per poll, failures that may pass retried with backoff.

use crate::agent::{Agent, Outcome, Pipeline, SyncError};
use crate::backoff::Backoff;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How the loop runs.
#[derive(Clone, Copy, Debug)]
pub struct LoopOptions {
    /// The wait between cycles that succeeded.
    pub poll: Duration,
    /// The waits after failures that may pass.
    pub backoff: Backoff,
    /// Run until one cycle succeeds (retrying failures that may pass up to
    /// `once_attempts` times in all), then stop.
    pub once: bool,
    /// Attempts of a `once` run.
    pub once_attempts: u32,
}

/// What the loop tells its caller.
pub enum Event<'a> {
    /// A cycle finished.
    Cycle(&'a Outcome),
    /// A cycle failed and will be tried again after `wait`.
    Retry {
        /// The failure.
        error: SyncError,
        /// The wait before the next attempt.
        wait: Duration,
    },
}

/// Sleeps `total`, waking early if `stop` is set.
fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let step = Duration::from_millis(100);
    let mut left = total;
    while !left.is_zero() && !stop.load(Ordering::Relaxed) {
        let d = left.min(step);
        std::thread::sleep(d);
        left -= d;
    }
}

/// Runs cycles until `stop` is set (checked between cycles and during waits), or, with
/// `once`, until one succeeds. A failure that may pass is reported and retried after a
/// backoff; any other failure ends the loop with it. Returns the last outcome.
pub fn run<P: Pipeline>(
    agent: &mut Agent<P>,
    mut options: LoopOptions,
    stop: &AtomicBool,
    mut on_event: impl FnMut(Event<'_>),
) -> Result<Option<Outcome>, SyncError> {
    let mut last = None;
    let mut attempts = 0u32;
    while !stop.load(Ordering::Relaxed) {
        attempts += 1;
        match agent.cycle() {
            Ok(outcome) => {
                options.backoff.reset();
                on_event(Event::Cycle(&outcome));
                last = Some(outcome);
                if options.once {
                    break;
                }
                sleep_unless_stopped(options.poll, stop);
            }
            Err(error) if error.is_transient() => {
                if options.once && attempts >= options.once_attempts {
                    return Err(error);
                }
                let wait = options.backoff.next_wait();
                on_event(Event::Retry { error, wait });
                sleep_unless_stopped(wait, stop);
            }
            Err(error) => return Err(error),
        }
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Crash, Script};

    fn options(once: bool) -> LoopOptions {
        LoopOptions {
            poll: Duration::ZERO,
            backoff: Backoff::new(Duration::from_millis(1), Duration::from_millis(4)),
            once,
            once_attempts: 5,
        }
    }

    #[test]
    fn once_retries_an_unreachable_node_with_backoff_then_runs_the_cycle() {
        let tmp = tempfile::tempdir().unwrap();
        let script = Script {
            chain: 2,
            records: 2,
            unreachable: 3,
            ..Script::default()
        };
        let mut agent = Agent::open(tmp.path(), script).unwrap();
        let mut waits = Vec::new();
        let last = run(&mut agent, options(true), &AtomicBool::new(false), |e| {
            if let Event::Retry { wait, .. } = e {
                waits.push(wait.as_millis());
            }
        })
        .unwrap();
        assert_eq!(waits, [1, 2, 4]);
        assert!(matches!(last, Some(Outcome::Ran(r)) if r.attest.complete));
    }

    #[test]
    fn once_gives_up_after_its_attempts_and_a_failure_needing_the_operator_ends_the_loop() {
        let tmp = tempfile::tempdir().unwrap();
        let script = Script {
            chain: 2,
            records: 2,
            unreachable: 10,
            ..Script::default()
        };
        let mut agent = Agent::open(tmp.path(), script).unwrap();
        let err = run(&mut agent, options(true), &AtomicBool::new(false), |_| {}).unwrap_err();
        assert!(err.is_transient());
        assert_eq!(agent.pipeline_mut().unreachable, 5);

        let tmp = tempfile::tempdir().unwrap();
        let script = Script {
            chain: 2,
            records: 2,
            crash: Some(Crash::ProveBefore),
            ..Script::default()
        };
        let mut agent = Agent::open(tmp.path(), script).unwrap();
        let err = run(&mut agent, options(false), &AtomicBool::new(false), |_| {}).unwrap_err();
        assert!(!err.is_transient());
    }

    #[test]
    fn the_loop_stops_when_asked() {
        let tmp = tempfile::tempdir().unwrap();
        let script = Script {
            chain: 2,
            records: 2,
            ..Script::default()
        };
        let mut agent = Agent::open(tmp.path(), script).unwrap();
        let stop = AtomicBool::new(false);
        let mut cycles = 0;
        let last = run(&mut agent, options(false), &stop, |e| {
            if let Event::Cycle(_) = e {
                cycles += 1;
                if cycles == 3 {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        })
        .unwrap();
        assert_eq!(cycles, 3);
        assert!(matches!(last, Some(Outcome::UpToDate { .. })));
    }
}
