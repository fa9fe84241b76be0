// The recoverable-window page (docs/ui.md). Polls brixd's API every few seconds with the
// session cookie and the X-Brix-UI header (ui_login.h), and draws one timeline per cluster:
// snapshot backups, log coverage, compacted spans, the truncation bound, gaps, the recoverable
// window and the RPO. Everything is built with DOM calls (never innerHTML): names come from CRs.
'use strict';

const API = '/apis/br.pingcap.com/v1alpha1/';
const POLL_MS = 3000;
const SVG_NS = 'http://www.w3.org/2000/svg';
const WIDTH = 1000; // viewBox units
const STORAGE_KEYS = ['azblob', 's3', 'gcs', 'local'];

let latest = null; // {clusters, domain}
let picked = null; // {key, ms}

async function api(path, options = {}) {
  const headers = Object.assign({ 'X-Brix-UI': '1', Accept: 'application/json' },
                                options.headers || {});
  const r = await fetch(path, Object.assign({}, options, { headers, credentials: 'same-origin' }));
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const e = new Error(body.message || r.statusText);
    e.code = r.status;
    throw e;
  }
  return body;
}

// A timestamp as the CRs write it (a TSO: physical milliseconds << 18, or a date string) in
// milliseconds since the epoch; null when absent or unreadable.
function tsMs(v) {
  if (v === undefined || v === null || v === '') return null;
  const s = String(v);
  if (/^\d+$/.test(s)) return Number(BigInt(s) >> 18n);
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}
function msToTso(ms) { return (BigInt(Math.floor(ms)) << 18n).toString(); }
function clock(ms) { return new Date(ms).toLocaleTimeString([], { hour12: false }); }
function stamp(ms) { return new Date(ms).toISOString().replace('.000Z', 'Z'); }
function duration(s) {
  if (s < 120) return Math.round(s) + ' s';
  if (s < 7200) return Math.round(s / 60) + ' min';
  return (s / 3600).toFixed(1) + ' h';
}

function clusterKey(o) {
  const br = (o.spec && o.spec.br) || {};
  return (br.clusterNamespace || o.metadata.namespace) + '/' + (br.cluster || '?');
}
function storageOf(spec) {
  const out = {};
  for (const k of STORAGE_KEYS) if (spec && spec[k]) out[k] = spec[k];
  return out;
}

// The model of one cluster from its CRs. Intervals are [from, to] in ms.
function buildModel(backups, compacts, now) {
  const clusters = new Map();
  const get = (key) => {
    if (!clusters.has(key)) {
      clusters.set(key, { key, snapshots: [], logs: [], compactions: [], coverage: [], gaps: [],
                          pending: [], windows: [], rpo: null });
    }
    return clusters.get(key);
  };
  for (const b of backups) {
    const c = get(clusterKey(b));
    const st = b.status || {};
    if ((b.spec.backupMode || 'snapshot') === 'log') {
      const start = tsMs(st.commitTs);
      if (start === null) continue;
      const truncate = tsMs(st.logSuccessTruncateUntil);
      c.logs.push({ name: b.metadata.name, ns: b.metadata.namespace, phase: st.phase || '',
                    startTs: st.commitTs, start, checkpointTs: st.logCheckpointTs || '',
                    checkpoint: tsMs(st.logCheckpointTs), truncateTs: st.logSuccessTruncateUntil,
                    truncate, storage: storageOf(b.spec) });
    } else if (st.phase === 'Complete' && tsMs(st.commitTs) !== null) {
      c.snapshots.push({ name: b.metadata.name, ns: b.metadata.namespace, ts: st.commitTs,
                         ms: tsMs(st.commitTs), storage: storageOf(b.spec) });
    }
  }
  for (const cp of compacts) {
    const st = cp.status || {};
    const from = tsMs(cp.spec.startTs);
    const to = tsMs(st.endTs || cp.spec.endTs);
    if (st.state !== 'Complete' || from === null || to === null) continue;
    get(clusterKey(cp)).compactions.push({ name: cp.metadata.name, from, to });
  }
  for (const c of clusters.values()) {
    c.snapshots.sort((a, b) => a.ms - b.ms);
    // Log coverage: from each task's start (or its truncation bound, if later) to its checkpoint.
    const spans = [];
    for (const l of c.logs) {
      if (l.checkpoint === null) continue;
      const from = l.truncate !== null && l.truncate > l.start ? l.truncate : l.start;
      if (l.checkpoint > from) spans.push({ from, to: l.checkpoint, log: l });
    }
    spans.sort((a, b) => a.from - b.from);
    for (const s of spans) {
      const last = c.coverage[c.coverage.length - 1];
      if (last && s.from <= last.to) {
        if (s.to > last.to) { last.to = s.to; last.log = s.log; }
      } else {
        if (last) c.gaps.push({ from: last.to, to: s.from });
        c.coverage.push(Object.assign({}, s));
      }
    }
    const running = c.logs.filter((l) => l.phase === 'Running' && l.checkpoint !== null);
    const last = c.coverage[c.coverage.length - 1];
    if (last) {
      // A running task's unflushed tail is pending (the RPO); a stopped or paused one's is a gap.
      if (running.some((l) => l.checkpoint >= last.to)) {
        c.pending.push({ from: last.to, to: now });
      } else {
        c.gaps.push({ from: last.to, to: now });
      }
    }
    // Recoverable windows: from the first snapshot inside a span of coverage to its end.
    for (const span of c.coverage) {
      const first = c.snapshots.find((s) => s.ms >= span.from && s.ms <= span.to);
      if (first) {
        c.windows.push({ from: first.ms, to: span.to, fromTs: first.ts,
                         toTs: span.log.checkpointTs, snapshot: first, log: span.log });
      }
    }
    // RPO: how much would be lost now, from the newest point a restore can reach.
    let newest = null;
    for (const w of c.windows) newest = newest === null ? w.to : Math.max(newest, w.to);
    for (const s of c.snapshots) newest = newest === null ? s.ms : Math.max(newest, s.ms);
    c.rpo = newest === null ? null : Math.max(0, (now - newest) / 1000);
  }
  return [...clusters.values()].sort((a, b) => a.key.localeCompare(b.key));
}

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function svg(tag, attrs = {}, title) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (title) {
    const t = document.createElementNS(SVG_NS, 'title');
    t.textContent = title;
    e.appendChild(t);
  }
  return e;
}

