/* cxkit worker: Pyodide, the bus and the WebChatService, off the page's main thread. Messages
 * that arrive while Python starts wait in the inbox; then cxkit.browser.worker takes over. */
var inbox = [], receive = null;

onmessage = function (e) {
  if (e.data && e.data.init) boot(e.data.init);
  else if (receive) receive(e.data);
  else inbox.push(e.data);
};

function post(ops) { postMessage(ops); }

async function boot(init) {
  try {
    var wheel = fetch(init.wheel).then(function (r) {
      if (!r.ok) throw new Error(init.wheel + ": HTTP " + r.status);
      return r.arrayBuffer();
    });
    var pyodide = await import(init.pyodide);
    var py = await pyodide.loadPyodide({ indexURL: init.pyodide.replace(/[^/]*$/, "") });
    py.unpackArchive(await wheel, "wheel");
    receive = py.pyimport("cxkit.browser.worker").start(init, post);
    inbox.splice(0).forEach(receive);
  } catch (e) {
    post([["failed", String(e && e.message || e)]]);
  }
}
