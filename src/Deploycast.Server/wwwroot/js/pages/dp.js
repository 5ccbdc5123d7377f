// The distribution point's multicast settings (its Multicast tab): GET and PUT /api/v1/dp/multicast. The server
// validates every setting and names it; each message is shown next to its field.
import { get, put, ApiError } from '../api.js';
import { h, announce } from '../dom.js';
import { field, clearErrors, showErrors } from '../form.js';

const INTEGER = /^\s*-?\d+\s*$/;

export function mount(container) {
  const form = h('form', { id: 'dp-form', novalidate: true, class: 'settings', 'aria-labelledby': 'dp-title' });
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const status = h('p', { class: 'saved', role: 'status' });
  container.append(
    h('div', { class: 'page-head' }, h('h1', { id: 'dp-title' }, 'Distribution point: multicast')),
    h('p', { class: 'intro' }, 'The multicast settings of this server\'s distribution point. Changes apply to sessions that start after them; sessions under way keep their group.'),
    form);

  const general = h('fieldset', {}, h('legend', {}, 'Multicast'));
  const ranges = h('fieldset', {}, h('legend', {}, 'Addresses and ports'));
  const schedule = h('fieldset', {}, h('legend', {}, 'Scheduled multicast'));
  const slow = h('fieldset', {}, h('legend', {}, 'Slow clients'));
  form.append(h('div', { class: 'columns' }, h('div', {}, general, ranges), h('div', {}, schedule, slow)));

  const fields = [
    field(general, 'dp', 'enabled', 'Enable multicast', { kind: 'checkbox' }),
    field(general, 'dp', 'interface', 'Interface address', { help: 'IPv4 address of the interface sessions send on.' }),
    field(general, 'dp', 'clientTransferRate', 'Client transfer rate (bits per second)', { kind: 'number', optional: true, help: 'Empty: dynamic. At least 1000000 (1 Mbit/s).' }),
    field(general, 'dp', 'maximumClients', 'Maximum clients', { kind: 'number', help: 'Across all sessions, 1 to 10000.' }),
    field(general, 'dp', 'sessionIdleTimeout', 'Session idle time-out (seconds)', { kind: 'number', help: 'How long a finished session waits for late clients, 1 to 3600.' }),
    field(ranges, 'dp', 'addressRangeStart', 'First group address'),
    field(ranges, 'dp', 'addressRangeEnd', 'Last group address'),
    field(ranges, 'dp', 'portRangeStart', 'First UDP port', { kind: 'number' }),
    field(ranges, 'dp', 'portRangeEnd', 'Last UDP port', { kind: 'number' }),
    field(schedule, 'dp', 'scheduledMulticast', 'Enable scheduled multicast', { kind: 'checkbox', help: 'Off: auto-cast, the first request starts the session.' }),
    field(schedule, 'dp', 'sessionStartDelayMinutes', 'Session start delay (minutes)', { kind: 'number' }),
    field(schedule, 'dp', 'minimumSessionSize', 'Minimum session size (clients)', { kind: 'number' }),
    field(slow, 'dp', 'slowClientPolicy', 'Slow-client policy', {
      kind: 'select',
      options: [
        { value: 'None', label: 'None: keep slow clients in the session' },
        { value: 'AutoDisconnect', label: 'Disconnect clients below the threshold' },
        { value: 'Multistream', label: 'Multistream: separate sessions by speed' },
      ],
    }),
    field(slow, 'dp', 'slowClientThreshold', 'Slow-client threshold (bits per second)', { kind: 'number' }),
    field(slow, 'dp', 'fallBackToUnicast', 'Disconnected clients fall back to unicast', { kind: 'checkbox' }),
    field(slow, 'dp', 'multistreamTiers', 'Multistream tiers', { kind: 'select', options: [{ value: '2', label: '2 (fast, slow)' }, { value: '3', label: '3 (fast, medium, slow)' }] }),
  ];
  form.append(formError, h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save settings'), status));

  function fill(settings) {
    for (const f of fields) {
      const value = settings[f.name];
      if (f.kind === 'checkbox') f.input.checked = Boolean(value);
      else if (f.name === 'sessionIdleTimeout') f.input.value = String(parseTimeSpan(value));
      else f.input.value = value === null || value === undefined ? '' : String(value);
    }
  }

  function read() {
    const settings = {};
    const errors = {};
    for (const f of fields) {
      const raw = f.input.value;
      if (f.kind === 'checkbox') settings[f.name] = f.input.checked;
      else if (f.name === 'slowClientPolicy') settings[f.name] = raw;
      else if (f.name === 'multistreamTiers') settings[f.name] = Number(raw);
      else if (f.kind === 'number') {
        if (raw.trim() === '' && f.name === 'clientTransferRate') settings[f.name] = null;
        else if (!INTEGER.test(raw)) errors[f.name] = [`Enter a whole number${f.name === 'clientTransferRate' ? ', or leave it empty for a dynamic rate' : ''}.`];
        else settings[f.name] = Number(raw);
      } else settings[f.name] = raw.trim();
    }
    if (!errors.sessionIdleTimeout) settings.sessionIdleTimeout = toTimeSpan(settings.sessionIdleTimeout);
    return { settings, errors };
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(fields, formError);
    status.textContent = '';
    const { settings, errors } = read();
    if (Object.keys(errors).length) {
      showErrors(fields, errors, formError);
      announce('The settings were not saved: check the marked fields.');
      return;
    }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      fill(await put('/api/v1/dp/multicast', settings));
      status.textContent = 'Settings saved.';
      announce('Multicast settings saved.');
    } catch (e) {
      if (e instanceof ApiError && Object.keys(e.errors).length) {
        const count = showErrors(fields, e.errors, formError);
        announce(`The settings were not saved: ${count} setting${count === 1 ? '' : 's'} to correct.`);
      } else {
        formError.textContent = e.message;
      }
    } finally {
      button.disabled = false;
    }
  });

  get('/api/v1/dp/multicast').then(fill, (e) => { formError.textContent = e.message; });
}

/** "00:01:30" or "1.02:00:00" → seconds. */
function parseTimeSpan(text) {
  if (typeof text !== 'string') return text ?? '';
  const match = /^(?:(\d+)\.)?(\d+):(\d+):(\d+)(?:\.\d+)?$/.exec(text);
  if (!match) return text;
  const [, days, hours, minutes, seconds] = match;
  return Number(days ?? 0) * 86400 + Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
}

/** Seconds → "d.hh:mm:ss", the way the API writes a TimeSpan. */
function toTimeSpan(seconds) {
  const sign = seconds < 0 ? '-' : '';
  let rest = Math.abs(seconds);
  const days = Math.floor(rest / 86400); rest -= days * 86400;
  const hours = Math.floor(rest / 3600); rest -= hours * 3600;
  const minutes = Math.floor(rest / 60); rest -= minutes * 60;
  const pad = (n) => String(n).padStart(2, '0');
  return `${sign}${days ? `${days}.` : ''}${pad(hours)}:${pad(minutes)}:${pad(rest)}`;
}
