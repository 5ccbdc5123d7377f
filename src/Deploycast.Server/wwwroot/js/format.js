// How the console writes numbers, rates and times.

export function rate(bitsPerSecond) {
  if (bitsPerSecond === null || bitsPerSecond === undefined) return '—';
  if (bitsPerSecond >= 1e9) return `${(bitsPerSecond / 1e9).toFixed(2)} Gbit/s`;
  if (bitsPerSecond >= 1e6) return `${(bitsPerSecond / 1e6).toFixed(1)} Mbit/s`;
  if (bitsPerSecond >= 1e3) return `${(bitsPerSecond / 1e3).toFixed(0)} kbit/s`;
  return `${Math.round(bitsPerSecond)} bit/s`;
}

export function percent(fraction) {
  return `${Math.floor((fraction ?? 0) * 100)}%`;
}

export function loss(fraction) {
  return `${((fraction ?? 0) * 100).toFixed(1)}%`;
}

export function bytes(count) {
  if (count === null || count === undefined) return '—';
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

export function time(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** Splits PascalCase enum names into words: "InProgress" → "In progress". */
export function words(name) {
  if (!name) return '';
  const text = String(name).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
