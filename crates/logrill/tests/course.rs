//! The course's record examples (`examples/course_*.rs`), run and checked: on a tree
//! `logrill-testgen` writes (every codec; its ground truth is recorded while writing,
//! never read back), and on a small log this test writes from entries it keeps, for the
//! questions the generator's truth does not answer (which paths, which hosts, ply).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use logrill_testgen::{generate, Options, Truth};

#[path = "../examples/course_404.rs"]
mod course_404;
#[path = "../examples/course_hosts.rs"]
mod course_hosts;
#[path = "../examples/course_largest.rs"]
mod course_largest;
#[path = "../examples/course_ply.rs"]
mod course_ply;
#[path = "../examples/course_robots.rs"]
mod course_robots;

fn tree() -> &'static (PathBuf, Truth) {
    static TREE: OnceLock<(PathBuf, Truth)> = OnceLock::new();
    TREE.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("logrill-course-")
            .tempdir()
            .unwrap()
            .keep();
        let opts = Options {
            mb: 0.4,
            sites: 2,
            seed: 20_261_205,
            ..Options::default()
        };
        let truth = generate(&dir, &opts).unwrap();
        (dir, truth)
    })
}

/// One request of the hand-written log.
struct Entry {
    host: &'static str,
    path: &'static str,
    status: u16,
    bytes: Option<i64>,
}

const ENTRIES: &[Entry] = &[
    Entry {
        host: "10.0.0.1",
        path: "/robots.txt",
        status: 200,
        bytes: Some(120),
    },
    Entry {
        host: "10.0.0.2",
        path: "/ply/ply-3.4.tar.gz",
        status: 200,
        bytes: Some(770_000),
    },
    Entry {
        host: "10.0.0.3",
        path: "/missing",
        status: 404,
        bytes: None,
    },
    Entry {
        host: "10.0.0.2",
        path: "/ply/ply-3.4.tar.gz",
        status: 200,
        bytes: Some(770_000),
    },
    Entry {
        host: "10.0.0.4",
        path: "/old.html",
        status: 404,
        bytes: Some(10),
    },
    Entry {
        host: "10.0.0.1",
        path: "/robots.txt",
        status: 304,
        bytes: None,
    },
    Entry {
        host: "10.0.0.5",
        path: "/ply/ply-2.5.tar.gz",
        status: 200,
        bytes: Some(990_001),
    },
    Entry {
        host: "10.0.0.6",
        path: "/missing",
        status: 404,
        bytes: Some(7),
    },
    Entry {
        host: "10.0.0.7",
        path: "/ply/index.html",
        status: 200,
        bytes: Some(3_000),
    },
    Entry {
        host: "10.0.0.8",
        path: "/robots.txt",
        status: 200,
        bytes: Some(120),
    },
];

/// The hand-written log, in two files, plus a file the glob must skip.
fn small() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("logrill-course-small-")
            .tempdir()
            .unwrap()
            .keep();
        for (name, part) in [
            ("access-log.1", &ENTRIES[..5]),
            ("access-log", &ENTRIES[5..]),
        ] {
            let mut f = std::fs::File::create(dir.join(name)).unwrap();
            for e in part {
                let bytes = e.bytes.map_or("-".into(), |b| b.to_string());
                writeln!(
                    f,
                    "{} - - [01/Jan/2023:00:00:00 +0000] \"GET {} HTTP/1.0\" {} {bytes}",
                    e.host, e.path, e.status
                )
                .unwrap();
            }
        }
        std::fs::write(
            dir.join("error-log"),
            "10.9.9.9 /robots.txt ply-1.0.tar.gz 404\n",
        )
        .unwrap();
        dir
    })
}

#[test]
fn course_404_pull_and_push_give_the_404_paths() {
    let pulled = course_404::pulled(small()).unwrap();
    assert_eq!(pulled, course_404::pushed(small()).unwrap());
    assert_eq!(
        pulled,
        vec![("/missing".to_string(), 2), ("/old.html".to_string(), 1)]
    );
    // On the generated tree (all codecs): as many 404s as the generator wrote.
    let (dir, truth) = tree();
    let pulled = course_404::pulled(dir).unwrap();
    assert_eq!(pulled, course_404::pushed(dir).unwrap());
    let total: i64 = pulled.iter().map(|(_, n)| n).sum();
    assert_eq!(total as u64, truth.counts.status_counts[&404]);
}

#[test]
fn course_largest_gives_the_largest_transfer() {
    assert_eq!(
        course_largest::largest(small()).unwrap(),
        Some((990_001, "GET /ply/ply-2.5.tar.gz HTTP/1.0".to_string()))
    );
    let (dir, truth) = tree();
    let max = truth.counts.max_bytes.map(|b| b as i64);
    assert_eq!(course_largest::max_bytes(dir).unwrap(), max);
    assert_eq!(course_largest::largest(dir).unwrap().map(|(b, _)| b), max);
}

#[test]
fn course_hosts_gives_every_host() {
    let want: BTreeSet<String> = ENTRIES.iter().map(|e| e.host.to_string()).collect();
    assert_eq!(course_hosts::hosts(small()).unwrap(), want);
    assert_eq!(
        course_hosts::how_many(small()).unwrap(),
        Some(want.len() as i64)
    );
    let (dir, _) = tree();
    let hosts = course_hosts::hosts(dir).unwrap();
    assert_eq!(
        course_hosts::how_many(dir).unwrap(),
        Some(hosts.len() as i64)
    );
}

#[test]
fn course_robots_gives_the_hosts_that_asked() {
    let want: BTreeSet<&str> = ENTRIES
        .iter()
        .filter(|e| e.path == "/robots.txt")
        .map(|e| e.host)
        .collect();
    assert_eq!(
        course_robots::robots(small()).unwrap(),
        want.into_iter().map(String::from).collect::<Vec<_>>()
    );
}

#[test]
fn course_ply_counts_downloads_pulled_and_pushed() {
    let ply: Vec<&Entry> = ENTRIES
        .iter()
        .filter(|e| e.path.contains("ply-") && e.path.ends_with(".gz"))
        .collect();
    let hosts: BTreeMap<&str, ()> = ply.iter().map(|e| (e.host, ())).collect();
    let want = (ply.len() as i64, hosts.len() as i64);
    assert_eq!(want, (3, 2));
    assert_eq!(course_ply::pulled(small()).unwrap(), want);
    assert_eq!(course_ply::pushed(small()).unwrap(), want);
}
