// Packages: the multicast options of each package's Distribution Settings, as toggles, and where each version is
// distributed (GET /api/v1/packages, GET /api/v1/packages/{id}, PATCH /api/v1/packages/{id}).
import { all, get, patch, post, ApiError } from '../api.js';
import { h, announce } from '../dom.js';
import { field, onSubmit, formPanel } from '../form.js';
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
    h('p', { class: 'intro' }, 'OS image packages and their multicast options. Import a package below or with ', h('code', {}, 'deploycast package import'), '.'),
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
  importForm(container, () => load().catch((e) => { message.textContent = e.message; }));
}

/** The form that imports an image file on the server as a new package (POST /api/v1/packages). */
function importForm(container, imported) {
  const { form, formError } = formPanel(container, 'package', 'Import a package');
  const status = h('p', { class: 'saved', role: 'status' });
  const columns = h('div', { class: 'columns' });
  const left = h('div');
  const right = h('div');
  columns.append(left, right);
  form.append(columns);
  const fields = [
    field(left, 'package', 'name', 'Name'),
    field(left, 'package', 'sourcePath', 'Image file on the server', { help: 'An absolute path on the site server, for example /srv/images/win11.wim. The file is copied into the content library.' }),
    field(left, 'package', 'description', 'Description', { optional: true }),
    field(right, 'package', 'imageType', 'Image type', {
      kind: 'select',
      options: [
        { value: '', label: 'Detect (WIM by its header; raw for .img, .raw, .iso; otherwise a file)' },
        { value: 'Wim', label: 'WIM' },
        { value: 'Raw', label: 'Raw disk or partition image' },
        { value: 'File', label: 'Any other file' },
      ],
    }),
    ...OPTIONS.map((o) => field(right, 'package', o.name, o.long, { kind: 'checkbox' })),
  ];
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
  byName.allowMulticast.input.checked = true;
  form.append(formError, h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Import package'), status));

  onSubmit(form, {
    fields,
    formError,
    refused: 'Not imported',
    send: async () => {
      const body = {
        name: byName.name.input.value.trim() || null,
        sourcePath: byName.sourcePath.input.value.trim() || null,
        description: byName.description.input.value.trim() || null,
        imageType: byName.imageType.input.value || null,
      };
      for (const o of OPTIONS) body[o.name] = byName[o.name].input.checked;
      status.textContent = 'Importing… (the file is read once and hashed block by block)';
      try {
        const p = await post('/api/v1/packages', body);
        status.textContent = `Imported as ${p.id}, version ${p.latestVersion}.`;
        announce(`Package ${p.name} imported as ${p.id}.`);
        form.reset();
        byName.allowMulticast.input.checked = true;
        await imported();
      } catch (e) {
        status.textContent = '';
        throw e;
      }
    },
  });
}
