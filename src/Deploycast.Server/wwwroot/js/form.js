// Form fields with their error messages beside them: each error's id is in the field's aria-describedby, and the
// field is marked aria-invalid, so a screen reader reads the message with the field.
import { ApiError } from './api.js';
import { h, announce } from './dom.js';

/**
 * A labelled field appended to parent, with the id `${prefix}-${name}`; kind is 'text', 'number', 'checkbox' or
 * 'select' (with options [{value, label}]).
 */
export function field(parent, prefix, name, label, { kind = 'text', help, options, optional } = {}) {
  const id = `${prefix}-${name}`;
  const errorId = `${id}-error`;
  const helpId = help ? `${id}-help` : null;
  const describedBy = [helpId, errorId].filter(Boolean).join(' ');
  let input;
  if (kind === 'select') {
    input = h('select', { id, name, 'aria-describedby': describedBy }, options.map((o) => h('option', { value: o.value }, o.label)));
  } else if (kind === 'checkbox') {
    input = h('input', { id, name, type: 'checkbox', 'aria-describedby': describedBy });
  } else {
    input = h('input', {
      id, name, type: 'text', inputmode: kind === 'number' ? 'numeric' : null, autocomplete: 'off',
      'aria-describedby': describedBy, required: !optional && kind !== 'checkbox',
    });
  }
  const error = h('p', { class: 'field-error', id: errorId });
  const wrapper = kind === 'checkbox'
    ? h('div', { class: 'field checkbox', 'data-field': name }, input, h('label', { for: id }, label), help ? h('p', { class: 'help', id: helpId }, help) : null, error)
    : h('div', { class: 'field', 'data-field': name }, h('label', { for: id }, label), input, help ? h('p', { class: 'help', id: helpId }, help) : null, error);
  parent.append(wrapper);
  return { name, input, error, wrapper, kind };
}

export function clearErrors(fields, formError) {
  for (const f of fields) {
    f.error.textContent = '';
    f.input.removeAttribute('aria-invalid');
  }
  if (formError) formError.textContent = '';
}

/**
 * Shows each error next to the field it names (names compared without regard to case, so the API's
 * "ClientTransferRate" finds the field "clientTransferRate"); errors naming no field go to formError. Focuses the
 * first invalid field. Returns how many errors were shown.
 */
export function showErrors(fields, errors, formError) {
  const byName = new Map(fields.map((f) => [f.name.toLowerCase(), f]));
  const unplaced = [];
  let first = null;
  let count = 0;
  for (const [key, messages] of Object.entries(errors ?? {})) {
    const f = byName.get(key.toLowerCase());
    const text = [].concat(messages).join(' ');
    count++;
    if (!f) {
      unplaced.push(text);
      continue;
    }
    f.error.textContent = text;
    f.input.setAttribute('aria-invalid', 'true');
    first ??= f;
  }
  if (formError && unplaced.length) formError.textContent = unplaced.join(' ');
  if (first) first.input.focus();
  return count;
}

/**
 * Handles a form's submit: clears the last errors, disables the submit button while send() runs, and shows a
 * refusal's errors next to the fields they name (the rest, or a message without errors, in formError), announced as
 * `${refused}: message`. fields may be a function, for forms whose fields come and go.
 */
export function onSubmit(form, { fields, formError, send, refused }) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const list = typeof fields === 'function' ? fields() : fields;
    clearErrors(list, formError);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await send();
    } catch (e) {
      if (e instanceof ApiError && Object.keys(e.errors).length) showErrors(list, e.errors, formError);
      else formError.textContent = e.message;
      announce(`${refused}: ${e.message}`);
    } finally {
      button.disabled = false;
    }
  });
}

/**
 * A titled panel holding a new form (id `${id}-form`), appended to container; returns the form and the line for errors
 * that name no field (not yet in the form: the caller places it).
 */
export function formPanel(container, id, title) {
  const titleId = `${id}-title`;
  const form = h('form', { id: `${id}-form`, novalidate: true, 'aria-labelledby': titleId });
  container.append(h('section', { 'aria-labelledby': titleId, class: 'panel create' }, h('h2', { id: titleId }, title), form));
  return { form, formError: h('p', { class: 'form-error', role: 'alert' }) };
}
