//! Unit tests of the follower, scenario by scenario (the rotation torture and model-based
//! tests are in `tests/follow_*.rs`). Modelled on the scenarios of coreutils' `tests/tail/`:
//! F-vs-rename, F-vs-missing, truncate, inotify-rotate, inotify-dir-recreate.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::*;

const WAIT: Duration = Duration::from_secs(10);

/// Truncates the file at `p` to nothing, in place (what copy-truncate does after its copy).
fn truncate(p: &Path) {
    OpenOptions::new()
        .write(true)
        .open(p)
        .unwrap()
        .set_len(0)
        .unwrap();
}

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// The next `n` lines as strings (panics after `WAIT`: a test failure, not input).
fn take(f: &mut Follower, n: usize) -> Vec<String> {
    let end = Instant::now() + WAIT;
    let mut out = Vec::new();
    while out.len() < n {
        match f.next_line_until(Some(end)) {
            Next::Line(l) => out.push(String::from_utf8_lossy(l.bytes).into_owned()),
            Next::Timeout => panic!(
                "timed out after {out:?}; {:?}",
                f.take_notices().collect::<Vec<_>>()
            ),
            Next::Closed(r) => panic!("closed ({r:?}) after {out:?}"),
        }
    }
    out
}

/// Nothing more arrives within `d`.
fn quiet(f: &mut Follower, d: Duration) {
    match f.next_line_timeout(d) {
        Next::Line(l) => panic!("unexpected line {:?}", String::from_utf8_lossy(l.bytes)),
        Next::Timeout => {}
        Next::Closed(r) => panic!("closed: {r:?}"),
    }
}

fn both_modes(test: impl Fn(Watch)) {
    test(Watch::Auto);
    test(Watch::Poll(Duration::from_millis(20)));
}

#[test]
fn starts_at_end_and_sees_appends() {
    both_modes(|w| {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        fs::write(&p, "old 1\nold 2\n").unwrap();
        let mut f = Follow::new().path(&p).watch(w).open().unwrap();
        quiet(&mut f, Duration::from_millis(50));
        append(&p, "new 1\r\nnew 2\n");
        assert_eq!(take(&mut f, 2), ["new 1", "new 2"]);
    });
}

#[test]
fn from_start_and_last_lines() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    fs::write(&p, "1\n2\n3\n4\n").unwrap();
    let mut f = Follow::new()
        .path(&p)
        .start(Start::Beginning)
        .open()
        .unwrap();
    assert_eq!(take(&mut f, 4), ["1", "2", "3", "4"]);
    let mut f = Follow::new()
        .path(&p)
        .start(Start::LastLines(2))
        .open()
        .unwrap();
    assert_eq!(take(&mut f, 2), ["3", "4"]);
    append(&p, "5\n");
    assert_eq!(take(&mut f, 1), ["5"]);
}

#[test]
fn partial_line_is_held_until_complete() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    fs::write(&p, "").unwrap();
    let mut f = follow(&p).unwrap();
    append(&p, "hel");
    quiet(&mut f, Duration::from_millis(100));
    append(&p, "lo\nwor");
    assert_eq!(take(&mut f, 1), ["hello"]);
    quiet(&mut f, Duration::from_millis(50));
    append(&p, "ld\n");
    assert_eq!(take(&mut f, 1), ["world"]);
}

#[test]
fn rename_rotation_finishes_old_file_first() {
    both_modes(|w| {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        fs::write(&p, "").unwrap();
        let mut f = Follow::new()
            .path(&p)
            .watch(w)
            .rotate_grace(Duration::from_millis(50))
            .open()
            .unwrap();
        let mut old = OpenOptions::new().append(true).open(&p).unwrap();
        old.write_all(b"1\n").unwrap();
        assert_eq!(take(&mut f, 1), ["1"]);
        old.write_all(b"2\n").unwrap();
        fs::rename(&p, dir.path().join("a.log.1")).unwrap();
        // A writer that has not reopened yet still writes to the old file.
        old.write_all(b"3\n").unwrap();
        fs::write(&p, "4\n").unwrap();
        assert_eq!(take(&mut f, 2), ["2", "3"]);
        assert_eq!(take(&mut f, 1), ["4"]);
        append(&p, "5\n");
        assert_eq!(take(&mut f, 1), ["5"]);
        let notices: Vec<Notice> = f.take_notices().collect();
        assert!(
            notices.iter().any(|n| matches!(n, Notice::Rotated { .. })),
            "{notices:?}"
        );
    });
}

#[test]
fn delete_and_recreate_and_missing_file() {
    both_modes(|w| {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("later.log");
        let mut f = Follow::new()
            .file(&p)
            .watch(w)
            .rotate_grace(Duration::from_millis(30))
            .open()
            .unwrap();
        quiet(&mut f, Duration::from_millis(30));
        // A file that appears after following started is read from its start.
        fs::write(&p, "a\nb\n").unwrap();
        assert_eq!(take(&mut f, 2), ["a", "b"]);
        let mut old = OpenOptions::new().append(true).open(&p).unwrap();
        fs::remove_file(&p).unwrap();
        old.write_all(b"c\n").unwrap();
        drop(old);
        fs::write(&p, "d\n").unwrap();
        assert_eq!(take(&mut f, 2), ["c", "d"]);
    });
}

#[test]
fn truncation_restarts_at_zero() {
    both_modes(|w| {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        fs::write(&p, "").unwrap();
        let mut f = Follow::new().path(&p).watch(w).open().unwrap();
        append(&p, "one\ntwo\n");
        assert_eq!(take(&mut f, 2), ["one", "two"]);
        // Truncated, then rewritten *longer* than what was read before it is looked at.
        fs::write(&p, "three\nfour\nfive\n").unwrap();
        assert_eq!(take(&mut f, 3), ["three", "four", "five"]);
        quiet(&mut f, Duration::from_millis(50));
    });
}

#[test]
fn copy_truncate_reads_the_rest_from_the_copy() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    fs::write(&p, "").unwrap();
    let mut f = Follow::new().path(&p).open().unwrap();
    append(&p, "1\n");
    assert_eq!(take(&mut f, 1), ["1"]);
    // Lines the follower has not read yet when the copy is made and the file truncated.
    append(&p, "2\n3\n");
    fs::copy(&p, dir.path().join("a.log.1")).unwrap();
    truncate(&p);
    append(&p, "4\n");
    assert_eq!(take(&mut f, 3), ["2", "3", "4"]);
    quiet(&mut f, Duration::from_millis(50));
}

#[test]
fn several_files_are_tagged() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    fs::write(&a, "").unwrap();
    fs::write(&b, "").unwrap();
    let mut f = follow_many([&a, &b]).unwrap();
    append(&a, "from a\n");
    append(&b, "from b\n");
    let mut got = Vec::new();
    for _ in 0..2 {
        let l = f.next().unwrap();
        got.push((l.name.to_string(), String::from_utf8(l.line).unwrap()));
    }
    got.sort();
    assert_eq!(
        got,
        [
            (a.display().to_string(), "from a".to_string()),
            (b.display().to_string(), "from b".to_string())
        ]
    );
}

