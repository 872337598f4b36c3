//! The system allocator, counting live bytes and their peak: the memory tests read how much a
//! structure keeps ([`live`]) and how much an operation needed at its worst ([`peak_since`]).
//! Including this module makes it the test binary's global allocator.
#![allow(dead_code)] // each test file uses a different subset

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let size = layout.size() as isize;
        let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: forwarded as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated and not freed now.
pub fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Starts a peak measurement: the next [`peak_since`] says the most that was live since.
pub fn reset_peak() {
    PEAK.store(live(), Ordering::Relaxed);
}

/// The most bytes live since [`reset_peak`], above `base`.
pub fn peak_since(base: isize) -> isize {
    PEAK.load(Ordering::Relaxed) - base
}
