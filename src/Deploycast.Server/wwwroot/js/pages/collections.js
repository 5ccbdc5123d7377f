// Collections (with their members on demand) and devices, with approve and block buttons.
import { all, get, post } from '../api.js';
import { h, announce } from '../dom.js';
import * as format from '../format.js';

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

  all('/api/v1/devices').then((list) => {
    devices.replaceChildren(...(list.length ? list.map(deviceRow) : [h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No devices yet.'))]));
  }, (e) => { message.textContent = e.message; });
  all('/api/v1/collections').then((list) => {
    collections.replaceChildren(...list.map(collectionRow));
  }, (e) => { message.textContent = e.message; });
}
