//! `Nats-Msg-Id`s: what JetStream de-duplicates on, so they must name the *source* of a
//! record exactly — equal for the same record sent again (after a restart or an outage),
//! different for every other record, however alike their text.
//!
//! An id is `INSTANCE/FILE/POSITION/INDEX/CONTENT`:
//!
//! * `INSTANCE`: which logrill (`--nats-instance`, by default the host name): two hosts
//!   following files with the same name and the same lines (health checks) never collide;
//! * `FILE`: which file, as the follower tells files apart — device and inode, and a
//!   fingerprint of its first bytes (up to the end of the line, at most 1 KiB) — so two
//!   generations of a rotated log that repeat each other's lines differ too (a copy of a
//!   file, copy-truncate's, perhaps compressed, is named as the file it copies: its lines
//!   keep their ids when they are read again from it);
//! * `POSITION`: the line's byte offset (`-F`), or its line number (`bNNN`, batch runs);
//! * `INDEX`: which of the records made from that one line;
//! * `CONTENT`: a 64-bit hash of the message, so two pipelines publishing different
//!   records of the same line to the same subject do not drop each other's.
//!
//! A record with no place in a file (an aggregate, standard input) gets `INSTANCE/run-…/N`,
//! unique to the run: it is never taken for another run's.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use logrill::source::follow::identity::{fnv1a64, HEAD_MAX};
use logrill::source::follow::{Batch, Origin};
use logrill::InputName;

/// A file, as far as ids are concerned: device, inode, and the fingerprint of its first
/// `head_len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileKey {
    pub dev: u64,
    pub ino: u64,
    pub head_len: u32,
    pub head_hash: u64,
}

impl FileKey {
    /// The key of the file a followed line at `start` (`len` bytes) was read from. The
    /// fingerprint covers the file's start up to the end of that line (at most `HEAD_MAX`
    /// bytes): the same for that line whenever it is read again, however much the file
    /// grew meanwhile.
    pub fn of_line(origin: &Origin<'_>, start: u64, len: usize) -> FileKey {
        let end = usize::try_from(start)
            .unwrap_or(usize::MAX)
            .saturating_add(len)
            .min(origin.head.len());
        FileKey {
            dev: origin.id.dev,
            ino: origin.id.ino,
            head_len: end as u32,
            head_hash: fnv1a64(&origin.head[..end]),
        }
    }

    /// The key of a file given as a batch input: its first `HEAD_MAX` bytes (as stored,
    /// compressed or not). `None` if it cannot be read.
    pub fn of_path(path: &Path) -> Option<FileKey> {
        let file = File::open(path).ok()?;
        let meta = file.metadata().ok()?;
        let mut head = Vec::with_capacity(HEAD_MAX);
        file.take(HEAD_MAX as u64).read_to_end(&mut head).ok()?;
        Some(FileKey {
            dev: meta.dev(),
            ino: meta.ino(),
            head_len: head.len() as u32,
            head_hash: fnv1a64(&head),
        })
    }

    /// The same file, whatever the length its fingerprint covers.
    pub fn file(&self) -> (u64, u64) {
        (self.dev, self.ino)
    }
}

/// Where the record being published came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A followed file, and the line's byte offset in it.
    Offset(FileKey, u64),
    /// A batch input file, and the line's number.
    Line(FileKey, u64),
    /// Nowhere that another run could send again.
    Run,
}

/// Makes the ids of one run.
#[derive(Debug)]
pub struct Ids {
    instance: String,
    /// Unique to this run (process id and start time), for [`Place::Run`].
    run: String,
    serial: u64,
    /// Records already made for the same place (each gets the next index).
    last: Option<Place>,
    index: u64,
    /// Batch inputs' keys, read once.
    inputs: HashMap<InputName, Option<FileKey>>,
    /// The last followed line's file key and offset: past its first KiB, every line of a
    /// file has the same key, and hashing that KiB per line would cost more than the rest
    /// of the id. Valid for a later line of the same file only: a file's head changes
    /// only when it is truncated, and then its lines start again from 0.
    last_key: Option<(FileKey, u64)>,
}

impl Ids {
    pub fn new(instance: String) -> Ids {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Ids {
            instance,
            run: format!("run-{:x}-{nanos:x}", std::process::id()),
            serial: 0,
            last: None,
            index: 0,
            inputs: HashMap::new(),
            last_key: None,
        }
    }

    /// The place of the line at `pos` in `batch` (`len` bytes), followed with `-F`.
    pub fn line_place(&mut self, batch: &Batch<'_>, pos: usize, len: usize) -> Option<Place> {
        let origin = batch.origin.as_ref()?;
        let start = batch.offset + pos as u64;
        let covered = usize::try_from(start)
            .unwrap_or(usize::MAX)
            .saturating_add(len)
            .min(origin.head.len()) as u32;
        let key = match self.last_key {
            Some((k, at))
                if k.file() == (origin.id.dev, origin.id.ino)
                    && k.head_len == covered
                    && at < start =>
            {
                k
            }
            _ => FileKey::of_line(origin, start, len),
        };
        self.last_key = Some((key, start));
        Some(Place::Offset(key, start))
    }

    /// The place of line `line` of batch input `input`.
    pub fn input_place(&mut self, input: &InputName, line: u64) -> Place {
        let key = match self.inputs.get(input) {
            Some(key) => *key,
            None => {
                let key = match input {
                    InputName::Path(p) => FileKey::of_path(p),
                    InputName::Stdin => None,
                };
                self.inputs.insert(input.clone(), key);
                key
            }
        };
        match key {
            Some(key) if line > 0 => Place::Line(key, line),
            _ => Place::Run,
        }
    }

