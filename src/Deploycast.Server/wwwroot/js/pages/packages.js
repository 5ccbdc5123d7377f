// Packages: the multicast options of each package's Distribution Settings, as toggles, and where each version is
// distributed (GET /api/v1/packages, GET /api/v1/packages/{id}, PATCH /api/v1/packages/{id}).
import { all, get, patch, ApiError } from '../api.js';
import { h, announce } from '../dom.js';
import * as format from '../format.js';

const OPTIONS = [
  { name: 'allowMulticast', label: 'Allow multicast', long: 'Allow this package to be transferred via multicast' },
  { name: 'encryptMulticast', label: 'Encrypt multicast', long: 'Encrypt multicast packages' },
  { name: 'multicastOnly', label: 'Multicast only', long: 'Transfer this package only via multicast' },
];

export function mount(container) {
  const body = h('tbody');
  const message = h('p', { class: 'form-error', role: 'alert' });
  container.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Packages')),
    h('p', { class: 'intro' }, 'OS image packages and their multicast options. Import packages with ', h('code', {}, 'deploycast package import'), '.'),
    message,
    h('table', { class: 'wide' },
      h('caption', { class: 'visually-hidden' }, 'Packages'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Package'),
        h('th', { scope: 'col' }, 'Name'),
        h('th', { scope: 'col' }, 'Type'),
        h('th', { scope: 'col' }, 'Version'),
        OPTIONS.map((o) => h('th', { scope: 'col', title: o.long }, o.label)),
        h('th', { scope: 'col' }, 'Distribution status'))),
      body));

  async function load() {
    const packages = await all('/api/v1/packages');
    if (packages.length === 0) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No packages yet.')));
      return;
    }
    body.replaceChildren(...packages.map(row));
    // Details (versions and distribution) a few at a time: a site may hold many packages.
    for (let i = 0; i < packages.length; i += 8) {
      await Promise.all(packages.slice(i, i + 8).map(async (p) => {
        const cell = body.querySelector(`[data-distribution="${CSS.escape(p.id)}"]`);
        try {
          const details = await get(`/api/v1/packages/${encodeURIComponent(p.id)}`);
          cell.replaceChildren(distribution(details));
        } catch (e) {
          cell.textContent = e.message;
        }
      }));
    }
  }

  function row(p) {
    const error = h('p', { class: 'field-error', id: `package-${p.id}-error` });
    return h('tr', { 'data-package': p.id },
      h('th', { scope: 'row' }, p.id),
      h('td', {}, p.name, p.description ? h('div', { class: 'help' }, p.description) : null),
      h('td', {}, p.imageType),
      h('td', { class: 'num' }, String(p.latestVersion)),
      OPTIONS.map((o) => h('td', { class: 'toggle' }, toggle(p, o, error))),
      h('td', {}, h('div', { 'data-distribution': p.id }, 'Loading…'), error));
  }

  function toggle(p, option, error) {
    const input = h('input', {
      type: 'checkbox',
      id: `package-${p.id}-${option.name}`,
      checked: p[option.name],
      'aria-label': `${option.long}: ${p.id} ${p.name}`,
      'aria-describedby': error.id,
    });
    input.addEventListener('change', async () => {
      input.disabled = true;
      error.textContent = '';
      const wanted = input.checked;
      try {
        const updated = await patch(`/api/v1/packages/${encodeURIComponent(p.id)}`, { [option.name]: wanted });
        Object.assign(p, updated);
        for (const o of OPTIONS) {
          const box = document.getElementById(`package-${p.id}-${o.name}`);
          if (box) box.checked = updated[o.name];
        }
        announce(`${p.id}: ${option.long} is ${wanted ? 'on' : 'off'}.`);
      } catch (e) {
        input.checked = !wanted;
        const text = e instanceof ApiError ? Object.values(e.errors).flat().join(' ') || e.message : e.message;
        error.textContent = text;
        announce(`Not changed: ${text}`);
      } finally {
        input.disabled = false;
      }
    });
    return input;
  }

  function distribution(details) {
    if (details.distribution.length === 0) return h('span', { class: 'muted' }, 'Not on a distribution point');
    return h('ul', { class: 'plain' }, details.distribution.map((d) => h('li', {},
      h('span', { class: `badge dist-${d.state}` }, format.words(d.state)), ` version ${d.version} on ${d.distributionPointId}`,
      d.message ? h('div', { class: 'help' }, d.message) : null)));
  }

  load().catch((e) => { message.textContent = e.message; });
}
