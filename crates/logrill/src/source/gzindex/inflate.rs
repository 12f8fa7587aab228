//! A raw inflate that stops at deflate block boundaries and shows its window.
//!
//! `flate2` hides what an index needs: where a deflate block ends (to the bit), and the
//! last 32 KiB of output at that point; and it cannot start in the middle of a stream with a
//! given bit offset and window. zlib's C API can (`Z_BLOCK`, `data_type`,
//! `inflateGetDictionary`, `inflatePrime`, `inflateSetDictionary`: what zlib's own `zran.c`
//! uses), and `libz-rs-sys` offers that API over the same `zlib-rs` that `flate2` runs on here,
//! so the recorded first read and the indexed chunks decode at the same speed as a plain
//! `flate2` read. This file holds every `unsafe` line of the index: a [`Stream`] owns one
//! boxed `z_stream` (zlib wants it not to move), and every call hands it slices it checks.

use std::ffi::c_int;

use libz_rs_sys as z;

/// What one [`Stream::inflate`] call did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    /// Input bytes consumed.
    pub consumed: usize,
    /// Output bytes written.
    pub produced: usize,
    /// The end of the deflate stream (and, in gzip mode, its trailer) was reached.
    pub end: bool,
    /// zlib's `data_type`: bit 7 set at a block boundary, bit 6 if the last block was
    /// seen, bits 0–2 the unused bits of the last byte consumed.
    pub data_type: i32,
}

impl Step {
    /// At the boundary between two blocks of a member that has more blocks to come: a
    /// place to start decoding from with the window and the unused bits.
    pub fn at_block_boundary(&self) -> bool {
        self.data_type & 128 != 0 && self.data_type & 64 == 0
    }

    /// Unused bits in the last byte consumed.
    pub fn unused_bits(&self) -> u8 {
        (self.data_type & 7) as u8
    }
}

/// An inflate stream: raw deflate, or a gzip member (header and CRC/length trailer checked
/// by zlib).
pub(crate) struct Stream {
    strm: Box<z::z_stream>,
}

// SAFETY: the z_stream owns its state (allocated by zlib-rs with the Rust allocator); no
// pointer in it is shared with another thread, and `next_in`/`next_out` are only set for the
// duration of one `inflate` call.
unsafe impl Send for Stream {}

/// zlib's return codes used here.
const Z_OK: c_int = 0;
const Z_STREAM_END: c_int = 1;
const Z_BUF_ERROR: c_int = -5;
/// `flush` values.
const Z_NO_FLUSH: c_int = 0;
const Z_BLOCK: c_int = 5;

impl Stream {
    /// A raw deflate stream (no header), 32 KiB window.
    pub fn raw() -> Result<Stream, String> {
        Stream::new(-15)
    }

    /// A gzip member: header, deflate data, CRC-32 and length checked.
    pub fn gzip() -> Result<Stream, String> {
        Stream::new(16 + 15)
    }

    fn new(window_bits: c_int) -> Result<Stream, String> {
        let mut strm = Box::new(z::z_stream::default());
        // SAFETY: `strm` is a valid, default-initialised z_stream (allocator set), and the
        // version string and size are zlib-rs's own.
        let rc = unsafe {
            z::inflateInit2_(
                &mut *strm,
                window_bits,
                z::zlibVersion(),
                std::mem::size_of::<z::z_stream>() as c_int,
            )
        };
        if rc != Z_OK {
            return Err(format!("inflate could not start (zlib code {rc})"));
        }
        Ok(Stream { strm })
    }

    /// Start a new stream of the same kind (the next gzip member).
    pub fn reset(&mut self) -> Result<(), String> {
        // SAFETY: the stream was initialised by `new`.
        let rc = unsafe { z::inflateReset(&mut *self.strm) };
        self.check(rc).map(|_| ())
    }

    /// Feed `bits` bits (1–7, from the low end of `value`) before the next input: the part of
    /// a byte that belongs to the block that starts in it.
    pub fn prime(&mut self, bits: u8, value: u8) -> Result<(), String> {
        if bits == 0 {
            return Ok(());
        }
        // SAFETY: the stream was initialised by `new`.
        let rc = unsafe { z::inflatePrime(&mut *self.strm, c_int::from(bits), c_int::from(value)) };
        self.check(rc).map(|_| ())
    }

    /// The last output bytes (up to 32 KiB) a back-reference may point into.
    pub fn set_window(&mut self, window: &[u8]) -> Result<(), String> {
        if window.is_empty() {
            return Ok(());
        }
        // SAFETY: the stream was initialised by `new`; zlib reads `window.len()` bytes.
        let rc = unsafe {
            z::inflateSetDictionary(&mut *self.strm, window.as_ptr(), window.len() as z::uInt)
        };
        self.check(rc).map(|_| ())
    }

    /// A copy of the current window (the last up to 32 KiB of output).
    pub fn window(&self, into: &mut Vec<u8>) {
        into.clear();
        into.resize(32 * 1024, 0);
        let mut len: z::uInt = 0;
        // SAFETY: the stream was initialised by `new`; `into` has room for the largest
        // window (32 KiB for window bits 15), and zlib writes its length into `len`.
        let rc = unsafe {
            z::inflateGetDictionary(
                &*self.strm as *const _ as *mut _,
                into.as_mut_ptr(),
                &mut len,
            )
        };
        if rc == Z_OK {
            into.truncate(len as usize);
        } else {
            into.clear();
        }
    }

    /// Inflate from `input` into `output`, stopping at the end of a block if `at_blocks`.
    pub fn inflate(
        &mut self,
        input: &[u8],
        output: &mut [u8],
        at_blocks: bool,
    ) -> Result<Step, String> {
        let avail_in = input.len().min(z::uInt::MAX as usize);
        let avail_out = output.len().min(z::uInt::MAX as usize);
        self.strm.next_in = input.as_ptr();
        self.strm.avail_in = avail_in as z::uInt;
        self.strm.next_out = output.as_mut_ptr();
        self.strm.avail_out = avail_out as z::uInt;
        let flush = if at_blocks { Z_BLOCK } else { Z_NO_FLUSH };
        // SAFETY: the stream was initialised by `new`; next_in/next_out point into the
        // borrowed slices with their lengths as avail_in/avail_out, and are cleared below
        // before the borrows end.
        let rc = unsafe { z::inflate(&mut *self.strm, flush) };
        let consumed = avail_in - self.strm.avail_in as usize;
        let produced = avail_out - self.strm.avail_out as usize;
        self.strm.next_in = std::ptr::null();
        self.strm.avail_in = 0;
        self.strm.next_out = std::ptr::null_mut();
        self.strm.avail_out = 0;
        let end = self.check(rc)?;
        Ok(Step {
            consumed,
            produced,
            end,
            data_type: self.strm.data_type,
        })
    }

    /// `Ok(true)` at stream end, `Ok(false)` for progress (or none, `Z_BUF_ERROR`), the
    /// zlib message otherwise.
    fn check(&self, rc: c_int) -> Result<bool, String> {
        match rc {
            Z_OK | Z_BUF_ERROR => Ok(false),
            Z_STREAM_END => Ok(true),
            _ => {
                let msg = if self.strm.msg.is_null() {
                    format!("zlib error {rc}")
                } else {
                    // SAFETY: zlib-rs sets `msg` to a static NUL-terminated string.
                    unsafe { std::ffi::CStr::from_ptr(self.strm.msg) }
                        .to_string_lossy()
                        .into_owned()
                };
                Err(msg)
            }
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: the stream was initialised by `new` and is ended once.
        unsafe {
            z::inflateEnd(&mut *self.strm);
        }
    }
}
