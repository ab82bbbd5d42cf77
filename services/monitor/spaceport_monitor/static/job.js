// One job: stage timeline, criteria, metrics, SfM diagnostics, preview renders, alerts and the 3D view.
import { el, fmtDuration, fmtTime, fmtValue, getJSON, showError } from '/static/common.js';
import { showSplat } from '/static/viewer.js';

const jobId = decodeURIComponent(location.pathname.split('/').pop());
let viewerStarted = false;

function stageRow(s) {
  const progress = s.status === 'running' && s.progress
    ? `${Math.round(s.progress.fraction * 100)}% ${s.progress.step} ${s.progress.message}` : '–';
  return el('tr', { 'data-stage': s.stage },
    el('td', {}, s.stage), el('td', {}, el('span', { class: `badge ${s.status}` }, s.status)),
    el('td', {}, fmtTime(s.started_at)), el('td', {}, fmtTime(s.ended_at)),
    el('td', {}, fmtDuration(s.duration_s)), el('td', {}, fmtDuration(s.budget_s)),
    el('td', {}, s.attempts), el('td', {}, progress));
}

function criterionRow(c) {
  return el('tr', { 'data-criterion': c.name, 'data-outcome': c.outcome },
    el('td', {}, c.name), el('td', {}, c.stage), el('td', {}, el('span', { class: `chip ${c.outcome}` }, c.outcome)),
    el('td', {}, fmtValue(c.observed)), el('td', {}, c.expected), el('td', {}, c.message || ''));
}

function metricsTable(id, metrics) {
  const rows = [];
  for (const [key, value] of Object.entries(metrics || {})) {
    if (value !== null && typeof value === 'object') {
      for (const [sub, v] of Object.entries(value)) rows.push(el('tr', {}, el('th', {}, `${key}.${sub}`), el('td', {}, fmtValue(v))));
    } else {
      rows.push(el('tr', {}, el('th', {}, key), el('td', {}, fmtValue(value))));
    }
  }
  document.getElementById(id).replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', {}, '–'))]));
}

function showFailure(failure) {
  const box = document.getElementById('failure');
  box.hidden = !failure;
  if (!failure) return;
  box.replaceChildren(el('h2', {}, `${failure.stage}: ${failure.reason}`), el('p', {}, failure.message),
    el('ul', {}, failure.hints.map((hint) => el('li', {}, hint))));
}

function showNotes(job) {
  // SfM's advice about the photos and the files it skipped; a rejection already lists its hints above.
  const hints = job.failure ? [] : job.hints;
  const box = document.getElementById('notes');
  box.hidden = !hints.length && !job.skipped.length;
  box.replaceChildren(el('h2', {}, 'About the photos'),
    el('ul', { id: 'hints' }, hints.map((hint) => el('li', {}, hint))),
    el('ul', { id: 'skipped' }, job.skipped.map((s) =>
      el('li', { 'data-file': s.name }, el('strong', {}, s.name), ` skipped: ${s.reason}${s.detail ? ` (${s.detail})` : ''}`))));
}

function render(job) {
  document.title = `${job.job_id} – Spaceport monitor`;
  document.getElementById('job-id').textContent = job.job_id;
  const outcome = job.stalled ? 'stalled' : job.outcome;
  document.getElementById('outcome').replaceChildren(el('span', { class: `badge ${outcome}` }, outcome));
  showFailure(job.failure);
  showNotes(job);
  document.querySelector('#timeline tbody').replaceChildren(...job.stages.map(stageRow));
  document.querySelector('#criteria tbody').replaceChildren(...job.criteria.map(criterionRow));
  metricsTable('sfm', job.sfm);
  metricsTable('training', job.training);
  metricsTable('compression', job.compression);
  document.getElementById('previews').replaceChildren(...job.previews.map((p) =>
    el('figure', {}, el('img', { src: p.url, alt: p.name, loading: 'lazy' }), el('figcaption', {}, p.name))));
  document.getElementById('alerts').replaceChildren(...job.alerts.map((a) => el('li', { class: a.severity },
    el('strong', {}, `[${a.severity}] ${a.criterion}`), ` ${a.message} (observed ${fmtValue(a.observed)}, expected ${a.expected})`)));
  document.getElementById('artifacts').replaceChildren(...job.artifacts.map((a) =>
    el('li', {}, el('a', { href: a.url }, `${a.stage}/${a.name}`))));
  if (job.splat && !viewerStarted) {
    viewerStarted = true;
    showSplat(document.getElementById('splat'), job.splat.url, document.getElementById('viewer-status'),
      document.getElementById('flip'));
  }
  document.body.dataset.loaded = 'true';
}

async function refresh() {
  try {
    const job = await getJSON(`/jobs/${encodeURIComponent(jobId)}`);
    render(job);
    document.getElementById('error').hidden = true;
    if (job.outcome === 'running') setTimeout(refresh, 5000);
  } catch (error) {
    showError(error);
  }
}

refresh();
