//! The index: seek points of one gzip file, and its file format.
//!
//! ```text
//! magic     "LGRLGZI1"                                   8 bytes
//! identity  size u64, mtime seconds i64, mtime nanos u32,
//!           device u64, inode u64, fingerprint u32      40 bytes
//! totals    output bytes u64, members u64, points u32    20 bytes
//! point     output offset u64, input offset u64, unused bits u8, member u64,
//!           window length u32 (decoded), stored length u32, window (raw deflate)
//! check     CRC-32 of everything before it               4 bytes
//! ```
//!
//! All integers little-endian. A point's *input offset* is the byte after the last one the
//! block boundary touches; with `bits` > 0 the block starts in the byte before, at its
//! `8 - bits`-th bit (zlib's `zran.c` convention). The check catches a damaged file; the
//! identity catches a file that changed since (see [`super::cache`]).

use std::io::{Read, Write};

/// What identifies the file an index was made from: a file whose identity differs is a
/// different (or changed) file, and its index is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub size: u64,
    pub mtime_secs: i64,
    pub mtime_nanos: u32,
    pub device: u64,
    pub inode: u64,
    /// CRC-32 of the first and last 64 KiB of the compressed file: catches a file rewritten
    /// within the mtime's resolution to the same size.
    pub fingerprint: u32,
}

/// A place where decoding can start: the state of the decoder between two deflate blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    /// Offset in the decompressed stream (all members together).
    pub out: u64,
    /// Offset in the compressed file just after the byte the block boundary lies in.
    pub input: u64,
    /// Bits of the byte before `input` that belong to the next block (0–7).
    pub bits: u8,
    /// Which gzip member (from 0) the point lies in.
    pub member: u64,
    /// Length of the window once inflated (at most 32 KiB).
    pub window_len: u32,
    /// The last `window_len` bytes of output before the point, raw-deflated.
    pub window: Vec<u8>,
}

/// The seek points of one gzip file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub identity: Identity,
    /// Decompressed size of the whole file.
    pub total_out: u64,
    /// Number of gzip members.
    pub members: u64,
    /// In file order; the first is at output offset 0.
    pub points: Vec<Point>,
}

const MAGIC: &[u8; 8] = b"LGRLGZI1";
/// The largest window deflate can refer back into.
pub const WINDOW: usize = 32 * 1024;

