#!/usr/bin/env python3
"""The seed's generator pipeline in Python 3, for bench/compare.sh when the shared reference
is not at hand. Usage: beazley_seed.py PATTERN FILEPAT TOPDIR -> prints 'Total N'.
Lines whose last field is neither '-' nor an integer are skipped (the seed's code would raise)."""
import bz2, fnmatch, gzip, os, re, sys

def gen_find(filepat, top):
    for path, dirlist, filelist in os.walk(top):
        for name in fnmatch.filter(filelist, filepat):
            yield os.path.join(path, name)

def gen_open(filenames):
    for name in filenames:
        if name.endswith(".gz"):
            yield gzip.open(name, "rt", errors="surrogateescape")
        elif name.endswith(".bz2"):
            yield bz2.open(name, "rt", errors="surrogateescape")
        else:
            yield open(name, errors="surrogateescape")

def gen_cat(sources):
    for s in sources:
        yield from s

def gen_grep(pat, lines):
    patc = re.compile(pat)
    return (line for line in lines if patc.search(line))

pat, filepat, top = sys.argv[1:4]
lines = gen_grep(pat, gen_cat(gen_open(gen_find(filepat, top))))
bytecolumn = (l.rsplit(None, 1)[1] for l in lines if len(l.split(None, 1)) > 1)
print("Total", sum(int(x) for x in bytecolumn if x != "-" and x.isdigit()))
