/*
 * The parsed command line: the only program-wide state, filled once by
 * main() and read-only afterwards.
 */
#ifndef MDX_OPTIONS_H
#define MDX_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/reader.h"
#include "core/writer.h"
#include "filter.h"
#include "progress.h"

#ifndef MDEXPORT_VERSION
#define MDEXPORT_VERSION "0.1.0"
#endif

struct options {
	int argc;		/* the command line as given, for the manifest and report */
	char *const *argv;
	/*
	 * the same without -j/--jobs and its value, for the manifest: how many
	 * threads wrote an export changes nothing in it, so its manifest does
	 * not say (one export made on 2 or 64 cores has the same manifests)
	 */
	int record_argc;
	char *const *record_argv;
	unsigned jobs;		/* -j N: threads; 1: one mailbox at a time, no threads */
	const char *source;	/* SOURCE's path (a "<format>:" prefix taken off) */
	const struct mail_reader_ops *reader;	/* what reads it (formats_source_reader) */
	const char *output;	/* export: --output; verify: DIR */
	const struct mail_writer_ops *format;
	const char **users;	/* MAILBOX@DOMAIN */
	size_t nusers;
	const char **domains;
	size_t ndomains;
	const char **maps;	/* WINPREFIX=LOCALDIR */
	size_t nmaps;
	size_t index_mem;	/* MDEXPORT_INDEX_MEM: bytes of a folder's index in memory (0: default) */
	const char *report;	/* --report FILE, or NULL */
	unsigned shard_k, shard_n;	/* --shard K/N; shard_n 0: every mailbox */
	char *const *reports;	/* report: the REPORT files */
	size_t nreports;
	bool incremental;	/* --incremental: a round added to the export in DIR */
	bool prune;		/* --prune: a round removes what left the source (Maildir, EML) */
	bool skip_deleted;
	bool dry_run;
	bool json;
	bool quiet;
	enum progress_mode progress;	/* --progress (export, verify) */
	struct filter filter;	/* --since, --until, --folder, ... (export, verify, list) */
	/* i13-split: --split-size, PST's bytes per part file (0: one file) */
	uint64_t split_size;
	bool split_size_given;
	/* export: the import files of importmap.h (issue 13); NULL: not asked for */
	const char *m365_mapping;	/* --m365-mapping FILE */
	const char *exchange_script;	/* --exchange-script FILE */
	const char *unc;		/* --unc PREFIX */
	const char *address_map;	/* --address-map FILE */
	const char *target_root;	/* --target-root-folder PATH */
	size_t import_rows;	/* MDEXPORT_IMPORT_ROWS: rows a mapping file (0: 500); tests only */
	/* issue 14: groupware */
	struct tzone *zone;	/* --timezone ZONE (made once by main); NULL: not given */
	unsigned vcard_version;	/* --vcard 3.0 / 4.0: 3 or 4 (0: 4) */
	/* issue 14 (i14-accounts) */
	bool no_public_folders;	/* --no-public-folders: list, export, verify */
	bool csv;		/* accounts --csv, list --csv */
	/* issue 16: replace an earlier export of another format or other options */
	bool force;
	bool all;		/* verify --all: every mailbox of SOURCE must be in DIR */
	const char *log_file;	/* export --log-file FILE, or NULL */
	/*
	 * issue 15: --fallback-charset CS..., NULL-terminated (nfallback
	 * names); NULL: not given (windows-1252, or verify: the export's)
	 */
	const char **fallback;
	size_t nfallback;
	/* issue 16 (i16-maildir): --maildir-flag-separator ':' ';' '!' (0: ':') */
	char maildir_flag_sep;
	bool seal;		/* issue 16: export --seal: seal DIR at the end (seal.h) */
	bool verify_dir_alone;	/* issue 16: verify DIR, no SOURCE (seal.h) */
	bool bytes;		/* --bytes: sizes as byte counts, not KiB/MiB/GiB */
	bool folders;		/* list --folders: one line per folder */
};

/* --split-size's default: Microsoft's largest PST for its import service, 20 GB */
#define SPLIT_SIZE_DEFAULT (20ull << 30)

enum exit_code {
	EXIT_OK = 0,		/* everything exported */
	EXIT_PARTIAL = 1,	/* finished, but some items could not be read */
	EXIT_FATAL = 2,		/* usage error, unusable SOURCE or output */
	EXIT_LOCKED = 3,	/* some mailboxes were being written by another run: skipped */
};

int cmd_list(const struct options *o);
int cmd_export(const struct options *o);
int cmd_verify(const struct options *o);
int cmd_report(const struct options *o);
int cmd_accounts(const struct options *o);	/* issue 14: accounts.c */
/* issue 16: cmd_seal, cmd_verify_sealed in seal.h */

#endif
