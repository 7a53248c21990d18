/** Tries every way out of the network fence and prints what each attempt ended with (one JSON object). */
"use strict";
const net = require("node:net");
const tls = require("node:tls");
const http = require("node:http");
const dns = require("node:dns");
const dgram = require("node:dgram");

const code = (err) => (err && (err.code ?? err.cause?.code ?? err.cause?.cause?.code)) || (err ? String(err) : null);
const settle = (p) => p.then(() => "connected", (err) => code(err));
const socketResult = (socket) => new Promise((resolve) => {
  socket.once("connect", () => (socket.destroy(), resolve("connected")));
  socket.once("secureConnect", () => (socket.destroy(), resolve("connected")));
  socket.once("error", (err) => resolve(code(err)));
});

(async () => {
  const server = http.createServer((_req, res) => res.end("loopback-ok"));
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const port = server.address().port;
  const out = {};
  out.tcpPrivate = await socketResult(net.connect({ host: "10.255.255.1", port: 9 }));
  out.tcpPortHost = await socketResult(net.connect(9, "192.0.2.1"));
  out.tlsMetadata = await socketResult(tls.connect({ host: "169.254.169.254", port: 443 }));
  out.tcpName = await socketResult(net.connect({ host: "example.com", port: 80 }));
  out.fetchMetadata = await settle(fetch("http://169.254.169.254/latest/meta-data/"));
  out.fetchName = await settle(fetch("https://example.com/"));
  out.dnsLookup = await new Promise((r) => dns.lookup("example.com", (err) => r(code(err))));
  out.dnsPromises = await settle(dns.promises.lookup("example.org"));
  out.dnsResolve = await settle(dns.promises.resolve4("example.net"));
  out.injectedLookup = await new Promise((r) => {
    const req = http.get({ host: "rebind.invalid", port: 80, lookup: (_h, o, cb) => (o.all ? cb(null, [{ address: "10.0.0.1", family: 4 }]) : cb(null, "10.0.0.1", 4)) });
    req.on("response", () => r("connected"));
    req.on("error", (err) => r(code(err)));
  });
  out.udp = await new Promise((r) => {
    const s = dgram.createSocket("udp4");
    s.send(Buffer.from("x"), 53, "8.8.8.8", (err) => (s.close(), r(code(err) ?? "sent")));
  });
  out.loopbackFetch = await (await fetch(`http://127.0.0.1:${port}/`)).text();
  out.localhostFetch = await (await fetch(`http://localhost:${port}/`)).text();
  server.close();
  process.stdout.write(JSON.stringify(out));
})();
