//! Progress of long steps: a bar on a terminal; plain lines on stderr otherwise (pipes, CI,
//! logs), so that a long run under `nohup` or in CI still says how far it got.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A bar of `total` steps labelled `what`, with rate and ETA; hidden when stderr is not a
/// terminal.
pub fn bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>10} [{elapsed_precise}] {wide_bar} {pos}/{len} (eta {eta})",
        )
        .expect("a valid template"),
    );
    bar.set_message(what.to_string());
    bar
}

/// A spinner for a step of unknown length; hidden when stderr is not a terminal.
pub fn spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_message(what.to_string());
    bar
}

/// What a proving command says about the proving key's fixed-base tables
/// ([`zkbackup_prover::ChunkProver::on_tables_build`]), through `note(line, restart)` (e.g.
/// [`ChunkProgress::notes`]; `restart` after a one-off step no chunk's rate should carry).
pub fn tables_notes(
    note: impl Fn(&str, bool) + Send + Sync + 'static,
) -> impl Fn(zkbackup_prover::TablesEvent) + Send + Sync + 'static {
    use zkbackup_prover::TablesEvent;
    move |event| match event {
        TablesEvent::Building => note(
            "building the proving key's fixed-base MSM tables (once; about as long as a few \
             dozen proofs)",
            false,
        ),
        TablesEvent::Built => note("tables built", true),
        TablesEvent::Loaded(path) => note(
            &format!("fixed-base MSM tables read from {}", path.display()),
            true,
        ),
        TablesEvent::Saved(path) => note(
            &format!(
                "tables kept in {} for later runs (--tables-cache none: not kept)",
                path.display()
            ),
            true,
        ),
        TablesEvent::CacheProblem(problem) => {
            note(&format!("warning: tables cache not used: {problem}"), false)
        }
    }
}

/// Plain progress lines are at least this far apart (the last one always comes).
const LINE_INTERVAL: Duration = Duration::from_secs(1);
/// With no chunk finished for this long, a plain line says the run is still going.
const HEARTBEAT: Duration = Duration::from_secs(10);

