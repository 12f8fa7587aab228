//! Line numbers of followed lines: the number each line has in its file, as `grep -n`
//! would give it, also when following started past the file's start (at its end, at its
//! last N lines, or at a checkpoint).
//!
//! Numbers are carried from one chunk of a file to the next (the next chunk starts where
//! the last one ended). Where they cannot be carried (the first chunk of a file read from
//! an offset), the lines before the offset are counted once, with one pass over those
//! bytes (read positionally from a second handle, outside the follower's lock). A file read
//! through a decoder (a compressed generation) is numbered only from its start; elsewhere
//! its lines have number 0, "unknown".
//!
//! A file entered by binary search (`--from-start --since`) is numbered from the line it
//! was entered at, its *origin*, as a batch read of a time range numbers from the first
//! line it reads: counting the lines before would read the very bytes the search skipped
//! (all 20 GB of "the last hour of a 20 GB log"). After a restart from a checkpoint the
//! origin is not known (checkpoints record offsets only), and numbers are the file's again.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;

/// How many files' numbers are remembered; past that the memory is dropped and the next
/// chunk of each file counts its prefix again (correct, just slower).
const REMEMBERED: usize = 4096;

/// Per reader (by serial number): the offset where its last chunk handed out ended and the
/// number of the line that starts there.
#[derive(Debug, Default)]
pub(super) struct Numbering {
    next: HashMap<u64, (u64, u64)>,
}

impl Numbering {
    /// The number of the line at offset `base` of reader `serial` (0: unknown). `file` is
    /// the plain file to count in when the number cannot be carried over, with the offset
    /// of its line 1 (its origin: 0 unless it was entered by a search).
    pub(super) fn start(&mut self, serial: u64, base: u64, file: Option<(&File, u64)>) -> u64 {
        // A base before the origin (the file truncated since): numbered from its start.
        let origin = file.map_or(0, |f| f.1).min(base);
        match self.next.get(&serial) {
            Some(&(end, line)) if end == base => line,
            _ if base == origin => 1,
            _ => file
                .and_then(|(f, _)| lines_between(f, origin, base).ok())
                .map_or(0, |n| n + 1),
        }
    }

    /// Lines of reader `serial` were handed out up to offset `end`, where line `line` starts.
    pub(super) fn note(&mut self, serial: u64, end: u64, line: u64) {
        if self.next.len() >= REMEMBERED && !self.next.contains_key(&serial) {
            self.next.clear();
        }
        self.next.insert(serial, (end, line));
    }
}

/// How many line ends `file` has from offset `from` to offset `upto`.
fn lines_between(file: &File, from: u64, upto: u64) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let (mut at, mut n) = (from, 0u64);
    while at < upto {
        let want = usize::try_from(upto - at)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let got = file.read_at(&mut buf[..want], at)?;
        if got == 0 {
            break;
        }
        n += memchr::memchr_iter(b'\n', &buf[..got]).count() as u64;
        at += got as u64;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn carried_from_chunk_to_chunk_counted_past_a_gap() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"a\nb\nc\nd\n").unwrap();
        let mut n = Numbering::default();
        // From the start: line 1, and on from where the last chunk ended.
        assert_eq!(n.start(1, 0, Some((&f, 0))), 1);
        n.note(1, 4, 3);
        assert_eq!(n.start(1, 4, Some((&f, 0))), 3);
        // Another file, first read at offset 6 (`d`): three lines come before it.
        assert_eq!(n.start(2, 6, Some((&f, 0))), 4);
        // Not carried and nothing to count in: unknown.
        assert_eq!(n.start(3, 6, None), 0);
        // Entered by a search at offset 2 (`b`): numbered from there.
        assert_eq!(n.start(4, 2, Some((&f, 2))), 1);
        assert_eq!(n.start(5, 6, Some((&f, 2))), 3);
        // Truncated since: before the origin, numbered from the file's start.
        assert_eq!(n.start(6, 0, Some((&f, 2))), 1);
    }
}
