import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { Contract } from '../../runtime/contract.js';
import { sha256Hex } from './canonical.js';
import { mergeContracts, validateContract } from './contract-schema.js';
import { provenanceError } from './errors.js';
import { parseYaml, YamlError } from './yaml.js';

/**
 * Where a contract comes from: the ONNX file's metadata_props (key `edgec.contract`, JSON), then a contract
 * file (JSON or YAML). Each source is validated on its own so errors name the file; later sources win per field.
 */
export const CONTRACT_METADATA_KEY = 'edgec.contract';

export interface ContractSource {
  /** "metadata_props:edgec.contract" or the contract file's base name. */
  name: string;
  sha256: string;
}

export interface ResolvedContract {
  contract: Contract;
  sources: ContractSource[];
}

export function contractFromMetadata(metadata: Record<string, unknown>, modelFile?: string): { contract: Contract; source: ContractSource } | null {
  const raw = metadata[CONTRACT_METADATA_KEY];
  if (raw === undefined) return null;
  const where = `${modelFile ? `${modelFile}: ` : ''}metadata_props '${CONTRACT_METADATA_KEY}'`;
  if (typeof raw !== 'string') throw provenanceError('CONTRACT_INVALID', `${where} must be a JSON string`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw provenanceError('CONTRACT_INVALID', `${where} is not JSON: ${(e as Error).message}`);
  }
  return { contract: validateContract(value, where), source: { name: `metadata_props:${CONTRACT_METADATA_KEY}`, sha256: sha256Hex(raw) } };
}

/** Parses contract text: JSON for .json, the YAML subset for .yaml/.yml, else JSON first, then YAML. */
export function parseContractText(text: string, name: string): unknown {
  const ext = extname(name).toLowerCase();
  const asJson = () => JSON.parse(text) as unknown;
  try {
    if (ext === '.json') return asJson();
    if (ext === '.yaml' || ext === '.yml') return parseYaml(text);
    try {
      return asJson();
    } catch {
      return parseYaml(text);
    }
  } catch (e) {
    const kind = e instanceof YamlError ? 'YAML' : 'JSON';
    throw provenanceError('CONTRACT_INVALID', `the contract is not valid ${kind}: ${(e as Error).message}`, { file: name });
  }
}

export function readContractFile(path: string): { contract: Contract; source: ContractSource } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw provenanceError('CONTRACT_INVALID', `cannot read the contract: ${(e as Error).message}`, { file: path });
  }
  const contract = validateContract(parseContractText(bytes.toString('utf8'), path), path);
  return { contract, source: { name: basename(path), sha256: sha256Hex(bytes) } };
}

/** The contract for a build: model metadata first, then the file or object given (later wins per field). */
export function resolveContract(metadata: Record<string, unknown>, given?: string | Contract, modelFile?: string): ResolvedContract {
  const parts: { contract: Contract; source: ContractSource }[] = [];
  const fromModel = contractFromMetadata(metadata, modelFile);
  if (fromModel) parts.push(fromModel);
  if (typeof given === 'string') parts.push(readContractFile(given));
  else if (given) {
    const contract = validateContract(given, 'the contract given');
    parts.push({ contract, source: { name: 'api:contract', sha256: sha256Hex(JSON.stringify(contract)) } });
  }
  return { contract: mergeContracts(...parts.map((p) => p.contract)), sources: parts.map((p) => p.source) };
}
