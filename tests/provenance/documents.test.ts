import { describe, expect, it } from 'vitest';
import { AIBOM_PREDICATE_TYPE, CONTRACT_PREDICATE_TYPE, PROVENANCE_PREDICATE_TYPE } from '../../compiler/provenance/index.js';
import { decodePayload, seal, sealDocument, smallWasm, SOURCE, testKeys } from './helpers.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const HEX64 = /^[0-9a-f]{64}$/;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON documents under test

function statements(): { provenance: Json; contract: Json; aibom: Json; digest: string } {
  const bytes = seal(smallWasm(), {
    signingKey: testKeys().a.privateKeyPem,
    options: { optLevel: 0 },
    contract: {
      license: 'Apache-2.0 OR MIT',
      licensor: 'Example Labs',
      prohibitedUses: ['biometric-identification'],
      attribution: 'Example Labs, 2025',
      dataLineage: [
        { name: 'ImageNet-1k', digest: `sha256:${'cd'.repeat(32)}`, license: 'LicenseRef-ImageNet', type: 'image' },
        { name: 'in-house photos' },
      ],
      model: { name: 'tiny-flatten', version: '1.2.0', typeOfModel: ['cnn'], domain: ['computer vision'] },
    },
  });
  const doc = sealDocument(bytes);
  const [provenance, contract, aibom] = doc.envelopes.map((e) => decodePayload(e.payload) as Json);
  return { provenance: provenance!, contract: contract!, aibom: aibom!, digest: provenance!['subject'][0].digest.sha256 };
}

