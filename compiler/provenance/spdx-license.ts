/**
 * SPDX license expressions (SPDX 2.3 annex D / SPDX 3 SimpleLicensing): syntax only. Identifiers are checked
 * for shape, not against the SPDX list (which would be a dependency); custom licenses are `LicenseRef-...`.
 * Returns null when the expression is valid, else why not.
 */
const ID = /^[A-Za-z0-9][A-Za-z0-9.-]*\+?$/;
const REF = /^(DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$/;
const OPERATORS = new Set(['AND', 'OR', 'WITH']);

export function spdxExpressionProblem(expression: string): string | null {
  const tokens = expression.match(/\(|\)|[^\s()]+/g) ?? [];
  if (tokens.length === 0) return 'it is empty';
  let at = 0;
  const peek = () => tokens[at];
  const fail = (why: string): never => {
    throw new Error(why);
  };
  const atom = (): void => {
    const t = peek();
    if (t === undefined) fail('it ends where a license was expected');
    if (t === '(') {
      at++;
      or();
      if (peek() !== ')') fail(`'(' is not closed`);
      at++;
      return;
    }
    if (t === ')' || OPERATORS.has(t!)) fail(`'${t}' where a license was expected`);
    if (/^(and|or|with)$/i.test(t!)) fail(`operator '${t}' must be upper case (${t!.toUpperCase()})`);
    if (!ID.test(t!) && !REF.test(t!)) fail(`'${t}' is not a license identifier`);
    at++;
  };
  const withExpr = (): void => {
    atom();
    if (peek() === 'WITH') {
      at++;
      const exception = peek();
      if (exception === undefined || !ID.test(exception) || exception.endsWith('+')) fail(`WITH must be followed by an exception identifier`);
      at++;
    }
  };
  const and = (): void => {
    withExpr();
    while (peek() === 'AND') {
      at++;
      withExpr();
    }
  };
  const or = (): void => {
    and();
    while (peek() === 'OR') {
      at++;
      and();
    }
  };
  try {
    or();
    if (at < tokens.length) {
      const t = tokens[at]!;
      if (/^(and|or|with)$/i.test(t)) fail(`operator '${t}' must be upper case (${t.toUpperCase()})`);
      fail(`unexpected '${t}' after '${tokens[at - 1]}' (expected AND, OR or WITH)`);
    }
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
