import { FIELD_POLICY } from '@tokumei/privacy';
import type { AppiRequirement, AppiStore, CheckId, CheckResult } from './report.js';

/**
 * The Act on the Protection of Personal Information (個人情報の保護に関する法律, APPI) and the PPC's Enforcement
 * Rules (施行規則), as they apply to access-log statistics: what each asks and which checks give evidence for it.
 * `ja` is the same requirement in Japanese for `--lang ja`. A self-assessment, not legal advice.
 */
export const APPI_REQUIREMENTS: readonly { rule: string; ruleJa: string; requirement: string; ja: string; checks: readonly CheckId[]; operator?: boolean }[] = [
  {
    rule: 'Art. 2(5); Rules Art. 31(i)',
    ruleJa: '法第2条第5項、規則第31条第1号',
    requirement: 'Pseudonymously processed information: descriptions that identify a specific individual (IP address, user agent, session ids, e-mail addresses, names in URLs) are deleted or replaced; quasi-identifiers measured; no custom property holds a value per visitor',
    ja: '仮名加工情報：特定の個人を識別できる記述等（IPアドレス、ユーザーエージェント、セッションID、URL中のメールアドレスや氏名）の削除又は置換。準識別子の一意性を測定。カスタムプロパティに訪問者ごとの値（氏名、場所、ID）を保存しない',
    checks: ['inventory', 'content-scan', 'independent-scan', 'uniqueness', 'props-uniqueness', 'canary'],
  },
  {
    rule: 'Rules Art. 31(ii)',
    ruleJa: '規則第31条第2号',
    requirement: 'Individual identification codes (My Number, passport, licence and insurance numbers) deleted entirely: no long digit run is stored',
    ja: '個人識別符号（マイナンバー、旅券番号、運転免許証番号、保険者番号等）の全部削除：長い数字列を保存しない',
    checks: ['content-scan', 'independent-scan'],
  },
  {
    rule: 'Rules Art. 31(iii)',
    ruleJa: '規則第31条第3号',
    requirement: 'Descriptions whose misuse could cause financial harm (card numbers, reset and session tokens, API keys) deleted',
    ja: '不正に利用されることにより財産的被害が生じるおそれのある記述等（クレジットカード番号、パスワード再設定・セッショントークン、APIキー）の削除',
    checks: ['content-scan', 'independent-scan', 'canary'],
  },
  {
    rule: 'Art. 41(2); Rules Art. 32',
    ruleJa: '法第41条第2項、規則第32条',
    requirement: 'Safe management of "deleted descriptions etc." (削除情報等): the salts that could re-link hashes to a visitor exist only in their register, only while needed, and are destroyed',
    ja: '削除情報等の安全管理措置：ハッシュを訪問者に再び結び付け得るソルトは、保管場所にのみ、必要な間だけ存在し、破棄される',
    checks: ['salt-lifecycle', 'salt-exposure', 'retention'],
  },
  {
    rule: 'Art. 41(3)',
    ruleJa: '法第41条第3項',
    requirement: 'Used only within the purpose of use: every stored column is declared with a statistical or operational purpose',
    ja: '利用目的の達成に必要な範囲内での取扱い：保存する全ての列が統計又は運用の目的とともに宣言されている',
    checks: ['inventory'],
  },
  {
    rule: 'Art. 22 (Art. 41(5))',
    ruleJa: '法第22条（法第41条第5項）',
    requirement: 'Deletion without delay when no longer needed: raw records, per-event rows and salts have enforced retention',
    ja: '利用する必要がなくなったときの遅滞なき消去：生データ、イベント行、ソルトの保存期間が強制されている',
    checks: ['retention', 'journal', 'salt-lifecycle'],
  },
  {
    rule: 'Art. 23',
    ruleJa: '法第23条',
    requirement: 'Safety management measures (安全管理措置): no identifier in logs or on the bus beyond the raw topic; raw data on disk is bounded, encrypted and private',
    ja: '安全管理措置：ログやメッセージバス（生データ用トピックを除く）に識別子がなく、ディスク上の生データは上限・暗号化・アクセス制限付き',
    checks: ['canary', 'journal', 'salt-exposure'],
  },
  {
    rule: 'Art. 41(6)',
    ruleJa: '法第41条第6項',
    requirement: 'No provision of pseudonymously processed information to third parties: the stats API serves k-anonymous aggregates only; any other sharing is for the operator to rule out',
    ja: '第三者提供の制限：統計APIはk-匿名化した集計のみを提供する。それ以外の提供がないことは運営者が保証する',
    checks: ['inventory'],
    operator: true,
  },
];

/** The category each store falls in. Raw records are personal information; they exist only before the worker. */
export function appiStores(raw: { bus: 'memory' | 'kafka'; rawTopic: string; saltTopic: string }): AppiStore[] {
  const stores: AppiStore[] = [
    raw.bus === 'kafka'
      ? { store: `Kafka topic ${raw.rawTopic}`, category: 'personal information', why: 'raw records with IP address, user agent and sid, kept for the short raw retention' }
      : { store: 'embedded journal (data/journal)', category: 'personal information', why: 'raw records until the worker stored them, encrypted, bounded in age and size' },
    { store: raw.bus === 'kafka' ? `Kafka topic ${raw.saltTopic}` : 'salt register file (data/salts.json)', category: 'deleted descriptions etc.', why: 'the day salts: with them a visitor hash could be recomputed from an IP address and user agent' },
  ];
  for (const t of FIELD_POLICY) {
    const category = t.kind === 'events' ? 'pseudonymously processed information' : t.kind === 'aggregate' ? 'statistical information' : 'operational';
    stores.push({ store: `table ${t.table}`, category, why: t.purpose });
  }
  return stores;
}

export const APPI_CATEGORY_JA: Readonly<Record<AppiStore['category'], string>> = {
  'personal information': '個人情報',
  'pseudonymously processed information': '仮名加工情報',
  'statistical information': '統計情報（個人情報に該当しない）',
  'deleted descriptions etc.': '削除情報等',
  operational: '運用情報（個人に関する情報を含まない）',
};

/** Status per requirement: met when every check behind it passed, not met when one failed. */
export function appiAssessment(checks: readonly CheckResult[]): AppiRequirement[] {
  return APPI_REQUIREMENTS.map((r) => {
    const mine = checks.filter((c) => r.checks.includes(c.id));
    const failed = mine.some((c) => c.status === 'fail');
    const status = failed ? 'not met' : r.operator === true || mine.some((c) => c.status === 'skipped') ? 'operator' : 'met';
    return { rule: r.rule, requirement: r.requirement, checks: r.checks, status };
  });
}

/** The APPI rules a check supports, for the summary table. */
export function rulesOf(id: CheckId, lang: 'en' | 'ja' = 'en'): string[] {
  return APPI_REQUIREMENTS.filter((r) => r.checks.includes(id)).map((r) => (lang === 'ja' ? r.ruleJa : r.rule));
}

/** The fixed stores' descriptions in Japanese; tables keep their field-policy purpose. */
export const STORE_WHY_JA: Readonly<Record<string, string>> = {
  'raw records with IP address, user agent and sid, kept for the short raw retention': 'IPアドレス、ユーザーエージェント、sid を含む生データ。短い保存期間のみ保持',
  'raw records until the worker stored them, encrypted, bounded in age and size': 'ワーカーが保存するまでの生データ。暗号化し、経過時間とサイズに上限あり',
  'the day salts: with them a visitor hash could be recomputed from an IP address and user agent': '日ごとのソルト。これがあればIPアドレスとユーザーエージェントから訪問者ハッシュを再計算できる',
};
