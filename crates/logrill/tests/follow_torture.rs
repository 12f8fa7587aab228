//! Rotation torture: a writer writes numbered lines as fast as it can and rotates its log
//! hundreds of times — rename, copy-truncate, delete + re-create, truncation — while a
//! follower on another thread reads it by name. Every line must come out exactly once and
//! in order, except what a racing truncation destroyed before it could be read (see
//! `follow_support.rs` for what each scheme needs to be recoverable at all, and
//! `docs/follow.md` for the guarantee table).
//!
//! Bounded for CI: a few seconds each. The long version is `tests/soak.rs`.

#[path = "follow_support.rs"]
mod support;

use std::time::Duration;

use logrill::source::follow::{Follow, Start, Watch};
use support::{torture, ALL_SCHEMES};

fn seed() -> u64 {
    std::env::var("LOGRILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_f011)
}

fn base(watch: Watch) -> Follow {
    Follow::new()
        .start(Start::Beginning)
        .watch(watch)
        .rotate_grace(Duration::from_millis(50))
}

#[test]
fn torture_notify_every_scheme() {
    let dir = tempfile::tempdir().unwrap();
    let (v, took, lines) = torture(
        base(Watch::Auto),
        dir.path(),
        seed(),
        400,
        300,
        &ALL_SCHEMES,
    );
    eprintln!("notify: {lines} lines, 400 rotations in {took:?}: {v:?}");
    assert!(v.per_scheme.len() >= 5);
}

#[test]
fn torture_polling_every_scheme() {
    let dir = tempfile::tempdir().unwrap();
    let (v, took, lines) = torture(
        base(Watch::Poll(Duration::from_millis(5))),
        dir.path(),
        seed() ^ 0xabcdef,
        150,
        300,
        &ALL_SCHEMES,
    );
    eprintln!("poll: {lines} lines, 150 rotations in {took:?}: {v:?}");
}

#[test]
fn torture_lossless_schemes_lose_nothing() {
    // Without racing truncations nothing at all may be lost.
    let dir = tempfile::tempdir().unwrap();
    let schemes = &ALL_SCHEMES[..4];
    let (v, _, lines) = torture(
        base(Watch::Auto),
        dir.path(),
        seed() ^ 0x1234,
        300,
        500,
        schemes,
    );
    assert_eq!(v.lost_allowed, 0);
    assert_eq!(v.delivered, lines);
}
