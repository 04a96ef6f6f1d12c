// A webhook receiver for the e2e tests, run as a process of its own on 127.0.0.1 (a random
// port, printed as {"port": N} on stdout). It records every request per path and answers as the
// test configured that path: POST /_control/<path> {"fail": n, "status": s, "delayMs": d} makes
// the next n requests answer 500, then s (default 204), each after d ms (or a random delay up
// to d when "random": true). GET /_received/<path> returns what arrived, in arrival order, each
// with `answered`: whether its answer was written to a live connection, and the times it arrived
// (`at`) and was answered (`answeredAt`). POST /_outage {"ms": n} takes the receiver down: it
// stops listening (connections are refused) and closes every open connection, then listens on
// the same port again after n ms, keeping what it recorded.
import { createServer } from 'node:http';

const received = new Map();
const behaviour = new Map();

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.method === 'POST' && req.url === '/_outage') {
      const { ms } = JSON.parse(body);
      res.writeHead(204).end(() => {
        const port = server.address().port;
        server.close();
        server.closeAllConnections();
        setTimeout(() => server.listen(port, '127.0.0.1'), ms);
      });
      return;
    }
    if (req.method === 'POST' && req.url.startsWith('/_control/')) {
      behaviour.set(req.url.slice('/_control'.length), JSON.parse(body));
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET' && req.url.startsWith('/_received/')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(received.get(req.url.slice('/_received'.length)) ?? []));
      return;
    }
    const path = req.url;
    const b = behaviour.get(path) ?? {};
    const failing = (b.fail ?? 0) > 0;
    if (failing) b.fail -= 1;
    const status = failing ? 500 : (b.status ?? 204);
    const list = received.get(path) ?? [];
    received.set(path, list);
    const entry = { headers: req.headers, body, at: Date.now(), status, answered: false };
    list.push(entry);
    const delay = b.random ? Math.floor(Math.random() * (b.delayMs ?? 0)) : (b.delayMs ?? 0);
    setTimeout(() => {
      // A request whose sender went away before the answer was never acknowledged.
      entry.answered = !req.socket.destroyed;
      entry.answeredAt = Date.now();
      res.writeHead(status, { 'content-type': 'text/plain' }).end(failing ? 'receiver says no' : 'ok');
    }, delay);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
