// Deployments: create one (task sequence → collection), the counts ConfigMgr shows (Success, In progress, Error,
// Unknown), each device's state and the last status messages. The site's status stream
// (/api/v1/status-messages/events) says when something changed; the page then refetches what it shows, at most one
// request at a time and at most twice a second, however many agents report.
import { all, get, post } from '../api.js';
import { h, announce } from '../dom.js';
import { field, onSubmit } from '../form.js';
import { pager } from '../pager.js';
import * as format from '../format.js';

const STATES = [
  { key: 'success', state: 'Success', label: 'Success' },
  { key: 'inProgress', state: 'InProgress', label: 'In progress' },
  { key: 'error', state: 'Error', label: 'Error' },
  { key: 'unknown', state: 'Unknown', label: 'Unknown' },
];

/** Runs load() now and again after changes, never two at once and at most every 500 ms. */
function coalesced(load) {
  let running = false;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await load();
    } catch {
      // shown by load itself; the next change tries again
    } finally {
      running = false;
      if (again) {
        again = false;
        setTimeout(run, 500);
      }
    }
  };
  return run;
}

export function mount(container, params) {
  const id = params[0];
  return id ? mountDetail(container, id) : mountList(container);
}

function liveStream(query, onStatus) {
  const source = new EventSource(`/api/v1/status-messages/events${query}`);
  source.addEventListener('status', (event) => onStatus(JSON.parse(event.data)));
  return () => source.close();
}