#[test]
fn close_handle_from_another_thread() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    fs::write(&p, "").unwrap();
    let mut f = follow(&p).unwrap();
    let h = f.close_handle();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        h.close();
    });
    let started = Instant::now();
    assert!(f.next_line().is_none());
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(f.is_closed());
    let report = f.close().unwrap();
    assert_eq!(report.reason, CloseReason::Requested);
    t.join().unwrap();
}

#[test]
fn close_flag_for_signal_handlers() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    fs::write(&p, "").unwrap();
    let mut f = follow(&p).unwrap();
    let flag = f.close_handle().flag();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let started = Instant::now();
    assert!(f.next_line().is_none());
    assert!(started.elapsed() < FLAG_CHECK * 5);
    t.join().unwrap();
}

#[test]
fn exit_on_idle() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    fs::write(&p, "x\n").unwrap();
    let mut f = Follow::new()
        .path(&p)
        .start(Start::Beginning)
        .exit_on_idle(Some(Duration::from_millis(100)))
        .open()
        .unwrap();
    assert_eq!(take(&mut f, 1), ["x"]);
    match f.next_line_timeout(WAIT) {
        Next::Closed(CloseReason::Idle) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn checkpoint_resume_after_clean_close_and_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    let state = dir.path().join("state");
    fs::write(&p, "1\n2\n").unwrap();
    let open = || {
        Follow::new()
            .path(&p)
            .start(Start::Beginning)
            .state(&state)
            .open()
            .unwrap()
    };
    let mut f = open();
    assert_eq!(take(&mut f, 2), ["1", "2"]);
    let report = f.close().unwrap();
    assert_eq!(report.checkpoint.as_deref(), Some(state.as_path()));
    // While it was down: more lines, a rename rotation, lines in the new file.
    append(&p, "3\n");
    fs::rename(&p, dir.path().join("a.log.1")).unwrap();
    fs::write(&p, "4\n").unwrap();
    let mut f = open();
    assert_eq!(take(&mut f, 2), ["3", "4"]);
    quiet(&mut f, Duration::from_millis(50));
    drop(f);
    // Clean close: nothing again.
    let mut f = open();
    quiet(&mut f, Duration::from_millis(100));
}

#[test]
fn inode_reuse_is_not_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    let state = dir.path().join("state");
    fs::write(&p, "first generation line\n").unwrap();
    let mut f = Follow::new()
        .path(&p)
        .start(Start::Beginning)
        .state(&state)
        .open()
        .unwrap();
    assert_eq!(take(&mut f, 1), ["first generation line"]);
    f.close().unwrap();
    // Same inode, other content, longer than the checkpoint offset: the size check alone
    // would skip its start.
    fs::write(&p, "SECOND generation, a longer line\nand more\n").unwrap();
    let mut f = Follow::new()
        .path(&p)
        .start(Start::Beginning)
        .state(&state)
        .open()
        .unwrap();
    assert_eq!(
        take(&mut f, 2),
        ["SECOND generation, a longer line", "and more"]
    );
}

#[test]
fn directory_with_glob_picks_up_new_files_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("app.log"), "").unwrap();
    fs::write(d.join("other.txt"), "").unwrap();
    let mut f = Follow::new()
        .path(d)
        .glob("*.log*")
        .rotate_grace(Duration::from_millis(30))
        .open()
        .unwrap();
    append(&d.join("app.log"), "a1\n");
    assert_eq!(take(&mut f, 1), ["a1"]);
    fs::write(d.join("new.log"), "n1\n").unwrap();
    append(&d.join("other.txt"), "ignored\n");
    assert_eq!(take(&mut f, 1), ["n1"]);
    // Renamed within the directory, still matching the glob: not read again.
    fs::rename(d.join("app.log"), d.join("app.log.1")).unwrap();
    fs::write(d.join("app.log"), "a2\n").unwrap();
    assert_eq!(take(&mut f, 1), ["a2"]);
    quiet(&mut f, Duration::from_millis(1500));
}

#[test]
fn compressed_rotation_is_recognised_not_reread() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = d.join("app.log");
    fs::write(&p, "").unwrap();
    let mut f = Follow::new()
        .path(d)
        .glob("app.log*")
        .rotate_grace(Duration::from_millis(20))
        .open()
        .unwrap();
    append(&p, "line 1\nline 2\n");
    assert_eq!(take(&mut f, 2), ["line 1", "line 2"]);
    fs::rename(&p, d.join("app.log.1")).unwrap();
    fs::write(&p, "line 3\n").unwrap();
    assert_eq!(take(&mut f, 1), ["line 3"]);
    // logrotate's compress: app.log.1 -> app.log.1.gz
    let mut enc = flate2::write::GzEncoder::new(
        fs::File::create(d.join("app.log.1.gz")).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&fs::read(d.join("app.log.1")).unwrap())
        .unwrap();
    enc.finish().unwrap();
    fs::remove_file(d.join("app.log.1")).unwrap();
    quiet(&mut f, Duration::from_millis(1500));
    let notices: Vec<Notice> = f.take_notices().collect();
    assert!(
        notices
            .iter()
            .any(|n| matches!(n, Notice::Recognised { .. })),
        "{notices:?}"
    );
}

#[test]
fn batches_and_commit_mode() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    let state = dir.path().join("state");
    fs::write(&p, "1\n2\n3\n").unwrap();
    let mut f = Follow::new()
        .path(&p)
        .start(Start::Beginning)
        .state(&state)
        .auto_commit(false)
        .open()
        .unwrap();
    match f.next_batch_timeout(WAIT) {
        NextBatch::Batch(b) => {
            assert_eq!(b.lines().collect::<Vec<_>>(), [&b"1"[..], b"2", b"3"]);
        }
        other => panic!("{other:?}"),
    }
    // Not committed: the checkpoint still says 0.
    f.checkpoint().unwrap();
    let text = fs::read_to_string(&state).unwrap();
    assert!(text.lines().nth(1).unwrap().contains(" 0 "), "{text}");
    f.commit();
    f.checkpoint().unwrap();
    let text = fs::read_to_string(&state).unwrap();
    assert!(text.lines().nth(1).unwrap().contains(" 6 "), "{text}");
}

#[test]
fn closing_reports_and_drop_writes_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    let state = dir.path().join("state");
    fs::write(&p, "1\n2\npartial").unwrap();
    {
        let mut f = Follow::new()
            .path(&p)
            .start(Start::Beginning)
            .state(&state)
            .open()
            .unwrap();
        assert_eq!(take(&mut f, 2), ["1", "2"]);
        quiet(&mut f, Duration::from_millis(20));
        // Dropped without close(): the same clean-up.
    }
    let entries = StateFile::new(&state).load().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].offset, 4);
    append(&p, " now complete\n");
    let mut f = Follow::new().path(&p).state(&state).open().unwrap();
    assert_eq!(take(&mut f, 1), ["partial now complete"]);
    let r = f.close().unwrap();
    assert_eq!(r.files_closed, 1);
    assert_eq!(r.lines, 1);
}

