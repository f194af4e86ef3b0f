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

/** After the engine trapped: a new engine worker (its sign workers end with the old one). */
function restartWorker() {
  state.worker.terminate();
  startWorker();
}

function onWorkerMessage(msg) {
  if (msg.fatal) restartWorker(); // whichever job it was: the old engine is unusable
  if (msg.type === 'ready') {
    $('version').textContent = msg.version;
    document.body.dataset.ready = 'true';
    return;
  }
  if (msg.type === 'cancelled') {
    // The engine has stopped the cancelled job (unless a new job already shows its progress).
    if (msg.id === state.cancelling && !state.busy) $('status').textContent = 'cancelled';
    return;
  }
  if (msg.id !== state.job) return; // a message from a job that was cancelled or replaced
  if (msg.type === 'progress') {
    // One bar per pass over the file (inspect; analyse, maybe more; write outputs).
    const label = { inspect: 'inspecting', sign: 'signing in parallel', analyse: 'analysing', write: 'writing outputs' }[msg.phase] || msg.phase;
    $('progress').value = msg.total ? msg.done / msg.total : 1;
    $('status').textContent = `${label}: ${mb(msg.done)} of ${mb(msg.total)}, ${msg.rows.toLocaleString()} rows`;
  } else if (msg.type === 'inspected') {
    setBusy(false);
    $('status').textContent = 'inspected';
    renderInspect(JSON.parse(msg.report), msg.preview);
    if (!state.autorun) refocus($('run'));
    if (state.autorun) {
      state.autorun = false;
      run();
    }
  } else if (msg.type === 'done') {
    setBusy(false);
    $('status').textContent = 'done';
    renderResult(msg);
    refocus($('results-h'));
  } else if (msg.type === 'rejudged') {
    const r = msg.counts;
    $('rejudged').textContent = `With these thresholds: kept ${r.rows_kept.toLocaleString()}, removed ${r.rows_removed.toLocaleString()} (${Object.entries(r.removed_by).map(([k, v]) => `${k} ${v}`).join(', ') || 'no filter removals'})`;
  } else if (msg.type === 'error') {
    fail(msg.message);
  }
}

/** Run and Cancel are disabled as a job starts or stops, which drops the keyboard focus on the
 *  page body: it goes to `target` instead (unless the user has already moved it elsewhere). */
function refocus(target) {
  const lost = !document.activeElement || document.activeElement === document.body || document.activeElement.disabled;
  if (lost) target.focus();
}

/** A text box that scrolls (a long row, a long message) must be reachable from the keyboard to be
 *  scrolled without a mouse: those that overflow get into the tab order, the others stay out. */
