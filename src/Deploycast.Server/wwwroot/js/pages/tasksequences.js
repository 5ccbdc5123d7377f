// Task sequences and their steps (GET /api/v1/task-sequences).
import { all } from '../api.js';
import { h } from '../dom.js';
import * as format from '../format.js';

export function mount(container) {
  const list = h('div', { class: 'ts-list' });
  const message = h('p', { class: 'form-error', role: 'alert' });
  container.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Task sequences')),
    h('p', { class: 'intro' }, 'The steps each task sequence runs, in order. Create them with ', h('code', {}, 'deploycast tasksequence create'), '; deploy them on the Deployments page.'),
    message,
    list);

  all('/api/v1/task-sequences').then((sequences) => {
    if (sequences.length === 0) {
      list.append(h('p', { class: 'empty' }, 'No task sequences yet.'));
      return;
    }
    for (const ts of sequences) {
      const stepsId = `ts-${ts.id}-steps`;
      const steps = h('ol', { class: 'steps', id: stepsId, hidden: true }, ts.steps.map(step));
      const button = h('button', { type: 'button', class: 'secondary small', 'aria-expanded': 'false', 'aria-controls': stepsId }, `Show ${ts.steps.length} step${ts.steps.length === 1 ? '' : 's'}`);
      button.addEventListener('click', () => {
        const open = steps.hidden;
        steps.hidden = !open;
        button.setAttribute('aria-expanded', String(open));
        button.textContent = `${open ? 'Hide' : 'Show'} ${ts.steps.length} step${ts.steps.length === 1 ? '' : 's'}`;
      });
      list.append(h('article', { class: 'card', 'data-task-sequence': ts.id },
        h('header', {}, h('h2', {}, `${ts.name}`, h('span', { class: 'muted' }, ` · ${ts.id}`)), button),
        ts.description ? h('p', {}, ts.description) : null,
        h('p', { class: 'help' }, `Modified ${format.time(ts.modified)}`),
        steps));
    }
  }, (e) => { message.textContent = e.message; });
}

function step(s) {
  const parameters = Object.entries(s.parameters ?? {});
  return h('li', {},
    h('strong', {}, s.name), ' ', h('span', { class: 'badge' }, format.words(s.type)),
    s.continueOnError ? h('span', { class: 'badge' }, 'continue on error') : null,
    s.condition ? h('div', { class: 'help' }, `Runs when ${s.condition.variable} ${format.words(s.condition.operator).toLowerCase()} ${s.condition.value ?? ''}`) : null,
    parameters.length ? h('dl', { class: 'parameters' }, parameters.map(([k, v]) => [h('dt', {}, k), h('dd', {}, h('code', {}, v))])) : null);
}