#[test]
fn crash_then_copy_truncate_while_down() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    let state = dir.path().join("state");
    fs::write(&p, "").unwrap();
    let open = || {
        Follow::new()
            .path(&p)
            .start(Start::Beginning)
            .state(&state)
            .checkpoint_every(Duration::from_millis(1))
            .open()
            .unwrap()
    };
    let mut f = open();
    append(&p, "1\n2\n");
    assert_eq!(take(&mut f, 2), ["1", "2"]);
    append(&p, "3\n");
    assert_eq!(take(&mut f, 1), ["3"]);
    std::thread::sleep(Duration::from_millis(5));
    quiet(&mut f, Duration::from_millis(20));
    // A crash: no clean-up at all.
    f.crash();
    append(&p, "4\n5\n");
    fs::copy(&p, dir.path().join("a.log.1")).unwrap();
    truncate(&p);
    append(&p, "6\n7\n8\n9\n10\n11\n");
    let mut f = open();
    assert_eq!(take(&mut f, 8), ["4", "5", "6", "7", "8", "9", "10", "11"]);
}

/// Write lines `from..to` (one number each) to `path`.
fn write_seq(path: &Path, from: u64, to: u64) {
    let text: String = (from..to).map(|i| format!("{i}\n")).collect();
    append(path, &text);
}

/// Every line until nothing comes for `quiet`, as numbers.
fn drain_seq(f: &mut Follower, quiet: Duration) -> Vec<u64> {
    let mut out = Vec::new();
    while let Next::Line(l) = f.next_line_timeout(quiet) {
        let s = std::str::from_utf8(l.bytes).unwrap();
        out.push(s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}")));
    }
    out
}

/// Issue 13, item 1: a consumer that does not ask for lines (output blocked) while the log
/// is rotated twice by rename. The generation in between was created, written and renamed
/// away without the consumer ever looking; it must still be found (by the discovery
/// thread) and every line delivered once, in order.
#[test]
fn rotations_while_the_consumer_is_stuck_lose_nothing() {
    both_modes(|w| {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("app.log");
        let rotated = |n: u32| dir.path().join(format!("app.log.{n}"));
        fs::write(&p, "").unwrap();
        let mut f = Follow::new()
            .path(&p)
            .watch(w)
            .rotate_grace(Duration::from_millis(30))
            .open()
            .unwrap();
        write_seq(&p, 0, 1000);
        assert_eq!(take(&mut f, 1), ["0"]);
        // From here on nobody asks for lines.
        let pause = Duration::from_millis(150);
        write_seq(&p, 1000, 2000);
        fs::rename(&p, rotated(1)).unwrap();
        write_seq(&p, 2000, 3000); // generation B, never seen by the consumer
        std::thread::sleep(pause);
        fs::rename(rotated(1), rotated(2)).unwrap();
        fs::rename(&p, rotated(1)).unwrap();
        write_seq(&p, 3000, 4000);
        std::thread::sleep(pause);
        // The consumer is back.
        let got = drain_seq(&mut f, Duration::from_millis(300));
        assert_eq!(got, (1..4000).collect::<Vec<_>>(), "{w:?}");
    });
}

/// Past the bound of older files held per name, the oldest is given up, and said: the
/// notice names it and its unread bytes, and everything else arrives.
#[test]
fn too_many_rotations_while_stuck_give_up_the_oldest_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("app.log");
    fs::write(&p, "").unwrap();
    let mut f = Follow::new()
        .path(&p)
        .watch(Watch::Poll(Duration::from_millis(10)))
        .open()
        .unwrap();
    quiet(&mut f, Duration::from_millis(30));
    let gens = core::MAX_DRAINING as u64 + 2;
    for g in 0..gens {
        write_seq(&p, g * 10, g * 10 + 10);
        // Seen (and opened) by the discovery thread before it is renamed away.
        std::thread::sleep(Duration::from_millis(60));
        fs::rename(&p, dir.path().join(format!("app.log.r{g}"))).unwrap();
    }
    std::thread::sleep(Duration::from_millis(60));
    let got = drain_seq(&mut f, Duration::from_millis(300));
    let notices: Vec<Notice> = f.take_notices().collect();
    let gave_up: Vec<(PathBuf, u64)> = notices
        .iter()
        .filter_map(|n| match n {
            Notice::GaveUp { path, unread, .. } => Some((path.clone(), *unread)),
            _ => None,
        })
        .collect();
    // Held: MAX_DRAINING older files (the last one is not current: it was renamed too).
    let lost = gens - core::MAX_DRAINING as u64;
    let expect_gave_up: Vec<(PathBuf, u64)> = (0..lost)
        .map(|g| {
            let path = dir.path().join(format!("app.log.r{g}"));
            let len = fs::metadata(&path).unwrap().len();
            (path, len)
        })
        .collect();
    assert_eq!(gave_up, expect_gave_up, "{notices:?} {got:?}");
    assert_eq!(
        got,
        (lost * 10..gens * 10).collect::<Vec<_>>(),
        "{notices:?}"
    );
}

/// A follower with a state file whose oldest generations were given up (a consumer stuck
/// through more rotations than the bound), their notices not taken yet.
fn follower_that_gave_up(dir: &Path) -> (Follower, PathBuf, u64) {
    let p = dir.join("app.log");
    let state = dir.join("state");
    fs::write(&p, "").unwrap();
    let mut f = Follow::new()
        .path(&p)
        .state(&state)
        .watch(Watch::Poll(Duration::from_millis(10)))
        .open()
        .unwrap();
    quiet(&mut f, Duration::from_millis(30));
    let gens = core::MAX_DRAINING as u64 + 2;
    for g in 0..gens {
        write_seq(&p, g * 10, g * 10 + 10);
        // Each generation is renamed away only once the follower knows it (its entry is
        // in a checkpoint): a sleep alone let a loaded machine's follower miss one now
        // and then, and then give up one file fewer than counted here.
        wait_until_known(&mut f, &state, &p);
        fs::rename(&p, dir.join(format!("app.log.r{g}"))).unwrap();
    }
    std::thread::sleep(Duration::from_millis(60));
    drain_seq(&mut f, Duration::from_millis(300));
    (f, state, gens - core::MAX_DRAINING as u64)
}

