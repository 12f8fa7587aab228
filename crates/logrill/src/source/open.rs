//! `open`: a file or standard input, decompressed by what its first bytes say.
//!
//! The seed's `gen_open` chose the decoder by the file name; a rotated `access-log.1` that
//! logrotate compressed but did not rename, or a `.gz` that is really plain text, fool that.
//! Here the first six bytes decide:
//!
//! | magic | codec | decoder |
//! |---|---|---|
//! | `1f 8b` | gzip (every member, as `cat a.gz b.gz` makes) | `flate2` (zlib-rs backend) |
//! | `BZh` | bzip2 (every stream) | `bzip2` |
//! | `fd 37 7a 58 5a 00` | xz (every stream) | `liblzma` |
//! | `28 b5 2f fd` | zstd (every frame) | `zstd` |
//! | `5? 2a 4d 18` | zstd starting with a skippable frame (as `pzstd` writes) | `zstd` |
//! | anything else | plain | none |
//!
//! All decoders run in this process; no external program is spawned.

use std::borrow::Borrow;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Chain, Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::{Error, InputName, Result};
use crate::source::gzindex::members::{AbsorbedSlot, MemberFile, MemberPiece};
use crate::source::gzindex::parallel::IndexedFile;
use crate::source::gzindex::{self, cache::read_at_most, Decoder, IndexCache};
use crate::source::pieces::{ChunkPiece, CrcSlot, Nominal, WholeFile};

/// How an input is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    Plain,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Codec::Plain => "plain",
            Codec::Gzip => "gzip",
            Codec::Bzip2 => "bzip2",
            Codec::Xz => "xz",
            Codec::Zstd => "zstd",
        })
    }
}

/// The number of leading bytes [`detect`] looks at.
pub const MAGIC_LEN: usize = 6;

/// The codec that the first bytes of a stream announce. Fewer than [`MAGIC_LEN`] bytes are
/// fine: a stream too short for any magic is plain.
pub fn detect(head: &[u8]) -> Codec {
    if head.starts_with(&[0x1f, 0x8b]) {
        Codec::Gzip
    } else if head.starts_with(b"BZh") {
        Codec::Bzip2
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Codec::Xz
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) || is_skippable_frame(head) {
        Codec::Zstd
    } else {
        Codec::Plain
    }
}

/// A zstd skippable frame: magic `0x184D2A50`–`0x184D2A5F`, little-endian. `pzstd` (and
/// other parallel or seekable writers) start their files with one, holding the size of the
/// frame that follows; the zstd decoder steps over it. No text file starts with these
/// bytes (`0x18` is a control character).
fn is_skippable_frame(head: &[u8]) -> bool {
    matches!(head, [low, 0x2a, 0x4d, 0x18, ..] if low & 0xf0 == 0x50)
}

/// Size of the buffer between a compressed file and its decoder.
const COMPRESSED_BUF: usize = 128 * 1024;

type Head<R> = Chain<Cursor<Vec<u8>>, R>;

/// An opened input: its name, its codec, and a reader of its decompressed bytes.
pub struct Input {
    name: InputName,
    codec: Codec,
    reader: Box<dyn Read + Send>,
    /// The reader decodes on threads of its own already (an indexed gzip file): no
    /// read-ahead thread on top.
    threaded: bool,
    /// A plain regular file, which may be read in pieces instead (see
    /// [`crate::source::pieces`]).
    whole: Option<WholeFile>,
    /// An indexed gzip file, which may be read chunk by chunk instead.
    indexed: Option<IndexedFile>,
    /// A gzip file of several members, which may be read range by range instead.
    members: Option<MemberFile>,
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Input")
            .field("name", &self.name)
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

impl Input {
    /// The input's name, for messages.
    pub fn name(&self) -> &InputName {
        &self.name
    }

    /// The codec found by the magic bytes.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Turn an error from [`Read::read`] on this input into a library error naming the
    /// input. Errors of the kinds decoders use for bad data become [`Error::Decode`];
    /// `lines_read` is how many complete lines came out before it.
    pub fn read_error(&self, source: io::Error, lines_read: u64) -> Error {
        let bad_data = matches!(
            source.kind(),
            io::ErrorKind::InvalidData
                | io::ErrorKind::InvalidInput
                | io::ErrorKind::UnexpectedEof
                | io::ErrorKind::Other
        );
        if self.codec != Codec::Plain && bad_data {
            Error::Decode {
                name: self.name.clone(),
                codec: self.codec,
                line: lines_read,
                source,
            }
        } else {
            Error::Io {
                name: self.name.clone(),
                source,
            }
        }
    }

