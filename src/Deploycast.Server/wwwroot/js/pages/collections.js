// Collections (with their members on demand, and a form to create one) and devices, a page at a time, with approve
// and block buttons.
import { all, get, post } from '../api.js';
import { h, announce } from '../dom.js';
import { field, onSubmit, formPanel } from '../form.js';
import { pager } from '../pager.js';
import * as format from '../format.js';

const RULE_KINDS = [
  { value: 'NamePattern', label: 'Name pattern (* and ? as wildcards)' },
  { value: 'MacPrefix', label: 'MAC address prefix (00:15:5d)' },
  { value: 'IPv4Subnet', label: 'IPv4 subnet (198.18.4.0/24)' },
];

export function mount(container) {
  const collections = h('tbody');
  const devices = h('tbody');
  const message = h('p', { class: 'form-error', role: 'alert' });
  container.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Collections and devices')),
    message,
    h('section', { 'aria-labelledby': 'devices-title' },
      h('h2', { id: 'devices-title' }, 'Devices'),
      h('p', { class: 'intro' }, 'A computer that registered without having been imported is an unknown computer; it waits for approval unless the site approves it by itself.'),
      h('table', { class: 'wide' },
        h('caption', { class: 'visually-hidden' }, 'Devices'),
        h('thead', {}, h('tr', {}, ['Device', 'ID', 'MAC addresses', 'IPv4 address', 'Approval', 'Last contact', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        devices)),
    h('section', { 'aria-labelledby': 'collections-title' },
      h('h2', { id: 'collections-title' }, 'Collections'),
      h('table', { class: 'wide' },
        h('caption', { class: 'visually-hidden' }, 'Collections'),
        h('thead', {}, h('tr', {}, ['Collection', 'ID', 'Membership rules', 'Members'].map((t) => h('th', { scope: 'col' }, t)))),
        collections)));

  function deviceRow(d) {
    const approval = h('span', { class: `badge approval-${d.approval}` }, d.approval);
    const approve = h('button', { type: 'button', class: 'small', 'aria-label': `Approve ${d.name}`, disabled: d.approval === 'Approved' }, 'Approve');
    const block = h('button', { type: 'button', class: 'secondary small', 'aria-label': `Block ${d.name}`, disabled: d.approval === 'Blocked' }, 'Block');
    const act = (verb, button) => async () => {
      button.disabled = true;
      try {
        const updated = await post(`/api/v1/devices/${d.id}/${verb}`);
        approval.textContent = updated.approval;
        approval.className = `badge approval-${updated.approval}`;
        approve.disabled = updated.approval === 'Approved';
        block.disabled = updated.approval === 'Blocked';
        announce(`${d.name} is ${updated.approval.toLowerCase()}.`);
      } catch (e) {
        button.disabled = false;
        message.textContent = e.message;
        announce(e.message);
      }
    };
    approve.addEventListener('click', act('approve', approve));
    block.addEventListener('click', act('block', block));
    return h('tr', { 'data-device': d.name },
      h('th', { scope: 'row' }, d.name, d.isUnknown ? h('span', { class: 'badge' }, 'unknown computer') : null),
      h('td', { class: 'num' }, String(d.id)),
      h('td', {}, d.macAddresses.join(', ')),
      h('td', {}, d.ipv4Address ?? '—'),
      h('td', {}, approval),
      h('td', {}, format.time(d.lastContact)),
      h('td', { class: 'actions' }, approve, block));
  }

  function collectionRow(c) {
    const membersId = `collection-${c.id}-members`;
    const members = h('ul', { class: 'plain', id: membersId, hidden: true });
    const button = h('button', { type: 'button', class: 'secondary small', 'aria-expanded': 'false', 'aria-controls': membersId }, 'Show members');
    button.addEventListener('click', async () => {
      const open = members.hidden;
      if (open) {
        const list = await get(`/api/v1/collections/${encodeURIComponent(c.id)}/members`).catch((e) => { message.textContent = e.message; return []; });
        members.replaceChildren(...(list.length ? list.map((d) => h('li', {}, `${d.name} (${d.approval.toLowerCase()})`)) : [h('li', { class: 'muted' }, 'No members')]));
      }
      members.hidden = !open;
      button.setAttribute('aria-expanded', String(open));
      button.textContent = open ? 'Hide members' : 'Show members';
    });
    return h('tr', { 'data-collection': c.id },
      h('th', { scope: 'row' }, c.name, c.description ? h('div', { class: 'help' }, c.description) : null),
      h('td', {}, c.id),
      h('td', {}, c.rules.length ? c.rules.map((r) => h('div', {}, `${format.words(r.kind)}: `, h('code', {}, r.value))) : h('span', { class: 'muted' }, 'direct members only')),
      h('td', {}, button, members));
  }

  const devicePages = pager({
    label: 'Devices',
    path: '/api/v1/devices',
    pageSize: 50,
    onError: (e) => { message.textContent = e.message; },
    render: (list) => {
      devices.replaceChildren(...(list.length ? list.map(deviceRow) : [h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No devices yet.'))]));
    },
  });
  devices.closest('section').append(devicePages.element);
  devicePages.load(0);

  const loadCollections = () => all('/api/v1/collections').then((list) => {
    collections.replaceChildren(...list.map(collectionRow));
  }, (e) => { message.textContent = e.message; });
  loadCollections();
  createCollectionForm(container, loadCollections);
}

/** The form that creates a collection: name, description, membership rules and direct members. */
function createCollectionForm(container, created) {
  const { form, formError } = formPanel(container, 'collection', 'Create a collection');
  const fields = [
    field(form, 'collection', 'name', 'Name'),
    field(form, 'collection', 'description', 'Description', { optional: true }),
  ];
  const rulesSet = h('fieldset', {}, h('legend', {}, 'Membership rules'),
    h('p', { class: 'help' }, 'A device is a member when any rule matches it.'));
  const rulesList = h('div', { class: 'rules' });
  const addRule = h('button', { type: 'button', class: 'secondary small' }, 'Add a rule');
  rulesSet.append(rulesList, addRule);
  const members = field(form, 'collection', 'members', 'Direct members', {
    kind: 'select', options: [], optional: true, help: 'Devices that are members whatever the rules say. Choose several with Ctrl or Shift.',
  });
  members.input.multiple = true;
  members.input.size = 6;
  form.insertBefore(rulesSet, members.wrapper);
  form.append(formError, h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create collection')));

  const rules = [];
  let ruleSerial = 0;
  function ruleFields() {
    // The API names a rule's errors by its position: rules[0].value.
    rules.forEach((rule, i) => {
      rule.kind.name = `rules[${i}].kind`;
      rule.value.name = `rules[${i}].value`;
      rule.legend.textContent = `Rule ${i + 1}`;
      rule.remove.setAttribute('aria-label', `Remove rule ${i + 1}`);
    });
  }
  addRule.addEventListener('click', () => {
    const n = ++ruleSerial;
    const wrapper = h('fieldset', { class: 'rule' });
    const legend = h('legend', {});
    wrapper.append(legend);
    const kind = field(wrapper, `collection-rule-${n}`, 'kind', 'Kind', { kind: 'select', options: RULE_KINDS });
    const value = field(wrapper, `collection-rule-${n}`, 'value', 'Value');
    const remove = h('button', { type: 'button', class: 'secondary small' }, 'Remove');
    wrapper.append(remove);
    const rule = { kind, value, legend, remove, wrapper };
    remove.addEventListener('click', () => {
      rules.splice(rules.indexOf(rule), 1);
      wrapper.remove();
      ruleFields();
      addRule.focus();
    });
    rules.push(rule);
    rulesList.append(wrapper);
    ruleFields();
    value.input.focus();
  });

  all('/api/v1/devices').then((list) => {
    members.input.replaceChildren(...list.map((d) => h('option', { value: String(d.id) }, `${d.name} (${d.id})`)));
  }, () => {});

  onSubmit(form, {
    fields: () => [...fields, members, ...rules.flatMap((r) => [r.kind, r.value])],
    formError,
    refused: 'Not created',
    send: async () => {
      const collection = await post('/api/v1/collections', {
        name: fields[0].input.value.trim() || null,
        description: fields[1].input.value.trim() || null,
        rules: rules.map((r) => ({ kind: r.kind.input.value, value: r.value.input.value })),
        members: [...members.input.selectedOptions].map((o) => Number(o.value)),
      });
      announce(`Collection ${collection.name} created: ${collection.id}.`);
      form.reset();
      for (const r of [...rules]) r.remove.click();
      await created();
    },
  });
}