/// Checkpoint until the state file has an entry for the file now at `path` (by its inode).
fn wait_until_known(f: &mut Follower, state: &Path, path: &Path) {
    use std::os::unix::fs::MetadataExt;
    let ino = fs::metadata(path).unwrap().ino().to_string();
    let deadline = Instant::now() + WAIT;
    loop {
        f.checkpoint().unwrap();
        let text = fs::read_to_string(state).unwrap_or_default();
        if text
            .lines()
            .any(|l| l.split(' ').nth(2) == Some(ino.as_str()))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} never known: {text}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The entry of the file at `path` (by its inode) in the state file's text `text`.
fn entry_in(text: &str, path: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    let ino = fs::metadata(path).unwrap().ino().to_string();
    let line = text
        .lines()
        .find(|l| l.split(' ').nth(2) == Some(ino.as_str()))
        .map(str::to_owned);
    line.unwrap_or_else(|| panic!("no entry for {} in {text}", path.display()))
}

/// The state file's entry of the file at `path`.
fn entry_of(state: &Path, path: &Path) -> String {
    entry_in(&fs::read_to_string(state).unwrap(), path)
}

/// The files whose `GaveUp` notice is taken now. Which generations are given up depends on
/// how far the follower's reader got before it fell behind (on a loaded machine it may
/// have read the first one whole), so the tests ask the notices rather than assume.
fn given_up_now(f: &mut Follower) -> Vec<PathBuf> {
    f.take_notices()
        .filter_map(|n| match n {
            Notice::GaveUp { path, .. } => Some(path),
            _ => None,
        })
        .collect()
}

/// Issue 13 item 7: a file given up stays `live` in the checkpoint until the notice that
/// says so has been taken; a crash in between then reads its rest at the restart instead of
/// marking it `done`, never to be looked at (or reported) again.
#[test]
fn a_file_given_up_is_done_in_the_checkpoint_only_once_said() {
    let dir = tempfile::tempdir().unwrap();
    let (mut f, state, given_up) = follower_that_gave_up(dir.path());
    f.checkpoint().unwrap();
    let before = fs::read_to_string(&state).unwrap();
    let gave_up = given_up_now(&mut f);
    assert_eq!(gave_up.len() as u64, given_up, "{before}");
    // Given up, notice not taken at that checkpoint: live, read again after a crash.
    for p in &gave_up {
        let e = entry_in(&before, p);
        assert!(e.starts_with("live "), "{e}");
    }
    f.checkpoint().unwrap();
    for p in &gave_up {
        let e = entry_of(&state, p);
        assert!(e.starts_with("done "), "{e}");
    }
}

/// The same at a clean close with the notice still untaken (a caller that never asks, a
/// garbage-collected Python follower): the last checkpoint keeps the file `live`.
#[test]
fn a_file_given_up_and_unsaid_at_close_stays_live() {
    let dir = tempfile::tempdir().unwrap();
    let (mut f, state, given_up) = follower_that_gave_up(dir.path());
    f.close().unwrap();
    // The notices are still the caller's to take after the close.
    let gave_up = given_up_now(&mut f);
    assert_eq!(gave_up.len() as u64, given_up);
    for p in &gave_up {
        let e = entry_of(&state, p);
        assert!(e.starts_with("live "), "{e}");
    }
}

/// Issue 14: `seq 1 1000 > n.log; logrill -F --from-start count n.log`, Ctrl-C, said
/// `closed (Requested): 1 lines` — lines handed out in batches were counted as one each.
#[test]
fn close_report_counts_lines_of_batches_and_says_them_right() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("n.log");
    write_seq(&p, 1, 1001);
    let mut f = Follow::new()
        .path(&p)
        .start(Start::Beginning)
        .open()
        .unwrap();
    let mut seen = 0;
    while seen < 1000 {
        match f.next_batch_timeout(WAIT) {
            NextBatch::Batch(b) => seen += b.lines().count(),
            other => panic!("{other:?}"),
        }
    }
    f.close_handle().close();
    assert!(matches!(
        f.next_batch_timeout(WAIT),
        NextBatch::Closed(CloseReason::Requested)
    ));
    let r = f.close().unwrap();
    assert_eq!(r.lines, 1000);
    assert_eq!(
        r.to_string(),
        "closed (Requested): 1000 lines, 1 file closed"
    );
    let one = CloseReport {
        lines: 1,
        files_closed: 2,
        partial_lines_held: 1,
        ..CloseReport::default()
    };
    assert_eq!(
        one.to_string(),
        "closed (Closed): 1 line, 2 files closed, 1 incomplete line held back"
    );
}

/// gzip `from` into `to` (as logrotate's `compress` does) and remove `from`.
fn gzip(from: &Path, to: &Path) {
    let mut enc = flate2::write::GzEncoder::new(
        fs::File::create(to).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&fs::read(from).unwrap()).unwrap();
    enc.finish().unwrap();
    fs::remove_file(from).unwrap();
}

fn open_with_state(p: &Path, state: &Path) -> Follower {
    Follow::new()
        .path(p)
        .start(Start::Beginning)
        .state(state)
        .watch(Watch::Poll(Duration::from_millis(10)))
        .rotate_grace(Duration::from_millis(20))
        .checkpoint_every(Duration::from_millis(5))
        .open()
        .unwrap()
}

/// Issue 13, item 8: a file read to its end, then rotated and compressed while no follower
/// ran, is smaller on disk than its checkpointed offset (an offset in decoded bytes). It
/// was reported as "checkpointed file not found; lines after byte N lost".
#[test]
fn fully_read_file_compressed_while_down_is_no_loss() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("app.log");
    let state = dir.path().join("state");
    write_seq(&p, 0, 1000);
    let mut f = open_with_state(&p, &state);
    assert_eq!(drain_seq(&mut f, Duration::from_millis(100)).len(), 1000);
    f.close().unwrap();
    fs::rename(&p, dir.path().join("app.log.1")).unwrap();
    gzip(
        &dir.path().join("app.log.1"),
        &dir.path().join("app.log.1.gz"),
    );
    assert!(fs::metadata(dir.path().join("app.log.1.gz")).unwrap().len() < 3890);
    write_seq(&p, 1000, 1010);
    let mut f = open_with_state(&p, &state);
    let got = drain_seq(&mut f, Duration::from_millis(200));
    let notices: Vec<Notice> = f.take_notices().collect();
    assert_eq!(got, (1000..1010).collect::<Vec<_>>(), "{notices:?}");
    assert!(
        !notices.iter().any(|n| matches!(n, Notice::Lost { .. })),
        "{notices:?}"
    );
}

/// Issue 13, items 2 and 8: killed, then (while down) lines written, the log rotated by
/// rename + create twice (logrotate's numbered scheme, the oldest compressed): the
/// restart reads the rest of the checkpointed file (from its compressed copy), then the
/// generation nobody saw, then the live file — every line once, in order.
#[test]
fn generations_rotated_while_down_are_read_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = d.join("app.log");
    let state = d.join("state");
    // An old rotated file from before, already read by nobody: not read now either.
    write_seq(&d.join("app.log.9"), 900_000, 900_010);
    write_seq(&p, 0, 1000);
    std::thread::sleep(Duration::from_millis(20));
    let mut f = open_with_state(&p, &state);
    assert_eq!(drain_seq(&mut f, Duration::from_millis(100)).len(), 1000);
    f.checkpoint().unwrap();
    f.crash();
    // File times are coarse: what follows is written in a later tick than the checkpoint.
    std::thread::sleep(Duration::from_millis(20));
    // Down: generation A gets more lines, is rotated; B is created, written, rotated; C.
    write_seq(&p, 1000, 1100);
    fs::rename(&p, d.join("app.log.1")).unwrap();
    write_seq(&p, 1100, 1200);
    fs::rename(d.join("app.log.1"), d.join("app.log.2")).unwrap();
    fs::rename(&p, d.join("app.log.1")).unwrap();
    gzip(&d.join("app.log.2"), &d.join("app.log.2.gz"));
    write_seq(&p, 1200, 1300);
    let mut f = open_with_state(&p, &state);
    let got = drain_seq(&mut f, Duration::from_millis(200));
    let notices: Vec<Notice> = f.take_notices().collect();
    assert_eq!(got, (1000..1300).collect::<Vec<_>>(), "{notices:?}");
    // And a clean restart reads nothing again.
    f.close().unwrap();
    let mut f = open_with_state(&p, &state);
    assert_eq!(
        drain_seq(&mut f, Duration::from_millis(100)),
        Vec::<u64>::new()
    );
}

