// The job list: every job with its outcome and a pass/fail chip per criterion; recent alerts below.
import { criterionChip, el, fmtDuration, fmtTime, getJSON, showError } from '/static/common.js';

function jobRow(job) {
  const link = el('a', { href: `/dashboard/jobs/${encodeURIComponent(job.job_id)}` }, job.job_id);
  const outcome = job.stalled ? 'stalled' : job.outcome;
  return el('tr', { 'data-job': job.job_id },
    el('td', {}, link),
    el('td', {}, el('span', { class: `badge ${outcome}` }, outcome)),
    el('td', {}, job.current_stage || '–'),
    el('td', {}, fmtTime(job.submitted_at)),
    el('td', {}, fmtDuration(job.duration_s)),
    el('td', { class: 'criteria' }, job.criteria.map(criterionChip)));
}

function alertItem(alert) {
  return el('li', { class: alert.severity },
    el('strong', {}, `[${alert.severity}] ${alert.criterion}`), ' ',
    alert.system ? 'system' : el('a', { href: `/dashboard/jobs/${encodeURIComponent(alert.job_id)}` }, alert.job_id),
    `: ${alert.message} `,
    el('small', {}, fmtTime(alert.at)));
}

async function refresh() {
  try {
    const [list, alerts] = await Promise.all([getJSON('/jobs?limit=200'), getJSON('/alerts?limit=20')]);
    document.querySelector('#jobs tbody').replaceChildren(...list.jobs.map(jobRow));
    document.getElementById('empty').hidden = list.jobs.length > 0;
    document.getElementById('alerts').replaceChildren(...alerts.map(alertItem));
    document.getElementById('updated').textContent = `updated ${fmtTime(new Date().toISOString())}`;
    document.getElementById('error').hidden = true;
    document.body.dataset.loaded = 'true';
  } catch (error) {
    showError(error);
  }
}

refresh();
setInterval(refresh, 10000);
