//! How many threads the compiler may use.
//!
//! `std::thread::available_parallelism` reads cgroup files on Linux on every call (thousands of
//! instructions); planning a workflow asks once per task list, so the answer is read once.

use std::sync::OnceLock;

/// The number of threads the machine offers (1 when unknown).
pub fn available() -> usize {
    static AVAILABLE: OnceLock<usize> = OnceLock::new();
    *AVAILABLE.get_or_init(|| std::thread::available_parallelism().map_or(1, |count| count.get()))
}
