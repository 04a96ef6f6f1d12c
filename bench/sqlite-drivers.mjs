// The embedded stores' SQLite work through each driver, paired in one process (ADR 0004):
//   node bench/sqlite-drivers.mjs [rounds] [drivers]       e.g. 7 better-sqlite3,node:sqlite
// Every round runs each operation on every driver (the order alternates round by round) on files
// of its own in a fresh temp dir; it prints each operation's median time per driver and the
// median of the per-round ratios to the first driver. BENCH_BS3=<path> loads better-sqlite3 from
// there (an older build, run by another node, for a cross-process comparison); a driver named
// `better-sqlite3@<dir>` loads that build beside the installed one, in the same process.
// The operations are the adapters' hot statements: the event log's append transaction
// (MAX(sequence) + INSERTs, synchronous=normal so the driver, not the disk, is measured; `fsync`
// repeats it with synchronous=full), a consumer's page read, point reads, the FTS5 search query
// with bm25, and a full iteration (replay).
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const rounds = Number(process.argv[2] ?? 7);
const names = (process.argv[3] ?? 'better-sqlite3,node:sqlite').split(',');

const drivers = {
  'better-sqlite3': () => {
    const Database = require(process.env.BENCH_BS3 ?? 'better-sqlite3');
    return (path, synchronous) => {
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous}`);
      return {
        exec: (sql) => db.exec(sql),
        prepare: (sql) => db.prepare(sql),
        tx: (fn) => db.transaction(fn).immediate(),
        close: () => db.close(),
      };
    };
  },
  'node:sqlite': () => {
    const { DatabaseSync } = require('node:sqlite');
    return (path, synchronous) => {
      const db = new DatabaseSync(path);
      db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous}`);
      return {
        exec: (sql) => db.exec(sql),
        prepare: (sql) => db.prepare(sql),
        tx: (fn) => {
          db.exec('BEGIN IMMEDIATE');
          try {
            const r = fn();
            db.exec('COMMIT');
            return r;
          } catch (e) {
            if (db.isTransaction) db.exec('ROLLBACK');
            throw e;
          }
        },
        close: () => db.close(),
      };
    };
  },
};

const envelope = JSON.stringify({
  type: 'ReleasePublished',
  data: {
    release: '1.2.3',
    mediaType: 'helm',
    digest: 'a'.repeat(64),
    size: 12345,
    metadata: { description: 'x'.repeat(300) },
  },
});
const words = [
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'india',
  'juliet',
  'kilo',
  'lima',
  'mike',
  'nginx',
  'redis',
  'postgres',
  'operator',
  'chart',
  'helm',
  'monitoring',
];
const word = (i) => words[(i * 7919) % words.length];

