// The page's main thread: renders, and nothing else. The engine runs in worker.js.
// User text is only ever inserted with textContent (see el()), never as HTML.

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

function config() {
  const fields = $('fields-input').value.split(',').map((s) => s.trim()).filter(Boolean);
  const c = { input: { file_name: state.file ? state.file.name : null }, fields, dedup: {} };
  if ($('exact').checked) c.dedup.exact = { normalize: $('normalize').checked };
  return c;
}

function showConfig() {
  const c = config();
  delete c.input.file_name;
  if (!c.input || Object.keys(c.input).length === 0) delete c.input;
  $('config-json').textContent = JSON.stringify(c, null, 2);
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
  $('removed-rows').replaceChildren(...msg.samples.map(({ row, text, decision }) => {
    const meta = el('div', { class: 'meta' });
    for (const code of decision.reasons) meta.append(el('span', { class: 'code', text: code }));
    meta.append(`row ${row}, line ${decision.line}`);
    if (decision.duplicate_of !== null) meta.append(`, duplicate of row ${decision.duplicate_of}`);
    if (decision.message) meta.append(` · ${decision.message}`);
    return el('li', {}, meta, el('pre', { text }));
  }));
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
for (const id of ['exact', 'normalize', 'fields-input']) $(id).addEventListener('input', showConfig);
showConfig();
startWorker();
