// The page's main thread: renders, and nothing else. The engine runs in worker.js.
// User text is only ever inserted with textContent (see el()), never as HTML.
import uPlot from './vendor/uPlot.esm.js';

const $ = (id) => document.getElementById(id);

/** Creates an element with text content and children; never parses HTML. */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') node.textContent = v;
    else if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

const state = { file: null, worker: null, job: 0, busy: false, urls: [] };

function startWorker() {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => onWorkerMessage(data);
  worker.onerror = (e) => fail(`the engine stopped: ${e.message || 'worker error'}`);
  state.worker = worker;
}

function onWorkerMessage(msg) {
  if (msg.type === 'ready') {
    $('version').textContent = msg.version;
    document.body.dataset.ready = 'true';
    return;
  }
  if (msg.id !== state.job) return; // a message from a job that was cancelled or replaced
  if (msg.type === 'progress') {
    // One bar per pass over the file (inspect; analyse, maybe more; write outputs).
    const label = { inspect: 'inspecting', analyse: 'analysing', write: 'writing outputs' }[msg.phase] || msg.phase;
    $('progress').value = msg.total ? msg.done / msg.total : 1;
    $('status').textContent = `${label}: ${mb(msg.done)} of ${mb(msg.total)}, ${msg.rows.toLocaleString()} rows`;
  } else if (msg.type === 'inspected') {
    setBusy(false);
    $('status').textContent = 'inspected';
    renderInspect(JSON.parse(msg.report), msg.preview);
    if (state.autorun) {
      state.autorun = false;
      run();
    }
  } else if (msg.type === 'done') {
    setBusy(false);
    $('status').textContent = 'done';
    renderResult(msg);
  } else if (msg.type === 'rejudged') {
    const r = msg.counts;
    $('rejudged').textContent = `With these thresholds: kept ${r.rows_kept.toLocaleString()}, removed ${r.rows_removed.toLocaleString()} (${Object.entries(r.removed_by).map(([k, v]) => `${k} ${v}`).join(', ') || 'no filter removals'})`;
  } else if (msg.type === 'error') {
    fail(msg.message);
  }
}

function fail(message) {
  setBusy(false);
  $('status').textContent = '';
  $('status').append(el('span', { class: 'errors', text: `Error: ${message}` }));
}

