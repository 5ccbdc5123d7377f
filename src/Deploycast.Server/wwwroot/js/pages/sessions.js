// Multicast sessions, live: the DP's server-sent events (/api/v1/dp/sessions/events) push the session list on every
// change and every second while transfers run. Events only store the latest list; rendering happens at most once per
// animation frame and touches only what changed, so a session with hundreds of clients stays cheap.
import { post, ApiError } from '../api.js';
import { h, setText, announce, frameScheduler } from '../dom.js';
import * as format from '../format.js';
import { RateChart } from '../chart.js';

const ACTIVE = new Set(['Waiting', 'Joined', 'Receiving', 'Slow']);
const MAX_MESSAGES = 30;

function clientStateText(client) {
  switch (client.state) {
    case 'Waiting': return 'Waiting for the session to start';
    case 'FellBack': return 'Fell back to unicast';
    case 'Disconnected': return client.movedToTier != null ? `Moved to tier ${client.movedToTier}` : 'Disconnected';
    default: return format.words(client.state);
  }
}

export function mount(container) {
  const connection = h('p', { class: 'connection', id: 'sessions-connection' }, 'Connecting…');
  const empty = h('p', { class: 'empty', hidden: true }, 'No multicast session is waiting or running. Sessions start when agents ask for content that may travel by multicast.');
  const list = h('div', { class: 'session-list' });
  const endedCount = h('span', {}, '0');
  const endedBody = h('tbody');
  const ended = h('details', { class: 'ended' },
    h('summary', {}, 'Ended sessions (', endedCount, ')'),
    h('table', {},
      h('caption', { class: 'visually-hidden' }, 'Ended multicast sessions, most recent first'),
      h('thead', {}, h('tr', {}, ['Session', 'Package', 'State', 'Ended', 'Clients completed', 'Why'].map((t) => h('th', { scope: 'col' }, t)))),
      endedBody));
  const messages = h('ol', { class: 'messages' });
  container.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Multicast sessions'), connection),
    empty,
    list,
    ended,
    h('section', { 'aria-labelledby': 'dp-messages-title' },
      h('h2', { id: 'dp-messages-title' }, 'Distribution point status messages'),
      messages));

  const cards = new Map();
  let latest = null;
  let sessionsDirty = false;
  let endedSignature = '';
  const statusMessages = [];
  let messagesDirty = false;

  const render = frameScheduler(() => {
    if (sessionsDirty) renderSessions();
    if (messagesDirty) renderMessages();
  }, 'deploycast:render-sessions');

  function renderSessions() {
    sessionsDirty = false;
    const live = latest.filter((s) => s.state === 'Waiting' || s.state === 'Running');
    const done = latest.filter((s) => s.state !== 'Waiting' && s.state !== 'Running');
    const seen = new Set();
    for (const session of live) {
      seen.add(session.key);
      let card = cards.get(session.key);
      if (!card) {
        card = createCard(session);
        cards.set(session.key, card);
        list.append(card.root);
      }
      updateCard(card, session);
    }
    for (const [key, card] of cards) {
      if (!seen.has(key)) {
        card.root.remove();
        cards.delete(key);
      }
    }
    empty.hidden = live.length > 0;

    const signature = done.map((s) => `${s.key}:${s.state}`).join('|');
    if (signature !== endedSignature) {
      endedSignature = signature;
      setText(endedCount, String(done.length));
      endedBody.replaceChildren(...done.map((s) => h('tr', {},
        h('td', {}, s.key),
        h('td', {}, `${s.packageId} v${s.version}`),
        h('td', {}, h('span', { class: `badge state-${s.state}` }, s.state)),
        h('td', {}, format.time(s.ended)),
        h('td', {}, `${s.clients.filter((c) => c.state === 'Completed').length} of ${s.clients.length}`),
        h('td', {}, s.failure ?? ''))));
    }
  }

  function createCard(session) {
    const id = `session-${session.key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const card = { key: session.key, rows: new Map(), chart: new RateChart(`Rate of session ${session.key}`) };
    card.state = h('span', { class: 'badge' });
    card.start = h('button', { type: 'button', onclick: () => startNow(session.key, card.start) }, 'Start now');
    card.facts = {
      group: h('dd'), rate: h('dd'), maxRate: h('dd'), clients: h('dd'), started: h('dd'), encrypted: h('dd'),
    };
    card.body = h('tbody');
    card.root = h('article', { class: 'session', id, 'aria-labelledby': `${id}-title`, 'data-session': session.key },
      h('header', {},
        h('h2', { id: `${id}-title` }, `${session.packageId} version ${session.version}`, h('span', { class: 'session-key' }, ` · session ${session.key}`)),
        card.state,
        card.start),
      h('div', { class: 'session-overview' },
        h('dl', { class: 'facts' },
          h('dt', {}, 'Group'), card.facts.group,
          h('dt', {}, 'Rate now'), card.facts.rate,
          h('dt', {}, 'Rate ceiling'), card.facts.maxRate,
          h('dt', {}, 'Clients'), card.facts.clients,
          h('dt', {}, 'Started'), card.facts.started,
          h('dt', {}, 'Encrypted'), card.facts.encrypted),
        h('figure', { class: 'chart' }, card.chart.svg, h('figcaption', {}, 'Session rate, last 2 minutes'))),
      h('table', { class: 'clients' },
        h('caption', { class: 'visually-hidden' }, `Clients of session ${session.key}`),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Client'),
          h('th', { scope: 'col' }, 'State'),
          h('th', { scope: 'col', class: 'progress-col' }, 'Progress'),
          h('th', { scope: 'col' }, 'Rate'),
          h('th', { scope: 'col' }, 'Loss'),
          h('th', { scope: 'col' }, 'Detail'),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        card.body));
    return card;
  }

  function updateCard(card, session) {
    setText(card.state, session.state);
    card.state.className = `badge state-${session.state}`;
    card.start.hidden = session.state !== 'Waiting';
    setText(card.facts.group, `${session.groupAddress}:${session.port} from ${session.interface}, tier ${session.tier}`);
    setText(card.facts.rate, session.state === 'Running' ? format.rate(session.rateBitsPerSecond) : '—');
    setText(card.facts.maxRate, session.maxRate == null ? 'dynamic' : format.rate(session.maxRate));
    const completed = session.clients.filter((c) => c.state === 'Completed').length;
    const active = session.clients.filter((c) => ACTIVE.has(c.state)).length;
    setText(card.facts.clients, `${session.clients.length} (${active} active, ${completed} completed)`);
    setText(card.facts.started, session.started ? format.time(session.started) : 'waiting to start');
    setText(card.facts.encrypted, session.encrypted ? 'yes' : 'no');
    if (session.state === 'Running') {
      card.chart.add(Date.now(), session.rateBitsPerSecond ?? 0);
    }
    card.chart.draw(format.rate);

    for (const client of session.clients) {
      let row = card.rows.get(client.clientId);
      if (!row) {
        row = createRow(card, client);
        card.rows.set(client.clientId, row);
        card.body.append(row.tr);
      }
      updateRow(row, client);
    }
  }

  function createRow(card, client) {
    const row = { tr: null, last: {} };
    row.state = h('span', { class: 'badge' });
    row.progress = h('progress', { max: '100', value: '0', 'aria-label': `Progress of ${client.clientId}` });
    row.percent = h('span', { class: 'percent' }, '0%');
    row.rate = h('td', { class: 'num' });
    row.loss = h('td', { class: 'num' });
    row.detail = h('td', { class: 'detail' });
    row.disconnect = h('button', {
      type: 'button',
      class: 'secondary small',
      'aria-label': `Disconnect ${client.clientId}`,
      onclick: () => disconnect(card.key, client.clientId, row.disconnect),
    }, 'Disconnect');
    row.tr = h('tr', { 'data-client': client.clientId },
      h('th', { scope: 'row' }, client.clientId),
      h('td', {}, row.state),
      h('td', {}, h('div', { class: 'progress-cell' }, row.progress, row.percent)),
      row.rate,
      row.loss,
      row.detail,
      h('td', {}, row.disconnect));
    return row;
  }

  function updateRow(row, client) {
    const last = row.last;
    if (last.state !== client.state || last.movedToTier !== client.movedToTier) {
      last.state = client.state;
      last.movedToTier = client.movedToTier;
      setText(row.state, clientStateText(client));
      row.state.className = `badge client-${client.state}`;
      row.disconnect.hidden = !ACTIVE.has(client.state);
    }
    const pct = Math.floor(client.progress * 100);
    if (last.pct !== pct) {
      last.pct = pct;
      row.progress.value = pct;
      setText(row.percent, `${pct}%`);
    }
    setText(row.rate, format.rate(client.rateBitsPerSecond));
    setText(row.loss, format.loss(client.loss));
    if (last.detail !== client.detail) {
      last.detail = client.detail;
      setText(row.detail, client.detail ?? '');
      row.detail.title = client.detail ?? '';
    }
  }

  function renderMessages() {
    messagesDirty = false;
    messages.replaceChildren(...statusMessages.map((m) => h('li', { class: `severity-${m.severity}` },
      h('time', { datetime: m.time }, format.time(m.time)), ' ',
      h('span', { class: 'message-id' }, String(m.messageId)), ' ',
      m.description)));
  }

  async function startNow(key, button) {
    button.disabled = true;
    try {
      const result = await post(`/api/v1/dp/sessions/${encodeURIComponent(key)}/start`);
      announce(result.message);
    } catch (e) {
      announce(e instanceof ApiError ? e.message : 'The session could not be started.');
    } finally {
      button.disabled = false;
    }
  }

  async function disconnect(key, clientId, button) {
    button.disabled = true;
    try {
      const result = await post(`/api/v1/dp/sessions/${encodeURIComponent(key)}/clients/${encodeURIComponent(clientId)}/disconnect`);
      announce(result.message);
    } catch (e) {
      announce(e instanceof ApiError ? e.message : 'The client could not be disconnected.');
      button.disabled = false;
    }
  }

  const source = new EventSource('/api/v1/dp/sessions/events');
  let wasLive = false;
  source.addEventListener('open', () => {
    connection.textContent = 'Live';
    connection.className = 'connection live';
    if (wasLive) announce('Live updates reconnected.');
    wasLive = true;
  });
  source.addEventListener('error', () => {
    connection.textContent = source.readyState === EventSource.CLOSED ? 'Not connected' : 'Reconnecting…';
    connection.className = 'connection lost';
    if (source.readyState === EventSource.CLOSED) {
      // Closed for good (for example the console session ended): the API call below notices a sign-out.
      import('../api.js').then(({ get }) => get('/api/v1/console/session')).catch(() => {});
    }
  });
  source.addEventListener('sessions', (event) => {
    // Only the latest list matters: a list that arrives before the next frame replaces the one still waiting.
    latest = JSON.parse(event.data);
    sessionsDirty = true;
    render();
  });
  source.addEventListener('status', (event) => {
    statusMessages.unshift(JSON.parse(event.data));
    statusMessages.length = Math.min(statusMessages.length, MAX_MESSAGES);
    messagesDirty = true;
    render();
  });

  return () => source.close();
}