/// Issue 13, item 3: copy-truncate with `compress` (no `delaycompress`) while the reader
/// lags: by the time the truncation is seen, the copy is only there compressed. The
/// unread part is read from the `.gz` copy.
#[test]
fn copy_truncate_then_compress_while_lagging_reads_the_gz_copy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = d.join("app.log");
    fs::write(&p, "").unwrap();
    let mut f = Follow::new()
        .path(&p)
        .watch(Watch::Poll(Duration::from_millis(10)))
        .rotate_grace(Duration::from_millis(20))
        .open()
        .unwrap();
    quiet(&mut f, Duration::from_millis(20));
    // More than one read (256 KiB): the reader is far behind the end.
    write_seq(&p, 0, 100_000);
    assert_eq!(take(&mut f, 1), ["0"]);
    // The copy, compressed, is in place before the truncation is made (as if the moment
    // when the plain `app.log.1` existed had been missed): only the `.gz` has the rest.
    fs::copy(&p, d.join("copy.tmp")).unwrap();
    gzip(&d.join("copy.tmp"), &d.join("gz.tmp"));
    fs::rename(d.join("gz.tmp"), d.join("app.log.1.gz")).unwrap();
    truncate(&p);
    write_seq(&p, 100_000, 100_100);
    let got = drain_seq(&mut f, Duration::from_millis(300));
    let notices: Vec<Notice> = f.take_notices().collect();
    assert!(
        got == (1..100_100).collect::<Vec<_>>(),
        "{} lines; {notices:?}",
        got.len()
    );
}

/// Issue 13, item 6: two followers sharing one state file overwrote each other's
/// checkpoints; the second one now fails to start, with an error that says why.
#[test]
fn a_second_follower_on_the_same_state_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("app.log");
    let q = dir.path().join("other.log");
    let state = dir.path().join("state");
    fs::write(&p, "").unwrap();
    fs::write(&q, "").unwrap();
    let first = open_with_state(&p, &state);
    let err = Follow::new().path(&q).state(&state).open().unwrap_err();
    assert!(matches!(&err, FollowError::StateLocked { path } if *path == state));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: this state file is in use by another follower (locked); give each follower its own state file",
            state.display()
        )
    );
    drop(first);
    // Free again once the first one closed.
    let mut again = Follow::new().path(&q).state(&state).open().unwrap();
    again.close().unwrap();
}

/// Issue 14: a new file in a followed directory was announced twice ("new file; following
/// it" and "has appeared; following new file").
#[test]
fn a_new_file_in_a_directory_is_announced_once() {
    both_modes(|w| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut f = Follow::new().path(d).watch(w).open().unwrap();
        quiet(&mut f, Duration::from_millis(20));
        fs::write(d.join("new.log"), "n1\n").unwrap();
        assert_eq!(take(&mut f, 1), ["n1"]);
        quiet(&mut f, Duration::from_millis(50));
        let notices: Vec<Notice> = f.take_notices().collect();
        assert_eq!(
            notices,
            [Notice::Appeared {
                name: d.join("new.log")
            }],
            "{w:?}"
        );
    });
}

/// Issue 13, item 9: a followed file rewritten in place as gzip was followed on as text,
/// printing raw compressed bytes. It is said to be compressed and left alone.
#[test]
fn a_file_rewritten_in_place_as_gzip_is_not_read_as_text() {
    both_modes(|w| {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("app.log");
        fs::write(&p, "").unwrap();
        let mut f = Follow::new().path(&p).watch(w).open().unwrap();
        append(&p, "plain 1\n");
        assert_eq!(take(&mut f, 1), ["plain 1"]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"plain 1\nmore lines\nof text\n").unwrap();
        let gz = gz.finish().unwrap();
        // The same file (same inode), truncated and rewritten.
        let mut same = OpenOptions::new().write(true).open(&p).unwrap();
        same.set_len(0).unwrap();
        same.write_all(&gz).unwrap();
        drop(same);
        quiet(&mut f, Duration::from_millis(300));
        let notices: Vec<Notice> = f.take_notices().collect();
        let said: Vec<&Notice> = notices
            .iter()
            .filter(|n| matches!(n, Notice::SkippedCompressed { .. }))
            .collect();
        assert_eq!(
            said,
            [&Notice::SkippedCompressed {
                path: p.clone(),
                codec: crate::source::Codec::Gzip
            }],
            "{w:?} {notices:?}"
        );
        // A plain file at the name again is followed again.
        fs::remove_file(&p).unwrap();
        fs::write(&p, "plain again\n").unwrap();
        assert_eq!(take(&mut f, 1), ["plain again"]);
    });
}

/// Issue 13, item 12: more files than may be open at once. Idle ones are closed and
/// reopened when they change; nothing is lost, and it is said once.
#[test]
fn more_files_than_descriptors_lose_nothing() {
    both_modes(|w| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let files = 200u64;
        let name = |k: u64| d.join(format!("c{k:04}.log"));
        for k in 0..files {
            fs::write(name(k), format!("{}\n", 1_000_000 + k)).unwrap();
        }
        let mut f = Follow::new()
            .path(d)
            .watch(w)
            .max_open_files(30)
            .rotate_grace(Duration::from_millis(20))
            .open()
            .unwrap();
        for round in 0..2 {
            for k in 0..files {
                write_seq(&name(k), round * files + k, round * files + k + 1);
            }
            let mut got = drain_seq(&mut f, Duration::from_millis(300));
            got.sort_unstable();
            let want: Vec<u64> = (round * files..(round + 1) * files).collect();
            assert_eq!(got, want, "{w:?} round {round}");
        }
        // A closed (idle) file rotated by rename: what it got before, then the new one.
        write_seq(&name(0), 500, 501);
        fs::rename(name(0), d.join("c0000.log.1")).unwrap();
        write_seq(&name(0), 501, 502);
        assert_eq!(drain_seq(&mut f, Duration::from_millis(300)), [500, 501]);
        let notices: Vec<Notice> = f.take_notices().collect();
        let parked: Vec<&Notice> = notices
            .iter()
            .filter(|n| matches!(n, Notice::Parked { .. }))
            .collect();
        assert_eq!(parked.len(), 1, "{notices:?}");
        assert!(
            !notices
                .iter()
                .any(|n| matches!(n, Notice::Unreadable { .. })),
            "{notices:?}"
        );
    });
}