function mb(n) {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`;
}

function setBusy(busy) {
  state.busy = busy;
  $('run').disabled = busy || !state.file;
  $('cancel').disabled = !busy;
  $('demo').disabled = busy;
  $('file-input').disabled = busy;
  if (busy) $('progress').value = 0;
}

// The pipeline config is the one source of truth: the controls edit it, the textarea shows it
// (and may be edited directly), and it is what the engine runs. Presets are the files in presets/,
// the same the CLI takes with --config; they are fetched at load, never later.
const PRESETS = ['fineweb-style', 'sft-sanity'];
const presets = {};
state.config = { fields: [], dedup: { exact: { normalize: false } } };

async function loadPresets() {
  for (const name of PRESETS) {
    const response = await fetch(new URL(`./presets/${name}.json`, import.meta.url));
    presets[name] = await response.json();
  }
}

const RULES = ['gopher_quality', 'gopher_repetition', 'c4', 'fineweb', 'pii', 'lang', 'basic'];

/** Reads the controls into state.config. */
function controlsToConfig() {
  const c = state.config;
  c.fields = $('fields-input').value.split(',').map((s) => s.trim()).filter(Boolean);
  c.dedup = c.dedup || {};
  if ($('exact').checked) c.dedup.exact = { normalize: $('normalize').checked };
  else delete c.dedup.exact;
  const f = c.filter || {};
  for (const input of document.querySelectorAll('[data-rule]')) {
    const rule = input.dataset.rule;
    if (!input.checked) delete f[rule];
    else if (!f[rule]) f[rule] = {};
  }
  if (f.pii) f.pii.mode = $('pii-mode').value;
  if (f.lang) f.lang.allowed = $('lang-codes').value.split(',').map((s) => s.trim()).filter(Boolean);
  if (f.basic) {
    f.basic.min_words = Number($('min-words').value) || null;
    f.basic.max_words = Number($('max-words').value) || null;
  }
  f.rewrite = $('rewrite').checked;
  if (RULES.some((r) => f[r])) c.filter = f;
  else delete c.filter;
  showConfig();
}

/** Sets the controls from state.config. */
function configToControls() {
  const c = state.config;
  $('fields-input').value = (c.fields || []).join(', ');
  $('exact').checked = Boolean(c.dedup && c.dedup.exact);
  $('normalize').checked = Boolean(c.dedup && c.dedup.exact && c.dedup.exact.normalize);
  const f = c.filter || {};
  for (const input of document.querySelectorAll('[data-rule]')) input.checked = Boolean(f[input.dataset.rule]);
  if (f.pii && f.pii.mode) $('pii-mode').value = f.pii.mode;
  if (f.lang && f.lang.allowed) $('lang-codes').value = f.lang.allowed.join(',');
  if (f.basic) {
    $('min-words').value = f.basic.min_words ?? '';
    $('max-words').value = f.basic.max_words ?? '';
  }
  $('rewrite').checked = Boolean(f.rewrite);
  showConfig();
}

function showConfig() {
  $('config-json').value = JSON.stringify(state.config, null, 2);
  $('config-error').textContent = '';
}

function choosePreset(name) {
  if (!name) return;
  const dedup = state.config.dedup;
  const fields = state.config.fields;
  state.config = structuredClone(presets[name]);
  // A preset is about filtering; the dedup settings and fields the user chose stay.
  state.config.dedup = dedup;
  state.config.fields = fields;
  configToControls();
}

/** The config to run: state.config plus the file name (a tie-breaker for format detection). */
function config() {
  return { ...structuredClone(state.config), input: { file_name: state.file ? state.file.name : null } };
}

function choose(file, { autorun = false } = {}) {
  state.file = file;
  state.autorun = autorun;
  $('file-name').textContent = `${file.name} · ${mb(file.size)}`;
  $('results').hidden = true;
  post('inspect', { input: { file_name: file.name } });
}

function post(type, cfg) {
  state.job += 1;
  setBusy(true);
  state.worker.postMessage({ type, id: state.job, file: state.file, config: cfg });
}

function run() {
  if (!state.file || state.busy) return;
  post('run', config());
}

function cancel() {
  if (!state.busy) return;
  state.worker.terminate(); // stops the engine mid-chunk; nothing is left running
  state.job += 1;
  startWorker();
  setBusy(false);
  $('progress').value = 0;
  $('status').textContent = 'cancelled';
}

function renderInspect(report, preview) {
  $('inspect').hidden = false;
  const facts = $('inspect-facts');
  facts.replaceChildren();
  const schema = report.stats.schema || {};
  const byschema = Object.entries(schema.rows_by_schema || {}).map(([k, v]) => `${k} ${v}`).join(', ');
  const add = (k, v) => facts.append(el('dt', { text: k }), el('dd', { text: v }));
  add('format', `${report.input.format}${report.input.compression !== 'none' ? ` (${report.input.compression})` : ''}${report.input.bom ? ', with BOM' : ''}`);
  add('schema', `${report.input.schema}${byschema ? ` (${byschema})` : ''}`);
  add('compared text', (schema.default_fields || []).join(' + ') || 'whole row');
  add('rows', report.rows_in.toLocaleString());
  add('parse errors', String(report.removed_by.parse_error || 0));
  const errors = $('inspect-errors');
  errors.replaceChildren(...report.parse_errors.slice(0, 5).map((p) => el('p', { class: 'errors', text: p.message })));
  const fields = report.stats.inspect.fields;
  $('fields').tBodies[0].replaceChildren(...Object.entries(fields).map(([name, f]) =>
    el('tr', {}, el('td', { text: name }), el('td', { text: String(f.present) }), el('td', { text: String(f.nulls) }),
      el('td', { text: Object.entries(f.types).map(([t, n]) => `${t} ${n}`).join(', ') }))));
  const lengths = ['chars', 'words'].filter((u) => report.stats.inspect[u]).map((u) => {
    const d = report.stats.inspect[u];
    return el('tr', {}, el('td', { text: u }), ...[d.min, d.p50, d.p90, d.max].map((v) => el('td', { text: String(v) })));
  });
  $('lengths').tBodies[0].replaceChildren(...lengths);
  $('preview').replaceChildren(...preview.map((line) => el('li', {}, el('pre', { text: line }))));
}

function download(id, blob, name) {
  const a = $(id);
  const url = URL.createObjectURL(blob);
  state.urls.push(url);
  a.href = url;
  a.download = name;
  a.textContent = `${name} (${mb(blob.size)})`;
}

function renderResult(msg) {
  for (const u of state.urls) URL.revokeObjectURL(u);
  state.urls = [];
  const report = JSON.parse(msg.report);
  $('results').hidden = false;
  const summary = $('summary');
  summary.replaceChildren(
    el('div', { class: 'summary-counts' },
      el('span', {}, el('b', { text: report.rows_in.toLocaleString() }), 'rows in'),
      el('span', {}, el('b', { text: report.rows_kept.toLocaleString() }), 'kept'),
      el('span', {}, el('b', { text: report.rows_removed.toLocaleString() }), 'removed')),
    el('table', { class: 'grid' },
      el('thead', {}, el('tr', {}, el('th', { text: 'removed because' }), el('th', { text: 'rows' }))),
      el('tbody', {}, ...Object.entries(report.removed_by).map(([code, n]) =>
        el('tr', { 'data-code': code }, el('td', { text: code }), el('td', { text: String(n) }))))),
  );
  download('download-kept', msg.kept, msg.keptName);
  download('download-removed', msg.removed, msg.removedName);
  download('download-decisions', msg.decisions, 'decisions.jsonl');
  download('download-report', new Blob([msg.report], { type: 'application/json' }), 'report.json');
  state.samples = msg.samples;
  state.ranConfig = JSON.parse(JSON.stringify(report.config));
  const reasons = $('reason-filter');
  reasons.replaceChildren(el('option', { value: '', text: 'every reason' }),
    ...Object.keys(report.removed_by).map((code) => el('option', { value: code, text: code })));
  renderRemoved();
  renderTuning(report);
}

function renderRemoved() {
  const only = $('reason-filter').value;
  const shown = state.samples.filter(({ decision }) => !only || decision.reasons.includes(only));
  $('removed-rows').replaceChildren(...shown.map(({ row, text, decision }) => {
    const meta = el('div', { class: 'meta' });
    for (const code of decision.reasons) meta.append(el('span', { class: 'code', text: code }));
    meta.append(`row ${row}, line ${decision.line}`);
    if (decision.duplicate_of !== null) meta.append(`, duplicate of row ${decision.duplicate_of}`);
    if (decision.message) meta.append(` · ${decision.message}`);
    return el('li', {}, meta, el('pre', { text }));
  }));
}

/** Reads `obj` at a dotted path like `gopher_repetition.top_n_grams.0.1`. */
function getPath(obj, key) {
  return key.split('.').reduce((o, k) => (o == null ? o : o[k]), obj);
}

function setPath(obj, key, value) {
  const parts = key.split('.');
  const last = parts.pop();
  const parent = parts.reduce((o, k) => o[k], obj);
  parent[last] = value;
}

function histogramChart(metric) {
  const edges = metric.edges;
  const xs = edges.slice(0, -1);
  const opts = {
    width: 300, height: 70, legend: { show: false }, cursor: { show: false },
    scales: { x: { time: false } },
    axes: [{ size: 18, ticks: { show: false } }, { show: false }],
    series: [{}, { stroke: '#3b5bdb', fill: 'rgba(59,91,219,.35)', paths: uPlot.paths.bars({ size: [0.9] }), points: { show: false } }],
  };
  const box = el('div');
  const plot = new uPlot(opts, [xs, metric.counts], box);
  return { box, plot };
}

function renderTuning(report) {
  const stats = report.stats.filter;
  $('tuning').hidden = !stats;
  if (!stats) return;
  state.tuned = structuredClone(report.config.filter);
  const list = $('threshold-list');
  list.replaceChildren();
  const histograms = new Map(((stats.histograms && stats.histograms.metrics) || []).map((m) => [m.metric, m]));
  for (const t of stats.thresholds.filter((x) => x.key)) {
    const value = getPath(state.tuned, t.key);
    const input = el('input', { type: 'number', step: 'any', value: String(value), 'data-key': t.key, 'aria-label': `${t.reason} threshold` });
    input.addEventListener('input', () => {
      const v = Number(input.value);
      if (!Number.isFinite(v)) return;
      setPath(state.tuned, t.key, Number.isInteger(getPath(report.config.filter, t.key)) ? Math.round(v) : v);
      rejudge();
    });
    const metric = histograms.get(t.metric);
    const chart = metric ? histogramChart(metric).box : el('div');
    list.append(el('div', { class: 'threshold', 'data-reason': t.reason },
      el('div', { class: 'name' }, el('b', { text: t.reason }), `${t.metric} ${t.bound === 'min' ? '≥' : '≤'}`),
      chart, input));
  }
  const langs = stats.languages;
  $('languages').replaceChildren(...(langs ? [el('p', { class: 'muted', text: `languages: ${Object.entries(langs.languages).map(([k, v]) => `${k} ${v.rows}`).join(', ')}${langs.undetected ? `, undetected ${langs.undetected}` : ''}` })] : []));
  $('rejudged').textContent = '';
}

function rejudge() {
  state.worker.postMessage({ type: 'rejudge', id: state.job, filter: state.tuned });
}

function applyThresholds() {
  state.config.filter = structuredClone(state.tuned);
  configToControls();
  run();
}

async function loadDemo() {
  const response = await fetch(new URL('./demo/demo.jsonl', import.meta.url));
  const blob = await response.blob();
  choose(new File([blob], 'demo.jsonl', { type: 'application/jsonl' }), { autorun: true });
}

$('file-input').addEventListener('change', (e) => {
  if (e.target.files[0]) choose(e.target.files[0]);
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer.files[0] && !state.busy) choose(e.dataTransfer.files[0]);
});
$('demo').addEventListener('click', () => loadDemo().catch((e) => fail(e.message)));
$('run').addEventListener('click', run);
$('cancel').addEventListener('click', cancel);
for (const id of ['exact', 'normalize', 'fields-input', 'pii-mode', 'lang-codes', 'min-words', 'max-words', 'rewrite']) {
  $(id).addEventListener('input', () => { $('preset').value = ''; controlsToConfig(); });
}
for (const input of document.querySelectorAll('[data-rule]')) {
  input.addEventListener('input', () => { $('preset').value = ''; controlsToConfig(); });
}
$('preset').addEventListener('change', (e) => choosePreset(e.target.value));
$('config-json').addEventListener('input', () => {
  try {
    state.config = JSON.parse($('config-json').value);
    $('config-error').textContent = '';
    const caret = $('config-json').selectionStart;
    configToControls();
    $('config-json').setSelectionRange(caret, caret);
  } catch (e) {
    $('config-error').textContent = `not valid JSON yet: ${e.message}`;
  }
});
$('reason-filter').addEventListener('change', renderRemoved);
$('apply-thresholds').addEventListener('click', applyThresholds);
showConfig();
startWorker();
loadPresets().catch((e) => fail(`could not load presets: ${e.message}`));
