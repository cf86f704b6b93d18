// A module-resolution hook for bin/tokumei-dev.js: adds the `source` export condition, so @tokumei/* packages
// resolve to their TypeScript sources (src/) rather than their compiled dist/.
export function resolve(specifier, context, next) {
  return next(specifier, { ...context, conditions: [...context.conditions, 'source'] });
}
