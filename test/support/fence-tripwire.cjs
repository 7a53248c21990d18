/**
 * Loaded BEFORE fence.cjs by the fence's own test only: it sits below the fence, so anything the
 * fence lets through is caught here and recorded in TIDEMARK_TRIPWIRE_LOG, and still never sent.
 */
"use strict";
const fs = require("node:fs");
const net = require("node:net");
const dns = require("node:dns");
const dgram = require("node:dgram");

const LOG = process.env.TIDEMARK_TRIPWIRE_LOG;
const loop = (a) => typeof a === "string" && (a.startsWith("127.") || a === "::1" || a === "localhost");
function leak(what) {
  fs.appendFileSync(LOG, `${JSON.stringify(what)}\n`);
  const err = new Error(`tripwire: ${what} got past the fence`);
  err.code = "ETRIPWIRE";
  return err;
}

dns.lookup = (host, _o, cb) => process.nextTick(() => (typeof _o === "function" ? _o : cb)(leak(`dns ${host}`)));
const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  let options = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof options !== "object") options = { port: args[0], host: typeof args[1] === "string" ? args[1] : "localhost" };
  if (options.path) return realConnect.apply(this, args);
  const host = String(options.host ?? "localhost");
  if (net.isIP(host) !== 0 && !loop(host)) {
    const err = leak(`connect ${host}`);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  const given = options.lookup ?? dns.lookup;
  const checked = { ...options, lookup: (h, o, cb) => given(h, o, (e, a, f) => {
    if (e) return cb(e);
    const list = Array.isArray(a) ? a : [{ address: a }];
    if (list.some((x) => !loop(x.address))) return cb(leak(`answer ${h}`));
    return cb(null, a, f);
  }) };
  const rest = Array.isArray(args[0]) ? [args[0][1]].filter(Boolean) : args.slice(1).filter((x) => typeof x === "function");
  return realConnect.call(this, checked, ...rest);
};
const realSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function (...args) {
  const address = args.find((a, i) => i > 0 && typeof a === "string");
  if (address !== undefined && !loop(address)) {
    const cb = args.find((a) => typeof a === "function");
    const err = leak(`udp ${address}`);
    if (cb) process.nextTick(() => cb(err));
    return;
  }
  return realSend.apply(this, args);
};