function focusableWhereScrolling(container) {
  for (const box of container.querySelectorAll('pre, .text, .msg')) {
    if (box.scrollHeight > box.clientHeight + 1) box.tabIndex = 0;
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

function updateRun() {
  $('run').disabled = state.busy || !state.file || state.configInvalid;
}

function setBusy(busy) {
  state.busy = busy;
  updateRun();
  $('cancel').disabled = !busy;
  $('demo').disabled = busy;
  $('file-input').disabled = busy;
  if (busy) $('progress').value = 0;
}

// The pipeline config is the one source of truth: the controls edit it, the textarea shows it
// (and may be edited directly), and it is what the engine runs. Presets are the files in presets/,
// the same the CLI takes with --config; they are fetched at load, never later.
const PRESETS = ['fineweb-style', 'sft-sanity', 'dpo-preflight'];
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
  if ($('near').checked) {
    const n = c.dedup.near || {};
    n.threshold = Number($('near-threshold').value) || null;
    n.verify = $('near-verify').checked;
    n.keep = $('near-keep').value;
    c.dedup.near = n;
  } else delete c.dedup.near;
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
  if ($('prefs').checked) {
    const p = c.prefs || {};
    p.format = $('prefs-format').value;
    p.max_length = Number($('max-length').value) || null;
    p.max_prompt_length = Number($('max-prompt-length').value) || null;
    c.prefs = p;
    if ($('export').value) c.export = $('export').value;
    else delete c.export;
  } else {
    delete c.prefs;
    delete c.export;
  }
  showConfig();
}

/** Sets the controls from state.config. */
function configToControls() {
  const c = state.config;
  $('fields-input').value = (c.fields || []).join(', ');
  $('exact').checked = Boolean(c.dedup && c.dedup.exact);
  $('normalize').checked = Boolean(c.dedup && c.dedup.exact && c.dedup.exact.normalize);
  const near = c.dedup && c.dedup.near;
  $('near').checked = Boolean(near);
  if (near) {
    $('near-threshold').value = near.threshold ?? '';
    $('near-verify').checked = Boolean(near.verify);
    $('near-keep').value = near.keep || 'first';
  }
  const f = c.filter || {};
  for (const input of document.querySelectorAll('[data-rule]')) input.checked = Boolean(f[input.dataset.rule]);
  if (f.pii && f.pii.mode) $('pii-mode').value = f.pii.mode;
  if (f.lang && f.lang.allowed) $('lang-codes').value = f.lang.allowed.join(',');
  if (f.basic) {
    $('min-words').value = f.basic.min_words ?? '';
    $('max-words').value = f.basic.max_words ?? '';
  }
  $('rewrite').checked = Boolean(f.rewrite);
  $('prefs').checked = Boolean(c.prefs);
  if (c.prefs) {
    $('prefs-format').value = c.prefs.format || 'auto';
    $('max-length').value = c.prefs.max_length ?? '';
    $('max-prompt-length').value = c.prefs.max_prompt_length ?? '';
  }
  $('export').value = c.export || '';
  showConfig();
}

// A setting that only applies with a box ticked (near threshold → "near duplicates", max length →
// "check preference pairs", ...): setting it ticks the box, so that it is not silently ignored.
const OWNERS = {
  normalize: '#exact',
  'near-threshold': '#near',
  'near-verify': '#near',
  'near-keep': '#near',
  'pii-mode': '[data-rule=pii]',
  'lang-codes': '[data-rule=lang]',
  'min-words': '[data-rule=basic]',
  'max-words': '[data-rule=basic]',
  'prefs-format': '#prefs',
  'max-length': '#prefs',
  'max-prompt-length': '#prefs',
  export: '#prefs',
  tokenizer: '#prefs',
};

function tickOwner(control) {
  const owner = OWNERS[control.id] && document.querySelector(OWNERS[control.id]);
  if (!owner || owner.checked) return;
  // Un-ticking "verify" or emptying a box says nothing about wanting the step.
  const set = control.type === 'checkbox' ? control.checked : control.type === 'file' ? control.files.length > 0 : control.value !== '';
  if (set) owner.checked = true;
}

function showConfig() {
  $('config-json').value = JSON.stringify(state.config, null, 2);
  $('config-error').textContent = '';
  state.configInvalid = false;
  updateRun();
}

function choosePreset(name) {
  if (!name) return;
  const { dedup, fields } = state.config;
  state.config = structuredClone(presets[name]);
  // What a preset does not say (e.g. dedup for a filtering preset) stays as the user set it.
  if (!('dedup' in state.config)) state.config.dedup = dedup;
  if (!('fields' in state.config)) state.config.fields = fields;
  configToControls();
}

/** The config to run: state.config plus the file name (a tie-breaker for format detection). */
function config() {
  const c = { ...structuredClone(state.config), input: { file_name: state.file ? state.file.name : null } };
  if ($('eval-files').files.length && !c.contamination) c.contamination = { ngram: 13, min_overlap: 1 };
  return c;
}

function choose(file, { autorun = false } = {}) {
  state.file = file;
  state.autorun = autorun;
  $('file-name').textContent = `${file.name} · ${mb(file.size)}`;
  $('results').hidden = true;
  // What was shown is about the previous file: gone until this one is inspected.
  $('inspect').hidden = true;
  post('inspect', { input: { file_name: file.name } });
}

function post(type, cfg) {
  state.job += 1;
  setBusy(true);
  const tokenizer = type === 'run' && cfg.prefs ? $('tokenizer').files[0] || null : null;
  const evals = type === 'run' ? [...$('eval-files').files] : [];
  state.jobFile = state.file;
  state.worker.postMessage({ type, id: state.job, file: state.file, config: cfg, tokenizer, evals });
}

// Kept and removed are slices of the user's File, not copies. If the file changes on disk after
// the run, the browser refuses to read it and the download fails with a bare "Failed": read one
// byte first and, if that fails, say why.
async function checkSourceBeforeDownload(event) {
  const a = event.target.closest('a');
  if (!a || !state.resultFile || !['download-kept', 'download-removed'].includes(a.id)) return;
  if (a.dataset.verified === 'yes') {
    delete a.dataset.verified;
    return;
  }
  event.preventDefault();
  try {
    await state.resultFile.slice(0, 1).arrayBuffer();
  } catch (e) {
    $('download-problem').textContent = `${state.resultFile.name} changed on disk (or can no longer be read) since the run, and ${a.download} is made of its bytes: choose the file again and run again to download it. (${e.name})`;
    return;
  }
  $('download-problem').textContent = '';
  a.dataset.verified = 'yes';
  a.click();
}

function run() {
  if (!state.file || state.busy || state.configInvalid) return;
  $('results').hidden = true; // the last run's results, until this one's are in
  post('run', config());
}

function cancel() {
  if (!state.busy) return;
  // The engine stops the job at its next chunk and frees it; it is not terminated, so nothing is
  // fetched again (the page keeps working offline). Its messages are ignored from now on.
  state.worker.postMessage({ type: 'cancel', id: state.job });
  state.cancelling = state.job;
  state.job += 1;
  setBusy(false);
  $('progress').value = 0;
  // 'cancelled' once the engine says the job has stopped (at its next chunk, well under a second).
  $('status').textContent = 'cancelling…';
  refocus($('run'));
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
  add('compared text', (schema.default_fields || []).join(' + ') || 'none: name the field(s) to compare under "2. Settings"');
  add('rows', report.rows_in.toLocaleString());
  add('parse errors', String(report.removed_by.parse_error || 0));
  const errors = $('inspect-errors');
  errors.replaceChildren(...report.parse_errors.slice(0, 5).map((p) => el('p', { class: 'errors', text: p.message })),
    ...(report.notices || []).map((notice) => el('p', { class: 'notice', 'data-testid': 'inspect-notice', text: notice })));
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
  state.resultFile = state.jobFile;
  $('download-problem').textContent = '';
  const report = JSON.parse(msg.report);
  $('results').hidden = false;
  $('summary').dataset.wasmMemoryBytes = String(msg.wasmMemoryBytes || 0);
  const summary = $('summary');
  summary.replaceChildren(
    el('div', { class: 'summary-counts' },
      el('span', {}, el('b', { text: report.rows_in.toLocaleString() }), 'rows in'),
      el('span', {}, el('b', { text: report.rows_kept.toLocaleString() }), 'kept'),
      el('span', {}, el('b', { text: report.rows_removed.toLocaleString() }), 'removed')),
    Object.keys(report.removed_by).length
      ? el('table', { class: 'grid' },
        el('thead', {}, el('tr', {}, el('th', { text: 'removed because' }), el('th', { text: 'rows' }))),
        el('tbody', {}, ...Object.entries(report.removed_by).map(([code, n]) =>
          el('tr', { 'data-code': code }, el('td', { text: code }), el('td', { text: String(n) })))))
      : el('p', { 'data-testid': 'nothing-removed', text: 'No row was removed: every row passed the steps that ran.' }),
  );
  for (const notice of report.notices || []) {
    summary.append(el('p', { class: 'notice', 'data-testid': 'notice', text: notice }));
  }
  download('download-kept', msg.kept, msg.keptName);
  download('download-removed', msg.removed, msg.removedName);
  download('download-decisions', msg.decisions, 'decisions.jsonl');
  download('download-report', new Blob([msg.report], { type: 'application/json' }), 'report.json');
  $('download-export').hidden = !msg.export;
  if (msg.export) download('download-export', msg.export, msg.exportName);
  if (Object.keys(report.warned_by).length) {
    summary.append(el('table', { class: 'grid' },
      el('thead', {}, el('tr', {}, el('th', { text: 'warnings (rows kept)' }), el('th', { text: 'rows' }))),
      el('tbody', {}, ...Object.entries(report.warned_by).map(([code, n]) =>
        el('tr', { 'data-code': code }, el('td', { text: code }), el('td', { text: String(n) }))))));
  }
  state.samples = msg.samples;
  state.removedRows = report.rows_removed;
  const reasons = $('reason-filter');
  reasons.replaceChildren(el('option', { value: '', text: 'every finding' }),
    ...[...Object.keys(report.removed_by), ...Object.keys(report.warned_by)].map((code) => el('option', { value: code, text: code })));
  renderRemoved();
  renderTuning(report);
  renderPrefs(report);
  renderClusters(report, msg.clusters || []);
}

/** Words of `text` with those absent from `other` wrapped in <ins>. */
function diffWords(text, other) {
  const theirs = new Set(other.toLowerCase().split(/\s+/));
  const box = el('div', { class: 'text' });
  for (const part of text.split(/(\s+)/)) {
    if (!part.trim() || theirs.has(part.toLowerCase())) box.append(part);
    else box.append(el('ins', { text: part }));
  }
  return box;
}

function renderClusters(report, clusters) {
  const near = report.stats.dedup && report.stats.dedup.near;
  $('clusters').hidden = !near;
  if (!near) return;
  state.clusters = clusters;
  const scheme = `${near.bands} bands × ${near.rows_per_band} rows, ${near.perms} permutations, ${near.ngram}-word shingles${near.verify ? `, verified at ${near.threshold ?? 0.8}` : ''}`;
  // Near dedup ran and found nothing: say so, with the scheme it ran with.
  $('cluster-pick').hidden = clusters.length === 0;
  if (clusters.length === 0) {
    $('cluster-facts').textContent = near.clusters
      ? `${near.clusters} clusters, ${near.duplicate_rows} rows removed; ${scheme}, keep ${near.keep}. Their rows are not in the samples kept for display.`
      : `No near-duplicate clusters (${scheme}): no two compared texts share a band.`;
    $('cluster-view').replaceChildren();
    return;
  }
  $('cluster-facts').textContent = `${near.clusters} clusters, ${near.duplicate_rows} rows removed; ${scheme}, keep ${near.keep}. ${near.clusters > clusters.length ? `The ${clusters.length} largest are listed` : 'Listed'}, up to 8 rows each.`;
  $('cluster-pick').replaceChildren(...clusters.map((c, i) => el('option', { value: String(i), text: `cluster ${c.cluster} · ${c.members.length} rows shown` })));
  showCluster(0);
}

function showCluster(i) {
  const c = state.clusters[i];
  if (!c) return;
  const kept = c.members[0];
  $('cluster-view').replaceChildren(...c.members.map((m, j) => el('div', { class: `member${j === 0 ? ' kept' : ''}`, 'data-row': String(m.row) },
    el('div', { class: 'meta', text: `row ${m.row}${j === 0 ? ' · kept' : m.jaccard >= 0 ? ` · Jaccard ${m.jaccard.toFixed(3)} with row ${kept.row}` : ' · (row too long to show whole)'}` }),
    j === 0 ? el('div', { class: 'text', text: m.text }) : diffWords(m.text, kept.text))));
  focusableWhereScrolling($('cluster-view'));
}

function bars(title, starts, counts) {
  const opts = {
    width: 260, height: 110, legend: { show: false }, cursor: { show: false },
    scales: { x: { time: false, distr: 1 } },
    axes: [{ size: 22, values: (u, ticks) => ticks.map((t) => (Number.isInteger(t) && starts[t] !== undefined ? String(starts[t]) : '')) }, { size: 34 }],
    series: [{}, { stroke: '#3b5bdb', fill: 'rgba(59,91,219,.35)', paths: uPlot.paths.bars({ size: [0.85] }), points: { show: false } }],
  };
  const box = el('figure');
  new uPlot(opts, [starts.map((_, i) => i), counts], box);
  box.append(el('figcaption', { text: title }));
  return box;
}

function renderPrefs(report) {
  const p = report.stats.prefs;
  $('prefs-stats').hidden = !p;
  if (!p) return;
  const facts = $('prefs-facts');
  facts.replaceChildren();
  const add = (k, v) => facts.append(el('dt', { text: k }), el('dd', { text: v }));
  add('family', `${p.family || 'unknown'}${p.detection ? ` (${p.detection.evidence[0] || ''})` : ''}`);
  add('rows', `${p.rows} (${p.valid_rows} valid, ${p.rows_with_warnings} with warnings)`);
  if (p.length_bias && p.length_bias.pairs) {
    add('length bias', `chosen longer in ${(100 * p.length_bias.chosen_longer_share).toFixed(1)}% of pairs; median chosen/rejected length ${p.length_bias.median_length_ratio.toFixed(2)}`);
  }
  if (p.prompts) add('prompts', `${p.prompts.unique_prompts} unique, at most ${p.prompts.max_pairs_per_prompt} pairs per prompt`);
  if (p.refusals) add('refusals', `chosen ${(100 * p.refusals.chosen_rate).toFixed(1)}%, rejected ${(100 * p.refusals.rejected_rate).toFixed(1)}%`);
  if (p.kto_labels) add('KTO labels', JSON.stringify(p.kto_labels));
  add('settings', `rank direction ${p.settings.rank_direction}, A/B label ${p.settings.ab_label_side}, score scale ${p.settings.score_scale ? `${p.settings.score_scale.min}–${p.settings.score_scale.max}` : 'none'}`);
  add('tokens', `${p.token_counting.description}. ${p.token_counting.expected_error}`);
  const charts = $('prefs-charts');
  charts.replaceChildren();
  for (const side of ['prompt', 'chosen', 'rejected']) {
    const h = p.length_chars && p.length_chars[side];
    if (h && h.total) charts.append(bars(`${side} length (chars, log buckets)`, h.bucket_starts, h.counts));
  }
  if (p.score_margin && p.score_margin.counts) {
    charts.append(bars('score margin (chosen − rejected)', p.score_margin.bucket_starts || p.score_margin.edges || p.score_margin.counts.map((_, i) => i), p.score_margin.counts));
  }
  if (p.first_divergence && p.first_divergence.offsets.total) {
    charts.append(bars('first divergence (char offset)', p.first_divergence.offsets.bucket_starts, p.first_divergence.offsets.counts));
  }
}

/** A message's text with the part from `offset` on marked. */
function marked(text, offset) {
  const box = el('span');
  if (offset == null) {
    box.textContent = text;
  } else {
    const chars = Array.from(text);
    box.append(chars.slice(0, offset).join(''), el('mark', { text: chars.slice(offset).join('') }));
  }
  return box;
}

function pairView(view, details) {
  if (!view) return null;
  if (view.unconvertible) return el('p', { class: 'errors', text: view.unconvertible.map((d) => `${d.code}${d.field ? ` (${d.field})` : ''}${d.note ? `: ${d.note}` : ''}`).join('; ') });
  const pair = view.pair || view.Pair || view;
  // A prompt_mismatch pair carries the rejected side's own prompt: the two prompts side by side,
  // then the two completions.
  const sides = ['prompt', 'rejected_prompt', 'chosen', 'rejected', 'completion'].filter((s) => Array.isArray(pair[s]));
  const titles = pair.rejected_prompt ? { prompt: "chosen side's prompt", rejected_prompt: "rejected side's prompt" } : {};
  const box = el('div', { class: 'pair' });
  for (const side of sides) {
    const column = el('div', { class: 'side', 'data-side': side }, el('h4', { text: titles[side] || side }));
    pair[side].forEach((m, i) => {
      // A prompt_mismatch names the prompt turn where the two prompts part: marked in both.
      const hit = details.find((d) => d.char_offset != null && d.message_index === i && (!d.field || d.field === side || (d.code === 'prompt_mismatch' && side === 'rejected_prompt')));
      column.append(el('div', { class: 'msg' }, el('span', { class: 'role', text: m.role }), marked(m.content, hit ? hit.char_offset : null)));
    });
    box.append(column);
  }
  return box;
}

function renderRemoved() {
  const only = $('reason-filter').value;
  const flagged = state.samples.filter(({ decision }) => decision.reasons.length || decision.warnings.length);
  const shown = flagged.filter(({ decision }) => !only || decision.reasons.includes(only) || decision.warnings.includes(only));
  // The engine keeps at most MAX_SAMPLES (src/io/split.rs) rows' text for this list.
  const sampledOnly = flagged.length < state.removedRows || flagged.length >= 500;
  $('removed-count').textContent = `${shown.length.toLocaleString()} row${shown.length === 1 ? '' : 's'} listed` +
    (sampledOnly ? ` — the first ${flagged.length.toLocaleString()} removed or flagged rows are kept for this list; every row is in the removed-rows and decisions downloads` : '');
  $('removed-rows').replaceChildren(...shown.map((sample) => {
    const { row, text, decision } = sample;
    const meta = el('div', { class: 'meta' });
    for (const code of decision.reasons) meta.append(el('span', { class: 'code', text: code }));
    for (const code of decision.warnings) meta.append(el('span', { class: 'warn', text: code }));
    meta.append(`row ${row}, line ${decision.line}`);
    if (decision.duplicate_of !== null) meta.append(`, duplicate of row ${decision.duplicate_of}`);
    if (decision.message) meta.append(` · ${decision.message}`);
    const notes = (decision.details || []).filter((d) => d.note).map((d) => `${d.code}: ${d.note}`);
    if (notes.length) meta.append(` · ${notes.join('; ')}`);
    const item = el('li', { 'data-row': String(row) }, meta, el('pre', { text }));
    const view = pairView(sample.view, decision.details || []);
    if (view) item.append(view);
    return item;
  }));
  focusableWhereScrolling($('removed-rows'));
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

/** 1234 → "1.2k", 2e5 → "200k": axis labels for counts. */
function compact(n) {
  if (Math.abs(n) >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (Math.abs(n) >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(+n.toFixed(2));
}

/**
 * A histogram of one score with a red line where the threshold `cut()` falls. Evenly spaced bins
 * are drawn on the score's own axis; uneven ones (counts such as words per document, whose bins
 * widen up to a million) one bar per bin, labelled with the bin's lower edge, so the bins near
 * the thresholds are not squeezed into one corner.
 */
function histogramChart(metric, cut) {
  const edges = metric.edges;
  const widths = edges.slice(1).map((e, i) => e - edges[i]);
  const even = widths.every((w) => Math.abs(w - widths[0]) <= 1e-9 * Math.max(1, Math.abs(widths[0])));
  const xs = even ? edges.slice(0, -1) : edges.slice(0, -1).map((_, i) => i);
  // Where a score falls on the x axis: itself, or its bin's index plus its place within the bin.
  const toX = (value) => {
    if (even) return value;
    const above = edges.findIndex((e) => value < e); // the first edge above the score
    const bin = above === -1 ? widths.length - 1 : Math.max(0, above - 1);
    return bin - 0.5 + Math.min(1, Math.max(0, (value - edges[bin]) / widths[bin]));
  };
  const opts = {
    width: 300, height: 70, legend: { show: false }, cursor: { show: false },
    scales: { x: even ? { time: false } : { time: false, range: [-0.5, xs.length - 0.5] } },
    axes: [even ? { size: 18, ticks: { show: false } }
      : { size: 18, ticks: { show: false }, space: 28, values: (u, splits) => splits.map((x) => (Number.isInteger(x) && edges[x] != null ? compact(edges[x]) : '')) },
    { show: false }],
    series: [{}, { stroke: '#3b5bdb', fill: 'rgba(59,91,219,.35)', paths: uPlot.paths.bars({ size: [0.9] }), points: { show: false } }],
    hooks: {
      draw: [(u) => {
        const value = cut();
        if (!Number.isFinite(value)) return;
        const x = u.valToPos(toX(value), 'x', true);
        if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
        const { ctx } = u;
        ctx.save();
        ctx.strokeStyle = '#c92a2a';
        ctx.lineWidth = 2 * devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.restore();
      }],
    },
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
  // Several rows can hold one config key (Gopher's symbol ratio bounds both `#` and `...`): a
  // change in one shows in the others.
  const rows = [];
  for (const t of stats.thresholds.filter((x) => x.key)) {
    const value = getPath(state.tuned, t.key);
    const input = el('input', { type: 'number', step: 'any', value: String(value), 'data-key': t.key, 'aria-label': `${t.reason} threshold` });
    const metric = histograms.get(t.metric);
    // The line follows the threshold in force (an empty box changes nothing); for Gopher's alpha
    // rule the config holds the threshold as is.
    const chart = metric ? histogramChart(metric, () => getPath(state.tuned, t.key)) : null;
    rows.push({ key: t.key, input, chart });
    input.addEventListener('input', () => {
      // Empty or half-typed ("1e", "-"): NaN, and the threshold stays as it was, not 0.
      const v = input.valueAsNumber;
      if (!Number.isFinite(v)) return;
      setPath(state.tuned, t.key, Number.isInteger(getPath(report.config.filter, t.key)) ? Math.round(v) : v);
      for (const row of rows.filter((r) => r.key === t.key)) {
        if (row.input !== input) row.input.value = String(getPath(state.tuned, t.key));
        if (row.chart) row.chart.plot.redraw(false, false);
      }
      rejudge();
    });
    list.append(el('div', { class: 'threshold', 'data-reason': t.reason },
      el('div', { class: 'name' }, el('b', { text: t.reason }), `${t.metric} ${t.bound === 'min' ? '≥' : '≤'}`),
      chart ? chart.box : el('div'), input));
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
  // The demo shows both kinds of dedup: its sample holds exact and near duplicates.
  $('exact').checked = true;
  $('near').checked = true;
  controlsToConfig();
  const response = await fetch(new URL('./demo/demo.jsonl', import.meta.url));
  const blob = await response.blob();
  choose(new File([blob], 'demo.jsonl', { type: 'application/jsonl' }), { autorun: true });
}

$('file-input').addEventListener('change', (e) => {
  if (e.target.files[0]) choose(e.target.files[0]);
});
// Choosing the same file again (e.g. after it changed on disk) must fire `change` again.
$('file-input').addEventListener('click', (e) => { e.target.value = ''; });
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
document.querySelector('.downloads').addEventListener('click', checkSourceBeforeDownload);
for (const id of ['exact', 'normalize', 'near', 'near-threshold', 'near-verify', 'near-keep', 'fields-input', 'pii-mode', 'lang-codes', 'min-words', 'max-words', 'rewrite', 'prefs', 'prefs-format', 'max-length', 'max-prompt-length', 'export']) {
  $(id).addEventListener('input', () => { $('preset').value = ''; tickOwner($(id)); controlsToConfig(); });
}
$('tokenizer').addEventListener('change', () => { tickOwner($('tokenizer')); controlsToConfig(); });
for (const input of document.querySelectorAll('[data-rule]')) {
  input.addEventListener('input', () => { $('preset').value = ''; controlsToConfig(); });
}
$('preset').addEventListener('change', (e) => choosePreset(e.target.value));
$('config-json').addEventListener('input', () => {
  // Until the box holds a config again, Run is off: it would run the last valid one, unseen.
  let parsed;
  try {
    parsed = JSON.parse($('config-json').value);
  } catch (e) {
    return configInvalid(`not valid JSON yet: ${e.message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return configInvalid('the config is a JSON object: {"dedup": {...}, "filter": {...}, "prefs": {...}}');
  }
  state.config = parsed;
  state.configInvalid = false;
  $('config-error').textContent = '';
  updateRun();
  const caret = $('config-json').selectionStart;
  configToControls();
  $('config-json').setSelectionRange(caret, caret);
});

function configInvalid(message) {
  state.configInvalid = true;
  $('config-error').textContent = message;
  updateRun();
}
$('reason-filter').addEventListener('change', renderRemoved);
$('cluster-pick').addEventListener('change', (e) => showCluster(Number(e.target.value)));
$('apply-thresholds').addEventListener('click', applyThresholds);
showConfig();
startWorker();
loadPresets().catch((e) => fail(`could not load presets: ${e.message}`));
