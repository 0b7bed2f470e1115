/**
 * The rvv ELF's seal note and sections, for the compiler's CLI, which imports them from here. Their layout is
 * defined in runtime/formats/ (elf.ts, elf-seal-note.ts, rvv-io.ts); new code imports those directly.
 */
export { elfSectionBytes, elfSections, isCodeSection, isElf, isReadOnlyDataSection, type ElfSection } from './formats/elf.js';
export { ELF_SEAL_OWNER, ELF_SEAL_SECTION, elfSealDescriptor, elfSealPayload, elfUnsealed } from './formats/elf-seal-note.js';
export { RVV_IO_SECTION as ELF_IO_SECTION } from './formats/rvv-io.js';
