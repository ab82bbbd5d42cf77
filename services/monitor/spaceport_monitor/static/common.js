// Shared by the dashboard pages: the API client (bearer token from the URL fragment) and DOM helpers.
// Every value from the API goes into the page through textContent, never as HTML.

const TOKEN_KEY = 'spaceport-monitor-token';

export function token() {
  const match = location.hash.match(/(?:^#|&)token=([^&]+)/);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export async function getJSON(path) {
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  const response = await fetch(path, { headers });
  if (response.status === 401) throw new Error('This monitor needs a token: open it as …/#token=YOUR_TOKEN');
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined) continue;
    if (key === 'class') node.className = value;
    else if (key === 'href' || key === 'src') node.setAttribute(key, safeUrl(value));
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function safeUrl(value) {
  const url = String(value);
  return url.startsWith('/') && !url.startsWith('//') ? url : '#';
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function fmtTime(iso) {
  if (!iso) return '–';
  const date = new Date(iso);
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function fmtValue(value) {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number' && !Number.isInteger(value)) return value.toPrecision(4);
  return String(value);
}

export function criterionChip(c) {
  return el('span', {
    class: `chip ${c.outcome}`,
    title: `${c.name}: observed ${fmtValue(c.observed)}, expected ${c.expected}${c.message ? ' – ' + c.message : ''}`,
    'data-criterion': c.name,
    'data-outcome': c.outcome,
  }, c.name);
}

export function showError(error) {
  const box = document.getElementById('error');
  box.textContent = String(error.message || error);
  box.hidden = false;
}
