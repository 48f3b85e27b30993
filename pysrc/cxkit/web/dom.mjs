/* cxkit DOM adapters: what the worker cannot touch itself. Page facts and cookies at boot,
 * cookie writes and other tabs' changes, page visibility, typing-preview inputs, file
 * downloads. Elements stay here; the worker knows them by handle. */

export function pageFacts() {
  return { url: location.href, referrer: document.referrer, title: document.title, hidden: document.hidden,
    cookie: document.cookie, cookieDomain: cookieDomain(location.hostname) };
}

// The widest parent domain that accepts a cookie ("" for host-only: localhost, IP hosts), as the
// original shares a chat between sub-domains.
function cookieDomain(host) {
  if (!host || host.indexOf(".") < 0 || host.indexOf(":") >= 0 || /^[\d.]+$/.test(host)) return "";
  var labels = host.split("."), probe = "_cxkit.cookie.probe";
  for (var size = 2; size <= labels.length; size++) {
    var domain = labels.slice(-size).join(".");
    document.cookie = probe + "=1; path=/; domain=" + domain;
    if (document.cookie.indexOf(probe + "=1") >= 0) {
      document.cookie = probe + "=; path=/; domain=" + domain + "; max-age=0";
      return domain;
    }
  }
  return "";
}

// Other tabs write the session cookies too: `changed` is called when they may have (Chromium's
// cookieStore says so at once; elsewhere each second), and when the page is back in view.
// True when change events are there (no event, no change).
export function watchCookies(changed) {
  var events = !!(window.cookieStore && cookieStore.addEventListener), call = function () { changed(); };
  if (events) cookieStore.addEventListener("change", call); else setInterval(call, 1000);
  document.addEventListener("visibilitychange", call);
  window.addEventListener("focus", call);
  return events;
}

export function watchVisibility(send) {
  document.addEventListener("visibilitychange", function () { send(["hidden", document.hidden]); });
}

var listeners = {};
export function listen(id, el, send) {  // the worker's TypingInput: each edit posts the text
  if (listeners[id] || !el) return;
  listeners[id] = [el, function () { send(["input", id, String(el.value == null ? "" : el.value)]); }];
  el.addEventListener("input", listeners[id][1]);
}
export function unlisten(id) {
  var l = listeners[id];
  if (l) { l[0].removeEventListener("input", l[1]); delete listeners[id]; }
}

export function save(blob, name) {  // hand a downloaded file to the user under its name
  var url = URL.createObjectURL(blob), a = document.createElement("a");
  a.href = url; a.download = name || "download"; a.style.display = "none";
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(function () { URL.revokeObjectURL(url); }, 0);
}
