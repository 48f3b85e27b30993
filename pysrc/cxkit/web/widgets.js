/* cxkit loader, the face: defines window.CXBus and window._genesys.widgets.bus at once, answers
 * what the bus API answers synchronously from a mirror, queues the rest until Python is up, then
 * boots it: in a Web Worker by default (link.mjs), or on the page's main thread under PyScript
 * for pages that run Python themselves. Bus logic lives in Python. */
(() => {
  "use strict";
  const M = /*@MANIFEST@*/{};
  const w = window, doc = document;
  if (w.__cxkit) return;  // included twice: the first copy owns the page
  const g = (w._genesys = w._genesys || {});
  const cfg = (g.widgets = g.widgets || g.cxwidget || {});
  // The bundle is beside this file, or at cxkit.base (a page that inlines it, or bundles it into its own script)
  const me = doc.currentScript || doc.querySelector('script[src*="widgets.js"]'), baseOption = (cfg.cxkit || {}).base;
  let base = new URL(".", (me && me.src) || doc.baseURI).href, badBase = "";
  if (baseOption) {
    try { const u = new URL(baseOption, doc.baseURI); u.search = u.hash = ""; base = u.href.replace(/\/?$/, "/"); }
    catch (e) { badBase = `_genesys.widgets.cxkit.base ${baseOption}: ${e}`; }  // fails the boot, not the page
  }
  const abs = (path) => new URL(path, base).href;
  const append = (el) => (doc.head || doc.documentElement).appendChild(el);
  // Prototype.js 1.6 and MooTools 1.2.4 give arrays a toJSON that returns JSON text, which
  // JSON.stringify would quote again: on such a page each array or object is written as itself.
  const json = (v) => JSON.stringify(v, Array.prototype.toJSON || Object.prototype.toJSON ? asItself : undefined);
  function asItself(key, v) {
    const own = this[key];
    return Array.isArray(own) || (own && Object.getPrototypeOf(own) === Object.prototype) ? own : v;
  }
  // What page code threw or rejected with, as text: reading it may throw too (a null-prototype
  // object has no toString, a getter may throw), and the one waiting must still get an answer.
  const reason = (e) => {
    try { return String(e && e.message || e); } catch (x) { return "an error that cannot be read as text"; }
  };
  const queue = [], pending = {}, unfetched = [];  // unfetched: main-thread boot files the network failed
  const kept = {};  // event data the page published, by token, until Python let go of its copy
  let link = null, failure = null, tokens = 0, booting = false, loader, unwatch = () => {};

  // The original product's Deferred (not a Promise): then() attaches callbacks and returns
  // undefined; callbacks added once it is settled run at once, with the settled arguments.
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
      debug: function () { return { state: st, args: args.slice() }; },  // as Python's Deferred.debug()
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
      notify: function () {
        var a = arguments;
        if (st === "pending") cbs.progress.forEach(function (fn) { fn.apply(d, a); });
        return d;
      },
      resolveWith: function (c, a) { return d.resolve.apply(d, a || []); },
      rejectWith: function (c, a) { return d.reject.apply(d, a || []); },
      notifyWith: function (c, a) { return d.notify.apply(d, a || []); },
    });
  }

  // What the face answers at once (the worker's answers come later). The worker sends snapshots;
  // the page's own changes apply here at once and count in seq, so an older snapshot is ignored.
  const mirror = { seq: 0, subs: {}, data: {}, registry: {}, modules: {},
    names: { CXBus: 1, QuickBus: 1, App: 1, WebChatService: 1 } };
  const changed = (value) => { mirror.seq++; return value; };
  const entry = (p) => (mirror.registry[p] = mirror.registry[p] || { events: [], commands: [] });
  const listed = (list, names) => {
    for (const n of [].concat(names)) if (typeof n === "string" && !list.includes(n)) list.push(n);
    return changed(true);
  };
  const answers = {  // as the Python bus answers (any other method: true)
    subscribe(p, ev, fn) {
      if (typeof ev !== "string" || typeof fn !== "function") return false;
      (mirror.subs[ev] = mirror.subs[ev] || []).push(p);
      return changed(ev);
    },
    unsubscribe(p, ev) {
      const list = mirror.subs[ev] || [], kept = list.filter((n) => n !== p);
      if (kept.length === list.length) return false;
      mirror.subs[ev] = kept;
      return changed(true);
    },
    subscribers(p) {
      const mine = Object.entries(mirror.subs).filter(([ev, names]) => ev.startsWith(p + ".") && names.length);
      return Object.fromEntries(mine.map(([ev, names]) => [ev, names.slice()]));
    },
    registry: () => structuredClone(mirror.registry),
    registerCommand: (p, names) => listed(entry(p).commands, names),
    before: (p, name, fn) => typeof fn === "function",
    registerEvents: (p, names) => listed(entry(p).events, names),
    registerModule: (p, name) => typeof name === "string" && !mirror.modules[name] && (mirror.modules[name] = true),
    data(p, key, value) {  // "Other.key" reads another plugin's store
      const store = (mirror.data[p] = mirror.data[p] || {}), dot = typeof key === "string" ? key.indexOf(".") : -1;
      if (key == null) return { ...store };
      if (value != null) return changed(store[key] = value);
      return dot > 0 ? (mirror.data[key.slice(0, dot)] || {})[key.slice(dot + 1)] : store[key];
    },
  };

  function call(plugin, method, args, d) {  // d: the Deferred of a call that answers later
    if (failure) return d ? d.reject(failure) : false;
    if (!booting && method === "command" && opts().boot === "command" && /^WebChatService\./.test(args[0])) {
      whenLoaded(boot);  // not before the load event: the runtime's downloads must not compete with the page's
    }
    if (link && link.sync && !d) return link.call(plugin, method, token(method, args), args);  // Python answers itself
    if (d && method === "command") d.given = args[1];  // a JS handler gets this very object (`invoke`)
    const answer = d || (answers[method] ? answers[method](plugin, ...args) : true);
    if (link) link.call(plugin, method, token(method, args, d), args);
    else queue.push([plugin, method, args, d]);
    return answer;
  }
  const track = (d) => { pending[++tokens] = d; return tokens; };
  // A command's token names its Deferred; a publish's names its data, which JS subscribers get as itself (`deliver`)
  const PUBLISH = new Set(["publish", "publishDirect", "republish"]);
  const token = (method, args, d) => (d ? track(d)
    : PUBLISH.has(method) && args[1] && typeof args[1] === "object" ? (kept[++tokens] = args[1], tokens) : 0);
  const member = (plugin, method, later) => (later
    ? (...args) => call(plugin, method, args, new Deferred()).promise()
    : (...args) => call(plugin, method, args));
  function loadFile(url) {  // the one bus member that stays in JS: it is a script tag
    const d = new Deferred(), s = doc.createElement("script");
    s.src = url;
    s.onload = () => d.resolve();
    s.onerror = () => d.reject("Could not load plugin file: " + url);
    append(s);
    return d.promise();
  }

  var METHODS = ["publish", "publishDirect", "republish", "subscribe", "unsubscribe", "before",
    "registerCommand", "registerEvents", "subscribers", "registry", "data", "ready"];
  function face(name) {
    const f = { namespace: () => name, command: member(name, "command", true) };
    for (const m of METHODS) f[m] = member(name, m);
    return f;
  }
  const faces = {};  // each plugin's interface object, for getPluginInterface
  function registerPlugin(name) {
    if (typeof name !== "string" || mirror.names[name]) return false;
    mirror.names[name] = 1;
    entry(name).commands.push("COMMANDS", "EVENTS", "LOAD");
    mirror.seq++;
    // after a failed boot too: its calls are rejected with the reason (no TypeError in page code)
    return call("", "registerPlugin", [name]) === false && !failure ? false : (faces[name] = face(name));
  }
  function getPluginInterface(name) {  // only while configured `unlocked` (spec A.2)
    // The worker's snapshots name every plugin; on the page's thread, Python's registry does.
    const known = typeof name === "string"
      && (mirror.names[name] || (link && link.sync && name in call("", "registry", [])));
    return known ? (faces[name] = faces[name] || face(name)) : undefined;
  }
  const cx = face("CXBus");
  var CXBus = {
    registerPlugin: registerPlugin, loadFile: loadFile, command: cx.command, subscribe: cx.subscribe, data: cx.data,
    configure: (...args) => {
      call("", "configure", args);
      const unlocked = args[0] && typeof args[0] === "object" ? args[0].unlocked : undefined;
      if (unlocked) CXBus.getPluginInterface = getPluginInterface;
      else if (unlocked !== undefined) delete CXBus.getPluginInterface;
    },
    registerMaster: () => undefined,
    loadPlugin: member("", "loadPlugin", true), loadModule: member("", "loadModule", true),
    registerModule: member("", "registerModule"),
  };
  w.CXBus = CXBus;
  cfg.bus = faces.QuickBus = face("QuickBus");
  cfg.bus.registerPlugin = registerPlugin;

  function fail(why) {  // every call still waiting is rejected; a bus already up stays up
    if (loader.failure) return;
    const text = (loader.failure = String(why));
    unwatch();
    console.error("cxkit: boot failed: " + text);
    if (!link || !link.sync) {  // no bus (or its worker died): nothing will answer
      failure = text;
      link = null;
      for (const q of queue.splice(0)) if (q[3]) q[3].reject(text);
      for (const token of Object.keys(pending)) loader.settle(token, false, text);
      for (const token of Object.keys(kept)) delete kept[token];
    }
    w.dispatchEvent(new CustomEvent("cxkit:failed", { detail: text }));
  }
  // A module that cannot load says only "Failed to fetch dynamically imported module": the
  // server's answer to the same URL says why (missing, or a type a module cannot have).
  const explain = (url) => fetch(url, { method: "HEAD", cache: "no-store" }).then((r) => {
    const type = r.headers.get("content-type") || "none";
    return !r.ok ? ` (HTTP ${r.status})` : /javascript/i.test(type) ? "" : ` (Content-Type ${type}: a module needs text/javascript)`;
  }, () => "");
  // Pyodide's own errors seldom name the file ("Program terminated with exit(1)" for a missing
  // python_stdlib.zip, a parser's text for a lock file that is not JSON): the files that answer an
  // HTTP error are named. They are asked for again (Resource Timing may not list the failed response
  // yet), all at once: the headers only, 2 s at most; a file that does not answer is not named.
  const PYODIDE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"];
  const refused = (urls) => Promise.all(urls.map((url) => {
    const stop = new AbortController(), timer = setTimeout(() => stop.abort(), 2000);
    return Promise.resolve().then(() => fetch(url, { cache: "no-store", signal: stop.signal }))
      .then((r) => (r.status >= 400 ? [`${url}: HTTP ${r.status}`] : []), () => [])
      .finally(() => { clearTimeout(timer); stop.abort(); });
  })).then((all) => all.flat());
  const pyodideFiles = () => PYODIDE_FILES.map((f) => abs(M.pyodide).replace(/[^/]*$/, f));
  const failNaming = (text, urls, known = []) => refused(urls).then((bad) => {
    const named = known.concat(bad);
    fail(named.length ? `${text} (${named.join(", ")})` : text);
  });
  const send = (q) => link.call(q[0], q[1], token(q[1], q[2], q[3]), q[2]);  // a call queued before boot
  // Read when used, never cached: test harnesses and late page scripts set them after this file runs.
  const opts = () => ((w._genesys || {}).widgets || {}).cxkit || cfg.cxkit || {};
  // worker mode: how long a boot download may go without a byte before the boot fails (0: never)
  const stallMs = () => (opts().stallTimeout == null ? 60000 : Math.max(0, Number(opts().stallTimeout) || 0));

  loader = w.__cxkit = {
    manifest: M, base: base, Deferred: Deferred, config: cfg, mirror: mirror, attached: false, thread: null,
    // the small Common helper extensions receive
    common: { resolve: (e, v) => e.deferred.resolve(v), reject: (e, v) => e.deferred.reject(v) },
    settle: (token, ok, ...args) => {  // Python settles a JS command's Deferred
      const d = pending[token];
      delete pending[token];
      if (d) (ok ? d.resolve : d.reject)(...args);
    },
    // A JS command handler, for Python. `caller`: the page's own command it answers, which only
    // the page waits for; it is settled here (in worker mode, without a trip there and back).
    // `own`: the page command whose options no `before` changed: the handler gets that very object.
    invoke: (fn, token, time, commander, command, data, caller, own) => {
      if (own && pending[own]) data = pending[own].given;
      const d = new Deferred(), answer = (ok) => (...args) => {
        const relay = Object.hasOwn(pending, caller);
        link.settle(token, ok, args, relay);
        if (relay) loader.settle(caller, ok, ...args);
      };
      d.done(answer(true)).fail(answer(false));
      d.progress((...args) => pending[caller || own] && pending[caller || own].notify(...args));  // to the page's caller
      // Empty data comes as undefined: a {} made here is cheaper than one made from Python.
      try { fn({ time, commander, command, deferred: d, data: data || {} }); }
      catch (e) { console.error(e); d.reject(reason(e)); }
    },
    deliver: (fn, time, publisher, event, data, own) => {  // own: the page published this data (`token`)
      if (own && own in kept) data = kept[own];
      try { fn({ time, publisher, event, data }); } catch (e) { console.error(e); }
    },
    forget: (own) => { delete kept[own]; },
    // b: {call(plugin, method, token, args), settle(token, ok, args), sync, services()}. The queue is
    // replayed with the page's commands last, after services() starts the services, so early
    // subscribers see everything the services publish as they start.
    attach: (b) => {
      if (failure) return false;
      link = b;
      loader.attached = true;
      loader.attachedAt = performance.now();
      const calls = queue.splice(0);
      calls.filter((q) => q[1] !== "command").forEach(send);
      if (b.services) b.services();
      calls.filter((q) => q[1] === "command").forEach(send);
      return true;
    },
    attachPython: (bridge) => {  // main-thread mode: bridge.call(plugin, method, token, ...args)
      removeEventListener("unhandledrejection", onRejection);
      unwatch();
      return loader.attach({ sync: true, settle: (token, ok, args, relayed) => (relayed
        ? bridge.settled_on_page(token, ok) : bridge.settle(token, ok, ...args)),
        call: (plugin, method, token, args) => bridge.call(plugin, method, token, ...args) });
    },
    // A page function Python calls on the page's thread: Pyodide hands Python a Promise it returns
    // as a future, one that never settles if the Promise rejects with what is not an Error.
    calmed: (fn) => function () {
      const v = fn.apply(this, arguments);
      return v && typeof v.then === "function"
        ? Promise.resolve(v).catch((e) => { throw e instanceof Error ? e : new Error(String(e)); }) : v;
    },
    // After onReady: the extensions given as script URLs, each a script tag (spec A.1)
    extensionFiles: () => Object.entries(cfg.extensions || {}).forEach(([name, url]) => {
      try { if (typeof url === "string") loadFile(url).fail((why) => console.error(`cxkit: extension ${name}: ${why}`)); }
      catch (e) { console.error(`cxkit: extension ${name}: ${e}`); }  // a URL Trusted Types refuses
    }),
    fail: fail, explain: explain, json: json, stallMs: stallMs, reason: reason,
    failNaming: (text) => failNaming(text, pyodideFiles()),
    waiting: () => Object.keys(pending).length,  // commands not settled yet (leak checks)
    kept: () => Object.keys(kept).length,  // published data Python still holds a copy of (leak checks)
  };

  function boot() {  // once; the thread is chosen now, when the page's own scripts are all there
    if (booting) return;
    booting = true;
    if (badBase) return fail(badBase);
    // MicroPython (type="mpy") is another interpreter, one that cannot import cxkit: no reason to share a thread
    const given = opts().thread, py = doc.querySelector('script[type="py"], py-script');
    loader.thread = (given ? given === "main" : !!py) ? "main" : "worker";
    if (loader.thread === "main") {  // what it throws (a policy that refuses a script's text) fails the boot
      try { return bootMain(); } catch (e) { return fail("cxkit could not start: " + e); }
    }
    const ms = stallMs(), stalled = `nothing received for ${ms / 1000} s`;
    Promise.race([import(abs(M.link)), new Promise((_, no) => ms && setTimeout(no, ms, stalled))])
      .catch((e) => (e === stalled ? fail(`cannot load ${abs(M.link)}: ${e}`) : explain(abs(M.link)).then((why) => fail(
        `cannot load ${abs(M.link)}: ${e}${why}` + (!/HTTP 404/.test(why) ? "" : baseOption ? ` (_genesys.widgets.cxkit.base names ${base})`
          : ` (widgets.js looks for the rest of its bundle in ${base}; one not beside it needs _genesys.widgets.cxkit.base)`)))))
      .then((m) => m && !loader.failure && m.start(loader)).catch((e) => fail("cxkit could not start: " + e));
  }
  function bootMain() {  // PyScript on the page's own thread: for pages that import cxkit in Python
    // Pyodide only logs a failed WebAssembly start (as in worker.mjs) and never settles.
    const warn = console.warn, wasm = abs(M.pyodide).replace(/[^/]*$/, "pyodide.asm.wasm: ");
    let heard = false;
    const hook = console.warn = function (what) {
      if (heard) fail(wasm + what);
      heard = what === "wasm instantiation failed!";
      return warn.apply(console, arguments);
    };
    unwatch = () => { if (console.warn === hook) console.warn = warn; };  // unless the page replaced it since
    const files = {};  // M.main: the wheels' place, what to fetch at once, plugins off (cxkit.bundle)
    for (const wheel of M.wheels) files[abs(wheel)] = M.main.sitePackages;
    for (const path of M.main.preload) {
      const hint = doc.createElement("link");
      if (path.endsWith(".mjs")) hint.rel = "modulepreload";
      else Object.assign(hint, { rel: "preload", as: "fetch", crossOrigin: "anonymous" });
      hint.href = abs(path);
      hint.onerror = () => unfetched.push(hint.href);
      append(hint);
    }
    const py = doc.createElement("script");
    py.type = "py";
    py.setAttribute("config", json({ interpreter: abs(M.pyodide), files, plugins: M.main.plugins }));
    py.textContent = "import js\ntry:\n    from cxkit.browser import boot\n    boot()\n" +
      "except BaseException as e:\n    getattr(js.window, '__cxkit').fail(f'{type(e).__name__}: {e}')\n";
    py.addEventListener("py:done", () => { if (!link) fail("Python boot code finished without starting the bus"); });
    append(py);
    addEventListener("unhandledrejection", onRejection);
    import(abs(M.pyscript)).catch((e) => explain(abs(M.pyscript))
      .then((why) => fail(`cannot load PyScript from ${abs(M.pyscript)}: ${e}${why}`)));
  }
  function onRejection(e) {  // only a rejection that names our bundle (PyScript, Pyodide, a wheel) is our boot's
    const r = e.reason, text = String(r) + " " + (r && r.stack || "");
    const ours = [M.pyscript, M.pyodide].map((p) => abs(p).replace(/[^/]*$/, "")).concat(M.wheels.map(abs));
    if (!ours.some((url) => text.includes(url))) return;
    removeEventListener("unhandledrejection", onRejection);  // the first one is the boot's failure
    // A network failure (PyScript's "Failed to fetch") names no URL: the preloads that failed do;
    // nor does a parser's error: the files that answer an HTTP error do (`refused`).
    failNaming(String(r), pyodideFiles().concat(M.wheels.map(abs)), unfetched);
  }

  // Boot policy (_genesys.widgets.cxkit.boot): "idle" (default) once the page has loaded and the
  // browser is idle, so the runtime's downloads never compete with the page's own; "now"; or
  // "command": at the first WebChatService command, or as "idle" when a chat is to be restored.
  // It is read now (for "now") and again at the load event, so later scripts' options count.
  function whenLoaded(fn) {
    if (doc.readyState === "complete") fn(); else addEventListener("load", fn, { once: true });
  }
  function atLoad() {
    const policy = opts().boot;
    let chat = false;  // a page without cookies (a sandboxed frame) throws here: the boot then says why it fails
    try { chat = /(^|;\s*)_genesys\.widgets\.webchat\.state\.keys=/.test(doc.cookie); } catch (e) { /* no chat */ }
    if (policy === "now") boot();
    else if (policy !== "command" || chat) (w.requestIdleCallback || setTimeout)(boot, { timeout: 1000 });
  }
  if (opts().boot !== "now") whenLoaded(atLoad);
  else if (opts().thread || doc.readyState !== "loading") boot();
  else doc.addEventListener("DOMContentLoaded", boot, { once: true });  // the page's scripts choose the thread
})();
