// @ts-check
/* global document, localStorage, matchMedia, HTMLElement */
// Light or dark: the system's (prefers-color-scheme) until the viewer toggles, then theirs (localStorage).
import { $ } from './dom.js';
import { t } from './i18n.js';

const STORED = 'tokumei.theme';
const dark = () => {
  const chosen = localStorage.getItem(STORED);
  return chosen === 'dark' || (chosen !== 'light' && matchMedia('(prefers-color-scheme: dark)').matches);
};

/** Sets the page's theme attribute and the toggle's label from what is in effect. */
export function applyTheme() {
  const on = dark();
  document.documentElement.dataset.theme = on ? 'dark' : 'light';
  const button = $('#theme', HTMLElement);
  button.setAttribute('aria-pressed', String(on));
  button.textContent = t(on ? 'theme.toLight' : 'theme.toDark');
}

/** @param {() => void} changed called after a switch (the chart reads its colours then) */
export function setUpTheme(changed) {
  $('#theme', HTMLElement).addEventListener('click', () => {
    localStorage.setItem(STORED, dark() ? 'light' : 'dark');
    applyTheme();
    changed();
  });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => { applyTheme(); changed(); });
  applyTheme();
}
