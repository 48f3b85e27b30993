/* cxkit worker: Pyodide, the bus and the WebChatService, off the page's main thread. Messages
 * that arrive while Python starts wait in the inbox; then cxkit.browser.worker takes over. */
var inbox = [], receive = null;

onmessage = function (e) {
  if (e.data && e.data.init) boot(e.data.init);
  else if (receive) receive(e.data);
  else inbox.push(e.data);
};

function post(ops) { postMessage(ops); }

// With cxkit.snapshot, the interpreter's memory after our modules are imported is kept in Cache
// Storage (keyed by the wheel's and Pyodide's URLs, which carry their versions) and later boots
// start from it instead of from scratch.
var SNAPSHOT_MODULES = "import cxkit.bus, cxkit.gms, cxkit.webchat";
async function cachedSnapshot(key) {
  try { var r = await (await caches.open("cxkit")).match(key); return r ? new Uint8Array(await r.arrayBuffer()) : null; }
  catch (e) { return null; }  // no Cache Storage here (an insecure origin): boot from scratch
}

// Pyodide only logs a failed WebAssembly compile (a Content-Security-Policy without
// 'wasm-unsafe-eval', wasm turned off) and never settles: an empty module tells at once.
var EMPTY_WASM = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);

async function boot(init) {
  var step = "loading Pyodide from " + init.pyodide.replace(/[^/]*$/, "");  // a network error names no URL
  try {
    try { new WebAssembly.Module(EMPTY_WASM); } catch (e) { throw new Error("WebAssembly cannot run here: " + e); }
    var wheel = fetch(init.wheel).then(function (r) {
      if (!r.ok) throw new Error(init.wheel + ": HTTP " + r.status);
      return r.arrayBuffer();
    }, function (e) { throw new Error(init.wheel + ": " + (e && e.message || e)); });
    var key = init.wheel + "?snapshot=" + encodeURIComponent(init.pyodide);
    var snapshot = init.snapshot ? await cachedSnapshot(key) : null;
    var pyodide = await import(init.pyodide);
    var options = { indexURL: init.pyodide.replace(/[^/]*$/, "") };
    if (snapshot) options._loadSnapshot = snapshot; else if (init.snapshot) options._makeSnapshot = true;
    var py = await pyodide.loadPyodide(options), bytes = await wheel;
    py.unpackArchive(bytes, "wheel");
    if (init.snapshot && !snapshot) {
      // An interpreter started to make a snapshot cannot call into JS reliably ("Illegal
      // invocation"): take the snapshot, then run on a fresh interpreter restored from it.
      py.runPython(SNAPSHOT_MODULES);  // before Python holds any JS object
      snapshot = py.makeMemorySnapshot();
      caches.open("cxkit").then(function (c) { return c.put(key, new Response(snapshot)); }).catch(function () {});
      py = await pyodide.loadPyodide({ indexURL: options.indexURL, _loadSnapshot: snapshot });
      py.unpackArchive(bytes, "wheel");
    }
    step = "starting cxkit";
    receive = py.pyimport("cxkit.browser.worker").start(init, post);
    inbox.splice(0).forEach(function (m) { receive(m); });  // one argument: forEach passes three
  } catch (e) {
    var text = String(e && e.message || e);
    post([["failed", text.includes(init.wheel) ? text : step + ": " + text]]);
  }
}
