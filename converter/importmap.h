/*
 * Import files for the store files an export wrote (issue 13): Microsoft
 * 365's PST Import mapping CSV (--m365-mapping) and a PowerShell script of
 * New-MailboxImportRequest lines for on-premises Exchange
 * (--exchange-script, --unc).  Generic: it names no format; which files
 * were written comes from the writer's locations (struct mail_item_loc) and
 * the mailbox's output, for a writer whose ops say it writes store files
 * (mail_writer_ops.import_stores).
 *
 * Threads: an import_box belongs to one mailbox's job (its thread) until
 * finish_job hands it to the run (main thread) with importmap_add.
 */
#ifndef MDX_IMPORTMAP_H
#define MDX_IMPORTMAP_H

#include <stdbool.h>

#include "core/diag.h"
#include "core/outdir.h"
#include "core/sbuf.h"
#include "core/writer.h"
#include "options.h"
#include "places.h"

/* the most rows Microsoft's import takes in one mapping file */
#define IMPORTMAP_ROWS_MAX 500

struct import_box;
struct importmap;

/* import_box_new: one mailbox's store files, collected while it is written */
struct import_box *import_box_new(const char *mailbox, const char *domain);
/* import_box_note: a message written where loc says, with its flags (NULL box: no-op) */
void import_box_note(struct import_box *ib, const struct mail_item_loc *loc, unsigned flags);
void import_box_free(struct import_box **ib);

/*
 * importmap_open: *m NULL when neither file is asked for; else the
 * --address-map read and the files' folders opened (so a bad one stops the
 * run before anything is exported).  -1 with err set on failure.
 */
int importmap_open(const struct options *o, struct importmap **m, struct sbuf *err);
/* importmap_guard: -1 with err set when a file would be written inside SOURCE */
int importmap_guard(const struct importmap *m, const struct places *guard, struct sbuf *err);
/*
 * importmap_add: the mailbox's files handed to the run (*ib taken, set
 * NULL); output is the mailbox's output relative to DIR, NULL when nothing
 * of it was written (failed, locked, dry run: its files are dropped)
 */
void importmap_add(struct importmap *m, struct import_box **ib, const char *output);
/*
 * importmap_finish: the files written (each atomically), the \Deleted
 * warnings said on d; root is DIR (every file listed is checked there).
 * Returns 0, or -1 when a file could not be written (said on d).
 */
int importmap_finish(struct importmap *m, const struct tree *root, struct diag *d);
void importmap_free(struct importmap **m);

/* importmap_part_name: FILE for part 0, else FILE with -NNN (part + 1) before its extension */
char *importmap_part_name(const char *file, unsigned part);
/* importmap_csv_field: s as one RFC 4180 field (quoted when it holds , " CR or LF) */
void importmap_csv_field(struct sbuf *out, const char *s);
/* importmap_ps_quote: s as a PowerShell single-quoted string */
void importmap_ps_quote(struct sbuf *out, const char *s);

#endif
