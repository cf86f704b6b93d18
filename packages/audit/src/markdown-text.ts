import type { CheckId, CheckResult, CnilStatus } from './report.js';

export type Lang = 'en' | 'ja';

/** The report's fixed text in each language. Evidence and findings are generated and stay in English. */
export interface ReportText {
  readonly title: string;
  readonly generated: string;
  readonly allPassed: string;
  readonly failed: (n: number, titles: string) => string;
  readonly deployment: (store: string, bus: string, where: string, canary: string) => string;
  readonly intro: readonly string[];
  readonly promisesHeading: string;
  readonly promisesIntro: string;
  readonly summary: string;
  readonly summaryHeader: string;
  readonly appiHeading: string;
  readonly appiIntro: string;
  readonly appiHeader: string;
  readonly storesHeading: string;
  readonly storesHeader: string;
  readonly checksHeading: string;
  readonly examined: string;
  readonly how: string;
  readonly evidence: string;
  readonly findings: string;
  readonly none: string;
  readonly notRun: string;
  readonly findingsHeader: string;
  readonly generatedNote: string;
  readonly uniquenessHeading: string;
  readonly uniquenessHeader: string;
  readonly saltsHeading: string;
  readonly saltsIntro: string;
  readonly saltsHeader: string;
  readonly noSalts: string;
  readonly stillInUse: string;
  readonly inventoryHeading: string;
  readonly inventoryIntro: string;
  readonly inventoryHeader: string;
  readonly cnilHeading: string;
  readonly cnilHeader: string;
  readonly cnilNote: string;
  readonly status: Readonly<Record<CheckResult['status'], string>>;
  readonly cnil: Readonly<Record<CnilStatus, string>>;
}

export const EN: ReportText = {
  title: '# Tokumei privacy audit',
  generated: 'Generated',
  allPassed: '✅ every check passed',
  failed: (n, titles) => `❌ ${n} check(s) failed: ${titles}`,
  deployment: (store, bus, where, canary) => `Deployment: ClickHouse ${store}, ${bus} message bus. The audit ran ${where}${canary}.`,
  intro: [
    'This report checks the data Tokumei actually holds against the privacy policy\'s promises, in the terms of Japan\'s',
    'Act on the Protection of Personal Information (APPI) and the Personal Information Protection Commission\'s',
    'Enforcement Rules, with the CNIL\'s audience-measurement criteria as a second reference. Every check says what it',
    'examined, how, and the evidence, so it can be repeated independently. Values found are never shown: at most a',
    'masked sample in which every letter and digit is replaced by `•`.',
  ],
  promisesHeading: '## The promises checked',
  promisesIntro: 'Sentences of the privacy policy, word for word, that the checks below give evidence for:',
  summary: '## Summary',
  summaryHeader: '| check | result | APPI rule it supports | promise |\n| --- | --- | --- | --- |',
  appiHeading: '## APPI assessment',
  appiIntro: 'Each requirement with the checks that give evidence for it. "operator" marks what only the operator can assure or what this run did not cover (e.g. no `--canary`); a self-assessment, not legal advice.',
  appiHeader: '| rule | requirement | status | checks |\n| --- | --- | --- | --- |',
  storesHeading: '## Where each kind of data lives (APPI category)',
  storesHeader: '| store | category | why |\n| --- | --- | --- |',
  checksHeading: '## Checks',
  examined: '**What was examined:**',
  how: '**How:**',
  evidence: '**Evidence:**',
  findings: '**Findings:**',
  none: '**Findings:** none.',
  notRun: '_This check was not run._',
  findingsHeader: '| where | pattern | count | masked sample | finding |\n| --- | --- | --- | --- | --- |',
  generatedNote: '',
  uniquenessHeading: '## Uniqueness of page views',
  uniquenessHeader: '| time precision | unique rows | share | of them with a visitor hash |\n| --- | --- | --- | --- |',
  saltsHeading: '## Salt lifecycle',
  saltsIntro: 'Visitor and session identifiers are keyed hashes under a random salt per day. The salt itself is never stored; each one is known here by its commitment (SHA-256), with when it was created and destroyed.',
  saltsHeader: '| day | commitment (SHA-256) | created (UTC) | destroyed (UTC) |\n| --- | --- | --- | --- |',
  noSalts: '_No salts recorded in the period._',
  stillInUse: 'still in use',
  inventoryHeading: '## Data inventory',
  inventoryIntro: 'Everything Tokumei may store, field by field, as declared in its field policy (the inventory check above confirms the database holds nothing else).',
  inventoryHeader: '| field | purpose (and how it was made harmless) | retention |\n| --- | --- | --- |',
  cnilHeading: '## Second reference: CNIL criteria for consent-exempt audience measurement',
  cnilHeader: '| criterion | status | evidence |\n| --- | --- | --- |',
  cnilNote: '"operator" marks what only the site operator can assure; this self-assessment is not legal advice.',
  status: { pass: '✅ pass', fail: '❌ FAIL', skipped: '⏭ not run' },
  cnil: { met: '✅ met', 'not met': '❌ not met', operator: '👤 operator' },
};

