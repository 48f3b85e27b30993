/* cxkit worker link: starts the Python worker and carries the face's calls to it and its
 * answers back, one postMessage per microtask in each direction. Functions and DOM elements
 * never cross: they stay here and the worker holds a handle ({__cxkit: "fn"|"el", id}); the
 * worker says when it dropped one. Everything else crosses as data: a batch of plain data as
 * one JSON string (the worker's C parser reads it faster than Pyodide converts JS objects), a
 * batch holding a File, a Date, an undefined property or a shared object as structured-clone data. */
import * as dom from "./dom.mjs";

// Ops run in slices of SLICE_MS, well under the 50 ms of a long task even when page handlers run
// long; a batch of up to NOW_OPS runs in the task that parsed it, a longer one from the next task.
// A burst of calls goes in parts of SEND_EVERY ops, so the worker reads one while the page makes
// the next; it holds the bus until the last part (the burst's handlers run after it all, as before).
var SLICE_MS = 8, NOW_OPS = 16, SEND_EVERY = 100;

export function start(face) {
  var M = face.manifest, abs = function (p) { return new URL(p, face.base).href; };
  var held = new Map(), ids = 0, out = [], calls = 0, replies = {}, worker;
  var json = true, handles = false;  // the batch being gathered: all JSON can say? any handle in it?
  try { worker = spawn(abs(M.worker)); } catch (e) { face.fail("cannot start the cxkit worker: " + e); return; }
  var stall = face.stallMs(), starting = stall && setTimeout(function () {  // until worker.mjs runs (its first message)
    handlers.failed("cannot start the cxkit worker " + abs(M.worker) + ": nothing received for " + stall / 1000 + " s");
  }, stall);

  function hold(v) { held.set(++ids, v); return ids; }
  function enc(v, seen) {  // a copy the worker can receive: functions and elements become handles
    var t = typeof v;
    if (t === "function") { handles = true; return { __cxkit: "fn", id: hold(v) }; }
    if (t === "string" || t === "boolean" || v == null) return v;  // undefined in an array: JSON's null, None either way
    if (t === "symbol") { json = false; return undefined; }  // as JSON drops it (no worker could receive it)
    if (t === "number") { if (!isFinite(v)) json = false; return v; }
    if (!Array.isArray(v) && (Object.getPrototypeOf(v) !== Object.prototype || "jquery" in v)) {  // not plain data
      if (t !== "object" || v instanceof Blob || v instanceof RegExp || v instanceof Date
          || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) { json = false; return v; }
      if (typeof v.jquery === "string" || ("jquery" in v && "0" in v)) return enc(v.length === 0 ? null : v[0], seen);
      if (v instanceof Element) {
        handles = true;
        if (v.files && v.files.length) json = false;
        return { __cxkit: "el", id: hold(v), tag: v.tagName, type: String(v.type || ""),
          value: v.value == null ? "" : String(v.value), files: v.files ? [].slice.call(v.files) : null };
      }
      if (v instanceof FileList) return enc([].slice.call(v), seen);
    }
    seen = seen || new Map();
    if (seen.has(v)) { json = false; return seen.get(v); }
    var list = Array.isArray(v), copy = list ? [] : {}, keys = Object.keys(v);
    seen.set(v, copy);
    for (var i = 0, k; i < keys.length; i++) {
      if (v[k = keys[i]] === undefined && !list) json = false;  // JSON would drop the key; Python sees it as None
      copy[k] = enc(v[k], seen);
    }
    return copy;
  }
  function dec(v) {  // handles back to what they stand for; Python's None (JSON null) is undefined
    if (v === null) return undefined;
    if (typeof v !== "object" || v instanceof Blob || v instanceof RegExp) return v;
    if (v.__cxkit && held.has(v.id)) return held.get(v.id);
    if (Array.isArray(v)) { for (var i = 0; i < v.length; i++) v[i] = dec(v[i]); return v; }
    // own keys only: a page may have added enumerable (even read-only) members to Object.prototype
    for (var keys = Object.keys(v), j = 0; j < keys.length; j++) v[keys[j]] = dec(v[keys[j]]);
    return v;
  }
  // Other tabs' cookie writes (the start lock, a chat) go with the next message. Reading
  // document.cookie costs ~15 us, so it is read only after a change event where the browser
  // has them, and before every message where it has not. A change event can come before this
  // tab's document.cookie shows the change: its own [name, value|null] pairs go too (`heard`).
  var due = false, sentCookie, cookieEvents = false, cookieDirty = false, at, title, parted = false;
  function send(op) { if (out.push(op) >= SEND_EVERY) flush(true); schedule(); }
  function schedule() { if (!due) { due = true; queueMicrotask(flush); } }
  function cookiesChanged(changes) {
    if (changes.length) send(["heard", changes]);
    cookieDirty = true; schedule();
  }
  function flush(more) {  // more === true: a part of a burst; the last part goes at the microtask
    var part = more === true, seq = face.mirror.seq, ops = out, plain = json, flags = (handles ? 1 : 0) | (part ? 2 : 0), cookie;
    due = due && part; out = []; json = true; handles = false;
    if (!part && (cookieDirty || !cookieEvents)) { cookie = document.cookie; cookieDirty = false; }
    if (cookie === sentCookie) cookie = undefined; else if (cookie !== undefined) sentCookie = cookie;
    if (!ops.length && cookie === undefined && !parted) return;  // after a part the last one always goes
    parted = part;
    if (location.href !== at || document.title !== title) {  // a single-page app moved: its chats and requests follow
      at = location.href; title = document.title;
      ops.unshift(["page", at, document.baseURI, title]);
    }
    try {  // JSON batches go as one string (no JS object for Pyodide to convert): [seq, flags, ops, cookie?]
      var batch = cookie === undefined ? [seq, flags, ops] : [seq, flags, ops, cookie];
      worker.postMessage(plain ? face.json(batch) : { seq: seq, ops: ops, flags: flags, cookie: cookie });
    } catch (e) {  // a value no worker can receive (a detached buffer): only its own op fails
      worker.postMessage({ seq: seq, ops: ops.map(sendable).filter(Boolean), flags: flags, cookie: cookie });
    }
  }
  function sendable(op) {  // op, or what tells the worker it could not go (a call's caller hears it here)
    try { structuredClone(op); return op; } catch (e) {
      var why = "cxkit: " + op[0] + " could not be sent to the worker: " + face.reason(e);
      console.error(why);
      if (op[0] === "settle") return ["settle", op[1], false, [why]];
      if (op[0] === "reply") return ["reply", op[1], false, why, []];
      if (op[0] === "call") refuse(op[3], why);
      return null;
    }
  }
  function refuse(token, why) { face.settle(token, false, why); face.forget(token); }  // a command's or a publish's
  function encoded(v, failed) {  // enc(v), or failed(error) when reading v throws (a getter, a revoked Proxy)
    var mark = ids;
    try { return [enc(v)]; } catch (e) {
      for (var id = mark + 1; id <= ids; id++) held.delete(id);
      console.error("cxkit: a value could not be read to send it to the worker: " + e);
      failed("the value could not be read: " + face.reason(e));
      return null;
    }
  }
  function apply(fn, args) {  // page code runs here; the worker only sees data (a Promise: see `call`)
    try {
      var v = fn.apply(null, args);
      return [true, v && typeof v.then === "function" ? v : enc(v)];
    } catch (e) { console.error(e); return [false, face.reason(e)]; }
  }

  var handlers = {
    up: function () {
      if (!face.attach({ sync: false, services: function () { send(["services"]); },
        call: function (p, m, token, args) {
          calls++;
          var data = encoded(args, function (why) { refuse(token, why); });
          if (data) send(["call", p, m, token, data[0]]);
        },
        settle: function (token, ok, args, relayed) {  // relayed: the page's caller has the values
          if (relayed) return send(["settle", token, ok, [], 1]);
          var data = encoded(args, function (why) { send(["settle", token, false, [why]]); });
          if (data) send(["settle", token, ok, data[0]]);
        } })) return;  // the boot failed meanwhile: no extensions, no App.ready
      var jq = window.jQuery || null;
      Object.keys(face.config.extensions || {}).forEach(function (name) {
        var ext = face.config.extensions[name];
        if (typeof ext === "function") {
          try { ext(jq, window.CXBus, face.common); } catch (e) { console.error("cxkit: extension " + name + " failed: " + e); }
        }
      });
      send(["go"]);
    },
    onReady: function () {
      if (face.failure) return;
      try { if (typeof face.config.onReady === "function") face.config.onReady(face.config.bus); } finally { face.extensionFiles(); }
    },
    settle: function (token, ok, args) { face.settle.apply(null, [token, ok].concat(dec(args))); },
    invoke: function (fn, token, time, commander, command, data, caller, own) {
      face.invoke(held.get(fn), token, time, commander, command, dec(data), caller, own);
    },
    deliver: function (fn, time, publisher, event, data, own) { face.deliver(held.get(fn), time, publisher, event, dec(data), own); },
    forget: function (own) { face.forget(own); },
    call: function (reply, fn, args) {  // a `before`, a pre-processor, a callback: the answer and the edited arguments
      args = dec(args);
      var r = apply(held.get(fn), args), answer = function (a) {
        var edited = encoded(args, function (why) { send(["reply", reply, false, why, []]); });
        if (edited) send(["reply", reply, a[0], a[1], edited[0]]);
      };
      if (!r[0] || !r[1] || typeof r[1].then !== "function") return answer(r);
      Promise.resolve(r[1]).then(function (v) { answer(apply(function () { return v; }, [])); },  // once it settles
        function (e) { answer([false, face.reason(e)]); });
    },
    read: function (reply, id) {  // an input's value now (code may have set it: no input event)
      var el = held.get(id), value = null;
      try { value = el ? String(el.value == null ? "" : el.value) : null; } catch (e) { console.error(e); }
      send(["reply", reply, value !== null, value !== null ? value : "the input cannot be read", []]);
    },
    reply: function (id, ok, value) { var r = replies[id]; delete replies[id]; if (r) r[ok ? 0 : 1](value); },
    mirror: function (seq, snap) {  // only a snapshot that saw all our own changes replaces ours
      if (seq !== face.mirror.seq) return;
      ["names", "subs", "data", "registry"].forEach(function (k) { face.mirror[k] = k === "data" ? dec(snap[k]) : snap[k]; });
    },
    drop: function (list) { list.forEach(function (id) { held.delete(id); dom.unlisten(id); }); },
    cookie: function (n, line) { document.cookie = line; send(["cookies", sentCookie = document.cookie, n]); },
    listen: function (id) { dom.listen(id, held.get(id), send); },
    unlisten: function (id) { dom.unlisten(id); },
    download: function (blob, name) { dom.save(blob, name); },
    log: function (level, text) { console[level](text); },
    failed: function (text, naming) {
      worker.terminate();
      if (naming) face.failNaming(text); else face.fail(text);
      refuseReplies(face.failure);
    },
  };
  // The worker's ops run in order, in slices: a big batch (a restored chat, a burst of messages)
  // yields to the page between slices instead of making one long task.
  var inbox = [], next = 0, draining = false, tick = new MessageChannel();
  function drain() {
    var until = performance.now() + SLICE_MS;
    while (next < inbox.length) {
      var op = inbox[next++], h = handlers[op[0]];
      try { if (h) h.apply(null, op.slice(1)); } catch (err) { console.error("cxkit: " + op[0] + ": " + (err && err.stack || err)); }
      if (next < inbox.length && performance.now() >= until) { tick.port2.postMessage(0); return; }
    }
    inbox = []; next = 0; draining = false;
  }
  tick.port1.onmessage = drain;
  worker.onmessage = function (e) {  // JSON text, or an array of ops some of which are JSON text
    clearTimeout(starting);
    var ops = typeof e.data === "string" ? JSON.parse(e.data) : e.data;
    for (var i = 0; i < ops.length; i++) inbox.push(typeof ops[i] === "string" ? JSON.parse(ops[i]) : ops[i]);
    if (!draining) { draining = true; if (ops.length > NOW_OPS) tick.port2.postMessage(0); else drain(); }
  };
  worker.onerror = function (e) {  // with no message: worker.mjs itself did not load
    // one stray error once the bus is up (a callback that raised): said, and the chat goes on
    if (e.message && face.attached) return console.error("cxkit worker: " + e.message);
    if (e.message) { handlers.failed("cxkit worker: " + e.message); return; }
    face.explain(abs(M.worker)).then(function (why) {
      face.fail("cannot start the cxkit worker " + abs(M.worker) + why);
      refuseReplies(face.failure);
    });
  };
  function refuseReplies(why) {  // questions the worker will never answer (cxkitPy)
    Object.keys(replies).forEach(function (id) { var r = replies[id]; delete replies[id]; r[1](why); });
  }
  dom.watchVisibility(send);
  cookieEvents = dom.watchCookies(cookiesChanged);
  var init = { pyodide: abs(M.pyodide), wheel: abs(M.wheels[0]), config: enc(face.config), page: dom.pageFacts(),
    testHook: !!(M.testPages && (face.config.cxkit || {}).testHook), snapshot: !!(face.config.cxkit || {}).snapshot, stall: stall };
  sentCookie = init.page.cookie; at = init.page.url; title = init.page.title;
  worker.postMessage({ init: init });
  if (init.testHook) {  // test pages only: run Python in the worker, the value of `result` comes back
    window.cxkitPy = function (source) {
      return new Promise(function (ok, no) {
        if (face.failure) return no(face.failure);
        replies[++ids] = [ok, no]; send(["exec", ids, source]);
      });
    };
  }
  face.link = { calls: function () { return calls; }, held: function () { return held.size; },
    replies: function () { return Object.keys(replies).length; } };
}

function spawn(url) {  // a worker script must be same-origin: a bundle on another origin goes through a blob
  var same = new URL(url).origin === location.origin, src = same ? url : URL.createObjectURL(
    new Blob(["import " + JSON.stringify(url) + ";"], { type: "text/javascript" }));
  return new Worker(trusted(src, url), { type: "module" });
}

// A page that enforces Trusted Types starts a worker only from a TrustedScriptURL: a policy
// named "cxkit" (docs/csp.md) that passes our worker's URL, or the blob made to import it.
function trusted(src, url) {
  if (!window.trustedTypes || !window.trustedTypes.createPolicy) return src;
  try {
    var policy = window.trustedTypes.createPolicy("cxkit", { createScriptURL: function (u) {
      if (u !== url && u !== src) throw new TypeError("cxkit: not its worker: " + u);
      return u;
    } });
    return policy.createScriptURL(src);
  } catch (e) { return src; }  // a policy list without "cxkit": the constructor says what is refused
}
