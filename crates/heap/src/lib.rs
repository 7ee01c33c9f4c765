//! How the `argos` process keeps glibc's allocator from holding memory it no longer uses.
//!
//! Measured with `argos-bench` and heaptrack at 10,000 sites on SQLite: the server's live
//! heap was 23–27 MB when idle, but its resident size was 117 MB right after start and grew
//! by 70–80 MB with each config reload (190 MB, then 265 MB), although heaptrack saw no leak.
//! Two glibc behaviours explain it:
//! - every thread that allocates while another holds an arena's lock gets an arena of its
//!   own (up to 8 per core), and memory freed in an arena stays with that arena: the config
//!   load peaks in one arena, the sync and the store's threads in others;
//! - freed memory is only returned to the system from the top of an arena, so a burst of
//!   short-lived allocations (a reload of 10,000 websites allocates ~100 MB for a moment)
//!   leaves the arena large and full of holes.
//!
//! So [`limit_arenas`] caps the arenas at start (glibc's per-thread caches still serve most
//! small allocations without taking a lock), and [`release_free_memory`] hands the free pages
//! back after such a burst. Both are no-ops off glibc. An operator's `MALLOC_ARENA_MAX`
//! wins over [`limit_arenas`].

/// Caps glibc's malloc arenas at `n` (at least 1), unless `MALLOC_ARENA_MAX` is set. Call it
/// first thing in `main`, before any thread starts: a thread keeps the arena it first got.
pub fn limit_arenas(n: usize) {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    imp::limit_arenas(i32::try_from(n.max(1)).unwrap_or(i32::MAX));
}

/// [`limit_arenas`] at one arena per two cores (at least one), what the `argos` and
/// `argos-agent` binaries use. Measured at 10,000 sites on 2 cores (so one arena), this took the
/// server from 155–207 MB to 70–105 MB and an agent with 1,000 checks in flight from 53–55 MB
/// to 47–50 MB, at no cost in checks/s.
pub fn limit_arenas_per_two_cores() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    limit_arenas(cores / 2);
}

/// Returns the free memory of every arena to the system (glibc's `malloc_trim(0)`). It walks
/// the heap (a few milliseconds for 100 MB), so call it after a burst, not on a hot path.
pub fn release_free_memory() {
    imp::trim();
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    pub(super) fn limit_arenas(n: i32) {
        // SAFETY: mallopt only sets an allocator parameter; M_ARENA_MAX takes any positive
        // count, and glibc applies it to arenas created afterwards.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, n);
        }
    }

    pub(super) fn trim() {
        // SAFETY: malloc_trim takes the arenas' locks itself and only releases pages that
        // hold no allocation; 0 keeps no extra padding at the top of the main heap.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    pub(super) fn limit_arenas(_n: i32) {}
    pub(super) fn trim() {}
}

#[cfg(test)]
mod tests {
    /// Resident memory in KiB, from `/proc/self/status`.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn rss_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// 32 MiB in 16 KiB blocks (under glibc's mmap threshold, so in the heap), every 100th
    /// kept: the freed blocks lie between live ones, where only a trim can give them back.
    #[test]
    fn a_trim_after_a_burst_returns_the_freed_pages_and_keeps_live_data() {
        super::limit_arenas(1);
        let burst: Vec<Vec<u8>> = (0..2_000)
            .map(|i| vec![(i % 251) as u8 + 1; 16 * 1024])
            .collect();
        let kept: Vec<Vec<u8>> = burst.iter().step_by(100).cloned().collect();
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        let with_burst = rss_kib();
        drop(burst);
        super::release_free_memory();
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            let after = rss_kib();
            assert!(
                with_burst.saturating_sub(after) >= 16 * 1024,
                "{with_burst} KiB with the burst, {after} KiB after the trim"
            );
        }
        for (n, block) in kept.iter().enumerate() {
            let byte = ((n * 100) % 251) as u8 + 1;
            assert!(block.iter().all(|b| *b == byte));
        }
    }
}