export const JA: ReportText = {
  title: '# Tokumei プライバシー監査報告書',
  generated: '作成日時',
  allPassed: '✅ 全ての検査に合格',
  failed: (n, titles) => `❌ ${n} 件の検査が不合格：${titles}`,
  deployment: (store, bus, where, canary) => `構成：ClickHouse ${store}、メッセージバス ${bus}。監査は${where}で実行${canary}。`,
  intro: [
    '本報告書は、Tokumei が実際に保存しているデータを、プライバシーポリシーの約束に照らして検査したものです。',
    '判断の枠組みは個人情報の保護に関する法律（以下「法」）及び個人情報の保護に関する法律施行規則（以下「規則」）とし、',
    'CNIL（フランス）のアクセス解析の基準を第二の参照基準とします。各検査は、何を・どのように検査し、どのような',
    '証拠を得たかを記載しており、第三者が再現できます。検出した値そのものは記載せず、全ての英字・数字を `•` に',
    '置き換えた伏せ字のみを示します。',
  ],
  promisesHeading: '## 検査対象の約束',
  promisesIntro: 'プライバシーポリシーの文言（原文のまま）。以下の検査はこれらの裏付けとなる証拠を示します：',
  summary: '## 概要',
  summaryHeader: '| 検査 | 結果 | 関係する法令の規定 | 約束 |\n| --- | --- | --- | --- |',
  appiHeading: '## 個人情報保護法に基づく評価',
  appiIntro: '各要件と、その証拠となる検査。「運営者」は運営者のみが保証できる事項、又は今回の実行で検査していない事項（`--canary` なし等）を示します。自己評価であり、法的助言ではありません。',
  appiHeader: '| 規定 | 要件 | 評価 | 検査 |\n| --- | --- | --- | --- |',
  storesHeading: '## データの保存場所と法令上の区分',
  storesHeader: '| 保存場所 | 区分 | 内容 |\n| --- | --- | --- |',
  checksHeading: '## 検査の詳細',
  examined: '**検査対象：**',
  how: '**方法：**',
  evidence: '**証拠：**',
  findings: '**所見：**',
  none: '**所見：** なし。',
  notRun: '_この検査は実行されていません。_',
  findingsHeader: '| 場所 | 種類 | 件数 | 伏せ字の例 | 所見 |\n| --- | --- | --- | --- | --- |',
  generatedNote: '（証拠と所見の各行は自動生成のため英語で記載しています。）',
  uniquenessHeading: '## ページビューの一意性',
  uniquenessHeader: '| 時刻の精度 | 一意な行 | 割合 | うち訪問者ハッシュを持つ行 |\n| --- | --- | --- | --- |',
  saltsHeading: '## ソルトの生成と破棄',
  saltsIntro: '訪問者ID・セッションIDは、日ごとの乱数ソルトを鍵とするハッシュです。ソルト自体は保存せず、ここではそのコミットメント（SHA-256）と生成・破棄の日時のみを示します。',
  saltsHeader: '| 日 | コミットメント（SHA-256） | 生成（UTC） | 破棄（UTC） |\n| --- | --- | --- | --- |',
  noSalts: '_期間中に記録されたソルトはありません。_',
  stillInUse: '使用中',
  inventoryHeading: '## データ一覧',
  inventoryIntro: 'Tokumei が保存し得る全ての項目（フィールドポリシーによる宣言）。上記のデータ一覧の検査により、データベースにこれ以外のものがないことを確認しています。',
  inventoryHeader: '| 項目 | 目的（及び無害化の方法） | 保存期間 |\n| --- | --- | --- |',
  cnilHeading: '## 第二の参照基準：CNIL の同意不要なアクセス解析の基準',
  cnilHeader: '| 基準 | 評価 | 証拠 |\n| --- | --- | --- |',
  cnilNote: '「運営者」はサイト運営者のみが保証できる事項です。本自己評価は法的助言ではありません。',
  status: { pass: '✅ 合格', fail: '❌ 不合格', skipped: '⏭ 未実行' },
  cnil: { met: '✅ 充足', 'not met': '❌ 不充足', operator: '👤 運営者' },
};