    /// The id of a record from `place` whose message is `payload`.
    pub fn id(&mut self, place: Place, payload: &[u8]) -> String {
        if self.last == Some(place) && place != Place::Run {
            self.index += 1;
        } else {
            self.last = Some(place);
            self.index = 0;
        }
        let (key, position) = match place {
            Place::Offset(key, offset) => (key, offset.to_string()),
            Place::Line(key, line) => (key, format!("b{line}")),
            Place::Run => {
                self.serial += 1;
                return format!("{}/{}/{}", self.instance, self.run, self.serial);
            }
        };
        format!(
            "{}/{:x}.{:x}.{:x}.{:016x}/{position}/{}/{:016x}",
            self.instance,
            key.dev,
            key.ino,
            key.head_len,
            key.head_hash,
            self.index,
            fnv1a64(payload)
        )
    }
}

/// The default `--nats-instance`: the host name.
pub fn host_name() -> Option<String> {
    let from_file = |p: &str| std::fs::read_to_string(p).ok();
    let name = from_file("/proc/sys/kernel/hostname")
        .or_else(|| from_file("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| {
            let out = std::process::Command::new("hostname").output().ok()?;
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
        })?;
    let name = name.trim().to_string();
    check_instance(&name).is_ok().then_some(name)
}

/// An instance id goes into message ids (a header): printable ASCII, no spaces or `/`,
/// at most 128 characters.
pub fn check_instance(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_graphic() && b != b'/') {
        return Err(format!(
            "`{id}`: an instance id is 1 to 128 printable ASCII characters, without spaces or `/`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use logrill::source::follow::identity::DevIno;

    fn origin(ino: u64, head: &[u8]) -> Origin<'_> {
        Origin {
            id: DevIno { dev: 1, ino },
            head,
        }
    }

    #[test]
    fn the_same_line_of_the_same_file_gets_the_same_id_in_every_run() {
        let head = b"ok\nok\nok\n";
        let key = FileKey::of_line(&origin(7, head), 3, 2);
        let first = Ids::new("web-1".into()).id(Place::Offset(key, 3), b"ok");
        // Later, after a restart: the file grew, the line is the same.
        let longer = b"ok\nok\nok\nmore\n";
        let again = FileKey::of_line(&origin(7, longer), 3, 2);
        assert_eq!(
            first,
            Ids::new("web-1".into()).id(Place::Offset(again, 3), b"ok")
        );
        assert!(first.starts_with("web-1/1.7.5."), "{first}");
    }

    #[test]
    fn ids_differ_by_host_file_generation_offset_index_and_content() {
        let head = b"ok\nok\n";
        let key = FileKey::of_line(&origin(7, head), 0, 2);
        let mut ids = Ids::new("a".into());
        let base = Ids::new("a".into()).id(Place::Offset(key, 0), b"ok");
        let others = [
            Ids::new("b".into()).id(Place::Offset(key, 0), b"ok"),
            // A second generation: another inode, the same lines.
            Ids::new("a".into()).id(
                Place::Offset(FileKey::of_line(&origin(8, head), 0, 2), 0),
                b"ok",
            ),
            // The same inode reused by a file that starts differently.
            Ids::new("a".into()).id(
                Place::Offset(FileKey::of_line(&origin(7, b"no\n"), 0, 2), 0),
                b"ok",
            ),
            Ids::new("a".into()).id(Place::Offset(key, 3), b"ok"),
            Ids::new("a".into()).id(Place::Line(key, 0), b"ok"),
            Ids::new("a".into()).id(Place::Offset(key, 0), b"ko"),
        ];
        for other in &others {
            assert_ne!(&base, other);
        }
        // Two records made from one line.
        assert_eq!(base, ids.id(Place::Offset(key, 0), b"ok"));
        assert_ne!(base, ids.id(Place::Offset(key, 0), b"ok"));
    }

    #[test]
    fn a_file_truncated_and_rewritten_gets_a_new_key() {
        let batch = |head: &'static [u8], offset: u64| Batch {
            name: &InputName::Stdin,
            bytes: b"",
            offset,
            line: 0,
            origin: Some(origin(7, head)),
        };
        let old: &[u8] = &[b'a'; HEAD_MAX];
        let new: &[u8] = &[b'b'; HEAD_MAX];
        let mut ids = Ids::new("h".into());
        let before = ids.line_place(&batch(old, 5000), 0, 10);
        assert_eq!(
            before,
            ids.line_place(&batch(old, 4000), 1000, 10)
                .map(|p| match p {
                    Place::Offset(k, _) => Place::Offset(k, 5000),
                    other => other,
                })
        );
        // Truncated: lines start again from 0, with another head (a first line of 2 KiB).
        let after = ids.line_place(&batch(new, 0), 0, 2048);
        let key = |p: Option<Place>| match p {
            Some(Place::Offset(k, _)) => k,
            other => panic!("{other:?}"),
        };
        assert_ne!(key(before), key(after));
        assert_eq!(key(after), FileKey::of_line(&origin(7, new), 0, 2048));
    }

    #[test]
    fn records_of_no_file_are_unique_to_the_run() {
        let mut a = Ids::new("h".into());
        let x = a.id(Place::Run, b"{\"count\":1}");
        assert_ne!(x, a.id(Place::Run, b"{\"count\":1}"));
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_ne!(x, Ids::new("h".into()).id(Place::Run, b"{\"count\":1}"));
    }

    #[test]
    fn instance_ids_are_checked() {
        assert!(check_instance("web-1.example").is_ok());
        for bad in ["", "a b", "a/b", "é", &"x".repeat(129)] {
            assert!(check_instance(bad).is_err(), "{bad}");
        }
    }
}