impl Index {
    /// The index as bytes, in the format above.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(
            80 + self
                .points
                .iter()
                .map(|p| 33 + p.window.len())
                .sum::<usize>(),
        );
        b.extend_from_slice(MAGIC);
        let id = &self.identity;
        b.extend_from_slice(&id.size.to_le_bytes());
        b.extend_from_slice(&id.mtime_secs.to_le_bytes());
        b.extend_from_slice(&id.mtime_nanos.to_le_bytes());
        b.extend_from_slice(&id.device.to_le_bytes());
        b.extend_from_slice(&id.inode.to_le_bytes());
        b.extend_from_slice(&id.fingerprint.to_le_bytes());
        b.extend_from_slice(&self.total_out.to_le_bytes());
        b.extend_from_slice(&self.members.to_le_bytes());
        b.extend_from_slice(&(self.points.len() as u32).to_le_bytes());
        for p in &self.points {
            b.extend_from_slice(&p.out.to_le_bytes());
            b.extend_from_slice(&p.input.to_le_bytes());
            b.push(p.bits);
            b.extend_from_slice(&p.member.to_le_bytes());
            b.extend_from_slice(&p.window_len.to_le_bytes());
            b.extend_from_slice(&(p.window.len() as u32).to_le_bytes());
            b.extend_from_slice(&p.window);
        }
        let crc = crc32fast::hash(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    /// Read an index back, checking its CRC and that its points make sense (in order,
    /// inside the file, windows no larger than deflate's). The message says what is wrong.
    pub fn decode(bytes: &[u8]) -> Result<Index, String> {
        if bytes.len() < MAGIC.len() + 4 || !bytes.starts_with(MAGIC) {
            return Err("not a logrill gzip index".into());
        }
        let (body, check) = bytes.split_at(bytes.len() - 4);
        let stored = u32::from_le_bytes([check[0], check[1], check[2], check[3]]);
        if crc32fast::hash(body) != stored {
            return Err("checksum mismatch (damaged)".into());
        }
        let mut r = Cursor {
            b: body,
            at: MAGIC.len(),
        };
        let identity = Identity {
            size: r.u64()?,
            mtime_secs: r.u64()? as i64,
            mtime_nanos: r.u32()?,
            device: r.u64()?,
            inode: r.u64()?,
            fingerprint: r.u32()?,
        };
        let total_out = r.u64()?;
        let members = r.u64()?;
        let n = r.u32()? as usize;
        let mut points: Vec<Point> = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            let p = Point {
                out: r.u64()?,
                input: r.u64()?,
                bits: r.u8()?,
                member: r.u64()?,
                window_len: r.u32()?,
                window: r.bytes()?,
            };
            let ordered = points
                .last()
                .is_none_or(|q| q.out <= p.out && q.input < p.input && q.member <= p.member);
            if !ordered
                || p.bits > 7
                || p.input > identity.size
                || p.out > total_out
                || p.member >= members
                || p.window_len as usize > WINDOW
            {
                return Err("seek points out of order or out of range".into());
            }
            points.push(p);
        }
        if r.at != body.len() {
            return Err("trailing bytes".into());
        }
        if points.first().is_some_and(|p| p.out != 0 || p.member != 0) {
            return Err("first seek point is not at the start".into());
        }
        Ok(Index {
            identity,
            total_out,
            members,
            points,
        })
    }
}

/// Raw-deflate a window for storage.
pub fn pack_window(window: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(window.len() / 4),
        flate2::Compression::new(1),
    );
    // Writing into a Vec cannot fail.
    let _ = e.write_all(window);
    e.finish().unwrap_or_default()
}

/// Inflate a stored window; it must come out at `len` bytes.
pub fn unpack_window(stored: &[u8], len: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(len as usize);
    flate2::read::DeflateDecoder::new(stored)
        .take(WINDOW as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("window damaged: {e}"))?;
    if out.len() != len as usize {
        return Err("window damaged: wrong length".into());
    }
    Ok(out)
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        match end {
            Some(end) => {
                let s = &self.b[self.at..end];
                self.at = end;
                Ok(s)
            }
            None => Err("cut short".into()),
        }
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> Result<u64, String> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
    fn bytes(&mut self) -> Result<Vec<u8>, String> {
        let n = self.u32()? as usize;
        if n > 2 * WINDOW {
            return Err("window too large".into());
        }
        Ok(self.take(n)?.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Index {
        Index {
            identity: Identity {
                size: 1000,
                mtime_secs: -5,
                mtime_nanos: 7,
                device: 3,
                inode: 4,
                fingerprint: 99,
            },
            total_out: 5000,
            members: 2,
            points: vec![
                Point {
                    out: 0,
                    input: 10,
                    bits: 0,
                    member: 0,
                    window_len: 0,
                    window: pack_window(b""),
                },
                Point {
                    out: 2000,
                    input: 400,
                    bits: 3,
                    member: 1,
                    window_len: 5,
                    window: pack_window(b"hello"),
                },
            ],
        }
    }

    #[test]
    fn round_trips_and_every_damaged_byte_is_caught() {
        let idx = sample();
        let bytes = idx.encode();
        assert_eq!(Index::decode(&bytes).unwrap(), idx);
        assert_eq!(
            unpack_window(&idx.points[1].window, 5).unwrap(),
            b"hello".to_vec()
        );
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(Index::decode(&bad).is_err(), "flip at {i} not caught");
        }
        for cut in 0..bytes.len() {
            assert!(Index::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