    /// Decode on a background thread from now on (see [`crate::source::readahead`]), so
    /// decoding overlaps with whatever consumes the bytes. Plain inputs are returned as
    /// they are: reading a file is faster than handing its bytes across threads.
    pub fn read_ahead(self) -> Input {
        if self.codec == Codec::Plain || self.threaded {
            return self;
        }
        let mut input = self;
        let inner = std::mem::replace(&mut input.reader, Box::new(io::empty()));
        let reader: Box<dyn Read + Send> = match crate::source::readahead::ReadAhead::new(inner) {
            Ok(r) => Box::new(r),
            Err((_, reader)) => reader,
        };
        input.with_reader(reader)
    }

    /// The same input (name, codec) read through `f`'s reader instead, which gets the
    /// current one (to wrap or to drop): how a time range filters an input's lines. The
    /// result is no longer the file as it lies on disk, so it is never read in pieces.
    pub fn map_reader(self, f: impl FnOnce(Box<dyn Read + Send>) -> Box<dyn Read + Send>) -> Input {
        Input {
            name: self.name,
            codec: self.codec,
            reader: f(self.reader),
            threaded: self.threaded,
            whole: None,
            indexed: None,
            members: None,
        }
    }

    /// The same input (name, codec) read through `reader` instead, which decodes on the
    /// thread that reads it (so it may be read ahead, see [`Input::read_ahead`]): how a
    /// time range enters a gzip file through its index, and how read-ahead wraps one.
    pub(crate) fn with_reader(self, reader: Box<dyn Read + Send>) -> Input {
        Input {
            name: self.name,
            codec: self.codec,
            reader,
            threaded: false,
            whole: None,
            indexed: None,
            members: None,
        }
    }

    /// The file behind a plain input opened from a path, to be read in pieces (see
    /// [`crate::source::pieces`]); `None` for compressed inputs, pipes and readers.
    pub fn whole(&self) -> Option<&WholeFile> {
        self.whole.as_ref()
    }

    /// One piece of the plain file `whole` (see [`WholeFile::piece`]), as an input named
    /// as the file is.
    pub fn piece(name: InputName, whole: &WholeFile, range: Nominal) -> Input {
        Input {
            name,
            codec: Codec::Plain,
            reader: Box::new(whole.piece(range)),
            threaded: false,
            whole: None,
            indexed: None,
            members: None,
        }
    }

    /// The indexed gzip file behind this input, to be read chunk by chunk (see
    /// [`ChunkPiece`]); `None` unless it is read through its index.
    pub fn indexed(&self) -> Option<&IndexedFile> {
        self.indexed.as_ref()
    }

    /// The multi-member gzip file behind this input, to be read range by range (see
    /// [`MemberPiece`]); `None` unless it was cut at its members.
    pub fn members(&self) -> Option<&MemberFile> {
        self.members.as_ref()
    }

    /// Range `k` of the multi-member gzip file `file`, as an input named as the file is;
    /// how many ranges after it it absorbed is left in the slot returned with it.
    pub(crate) fn member_piece(
        name: InputName,
        file: &MemberFile,
        k: usize,
    ) -> io::Result<(Input, AbsorbedSlot)> {
        let (piece, slot) = MemberPiece::new(file.clone(), k)?;
        Ok((Input::gzip_piece(name, Box::new(piece)), slot))
    }

    /// Chunk `k` of the indexed gzip file `file`, as an input named as the file is; its
    /// CRC pieces are left in the slot returned with it.
    pub(crate) fn chunk_piece(name: InputName, file: &IndexedFile, k: usize) -> (Input, CrcSlot) {
        let (piece, slot) = ChunkPiece::new(file.clone(), k);
        (Input::gzip_piece(name, Box::new(piece)), slot)
    }

    /// A piece of a gzip file (an index chunk, a member range) as an input.
    fn gzip_piece(name: InputName, reader: Box<dyn Read + Send>) -> Input {
        Input {
            name,
            codec: Codec::Gzip,
            reader,
            // Decoded by the worker that reads the piece, into its line buffer: the other
            // cores have pieces of their own (no read-ahead thread, which would add a
            // thread and two copies a piece).
            threaded: true,
            whole: None,
            indexed: None,
            members: None,
        }
    }

    /// Keep `file` as the file behind this input if it is plain and `file` a regular file.
    fn with_whole(mut self, file: Option<File>, counter: Option<Arc<AtomicU64>>) -> Input {
        if self.codec == Codec::Plain {
            self.whole = file
                .filter(|f| f.metadata().is_ok_and(|m| m.is_file()))
                .map(|f| WholeFile {
                    file: Arc::new(f),
                    counter,
                });
        }
        self
    }

