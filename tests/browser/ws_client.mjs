#!/usr/bin/env node
// A scripted WebSocket client on the npm `ws` package, for tidecast's integration tests.
//
//   node ws_client.mjs --url ws://127.0.0.1:8080/ws --actions '[...]' [--no-auto-pong]
//                      [--timeout-ms 10000]
//
// Runs the actions in order, records everything the server does, and prints one JSON line:
//   {"opened":true,"events":[{"t":12,"kind":"message","binary":false,"data":"..."},
//    {"kind":"ping","data":""},{"kind":"pong","data":"p"},{"kind":"close","code":1000,
//    "reason":"..."}],"error":null}
// (binary data in base64). Actions:
//   {"send": "text"}                      a text message
//   {"sendBinary": "base64"}              a binary message
//   {"sendRaw": "base64"}                 a text frame carrying these bytes (not checked)
//   {"fragment": "text", "fin": false}    one fragment of a text message (fin true ends it)
//   {"ping": "data"}                      a ping
//   {"wait": "message"|"pong"|"ping"|"close", "count": 1, "ms": 5000}
//                                         waits until that many such events were seen in all
//   {"sleep": 100}
//   {"close": [code, "reason"]}           starts the close handshake
// The process exits 0 once the actions ran (and, after a close action, the close completed),
// whatever the server did: the test judges the events.
import WebSocket from 'ws';

function parseArgs(argv) {
  const args = { actions: [], autoPong: true, timeoutMs: 10000 };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--url') args.url = argv[++i];
    else if (a === '--actions') args.actions = JSON.parse(argv[++i]);
    else if (a === '--no-auto-pong') args.autoPong = false;
    else if (a === '--timeout-ms') args.timeoutMs = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.url) throw new Error('--url is required');
  return args;
}

const args = parseArgs(process.argv);
const started = Date.now();
const result = { opened: false, events: [], error: null };
const waiters = [];

function record(event) {
  result.events.push({ t: Date.now() - started, ...event });
  for (const w of [...waiters]) w();
}

function count(kind) {
  return result.events.filter((e) => e.kind === kind).length;
}

function waitFor(kind, n, ms) {
  return new Promise((resolve) => {
    const check = () => {
      if (count(kind) >= n) {
        waiters.splice(waiters.indexOf(check), 1);
        clearTimeout(timer);
        resolve(true);
      }
    };
    const timer = setTimeout(() => {
      waiters.splice(waiters.indexOf(check), 1);
      resolve(false);
    }, ms);
    waiters.push(check);
    check();
  });
}

const ws = new WebSocket(args.url, { autoPong: args.autoPong, perMessageDeflate: false });
ws.on('open', () => { result.opened = true; });
ws.on('message', (data, isBinary) => {
  record({ kind: 'message', binary: isBinary,
           data: isBinary ? Buffer.from(data).toString('base64') : data.toString('utf8') });
});
ws.on('ping', (data) => record({ kind: 'ping', data: data.toString('utf8') }));
ws.on('pong', (data) => record({ kind: 'pong', data: data.toString('utf8') }));
ws.on('close', (code, reason) => record({ kind: 'close', code, reason: reason.toString('utf8') }));
ws.on('error', (err) => { result.error = String(err.message || err); record({ kind: 'error' }); });
ws.on('unexpected-response', (req, res) => {
  result.error = `HTTP ${res.statusCode}`;
  record({ kind: 'close', code: 0, reason: `HTTP ${res.statusCode}` });
});

const deadline = setTimeout(() => {
  result.error = result.error || 'timeout';
  finish();
}, args.timeoutMs);

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  clearTimeout(deadline);
  // Exit only once the line is written: a pipe takes large writes asynchronously.
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
}

function sendAsync(data, options) {
  return new Promise((resolve) => ws.send(data, options, () => resolve()));
}

async function run() {
  const opened = await new Promise((resolve) => {
    if (ws.readyState === WebSocket.OPEN) resolve(true);
    ws.once('open', () => resolve(true));
    ws.once('close', () => resolve(false));
    ws.once('error', () => resolve(false));
  });
  if (!opened) return finish();
  for (const action of args.actions) {
    if (ws.readyState !== WebSocket.OPEN && !('wait' in action) && !('sleep' in action)) break;
    if ('send' in action) await sendAsync(action.send, { binary: false });
    else if ('sendBinary' in action) await sendAsync(Buffer.from(action.sendBinary, 'base64'), { binary: true });
    else if ('sendRaw' in action) await sendAsync(Buffer.from(action.sendRaw, 'base64'), { binary: false });
    else if ('fragment' in action) await sendAsync(action.fragment, { binary: false, fin: action.fin !== false });
    else if ('ping' in action) ws.ping(action.ping);
    else if ('wait' in action) await waitFor(action.wait, action.count || 1, action.ms || 5000);
    else if ('sleep' in action) await new Promise((r) => setTimeout(r, action.sleep));
    else if ('close' in action) {
      ws.close(action.close[0], action.close[1] || '');
      await waitFor('close', 1, 5000);
    }
  }
  finish();
}

run().catch((err) => {
  result.error = String(err && err.stack || err);
  finish();
});
