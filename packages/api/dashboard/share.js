// @ts-check
/* global location, document, HTMLElement, HTMLFormElement, HTMLInputElement */
// A shared view: the link is /#share=<token> (a fragment never reaches a server or a Referer). The token goes on
// every API call as X-Tokumei-Share; the page learns its one site from GET /api/share, asks for the password when
// the link has one (POST /api/share/session sets an HttpOnly cookie), and hides what a shared viewer cannot use:
// the site picker, goal editing (the API refuses both with 403 TKM_SHARE_FORBIDDEN anyway).
import { ApiError, call, useShare } from './api.js';
import { $ } from './dom.js';
import { t } from './i18n.js';

/** The share token in the URL's fragment, if any. */
export function shareToken() {
  const match = /(?:^#|&)share=([^&]+)/.exec(location.hash);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

/** @param {string} password */
const openSession = (password) => call('/api/share/session', { body: { password } });

/**
 * Sets the page up for a shared link and answers its site; resolves once the viewer is let in (after the password,
 * when one is needed). @param {string} token @returns {Promise<string>}
 */
export async function enterShare(token) {
  useShare({ 'x-tokumei-share': token });
  document.body.classList.add('shared');
  for (;;) {
    try {
      /** @type {{ site: string, name: string, password_protected: boolean }} */
      const info = await call('/api/share');
      const banner = $('#share-banner', HTMLElement);
      banner.dataset.site = info.site;
      banner.textContent = `${t('share.banner', { site: info.site })}${info.name ? ` ${info.name}` : ''}`;
      banner.hidden = false;
      return info.site;
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'TKM_SHARE_PASSWORD') throw error;
      await askPassword();
    }
  }
}

/** Shows the password form until a password opens a session (a wrong one shows the API's message and asks again). */
function askPassword() {
  const form = $('#share-login', HTMLFormElement);
  form.hidden = false;
  $('#share-password', HTMLInputElement).focus();
  return new Promise((resolve) => {
    form.onsubmit = (event) => {
      event.preventDefault();
      openSession($('#share-password', HTMLInputElement).value).then(() => {
        form.hidden = true;
        $('#error', HTMLElement).hidden = true;
        resolve(undefined);
      }, (error) => {
        $('#error', HTMLElement).textContent = error instanceof Error ? error.message : String(error);
        $('#error', HTMLElement).hidden = false;
      });
    };
  });
}
