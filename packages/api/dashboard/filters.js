// @ts-check
/* global HTMLElement, HTMLDialogElement, HTMLFormElement, HTMLInputElement, HTMLSelectElement, Option */
// The filter chips (one per filter, each removable) and the small dialog for `is not` and `contains`. Esc closes
// the dialog (the browser's own <dialog> behaviour); the opener gets the focus back.
import { $, make } from './dom.js';
import { t } from './i18n.js';

/** @typedef {import('./state.js').Filter} Filter */
/** @typedef {{ dim: string, label: string }} Choice */

/** @param {Filter} f @param {(dim: string) => string} labelOf */
export function describe(f, labelOf) {
  return t(`chip.${f.op}`, { dim: labelOf(f.dim), value: f.values.join(t('chip.or')) });
}

/**
 * @param {Filter[]} filters @param {(dim: string) => string} labelOf @param {(index: number) => void} remove
 */
export function showChips(filters, labelOf, remove) {
  const list = $('#chips', HTMLElement);
  list.replaceChildren(...filters.map((f, i) => {
    const text = describe(f, labelOf);
    const li = make('li', undefined, { class: 'chip', 'data-filter': `${f.op}|${f.dim}|${f.values.join('|')}` });
    const button = make('button', '×', { type: 'button', 'aria-label': t('filters.remove', { filter: text }), title: t('filters.remove', { filter: text }) });
    button.addEventListener('click', () => remove(i));
    li.append(make('span', text), button);
    return li;
  }));
  $('#clear-filters', HTMLElement).hidden = filters.length < 2;
}

/** @type {((filter: Filter) => void) | undefined} */
let applying;

/**
 * Opens the dialog with the dimensions a filter can test. @param {Choice[]} choices @param {(filter: Filter) => void} apply
 * @param {Partial<Filter>} [preset]
 */
export function openDialog(choices, apply, preset = {}) {
  const dialog = $('#filter-dialog', HTMLDialogElement);
  const dim = $('#filter-dim', HTMLSelectElement);
  dim.replaceChildren(...choices.map((c) => new Option(c.label, c.dim)));
  if (preset.dim) dim.value = preset.dim;
  $('#filter-op', HTMLSelectElement).value = preset.op && preset.op !== 'goal' ? preset.op : 'is_not';
  $('#filter-value', HTMLInputElement).value = preset.values?.[0] ?? '';
  applying = apply;
  dialog.showModal();
  $('#filter-value', HTMLInputElement).focus();
}

/** Wires the dialog's buttons once. */
export function setUpDialog() {
  const dialog = $('#filter-dialog', HTMLDialogElement);
  $('#filter-form', HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('#filter-value', HTMLInputElement).value;
    const op = /** @type {Filter['op']} */ ($('#filter-op', HTMLSelectElement).value);
    dialog.close();
    if (value !== '') applying?.({ op, dim: $('#filter-dim', HTMLSelectElement).value, values: [value] });
  });
  $('#filter-cancel', HTMLElement).addEventListener('click', () => dialog.close());
  // A click on the backdrop (outside the form) closes it too.
  dialog.addEventListener('click', (event) => { if (event.target === dialog) dialog.close(); });
}