function domainOf(clusters, now) {
  let lo = now;
  for (const c of clusters) {
    for (const s of c.snapshots) lo = Math.min(lo, s.ms);
    for (const s of c.coverage) lo = Math.min(lo, s.from);
    for (const s of c.compactions) lo = Math.min(lo, s.from);
  }
  const span = Math.max(now - lo, 10000);
  return { from: now - span * 1.04, to: now + span * 0.02 };
}

function drawTimeline(c, d, now) {
  const x = (ms) => ((Math.min(Math.max(ms, d.from), d.to) - d.from) / (d.to - d.from)) * WIDTH;
  const g = svg('svg', { class: 'timeline', viewBox: `0 0 ${WIDTH} 96`,
                         preserveAspectRatio: 'none', 'data-cluster': c.key });
  const axis = svg('g', { class: 'axis' });
  for (let i = 0; i <= 5; i++) {
    const ms = d.from + ((d.to - d.from) * i) / 5;
    axis.appendChild(svg('line', { x1: x(ms), x2: x(ms), y1: 8, y2: 78 }));
    const label = svg('text', { x: Math.min(x(ms) + 2, WIDTH - 52), y: 92 });
    label.textContent = clock(ms);
    axis.appendChild(label);
  }
  g.appendChild(axis);
  const band = (cls, s, y, h, title, extra = {}) =>
    g.appendChild(svg('rect', Object.assign({ class: cls, x: x(s.from), y,
                                              width: Math.max(x(s.to) - x(s.from), 1), height: h },
                                            extra), title));
  for (const s of c.coverage) {
    band('log-coverage', s, 30, 18, `log ${s.log.name}: ${stamp(s.from)} to ${stamp(s.to)}`,
         { 'data-from-ms': s.from, 'data-to-ms': s.to });
  }
  for (const s of c.pending) band('pending', s, 30, 18, `not yet flushed: ${duration((s.to - s.from) / 1000)}`);
  for (const s of c.gaps) band('gap', s, 30, 18, `gap: ${stamp(s.from)} to ${stamp(s.to)}`);
  for (const s of c.compactions) {
    band('compacted', s, 50, 8, `compaction ${s.name}: ${stamp(s.from)} to ${stamp(s.to)}`);
  }
  for (const w of c.windows) {
    band('window', w, 24, 30, `recoverable: ${stamp(w.from)} to ${stamp(w.to)}`,
         { 'data-start-ts': w.fromTs, 'data-end-ts': w.toTs });
  }
  for (const l of c.logs) {
    if (l.truncate === null || l.truncate < d.from) continue;
    g.appendChild(svg('line', { class: 'truncation', x1: x(l.truncate), x2: x(l.truncate), y1: 14,
                                y2: 62, 'data-ts': l.truncateTs },
                      `log truncated before ${l.truncateTs}`));
  }
  for (const s of c.snapshots) {
    g.appendChild(svg('line', { class: 'snapshot', x1: x(s.ms), x2: x(s.ms), y1: 10, y2: 66,
                                'data-ts': s.ts, 'data-name': s.name },
                      `snapshot ${s.name} at ${stamp(s.ms)} (${s.ts})`));
  }
  g.appendChild(svg('line', { class: 'now', x1: x(now), x2: x(now), y1: 4, y2: 78 }, 'now'));
  if (picked && picked.key === c.key) {
    g.appendChild(svg('line', { class: 'picked', x1: x(picked.ms), x2: x(picked.ms), y1: 4,
                                y2: 78 }, `picked ${stamp(picked.ms)}`));
  }
  g.addEventListener('click', (ev) => {
    const box = g.getBoundingClientRect();
    const ms = d.from + ((ev.clientX - box.left) / box.width) * (d.to - d.from);
    pick(c.key, ms);
  });
  return g;
}

