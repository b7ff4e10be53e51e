//! Progress for long steps: a ticking line on a terminal, silence when piped (logs and CI stay clean).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

pub struct Step {
    label: String,
    start: Instant,
    done: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl Step {
    pub fn start(label: &str) -> Step {
        let done = Arc::new(AtomicBool::new(false));
        let start = Instant::now();
        let ticker = if std::io::stderr().is_terminal() {
            let done = done.clone();
            let label = label.to_string();
            Some(std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    eprint!("\r  {label} ... {:.0}s ", start.elapsed().as_secs_f64());
                    let _ = std::io::stderr().flush();
                    std::thread::sleep(std::time::Duration::from_millis(250));
                }
            }))
        } else {
            None
        };
        Step { label: label.to_string(), start, done, ticker }
    }

    /// Stops the ticker and returns the elapsed seconds.
    pub fn finish(mut self) -> f64 {
        let secs = self.start.elapsed().as_secs_f64();
        self.stop();
        if self.ticker_was_running() {
            eprintln!("\r  {} ... done in {secs:.2}s ", self.label);
        }
        secs
    }

    fn ticker_was_running(&self) -> bool {
        std::io::stderr().is_terminal()
    }

    fn stop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Peak resident memory of this process so far, in MiB (Linux; 0 elsewhere).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()))
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}
