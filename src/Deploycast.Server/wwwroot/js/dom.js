// Small DOM helpers. Text always goes in through textContent, never as HTML, so nothing a device or an agent
// reports can run as script in the console.

/** Creates an element: h('button', {type: 'button', onclick: f}, 'Save'). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'checked' || key === 'selected' || key === 'disabled') el[key] = Boolean(value);
    else if (key === 'value') el.value = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Sets an element's text only when it changed (cheap for hundreds of rows updated every second). */
export function setText(el, text) {
  const value = text ?? '';
  if (el.textContent !== value) el.textContent = value;
}

/** Tells screen reader users what just happened (the page's polite live region). */
export function announce(message) {
  const region = document.getElementById('announcer');
  region.textContent = '';
  // A new text node after a tick, so the same message twice is read twice.
  setTimeout(() => { region.textContent = message; }, 30);
}

/**
 * Calls render at most once per animation frame, however often it is asked to. With a name, each render's time is
 * recorded as a performance measure of that name (the last 1000 are kept), which the browser tests read.
 */
export function frameScheduler(render, name) {
  let pending = false;
  let measured = 0;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const start = performance.now();
      render();
      if (name) {
        if (++measured % 1000 === 0) performance.clearMeasures(name);
        performance.measure(name, { start, end: performance.now() });
      }
    });
  };
}
