"""The cxkit pytest plugin (entry point ``pytest11``): fixtures for Playwright suites."""
