"""Browser tests: headless Chromium (playwright-core) with the PlayCanvas engine; shared helpers here."""