function renderClusters(clusters, now) {
  const d = domainOf(clusters, now);
  const main = document.getElementById('clusters');
  const rows = [];
  for (const c of clusters) {
    const row = el('section', { class: 'cluster', 'data-cluster': c.key });
    row.appendChild(el('h3', {}, c.key));
    const facts = el('span', { class: 'facts' });
    const rpo = el('span', { class: 'rpo' + (c.rpo !== null && c.rpo > 600 ? ' late' : '') },
                   'RPO ' + (c.rpo === null ? 'none (nothing to restore)' : duration(c.rpo)));
    if (c.rpo !== null) rpo.setAttribute('data-rpo-seconds', c.rpo.toFixed(1));
    facts.appendChild(rpo);
    const w = c.windows[c.windows.length - 1];
    facts.appendChild(el('span', { class: 'window-text' },
                         w ? `window ${stamp(w.from)} to ${stamp(w.to)}` : 'no continuous window'));
    facts.appendChild(el('span', {}, `${c.snapshots.length} snapshot(s)`));
    for (const l of c.logs) facts.appendChild(el('span', {}, `log ${l.name}: ${l.phase}`));
    row.appendChild(facts);
    row.appendChild(drawTimeline(c, d, now));
    rows.push(row);
  }
  if (rows.length === 0) rows.push(el('p', {}, 'No backups yet.'));
  main.replaceChildren(...rows);
  const select = document.getElementById('pick-cluster');
  const chosen = select.value;
  select.replaceChildren(...clusters.map((c) => el('option', { value: c.key }, c.key)));
  if (chosen) select.value = chosen;
}

async function refresh() {
  const status = document.getElementById('status');
  try {
    const [backups, compacts] = await Promise.all([api(API + 'backups'),
                                                   api(API + 'compactbackups')]);
    const now = Date.now();
    const clusters = buildModel(backups.items || [], compacts.items || [], now);
    latest = { clusters };
    renderClusters(clusters, now);
    status.className = '';
    status.textContent = `live: updated ${clock(now)}, every ${POLL_MS / 1000} s`;
    status.setAttribute('data-polls', String(Number(status.getAttribute('data-polls')) + 1));
  } catch (e) {
    status.className = 'error';
    status.textContent = e.code === 401
      ? 'Not logged in (or the session ended): open a fresh login link from ' +
        '`brix playground ui --dir DIR`.'
      : `cannot read the API: ${e.message}`;
  }
}

function pick(key, ms) {
  picked = { key, ms };
  document.getElementById('pick-cluster').value = key;
  document.getElementById('pick-time').value = stamp(ms);
  if (latest) renderClusters(latest.clusters, Date.now());
}

// Creates a dry-run Restore of `c` to `ms` and polls it until its status says something.
async function planRestore(c, ms) {
  const out = document.getElementById('plan');
  const w = c.windows.find((x) => ms >= x.from && ms <= x.to) || c.windows[c.windows.length - 1];
  if (!w) {
    out.replaceChildren(renderPlanError('no recoverable window for ' + c.key));
    return;
  }
  const [ns, cluster] = c.key.split('/');
  const name = 'ui-dry-run-' + Math.random().toString(16).slice(2, 10);
  const restore = {
    apiVersion: 'br.pingcap.com/v1alpha1', kind: 'Restore',
    metadata: { name, namespace: w.log.ns },
    spec: Object.assign({ dryRun: true, restoreMode: 'pitr', pitrRestoredTs: msToTso(ms),
                          br: { cluster, clusterNamespace: ns },
                          pitrFullBackupStorageProvider: w.snapshot.storage }, w.log.storage),
  };
  out.replaceChildren(el('p', {}, `asking for a dry-run restore of ${c.key} to ${stamp(ms)}…`));
  try {
    // Strict: a brixd without spec.dryRun must refuse the Restore, never run a real one.
    await api(`${API}namespaces/${encodeURIComponent(w.log.ns)}/restores?fieldValidation=Strict`,
              { method: 'POST', headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify(restore) });
    for (let i = 0; i < 60; i++) {
      const r = await api(`${API}namespaces/${encodeURIComponent(w.log.ns)}/restores/${name}`);
      const st = r.status || {};
      if (['Complete', 'Failed'].includes(st.phase) || st.plan) {
        out.replaceChildren(renderPlan(st, name));
        return;
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
    out.replaceChildren(renderPlanError(`${name}: no plan after 60 s`));
  } catch (e) {
    out.replaceChildren(renderPlanError(`dry run refused: ${e.message}`));
  }
}

document.getElementById('pick-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const key = document.getElementById('pick-cluster').value;
  const ms = tsMs(document.getElementById('pick-time').value.trim());
  const c = latest && latest.clusters.find((x) => x.key === key);
  if (!c || ms === null) {
    document.getElementById('plan').replaceChildren(
      renderPlanError('pick a cluster and a time (ISO 8601, e.g. 2026-11-30T10:05:00Z, or a TSO)'));
    return;
  }
  picked = { key, ms };
  planRestore(c, ms);
});

refresh();
setInterval(refresh, POLL_MS);
