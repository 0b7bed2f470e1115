import { EdgecError } from '../ir/index.js';
import type { PassOptions } from './pass.js';

/** One step of a pipeline string. */
export interface PipelineStep {
  name: string;
  options: PassOptions;
}

/**
 * Parses `"fold-constants{max-bytes=65536},eliminate-dead-code"` into steps. Commas inside braces separate
 * options, not passes.
 */
export function parsePipeline(text: string): PipelineStep[] {
  const steps: PipelineStep[] = [];
  const fail = (message: string): never => {
    throw new EdgecError('USAGE', `bad pipeline '${text}': ${message}`);
  };
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  while (i < text.length) {
    skipSpace();
    if (i >= text.length) break;
    const nameMatch = /^[a-z0-9-]+/.exec(text.slice(i));
    if (!nameMatch) fail(`expected a pass name at '${text.slice(i)}'`);
    const name = nameMatch![0];
    i += name.length;
    const options: PassOptions = {};
    skipSpace();
    if (text[i] === '{') {
      const close = text.indexOf('}', i);
      if (close < 0) fail(`unclosed '{' after ${name}`);
      for (const part of text.slice(i + 1, close).split(',')) {
        if (!part.trim()) continue;
        const [key, value, ...rest] = part.split('=').map((s) => s.trim());
        if (!key || value === undefined || rest.length > 0) fail(`option '${part.trim()}' of ${name} must be key=value`);
        options[key!] = value!;
      }
      i = close + 1;
    }
    steps.push({ name, options });
    skipSpace();
    if (i < text.length) {
      if (text[i] !== ',') fail(`expected ',' after ${name}`);
      i++;
    }
  }
  return steps;
}

export function formatPipeline(steps: readonly PipelineStep[]): string {
  return steps
    .map((s) => {
      const opts = Object.entries(s.options);
      return opts.length === 0 ? s.name : `${s.name}{${opts.map(([k, v]) => `${k}=${v}`).join(',')}}`;
    })
    .join(',');
}
