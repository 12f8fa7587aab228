//! The descriptor budget: how many followed files may be open at once.
//!
//! A follower holds one descriptor per file it reads, and a directory such as a Kubernetes
//! node's `/var/log/containers` holds thousands of logs, where the usual soft limit is 1024
//! (or less: `ulimit -n 512`). Two things keep such a directory followable:
//!
//! * at start the soft `RLIMIT_NOFILE` is raised to the hard one, as the Go runtime and
//!   many servers do: the soft limit is a default for old `select(2)` programs, not a
//!   decision about this one;
//! * past the budget (the limit less [`RESERVE`] for everything else the process opens),
//!   the follower closes files that are idle — read to their end, every line handed out —
//!   and watches them by name, reopening them (identity checked) when they change, as
//!   Filebeat's `close_inactive` does. A file with lines still to read is never closed for
//!   the budget; the reserve leaves room for those.

/// Descriptors left for everything else: standard streams, change notification, the
/// state file and its lock, sockets of a sink, a decoder's second descriptor.
pub const RESERVE: u64 = 64;

/// The budget when nothing is known (or the limit is tiny).
pub const MIN_OPEN: u64 = 16;

/// A budget larger than this is never needed (and `RLIM_INFINITY` is not a number).
pub const MAX_OPEN: u64 = 1 << 20;

/// Raise the soft descriptor limit to the hard one; returns the soft limit now (`None` if
/// it cannot be read).
pub fn raise_nofile_limit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` only writes the `rlimit` it is given, which lives on this stack.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return None;
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: `setrlimit` only reads the `rlimit` it is given.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim.rlim_cur = lim.rlim_max;
        }
    }
    // `rlim_t` is not `u64` on every platform.
    #[allow(clippy::unnecessary_cast)]
    Some(lim.rlim_cur as u64)
}

/// The default budget: the (raised) soft limit less [`RESERVE`].
pub fn default_max_open() -> usize {
    let limit = raise_nofile_limit().unwrap_or(MIN_OPEN + RESERVE);
    limit.saturating_sub(RESERVE).clamp(MIN_OPEN, MAX_OPEN) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        let soft = raise_nofile_limit().unwrap();
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: as above.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
        assert_eq!(lim.rlim_cur, lim.rlim_max);
        #[allow(clippy::unnecessary_cast)]
        let cur = lim.rlim_cur as u64;
        assert_eq!(soft, cur);
        assert!(default_max_open() >= MIN_OPEN as usize);
    }
}
