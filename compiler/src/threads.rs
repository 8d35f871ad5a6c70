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

/// Runs `work` on every item at once: the first on this thread, each other on a thread of its
/// own. Results come back in item order; a panic in any of them is resumed here, so that a bug
/// is never mistaken for an empty result.
pub fn map_scoped<Item: Send, Output: Send>(
    items: Vec<Item>,
    work: impl Fn(Item) -> Output + Sync,
) -> Vec<Output> {
    let mut items = items.into_iter();
    let Some(first) = items.next() else {
        return Vec::new();
    };
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items.map(|item| scope.spawn(move || work(item))).collect();
        let mut outputs = Vec::with_capacity(handles.len() + 1);
        outputs.push(work(first));
        for handle in handles {
            match handle.join() {
                Ok(output) => outputs.push(output),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        outputs
    })
}

/// Runs `first` on another thread and `second` on this one, at once; a panic in either is
/// resumed here.
pub fn join<First: Send, Second>(
    first: impl FnOnce() -> First + Send,
    second: impl FnOnce() -> Second,
) -> (First, Second) {
    std::thread::scope(|scope| {
        let handle = scope.spawn(first);
        let second = second();
        match handle.join() {
            Ok(first) => (first, second),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Drops `value` on a thread of its own, so that the caller does not wait for a large
/// structure to be freed. Nothing is run but the destructor.
/// On one core, or when no thread can be started, `value` is dropped here.
pub fn drop_in_background<Value: Send + 'static>(value: Value) {
    if available() > 1 {
        // The handle is not kept: nobody waits for the thread, and the process may exit first.
        drop(std::thread::Builder::new().spawn(move || drop(value)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<usize> = (0..9).collect();
        assert_eq!(
            map_scoped(items, |item| item * 2),
            vec![0, 2, 4, 6, 8, 10, 12, 14, 16]
        );
        assert_eq!(
            map_scoped(Vec::<usize>::new(), |item| item),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn values_dropped_in_the_background_are_dropped() {
        let (sender, receiver) = std::sync::mpsc::channel::<()>();
        drop_in_background(sender);
        // The receiver sees the channel close once the sender is dropped, wherever that is.
        assert!(receiver.recv().is_err());
    }

    #[test]
    fn join_runs_both() {
        assert_eq!(join(|| 1, || "two"), (1, "two"));
    }

    #[test]
    #[should_panic(expected = "first")]
    fn join_resumes_a_panic_of_the_other_thread() {
        join(|| panic!("first"), || 2);
    }

    #[test]
    #[should_panic(expected = "item 3")]
    fn a_panic_is_not_swallowed() {
        map_scoped((0..5).collect(), |item: usize| {
            assert!(item != 3, "item 3");
            item
        });
    }
}
