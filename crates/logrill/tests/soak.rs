//! The long version of the rotation torture (`follow_torture.rs`): every rotation scheme,
//! for as long as asked, with a fresh seed per round, alternating change notification and
//! polling. Not part of CI:
//!
//! ```text
//! LOGRILL_SOAK_SECS=600 cargo test --release -p logrill --test soak -- --ignored --nocapture
//! ```
//!
//! Each round checks exactly what the CI test checks (every line exactly once and in order,
//! except the unread end of a racing truncation); a failure prints its seed, which replays
//! with `LOGRILL_SEED=<seed> cargo test -p logrill --test follow_torture`.

#[path = "follow_support.rs"]
mod support;

use std::time::{Duration, Instant};

use logrill::source::follow::{Follow, Start, Watch};
use support::{torture, ALL_SCHEMES};

#[test]
#[ignore = "soak: LOGRILL_SOAK_SECS=600 cargo test --release -p logrill --test soak -- --ignored"]
fn soak_rotation_torture() {
    let secs: u64 = std::env::var("LOGRILL_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let end = Instant::now() + Duration::from_secs(secs);
    let mut seed: u64 = std::env::var("LOGRILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    let (mut rounds, mut lines, mut rotations, mut lost) = (0u64, 0u64, 0u64, 0u64);
    while Instant::now() < end {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let watch = if rounds % 2 == 0 {
            Watch::Auto
        } else {
            Watch::Poll(Duration::from_millis(5))
        };
        let follow = Follow::new()
            .start(Start::Beginning)
            .watch(watch)
            .rotate_grace(Duration::from_millis(50));
        let dir = tempfile::tempdir().unwrap();
        eprintln!("round {rounds}: seed {seed}, {watch:?}");
        let (v, _, n) = torture(follow, dir.path(), seed, 1000, 1000, &ALL_SCHEMES);
        rounds += 1;
        lines += n;
        rotations += 1000;
        lost += v.lost_allowed;
    }
    eprintln!(
        "soak: {rounds} rounds, {lines} lines, {rotations} rotations in {secs} s; \
         {lost} lines destroyed unread by racing truncations (allowed), none lost otherwise"
    );
}
