// Paging through a list the API pages ({items, total} for ?skip=&take=): Previous and Next buttons and the range
// shown, announced politely. With newestFirst, the list is read from its end (the API returns oldest first), so the
// first page shows the newest items.
import { get } from './api.js';
import { h } from './dom.js';

/**
 * Returns { element, load(page), reload() }; render(items, total) draws a page. label names the list for assistive
 * technology ("Devices pages").
 */
export function pager({ label, path, pageSize = 50, newestFirst = false, render, onError }) {
  const previous = h('button', { type: 'button', class: 'secondary small', 'aria-label': `Previous page of ${label}` }, 'Previous');
  const next = h('button', { type: 'button', class: 'secondary small', 'aria-label': `Next page of ${label}` }, 'Next');
  const range = h('span', { class: 'pager-range', 'aria-live': 'polite' });
  const element = h('nav', { class: 'pager', 'aria-label': `${label} pages`, hidden: true }, previous, range, next);
  const separator = path.includes('?') ? '&' : '?';
  let page = 0;
  let total = null;
  let loading = null;

  async function fetchPage(index) {
    if (!newestFirst) {
      return get(`${path}${separator}skip=${index * pageSize}&take=${pageSize}`);
    }
    // Newest first: learn the total, then take the page counted from the end.
    total ??= (await get(`${path}${separator}skip=0&take=1`)).total;
    const end = Math.max(0, total - index * pageSize);
    const skip = Math.max(0, end - pageSize);
    const result = await get(`${path}${separator}skip=${skip}&take=${Math.max(1, end - skip)}`);
    return { items: result.items.slice(0, end - skip).reverse(), total: result.total };
  }

  async function load(index) {
    const wanted = Math.max(0, index);
    loading = wanted;
    try {
      const result = await fetchPage(wanted);
      if (loading !== wanted) return;
      total = result.total;
      const last = Math.max(0, Math.ceil(total / pageSize) - 1);
      if (wanted > last && total > 0) {
        await load(last);
        return;
      }
      page = wanted;
      render(result.items, total);
      const first = total === 0 ? 0 : page * pageSize + 1;
      range.textContent = `${first}–${Math.min(total, (page + 1) * pageSize)} of ${total}`;
      previous.disabled = page === 0;
      next.disabled = page >= last;
      element.hidden = total <= pageSize && page === 0;
    } catch (e) {
      onError?.(e);
    }
  }

  previous.addEventListener('click', () => load(page - 1));
  next.addEventListener('click', () => load(page + 1));
  return {
    element,
    load,
    /** The page shown, again (after a change; newest-first lists learn the new total). */
    reload: () => {
      total = null;
      return load(page);
    },
  };
}