function mountList(container) {
  const message = h('p', { class: 'form-error', role: 'alert' });
  const body = h('tbody');
  const form = h('form', { id: 'deploy', novalidate: true, class: 'deploy-form', 'aria-labelledby': 'deploy-title' });
  container.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Deployments')),
    message,
    h('div', { class: 'columns wide-left' },
      h('section', { 'aria-labelledby': 'deployments-title' },
        h('h2', { id: 'deployments-title' }, 'Deployment status'),
        h('table', { class: 'wide' },
          h('caption', { class: 'visually-hidden' }, 'Deployments with their status counts'),
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, 'Deployment'),
            h('th', { scope: 'col' }, 'Task sequence → collection'),
            h('th', { scope: 'col' }, 'Purpose'),
            STATES.map((s) => h('th', { scope: 'col', class: 'num' }, s.label)))),
          body)),
      h('section', { 'aria-labelledby': 'deploy-title', class: 'panel' },
        h('h2', { id: 'deploy-title' }, 'Deploy a task sequence'),
        form)));

  const formError = h('p', { class: 'form-error', role: 'alert' });
  const fields = [
    field(form, 'deploy', 'taskSequenceId', 'Task sequence', { kind: 'select', options: [] }),
    field(form, 'deploy', 'collectionId', 'Collection', { kind: 'select', options: [] }),
    field(form, 'deploy', 'purpose', 'Purpose', {
      kind: 'select',
      options: [{ value: 'Available', label: 'Available (runs when started on the computer)' }, { value: 'Required', label: 'Required (runs by itself)' }],
    }),
    field(form, 'deploy', 'contentOption', 'Content', {
      kind: 'select',
      options: [
        { value: 'DownloadLocallyWhenNeeded', label: 'Download content locally when needed (multicast)' },
        { value: 'DownloadAllBeforeStarting', label: 'Download all content before starting' },
        { value: 'AccessDirectly', label: 'Access content directly from the distribution point' },
      ],
    }),
    field(form, 'deploy', 'allowUnicastFallback', 'Allow unicast (HTTP) fallback', { kind: 'checkbox' }),
  ];
  const [tsField, collectionField, , , fallbackField] = fields;
  fallbackField.input.checked = true;
  form.append(formError, h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Deploy')));

  const rows = new Map();
  const names = { ts: new Map(), collections: new Map() };

  async function loadChoices() {
    const [sequences, collections] = await Promise.all([all('/api/v1/task-sequences'), all('/api/v1/collections')]);
    for (const ts of sequences) names.ts.set(ts.id, ts.name);
    for (const c of collections) names.collections.set(c.id, c.name);
    tsField.input.replaceChildren(h('option', { value: '' }, 'Choose a task sequence'), ...sequences.map((ts) => h('option', { value: ts.id }, `${ts.name} (${ts.id})`)));
    collectionField.input.replaceChildren(h('option', { value: '' }, 'Choose a collection'), ...collections.map((c) => h('option', { value: c.id }, `${c.name} (${c.id})`)));
  }

  function row(d) {
    const counts = Object.fromEntries(STATES.map((s) => [s.key, h('td', { class: `num count-${s.state}` }, '…')]));
    const tr = h('tr', { 'data-deployment': d.id },
      h('th', { scope: 'row' }, h('a', { href: `#/deployments/${encodeURIComponent(d.id)}` }, d.id)),
      h('td', {}, `${names.ts.get(d.taskSequenceId) ?? d.taskSequenceId} → ${names.collections.get(d.collectionId) ?? d.collectionId}`),
      h('td', {}, d.purpose),
      STATES.map((s) => counts[s.key]));
    return { tr, counts, refresh: coalesced(async () => {
      const summary = await get(`/api/v1/deployments/${encodeURIComponent(d.id)}/summary`);
      for (const s of STATES) counts[s.key].textContent = String(summary[s.key]);
    }) };
  }

  const pages = pager({
    label: 'Deployments',
    path: '/api/v1/deployments',
    pageSize: 25,
    newestFirst: true,
    onError: (e) => { message.textContent = e.message; },
    render: (deployments) => {
      rows.clear();
      if (deployments.length === 0) {
        body.replaceChildren(h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No deployments yet.')));
        return;
      }
      body.replaceChildren();
      for (const d of deployments) {
        const r = row(d);
        rows.set(d.id.toUpperCase(), r);
        body.append(r.tr);
      }
      // Counts a few at a time, so a page of deployments does not send its requests all at once.
      (async () => {
        const list = [...rows.values()];
        for (let i = 0; i < list.length; i += 5) await Promise.all(list.slice(i, i + 5).map((r) => r.refresh()));
      })();
    },
  });
  const loadList = () => pages.reload();
  body.closest('section').append(pages.element);

  onSubmit(form, {
    fields,
    formError,
    refused: 'Not deployed',
    send: async () => {
      const deployment = await post('/api/v1/deployments', {
        taskSequenceId: tsField.input.value || null,
        collectionId: collectionField.input.value || null,
        purpose: fields[2].input.value,
        contentOption: fields[3].input.value,
        allowUnicastFallback: fallbackField.input.checked,
      });
      announce(`Deployed: ${deployment.id}.`);
      await loadList();
      location.hash = `#/deployments/${encodeURIComponent(deployment.id)}`;
    },
  });

  loadChoices().then(loadList).catch((e) => { message.textContent = e.message; });
  return liveStream('', (status) => {
    if (status?.deploymentId) rows.get(status.deploymentId.toUpperCase())?.refresh();
  });
}

function mountDetail(container, id) {
  const message = h('p', { class: 'form-error', role: 'alert' });
  const title = h('h1', {}, `Deployment ${id}`);
  const facts = h('p', { class: 'intro' });
  const tiles = Object.fromEntries(STATES.map((s) => [s.key, h('span', { class: 'tile-count' }, '…')]));
  const devices = h('tbody');
  const messages = h('tbody');
  container.append(
    h('p', {}, h('a', { href: '#/deployments' }, '← All deployments')),
    h('div', { class: 'page-head' }, title),
    facts,
    message,
    h('ul', { class: 'tiles', 'aria-label': 'Deployment status counts' },
      STATES.map((s) => h('li', { class: `tile tile-${s.state}`, 'data-state': s.state }, tiles[s.key], h('span', { class: 'tile-label' }, s.label)))),
    h('section', { 'aria-labelledby': 'devices-title' },
      h('h2', { id: 'devices-title' }, 'Devices'),
      h('table', { class: 'wide' },
        h('caption', { class: 'visually-hidden' }, 'Each targeted device\'s state'),
        h('thead', {}, h('tr', {}, ['Device', 'State', 'Step', 'Progress', 'Last status message', 'Updated'].map((t) => h('th', { scope: 'col' }, t)))),
        devices)),
    h('section', { 'aria-labelledby': 'messages-title' },
      h('h2', { id: 'messages-title' }, 'Last status messages'),
      h('table', { class: 'wide' },
        h('caption', { class: 'visually-hidden' }, 'Status messages of this deployment, newest first'),
        h('thead', {}, h('tr', {}, ['Time', 'Severity', 'Device', 'Component', 'Message ID', 'Description'].map((t) => h('th', { scope: 'col' }, t)))),
        messages)));

  let deviceNames = new Map();
  const messagePages = pager({
    label: 'Status messages',
    path: `/api/v1/status-messages?deploymentId=${encodeURIComponent(id)}`,
    pageSize: 50,
    onError: (e) => { message.textContent = e.message; },
    render: (items) => {
      messages.replaceChildren(...(items.length ? items.map((m) => h('tr', { class: `severity-${m.severity}` },
        h('td', {}, format.time(m.time)),
        h('td', {}, m.severity),
        h('td', {}, m.deviceId != null ? (deviceNames.get(m.deviceId) ?? String(m.deviceId)) : '—'),
        h('td', {}, m.component),
        h('td', { class: 'num' }, String(m.messageId)),
        h('td', { class: 'message' }, m.text))) : [h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No status messages yet.'))]));
    },
  });
  messages.closest('section').append(messagePages.element);
  let described = false;
  const refresh = coalesced(async () => {
    try {
      const summary = await get(`/api/v1/deployments/${encodeURIComponent(id)}/summary`);
      if (!described) {
        described = true;
        const d = summary.deployment;
        const [ts, collection] = await Promise.all([
          get(`/api/v1/task-sequences/${encodeURIComponent(d.taskSequenceId)}`).catch(() => null),
          get(`/api/v1/collections/${encodeURIComponent(d.collectionId)}`).catch(() => null),
        ]);
        title.textContent = `${d.id}: ${ts?.name ?? d.taskSequenceId} → ${collection?.name ?? d.collectionId}`;
        facts.textContent = `${d.purpose}; ${format.words(d.contentOption).toLowerCase()}; unicast fallback ${d.allowUnicastFallback ? 'allowed' : 'not allowed'}; created ${format.time(d.created)}.`;
      }
      for (const s of STATES) tiles[s.key].textContent = String(summary[s.key]);
      deviceNames = new Map(summary.devices.map((d) => [d.deviceId, d.deviceName]));
      devices.replaceChildren(...(summary.devices.length ? summary.devices.map((d) => {
        const state = d.state?.state ?? 'Unknown';
        return h('tr', { 'data-device': d.deviceName },
          h('th', { scope: 'row' }, d.deviceName),
          h('td', {}, h('span', { class: `badge deploy-${state}` }, format.words(state))),
          h('td', {}, d.state?.stepName ?? '—'),
          h('td', { class: 'num' }, d.state?.progress != null ? `${d.state.progress}%` : '—'),
          h('td', { class: 'message' }, d.state?.message ?? 'No status yet'),
          h('td', {}, format.time(d.state?.updated)));
      }) : [h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'The collection has no devices.'))]));
      message.textContent = '';
      await messagePages.reload();
    } catch (e) {
      message.textContent = e.message;
      throw e;
    }
  });

  refresh();
  return liveStream(`?deploymentId=${encodeURIComponent(id)}`, () => refresh());
}
