/**
 * Names by structure. No pattern can tell `/users/山田太郎` or `/profile/jane-doe` from a page name, but the path
 * says it: the segment after `users`, `profile`, `会員` … is somebody's identifier. These keys are the default;
 * TOKUMEI_PATH_ID_KEYS adds more.
 */
export const DEFAULT_PATH_ID_KEYS: ReadonlySet<string> = new Set([
  'user', 'users', 'u', 'member', 'members', 'profile', 'profiles', 'account', 'accounts', 'customer', 'customers',
  'client', 'clients', 'order', 'orders', 'invoice', 'invoices', 'mypage', 'my-page', 'people', 'person', 'persons',
  'patient', 'patients', 'employee', 'employees', 'staff', 'student', 'students', 'reservation', 'reservations',
  'booking', 'bookings', 'uid', 'userid', 'user-id', 'user_id', 'username', 'login-id',
  '会員', 'マイページ', 'ユーザー', 'ユーザ', 'プロフィール', '顧客', '注文', '予約', '社員', '患者', '会員情報', 'お客様',
]);

/**
 * Segments after a key that are routes, not identifiers (`/account/settings`, `/users/new`): kept, because a word
 * that thousands of sites use cannot single anyone out. A user really named `settings` is not identified by it.
 */
export const ROUTE_WORDS: ReadonlySet<string> = new Set([
  'new', 'edit', 'settings', 'setting', 'login', 'logout', 'signin', 'signout', 'signup', 'register', 'registration',
  'password', 'reset', 'search', 'list', 'index', 'me', 'my', 'history', 'favorites', 'favourites', 'notifications',
  'preferences', 'security', 'billing', 'subscription', 'delete', 'create', 'update', 'confirm', 'complete', 'thanks',
  'top', 'home', 'info', 'help', 'detail', 'details', 'status', 'verify', 'activate', 'all', 'page', 'sign_in', 'sign_up',
  'sign-in', 'sign-up', 'sign_out', 'blog', 'news', 'support', 'faq', 'service', 'services', 'contact', 'inquiry',
  'profile', 'orders', 'points', 'coupons', 'cart', 'address', 'addresses', 'payment', 'payments', 'mail', 'email',
  'tel', 'form', 'withdraw', 'unsubscribe', 'dashboard', 'overview',
  '登録', '設定', '編集', '一覧', '検索', '確認', '完了', '退会', 'ログイン', 'ログアウト', '履歴', 'お気に入り', 'トップ',
  '注文履歴', '購入履歴', 'ポイント', 'クーポン', '登録情報', '登録情報の変更', '会員情報の変更', 'パスワード再設定',
  'パスワード変更', 'パスワード', 'お問い合わせ', 'メールアドレス変更', 'お届け先', '支払い方法', 'カート', '新規登録',
]);

/** `@jane` (social handles) and `~jane` (home pages) name a person wherever they stand. */
export function isHandle(segment: string): boolean {
  return /^[@~]\p{L}/u.test(segment);
}
