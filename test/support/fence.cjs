/**
 * Network fence for security tests, preloaded with NODE_OPTIONS="--require <this file>" into every
 * worker and CLI process of a test. It refuses, before anything is sent:
 *   - any TCP/TLS connect (net.Socket#connect, so also http, https, fetch/undici, the AWS SDK) whose
 *     target is not a loopback address;
 *   - any DNS question for a name other than "localhost" (dns.lookup, dns.promises, dns.resolve*),
 *     and any lookup answer (also from an injected `lookup` option) that is not loopback;
 *   - any UDP send/connect to a non-loopback address.
 * Each refusal is appended as one JSON line to the file named by TIDEMARK_FENCE_LOG, so the test sees
 * it and fails, and the caller gets an EFENCE error. Unix sockets are allowed.
 */
"use strict";
const fs = require("node:fs");
const net = require("node:net");
const dns = require("node:dns");
const dgram = require("node:dgram");

const LOG = process.env.TIDEMARK_FENCE_LOG;

function isLoopback(address) {
  if (typeof address !== "string") return false;
  const bare = address.replace(/^\[(.*)\]$/, "$1");
  if (net.isIPv4(bare)) return bare.startsWith("127.");
  if (net.isIPv6(bare)) return bare === "::1" || /^::ffff:127\./i.test(bare);
  return false;
}

function record(kind, target) {
  const line = JSON.stringify({ pid: process.pid, kind, target: String(target) });
  if (LOG) fs.appendFileSync(LOG, `${line}\n`);
  const err = new Error(`network fence: refused ${kind} to ${target} (tests may only reach loopback)`);
  err.code = "EFENCE";
  return err;
}

/** A lookup answer only when every address is loopback. */
function fencedLookup(inner) {
  return function lookup(hostname, options, callback) {
    if (typeof options === "function") {
      callback = options;
      options = {};
    }
    const opts = typeof options === "number" ? { family: options } : options || {};
    const answer = (err, address, family) => {
      if (err) return callback(err);
      const list = Array.isArray(address) ? address : [{ address, family }];
      const bad = list.find((a) => !isLoopback(a.address));
      if (bad) return callback(record("dns-answer", `${hostname} -> ${bad.address}`));
      return callback(null, address, family);
    };
    if (inner) return inner(hostname, opts, answer);
    if (isLoopback(hostname)) return opts.all ? answer(null, [{ address: hostname.replace(/^\[(.*)\]$/, "$1"), family: net.isIPv6(hostname) ? 6 : 4 }]) : answer(null, hostname, net.isIPv6(hostname) ? 6 : 4);
    if (hostname === "localhost") return opts.all ? answer(null, [{ address: "127.0.0.1", family: 4 }]) : answer(null, "127.0.0.1", 4);
    return process.nextTick(() => callback(record("dns-question", hostname)));
  };
}

const baseLookup = fencedLookup(null);
dns.lookup = baseLookup;
dns.promises.lookup = (hostname, options) =>
  new Promise((resolve, reject) => baseLookup(hostname, options || {}, (err, address, family) => (err ? reject(err) : resolve(Array.isArray(address) ? address : { address, family }))));
for (const name of Object.keys(dns)) {
  if (/^resolve/.test(name) && typeof dns[name] === "function") {
    dns[name] = (hostname, ...rest) => {
      const cb = rest.find((r) => typeof r === "function");
      const err = record("dns-question", hostname);
      if (cb) process.nextTick(() => cb(err));
    };
  }
}
for (const name of Object.keys(dns.promises)) {
  if (/^resolve/.test(name) && typeof dns.promises[name] === "function") dns.promises[name] = async (hostname) => Promise.reject(record("dns-question", hostname));
}
if (dns.Resolver) {
  for (const name of Object.getOwnPropertyNames(dns.Resolver.prototype)) {
    if (/^resolve/.test(name)) dns.Resolver.prototype[name] = function (hostname, ...rest) {
      const cb = rest.find((r) => typeof r === "function");
      const err = record("dns-question", hostname);
      if (cb) process.nextTick(() => cb(err));
    };
  }
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function fencedConnect(...args) {
  let options = args[0];
  if (Array.isArray(options)) {
    const [first, cb] = options;
    options = { ...first };
    args = typeof cb === "function" ? [options, cb] : [options];
  } else if (typeof options !== "object" || options === null) {
    const port = args[0];
    const host = typeof args[1] === "string" ? args[1] : "localhost";
    options = { port, host };
    args = [options, ...args.slice(typeof args[1] === "string" ? 2 : 1)];
  } else {
    options = { ...options };
    args = [options, ...args.slice(1)];
  }
  if (options.path) return connect.apply(this, args);
  const host = options.host ?? "localhost";
  if (net.isIP(String(host).replace(/^\[(.*)\]$/, "$1")) !== 0 && !isLoopback(host)) {
    const err = record("connect", `${host}:${options.port}`);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  options.lookup = fencedLookup(options.lookup);
  return connect.apply(this, args);
};

for (const method of ["send", "connect"]) {
  const original = dgram.Socket.prototype[method];
  dgram.Socket.prototype[method] = function fencedUdp(...args) {
    const address = args.find((a, i) => i > 0 && typeof a === "string");
    if (address !== undefined && !isLoopback(address) && address !== "localhost") {
      const err = record(`udp-${method}`, address);
      const cb = args.find((a) => typeof a === "function");
      if (cb) process.nextTick(() => cb(err));
      return;
    }
    return original.apply(this, args);
  };
}

// A process that imported node:dns or node:dns/promises as ES modules before loading the fence
// (a test file that loads it in-process) must see the fenced functions there too.
require("node:module").syncBuiltinESMExports();
