import type { Contract, DataLineageEntry, ModelCard } from '../../runtime/contract.js';
import { provenanceError } from './errors.js';
import { spdxExpressionProblem } from './spdx-license.js';

/**
 * The contract schema: every field, its type, and what a valid value looks like. validateContract reports
 * every problem at once, each naming its field (`dataLineage[1].digest`), and returns the contract with its
 * fields in schema order so the sealed JSON is the same whatever order the source used.
 */
type Check = (value: unknown, field: string, problems: string[]) => unknown;

const USE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const TARGET = /^[a-z0-9][a-z0-9._-]*$/;
const KEYID = /^[0-9a-f]{64}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):(\d{2})))?$/;
/** SPDX 3.0.1 dataset_DatasetType. */
const DATASET_TYPES = ['structured', 'numeric', 'text', 'categorical', 'graph', 'timeseries', 'timestamp', 'sensor', 'image', 'syntactic', 'audio', 'video', 'other', 'noAssertion'];

const describe = (v: unknown) => (Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`);

const text: Check = (v, field, problems) => {
  if (typeof v !== 'string' || v.trim() === '') problems.push(`'${field}' must be a non-empty string, got ${describe(v)}`);
  return v;
};

const license: Check = (v, field, problems) => {
  if (typeof v !== 'string') return text(v, field, problems);
  const why = spdxExpressionProblem(v);
  if (why) problems.push(`'${field}': '${v}' is not a valid SPDX license expression: ${why}`);
  return v;
};

export function dateProblem(v: string): string | null {
  const m = DATE.exec(v);
  if (!m) return 'expected YYYY-MM-DD or an RFC 3339 date-time such as 2026-01-31T12:00:00Z';
  const [year, month, day, hour, minute, second, offsetHour, offsetMinute] = m.slice(1).map((x) => Number(x ?? 0));
  const d = new Date(Date.UTC(year!, month! - 1, day!));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month! - 1 || d.getUTCDate() !== day) return 'no such calendar day';
  if (hour! > 23 || minute! > 59 || second! > 60 || offsetHour! > 23 || offsetMinute! > 59) return 'no such time of day';
  return null;
}

const date: Check = (v, field, problems) => {
  if (typeof v !== 'string') return text(v, field, problems);
  const why = dateProblem(v);
  if (why) problems.push(`'${field}': '${v}' is not a date (${why})`);
  return v;
};

const list = (item: Check): Check => (v, field, problems) => {
  if (!Array.isArray(v)) {
    problems.push(`'${field}' must be a list, got ${describe(v)}`);
    return v;
  }
  return v.map((x, i) => item(x, `${field}[${i}]`, problems));
};

const pattern = (re: RegExp, what: string): Check => (v, field, problems) => {
  if (typeof v !== 'string') return text(v, field, problems);
  if (!re.test(v)) problems.push(`'${field}': '${v}' is not ${what}`);
  return v;
};

const oneOf = (values: string[]): Check => (v, field, problems) => {
  if (typeof v !== 'string' || !values.includes(v)) problems.push(`'${field}' must be one of ${values.join(', ')}, got ${describe(v)}`);
  return v;
};

function object(fields: Record<string, Check>, required: string[] = []): Check {
  return (v, field, problems) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      problems.push(`${field ? `'${field}'` : 'the contract'} must be an object, got ${describe(v)}`);
      return v;
    }
    const record = v as Record<string, unknown>;
    const prefix = field ? `${field}.` : '';
    for (const key of Object.keys(record)) {
      if (!(key in fields)) problems.push(`unknown field '${prefix}${key}' (known: ${Object.keys(fields).join(', ')})`);
    }
    for (const key of required) if (record[key] === undefined) problems.push(`'${prefix}${key}' is required`);
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(fields)) {
      if (record[key] !== undefined) out[key] = check(record[key], `${prefix}${key}`, problems);
    }
    return out;
  };
}

const lineageEntry = object(
  {
    name: text,
    digest: pattern(DIGEST, "a digest ('sha256:' and 64 lower-case hex digits)"),
    license,
    location: text,
    type: oneOf(DATASET_TYPES),
  },
  ['name'],
);

const modelCard = object({
  name: text,
  version: text,
  supplier: text,
  downloadLocation: text,
  typeOfModel: list(text),
  domain: list(text),
  limitation: text,
  informationAboutTraining: text,
});

/** Field order here is the order fields are sealed in. */
const CONTRACT_FIELDS: Record<string, Check> = {
  license,
  licensor: text,
  permittedUses: list(pattern(USE, "a use name (lower-case words joined by '-', e.g. medical-diagnosis)")),
  prohibitedUses: list(pattern(USE, "a use name (lower-case words joined by '-', e.g. biometric-identification)")),
  targets: list(pattern(TARGET, 'a target or board name (lower case, e.g. wasm, rvv, webgpu)')),
  notBefore: date,
  expires: date,
  attribution: text,
  dataLineage: list(lineageEntry),
  requiredSigners: list(pattern(KEYID, 'a key id (64 lower-case hex digits: edgec keygen prints it)')),
  model: modelCard,
};

export const CONTRACT_FIELD_NAMES: readonly string[] = Object.keys(CONTRACT_FIELDS);

/** Validates one contract source; throws CONTRACT_INVALID listing every problem, each naming its field. */
export function validateContract(value: unknown, source: string): Contract {
  const problems: string[] = [];
  const contract = object(CONTRACT_FIELDS)(value, '', problems) as Contract;
  if (problems.length === 0 && contract.notBefore && contract.expires && Date.parse(normalizeDate(contract.expires)) <= Date.parse(normalizeDate(contract.notBefore))) {
    problems.push(`'expires' (${contract.expires}) must be later than 'notBefore' (${contract.notBefore})`);
  }
  if (problems.length > 0) throw provenanceError('CONTRACT_INVALID', `invalid contract: ${problems.join('; ')}`, { file: source });
  return contract;
}

const normalizeDate = (d: string) => (/^\d{4}-\d{2}-\d{2}$/.test(d) ? `${d}T00:00:00Z` : d);

/** Later sources win per top-level field; the result keeps schema order. */
export function mergeContracts(...contracts: (Contract | undefined)[]): Contract {
  const merged: Record<string, unknown> = {};
  for (const c of contracts) if (c) Object.assign(merged, c);
  const ordered: Record<string, unknown> = {};
  for (const key of CONTRACT_FIELD_NAMES) if (merged[key] !== undefined) ordered[key] = merged[key];
  return ordered as Contract;
}

export type { Contract, DataLineageEntry, ModelCard };
