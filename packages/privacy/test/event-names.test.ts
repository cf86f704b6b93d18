import { describe, expect, it } from 'vitest';
import { judgePropValue, scrubEvent } from '@tokumei/privacy';

/** Names real sites send: Plausible's automatic and documented goals, GA4's recommended events, common custom ones. */
const REAL_EVENTS = ['pageview', 'engagement', 'signup', 'Signup', 'Purchase', 'Outbound_Link:_Click', 'File_Download', '404',
  'Form:_Submission', 'add_to_cart', 'checkout_step_2', 'Video_Play', 'v2:download', 'Cloaked_Link:_Click', 'WP_Search_Queries',
  'WP_Form_Completions', 'Newsletter_Signup', 'Contact_Form_Submitted', 'Download_PDF', 'Trial_Started', 'Plan_Upgraded',
  'add_payment_info', 'add_shipping_info', 'add_to_wishlist', 'begin_checkout', 'generate_lead', 'login', 'purchase', 'refund',
  'remove_from_cart', 'search', 'select_content', 'select_item', 'select_promotion', 'share', 'sign_up', 'view_cart', 'view_item',
  'view_item_list', 'view_promotion', 'view_search_results', 'earn_virtual_currency', 'spend_virtual_currency', 'join_group',
  'level_up', 'level_start', 'level_end', 'post_score', 'tutorial_begin', 'tutorial_complete', 'unlock_achievement', 'ad_impression',
  'first_visit', 'session_start', 'user_engagement', 'scroll', 'click', 'file_download', 'form_start', 'form_submit',
  'video_start', 'video_progress', 'video_complete', 'screen_view', 'app_remove', 'in_app_purchase', 'notification_open',
  'Clicked_Get_Started_Button', 'Pricing_Page_Viewed', 'Order_Completed', 'Account_Created', 'black_friday_2026', 'edit_name',
  'Login_with_Yahoo', 'Share_via_Gmail', 'Click_at_footer', 'checkout.completed', 'video.play', 'Add to Cart', 'Sign Up',
  'Outbound Link: Click', '2fa_enabled', 'step-3', 'カート追加', '会員登録', '資料請求', 'お問い合わせ', 'ダウンロード', 'Signup:_Pro',
  'CTA:_Hero', 'Play_Video:_Intro', 'error_500', 'Checkout:_Step_3', 'Newsletter', 'Demo_Request', 'dark_mode_on'];

describe('event names: real names stay', () => {
  it.each(REAL_EVENTS)('%s', (name) => {
    expect(scrubEvent(name)).toBe(name);
  });
  it('the list is long enough to mean something', () => {
    expect(REAL_EVENTS.length).toBeGreaterThan(50);
  });
});

/** Each class with the separators event names use; Plausible sends spaces as `_`. */
const forms = (words: readonly string[]): string[] => ['_', '-', '.', ':', ' ', ':_'].map((sep) => words.join(sep));

describe('event names: each class, in every separator', () => {
  it.each([
    ['romaji honorifics', [['Yamada', 'san'], ['Tanaka', 'sama'], ['Sato', 'kun'], ['Signup', 'Yamada', 'sama']], ':name'],
    ['Western titles', [['Mr', 'Takahashi'], ['Dr', 'Watanabe'], ['Mrs', 'Suzuki']], ':name'],
    ['romanised addresses', [['Chiyoda', 'ku', 'Tokyo'], ['Minato', 'ku'], ['Roppongi', '6', 'chome']], ':address'],
    ['the at sign as a word', [['jane', 'doe', 'atmark', 'docomo'], ['taro', 'atmark', 'example']], ':email'],
    ['at before a provider or a domain', [['jane', 'doe', 'at', 'gmail'], ['jane', 'at', 'example', 'com']], ':email'],
    ['phones cut by words', [['090', 'then', '1234', 'then', '5678'], ['090123', 'and', '45678'], ['090', 'tel', '1234', 'tel', '5678']], ':phone'],
    ['My Number cut by words', [['4758', 'tel', '4620', 'tel', '7935'], ['475846', 'and', '207935']], ':phone'],
  ] as const)('%s', (_class, cases, placeholder) => {
    // Numbers cut by short words may also read as a token first (`090_tel_1234`): any placeholder refuses them.
    const expected = placeholder === ':phone' ? /^:(phone|id|token|value)$/ : new RegExp(`^${placeholder}$`);
    for (const words of cases) for (const name of forms(words)) expect(scrubEvent(name), name).toMatch(expected);
  });

  it('random words with the separators cut out', () => {
    for (const name of forms(['ogktp', 'isumz', 'vmocx'])) expect(scrubEvent(name), name).toBe(':token');
  });

  it('dotted provider domains with a local part in front', () => {
    for (const name of ['jane.doe.gmail.com', 'jane.doe.docomo.ne.jp', 'taro.yamada.ezweb', 'jane.doe.yahoo.co.jp', 'hanako.icloud.com',
      'jane.doe:example.com', 'jane.doe_example.com', 'gmail:jane.doe', 'jane.doeatexample.com', 'taro.yamadaatmarkdocomo']) {
      expect(scrubEvent(name), name).toBe(':email');
    }
  });

  it('digit runs with wide separators, and four numerals that are no year', () => {
    for (const name of ['090----1234----5678', '090-_-_-1234-_-_-5678', '4758----4620----7935', 'pin_1234', 'n4758']) {
      expect(scrubEvent(name), name).toMatch(/^:(phone|id|value)$/);
    }
  });

  it('words glued to numbers, by case or to an honorific', () => {
    expect(scrubEvent('Chiyoda-ku1-1-1')).toBe(':address');
    expect(scrubEvent('Minato-kuTokyo')).toBe(':address');
    expect(scrubEvent('MrTakahashi')).toBe(':name');
    expect(scrubEvent('Tanakasama')).toBe(':name');
    expect(scrubEvent('OGKTP-ISUMZ-VMOCX')).toBe(':token');
  });

  it('full-width and percent-encoded forms are read as they are meant', () => {
    expect(scrubEvent('ＹＡＭＡＤＡ－ＳＡＮ')).toBe(':name');
    expect(scrubEvent('Yamada%2Dsan')).toBe(':name');
    expect(scrubEvent('090%5F1234%5Fthen%5F5678')).toMatch(/^:(phone|postal)$/);
  });

  it('a name is judged at least as strictly as the same text as a property value', () => {
    for (const text of ['Yamada-san', 'Tanaka_sama', 'Chiyoda-ku_1-1-1', 'Roppongi_6-10-1', 'ogktp-isumz-vmocx', 'jane.doe_at_gmail',
      'taro.yamada_atmark_docomo', '090_then_1234_then_5678', '4758tel4620tel7935']) {
      expect(judgePropValue(text), text).toMatch(/^:/);
      expect(scrubEvent(text), text).toMatch(/^:/);
    }
  });

  it('what it still keeps: a bare name (README limits)', () => {
    expect(scrubEvent('Signup:_Taro_Yamada')).toBe('Signup:_Taro_Yamada');
  });
});