describe('sealed documents have the shapes their specs require', () => {
  const { provenance, contract, aibom, digest } = statements();

  it('three in-toto Statement v1, one subject each: the artifact by sha256 of its unsealed bytes', () => {
    expect([provenance, contract, aibom].map((s) => s['predicateType'])).toEqual([PROVENANCE_PREDICATE_TYPE, CONTRACT_PREDICATE_TYPE, AIBOM_PREDICATE_TYPE]);
    for (const s of [provenance, contract, aibom]) {
      expect(Object.keys(s)).toEqual(['_type', 'subject', 'predicateType', 'predicate']);
      expect(s['_type']).toBe('https://in-toto.io/Statement/v1');
      expect(s['subject']).toEqual([{ name: 'small.wasm', digest: { sha256: digest } }]);
      expect(typeof s['predicate']).toBe('object');
    }
    expect(digest).toMatch(HEX64);
  });

  it('SLSA Provenance v1: buildDefinition and runDetails with their required fields', () => {
    const { buildDefinition, runDetails } = provenance['predicate'];
    expect(buildDefinition.buildType).toMatch(/^https:\/\//);
    expect(buildDefinition.externalParameters).toEqual({ model: 'small.onnx', target: 'wasm', board: null, options: { optLevel: 0 }, pipeline: 'plan-memory', quantization: null });
    for (const dep of buildDefinition.resolvedDependencies) expect(dep.uri !== undefined || dep.digest !== undefined).toBe(true);
    expect(buildDefinition.resolvedDependencies[0]).toMatchObject({ name: 'small.onnx', digest: { sha256: SOURCE.sha256 } });
    const uris = buildDefinition.resolvedDependencies.map((d: Json) => d.uri).filter(Boolean);
    expect(uris).toContain('pkg:npm/edgec@0.1.0');
    expect(uris.some((u: string) => /^pkg:npm\/binaryen@\d+/.test(u))).toBe(true);
    expect(runDetails.builder.id).toMatch(/^https:\/\//);
    expect(runDetails.metadata.invocationId).toMatch(/^urn:edgec:invocation:[0-9a-f]{32}$/);
    expect(runDetails.metadata.startedOn).toMatch(RFC3339);
    expect(runDetails.metadata.finishedOn).toMatch(RFC3339);
    const names = runDetails.byproducts.map((b: Json) => b.name);
    expect(names).toEqual(['part:code', 'part:weights', 'part:io', 'part:metadata', `statement:${CONTRACT_PREDICATE_TYPE}`, `statement:${AIBOM_PREDICATE_TYPE}`]);
    for (const b of runDetails.byproducts) expect(b.digest.sha256).toMatch(HEX64);
  });

  it('the contract predicate is the validated contract, fields in schema order', () => {
    expect(Object.keys(contract['predicate'])).toEqual(['license', 'licensor', 'prohibitedUses', 'attribution', 'dataLineage', 'model']);
  });

  it('SPDX 3.0.1: an ai_AIPackage with its required fields, datasets, one declared and one concluded license', () => {
    const predicate = aibom['predicate'];
    expect(predicate['@context']).toBe('https://spdx.org/rdf/3.0.1/spdx-context.jsonld');
    const graph: Json[] = predicate['@graph'];
    const byType = (t: string) => graph.filter((e) => e['type'] === t);
    const ids = new Set(graph.map((e) => e['spdxId'] ?? e['@id']));
    const creation = byType('CreationInfo')[0]!;
    expect(creation).toMatchObject({ '@id': '_:creationinfo', specVersion: '3.0.1' });
    expect(creation['created']).toMatch(RFC3339);
    for (const agent of creation['createdBy']) expect(ids.has(agent)).toBe(true);
    for (const e of graph.filter((x) => x['type'] !== 'CreationInfo')) expect(e['creationInfo']).toBe('_:creationinfo');

    const [pkg] = byType('ai_AIPackage');
    expect(pkg).toBeDefined();
    for (const field of ['spdxId', 'name', 'releaseTime', 'suppliedBy', 'software_downloadLocation', 'software_packageVersion', 'software_primaryPurpose']) {
      expect(pkg![field], field).toBeDefined();
    }
    expect(pkg!['releaseTime']).toMatch(RFC3339);
    expect(pkg!['software_primaryPurpose']).toBe('model');
    expect(pkg!['software_packageVersion']).toBe('1.2.0');
    expect(pkg!['ai_typeOfModel']).toEqual(['cnn']);
    expect(ids.has(pkg!['suppliedBy'])).toBe(true);
    expect(pkg!['verifiedUsing']).toEqual([{ type: 'Hash', algorithm: 'sha256', hashValue: digest }]);
    for (const field of ['ai_domain', 'ai_limitation', 'ai_informationAboutTraining']) expect(pkg![field], field).toBeDefined();

    const rels = byType('Relationship');
    const from = (id: string, type: string) => rels.filter((r) => r['from'] === id && r['relationshipType'] === type);
    expect(from(pkg!['spdxId'], 'hasDeclaredLicense')).toHaveLength(1);
    expect(from(pkg!['spdxId'], 'hasConcludedLicense')).toHaveLength(1);
    const license = graph.find((e) => e['spdxId'] === from(pkg!['spdxId'], 'hasDeclaredLicense')[0]!['to'][0]);
    expect(license).toMatchObject({ type: 'simplelicensing_LicenseExpression', simplelicensing_licenseExpression: 'Apache-2.0 OR MIT' });

    const datasets = byType('dataset_DatasetPackage');
    expect(datasets.map((d) => d['name'])).toEqual(['ImageNet-1k', 'in-house photos']);
    expect(datasets[0]).toMatchObject({ dataset_datasetType: ['image'], software_primaryPurpose: 'data', verifiedUsing: [{ hashValue: 'cd'.repeat(32) }] });
    expect(from(pkg!['spdxId'], 'trainedOn')[0]!['to']).toEqual(datasets.map((d) => d['spdxId']));
    for (const d of datasets) expect(from(d['spdxId'], 'hasDeclaredLicense')).toHaveLength(1);

    const [document] = byType('SpdxDocument');
    expect(document!['rootElement']).toEqual([pkg!['spdxId']]);
    for (const r of rels) for (const id of [r['from'], ...r['to']]) expect(ids.has(id) || String(id).startsWith('https://spdx.org/rdf/3.0.1/terms/')).toBe(true);
  });
});
