// Small DOM helpers for the live page. Elements are built with text nodes, never innerHTML: names come from webhooks.

const SVG = 'http://www.w3.org/2000/svg';

function assemble(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) element.setAttribute(name, String(value));
  }
  element.append(...children.flat().filter((child) => child !== undefined && child !== null && child !== false));
  return element;
}

/** An HTML element: `h('td', { class: 'num' }, 'text', otherElement)`. */
export const h = (tag, attributes = {}, ...children) => assemble(document.createElement(tag), attributes, children);

/** An SVG element, as `h`. */
export const svg = (tag, attributes = {}, ...children) =>
  assemble(document.createElementNS(SVG, tag), attributes, children);

const hhmm = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** Wall-clock time (local) of an epoch-ms number or an ISO string. */
export const clock = (time) => hhmm.format(new Date(time));

const pad = (n) => String(n).padStart(2, '0');

/** 45s, 12m 05s, 1h 05m. */
export function duration(seconds) {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (h > 0) return `${h}h ${pad(m)}m`;
  return m > 0 ? `${m}m ${pad(seconds % 60)}s` : `${seconds % 60}s`;
}

/** How a person is named on the page: name, else email, else their key. */
export const personLabel = (person) => person.name || person.email || person.userId || person.personKey;

export const guestTag = (person) => (person.guest ? h('span', { class: 'tag' }, 'guest') : null);
