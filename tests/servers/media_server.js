// A real RTMP / HTTP-FLV / WS-FLV server for the tests: node-media-server on loopback.
//
//   node media_server.js RTMP_PORT HTTP_PORT
//
// Publishers push `rtmp://127.0.0.1:RTMP_PORT/live/NAME`; players read the same RTMP URL,
// `http://127.0.0.1:HTTP_PORT/live/NAME.flv` or `ws://127.0.0.1:HTTP_PORT/live/NAME.flv`, the
// forms ZLMediaKit hands out through GB/T 28181 platforms. Prints `READY` once both listen.
'use strict';
const net = require('net');
const NodeMediaServer = require('node-media-server');

const [rtmpPort, httpPort] = process.argv.slice(2).map(Number);
const server = new NodeMediaServer({
  logType: 0,
  rtmp: { port: rtmpPort, chunk_size: 60000, gop_cache: true, ping: 30, ping_timeout: 60 },
  http: { port: httpPort, allow_origin: '*', api: false },
});
server.run();

function listening(port) {
  return new Promise((resolve) => {
    const attempt = () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(); });
      socket.once('error', () => setTimeout(attempt, 50));
    };
    attempt();
  });
}

Promise.all([listening(rtmpPort), listening(httpPort)]).then(() => console.log('READY'));
process.on('SIGTERM', () => { server.stop(); process.exit(0); });
