/* cxkit loader: defines window.CXBus and window._genesys.widgets.bus at once, queues calls
 * made before Python is up, boots PyScript on our own Pyodide, then hands every call to the
 * Python bus (cxkit.browser). Bus logic lives in Python; this file only queues and converts. */
(function () {
  "use strict";
  var M = /*@MANIFEST@*/{};
  var w = window, doc = document;
  if (w.__cxkit) return;  // included twice: the first copy owns the page
  var g = (w._genesys = w._genesys || {});
  var cfg = (g.widgets = g.widgets || g.cxwidget || {});
  var me = doc.currentScript || [].slice.call(doc.scripts).filter(function (s) { return /widgets\.js(\?|$)/.test(s.src); })[0];
  var base = new URL(".", me ? me.src : location.href).href;
  var queue = [], callPy = null, settlePy = null, failure = null, names = {}, tokens = 0, pending = {};

  // The original product's Deferred (not a Promise): then() attaches and returns undefined.
  function Deferred() {
    var st = "pending", args = [], cbs = { resolved: [], rejected: [], progress: [] }, d = this, p;
    function add(kind) {
      return function (one) {  // one function is the usual call: no flattening copy for it
        var fns = arguments.length === 1 && typeof one === "function" ? arguments : [].concat.apply([], arguments);
        for (var i = 0; i < fns.length; i++) {
          var fn = fns[i];
          if (typeof fn !== "function") continue;
          if (kind === "progress" || st === "pending") cbs[kind].push(fn);
          else if (st === kind) fn.apply(d, args);
        }
        return p;
      };
    }
    function settle(to) {
      return function () {
        if (st !== "pending") return d;
        st = to; args = [].slice.call(arguments);
        cbs[to].forEach(function (fn) { try { fn.apply(d, args); } catch (e) { console.error(e); } });
        cbs = { resolved: [], rejected: [], progress: [] };
        return d;
      };
    }
    p = {
      done: add("resolved"), fail: add("rejected"), progress: add("progress"),
      always: function () { p.done.apply(p, arguments); return p.fail.apply(p, arguments); },
      then: function (a, b, c) { p.done(a); p.fail(b); p.progress(c); },
      state: function () { return st; },
      isResolved: function () { return st === "resolved"; },
      isRejected: function () { return st === "rejected"; },
      pipe: function (a, b) {  // a filter's value settles the new promise; a returned promise is followed
        var n = new Deferred();
        function via(f, to) {
          return function () {
            if (!f) return to.apply(n, arguments);
            var r = f.apply(d, arguments);
            if (r && typeof r.done === "function") r.done(n.resolve).fail(n.reject); else to(r);
          };
        }
        p.done(via(a, n.resolve)); p.fail(via(b, n.reject));
        return n.promise();
      },
      promise: function (t) { return t ? Object.assign(t, p) : p; },
    };
    Object.assign(d, p, {
      resolve: settle("resolved"), reject: settle("rejected"),
      notify: function () { var a = arguments; if (st === "pending") cbs.progress.forEach(function (fn) { fn.apply(d, a); }); return d; },
      resolveWith: function (c, a) { return d.resolve.apply(d, a || []); },
      rejectWith: function (c, a) { return d.reject.apply(d, a || []); },
      notifyWith: function (c, a) { return d.notify.apply(d, a || []); },
    });
  }

  function track(d) { var t = ++tokens; pending[t] = d; return t; }
  function send(plugin, method, args, d) {  // JS calls Python: bridge.call(plugin, method, token, ...args)
    return callPy.apply(null, [plugin, method, d ? track(d) : 0].concat(args));
  }
  function call(plugin, method, args, d) {
    args = [].slice.call(args);
    if (failure) { if (d) d.reject(failure); return d || false; }
    if (!callPy) { queue.push([plugin, method, args, d]); return d || fallback(method, args); }
    var r = send(plugin, method, args, d);
    return d || r;
  }
  function fallback(method, args) {  // answers given before Python is up
    if (method === "subscribe") return typeof args[1] === "function" ? args[0] : false;
    if (method === "registry" || method === "subscribers") return {};
    return method === "data" ? undefined : true;
  }
  function loadFile(url) {  // the one bus member that stays in JS: it is a script tag
    var d = new Deferred(), s = doc.createElement("script");
    s.src = url;
    s.onload = function () { d.resolve(); };
    s.onerror = function () { d.reject("Could not load plugin file: " + url); };
    (doc.head || doc.documentElement).appendChild(s);
    return d.promise();
  }

  var METHODS = ["publish", "publishDirect", "republish", "subscribe", "unsubscribe", "before",
    "registerCommand", "registerEvents", "subscribers", "registry", "data", "ready"];
  function face(name) {
    var f = { namespace: function () { return name; } };
    METHODS.forEach(function (m) { f[m] = function () { return call(name, m, arguments); }; });
    f.command = function () { return call(name, "command", arguments, new Deferred()).promise(); };
    return f;
  }
  function registerPlugin(name) {
    if (typeof name !== "string" || names[name] || call("", "registerPlugin", [name]) === false) return false;
    names[name] = true;
    return face(name);
  }
  var cx = face("CXBus");
  var CXBus = {
    registerPlugin: registerPlugin,
    command: cx.command, subscribe: cx.subscribe, data: cx.data,
    configure: function () { return call("", "configure", arguments); },
    registerMaster: function () { return undefined; },
    loadPlugin: function () { return call("", "loadPlugin", arguments, new Deferred()).promise(); },
    loadModule: function () { return call("", "loadModule", arguments, new Deferred()).promise(); },
    loadFile: loadFile,
    registerModule: function () { return call("", "registerModule", arguments); },
  };
  names.CXBus = names.QuickBus = names.App = names.WebChatService = true;
  var quick = face("QuickBus");
  quick.registerPlugin = registerPlugin;
  w.CXBus = CXBus;
  cfg.bus = quick;

  function fail(reason) {  // after attach the bus stays up: only report (calls in flight settle on their own)
    if (w.__cxkit.failure) return;
    var text = w.__cxkit.failure = String(reason);
    console.error("cxkit: boot failed: " + text);
    if (!callPy) { failure = text; queue.splice(0).forEach(function (q) { if (q[3]) q[3].reject(failure); }); }
    w.dispatchEvent(new CustomEvent("cxkit:failed", { detail: text }));
  }
  function onError(e) {  // only a rejection that names our bundle (PyScript, Pyodide, a wheel) is our boot's
    var r = e.reason, text = String(r) + " " + (r && r.stack || "");
    if (ours.some(function (u) { return text.indexOf(u) >= 0; })) fail(String(r));
  }

  w.__cxkit = {
    manifest: M, base: base, Deferred: Deferred, config: cfg, attached: false,
    common: {  // the small Common helper extensions receive
      resolve: function (e, v) { e.deferred.resolve(v); },
      reject: function (e, v) { e.deferred.reject(v); },
    },
    settle: function (token, ok) {  // Python settles a JS command's Deferred
      var d = pending[token]; delete pending[token];
      if (d) (ok ? d.resolve : d.reject).apply(d, [].slice.call(arguments, 2));
    },
    // Run a JS command handler with a Deferred that reports back to Python.
    invoke: function (fn, token, time, commander, command, data) {
      var d = new Deferred();
      d.done(function () { settlePy.apply(null, [token, true].concat([].slice.call(arguments))); })
        .fail(function () { settlePy.apply(null, [token, false].concat([].slice.call(arguments))); });
      // Empty data comes as undefined: a {} made here is cheaper than one made from Python.
      try { fn({ time: time, commander: commander, command: command, deferred: d, data: data || {} }); }
      catch (e) { console.error(e); d.reject(e && e.message || String(e)); }
    },
    deliver: function (fn, time, publisher, event, data) {  // a JS subscriber gets a plain object
      try { fn({ time: time, publisher: publisher, event: event, data: data }); } catch (e) { console.error(e); }
    },
    attach: function (b) {
      if (failure) return false;
      callPy = b.call; settlePy = b.settle;
      w.__cxkit.attached = true; w.__cxkit.attachedAt = performance.now();
      removeEventListener("unhandledrejection", onError);
      queue.splice(0).forEach(function (q) {
        var r = send(q[0], q[1], q[2], q[3]);
        if (r === false && q[1] === "registerPlugin") console.warn("cxkit: registerPlugin('" + q[2][0] + "') was refused");
      });
      return true;
    },
    fail: fail,
  };

  var abs = function (p) { return new URL(p, base).href; }, files = {};
  var ours = [M.pyscript, M.pyodide].filter(Boolean).map(function (p) { return abs(p).replace(/[^/]*$/, ""); }).concat((M.wheels || []).map(abs));
  addEventListener("unhandledrejection", onError);
  (M.wheels || []).forEach(function (p) { files[abs(p)] = "/lib/python3.14/site-packages/*"; });
  // Fetch the runtime while PyScript itself loads, instead of after it (saves its import chain).
  // Not the .wasm: a preloaded response bypasses V8's wasm code cache (warm boot +430 ms here).
  var dir = M.pyodide ? M.pyodide.replace(/[^/]*$/, "") : "";
  [["modulepreload", M.pyodide], ["modulepreload", dir + "pyodide.asm.mjs"], ["preload", dir + "python_stdlib.zip"], ["preload", dir + "pyodide-lock.json"]].concat((M.wheels || []).map(function (p) { return ["preload", p]; }))
    .forEach(function (h) {
      if (!M.pyodide) return;
      var l = doc.createElement("link");
      l.rel = h[0]; l.href = abs(h[1]);
      if (h[0] === "preload") { l.as = "fetch"; l.crossOrigin = "anonymous"; }
      (doc.head || doc.documentElement).appendChild(l);
    });
  var py = doc.createElement("script");
  py.type = "py";
  // PyScript's editor/terminal/game plugins are not needed by a widget, and its error plugin
  // would put banners on the host page: we report to the console and on cxkit:failed instead.
  var plugins = ["!codemirror", "!deprecations-manager", "!donkey", "!error", "!py-editor", "!py-game", "!py-terminal"];
  py.setAttribute("config", JSON.stringify({ interpreter: abs(M.pyodide), files: files, plugins: plugins }));
  py.textContent = "import js\ntry:\n    from cxkit.browser import boot\n    boot()\n" +
    "except BaseException as e:\n    getattr(js.window, '__cxkit').fail(f'{type(e).__name__}: {e}')\n";
  py.addEventListener("py:done", function () { if (!callPy) fail("Python boot code finished without starting the bus"); });
  (doc.head || doc.documentElement).appendChild(py);
  import(abs(M.pyscript)).catch(function (e) { fail("cannot load PyScript from " + abs(M.pyscript) + ": " + e); });
})();
