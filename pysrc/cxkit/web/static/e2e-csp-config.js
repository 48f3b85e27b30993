/* Config for e2e_csp.html. It lives in a file, not inline, so the page's CSP needs no
 * 'unsafe-inline', hash or nonce. DOMContentLoaded comes after widgets.js has run and
 * before Python is up, so the test recorder's plugin is registered through the queue. */
window._genesys = {widgets: {main: {debug: false}, webchat: {dataURL: location.origin + "/genesys/2/chat/customer-support"}}};
if (window.cxkitTestConfig) window.cxkitTestConfig(window._genesys.widgets);
document.addEventListener("DOMContentLoaded", function () {
  if (window.cxkitTestEarly) window.cxkitTestEarly();
});