    /// Read its lines (see [`crate::source::LineReader`]).
    pub fn lines(self) -> crate::source::LineReader<Input> {
        crate::source::LineReader::new(self)
    }
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

/// Open a file, detecting its compression. A directory is refused with a clear error (a
/// directory is walked by [`crate::source::find`], not opened).
pub fn open(path: impl AsRef<Path>) -> Result<Input> {
    let path = path.as_ref();
    let name = InputName::Path(path.to_path_buf());
    let file = open_file(path, &name)?;
    let handle = file.file.try_clone().ok();
    Ok(open_reader(name, file)?.with_whole(handle, None))
}

fn open_file(path: &Path, name: &InputName) -> Result<ShrinkCheck> {
    let io_err = |source| Error::Io {
        name: name.clone(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    if file.metadata().map_err(io_err)?.is_dir() {
        return Err(io_err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory (give it as a root to search it)",
        )));
    }
    Ok(ShrinkCheck { file, read: 0 })
}

/// A file read to its end that checks, at the end, that it did not shrink meanwhile: a
/// file truncated while being read would otherwise end in the middle of a line, and that
/// cut line would pass for a whole last line.
struct ShrinkCheck {
    file: File,
    read: u64,
}

impl Read for ShrinkCheck {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read += n as u64;
        if n == 0 && !buf.is_empty() {
            if let Ok(meta) = self.file.metadata() {
                if meta.is_file() && meta.len() < self.read {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "truncated while being read (to {} bytes, after {} were read); \
                             the line cut short is dropped",
                            meta.len(),
                            self.read
                        ),
                    ));
                }
            }
        }
        Ok(n)
    }
}