/// Issue 13, item 3, found end to end: two copy-truncates while the consumer is stuck.
/// After the first, the file starts again empty; the consumer reads none of the second
/// generation before it is copied and truncated in turn. Its first bytes are learnt as
/// soon as they are written, so the second truncation is seen and its copy read.
#[test]
fn two_copy_truncates_while_the_consumer_is_stuck_lose_nothing() {
    both_modes(|w| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let p = d.join("app.log");
        fs::write(&p, "").unwrap();
        let mut f = Follow::new()
            .path(&p)
            .watch(w)
            .rotate_grace(Duration::from_millis(20))
            .open()
            .unwrap();
        write_seq(&p, 0, 1000);
        assert_eq!(take(&mut f, 1), ["0"]);
        let copy_truncate = || {
            if d.join("app.log.1").exists() {
                fs::rename(d.join("app.log.1"), d.join("app.log.2")).unwrap();
            }
            fs::copy(&p, d.join("app.log.1")).unwrap();
            truncate(&p);
        };
        // From here on nobody asks for lines.
        copy_truncate();
        std::thread::sleep(Duration::from_millis(150));
        write_seq(&p, 1000, 2000);
        std::thread::sleep(Duration::from_millis(150));
        copy_truncate();
        write_seq(&p, 2000, 3000);
        std::thread::sleep(Duration::from_millis(150));
        let got = drain_seq(&mut f, Duration::from_millis(300));
        let notices: Vec<Notice> = f.take_notices().collect();
        assert_eq!(got, (1..3000).collect::<Vec<_>>(), "{w:?} {notices:?}");
    });
}

/// Issue 13, item 1, with logrill itself stopped (`kill -STOP`): then the discovery thread
/// does not look either. Here nothing looks during the burst because the polling interval
/// is long (and polling sends no events): two rename rotations happen between two looks.
/// The generation in between (B, now `app.log.1`) was never opened; it is found next to
/// the name when the rotation is seen, and read between A and C.
#[test]
fn two_rotations_between_two_looks_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("app.log");
    let rotated = |n: u32| dir.path().join(format!("app.log.{n}"));
    // Already there: rotated files older than the run are not read.
    fs::write(rotated(3), "9003\n").unwrap();
    write_seq(&p, 0, 100);
    let mut f = Follow::new()
        .path(&p)
        .start(Start::Beginning)
        .watch(Watch::Poll(Duration::from_secs(3)))
        .rotate_grace(Duration::from_millis(30))
        .open()
        .unwrap();
    // The first look opened A (generation A); the next one is due in 3 s.
    assert_eq!(take(&mut f, 100).len(), 100);
    // "Stopped" from here: file times are coarse (often 4 ms), so a little time passes
    // between the steps, as it does when a process is stopped.
    let step = || std::thread::sleep(Duration::from_millis(20));
    step();
    write_seq(&p, 100, 200);
    step();
    fs::rename(&p, rotated(1)).unwrap();
    write_seq(&p, 200, 300); // B: never seen
    step();
    fs::rename(rotated(1), rotated(2)).unwrap();
    fs::rename(&p, rotated(1)).unwrap();
    write_seq(&p, 300, 400); // C
                             // "Continued": the next look sees the rotation.
    let end = Instant::now() + WAIT;
    let mut got = Vec::new();
    while got.len() < 300 && Instant::now() < end {
        got.extend(drain_seq(&mut f, Duration::from_millis(500)));
    }
    got.extend(drain_seq(&mut f, Duration::from_millis(200)));
    assert_eq!(
        got,
        (100..400).collect::<Vec<_>>(),
        "{:?}",
        f.take_notices().collect::<Vec<_>>()
    );
}

/// The same with three rotations between two looks, the two generations nobody saw
/// written and rotated within one tick of the file-system clock: they cannot be put in
/// order by time (by inode number, a guess), but neither is lost; each comes out whole.
#[test]
fn generations_missed_within_one_tick_are_read_too() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("app.log");
    let rotated = |n: u32| dir.path().join(format!("app.log.{n}"));
    write_seq(&p, 0, 100);
    let mut f = Follow::new()
        .path(&p)
        .start(Start::Beginning)
        .watch(Watch::Poll(Duration::from_secs(3)))
        .rotate_grace(Duration::from_millis(30))
        .open()
        .unwrap();
    assert_eq!(take(&mut f, 100).len(), 100);
    std::thread::sleep(Duration::from_millis(20));
    fs::rename(&p, rotated(1)).unwrap();
    write_seq(&p, 100, 200); // B
    fs::rename(rotated(1), rotated(2)).unwrap();
    fs::rename(&p, rotated(1)).unwrap();
    write_seq(&p, 200, 300); // C: very likely the same tick as B
    fs::rename(rotated(2), rotated(3)).unwrap();
    fs::rename(rotated(1), rotated(2)).unwrap();
    fs::rename(&p, rotated(1)).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    write_seq(&p, 300, 400); // D
    let end = Instant::now() + WAIT;
    let mut got = Vec::new();
    while got.len() < 300 && Instant::now() < end {
        got.extend(drain_seq(&mut f, Duration::from_millis(500)));
    }
    got.extend(drain_seq(&mut f, Duration::from_millis(200)));
    let notices = f.take_notices().collect::<Vec<_>>();
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (100..400).collect::<Vec<_>>(),
        "{got:?} {notices:?}"
    );
    // Each generation whole and in order, D last.
    for g in got.chunks(100) {
        assert_eq!(g.len(), 100);
        assert!(g.windows(2).all(|w| w[1] == w[0] + 1), "{got:?}");
    }
    assert_eq!(got[200], 300, "{got:?}");
}

/// The same with logrotate's `compress` (no `delaycompress`) while logrill is stopped: the
/// generation nobody saw is only on disk compressed (`app.log.1.gz`, made after the new
/// file was created), and is read through its decoder between the old file and the new.
#[test]
fn a_generation_missed_and_compressed_meanwhile_is_read_through_its_decoder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = d.join("app.log");
    let gzip = |from: &Path, to: &Path| {
        let mut enc = flate2::write::GzEncoder::new(
            fs::File::create(to).unwrap(),
            flate2::Compression::default(),
        );
        enc.write_all(&fs::read(from).unwrap()).unwrap();
        enc.finish().unwrap();
        fs::remove_file(from).unwrap();
    };
    write_seq(&p, 0, 100);
    let mut f = Follow::new()
        .path(&p)
        .start(Start::Beginning)
        .watch(Watch::Poll(Duration::from_secs(3)))
        .rotate_grace(Duration::from_millis(30))
        .open()
        .unwrap();
    assert_eq!(take(&mut f, 100).len(), 100);
    let step = || std::thread::sleep(Duration::from_millis(20));
    step();
    write_seq(&p, 100, 200);
    step();
    // Rotation 1: A -> .1, B created, A compressed.
    fs::rename(&p, d.join("app.log.1")).unwrap();
    write_seq(&p, 200, 300); // B: never seen
    gzip(&d.join("app.log.1"), &d.join("app.log.1.gz"));
    step();
    // Rotation 2: .1.gz -> .2.gz, B -> .1, C created, B compressed.
    fs::rename(d.join("app.log.1.gz"), d.join("app.log.2.gz")).unwrap();
    fs::rename(&p, d.join("app.log.1")).unwrap();
    write_seq(&p, 300, 400); // C
    gzip(&d.join("app.log.1"), &d.join("app.log.1.gz"));
    let end = Instant::now() + WAIT;
    let mut got = Vec::new();
    while got.len() < 300 && Instant::now() < end {
        got.extend(drain_seq(&mut f, Duration::from_millis(500)));
    }
    got.extend(drain_seq(&mut f, Duration::from_millis(200)));
    assert_eq!(
        got,
        (100..400).collect::<Vec<_>>(),
        "{:?}",
        f.take_notices().collect::<Vec<_>>()
    );
}