/// Progress of a run over chunks, fed by `update(done, total)` from any thread.
///
/// On a terminal: a bar with rate and ETA. Otherwise: plain lines on stderr, one per
/// finished chunk (at most one a second; the last always), each with done/total, the rate
/// and the ETA, and one every 10 s while no chunk finishes. The first `update` gives the
/// chunks already done (taken from checkpoints): the rate counts only what this run does.
/// When `stop` is set (by a Ctrl-C handler), one line says the run is stopping.
pub struct ChunkProgress {
    shared: Arc<Shared>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

struct Shared {
    what: String,
    bar: Option<ProgressBar>,
    stop: Option<Arc<AtomicBool>>,
    state: Mutex<State>,
    finished: Condvar,
}

struct State {
    start: Instant,
    /// Chunks done before this run (the first update).
    baseline: Option<usize>,
    done: usize,
    total: usize,
    last_line: Option<Instant>,
    stop_noted: bool,
    finished: bool,
}

impl ChunkProgress {
    /// Progress of `total` chunks labelled `what` (e.g. "proving").
    pub fn new(what: &str, total: usize, stop: Option<Arc<AtomicBool>>) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = bar(total as u64, what);
            bar.enable_steady_tick(Duration::from_millis(500));
            bar
        });
        let shared = Arc::new(Shared {
            what: what.to_string(),
            bar,
            stop,
            state: Mutex::new(State {
                start: Instant::now(),
                baseline: None,
                done: 0,
                total,
                last_line: None,
                stop_noted: false,
                finished: false,
            }),
            finished: Condvar::new(),
        });
        let ticker = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || shared.tick())
                .ok()
        };
        Self { shared, ticker }
    }

    /// `done` of `total` chunks are finished.
    pub fn update(&self, done: usize, total: usize) {
        let mut state = self.shared.lock();
        state.total = total;
        state.done = done;
        if state.baseline.is_none() {
            state.baseline = Some(done);
            state.start = Instant::now();
            let line = format!(
                "{}: {done}/{total} chunks done before this run (checkpoints), {} to go",
                self.shared.what,
                total - done
            );
            state.last_line = Some(Instant::now());
            drop(state);
            self.shared.print(&line);
            return;
        }
        if let Some(bar) = &self.shared.bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            return;
        }
        let due = state.last_line.is_none_or(|t| t.elapsed() >= LINE_INTERVAL);
        if due || done == total {
            let line = self.shared.status(&state);
            state.last_line = Some(Instant::now());
            drop(state);
            self.shared.print(&line);
        }
    }

    /// A handle that prints `line` above the bar (or as a plain line) from any thread;
    /// `restart` also restarts the rate and ETA from now (after a one-off step, such as
    /// building the MSM tables, that no chunk's time should carry).
    pub fn notes(&self) -> impl Fn(&str, bool) + Send + Sync + 'static {
        let shared = Arc::clone(&self.shared);
        move |line: &str, restart: bool| {
            if restart {
                let mut state = shared.lock();
                if state.baseline.is_some() {
                    state.baseline = Some(state.done);
                    state.start = Instant::now();
                }
            }
            shared.print(&format!("{}: {line}", shared.what));
        }
    }

    /// Ends the display (clears the bar, stops the ticker).
    pub fn finish(mut self) {
        self.stop_ticker();
    }

    fn stop_ticker(&mut self) {
        self.shared.lock().finished = true;
        self.shared.finished.notify_all();
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        if let Some(bar) = &self.shared.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for ChunkProgress {
    fn drop(&mut self) {
        self.stop_ticker();
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn print(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// `proving: 3/10 chunks (30%), 0.52 chunks/s, elapsed 5s, eta 13s`.
    fn status(&self, state: &State) -> String {
        let State { done, total, .. } = *state;
        let elapsed = state.start.elapsed();
        let this_run = done.saturating_sub(state.baseline.unwrap_or(0));
        let percent = (done * 100).checked_div(total).unwrap_or(100);
        let rate = this_run as f64 / elapsed.as_secs_f64().max(1e-9);
        let eta = if done >= total {
            "0s".to_string()
        } else if this_run == 0 {
            "unknown".to_string()
        } else {
            duration((total - done) as f64 / rate)
        };
        format!(
            "{}: {done}/{total} chunks ({percent}%), {rate:.2} chunks/s, elapsed {}, eta {eta}",
            self.what,
            duration(elapsed.as_secs_f64()),
        )
    }

    /// The ticker thread: notes a stop request once, and keeps plain output alive.
    fn tick(&self) {
        let mut state = self.lock();
        loop {
            if state.finished {
                return;
            }
            let stopping = self.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst));
            let mut line = None;
            if stopping && !state.stop_noted {
                state.stop_noted = true;
                line = Some(format!(
                    "{}: stopping after the chunks in progress (press Ctrl-C again to quit at \
                     once; finished chunks stay checkpointed)",
                    self.what
                ));
            } else if self.bar.is_none()
                && state.baseline.is_some()
                && state.last_line.is_none_or(|t| t.elapsed() >= HEARTBEAT)
            {
                line = Some(self.status(&state));
                state.last_line = Some(Instant::now());
            }
            if let Some(line) = line {
                drop(state);
                self.print(&line);
                state = self.lock();
                continue;
            }
            state = self
                .finished
                .wait_timeout(state, Duration::from_millis(200))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// `75s` → `1m15s`; `4000s` → `1h06m` (for rough estimates and ETAs).
pub fn duration(secs: f64) -> String {
    let s = secs.round() as u64;
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_as_a_person_writes_them() {
        assert_eq!(duration(4.4), "4s");
        assert_eq!(duration(75.0), "1m15s");
        assert_eq!(duration(4000.0), "1h06m");
    }
}