/// Read until `buf` is full or the reader ends (retrying interrupted reads); the number of
/// bytes read. What every "first bytes of a file" look uses.
pub(crate) fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A reader that adds what it reads to a shared counter.
pub(crate) struct Counted<R> {
    pub(crate) inner: R,
    pub(crate) counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A file read with `pread` from an offset of its own, what it reads added to `counter` when
/// there is one: readers over one descriptor (the ranges of a gzip file decoded on several
/// threads, the follower's decoder of a rotated file) neither move nor are moved by each
/// other's position.
pub(crate) struct PreadFrom<F> {
    pub(crate) file: F,
    pub(crate) at: u64,
    pub(crate) counter: Option<Arc<AtomicU64>>,
}

impl<F: Borrow<File>> Read for PreadFrom<F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = read_at_most(self.file.borrow(), buf, self.at)?;
        self.at += n as u64;
        if let Some(c) = &self.counter {
            c.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// Open a file like [`open`], adding the number of (compressed) bytes read from it to
/// `counter` as they are read: for progress displays.
pub fn open_counted(path: impl AsRef<Path>, counter: Arc<AtomicU64>) -> Result<Input> {
    open_with(path, Some(counter), 1)
}

/// Open a file like [`open`], counting its bytes into `counter` if given (see
/// [`open_counted`]) and decoding with up to `decode_threads` threads (see
/// [`open_reader_with`]).
pub fn open_with(
    path: impl AsRef<Path>,
    counter: Option<Arc<AtomicU64>>,
    decode_threads: usize,
) -> Result<Input> {
    let path = path.as_ref();
    let name = InputName::Path(path.to_path_buf());
    let file = open_file(path, &name)?;
    let handle = file.file.try_clone().ok();
    let input = match counter.clone() {
        Some(counter) => open_reader_with(
            name,
            Counted {
                inner: file,
                counter,
            },
            decode_threads,
        ),
        None => open_reader_with(name, file, decode_threads),
    }?;
    Ok(input.with_whole(handle, counter))
}

/// Open a file like [`open_with`], a gzip file through the index cache `gz_index` if given
/// (see [`crate::source::gzindex`]): with a current index and more than one decode thread,
/// its chunks decode in parallel; without one, its index is recorded while it is read (files
/// of at least [`IndexCache::min_size`] bytes).
pub fn open_with_index(
    path: impl AsRef<Path>,
    counter: Option<Arc<AtomicU64>>,
    decode_threads: usize,
    gz_index: Option<&Arc<IndexCache>>,
) -> Result<Input> {
    let Some(cache) = gz_index else {
        return open_with(path, counter, decode_threads);
    };
    let path = path.as_ref();
    let name = InputName::Path(path.to_path_buf());
    let file = open_file(path, &name)?;
    // Only a regular file can be indexed (and read with pread); a FIFO or a device is
    // read as it is, through the one descriptor opened (never opened twice).
    let regular = file.file.metadata().is_ok_and(|m| m.is_file());
    let mut head = [0u8; 2];
    let gzip =
        regular && matches!(read_at_most(&file.file, &mut head, 0), Ok(2)) && head == [0x1f, 0x8b];
    let handle = file.file.try_clone().ok();
    let reader: Box<dyn Read + Send> = match counter.clone() {
        Some(counter) => Box::new(Counted {
            inner: file,
            counter,
        }),
        None => Box::new(file),
    };
    if !gzip {
        let input = open_reader_with(name, reader, decode_threads)?;
        return Ok(input.with_whole(handle, counter));
    }
    let Some(handle) = handle else {
        return open_reader_with(name, reader, decode_threads);
    };
    let members = || members_of(&handle, decode_threads, cache, counter.clone());
    let (reader, threaded, indexed, members): (Box<dyn Read + Send>, bool, _, _) =
        match gzindex::choose(
            path,
            &handle,
            reader,
            cache,
            decode_threads,
            counter.clone(),
        ) {
            Decoder::Indexed(r) => {
                let pieces = r.pieces();
                (Box::new(r), true, Some(pieces), None)
            }
            Decoder::Recording(r) => (r, false, None, members()),
            Decoder::Plain(reader) => {
                let members = members();
                let mut input = open_reader_with(name, reader, decode_threads)?;
                input.members = members;
                return Ok(input);
            }
        };
    Ok(Input {
        name,
        codec: Codec::Gzip,
        reader,
        threaded,
        whole: None,
        indexed,
        members,
    })
}

/// The cuts of a gzip file of several members read with more than one decode thread and no
/// index (see [`gzindex::members`]), cut as far apart as an index's seek points would be;
/// files under [`IndexCache::min_size`] are not worth it.
fn members_of(
    file: &File,
    decode_threads: usize,
    cache: &IndexCache,
    counter: Option<Arc<AtomicU64>>,
) -> Option<MemberFile> {
    let size = file.metadata().ok()?.len();
    if decode_threads <= 1 || size < cache.min_compressed() {
        return None;
    }
    let spacing = cache.spacing_rule().min;
    MemberFile::find(file, size, spacing, counter)
        .ok()
        .flatten()
}

/// Open standard input, detecting its compression the same way as a file's.
pub fn open_stdin() -> Result<Input> {
    open_reader(InputName::Stdin, io::stdin())
}

/// Open standard input, decoding with up to `decode_threads` threads.
pub fn open_stdin_with(decode_threads: usize) -> Result<Input> {
    open_reader_with(InputName::Stdin, io::stdin(), decode_threads)
}

/// Open any reader under a name, detecting its compression.
pub fn open_reader<R: Read + Send + 'static>(name: InputName, reader: R) -> Result<Input> {
    open_reader_with(name, reader, 1)
}

/// Open any reader under a name, decoding bzip2 and xz with up to `decode_threads` threads
/// (bzip2 block by block, see [`crate::source::bzip2_parallel`]; xz by liblzma where the
/// file has blocks). Worth it for one large input on idle cores; when several inputs are
/// read in parallel anyway, one thread each is faster (the cores are already busy).
pub fn open_reader_with<R: Read + Send + 'static>(
    name: InputName,
    mut reader: R,
    decode_threads: usize,
) -> Result<Input> {
    let mut head = vec![0u8; MAGIC_LEN];
    let got = match read_full(&mut reader, &mut head) {
        Ok(got) => got,
        Err(source) => return Err(Error::Io { name, source }),
    };
    head.truncate(got);
    let codec = detect(&head);
    let stream: Head<R> = Cursor::new(head).chain(reader);
    let reader: Box<dyn Read + Send> =
        match codec {
            Codec::Plain => Box::new(stream),
            Codec::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered(stream))),
            Codec::Bzip2 if decode_threads > 1 => {
                crate::source::bzip2_parallel::reader(buffered(stream), decode_threads).map_err(
                    |source| Error::Io {
                        name: name.clone(),
                        source,
                    },
                )?
            }
            Codec::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(buffered(stream))),
            Codec::Xz => {
                let dec = crate::source::xz::XzStreams::new(buffered(stream), decode_threads)
                    .map_err(|source| Error::Io {
                        name: name.clone(),
                        source,
                    })?;
                Box::new(dec)
            }
            Codec::Zstd => {
                let dec = zstd::stream::read::Decoder::with_buffer(buffered(stream)).map_err(
                    |source| Error::Io {
                        name: name.clone(),
                        source,
                    },
                )?;
                Box::new(dec)
            }
        };
    Ok(Input {
        name,
        codec,
        reader,
        threaded: false,
        whole: None,
        indexed: None,
        members: None,
    })
}

