import type { Contract } from '../../runtime/contract.js';
import type { ResourceDescriptor, Statement } from '../../runtime/formats/seal-document.js';
import { AIBOM_PREDICATE_TYPE } from '../../runtime/seal.js';
import { isoSeconds, type ToolVersion } from './build-info.js';

/**
 * The AI bill of materials: an SPDX 3.0.1 JSON-LD document with one ai_AIPackage (the compiled model), a
 * dataset_DatasetPackage per data lineage entry (related by trainedOn), and exactly one hasDeclaredLicense and
 * one hasConcludedLicense relationship per package, as the AI profile requires.
 */
export const SPDX_CONTEXT = 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld';
const NO_ASSERTION_ELEMENT = 'https://spdx.org/rdf/3.0.1/terms/Core/NoAssertionElement';
const NO_ASSERTION_LICENSE = 'https://spdx.org/rdf/3.0.1/terms/ExpandedLicensing/NoAssertionLicense';

export interface AibomFacts {
  subject: ResourceDescriptor[];
  artifactName: string;
  artifactSha256: string;
  source: { name: string; sha256: string; version: string | null };
  target: string;
  contract: Contract;
  tool: ToolVersion;
  time: Date;
}

type Element = Record<string, unknown>;

export function aibomStatement(f: AibomFacts): Statement {
  const base = `urn:edgec:spdx:${f.artifactSha256.slice(0, 32)}`;
  const created = isoSeconds(f.time);
  const creation = '_:creationinfo';
  const card = f.contract.model ?? {};
  const elements: Element[] = [];
  const relationships: Element[] = [];
  const add = (e: Element) => (elements.push(e), e['spdxId'] as string);
  const relate = (from: string, type: string, to: string[]) =>
    relationships.push({ type: 'Relationship', spdxId: `${base}:relationship-${relationships.length + 1}`, creationInfo: creation, from, relationshipType: type, to });
  const licenses = new Map<string, string>();
  const licenseFor = (expression: string | undefined): string => {
    if (!expression) return NO_ASSERTION_LICENSE;
    const known = licenses.get(expression);
    if (known) return known;
    const id = add({ type: 'simplelicensing_LicenseExpression', spdxId: `${base}:license-${licenses.size + 1}`, creationInfo: creation, simplelicensing_licenseExpression: expression });
    licenses.set(expression, id);
    return id;
  };

  const toolAgent = `${base}:edgec`;
  const supplierName = card.supplier ?? f.contract.licensor;
  const supplier = supplierName ? add({ type: 'Organization', spdxId: `${base}:supplier`, creationInfo: creation, name: supplierName }) : NO_ASSERTION_ELEMENT;
  const packageId = `${base}:ai-package`;
  const aiPackage: Element = {
    type: 'ai_AIPackage',
    spdxId: packageId,
    creationInfo: creation,
    name: card.name ?? f.source.name.replace(/\.onnx$/i, ''),
    releaseTime: created,
    suppliedBy: supplier,
    software_downloadLocation: card.downloadLocation ?? 'NOASSERTION',
    software_packageVersion: card.version ?? f.source.version ?? 'NOASSERTION',
    software_primaryPurpose: 'model',
    verifiedUsing: [{ type: 'Hash', algorithm: 'sha256', hashValue: f.artifactSha256 }],
    ...(f.contract.attribution ? { software_attributionText: [f.contract.attribution] } : {}),
    ai_typeOfModel: card.typeOfModel ?? [],
    ai_domain: card.domain ?? [],
    ai_limitation: card.limitation ?? 'NOASSERTION',
    ai_informationAboutTraining: card.informationAboutTraining ?? 'NOASSERTION',
    ai_informationAboutApplication: `compiled by ${f.tool.name} ${f.tool.version} for ${f.target} from ${f.source.name} (sha256 ${f.source.sha256}) into ${f.artifactName}`,
  };
  const modelLicense = licenseFor(f.contract.license);
  relate(packageId, 'hasDeclaredLicense', [modelLicense]);
  relate(packageId, 'hasConcludedLicense', [modelLicense]);

  const datasets: string[] = [];
  (f.contract.dataLineage ?? []).forEach((d, i) => {
    const digest = d.digest?.replace(/^sha256:/, '');
    const id = `${base}:dataset-${i + 1}`;
    datasets.push(id);
    elements.push({
      type: 'dataset_DatasetPackage',
      spdxId: id,
      creationInfo: creation,
      name: d.name,
      originatedBy: [NO_ASSERTION_ELEMENT],
      software_downloadLocation: d.location ?? 'NOASSERTION',
      software_primaryPurpose: 'data',
      dataset_datasetType: [d.type ?? 'noAssertion'],
      ...(digest ? { verifiedUsing: [{ type: 'Hash', algorithm: 'sha256', hashValue: digest }] } : {}),
    });
    const license = licenseFor(d.license);
    relate(id, 'hasDeclaredLicense', [license]);
    relate(id, 'hasConcludedLicense', [license]);
  });
  if (datasets.length > 0) relate(packageId, 'trainedOn', datasets);

  const graph: Element[] = [
    { type: 'CreationInfo', '@id': creation, specVersion: '3.0.1', created, createdBy: [toolAgent], createdUsing: [`${base}:tool`] },
    { type: 'SoftwareAgent', spdxId: toolAgent, creationInfo: creation, name: `${f.tool.name} ${f.tool.version}` },
    { type: 'Tool', spdxId: `${base}:tool`, creationInfo: creation, name: `${f.tool.name} ${f.tool.version}` },
    aiPackage,
    ...elements,
    ...relationships,
  ];
  const documentElements = graph.filter((e) => typeof e['spdxId'] === 'string').map((e) => e['spdxId'] as string);
  graph.splice(1, 0, {
    type: 'SpdxDocument',
    spdxId: `${base}:document`,
    creationInfo: creation,
    name: `AI BOM of ${f.artifactName}`,
    profileConformance: ['core', 'software', 'simpleLicensing', 'ai', ...(datasets.length ? ['dataset'] : [])],
    rootElement: [packageId],
    element: documentElements,
  });
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: f.subject,
    predicateType: AIBOM_PREDICATE_TYPE,
    predicate: { '@context': SPDX_CONTEXT, '@graph': graph },
  };
}
