// Renders a dry-run Restore's status: the restore plan and its estimate (docs/ui.md). Kept apart
// from the timeline (ui.js) because the status's shape belongs to the dry run: known fields
// (phase, an estimate in seconds, the plan's snapshot, compactions, log files and bytes per
// phase) get their own lines; everything else is shown as it comes, so a new field is visible
// without a change here.
'use strict';

function planCell(value) {
  const td = document.createElement('td');
  if (value !== null && typeof value === 'object') {
    td.appendChild(planTable(value));
  } else {
    td.textContent = String(value);
  }
  return td;
}

function planTable(object) {
  const table = document.createElement('table');
  for (const [k, v] of Object.entries(object)) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.textContent = k;
    tr.appendChild(th);
    tr.appendChild(planCell(v));
    table.appendChild(tr);
  }
  return table;
}

function renderPlanError(message) {
  const div = document.createElement('div');
  div.className = 'plan';
  const p = document.createElement('p');
  p.className = 'error';
  p.textContent = message;
  div.appendChild(p);
  return div;
}

// `status`: the Restore's status; `name`: the Restore's name.
function renderPlan(status, name) {
  const div = document.createElement('div');
  div.className = 'plan';
  const head = document.createElement('p');
  // status.plan is what `brix manager` writes for spec.dryRun (operator/manager/restore_report.h).
  const seconds = status.plan ? status.plan.estimatedSeconds : undefined;
  head.textContent = `Restore ${name}: ${status.phase || 'pending'}` +
    (seconds !== undefined ? `; estimated restore time ${Number(seconds).toFixed(1)} s` : '');
  if (seconds !== undefined) head.setAttribute('data-estimate-seconds', String(seconds));
  div.appendChild(head);
  div.appendChild(planTable(status));
  return div;
}
