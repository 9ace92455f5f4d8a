// web_chat_browser.js - drives the chat page of samples/web in headless
// Chromium (Debian's /usr/bin/chromium, through playwright-core): two tabs
// of one browser open the page, each sends a message, and both logs must
// end up showing both messages. Prints one JSON object on stdout:
//   {"a": [...], "b": [...], "assets": {"<path>": "<content-type>"},
//    "errors": [...]}
// and exits 0, or prints why and exits 1 (Chromium missing or unable to
// start included: the caller must fail, never skip).
//
//   node web_chat_browser.js http://127.0.0.1:PORT/
// IWS_CHROMIUM overrides the browser's path.
'use strict';
const { chromium } = require('playwright-core');

const url = process.argv[2];
const executablePath = process.env.IWS_CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = 30000; // an upper bound for each step, not a measurement

async function messages(page) {
  return page.$$eval('#log li.message', (items) => items.map((li) => li.textContent));
}

async function waitForMessages(page, n) {
  await page.waitForFunction(
    (count) => document.querySelectorAll('#log li.message').length >= count,
    n, { timeout: WAIT_MS });
}

async function say(page, name, text) {
  await page.fill('#name', name);
  await page.fill('#text', text);
  await page.click('#go');
}

async function main() {
  if (!url) throw new Error('usage: node web_chat_browser.js URL');
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    // root in a container: Chromium's sandbox needs user namespaces
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    timeout: WAIT_MS,
  });
  const errors = [];
  const assets = {};
  try {
    const context = await browser.newContext();
    const a = await context.newPage();
    const b = await context.newPage();
    for (const [tab, page] of [['a', a], ['b', b]]) {
      page.on('pageerror', (e) => errors.push(`${tab}: page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`${tab}: console: ${m.text()}`);
      });
      page.on('response', (r) => {
        const path = new URL(r.url()).pathname;
        if (tab === 'a') assets[path] = `${r.status()} ${r.headers()['content-type'] || ''}`;
      });
    }
    await a.goto(url, { waitUntil: 'load', timeout: WAIT_MS });
    await b.goto(url, { waitUntil: 'load', timeout: WAIT_MS });
    await a.waitForSelector('#status.open', { timeout: WAIT_MS });
    await b.waitForSelector('#status.open', { timeout: WAIT_MS });

    await say(a, 'alice', 'hello from tab A — é');
    await waitForMessages(a, 1);
    await waitForMessages(b, 1);
    await say(b, 'bob', 'hi from tab B 日本 🎉');
    await waitForMessages(a, 2);
    await waitForMessages(b, 2);
    const title = await a.title();
    process.stdout.write(JSON.stringify({
      title, a: await messages(a), b: await messages(b), assets, errors,
    }) + '\n');
  } finally {
    await browser.close();
  }
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`web_chat_browser: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