/// The first `n` numbered lines handed out by `f`, each with its origin: the identity of
/// the file it is named by, and that file's first bytes up to the line's end.
fn origins_of(f: &mut Follower, n: usize) -> Vec<(u64, super::identity::DevIno, Vec<u8>)> {
    let mut out = Vec::new();
    let end = Instant::now() + WAIT;
    while out.len() < n && Instant::now() < end {
        if let NextBatch::Batch(b) = f.next_batch_until(Some(Instant::now() + WAIT / 10)) {
            let o = b.origin.expect("a followed file has an origin");
            let mut at = b.offset;
            for l in b.lines() {
                let seq = std::str::from_utf8(l).unwrap().parse().unwrap();
                let end = (at as usize + l.len() + 1).min(o.head.len());
                out.push((seq, o.id, o.head[..end].to_vec()));
                at += l.len() as u64 + 1;
            }
        }
    }
    out
}

/// A follower of `path` from its start, checkpointing to `state`; `commit`: lines count
/// as processed when the next is asked for (else never, as for a consumer that died).
fn follow_from_start(path: &Path, state: &Path, commit: bool) -> Follower {
    Follow::new()
        .path(path)
        .start(Start::Beginning)
        .state(state)
        .auto_commit(commit)
        .open()
        .unwrap()
}

/// "kill -9" of `f`, whose state file is `from`: its checkpoint as of now, copied to
/// `dir/name` for the next run (the killed run's state file stays locked), no close.
fn crash(f: Follower, from: &Path, dir: &Path, name: &str) -> PathBuf {
    let mut f = f;
    f.checkpoint().unwrap();
    let saved = dir.join(name);
    fs::copy(from, &saved).unwrap();
    std::mem::forget(f);
    saved
}

/// Issue 13: lines handed out but not yet processed when logrill died, read again at the
/// restart from copy-truncate's compressed copy, are named as the lines already handed
/// out: the same origin (the identity of the file they were first read from, and its
/// first bytes), so a consumer's message ids stay the same and the broker drops the
/// re-sends instead of storing them twice.
#[test]
fn lines_read_again_from_a_compressed_copy_keep_their_origin() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("app.log");
    let state = dir.path().join("state");
    write_seq(&p, 0, 100);
    let mut f = follow_from_start(&p, &state, false);
    let first = origins_of(&mut f, 100);
    assert_eq!(first.len(), 100);
    // Handed out, never processed: the checkpoint stays at 0 (with the file's first bytes).
    let saved = crash(f, &state, dir.path(), "state.at-crash");
    // Meanwhile: copy-truncate with compress.
    let mut enc = flate2::write::GzEncoder::new(
        fs::File::create(dir.path().join("app.log.1.gz")).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&fs::read(&p).unwrap()).unwrap();
    enc.finish().unwrap();
    truncate(&p);
    let mut f = follow_from_start(&p, &saved, true);
    let again = origins_of(&mut f, 100);
    assert_eq!(again, first, "{:?}", f.take_notices().collect::<Vec<_>>());
}

/// A second crash while the lines are being read again from the copy: the checkpoint
/// then names the copy, and must also say whose copy it is, or the third run names the
/// same lines by the copy's identity and a broker stores them a second time.
#[test]
fn a_copy_checkpointed_keeps_the_origin_of_the_file_it_copies() {
    use super::identity::DevIno;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("app.log");
    let state = dir.path().join("state");
    write_seq(&p, 0, 100);
    let follow = |state: &Path, commit: bool| follow_from_start(&p, state, commit);
    let crash = |f: Follower, from: &Path, name: &str| crash(f, from, dir.path(), name);
    let origins = |f: &mut Follower| origins_of(f, 100);
    let mut f = follow(&state, false);
    let first = origins(&mut f);
    assert_eq!(first.len(), 100);
    let second_state = crash(f, &state, "state.1");
    // Copy-truncate (plain copy) while no follower runs.
    fs::copy(&p, dir.path().join("app.log.1")).unwrap();
    truncate(&p);
    let mut f = follow(&second_state, false);
    let again = origins(&mut f);
    assert_eq!(again, first, "{:?}", f.take_notices().collect::<Vec<_>>());
    let third_state = crash(f, &second_state, "state.2");
    let text = fs::read_to_string(&third_state).unwrap();
    let mut f = follow(&third_state, true);
    let third = origins(&mut f);
    let ids = |v: &[(u64, DevIno, Vec<u8>)]| {
        v.iter()
            .map(|o| o.1)
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(third.len(), 100, "{text}");
    assert_eq!(ids(&third), ids(&first), "{text}");
    assert_eq!(third, first);
}

// ----- `--from-start --since`: entering files by binary search ----------------------------

/// 2026-12-01T00:00:00Z in seconds.
const DAY0_SECS: i64 = 1_796_083_200;

/// Line `i` of a time-sorted log: stamped `i` seconds after DAY0 (one line a second).
fn timed(i: i64) -> String {
    let (d, s) = (i / 86_400, i % 86_400);
    format!(
        "2026-12-{:02}T{:02}:{:02}:{:02}Z n={i} {}\n",
        1 + d,
        s / 3600,
        s % 3600 / 60,
        s % 60,
        "x".repeat((i % 11) as usize)
    )
}

/// Writes lines `from..to` of the sorted log to `path` (appending); returns each line's
/// offset in the file (for lines `from..to`), given the file's length before.
fn write_timed(path: &Path, from: i64, to: i64) -> Vec<u64> {
    let mut at = fs::metadata(path).map_or(0, |m| m.len());
    let mut text = String::new();
    let mut offsets = Vec::new();
    for i in from..to {
        let l = timed(i);
        offsets.push(at);
        at += l.len() as u64;
        text.push_str(&l);
    }
    append(path, &text);
    offsets
}

/// A directory holding `a.log`, the sorted log's first `n` lines: (the directory, the
/// log, each line's offset).
fn sorted_log(n: i64) -> (tempfile::TempDir, PathBuf, Vec<u64>) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    let offsets = write_timed(&p, 0, n);
    (dir, p, offsets)
}

/// The `n=` of a line.
fn n_of(line: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(line);
    let n = s.split(" n=").nth(1).and_then(|r| r.split(' ').next());
    n.and_then(|n| n.parse().ok())
        .expect("a line of the sorted log")
}

/// A range from second `since` on (default margin: 5 minutes).
fn since_range(since: i64) -> crate::source::TimeRange {
    crate::source::TimeRange::new(Some((DAY0_SECS + since) * 1_000_000), None)
}

/// Every line handed out until none comes for a while: (n, offset, line number).
fn drain_all(f: &mut Follower) -> Vec<(i64, u64, u64)> {
    let mut out = Vec::new();
    loop {
        match f.next_line_timeout(Duration::from_millis(300)) {
            Next::Line(l) => out.push((n_of(l.bytes), l.offset, l.line)),
            Next::Timeout => return out,
            Next::Closed(r) => panic!("closed: {r:?}"),
        }
    }
}