fn buffered<R: Read>(r: R) -> BufReader<R> {
    BufReader::with_capacity(COMPRESSED_BUF, r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const TEXT: &[u8] = b"first line\nsecond line\r\nno newline at the end";

    fn compress(codec: Codec, data: &[u8]) -> Vec<u8> {
        match codec {
            Codec::Plain => data.to_vec(),
            Codec::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), Default::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Codec::Bzip2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Codec::Xz => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Codec::Zstd => zstd::encode_all(data, 3).unwrap(),
        }
    }

    fn read_all(name: &str, bytes: Vec<u8>) -> (Codec, Result<Vec<u8>, io::Error>) {
        let mut input = open_reader(InputName::Path(name.into()), Cursor::new(bytes)).unwrap();
        let mut out = Vec::new();
        let r = input.read_to_end(&mut out).map(|_| out);
        (input.codec(), r)
    }

    const ALL: [Codec; 5] = [
        Codec::Plain,
        Codec::Gzip,
        Codec::Bzip2,
        Codec::Xz,
        Codec::Zstd,
    ];

    #[test]
    fn every_codec_round_trips_whatever_the_name() {
        for codec in ALL {
            // The name says .gz for all of them: only the magic counts.
            let (found, data) = read_all("x.gz", compress(codec, TEXT));
            assert_eq!(found, codec);
            assert_eq!(data.unwrap(), TEXT, "{codec}");
        }
    }

    #[test]
    fn concatenated_members_and_streams_are_all_read() {
        for codec in ALL {
            let mut both = compress(codec, b"one\ntwo\n");
            both.extend(compress(codec, b"three\n"));
            let (_, data) = read_all("cat", both);
            assert_eq!(data.unwrap(), b"one\ntwo\nthree\n", "{codec}");
        }
    }

    #[test]
    fn truncated_compressed_data_is_an_error() {
        let big: Vec<u8> = (0..20000)
            .flat_map(|i| format!("line {i} with some text\n").into_bytes())
            .collect();
        for codec in [Codec::Gzip, Codec::Bzip2, Codec::Xz, Codec::Zstd] {
            let mut c = compress(codec, &big);
            c.truncate(c.len() / 2);
            let (_, data) = read_all("t", c);
            assert!(data.is_err(), "{codec}: truncation not detected");
        }
    }

    /// What `pzstd` writes: each zstd frame preceded by a skippable frame (magic
    /// `0x184D2A50`, 4 bytes of payload holding the next frame's size).
    fn pzstd_like(chunks: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            let frame = zstd::encode_all(*chunk, 3).unwrap();
            // Any of the 16 skippable magics: use a different one for each frame.
            out.extend_from_slice(&[0x50 + i as u8, 0x2a, 0x4d, 0x18]);
            out.extend_from_slice(&4u32.to_le_bytes());
            out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            out.extend_from_slice(&frame);
        }
        out
    }

    #[test]
    fn zstd_starting_with_a_skippable_frame_is_zstd() {
        let bytes = pzstd_like(&[b"one\ntwo\n", b"three\n", b"four\n"]);
        assert_eq!(detect(&bytes), Codec::Zstd);
        let (codec, data) = read_all("x.zst", bytes);
        assert_eq!(codec, Codec::Zstd);
        assert_eq!(data.unwrap(), b"one\ntwo\nthree\nfour\n");
        for low in 0x50..=0x5f {
            assert_eq!(
                detect(&[low, 0x2a, 0x4d, 0x18, 4, 0]),
                Codec::Zstd,
                "{low:x}"
            );
        }
        // Not a skippable magic: plain.
        assert_eq!(detect(&[0x60, 0x2a, 0x4d, 0x18, 4, 0]), Codec::Plain);
        assert_eq!(detect(&[0x50, 0x2a, 0x4d, 0x19, 4, 0]), Codec::Plain);
    }

    #[test]
    fn short_and_empty_inputs_are_plain() {
        assert_eq!(detect(b""), Codec::Plain);
        assert_eq!(detect(b"\x1f"), Codec::Plain);
        assert_eq!(detect(b"BZ"), Codec::Plain);
        let (c, data) = read_all("e", Vec::new());
        assert_eq!(c, Codec::Plain);
        assert!(data.unwrap().is_empty());
    }

    #[test]
    fn a_directory_is_refused_by_name() {
        let d = tempfile::tempdir().unwrap();
        let e = open(d.path()).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
        assert!(e.to_string().contains(&d.path().display().to_string()));
        let missing = d.path().join("nope");
        let e = open(&missing).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
    }
}
