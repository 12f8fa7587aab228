//! xz with liblzma's multi-threaded decoder, over every concatenated stream.
//!
//! liblzma decodes the blocks of an xz stream on several threads when the stream's block
//! headers record their sizes (files written by `xz -T0`, or any multi-threaded encoder);
//! otherwise it decodes on one thread, as before. Its multi-threaded builder has no flag to
//! continue past the end of the first stream, so [`XzStreams`] starts a fresh decoder for
//! every stream that follows (after the zero padding the format allows between streams);
//! anything else after a stream is an error, as `xz -d` says.

use std::io::{self, BufRead, Read};

use liblzma::bufread::XzDecoder;
use liblzma::stream::{MtStreamBuilder, Stream};

/// Memory the decoder may use before it falls back to one thread.
const MEMLIMIT_THREADING: u64 = 64 * 1024 * 1024;

/// Reads every xz stream of `R` in turn.
pub struct XzStreams<R: BufRead> {
    decoder: Option<XzDecoder<R>>,
    threads: u32,
}

impl<R: BufRead> XzStreams<R> {
    /// Decode with up to `threads` threads per stream.
    pub fn new(inner: R, threads: usize) -> io::Result<XzStreams<R>> {
        let threads = u32::try_from(threads.max(1)).unwrap_or(u32::MAX);
        Ok(XzStreams {
            decoder: Some(XzDecoder::new_stream(inner, stream(threads)?)),
            threads,
        })
    }
}

fn stream(threads: u32) -> io::Result<Stream> {
    MtStreamBuilder::new()
        .threads(threads)
        .memlimit_threading(MEMLIMIT_THREADING)
        .memlimit_stop(u64::MAX)
        .decoder()
        .map_err(io::Error::other)
}

impl<R: BufRead> Read for XzStreams<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // The stream ended: skip padding, then another stream or the end.
            let Some(decoder) = self.decoder.take() else {
                return Ok(0);
            };
            let mut inner = decoder.into_inner();
            loop {
                let pending = inner.fill_buf()?;
                if pending.is_empty() {
                    return Ok(0);
                }
                let zeros = pending.iter().take_while(|&&b| b == 0).count();
                if zeros == 0 {
                    break;
                }
                inner.consume(zeros);
            }
            if !inner
                .fill_buf()?
                .starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00])
            {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "data after the end of the xz stream is not another xz stream",
                ));
            }
            self.decoder = Some(XzDecoder::new_stream(inner, stream(self.threads)?));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn xz(data: &[u8], threads: u32) -> Vec<u8> {
        let stream = MtStreamBuilder::new()
            .threads(threads)
            .block_size(64 * 1024)
            .preset(1)
            .encoder()
            .unwrap();
        let mut e = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn text(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("{i} GET /x/{} 200 {}\n", i % 97, i * 7 % 1000).into_bytes())
            .collect()
    }

    fn decode(bytes: Vec<u8>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        XzStreams::new(Cursor::new(bytes), 2)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn multi_block_and_multi_stream_with_padding() {
        let a = text(50_000);
        let b = text(3);
        let mut both = xz(&a, 2);
        both.extend([0, 0, 0, 0]);
        both.extend(xz(&b, 1));
        let mut want = a.clone();
        want.extend(&b);
        assert_eq!(decode(both).unwrap(), want);
        assert_eq!(decode(xz(b"", 1)).unwrap(), b"");
    }

    #[test]
    fn truncation_and_trailing_garbage_are_errors() {
        let a = text(50_000);
        let mut c = xz(&a, 2);
        c.truncate(c.len() / 2);
        assert!(decode(c).is_err());
        let mut g = xz(&a, 2);
        g.extend(b"garbage");
        let e = decode(g).unwrap_err();
        assert!(e.to_string().contains("not another xz stream"), "{e}");
    }
}
