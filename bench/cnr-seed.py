"""Seeds the reference server's filesystem store for the growth scenarios, in process.

Reads `namespace/name<TAB>release<TAB>base64 .tgz` lines on stdin (bench/run.ts writes the same
archives it would push) and stores each with the code the reference's push route runs
(cnr/api/registry.py `push`): `Blob(package, b64)` then `cnr.api.impl.registry.push(package,
release, "helm", blob, False, Package)` on the filesystem models, so the files written
(blob, the package's releases.json, the global packages.json, lock files) are the ones an HTTP
push writes. Only Flask and gunicorn are skipped. Run with the venv's python, DATABASE_URL=<dir>
and CNR_DB_CLASS as the server gets them (the store must not be served meanwhile).
Prints `SEEDCHUNK {...}` per 1000 lines and `SEEDDONE {...}` on stdout.

CNR_SEED_COALESCE=1 (the bench's default): the JSON index files (releases.json of each package,
packages.json) are kept in memory between pushes and written once at the end, with the content
the reference's own code built push after push. Each push otherwise re-reads and rewrites its
package's whole releases.json, which makes seeding one package of 10,000 releases quadratic
(hours); the files in the store at the end are the same. Blobs and lock files are written per
push as usual. CNR_SEED_COALESCE=0 writes every intermediate file, as HTTP pushes do.
"""
import json
import os
import sys
import time

import cnr.api.impl.registry
from cnr.models import Blob, Package  # the classes cnr/api/registry.py uses (CNR_DB_CLASS)
from cnr.models.kv.models_index_base import ModelsIndexBase

COALESCE = os.getenv("CNR_SEED_COALESCE", "1") == "1"
_pending = {}
_orig_fetch_data = ModelsIndexBase._fetch_data
_orig_write_data = ModelsIndexBase._write_data


def _fetch_data(self, key):
    if key in _pending:
        return _pending[key]  # the same object the next push mutates and "writes" again
    return _orig_fetch_data(self, key)


def _write_data(self, key, data):
    _pending[key] = data


def flush():
    index = Package.index_class(None)
    for key, data in _pending.items():
        _orig_write_data(index, key, data)
    _pending.clear()


if COALESCE:
    ModelsIndexBase._fetch_data = _fetch_data
    ModelsIndexBase._write_data = _write_data


def main():
    done = failed = 0
    last_error = ""
    chunk_start = time.time()
    chunk_from = 0
    n = 0
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        package, release, b64 = line.split("\t", 2)
        try:
            blob = Blob(package, b64)
            cnr.api.impl.registry.push(package, release, "helm", blob, False, Package, metadata=None)
            done += 1
        except Exception as e:  # counted, as the HTTP seeding counts a failed push
            failed += 1
            last_error = "%s@%s: %r" % (package, release, e)
        n += 1
        if n % 1000 == 0:
            now = time.time()
            print("SEEDCHUNK " + json.dumps({"from": chunk_from, "to": n, "seconds": now - chunk_start}), flush=True)
            chunk_from, chunk_start = n, now
    flush_start = time.time()
    if COALESCE:
        flush()
    if n % 1000:
        print("SEEDCHUNK " + json.dumps({"from": chunk_from, "to": n, "seconds": time.time() - chunk_start}), flush=True)
    print("SEEDDONE " + json.dumps({"done": done, "failed": failed, "lastError": last_error, "coalesced": COALESCE,
                                    "flushSeconds": time.time() - flush_start}), flush=True)


if __name__ == "__main__":
    main()
