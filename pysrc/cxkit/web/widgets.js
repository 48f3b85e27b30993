/* cxkit loader, the face: defines window.CXBus and window._genesys.widgets.bus at once, answers
 * what the bus API answers synchronously from a mirror, queues the rest until Python is up, then
 * boots it: in a Web Worker by default (cxkit-link.mjs), or on the page's main thread under
 * PyScript for pages that run Python themselves. Bus logic lives in Python. */
(function () {
  "use strict";
  var M = /*@MANIFEST@*/{};
  var w = window, doc = document;
  if (w.__cxkit) return;  // included twice: the first copy owns the page
  var g = (w._genesys = w._genesys || {});
  var cfg = (g.widgets = g.widgets || g.cxwidget || {});
  var me = doc.currentScript || [].slice.call(doc.scripts).filter(function (s) { return /widgets\.js(\?|$)/.test(s.src); })[0];
  var base = new URL(".", me ? me.src : location.href).href;
  var queue = [], link = null, failure = null, tokens = 0, pending = {}, booting = false;
  // What the face answers at once (the worker's answers come later): plugin names, subscribers,
  // data stores, registry. The worker sends snapshots; local changes apply here immediately.
  var mirror = { seq: 0, names: { CXBus: 1, QuickBus: 1, App: 1, WebChatService: 1 }, subs: {}, data: {}, registry: {}, modules: {} };

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

  function entry(p) { return (mirror.registry[p] = mirror.registry[p] || { events: [], commands: [] }); }
  function add(list, names) { [].concat(names).forEach(function (n) { if (list.indexOf(n) < 0) list.push(n); }); return true; }
  function data(p, key, value) {
    var store = (mirror.data[p] = mirror.data[p] || {}), dot = typeof key === "string" ? key.indexOf(".") : -1;
    if (key == null) return Object.assign({}, store);
    if (value != null) { mirror.seq++; store[key] = value; return value; }
    if (dot > 0) store = mirror.data[key.slice(0, dot)] || {}, key = key.slice(dot + 1);
    return store[key];
  }
  function local(p, m, a) {  // the answer the Python bus gives, from the mirror
    var subs = mirror.subs, ev = a[0], list, kept, out = {};
    switch (m) {
      case "subscribe":
        if (typeof ev !== "string" || typeof a[1] !== "function") return false;
        mirror.seq++; (subs[ev] = subs[ev] || []).push(p); return ev;
      case "unsubscribe":
        list = subs[ev] || []; kept = list.filter(function (n) { return n !== p; });
        if (kept.length === list.length) return false;
        mirror.seq++; subs[ev] = kept; return true;
      case "subscribers":
        Object.keys(subs).forEach(function (e) { if (e.indexOf(p + ".") === 0 && subs[e].length) out[e] = subs[e].slice(); });
        return out;
      case "registry": return JSON.parse(JSON.stringify(mirror.registry));
      case "data": return data(p, a[0], a[1]);
      case "registerCommand": mirror.seq++; return add(entry(p).commands, ev);
      case "registerEvents": mirror.seq++; return add(entry(p).events, ev);
      case "configure": return undefined;
      case "registerModule": if (typeof ev !== "string" || mirror.modules[ev]) return false; mirror.modules[ev] = 1; return true;
    }
    return true;
  }
  function track(d) { var t = ++tokens; pending[t] = d; return t; }
  function call(plugin, method, args, d) {
    args = [].slice.call(args);
    if (failure) { if (d) d.reject(failure); return d || false; }
    if (!booting && opts().boot === "command" && method === "command" && /^WebChatService\./.test(args[0])) {
      // not before the page's load event: the runtime's downloads must not compete with the page's
      if (doc.readyState === "complete") boot(); else addEventListener("load", boot, { once: true });
    }
    var answer = d || local(plugin, method, args);
    if (!link) { queue.push([plugin, method, args, d]); return answer; }
    var r = link.call(plugin, method, d ? track(d) : 0, args);
    return link.sync && !d ? r : answer;
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
    if (typeof name !== "string" || mirror.names[name]) return false;
    mirror.seq++; mirror.names[name] = 1; entry(name).commands.push("COMMANDS", "EVENTS", "LOAD");
    return call("", "registerPlugin", [name]) === false ? false : face(name);
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
  var quick = face("QuickBus");
  quick.registerPlugin = registerPlugin;
  w.CXBus = CXBus;
  cfg.bus = quick;

  function fail(reason) {  // every call still waiting is rejected; a bus already up stays up
    if (w.__cxkit.failure) return;
    var text = w.__cxkit.failure = String(reason);
    console.error("cxkit: boot failed: " + text);
    if (!link || !link.sync) {  // no bus (or its worker died): nothing will answer
      failure = text; link = null;
      queue.splice(0).forEach(function (q) { if (q[3]) q[3].reject(text); });
      Object.keys(pending).forEach(function (t) { w.__cxkit.settle(+t, false, text); });
    }
    w.dispatchEvent(new CustomEvent("cxkit:failed", { detail: text }));
  }
  function onError(e) {  // only a rejection that names our bundle (PyScript, Pyodide, a wheel) is our boot's
    var r = e.reason, text = String(r) + " " + (r && r.stack || "");
    if (ours.some(function (u) { return text.indexOf(u) >= 0; })) fail(String(r));
  }

  // Read when used, never cached: test harnesses and late page scripts set them after this file runs.
  function opts() { var live = w._genesys && w._genesys.widgets; return (live && live.cxkit) || cfg.cxkit || {}; }
  w.__cxkit = {
    manifest: M, base: base, Deferred: Deferred, config: cfg, attached: false, mirror: mirror, thread: null,
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
      d.done(function () { link.settle(token, true, [].slice.call(arguments)); })
        .fail(function () { link.settle(token, false, [].slice.call(arguments)); });
      // Empty data comes as undefined: a {} made here is cheaper than one made from Python.
      try { fn({ time: time, commander: commander, command: command, deferred: d, data: data || {} }); }
      catch (e) { console.error(e); d.reject(e && e.message || String(e)); }
    },
    deliver: function (fn, time, publisher, event, data) {  // a JS subscriber gets a plain object
      try { fn({ time: time, publisher: publisher, event: event, data: data }); } catch (e) { console.error(e); }
    },
    // b: {call(plugin, method, token, args), settle(token, ok, args), sync, services()}. The queue is
    // replayed with the page's commands last, after services() starts the services, so early
    // subscribers see everything the services publish as they start.
    attach: function (b) {
      if (failure) return false;
      link = b;
      w.__cxkit.attached = true; w.__cxkit.attachedAt = performance.now();
      removeEventListener("unhandledrejection", onError);
      var q = queue.splice(0), replay = function (q) {
        var r = link.call(q[0], q[1], q[3] ? track(q[3]) : 0, q[2]);
        if (r === false && q[1] === "registerPlugin") console.warn("cxkit: registerPlugin('" + q[2][0] + "') was refused");
      };
      q.filter(function (c) { return c[1] !== "command"; }).forEach(replay);
      if (b.services) b.services();
      q.filter(function (c) { return c[1] === "command"; }).forEach(replay);
      return true;
    },
    // Python (main-thread mode) attaches with its bridge: call(plugin, method, token, ...args).
    attachPython: function (bridge) {
      return w.__cxkit.attach({ sync: true, settle: function (t, ok, a) { bridge.settle.apply(null, [t, ok].concat(a)); },
        call: function (p, m, t, a) { return bridge.call.apply(null, [p, m, t].concat(a)); } });
    },
    fail: fail,
    boot: boot,
    waiting: function () { return Object.keys(pending).length; },  // commands not settled yet (leak checks)
  };

  var abs = function (p) { return new URL(p, base).href; };
  var ours = [M.pyscript, M.pyodide, M.link].filter(Boolean).map(function (p) { return abs(p).replace(/[^/]*$/, ""); }).concat((M.wheels || []).map(abs));
  addEventListener("unhandledrejection", onError);

  function bootMain() {  // PyScript on the page's own thread: for pages that import cxkit in Python
    var files = {}, dir = M.pyodide.replace(/[^/]*$/, "");
    (M.wheels || []).forEach(function (p) { files[abs(p)] = "/lib/python3.14/site-packages/*"; });
    // Fetch the runtime while PyScript itself loads, instead of after it (saves its import chain).
    // Not the .wasm: a preloaded response bypasses V8's wasm code cache (warm boot +430 ms here).
    [["modulepreload", M.pyodide], ["modulepreload", dir + "pyodide.asm.mjs"], ["preload", dir + "python_stdlib.zip"], ["preload", dir + "pyodide-lock.json"]].concat((M.wheels || []).map(function (p) { return ["preload", p]; }))
      .forEach(function (h) {
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
    py.addEventListener("py:done", function () { if (!link) fail("Python boot code finished without starting the bus"); });
    (doc.head || doc.documentElement).appendChild(py);
    import(abs(M.pyscript)).catch(function (e) { fail("cannot load PyScript from " + abs(M.pyscript) + ": " + e); });
  }
  function boot() {  // once; the thread is chosen now, when the page's own scripts are all there
    if (booting || !M.pyodide) return;
    booting = true;
    var thread = opts().thread, main = thread ? thread === "main" : !!doc.querySelector('script[type="py"], script[type="mpy"], py-script');
    w.__cxkit.thread = main ? "main" : "worker";
    if (main) return bootMain();
    import(abs(M.link)).catch(function (e) { fail("cannot load " + abs(M.link) + ": " + e); })
      .then(function (m) { try { if (m) m.start(w.__cxkit); } catch (e) { fail("cxkit could not start: " + e); } });
  }
  // Boot policy (_genesys.widgets.cxkit.boot): "idle" (default) once the page has loaded and the
  // browser is idle, so the runtime's downloads never compete with the page's own; "now"; or
  // "command": at the first WebChatService command, or as "idle" when a chat is to be restored.
  // The policy is read now (for "now") and again at the load event, so options set by scripts
  // that run after this file still count.
  function bootNow() {  // the thread is chosen from the page's scripts: wait until they are parsed
    if (opts().thread || doc.readyState !== "loading") boot();
    else doc.addEventListener("DOMContentLoaded", boot, { once: true });
  }
  function policy() {
    var b = opts().boot;
    if (b === "now") return bootNow();
    if (b === "command" && !/(^|;\s*)_genesys\.widgets\.webchat\.state\.keys=/.test(doc.cookie)) return;
    (w.requestIdleCallback || setTimeout)(boot, { timeout: 1000 });
  }
  if (opts().boot === "now") bootNow();
  else if (doc.readyState === "complete") policy();
  else addEventListener("load", policy, { once: true });
})();