function setup(open, dir, synchronous) {
  const db = open(join(dir, 'bench.db'), synchronous);
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, package TEXT NOT NULL, sequence INTEGER NOT NULL, id TEXT NOT NULL UNIQUE, envelope TEXT NOT NULL, UNIQUE (package, sequence));
    CREATE TABLE packages (key TEXT PRIMARY KEY, doc TEXT NOT NULL);
    CREATE VIRTUAL TABLE search_fts USING fts5(namespace, name, description, keywords);`);
  return db;
}

let idSeq = 0;
const ops = {
  // 1000 appends of 3 events to 200 packages, each its own transaction.
  append: (db) => {
    const last = db.prepare('SELECT MAX(sequence) AS last FROM events WHERE package = ?');
    const insert = db.prepare('INSERT INTO events (package, sequence, id, envelope) VALUES (?, ?, ?, ?)');
    return () => {
      for (let i = 0; i < 1000; i++) {
        const pkg = `ns/p${i % 200}`;
        db.tx(() => {
          const seq = last.get(pkg).last ?? 0;
          for (let k = 1; k <= 3; k++) insert.run(pkg, seq + k, `e${idSeq++}`, envelope);
        });
      }
    };
  },
  // A consumer catching up: pages of 500 rows over the first 3000 events, 40 times.
  readPage: (db) => {
    const page = db.prepare('SELECT position, envelope FROM events WHERE position > ? ORDER BY position LIMIT ?');
    return () => {
      for (let r = 0; r < 40; r++) for (let after = 0; after < 3000; after += 500) page.all(after, 500);
    };
  },
  // 20000 reads of one package document by key.
  pointGet: (db) => {
    const ins = db.prepare('INSERT OR REPLACE INTO packages (key, doc) VALUES (?, ?)');
    db.tx(() => {
      for (let i = 0; i < 2000; i++) ins.run(`ns/p${i}`, envelope);
    });
    const get = db.prepare('SELECT doc FROM packages WHERE key = ?');
    return () => {
      for (let i = 0; i < 20000; i++) get.get(`ns/p${i % 2000}`);
    };
  },
  // 500 ranked searches over 5000 documents, 20 results each.
  fts: (db) => {
    const ins = db.prepare('INSERT INTO search_fts (namespace, name, description, keywords) VALUES (?, ?, ?, ?)');
    db.tx(() => {
      for (let i = 0; i < 5000; i++)
        ins.run(
          `ns${i % 50}`,
          `${word(i)}-${i}`,
          `${word(i + 1)} ${word(i + 2)} chart for ${word(i + 3)}`,
          word(i + 4),
        );
    });
    const q = db.prepare(
      'SELECT rowid, bm25(search_fts, 10.0, 2.0, 4.0, 1.0) AS rank FROM search_fts WHERE search_fts MATCH ? ORDER BY rank LIMIT 20',
    );
    return () => {
      for (let i = 0; i < 500; i++) q.all(`"${word(i)}"*`);
    };
  },
  // Every event, row by row, 20 times (a replay reads the log this way).
  iterate: (db) => {
    const all = db.prepare('SELECT position, envelope FROM events ORDER BY position');
    return () => {
      let n = 0;
      for (let r = 0; r < 20; r++) for (const _row of all.iterate()) n++;
      return n;
    };
  },
};

function measure(open, synchronous, only) {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-sqlite-bench-'));
  try {
    const db = setup(open, dir, synchronous);
    const out = {};
    for (const [name, make] of Object.entries(ops)) {
      if (only && !only.includes(name)) continue;
      const run = make(db);
      const t0 = process.hrtime.bigint();
      run();
      out[name] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
    db.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// `better-sqlite3@<dir>`: another build of better-sqlite3, beside the installed one.
const driver = (name) => {
  const at = /^better-sqlite3@(.+)$/.exec(name);
  if (!at) return drivers[name]();
  process.env.BENCH_BS3 = at[1];
  const open = drivers['better-sqlite3']();
  delete process.env.BENCH_BS3;
  return open;
};
const opened = Object.fromEntries(names.map((n) => [n, driver(n)]));
const cases = [
  ['normal', null],
  ['full', ['append']],
];
const results = {}; // results[case][driver][op] = [ms per round]
for (let r = 0; r < rounds + 1; r++) {
  const order = r % 2 ? [...names].reverse() : names;
  for (const [sync, only] of cases) {
    for (const name of order) {
      const m = measure(opened[name], sync, only);
      if (r === 0) continue; // warm-up round
      for (const [op, ms] of Object.entries(m)) (((results[sync] ??= {})[name] ??= {})[op] ??= []).push(ms);
    }
  }
}

console.log(
  `node ${process.version}, ${rounds} rounds (+1 warm-up); ms per operation batch, median [min-max]; ratio = median of per-round ratios to ${names[0]}`,
);
for (const [sync, byDriver] of Object.entries(results)) {
  for (const op of Object.keys(byDriver[names[0]])) {
    const label = sync === 'full' ? `${op} (synchronous=full)` : op;
    const cells = names.map((n) => {
      const xs = byDriver[n][op];
      const ratio = median(xs.map((x, i) => x / byDriver[names[0]][op][i]));
      return `${n} ${median(xs).toFixed(1)} [${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}]${n === names[0] ? '' : ` x${ratio.toFixed(2)}`}`;
    });
    console.log(`${label.padEnd(28)} ${cells.join('   ')}`);
  }
}
