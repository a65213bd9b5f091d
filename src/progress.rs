//! A one-line progress meter: rows done of the expected total, throughput and ETA, redrawn
//! at most four times a second. The engine formats the line; where it goes (and whether it
//! is shown at all: only on a terminal, never with `--quiet` or JSON output) is the CLI's
//! choice, through the callback.
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Shortest time between two redraws.
pub const REDRAW: Duration = Duration::from_millis(250);

struct State {
    done: u64,
    last: Option<Instant>,
    label: String,
}

/// Counts rows and calls the sink with a formatted line, throttled to [`REDRAW`].
pub struct Meter {
    sink: fn(&str),
    total: Option<u64>,
    started: Instant,
    state: Mutex<State>,
}

impl Meter {
    /// A meter expecting `total` rows (`None`: unknown, no percentage or ETA).
    pub fn new(sink: fn(&str), total: Option<u64>) -> Meter {
        Meter {
            sink,
            total,
            started: Instant::now(),
            state: Mutex::new(State {
                done: 0,
                last: None,
                label: String::new(),
            }),
        }
    }

    /// Name what is being read now (a dataset).
    pub fn set_label(&self, label: &str) {
        if let Ok(mut s) = self.state.lock() {
            s.label = label.to_string();
        }
    }

    /// Count `rows` more and redraw if the last redraw is old enough.
    pub fn add(&self, rows: u64) {
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        s.done += rows;
        let now = Instant::now();
        if s.last.is_some_and(|l| now.duration_since(l) < REDRAW) {
            return;
        }
        s.last = Some(now);
        let line = format_line(
            &s.label,
            s.done,
            self.total,
            now.duration_since(self.started),
        );
        (self.sink)(&line);
    }
}

/// `patients.csv: 1.2M of 10.0M rows (12 %), 350k rows/s, ETA 0:25`.
pub fn format_line(label: &str, done: u64, total: Option<u64>, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    let mut s = String::new();
    if !label.is_empty() {
        s.push_str(label);
        s.push_str(": ");
    }
    s.push_str(&count(done as f64));
    // An estimated total can be passed; then the line says "about" and never goes past 100 %.
    if let Some(t) = total.filter(|t| *t > 0) {
        let t = t.max(done);
        s.push_str(&format!(
            " of {} rows ({} %)",
            count(t as f64),
            done * 100 / t
        ));
        s.push_str(&format!(", {} rows/s", count(rate)));
        if rate > 0.0 && done < t {
            s.push_str(&format!(", ETA {}", eta((t - done) as f64 / rate)));
        }
    } else {
        s.push_str(&format!(" rows, {} rows/s", count(rate)));
    }
    s
}

/// `950`, `12.3k`, `4.5M`, `1.2G`.
pub fn count(x: f64) -> String {
    let x = x.max(0.0);
    if x < 1_000.0 {
        format!("{x:.0}")
    } else if x < 1e6 {
        format!("{:.1}k", x / 1e3)
    } else if x < 1e9 {
        format!("{:.1}M", x / 1e6)
    } else {
        format!("{:.1}G", x / 1e9)
    }
}

/// Seconds as `m:ss` or `h:mm:ss`; `>99h` beyond that.
pub fn eta(secs: f64) -> String {
    if !secs.is_finite() || secs >= 99.0 * 3600.0 {
        return ">99h".into();
    }
    let s = secs.ceil().max(0.0) as u64;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_etas() {
        assert_eq!(count(950.0), "950");
        assert_eq!(count(12_345.0), "12.3k");
        assert_eq!(count(4_500_000.0), "4.5M");
        assert_eq!(count(1.2e9), "1.2G");
        assert_eq!(eta(0.2), "0:01");
        assert_eq!(eta(65.0), "1:05");
        assert_eq!(eta(3_725.0), "1:02:05");
        assert_eq!(eta(f64::INFINITY), ">99h");
        assert_eq!(eta(1e9), ">99h");
    }

    #[test]
    fn lines_show_rate_share_and_eta() {
        let l = format_line("a.csv", 1_000_000, Some(4_000_000), Duration::from_secs(4));
        assert_eq!(
            l,
            "a.csv: 1.0M of 4.0M rows (25 %), 250.0k rows/s, ETA 0:12"
        );
        // Unknown total: no share, no ETA.
        let l = format_line("", 5_000, None, Duration::from_secs(2));
        assert_eq!(l, "5.0k rows, 2.5k rows/s");
        // An underestimated total never shows more than 100 % or a negative ETA.
        let l = format_line("x", 150, Some(100), Duration::from_secs(1));
        assert_eq!(l, "x: 150 of 150 rows (100 %), 150 rows/s");
        // Nothing read yet.
        let l = format_line("x", 0, Some(100), Duration::ZERO);
        assert_eq!(l, "x: 0 of 100 rows (0 %), 0 rows/s");
    }

    #[test]
    fn redraws_are_throttled() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        fn sink(_: &str) {
            CALLS.fetch_add(1, Ordering::Relaxed);
        }
        let m = Meter::new(sink, Some(1_000));
        for _ in 0..1_000 {
            m.add(1);
        }
        // A thousand quick calls draw once (the first), not a thousand times.
        assert_eq!(CALLS.load(Ordering::Relaxed), 1);
    }
}
