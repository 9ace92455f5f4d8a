// node_ws_echo.js - Node's ws (the project's npm install, tests/node_modules)
// as an echo server for tests/bench/run.sh: every text or binary message
// goes back to its sender with the same opcode. No permessage-deflate.
//
//   node tests/bench/node_ws_echo.js PORT     prints "listening on port N"
'use strict';
const path = require('path');
const { WebSocketServer } = require(path.join(__dirname, '..', 'node_modules', 'ws'));

const port = Number(process.argv[2] || 0);
const wss = new WebSocketServer({ port, perMessageDeflate: false, backlog: 4096 });
wss.on('listening', () => {
  console.log(`listening on port ${wss.address().port}`);
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
const stop = () => { wss.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
