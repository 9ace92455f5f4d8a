#!/usr/bin/env node
// node_client.js <url> <scenario>
//
// Drives ws_test_server with the Node `ws` client (tests/node_modules).
// Exits 0 when the scenario passes, 1 with a message on stderr otherwise.
// Scenarios: echo, fragments, close, ping, many; deflate, deflate-takeover
// (permessage-deflate offered; IWS_DEFLATE_EXPECT: the extension the server
// must answer with, or 'none').
// For wss:// URLs, IWS_CA names the PEM file of the CA to trust.
'use strict';

const WebSocket = require('ws');
const crypto = require('crypto');
const fs = require('fs');

const TLS = process.env.IWS_CA ? { ca: fs.readFileSync(process.env.IWS_CA) } : {};

const MIB = 1024 * 1024;
const STEP_MS = 30000;

const [url, scenario] = process.argv.slice(2);
if (!url || !scenario) {
  console.error('usage: node_client.js <url> <scenario>');
  process.exit(2);
}

function fail(message) {
  console.error(`FAIL ${scenario}: ${message}`);
  process.exit(1);
}

const overall = setTimeout(() => fail('scenario timed out after 120 s'), 120000);

// A connection with a queue of received messages.
class Client {
  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.waiters = [];
    this.closed = null;
    this.closeWaiters = [];
    ws.on('message', (data, isBinary) => {
      const item = { data, isBinary };
      const w = this.waiters.shift();
      if (w) w.resolve(item);
      else this.queue.push(item);
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.waiters.splice(0)) {
        w.reject(new Error(`connection closed (${code}) while waiting`));
      }
      for (const w of this.closeWaiters.splice(0)) w(this.closed);
    });
    ws.on('error', (err) => {
      for (const w of this.waiters.splice(0)) w.reject(err);
    });
  }

  static open(target, perMessageDeflate = false) {
    return withTimeout(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(target, {
          maxPayload: 64 * MIB,
          perMessageDeflate,
          ...TLS,
        });
        ws.once('open', () => resolve(new Client(ws)));
        ws.once('error', reject);
      }),
      STEP_MS,
      'open',
    );
  }

  next(what = 'message') {
    const item = this.queue.shift();
    if (item) return Promise.resolve(item);
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return withTimeout(
      new Promise((resolve, reject) => this.waiters.push({ resolve, reject })),
      STEP_MS,
      what,
    );
  }

  send(data, options = {}) {
    return new Promise((resolve, reject) =>
      this.ws.send(data, options, (err) => (err ? reject(err) : resolve())),
    );
  }

  async ask(data, options) {
    await this.send(data, options);
    return this.next('reply');
  }

  waitClosed() {
    if (this.closed) return Promise.resolve(this.closed);
    return withTimeout(
      new Promise((resolve) => this.closeWaiters.push(resolve)),
      STEP_MS,
      'close',
    );
  }

  close(code = 1000, reason = '') {
    this.ws.close(code, reason);
    return this.waitClosed();
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

function textOf(size) {
  return '0123456789abcdef'.repeat(Math.ceil(size / 16) + 1).slice(0, size);
}

// Echo round trips with permessage-deflate offered by ws (its own
// compression of every message: threshold 0).
async function deflateEcho(options) {
  const c = await Client.open(url, { threshold: 0, ...options });
  const ext = c.ws.extensions;
  const want = process.env.IWS_DEFLATE_EXPECT || 'permessage-deflate';
  if (want === 'none') {
    expect(ext === '', `extensions negotiated: '${ext}', expected none`);
  } else {
    expect(ext.startsWith(want), `extensions '${ext}', expected '${want}...'`);
  }
  for (const size of [0, 1, 125, 126, 65535, 65536, MIB, 16 * MIB]) {
    const text = textOf(size);
    let got = await c.ask(text);
    expect(!got.isBinary && got.data.toString('utf8') === text,
      `deflate text echo of ${size} bytes differs`);
    const bin = crypto.randomBytes(size);
    got = await c.ask(bin);
    expect(got.isBinary && Buffer.compare(got.data, bin) === 0,
      `deflate binary echo of ${size} bytes differs`);
  }
  // repeats: context takeover (if negotiated) carries across messages
  for (let i = 0; i < 50; i++) {
    const msg = `{"seq":${i},"payload":"${textOf(300)}"}`;
    const got = await c.ask(msg);
    expect(got.data.toString() === msg, `repeat ${i} differs`);
  }
  const uni = 'héllo wörld ✓ 🚀'.repeat(20);
  const got = await c.ask(uni);
  expect(got.data.toString('utf8') === uni, 'non-ASCII text differs');
  const closed = await c.close(1000);
  expect(closed.code === 1000, `close code ${closed.code}`);
}

const scenarios = {
  async deflate() {
    await deflateEcho({});
  },

  async 'deflate-takeover'() {
    await deflateEcho({ serverNoContextTakeover: false, clientNoContextTakeover: false });
  },

  async 'deflate-small-windows'() {
    await deflateEcho({ serverMaxWindowBits: 10, clientMaxWindowBits: 9 });
  },

  async echo() {
    const c = await Client.open(url);
    for (const size of [0, 1, 125, 126, 65535, 65536, MIB, 16 * MIB]) {
      const text = textOf(size);
      let got = await c.ask(text);
      expect(!got.isBinary, `text ${size}: came back binary`);
      expect(got.data.toString('utf8') === text, `text echo of ${size} bytes differs`);
      const bin = crypto.randomBytes(size);
      got = await c.ask(bin);
      expect(got.isBinary, `binary ${size}: came back as text`);
      expect(Buffer.compare(got.data, bin) === 0, `binary echo of ${size} bytes differs`);
    }
    const uni = 'héllo wörld ✓ 🚀';
    const got = await c.ask(uni);
    expect(got.data.toString('utf8') === uni, 'non-ASCII text differs');
    const closed = await c.close(1000);
    expect(closed.code === 1000, `close code ${closed.code}`);
  },

  async fragments() {
    const c = await Client.open(url);
    // text in three fragments
    await c.send('alpha-', { fin: false });
    await c.send('beta-', { fin: false });
    await c.send('gamma ✓', { fin: true });
    let got = await c.next();
    expect(!got.isBinary && got.data.toString('utf8') === 'alpha-beta-gamma ✓',
      `text fragments: got ${got.data.toString('utf8').slice(0, 60)}`);
    // binary in fragments, one of them large
    const parts = [crypto.randomBytes(10), crypto.randomBytes(200000), crypto.randomBytes(1)];
    for (let i = 0; i < parts.length; i++) {
      await c.send(parts[i], { binary: true, fin: i === parts.length - 1 });
    }
    got = await c.next();
    expect(got.isBinary && Buffer.compare(got.data, Buffer.concat(parts)) === 0,
      'binary fragments differ');
    // a ping between fragments does not disturb the message
    await c.send('one-', { fin: false });
    c.ws.ping('mid');
    await c.send('two', { fin: true });
    got = await c.next();
    expect(got.data.toString('utf8') === 'one-two', 'fragments around a ping');
    await c.close(1000);
  },

  async close() {
    const c = await Client.open(url);
    const got = await c.ask('before close');
    expect(got.data.toString() === 'before close', 'echo before close');
    const closed = await c.close(4000, 'node-bye');
    expect(closed.code === 4000, `client saw close code ${closed.code}, expected 4000`);
    // server-initiated close with a reason
    const d = await Client.open(url);
    await d.send('cmd:close 4001 bye');
    const closed2 = await d.waitClosed();
    expect(closed2.code === 4001 && closed2.reason === 'bye',
      `server close: ${closed2.code} ${closed2.reason}`);
  },

  async ping() {
    const c = await Client.open(url);
    for (const payload of ['', 'abc', 'x'.repeat(125)]) {
      const pong = withTimeout(
        new Promise((resolve) => c.ws.once('pong', resolve)),
        STEP_MS,
        'pong',
      );
      c.ws.ping(payload);
      const data = await pong;
      expect(data.toString() === payload, `pong payload ${data.toString()}`);
    }
    // the server's ping (ws answers it by itself)
    const serverPing = withTimeout(
      new Promise((resolve) => c.ws.once('ping', resolve)),
      STEP_MS,
      'server ping',
    );
    const got = await c.ask('cmd:ping');
    expect(got.data.toString() === 'ping-rc 0', `cmd:ping: ${got.data.toString()}`);
    const data = await serverPing;
    expect(data.toString() === 'hb', `server ping payload ${data.toString()}`);
    await c.close(1000);
  },

  async many() {
    const n = 200;
    const clients = await Promise.all(Array.from({ length: n }, () => Client.open(url)));
    await Promise.all(clients.map(async (c, i) => {
      for (let j = 0; j < 5; j++) {
        const msg = `node ${i} ${j}`;
        const got = await c.ask(msg);
        expect(got.data.toString() === msg, `client ${i}: ${got.data.toString()}`);
      }
    }));
    const closes = await Promise.all(clients.map((c) => c.close(1000)));
    expect(closes.every((x) => x.code === 1000), 'every close echoed 1000');
  },
};

async function main() {
  const run = scenarios[scenario];
  if (!run) fail(`unknown scenario (known: ${Object.keys(scenarios).join(', ')})`);
  try {
    await run();
  } catch (err) {
    fail(err && err.stack ? err.stack : String(err));
  }
  clearTimeout(overall);
  console.log(`OK ${scenario}`);
  process.exit(0);
}

main();
