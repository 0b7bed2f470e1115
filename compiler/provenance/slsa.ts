import type { ResourceDescriptor, Statement } from '../../runtime/formats/seal-document.js';
import { PROVENANCE_PREDICATE_TYPE } from '../../runtime/seal.js';
import type { ToolVersion } from './build-info.js';
import { isoSeconds } from './build-info.js';

/** SLSA Provenance v1: how the artifact was built, from what, by which tools. */

export const BUILD_TYPE = 'https://edgec.dev/build/compile/v1';
export const DEFAULT_BUILDER_ID = 'https://edgec.dev/builder/local/v1';

export interface ProvenanceFacts {
  subject: ResourceDescriptor[];
  source: { name: string; sha256: string };
  target: string;
  board: string | null;
  options: Record<string, unknown>;
  pipeline: string;
  quantization: { scheme: string; calibration?: { name: string; sha256: string } } | null;
  contractSources: { name: string; sha256: string }[];
  tools: ToolVersion[];
  builderId: string;
  invocationId: string;
  startedOn: Date;
  finishedOn: Date;
  /** Per-part digests of the artifact and digests of the other statements (for telling what changed). */
  byproducts: ResourceDescriptor[];
}

export function provenanceStatement(f: ProvenanceFacts): Statement {
  const dependencies: ResourceDescriptor[] = [
    { name: f.source.name, digest: { sha256: f.source.sha256 }, annotations: { role: 'source-model' } },
    ...(f.quantization?.calibration
      ? [{ name: f.quantization.calibration.name, digest: { sha256: f.quantization.calibration.sha256 }, annotations: { role: 'calibration-data' } }]
      : []),
    ...f.contractSources.map((c) => ({ name: c.name, digest: { sha256: c.sha256 }, annotations: { role: 'contract' } })),
    ...f.tools.map((t) => ({ name: t.name, uri: `pkg:npm/${t.name}@${t.version}`, annotations: { role: 'tool' } })),
  ];
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: f.subject,
    predicateType: PROVENANCE_PREDICATE_TYPE,
    predicate: {
      buildDefinition: {
        buildType: BUILD_TYPE,
        externalParameters: {
          model: f.source.name,
          target: f.target,
          board: f.board,
          options: f.options,
          pipeline: f.pipeline,
          quantization: f.quantization ? { scheme: f.quantization.scheme, calibration: f.quantization.calibration?.name ?? null } : null,
        },
        resolvedDependencies: dependencies,
      },
      runDetails: {
        builder: { id: f.builderId, version: Object.fromEntries(f.tools.map((t) => [t.name, t.version])) },
        metadata: { invocationId: f.invocationId, startedOn: isoSeconds(f.startedOn), finishedOn: isoSeconds(f.finishedOn) },
        byproducts: f.byproducts,
      },
    },
  };
}
