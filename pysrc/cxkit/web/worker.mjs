/* cxkit worker: Pyodide, the bus and the WebChatService, off the page's main thread. Messages
 * that arrive while Python starts wait in the inbox; then cxkit.browser.worker takes over. */
var inbox = [], receive = null, WASM = /^pyodide\.asm\.wasm: /;  // WASM: WebAssembly itself failed (wasmFailure)

onmessage = function (e) {
  if (e.data && e.data.init) boot(e.data.init);
  else if (receive) receive(e.data);
  else inbox.push(e.data);
};

function post(ops) { postMessage(ops); }
postMessage("[]");  // running: from here a download that stalls is this script's to report (stalls below)

// With cxkit.snapshot, the interpreter's memory after our modules are imported is kept in Cache
// Storage (keyed by the wheel's and Pyodide's URLs, which carry their versions) and later boots
// start from it instead of from scratch.
var SNAPSHOT_MODULES = "import cxkit.bus, cxkit.gms, cxkit.webchat";
async function cachedSnapshot(key) {
  try { var r = await (await caches.open("cxkit")).match(key); return r ? new Uint8Array(await r.arrayBuffer()) : null; }
  catch (e) { return null; }  // no Cache Storage here (an insecure origin): boot from scratch
}

// Older builds served from the same folder (their wheels beside ours) are not read again: ~30 MB each
function tidy(cache, key) {
  var folder = key.replace(/[^/]*\/[^/]*$/, "");  // .../wheels/
  return cache.keys().then(function (all) {
    return Promise.all(all.filter(function (r) { return r.url !== key && r.url.startsWith(folder); })
      .map(function (r) { return cache.delete(r); }));
  });
}

function forget(key) {
  return caches.open("cxkit").then(function (c) { return c.delete(key); }).then(function () { return null; }, function () { return null; });
}

// Pyodide only logs a failed WebAssembly start (pyodide.asm.wasm missing, a Content-Security-Policy
// without 'wasm-unsafe-eval') and never settles: what it logs fails the boot instead.
function wasmFailure() {
  var warn = console.warn, heard = false, fail, failed = new Promise(function (_, no) { fail = no; });
  failed.catch(function () {});  // heard after the boot settled: nobody waits
  console.warn = function (what) {
    if (heard) fail(new Error("pyodide.asm.wasm: " + what));
    heard = what === "wasm instantiation failed!";
    return warn.apply(console, arguments);
  };
  return { failed: failed, stop: function () { console.warn = warn; } };
}

// A download that stalls (a server or proxy that accepts and never answers) would leave the page's
// calls waiting for ever: the boot fails once a file has gone `ms` without a byte (0: never).
function stalls(ms) {
  var real = self.fetch, busy = new Map(), n = 0, fail, stalled = new Promise(function (_, no) { fail = no; });
  stalled.catch(function () {});
  function wait(url, promise) {  // a download in flight until promise settles
    var id = ++n;
    busy.set(id, [url, Date.now()]);
    return promise.finally(function () { busy.delete(id); });
  }
  if (ms > 0) self.fetch = function (input, options) {
    var url = String(input && input.url || input);
    return wait(url, real(input, options)).then(function (r) {  // its body read alongside: the bytes as they come
      var reader = r.body && r.clone().body.getReader(), id = ++n, read = function () {
        busy.set(id, [url, Date.now()]);
        return reader.read().then(function (c) { return c.done || read(); });
      };
      if (reader) read().catch(function () {}).finally(function () { busy.delete(id); });
      return r;
    });
  };
  var timer = ms > 0 && setInterval(function () {
    busy.forEach(function (b) {
      if (Date.now() - b[1] >= ms) fail(Object.assign(new Error(b[0] + ": nothing received for " + ms / 1000 + " s"), { stall: true }));
    });
  }, Math.min(1000, ms / 4));
  return { stalled: stalled, wait: wait, stop: function () { clearInterval(timer); self.fetch = real; } };
}

async function boot(init) {
  var folder = init.pyodide.replace(/[^/]*$/, ""), step = "loading Pyodide from " + folder;  // a network error names no URL
  var wasm = wasmFailure(), watch = stalls(init.stall), watched = function (p) { return Promise.race([p, watch.stalled]); };
  try {
    var wheel = fetch(init.wheel).then(function (r) {
      if (!r.ok) throw new Error(init.wheel + ": HTTP " + r.status);
      return r.arrayBuffer();
    }).catch(function (e) {  // the request or its body: a network error names no URL
      throw String(e).includes(init.wheel) ? e : new Error(init.wheel + ": " + (e && e.message || e));
    });
    var key = init.wheel + "?snapshot=" + encodeURIComponent(init.pyodide);
    var keep = init.snapshot && typeof caches !== "undefined";  // no Cache Storage (not a secure context): boot as usual
    var snapshot = keep ? await cachedSnapshot(key) : null;
    var pyodide = await watched(watch.wait(init.pyodide, import(init.pyodide)));
    var load = function (options) { return Promise.race([pyodide.loadPyodide(options), wasm.failed, watch.stalled]); };
    var options = { indexURL: folder }, py = null;
    if (snapshot) {  // one that cannot be read (damaged on disk, say) would fail every later view: start without it
      py = await load({ indexURL: folder, _loadSnapshot: snapshot }).catch(function (e) {
        if (WASM.test(e && e.message)) throw e;  // WebAssembly cannot start at all: not the snapshot's fault
        console.warn("cxkit: the memory snapshot could not be used, starting without it: " + (e && e.message || e));
        return forget(key);
      });
      snapshot = py && snapshot;
    }
    if (!snapshot && keep) options._makeSnapshot = true;
    py = py || await load(options);
    var bytes = await watched(wheel);
    py.unpackArchive(bytes, "wheel");
    if (keep && !snapshot) {
      // An interpreter started to make a snapshot cannot call into JS reliably ("Illegal
      // invocation"): take the snapshot, then run on a fresh interpreter restored from it.
      py.runPython(SNAPSHOT_MODULES);  // before Python holds any JS object
      snapshot = py.makeMemorySnapshot();
      caches.open("cxkit").then(function (c) { return c.put(key, new Response(snapshot)).then(function () { return tidy(c, key); }); })
        .catch(function () {});
      py = await load({ indexURL: options.indexURL, _loadSnapshot: snapshot });
      py.unpackArchive(bytes, "wheel");
    }
    wasm.stop(); watch.stop();
    step = "starting cxkit";
    receive = py.pyimport("cxkit.browser.worker").start(init, post);
    inbox.splice(0).forEach(function (m) { receive(m); });  // one argument: forEach passes three
  } catch (e) {
    wasm.stop(); watch.stop();
    // the next view starts from scratch; awaited: the page ends this worker when it hears of the failure
    if (snapshot) await forget(key);
    var text = String(e && e.message || e);
    // Pyodide's own error seldom names the file: the page names those that answer an HTTP error
    if (text.includes(init.wheel)) post([["failed", text]]);
    else post([["failed", step + ": " + text, !WASM.test(text) && !(e && e.stall)]]);
  }
}

