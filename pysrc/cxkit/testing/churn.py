"""The churn cxkit's leak checks run in a test page (``testHook`` on), and the counts they compare:
e2e/test_leaks.py asserts on them, bench/longchat.py reports them.

    page.evaluate("src => cxkitPy(src)", SETUP_PY)     # a Python command handler, LeakSvc.echo
    page.evaluate("src => cxkitPy(src)", TRACE_PY)     # count PyProxies made from now on
    before = page.evaluate("src => cxkitPy(src)", CENSUS_PY) | page.evaluate(PAGE_COUNTS_JS)
    assert page.evaluate(CHURN_JS, 1000) == {"delivered": 1000, "answered": 2000}
"""

from __future__ import annotations

__all__ = ["CENSUS_PY", "CHURN_JS", "PAGE_COUNTS_JS", "SETUP_PY", "TRACE_PY"]

#: Python for the test hook: a Python handler that answers with the function it was given.
SETUP_PY = """
leak_svc = bus.register_plugin("LeakSvc")
leak_svc.register_command("echo", lambda e: e.deferred.resolve({"i": e.data.get("i"), "cb": e.data.get("cb")}))
leak_svc.ready()
result = True
"""
#: Python for the test hook: `cxkit.browser.census`'s counts.
CENSUS_PY = "from cxkit.browser.census import census\nresult = census()"
#: Python for the test hook: from now on, count the PyProxies made and not destroyed.
TRACE_PY = "from cxkit.browser.census import trace_proxies\ntrace_proxies()\nresult = True"

#: Page JS: a plugin with a JS command handler, then `n` subscribe/publish/unsubscribe cycles
#: and `n` rounds of commands (a Python handler given a function, a JS handler through the bus).
CHURN_JS = """async (n) => {
  if (!window.churn) {
    const p = CXBus.registerPlugin('Churn');
    p.registerCommand('echo', e => e.deferred.resolve(e.data));
    p.ready();
    window.churn = p;
  }
  const p = window.churn;
  let delivered = 0;
  for (let i = 0; i < n; i++) {
    p.subscribe('Churn.tick', e => { delivered += e.data.i === i ? 1 : 0; });
    p.publish('tick', {i});
    await p.command('Churn.echo', {i});  // a round trip: the delivery is done by its answer
    p.unsubscribe('Churn.tick');
  }
  let answered = 0;
  // The original's Deferred: then() returns nothing, so wrap it in a Promise to wait on it.
  const ask = (d, check) => new Promise((ok, no) => d.done(r => { answered += check(r) ? 1 : 0; ok(); }).fail(no));
  for (let i = 0; i < n; i += 50) {  // 50 rounds in flight at a time
    const round = [];
    for (let j = i; j < i + 50 && j < n; j++) {
      round.push(ask(p.command('LeakSvc.echo', {i: j, cb: function () { return j; }}),
                     r => r.i === j && typeof r.cb === 'function'));
      round.push(ask(p.command('Churn.echo', {i: j}), r => r.i === j));
    }
    await Promise.all(round);
  }
  return {delivered, answered};
}"""

#: Page JS: the loader's unsettled commands and published data kept, the link's held functions and open questions.
PAGE_COUNTS_JS = """() => ({
  waiting: __cxkit.waiting(),
  kept: __cxkit.kept(),
  held: __cxkit.link ? __cxkit.link.held() : 0,
  replies: __cxkit.link ? __cxkit.link.replies() : 0,
})"""
