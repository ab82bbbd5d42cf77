// Drives the monitor's dashboard in headless Chromium (playwright-core) and writes what it saw.
// usage: node dashboard_check.mjs BASE_URL JOB_ID OUT_DIR TOKEN
// OUT_DIR gets result.json (jobs and their criteria chips, the job page's criteria, the viewer's state,
// console errors, failed requests), list.png, job.png and splat.png (the 3D view's canvas).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, recordProblems } from '../chromium.mjs';

const [base, jobId, outDir, token] = process.argv.slice(2);
const browser = await launchChromium();
const result = { jobs: [], criteria: [], stages: [], viewer: null, consoleErrors: [], failedRequests: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  recordProblems(page, result);

  await page.goto(`${base}/#token=${encodeURIComponent(token)}`);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30000 });
  result.jobs = await page.$$eval('#jobs tbody tr', (rows) => rows.map((row) => ({
    job: row.dataset.job,
    outcome: row.querySelector('.badge').textContent,
    criteria: [...row.querySelectorAll('.chip')].map((c) => ({ name: c.dataset.criterion, outcome: c.dataset.outcome })),
  })));
  await page.screenshot({ path: join(outDir, 'list.png'), fullPage: true });

  await page.click(`tr[data-job="${jobId}"] a`);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30000 });
  result.criteria = await page.$$eval('#criteria tbody tr', (rows) => rows.map((r) => ({ name: r.dataset.criterion, outcome: r.dataset.outcome })));
  result.stages = await page.$$eval('#timeline tbody tr', (rows) => rows.map((r) => r.dataset.stage));
  await page.waitForFunction(() => window.spaceportViewer
    && ((window.spaceportViewer.frames >= 5 && window.spaceportViewer.drawn > 0)
        || window.spaceportViewer.state === 'error'), null, { timeout: 90000 });
  result.viewer = await page.evaluate(() => ({ ...window.spaceportViewer }));
  await page.locator('#splat').screenshot({ path: join(outDir, 'splat.png') });
  await page.screenshot({ path: join(outDir, 'job.png'), fullPage: true });
} finally {
  writeFileSync(join(outDir, 'result.json'), JSON.stringify(result, null, 1));
  await browser.close();
}
