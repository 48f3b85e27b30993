/* e2e_csp_main.html: the same page with Python on the main thread (PyScript). */
window._genesys.widgets.cxkit = {thread: "main"};
