//! `head N`: the first N values, then stop reading (the rest of the input, and any file not
//! yet opened, is never read).

use super::{Stage, Step};

/// A `head` stage.
#[derive(Debug, Clone)]
pub struct Head {
    left: u64,
}

impl Head {
    /// Keep the first `n` values.
    pub fn new(n: u64) -> Head {
        Head { left: n }
    }
}

impl Stage for Head {
    #[inline]
    fn apply<'a>(&mut self, value: &'a [u8]) -> Step<'a> {
        match self.left {
            0 => Step::Stop,
            1 => {
                self.left = 0;
                Step::Last(value)
            }
            _ => {
                self.left -= 1;
                Step::Pass(value)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_n_then_stops() {
        let mut h = Head::new(2);
        assert_eq!(h.apply(b"a"), Step::Pass(b"a"));
        assert_eq!(h.apply(b"b"), Step::Last(b"b"));
        assert_eq!(h.apply(b"c"), Step::Stop);
        assert_eq!(Head::new(0).apply(b"a"), Step::Stop);
    }
}
