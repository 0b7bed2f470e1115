/*
 * A qemu TCG plugin counting dynamic guest instructions, in total and per address range.
 *
 * Debian ships no qemu-plugin.h, so the few API functions used are declared here (qemu plugin API version 1,
 * as in qemu 7.2). Arguments: ranges=<file> (lines "start end index", hex addresses, index >= 0; a range
 * marked with index -1 resets the attribution) and out=<file> (the counts are written there at exit:
 * "total N" then "range INDEX N" lines).
 *
 * Attribution is dynamic: executing a translation block that starts at a range's first address makes that
 * range current (a kernel's entry), a block inside a range with index -1 (the glue between kernels) clears it,
 * and every block's instructions are added to the total and to the current range. So the helpers a kernel
 * calls (memcpy, shared microkernels) are counted for that kernel.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAX_RANGES 4096
typedef struct { uint64_t start, end; long index; } range_t;
static range_t ranges[MAX_RANGES];
static int n_ranges;
static uint64_t counts[MAX_RANGES];
static uint64_t total;
static long current = -1;
static char out_path[4096];

/* What a translated block does when it runs: its size, and whether it changes the current range. */
typedef struct { uint64_t insns; int sets; long index; } block_t;

static void on_exec(unsigned int vcpu, void *udata) {
  (void)vcpu;
  const block_t *b = udata;
  if (b->sets) current = b->index;
  total += b->insns;
  if (current >= 0) counts[current] += b->insns;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  block_t *b = calloc(1, sizeof *b);
  uint64_t pc = qemu_plugin_tb_vaddr(tb);
  b->insns = qemu_plugin_tb_n_insns(tb);
  for (int i = 0; i < n_ranges; i++) {
    if (pc < ranges[i].start || pc >= ranges[i].end) continue;
    if (ranges[i].index < 0) { b->sets = 1; b->index = -1; }
    else if (pc == ranges[i].start) { b->sets = 1; b->index = ranges[i].index; }
    break;
  }
  qemu_plugin_register_vcpu_tb_exec_cb(tb, on_exec, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void on_plugin_exit(qemu_plugin_id_t id, void *udata) {
  (void)id; (void)udata;
  FILE *f = out_path[0] ? fopen(out_path, "w") : stderr;
  if (!f) return;
  fprintf(f, "total %llu\n", (unsigned long long)total);
  for (int i = 0; i < MAX_RANGES; i++) if (counts[i]) fprintf(f, "range %d %llu\n", i, (unsigned long long)counts[i]);
  if (f != stderr) fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  (void)info;
  for (int i = 0; i < argc; i++) {
    if (strncmp(argv[i], "out=", 4) == 0) snprintf(out_path, sizeof out_path, "%s", argv[i] + 4);
    if (strncmp(argv[i], "ranges=", 7) == 0) {
      FILE *f = fopen(argv[i] + 7, "r");
      if (!f) return -1;
      unsigned long long s, e;
      long index;
      while (n_ranges < MAX_RANGES && fscanf(f, "%llx %llx %ld", &s, &e, &index) == 3) {
        ranges[n_ranges].start = s;
        ranges[n_ranges].end = e;
        ranges[n_ranges].index = index;
        n_ranges++;
      }
      fclose(f);
    }
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
  return 0;
}
