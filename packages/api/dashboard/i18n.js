// @ts-check
/* global document, localStorage, navigator, HTMLElement */
// The page's language: Japanese or English, from the browser's languages until the viewer picks one (remembered in
// localStorage). Strings live in i18n/<lang>.js only; the HTML carries data-i18n keys, never text of its own.
import en from './i18n/en.js';
import ja from './i18n/ja.js';

/** @typedef {keyof typeof en} Key */
/** @typedef {'en' | 'ja'} Lang */

/** @type {Record<Lang, Record<Key, string>>} */
const MESSAGES = { en, ja };
const STORED = 'tokumei.lang';

/** @returns {Lang} */
function initial() {
  const stored = localStorage.getItem(STORED);
  if (stored === 'en' || stored === 'ja') return stored;
  const first = (navigator.languages ?? [navigator.language]).find((l) => /^(ja|en)\b/i.test(l));
  return first !== undefined && first.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

/** @type {Lang} */
let lang = initial();

export const language = () => lang;
/** The BCP 47 tag for Intl: Japanese formats as ja-JP, English as en-US. */
export const locale = () => (lang === 'ja' ? 'ja-JP' : 'en-US');

/**
 * A message with {name} placeholders filled.
 * @param {Key} key
 * @param {Record<string, string | number>} [params]
 */
export function t(key, params = {}) {
  const text = MESSAGES[lang][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (whole, name) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

/** @param {string} key @returns {key is Key} */
export const isKey = (key) => Object.hasOwn(en, key);

/** Fills every [data-i18n] element's text and every [data-i18n-title]/[-label]/[-placeholder] attribute. */
export function applyStatic() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) {
    const key = el instanceof HTMLElement ? el.dataset.i18n ?? '' : '';
    if (isKey(key)) el.textContent = t(key);
  }
  for (const [attr, data] of /** @type {const} */ ([['title', 'i18nTitle'], ['aria-label', 'i18nLabel'], ['placeholder', 'i18nPlaceholder']])) {
    for (const el of document.querySelectorAll(`[data-${data.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`)) {
      const key = el instanceof HTMLElement ? el.dataset[data] ?? '' : '';
      if (isKey(key)) el.setAttribute(attr, t(key));
    }
  }
}

/** @param {Lang} next */
export function setLanguage(next) {
  lang = next;
  localStorage.setItem(STORED, next);
  applyStatic();
}
