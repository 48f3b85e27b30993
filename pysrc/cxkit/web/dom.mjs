/* cxkit DOM adapters: what the worker cannot touch itself. Page facts and cookies at boot,
 * cookie writes and other tabs' changes, page visibility, typing-preview inputs, file
 * downloads. Elements stay here; the worker knows them by handle. */

export function pageFacts() {  // referrerPolicy: the last <meta name="referrer"> (one set by a header is not visible here)
  const metas = document.querySelectorAll('meta[name="referrer" i]');
  return { url: location.href, base: document.baseURI, referrer: document.referrer, title: document.title,
    hidden: document.hidden, focused: document.hasFocus(),
    cookie: document.cookie, cookieDomain: cookieDomain(location.hostname), referrerPolicy: metas.length ? metas[metas.length - 1].content : "" };
}

// The widest parent domain that accepts a cookie ("" for host-only: localhost, IP hosts), as the
// original shares a chat between sub-domains.
function cookieDomain(host) {
  const labels = host.split("."), probe = "_cxkit.cookie.probe=";
  if (/^[\d.]*$|:/.test(host)) return "";  // an IP address, or no host
  for (let size = 2; size <= labels.length; size++) {
    const domain = labels.slice(-size).join(".");
    document.cookie = `${probe}1; path=/; domain=${domain}`;
    if (document.cookie.includes(probe + "1")) {
      document.cookie = `${probe}; path=/; domain=${domain}; max-age=0`;
      return domain;
    }
  }
  return "";
}

// Other tabs write the session cookies too: `changed` is called when they may have (Chromium's
// cookieStore says so at once; elsewhere each second), and when the page is back in view.
// True when change events are there (no event, no change).
// changed([[name, value or null for deleted], ...]): the change event's own values, which this
// tab's document.cookie may not show yet; [] where only a fresh read can tell.
export function watchCookies(changed) {
  const events = !!(window.cookieStore && cookieStore.addEventListener), call = () => changed([]);
  if (events) {
    cookieStore.addEventListener("change", (e) => changed(
      [...e.changed.map((c) => [c.name, c.value]), ...e.deleted.map((c) => [c.name, null])]));
  } else setInterval(call, 1000);
  document.addEventListener("visibilitychange", call);
  window.addEventListener("focus", call);
  return events;
}

export function watchVisibility(send) {  // App.data('pageHidden') and ('pageFocus')
  document.addEventListener("visibilitychange", () => send(["hidden", document.hidden]));
  for (const type of ["focus", "blur"]) window.addEventListener(type, () => send(["focus", type === "focus"]));
}

const inputs = new Map();  // the worker's TypingInput handles: each edit posts the text
export function listen(id, el, send) {
  if (inputs.has(id) || !el) return;
  inputs.set(id, new AbortController());
  el.addEventListener("input", () => send(["input", id, String(el.value ?? "")]), { signal: inputs.get(id).signal });
}
export function unlisten(id) {
  if (inputs.has(id)) inputs.get(id).abort();
  inputs.delete(id);
}

export function save(blob, name) {  // hand a downloaded file to the user under its name
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name || "download";
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 0);
}