/// A follower of `path` from its start, entering it at `since` (when given).
fn follow_since(
    path: &Path,
    since: Option<i64>,
    state: Option<&Path>,
) -> (Follower, Arc<crate::source::RangeCounters>) {
    let counters = Arc::new(crate::source::RangeCounters::default());
    let mut b = Follow::new().path(path).start(Start::Beginning);
    if let Some(s) = since {
        b = b.since_seek(since_range(s), counters.clone());
    }
    if let Some(state) = state {
        b = b.state(state);
    }
    (b.open().unwrap(), counters)
}

fn get(c: &std::sync::atomic::AtomicU64) -> u64 {
    c.load(std::sync::atomic::Ordering::Relaxed)
}

#[test]
fn from_start_since_enters_a_sorted_file_where_the_range_starts() {
    let n = 200_000;
    let (_dir, p, offsets) = sorted_log(n);
    let len = fs::metadata(&p).unwrap().len();
    let since = 190_000;
    // Without the seek (the old way): every line, from the start.
    let (mut plain, _) = follow_since(&p, None, None);
    let all = drain_all(&mut plain);
    assert_eq!(all.len() as i64, n);
    drop(plain);
    // With it: from the first line at or after since minus the margin (300 lines).
    let (mut f, counters) = follow_since(&p, Some(since), None);
    let got = drain_all(&mut f);
    let first = since - 300;
    assert_eq!(got.first().map(|l| l.0), Some(first));
    assert_eq!(got.len() as i64, n - first);
    // The lines in range are those of the full read in range (and the truth: since..n).
    let in_range = |v: &[(i64, u64, u64)]| -> Vec<i64> {
        v.iter().map(|l| l.0).filter(|&i| i >= since).collect()
    };
    assert_eq!(in_range(&got), in_range(&all));
    assert_eq!(in_range(&got), (since..n).collect::<Vec<_>>());
    // Offsets are the file's; line numbers count from the line entered at.
    assert_eq!(got[0].1, offsets[first as usize]);
    assert_eq!(got[0].2, 1);
    assert_eq!(got[10].2, 11);
    // What was read to find it: a small part of the file; what was skipped: the rest.
    assert_eq!(get(&counters.files_searched), 1);
    assert_eq!(get(&counters.bytes_total), len);
    assert_eq!(get(&counters.bytes_skipped), offsets[first as usize]);
    // (The head, about 20 probes, and the walk over the last window: under 512 KiB
    // whatever the file's size.)
    let searched = get(&counters.bytes_read);
    assert!(searched < 512 * 1024, "search read {searched} of {len}");
    // Following goes on: appended lines come.
    write_timed(&p, n, n + 5);
    assert_eq!(
        drain_all(&mut f).iter().map(|l| l.0).collect::<Vec<_>>(),
        (n..n + 5).collect::<Vec<_>>()
    );
}

#[test]
fn a_checkpoint_after_the_seek_records_its_offset_and_a_restart_does_not_seek_again() {
    let n = 100_000;
    let (dir, p, offsets) = sorted_log(n);
    let state = dir.path().join("state");
    let since = 90_000;
    // Entered, nothing handed out, checkpointed, killed.
    let (mut f, _) = follow_since(&p, Some(since), Some(&state));
    f.checkpoint().unwrap();
    let saved = crash(f, &state, dir.path(), "saved");
    assert!(
        entry_of(&saved, &p).contains(&format!("{}", offsets[(since - 300) as usize])),
        "{}",
        fs::read_to_string(&saved).unwrap()
    );
    // A restart from it (with a since that would seek elsewhere) goes on at that offset.
    let (mut f, counters) = follow_since(&p, Some(since + 5000), Some(&saved));
    let got = drain_all(&mut f);
    assert_eq!(got.first().map(|l| l.0), Some(since - 300));
    assert_eq!(get(&counters.files_searched), 0);
    // Take some, close cleanly, restart: on at the next line.
    f.close().unwrap();
    write_timed(&p, n, n + 3);
    let (mut f, _) = follow_since(&p, Some(since), Some(&saved));
    assert_eq!(
        drain_all(&mut f).iter().map(|l| l.0).collect::<Vec<_>>(),
        [n, n + 1, n + 2]
    );
}

#[test]
fn rotation_after_the_seek_finishes_the_old_file_then_reads_the_new_one() {
    let n = 100_000;
    let (dir, p, _) = sorted_log(n);
    let (mut f, counters) = follow_since(&p, Some(n - 1000), None);
    assert_eq!(take(&mut f, 1), [timed(n - 1300).trim_end()]);
    // Rotated while lines are still unread: the rest of the old file, then the new file
    // from its start (appeared later: not searched).
    write_timed(&p, n, n + 10);
    fs::rename(&p, dir.path().join("a.log.1")).unwrap();
    write_timed(&p, n + 10, n + 20);
    let got: Vec<i64> = drain_all(&mut f).iter().map(|l| l.0).collect();
    assert_eq!(got, (n - 1299..n + 20).collect::<Vec<_>>());
    assert_eq!(get(&counters.files_searched), 1);
}

#[test]
fn a_file_not_sorted_by_time_is_followed_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.log");
    // Two logs concatenated: the later hours first.
    write_timed(&p, 50_000, 75_000);
    write_timed(&p, 0, 50_000);
    write_timed(&p, 75_000, 100_000);
    let since = 60_000;
    let (mut f, counters) = follow_since(&p, Some(since), None);
    let got = drain_all(&mut f);
    assert_eq!(got.len(), 100_000);
    let mut in_range: Vec<i64> = got.iter().map(|l| l.0).filter(|&i| i >= since).collect();
    in_range.sort_unstable();
    assert_eq!(in_range, (since..100_000).collect::<Vec<_>>());
    assert_eq!(get(&counters.files_unsorted), 1);
    assert_eq!(get(&counters.files_searched), 0);
    assert_eq!(got[0].2, 1);
}

#[test]
fn copy_truncate_after_the_seek_reads_the_rest_from_the_copy_with_its_numbers() {
    let n = 100_000;
    let (dir, p, _) = sorted_log(n);
    let (mut f, _) = follow_since(&p, Some(n - 100), None);
    // Entered at n - 400 (the margin), line 1.
    let first = drain_all(&mut f);
    assert_eq!(first.first().map(|l| (l.0, l.2)), Some((n - 400, 1)));
    assert_eq!(first.len(), 400);
    // Lines not read yet when the copy is made and the file truncated.
    write_timed(&p, n, n + 10);
    fs::copy(&p, dir.path().join("a.log.1")).unwrap();
    truncate(&p);
    write_timed(&p, n + 10, n + 15);
    let got = drain_all(&mut f);
    let ns: Vec<i64> = got.iter().map(|l| l.0).collect();
    assert_eq!(ns, (n..n + 15).collect::<Vec<_>>());
    // The copy's lines go on numbered from the line entered at; the truncated file's from
    // its start.
    let lines: Vec<u64> = got.iter().map(|l| l.2).collect();
    assert_eq!(&lines[..10], (401..411).collect::<Vec<_>>());
    assert_eq!(&lines[10..], [1, 2, 3, 4, 5]);
}
