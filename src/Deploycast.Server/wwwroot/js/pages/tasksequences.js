// Task sequences and their steps (GET /api/v1/task-sequences), and a form that creates one with its steps in order
// (POST /api/v1/task-sequences); each step's parameters come from the site's step catalog
// (GET /api/v1/task-sequences/step-types).
import { all, get, post } from '../api.js';
import { h, announce } from '../dom.js';
import { field, onSubmit, formPanel } from '../form.js';
import * as format from '../format.js';

const STEP_TYPES = [
  { value: 'ApplyOperatingSystemImage', label: 'Apply Operating System Image' },
  { value: 'ApplyDataImage', label: 'Apply Data Image' },
  { value: 'RunCommandLine', label: 'Run Command Line' },
  { value: 'SetVariable', label: 'Set Task Sequence Variable' },
  { value: 'RestartComputer', label: 'Restart Computer' },
];

export function mount(container) {
  const list = h('div', { class: 'ts-list' });
  const message = h('p', { class: 'form-error', role: 'alert' });
  container.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Task sequences')),
    h('p', { class: 'intro' }, 'The steps each task sequence runs, in order. Create one below or with ', h('code', {}, 'deploycast tasksequence create'), '; deploy them on the Deployments page.'),
    message,
    list);

  const load = () => all('/api/v1/task-sequences').then((sequences) => {
    list.replaceChildren();
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
  load();
  createForm(container, load);
}

function step(s) {
  const parameters = Object.entries(s.parameters ?? {});
  return h('li', {},
    h('strong', {}, s.name), ' ', h('span', { class: 'badge' }, format.words(s.type)),
    s.continueOnError ? h('span', { class: 'badge' }, 'continue on error') : null,
    s.condition ? h('div', { class: 'help' }, `Runs when ${s.condition.variable} ${format.words(s.condition.operator).toLowerCase()} ${s.condition.value ?? ''}`) : null,
    parameters.length ? h('dl', { class: 'parameters' }, parameters.map(([k, v]) => [h('dt', {}, k), h('dd', {}, h('code', {}, v))])) : null);
}

/** The form that creates a task sequence: name, description and steps that can be added, moved and removed. */
function createForm(container, created) {
  const { form, formError } = formPanel(container, 'ts', 'Create a task sequence');
  const fields = [
    field(form, 'ts', 'name', 'Name'),
    field(form, 'ts', 'description', 'Description', { optional: true }),
  ];
  const stepsList = h('ol', { class: 'step-editor', tabindex: '-1', 'aria-label': 'Steps, in the order they run' });
  const stepsField = { name: 'steps', input: stepsList, error: h('p', { class: 'field-error', id: 'ts-steps-error' }) };
  const addStep = h('button', { type: 'button', class: 'secondary small' }, 'Add a step');
  form.append(h('fieldset', { 'data-field': 'steps' }, h('legend', {}, 'Steps'), stepsList, stepsField.error, addStep),
    formError, h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create task sequence')));

  let catalog = {};
  let packages = [];
  const steps = [];
  let serial = 0;

  /** The API names a step's errors by its position (steps[1].parameters.package): names follow the order. */
  function renumber() {
    steps.forEach((step, i) => {
      step.position = i;
      for (const f of step.fields) f.name = `steps[${i}].${f.key}`;
      step.legend.textContent = `Step ${i + 1}`;
      step.up.setAttribute('aria-label', `Move step ${i + 1} up`);
      step.down.setAttribute('aria-label', `Move step ${i + 1} down`);
      step.remove.setAttribute('aria-label', `Remove step ${i + 1}`);
      step.up.disabled = i === 0;
      step.down.disabled = i === steps.length - 1;
      step.remove.disabled = steps.length === 1;
    });
  }

  function parameterFields(step, type) {
    step.parameters.replaceChildren();
    step.fields = step.fields.filter((f) => !f.key.startsWith('parameters.'));
    for (const p of catalog[type] ?? []) {
      const options = p.kind === 'PackageRef'
        ? { kind: 'select', options: [{ value: '', label: 'Choose a package' }, ...packages.map((pk) => ({ value: pk.id, label: `${pk.name} (${pk.id}, ${pk.imageType})` }))] }
        : { kind: p.kind === 'Integer' ? 'number' : 'text', optional: !p.required };
      const f = field(step.parameters, `ts-step-${step.serial}`, p.name, format.words(p.name), { ...options, help: p.description });
      f.key = `parameters.${p.name}`;
      f.parameter = p;
      if (p.default && !p.required) f.input.placeholder = p.default;
      step.fields.push(f);
    }
    renumber();
  }

  function add(type) {
    const step = { serial: ++serial, fields: [] };
    step.legend = h('legend', {});
    step.root = h('li', { class: 'step' });
    const box = h('fieldset', {}, step.legend);
    const typeField = field(box, `ts-step-${step.serial}`, 'type', 'Step type', { kind: 'select', options: STEP_TYPES });
    typeField.key = 'type';
    typeField.input.value = type;
    const nameField = field(box, `ts-step-${step.serial}`, 'name', 'Step name');
    nameField.key = 'name';
    nameField.input.value = STEP_TYPES.find((t) => t.value === type).label;
    step.parameters = h('div', { class: 'parameters-editor' });
    const continueField = field(h('div'), `ts-step-${step.serial}`, 'continueOnError', 'Continue on error', { kind: 'checkbox' });
    continueField.key = 'continueOnError';
    step.type = typeField;
    step.name = nameField;
    step.continueOnError = continueField;
    step.fields.push(typeField, nameField, continueField);
    step.up = h('button', { type: 'button', class: 'secondary small' }, 'Move up');
    step.down = h('button', { type: 'button', class: 'secondary small' }, 'Move down');
    step.remove = h('button', { type: 'button', class: 'secondary small' }, 'Remove');
    box.append(step.parameters, continueField.wrapper, h('div', { class: 'actions' }, step.up, step.down, step.remove));
    step.root.append(box);
    typeField.input.addEventListener('change', () => {
      const previous = STEP_TYPES.find((t) => t.label === nameField.input.value);
      if (previous || !nameField.input.value.trim()) nameField.input.value = STEP_TYPES.find((t) => t.value === typeField.input.value).label;
      parameterFields(step, typeField.input.value);
    });
    step.up.addEventListener('click', () => move(step, -1));
    step.down.addEventListener('click', () => move(step, +1));
    step.remove.addEventListener('click', () => {
      const at = steps.indexOf(step);
      steps.splice(at, 1);
      step.root.remove();
      renumber();
      announce(`Step ${at + 1} removed.`);
      (steps[Math.min(at, steps.length - 1)]?.type.input ?? addStep).focus();
    });
    steps.push(step);
    stepsList.append(step.root);
    parameterFields(step, type);
    return step;
  }

  function move(step, by) {
    const from = steps.indexOf(step);
    const to = from + by;
    if (to < 0 || to >= steps.length) return;
    steps.splice(from, 1);
    steps.splice(to, 0, step);
    if (by < 0) stepsList.insertBefore(step.root, steps[to + 1].root);
    else stepsList.insertBefore(step.root, steps[to - 1].root.nextSibling);
    renumber();
    // Keep the focus on the button pressed, unless it can no longer be used; then on its partner.
    const button = by < 0 ? step.up : step.down;
    (button.disabled ? (by < 0 ? step.down : step.up) : button).focus();
    announce(`Step moved to position ${to + 1} of ${steps.length}.`);
  }

  addStep.addEventListener('click', () => add('RunCommandLine').type.input.focus());

  Promise.all([get('/api/v1/task-sequences/step-types'), all('/api/v1/packages')]).then(([types, list]) => {
    catalog = types;
    packages = list;
    add('ApplyOperatingSystemImage');
  }, (e) => { formError.textContent = e.message; });

  onSubmit(form, {
    fields: () => [...fields, stepsField, ...steps.flatMap((s) => s.fields)],
    formError,
    refused: 'Not created',
    send: async () => {
      const sequence = await post('/api/v1/task-sequences', {
        name: fields[0].input.value.trim() || null,
        description: fields[1].input.value.trim() || null,
        steps: steps.map((step) => {
          const parameters = {};
          for (const f of step.fields.filter((x) => x.parameter)) {
            const value = f.input.value.trim();
            if (value !== '' || f.parameter.required) parameters[f.parameter.name] = value;
          }
          return { name: step.name.input.value.trim(), type: step.type.input.value, parameters, continueOnError: step.continueOnError.input.checked };
        }),
      });
      announce(`Task sequence ${sequence.name} created: ${sequence.id}.`);
      form.reset();
      for (const step of steps.splice(0)) step.root.remove();
      add('ApplyOperatingSystemImage');
      await created();
    },
  });
}