/** Check titles and methods in Japanese (the English ones are in each check). */
export const CHECK_JA: Readonly<Record<CheckId, { title: string; method: string }>> = {
  inventory: { title: 'データ一覧が宣言されたフィールドポリシーと一致する', method: '全てのテーブルと列を型とともにフィールドポリシーと照合する。ポリシーは列ごとに値の出所、加工方法、保存理由を定める。' },
  'content-scan': { title: '個人情報に見える値が保存されていない（スクラバーの規則による検査）', method: '各列を ClickHouse 内で正規表現により検索し、候補をプライバシーエンジン自身の規則で確認する。' },
  'independent-scan': { title: '独立した検出器から見ても個人情報に見える値がない', method: 'スクラバーと規則を共有しない第二の検出器。各値を保存形、パーセントデコード（+ を空白とする読みを含め繰り返し）、Shift_JIS、EUC-JP、base64/base64url、16進で読み、それぞれ NFKC 正規化したうえで、区切り文字を除いた7桁以上の数字列、@ に類するもの、IPアドレス・トークンに見えるもの、一人の訪問者の一日にしか現れない識別子らしい値を検出する。' },
  uniqueness: { title: '一回の訪問を特定できるページビューの割合', method: '(ts, path, browser, os, country, screen) で行をまとめ、時刻を秒・分・時の精度で比較する。単独の行は一意であり、その一回の閲覧を知る者はその行を、訪問者ハッシュを通じてその訪問者の一日全体を特定できる。しきい値（--max-unique）を指定しない限り、合否ではなく数値として報告する。' },
  'props-uniqueness': { title: '訪問者ごとの値を持つカスタムプロパティがない', method: '(サイト, キー) ごとに異なる値の数と、その値が現れた全てのソルトの範囲（UTC日、インポート実行）で一つの訪問者ハッシュからしか見られなかった値の数を数える。個人を識別する値はその性質上一人の訪問者からしか見られない。パターンは使わない。10個以上の値のうち50 %を超えて一人の訪問者の値であるキーを不合格とする。自動イベントの予約キー（Outbound_Link:_Click の host、File_Download の ext）は許可リストなしに形だけで保存されるため別に判定する。host は登録可能ドメイン（Public Suffix List）ごと、ext はキー全体で、そこに一人の訪問者だけの値を持つ訪問者・日が10以上ある場合にのみ判定する。一人の閲覧は不合格とせず、訪問者ごとのサブドメインは不合格とする。ClickHouse から出るのは件数のみ。' },
  canary: { title: 'パイプラインに送った識別子がどこにも保存されていない', method: 'IPアドレス、ユーザーエージェント、sid と、エンジンが置換すると仕様で定めた形（メールアドレス、UUID、JWT、16進トークン、電話番号）の値を持つビーコンを送り、全テーブル、サービスログ、生データ以外の Kafka トピックを平文で検索する。' },
  retention: { title: '生データ、保存行、ソルトが期限どおり削除される', method: 'Kafka トピックの設定、テーブルの TTL、ソルト保管場所のキーを、設定された上限と比較する。' },
  'salt-lifecycle': { title: '日ごとのソルトが期限どおり破棄された', method: 'salt_log の生成と破棄の記録を突き合わせ、期限を過ぎたソルトに破棄日時があることを確認する。' },
  'salt-exposure': { title: 'ハッシュを再び結び付ける鍵であるソルトは、保管場所にのみ、必要な間だけ存在する', method: 'salt_log から各ソルトの存続期間を求め、保管場所の設定から再結合が可能な最長期間を求める。さらに現在のソルトを、データディレクトリの全ファイル、サービスログ、全テキスト列でバイト単位に検索する。' },
  journal: { title: 'ディスク上の生データのジャーナルが上限内で非公開である', method: 'ジャーナルのフレームヘッダーのみを読み（記録は暗号化されたまま）、経過時間、サイズ、ファイル権限を確認する。' },
};

/** The policy's sentences in its own Japanese edition's sense (translated here; the English policy is the source). */
export const PROMISE_JA: Readonly<Record<string, string>> = {
  'Access logs do not include information which lead to personal identification of the customer.': 'アクセスログには、お客様個人を特定できる情報は含まれません。',
  'The access log data will be used solely for statistical analysis of customer usage to improve the services of the Company\u2019s website.': 'アクセスログのデータは、当社ウェブサイトのサービス向上のため、お客様の利用状況の統計分析にのみ使用します。',
  'We will not collect any information that identifies individual customers.': 'お客様個人を特定する情報は収集しません。',
  'The Company will endeavor … to delete said personal information when its use is no longer necessary.': '当社は、利用する必要がなくなった個人情報を消去するよう努めます。',
  'The Company will take necessary and appropriate measures for the safe management of customers\u2019 personal information including the prevention of leakage, loss, or damage of such information.': '当社は、お客様の個人情報の漏えい、滅失又は毀損の防止その他の安全管理のために必要かつ適切な措置を講じます。',
  'The Company will not disclose customers\u2019 personal information to a third party … unless the customer has given their prior consent or such disclosure is permitted by laws and regulations.': '当社は、お客様の事前の同意がある場合又は法令で認められる場合を除き、お客様の個人情報を第三者に提供しません。',
};
