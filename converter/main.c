/*
 * mdexport: command line.  Parses options into struct options (the only
 * program-wide state) and hands over to the command.  Only this file exits.
 */
#include <getopt.h>
#include <iconv.h>
#include <gmime/gmime.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>

#include "core/hdrtext.h"
#include "core/tzone.h"
#include "core/xalloc.h"
#include "formats.h"
#include "options.h"
#include "select.h"
#include "suggest.h"
#include "version.h"	/* issue 16: --version */
#include "seal.h"	/* issue 16: seal, verify DIR */

static const char usage_main[] =
"usage: mdexport COMMAND [OPTIONS]\n"
"\n"
"Read a mail store from its files (no server needed) and write every\n"
"mailbox with its folders, flags and dates as mbox, Maildir, EML or PST.\n"
"\n"
"Commands:\n"
"  list SOURCE [--folders] [--csv | --json]\n"
"                                one line per mailbox: folders, messages, size,\n"
"                                groupware folders, problems (--folders: each folder)\n"
"  export SOURCE --format FMT --output DIR [options]\n"
"                                write each mailbox as mbox, maildir, eml or pst\n"
"  verify SOURCE DIR [options]   check an export against the store and its\n"
"                                manifests: every message there, unaltered\n"
"  verify DIR [--json]           check an export without its store: against\n"
"                                its seal (SEAL.sha256) and its manifests\n"
"  seal DIR                      write DIR/SEAL.json and DIR/SEAL.sha256 (every\n"
"                                file's SHA-256, for `sha256sum -c`)\n"
"  report REPORT... [--json] [--output FILE]\n"
"                                sum the --report files of the shards of one\n"
"                                job into one report; say a missing shard\n"
"  accounts SOURCE [--csv | --json]\n"
"                                one row per account (address, name, access,\n"
"                                quotas, mail found), to create them elsewhere\n"
"  help COMMAND                  that command's help\n"
"\n"
"SOURCE is an MDaemon folder (holding Users\\ and App\\), its Users folder\n"
"or one mailbox folder; or a Maildir, an mbox file or tree, a folder of\n"
".eml files, or a PST or OST file (one mailbox each).  A prefix names the\n"
"format (mdaemon:, maildir:, mbox:, eml:, pst:); without one it is probed.\n"
"SOURCE is only ever read.\n"
"\n"
"  -h, --help       this help; `mdexport COMMAND --help` for a command\n"
"  -V, --version    print the version, the commit and the libraries' versions\n"
"\n"
"Exit status: 0 all exported (verify: everything verifies), 1 finished but\n"
"some items could not be read (verify: something does not verify), 2 usage\n"
"error or fatal error.  See mdexport(1).\n";

static const char usage_list[] =
"usage: mdexport list SOURCE [--folders] [--csv | --json] [--bytes]\n"
"                     [--map WINPREFIX=LOCALDIR]... [--shard K/N]\n"
"                     [--since DATE] [--until DATE] [--folder GLOB]...\n"
"                     [--exclude-folder GLOB]... [--min-size SIZE] [--max-size SIZE]\n"
"\n"
"List every mailbox of the store, one line each: domain, mailbox, folders,\n"
"mail messages, their size, groupware folders and problems (warnings and\n"
"errors met reading it), then a total line.  Nothing is written.\n"
"\n"
"  --folders                 one line per folder instead, with its class\n"
"                            (IPF.Note for mail), messages and size\n"
"  --csv                     CSV (RFC 4180: a header row, CRLF, raw numbers)\n"
"  --json                    one JSON document on stdout, for scripts\n"
"  --bytes                   sizes as byte counts, not KiB/MiB/GiB\n"
"  --map WINPREFIX=LOCALDIR  where a MailDir named in userlist.dat lives\n"
"                            here, e.g. --map 'D:\\Mail=/mnt/disk/Mail'\n"
"  --shard K/N               only the K-th of N shards of the mailboxes\n"
"                            (see export --help)\n"
"  -q, --quiet               no warnings (errors are still shown)\n"
"  -h, --help                this help\n"
"With filters (below), MESSAGES and SIZE count only the messages taken\n"
"(each message is then read).\n";

static const char usage_export[] =
"usage: mdexport export SOURCE --format mbox|maildir|eml|pst --output DIR\n"
"                       [--user MAILBOX@DOMAIN]... [--domain DOMAIN]...\n"
"                       [--skip-deleted] [--dry-run] [--map WINPREFIX=LOCALDIR]...\n"
"                       [--report FILE] [--shard K/N] [--jobs N]\n"
"                       [--progress WHEN] [--quiet] [--since DATE] [--until DATE]\n"
"                       [--folder GLOB]... [--exclude-folder GLOB]...\n"
"                       [--min-size SIZE] [--max-size SIZE]\n"
"                       [--incremental [--prune]] [--split-size SIZE]\n"
"                       [--maildir-flag-separator C]\n"
"                       [--m365-mapping FILE] [--exchange-script FILE --unc PREFIX]\n"
"                       [--address-map FILE] [--target-root-folder PATH]\n"
"\n"
"Export every mail folder of every mailbox (or of those chosen).\n"
"\n"
"  -f, --format FMT          mbox     one mboxrd file per folder:\n"
"                                     DIR/DOMAIN/MAILBOX/FOLDER.mbox\n"
"                            maildir  a Maildir++ tree per mailbox:\n"
"                                     DIR/DOMAIN/MAILBOX/\n"
"                            eml      one file per message, as stored:\n"
"                                     DIR/DOMAIN/MAILBOX/FOLDER/NNNNNN.eml\n"
"                            pst      a Unicode PST per mailbox, for Outlook or\n"
"                                     Exchange import: DIR/DOMAIN/MAILBOX.pst\n"
"  -o, --output DIR          where to write (created if missing)\n"
"  -u, --user MAILBOX@DOMAIN only this mailbox (repeatable)\n"
"  -d, --domain DOMAIN       only this domain's mailboxes (repeatable)\n"
"      --skip-deleted        leave out messages marked \\Deleted\n"
"  -n, --dry-run             read everything, write nothing (no manifest;\n"
"                            only the --report FILE, when asked for)\n"
"      --map WINPREFIX=LOCALDIR\n"
"                            where a MailDir named in userlist.dat lives here\n"
"      --report FILE         also write the end-of-run report as JSON to FILE\n"
"      --shard K/N           only the K-th of N shards (1 <= K <= N): N runs,\n"
"                            on one machine or many, into one DIR or several,\n"
"                            export every mailbox exactly once (a mailbox's\n"
"                            shard is a hash of MAILBOX@DOMAIN: stable)\n"
"  -j, --jobs N              threads (default: one per online CPU): N mailboxes\n"
"                            at once, a big one to PST read ahead by threads of\n"
"                            its own; what is written and printed is the same\n"
"                            for every N (-j 1: no threads)\n"
"      --progress WHEN       auto (default): a line on stderr, redrawn each\n"
"                            second, with mailboxes, messages and MB done of\n"
"                            the totals, messages/s and an ETA, when stderr\n"
"                            is a terminal; always: that line even when not;\n"
"                            never: no line; json: one JSON object per line\n"
"                            on stderr (progress every second, each mailbox's\n"
"                            end, warnings and errors as \"log\" lines)\n"
"  -q, --quiet               only errors and the run's last line (no warnings,\n"
"                            summaries or report table; --report FILE has them)\n"
"  -h, --help                this help\n"
"\n"
"Each mailbox is written in DIR/.mdexport/ (locked: a second run into DIR\n"
"skips it, exit status 3) and swapped into place when complete; a re-run\n"
"replaces it.  No symbolic link under DIR is ever followed.  Next to it goes\n"
"DIR/DOMAIN/MAILBOX.manifest.jsonl: one JSON line for the run, then one per\n"
"source message (path, size, SHA-256, folder, UID, flags, dates, where it\n"
"went or why it was skipped).  Results (summaries, a table per mailbox, the\n"
"last line) go to stdout; warnings, errors and progress to stderr.  Times\n"
"are UTC.\n"
"Calendars, contacts, tasks and notes are exported too (below); documents\n"
"folders are listed but not exported.  SOURCE is only read: nothing under it is\n"
"created, changed, renamed or locked, and access times are kept.\n";

/* issue 14: groupware (list, export, verify; --vcard: export) */
static const char usage_groupware[] =
"\n"
"Calendars, contacts, tasks and notes (README \"Calendars, contacts, tasks\n"
"and notes\"):\n"
"      --timezone ZONE       the IANA zone (Europe/Paris) the store's local\n"
"                            times are in; without it, the offset the files\n"
"                            reveal, with a warning\n"
"      --vcard VERSION       export: contacts as vCard 4.0 (default) or 3.0\n"
"PST holds them as Outlook items; mbox, Maildir and EML as FOLDER.ics\n"
"(events, tasks), FOLDER.vcf (contacts) and FOLDER.txt (notes) beside the\n"
"folder's mail.\n";

/* issue 15: header text (list, export, verify) */
static const char usage_charsets[] =
"\n"
"Header text (README \"Header text and charsets\"):\n"
"      --fallback-charset CS the charset of 8-bit header text that is not\n"
"                            UTF-8 and not in a charset the message declares;\n"
"                            repeatable, tried in order (default windows-1252);\n"
"                            verify uses the export's unless given\n";

/*
 * issue 13: export's import-file options, a string of their own (one string
 * of all of export's help would pass the 4,095 bytes C11 promises to hold)
 */
static const char usage_export_import[] =
"\n"
"Import files (for --format pst; see README \"Importing into Microsoft 365\"):\n"
"      --m365-mapping FILE   Microsoft 365 PST Import mapping CSV of the\n"
"                            PST files this run wrote, FilePath relative to\n"
"                            DIR; at most 500 rows a file: FILE, then FILE\n"
"                            with -002, -003, ... before its extension\n"
"      --exchange-script FILE\n"
"                            a PowerShell script, one\n"
"                            New-MailboxImportRequest per PST file; needs:\n"
"      --unc PREFIX          where DIR is shared, e.g. '\\\\srv\\share\\pst'\n"
"      --address-map FILE    for both: CSV lines old,new (old@dom,new@dom, or\n"
"                            @olddomain,@newdomain for a whole domain): the\n"
"                            mailbox each source mailbox is imported into\n"
"      --target-root-folder PATH\n"
"                            for both: the folder of the target mailbox the\n"
"                            PST goes into (default: / for Microsoft 365,\n"
"                            merged into the existing folders)\n";

static const char usage_verify[] =
"usage: mdexport verify DIR [--json]\n"
"       mdexport verify SOURCE DIR [--all] [--user MAILBOX@DOMAIN]... [--domain DOMAIN]...\n"
"                       [--json] [--map WINPREFIX=LOCALDIR]... [--shard K/N]\n"
"                       [--jobs N] [--progress WHEN] [filters, as export takes them]\n"
"\n"
"Check an export in DIR against the store in SOURCE, mailbox by mailbox,\n"
"through DIR/DOMAIN/MAILBOX.manifest.jsonl: every source message is listed\n"
"once with its right size and SHA-256, and its output is the message after\n"
"exactly the changes its format documents (EML: the same bytes; Maildir:\n"
"CRLF to LF, flags in the name; mbox: From_ and Status lines, mboxrd; PST:\n"
"subject, dates, flags, bodies and every attachment, read back by libpff).\n"
"Reports per mailbox and folder: verified, altered, missing, extra, naming\n"
"each message that differs.  SOURCE is only read.  It checks the mailboxes\n"
"DIR holds exports of (those of SOURCE with none are counted in one line),\n"
"and names every file in DIR that no manifest describes.\n"
"\n"
"      --all                 every mailbox of SOURCE must be in DIR (one that\n"
"                            is not is missing)\n"
"  -u, --user MAILBOX@DOMAIN only this mailbox (repeatable; it must be in DIR)\n"
"  -d, --domain DOMAIN       only this domain's mailboxes (repeatable)\n"
"      --json                one JSON document on stdout, for scripts\n"
"      --map WINPREFIX=LOCALDIR\n"
"                            where a MailDir named in userlist.dat lives here\n"
"      --shard K/N           only the K-th of N shards, as export takes them\n"
"                            (manifests of other mailboxes are not strays)\n"
"  -j, --jobs N              mailboxes checked at once (default: one per\n"
"                            online CPU); the report is the same for every N\n"
"      --progress WHEN       auto, always, never or json, as export takes it\n"
"                            (on stderr; --json's document is on stdout)\n"
"      --bytes               accepted, as export takes it (verify's lines give\n"
"                            offsets and lengths in bytes already)\n"
"  -q, --quiet               accepted; verify shows no reader warnings anyway\n"
"  -h, --help                this help\n"
"\n"
"Give verify the filters (below) the export had: a message they left out is then\n"
"skipped; without them it is missing (and a message of a folder left out\n"
"has no manifest line), so the export does not verify.\n"
"\n"
"With DIR alone (no SOURCE): every file that DIR/SEAL.sha256 lists must be\n"
"there with its SHA-256, every file of DIR must be listed, every manifest\n"
"must parse with its totals right, and the output files it names must be\n"
"there.  A DIR without a seal does not verify (exit 1): its items' bytes\n"
"cannot be checked without SOURCE or a seal (see mdexport seal --help).\n"
"\n"
"Exit status: 0 everything verifies, 1 something does not (each named),\n"
"2 usage error, or SOURCE or DIR unusable.\n";

/* issue 16: `mdexport seal` */
static const char usage_seal[] =
"usage: mdexport seal DIR [--quiet]\n"
"\n"
"Seal the export in DIR: write DIR/SEAL.json (tool, version, commit, time\n"
"(UTC), host, user, DIR, files, bytes, and each manifest's mailbox, format,\n"
"start and messages) and then DIR/SEAL.sha256, one line per file of DIR\n"
"(SEAL.json and the manifests included) in GNU sha256sum's format, so that\n"
"`cd DIR && sha256sum -c --strict SEAL.sha256` checks every byte without\n"
"this tool.  Each is written whole or not at all (a temporary name, then\n"
"renamed); an earlier seal is replaced.  It prints SEAL.sha256's own\n"
"SHA-256: record it apart from DIR (in the evidence log): a seal rewritten\n"
"with DIR cannot be told from the real one by anything inside DIR.\n"
"\n"
"A symbolic link in DIR (never followed), or anything that is not a file\n"
"or folder, is named and nothing is sealed (exit 1).  A DIR holding\n"
".mdexport (an export in progress or cut short) is refused (exit 2).  An\n"
"export into a sealed DIR first renames SEAL.sha256 and SEAL.json to\n"
"NAME.replaced-TIME: the old seal stays as evidence, and DIR is unsealed\n"
"until sealed again (export --seal seals it at its end).\n"
"\n"
"  -q, --quiet     accepted (only errors and the result line are printed)\n"
"  -h, --help      this help\n"
"\n"
"Exit status: 0 sealed, 1 something in DIR cannot be sealed (each named),\n"
"2 usage error, DIR unusable or in use, or the seal cannot be written.\n";

static const char usage_report[] =
"usage: mdexport report REPORT... [--json] [--output FILE] [--quiet]\n"
"\n"
"Sum the reports that `export --report FILE` wrote, one per shard of one\n"
"job (--shard K/N), into one report: one row per mailbox (sorted by domain,\n"
"then mailbox), the totals, the earliest start, the latest end and the\n"
"worst exit status.  The table goes to stdout, as export prints it.\n"
"\n"
"  --json              the merged report as JSON on stdout (the table then\n"
"                      goes to stderr), in the schema of --report, plus\n"
"                      \"merged\" (each REPORT) and \"shards_missing\"\n"
"  -o, --output FILE   write that JSON document to FILE (atomically: a\n"
"                      temporary file beside it, renamed over it)\n"
"      --bytes         the size column in bytes, not KiB/MiB/GiB\n"
"  -q, --quiet         no warnings (a different SOURCE path or version)\n"
"  -h, --help          this help\n"
"\n"
"Every REPORT must be an export's report, all of one job (the same format,\n"
"--dry-run, --skip-deleted and filters) and one split (the same N, or no --shard).\n"
"A shard given twice, a mailbox in two reports, or in a report of a shard\n"
"it does not belong to, is an error: nothing is summed.\n"
"\n"
"Exit status: 0 every shard has its report and every run exited 0; else\n"
"the worst exit status of the runs (1 at least when a shard is missing);\n"
"2 for a REPORT that cannot be read, is not valid (named with its line and\n"
"column) or does not fit with the others.\n";

/* after the usage of list, export and verify */
static const char usage_filters[] =
"\n"
"Filters (export, verify, list; a message must pass all of them):\n"
"      --since DATE          only messages received at or after DATE (their\n"
"                            internal date); DATE is YYYY-MM-DD (from 00:00:00)\n"
"                            or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM] (UTC when no zone)\n"
"      --until DATE          only those received at or before DATE; a bare\n"
"                            date includes that whole day (up to 23:59:59 UTC)\n"
"      --folder GLOB         only folders whose path (as in the manifest,\n"
"                            'INBOX/Projects') matches GLOB, case-insensitive;\n"
"                            '*' does not cross '/': 'INBOX' is that folder,\n"
"                            'INBOX/*' its subfolders (repeatable: any of them)\n"
"      --exclude-folder GLOB leave out folders matching GLOB (repeatable;\n"
"                            wins over --folder)\n"
"      --min-size SIZE       only messages of at least SIZE bytes; SIZE may\n"
"      --max-size SIZE       end in K, M, G or T (powers of 1024), e.g. 10M\n";

/* issue 14: after the usage of list, export and verify (and their filters) */
static const char usage_public[] =
"\n"
"Public folders (an MDaemon root's \"Public Folders\"): one more mailbox,\n"
"'Public Folders@public' (DIR/public/Public Folders[.pst]), taken unless\n"
"--user or --domain leave it out:\n"
"      --no-public-folders   leave the public folders out\n";

/* issue 14: `mdexport accounts` */
static const char usage_accounts[] =
"usage: mdexport accounts SOURCE [--csv | --json] [--user MAILBOX@DOMAIN]...\n"
"                         [--domain DOMAIN]... [--map WINPREFIX=LOCALDIR]...\n"
"\n"
"One row per account of the store's account list (MDaemon: App/userlist.dat,\n"
"and mailboxes found under Users/ that it lacks), for creating the accounts\n"
"elsewhere (Active Directory, Microsoft 365) before importing their mail:\n"
"domain, mailbox, e-mail address, full name, mail folder found or not and\n"
"its path, access type, disabled, quotas as the list holds them, mail\n"
"messages and bytes found (from the folder listings and indexes; no message\n"
"is read), and where the account was found.  Passwords are never read.\n"
"Public folders are no account and are not listed.  Nothing is written.\n"
"\n"
"  (default)                 an aligned table; a count and totals on stderr\n"
"      --csv                 CSV (RFC 4180: a header row, CRLF, UTF-8)\n"
"      --json                one JSON array of objects (fields: see mdexport(1))\n"
"  -u, --user MAILBOX@DOMAIN only this account (repeatable)\n"
"  -d, --domain DOMAIN       only the accounts of this domain (repeatable)\n"
"      --map WINPREFIX=LOCALDIR  where a MailDir named in userlist.dat lives\n"
"      --bytes               the size column and totals in bytes, not KiB/MiB\n"
"  -q, --quiet               no warnings (errors are still shown)\n"
"  -h, --help                this help\n"
"\n"
"Exit status: 0, 1 when an account's mail folder could not be found or read\n"
"(it is still listed), 2 usage error, unusable SOURCE, or a SOURCE whose\n"
"format has no account list.\n";

/* issue 16: after export's usage */
static const char usage_rerun[] =
"      --bytes               sizes as byte counts, not KiB/MiB/GiB\n"
"\n"
"Re-runs (an export is evidence: a re-run never destroys one unasked):\n"
"      --log-file FILE       append every line of the run to FILE, each after\n"
"                            the UTC time, with -q's warnings and summaries\n"
"      --seal                seal DIR when the export ends with exit status 0\n"
"                            or 1, as `mdexport seal DIR` does (an export into\n"
"                            a sealed DIR renames its seal NAME.replaced-TIME\n"
"                            before it writes there, with or without --seal)\n"
"      --force               replace an earlier export in DIR made in another\n"
"                            format or with options that change the bytes\n"
"                            (without it such a mailbox is refused, exit 2;\n"
"                            --dry-run says what would be created or replaced)\n"
"\n"
"DIR may also follow SOURCE, as for verify: mdexport export SOURCE DIR -f pst\n";

/* after export's usage and its filters */
static const char usage_rounds[] =
"\n"
"A message a filter (above) leaves out is not exported: it is counted as filtered\n"
"and has a manifest line \"skipped\", reason \"filtered\".  A folder left out\n"
"by --folder/--exclude-folder is not written at all, and its messages get\n"
"no manifest line.\n"
"\n"
"A live store (MDaemon or a Maildir still receiving mail): a folder whose\n"
"listing or IMAP.MRK header changed while it was read makes the mailbox be\n"
"read again, up to 3 tries; one that never settles is exported as the last\n"
"try read it and reported as changing (exit status 1).  A message that\n"
"changed while it was read is read again once and counted (\"read again\").\n"
"\n"
"Rounds (migrations: a full pass, then what arrived since):\n"
"      --incremental         export again into a DIR holding an earlier export:\n"
"                            only what is new since (by folder, UIDVALIDITY\n"
"                            and UID, or SHA-256 without an index), each once;\n"
"                            mbox appends, Maildir and EML add files, PST\n"
"                            writes a part MAILBOX.round-NNN.pst; flags\n"
"                            changed, messages removed, folders renamed or\n"
"                            with a new UIDVALIDITY are reported; the\n"
"                            manifest covers every round, each round also\n"
"                            has MAILBOX.round-NNN.jsonl; with --dry-run:\n"
"                            what the round would add\n"
"      --prune               with --incremental: remove the output of\n"
"                            messages gone from the source (Maildir, EML)\n"
"\n"
"Maildir:\n"
"      --maildir-flag-separator C\n"
"                            maildir: the character before \"2,<flags>\" in\n"
"                            message file names: ':' (default), ';' or '!'\n"
"                            for NTFS, SMB and OneDrive, which refuse ':'\n"
"                            (README \"Maildir names for Windows shares\")\n"
"\n"
"PST:\n"
"      --split-size SIZE     pst: start a new part (MAILBOX-002.pst, ...)\n"
"                            before a part would pass SIZE (K, M, G, T:\n"
"                            1024-based; default 20G, Microsoft 365's\n"
"                            import limit; 0: never split)\n";

enum command { CMD_LIST, CMD_EXPORT, CMD_VERIFY, CMD_REPORT, CMD_ACCOUNTS /* issue 14 */,
	       CMD_SEAL /* issue 16 */ };

enum { OPT_SKIP_DELETED = 256, OPT_MAP, OPT_JSON, OPT_REPORT, OPT_SHARD, OPT_PROGRESS,
       OPT_SINCE, OPT_UNTIL, OPT_FOLDER, OPT_EXCLUDE_FOLDER, OPT_MIN_SIZE, OPT_MAX_SIZE,
       OPT_INCREMENTAL, OPT_PRUNE, OPT_SPLIT_SIZE };
/* issue 13: the import files (importmap.h) */
enum { OPT_M365_MAPPING = 512, OPT_EXCHANGE_SCRIPT, OPT_UNC, OPT_ADDRESS_MAP, OPT_TARGET_ROOT };
/* issue 14: groupware */
enum { OPT_TIMEZONE = 768, OPT_VCARD };
/* issue 14 (i14-accounts) */
enum { OPT_NO_PUBLIC_FOLDERS = 800, OPT_CSV };
/* issue 16 */
enum { OPT_FORCE = 900, OPT_ALL, OPT_LOG_FILE, OPT_SEAL };
/* issue 15: header text */
enum { OPT_FALLBACK_CHARSET = 832 };
/* issue 16 (i16-maildir) */
enum { OPT_MAILDIR_FLAG_SEP = 840 };
enum { OPT_BYTES = 1000, OPT_FOLDERS };	/* issue 16 (i16-list) */
#define JOBS_MAX 1024

static void push(const char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

/* fputs_usage: a command's usage; list's, export's and verify's with the filters' */
static void fputs_usage(const char *usage, FILE *f)
{
	fputs(usage, f);
	if (usage == usage_list || usage == usage_export || usage == usage_verify)
		fputs(usage_filters, f);
	if (usage == usage_list || usage == usage_export || usage == usage_verify) {
		fputs(usage_groupware, f);	/* issue 14 */
		fputs(usage_public, f);
		fputs(usage_charsets, f);	/* issue 15 */
	}
	if (usage == usage_export)
		fputs(usage_rerun, f);	/* issue 16 */
	if (usage == usage_export)
		fputs(usage_rounds, f);
	if (usage == usage_export)
		fputs(usage_export_import, f);
}

static const char *const usages[] = { usage_list, usage_export, usage_verify, usage_report,
				      usage_accounts, usage_seal };
/* the command words, in the order of enum command and usages[] */
static const char *const command_words[] = { "list", "export", "verify", "report", "accounts",
					     "seal" };
#define NCOMMANDS (sizeof(command_words) / sizeof(command_words[0]))

/* try_help: after a usage error's line, where the whole usage is */
static void try_help(const char *usage)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (usages[i] == usage) {
			fprintf(stderr, "Try 'mdexport %s --help'.\n", command_words[i]);
			return;
		}
	}
	fputs("Try 'mdexport --help'.\n", stderr);
}

/*
 * usage_error_hint: "mdexport: <what> '<arg>'; did you mean '<hint>'?" and
 * where help is: two lines, so that the one that matters is not scrolled
 * away by the whole usage (--help prints that)
 */
static int usage_error_hint(const char *usage, const char *what, const char *arg,
			    const char *hint)
{
	fprintf(stderr, "mdexport: %s", what);
	if (arg)
		fprintf(stderr, " '%s'", arg);
	if (hint)
		fprintf(stderr, "; did you mean '%s'?", hint);
	fputc('\n', stderr);
	try_help(usage);
	return EXIT_FATAL;
}

/* usage_error: "mdexport: <what> '<arg>'" and where help is */
static int usage_error(const char *usage, const char *what, const char *arg)
{
	return usage_error_hint(usage, what, arg, NULL);
}

/*
 * option_word: the option as the user typed it, for messages: "--name" when
 * getopt matched a long option, "-c" for a short one, else the argument
 * getopt stopped at (argv is permuted, so optind alone cannot say).
 */
static void option_word(char *buf, size_t n, const struct option *longopts,
			int longidx, int c, const char *last)
{
	if (longidx >= 0)
		snprintf(buf, n, "--%s", longopts[longidx].name);
	else if (c > 0 && c < 256 && c != '?' && c != ':')
		snprintf(buf, n, "-%c", c);
	else
		snprintf(buf, n, "%s", last);
}

/* parse_timezone: --timezone ZONE, an IANA zone the system knows (issue 14) */
static int parse_timezone(const char *usage, const char *name, struct options *o)
{
	struct sbuf err = SBUF_INIT;
	tzone_free(o->zone);
	o->zone = tzone_new_iana(name, &err);
	if (!o->zone)
		usage_error(usage, err.buf, NULL);
	sbuf_release(&err);
	return o->zone ? 0 : -1;
}

/* allowed: whether option c is one of cmd's */
static bool allowed(enum command cmd, int c)
{
	if (c == OPT_BYTES)	/* issue 16: every command that prints sizes */
		return true;
	if (c == OPT_FOLDERS)
		return cmd == CMD_LIST;
	if (cmd == CMD_REPORT)
		return c == 'h' || c == 'o' || c == 'q' || c == OPT_JSON || c == ':' || c == '?';
	if (cmd == CMD_SEAL)	/* issue 16 */
		return c == 'h' || c == 'q' || c == ':' || c == '?';
	if (cmd == CMD_ACCOUNTS)	/* issue 14 */
		return c == 'h' || c == 'q' || c == 'u' || c == 'd' || c == OPT_MAP ||
		       c == OPT_JSON || c == OPT_CSV || c == ':' || c == '?';
	if (c == OPT_CSV)
		return cmd == CMD_LIST;	/* issue 16 */
	if (c == OPT_FALLBACK_CHARSET)	/* issue 15 */
		return cmd == CMD_LIST || cmd == CMD_EXPORT || cmd == CMD_VERIFY;
	if (c == OPT_NO_PUBLIC_FOLDERS)
		return cmd == CMD_LIST || cmd == CMD_EXPORT || cmd == CMD_VERIFY;
	switch (c) {
	case 'o':
		return cmd == CMD_EXPORT || cmd == CMD_REPORT;
	case 'f': case 'n': case OPT_SKIP_DELETED: case OPT_REPORT:
	case OPT_INCREMENTAL: case OPT_PRUNE:
	case OPT_SPLIT_SIZE:
	case OPT_M365_MAPPING: case OPT_EXCHANGE_SCRIPT: case OPT_UNC: case OPT_ADDRESS_MAP:
	case OPT_TARGET_ROOT:	/* issue 13 */
	case OPT_VCARD:		/* issue 14 */
	case OPT_FORCE:		/* issue 16 */
	case OPT_LOG_FILE:
	case OPT_MAILDIR_FLAG_SEP:	/* issue 16 */
	case OPT_SEAL:
		return cmd == CMD_EXPORT;
	case OPT_ALL:
		return cmd == CMD_VERIFY;
	case 'u': case 'd':
		return cmd == CMD_EXPORT || cmd == CMD_VERIFY;
	case OPT_JSON:
		return cmd != CMD_EXPORT;
	case 'j':
	case OPT_PROGRESS:
		return cmd != CMD_LIST;
	default:
		return true;
	}
}

static const char *const not_valid[] = { "this option is not valid with list:",
					 "this option is not valid with export:",
					 "this option is not valid with verify:",
					 "this option is not valid with report:",
					 "this option is not valid with accounts:",
					 "this option is not valid with seal:" };

/* unknown_format: --format names no format that can be written */
static int unknown_format(const char *usage, const char *name)
{
	struct sbuf what = SBUF_INIT;
	sbuf_adds(&what, "unknown format (use ");
	formats_list(FORMATS_WRITE, &what);
	sbuf_adds(&what, "):");
	int ret = usage_error(usage, what.buf, name);
	sbuf_release(&what);
	return ret;
}

/* issue 16: positional_dir: seal's DIR, its one argument */
static int positional_dir(int argc, char **argv, const char *usage, struct options *o)
{
	if (optind >= argc)
		return usage_error(usage, "DIR is missing", NULL);
	if (optind + 1 < argc)
		return usage_error(usage, "unexpected argument", argv[optind + 1]);
	o->output = argv[optind];
	return 0;
}

/*
 * issue 16: verify_dir_alone: `verify DIR`, no SOURCE (seal.h); the options
 * that choose mailboxes or messages of SOURCE mean nothing without it
 */
static int verify_dir_alone(char **argv, const char *usage, struct options *o)
{
	if (o->nusers || o->ndomains || o->all || o->shard_n || o->nmaps || o->zone ||
	    o->no_public_folders || filter_any(&o->filter))
		return usage_error(usage, "verify DIR (without SOURCE) checks all of DIR; --user, "
				   "--domain, --all, --shard, --map, --timezone and the filters "
				   "need SOURCE", NULL);
	o->output = argv[optind];
	o->verify_dir_alone = true;
	return 0;
}

/* positional: SOURCE (and DIR for verify) */
static int positional(int argc, char **argv, enum command cmd, struct options *o)
{
	const char *usage = usages[cmd];
	int want = cmd == CMD_VERIFY ? 2 : 1;
	if (cmd == CMD_REPORT) {
		if (optind >= argc)
			return usage_error(usage, "a REPORT is required", NULL);
		o->reports = argv + optind;
		o->nreports = (size_t)(argc - optind);
		return 0;
	}
	if (cmd == CMD_SEAL)	/* issue 16 */
		return positional_dir(argc, argv, usage, o);
	if (optind >= argc)
		return usage_error(usage, "SOURCE is missing", NULL);
	if (optind + 1 >= argc && want == 2)	/* issue 16: verify DIR, without SOURCE */
		return verify_dir_alone(argv, usage, o);
	/* issue 16: export SOURCE DIR, as verify SOURCE DIR (DIR or --output, not two) */
	if (cmd == CMD_EXPORT && optind + 1 < argc) {
		if (o->output && strcmp(o->output, argv[optind + 1]))
			return usage_error(usage, "DIR given twice (as an argument and as --output)",
					   argv[optind + 1]);
		o->output = argv[optind + 1];
		want = 2;
	}
	if (optind + want < argc)
		return usage_error(usage, "unexpected argument", argv[optind + want]);
	o->reader = formats_source_reader(argv[optind], &o->source);
	if (cmd == CMD_VERIFY)
		o->output = argv[optind + 1];
	if (cmd == CMD_EXPORT && !o->format)
		return usage_error(usage, "--format is required", NULL);
	if (cmd == CMD_EXPORT && !o->output && (!o->dry_run || o->incremental))
		return usage_error(usage, o->dry_run ? "--output is required with --incremental "
				   "(the earlier rounds are read there)" : "--output is required", NULL);
	if (cmd == CMD_EXPORT && o->prune && !o->incremental)
		return usage_error(usage, "--prune goes with --incremental", NULL);
	return 0;
}

static int parse_jobs(const char *arg, unsigned *jobs)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || n < 1 || n > JOBS_MAX)
		return -1;
	*jobs = (unsigned)n;
	return 0;
}

/* forget: drop the word w (by identity) from the recorded command line */
static void forget(struct options *o, const char *w)
{
	char **v = (char **)o->record_argv;
	for (int i = 0; i < o->record_argc; i++) {
		if (v[i] == w) {
			memmove(v + i, v + i + 1, (size_t)(o->record_argc - i) * sizeof(*v));
			o->record_argc--;
			return;
		}
	}
}

/*
 * unrecord: the option just parsed (-j or --progress: they change nothing
 * in what is written), left out of the recorded command line: "-j N",
 * "--jobs N", "-jN", "--jobs=N", "--progress json" (long: its first three
 * characters, `lead`; a -j inside a group of short options, "-qj4", stays:
 * the group says more than -j)
 */
static void unrecord(char **argv, struct options *o, const char *lead)
{
	const char *last = argv[optind - 1];
	bool dash_j = lead[2] == 'j';
	if (optarg == last && optind >= 2 &&
	    ((dash_j && !strcmp(argv[optind - 2], "-j")) || !strncmp(argv[optind - 2], lead, 3))) {
		forget(o, argv[optind - 2]);
		forget(o, last);
	} else if (optarg != last && ((dash_j && !strncmp(last, "-j", 2)) ||
				      !strncmp(last, lead, 3))) {
		forget(o, last);
	}
}

/* online_cpus: the default for -j */
static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > JOBS_MAX ? JOBS_MAX : (unsigned)n;
}

/*
 * parse_filter: --since, --until, --folder, --exclude-folder, --min-size,
 * --max-size into o->filter; 0 (also for an option that is no filter), or -1
 * for a bad value (filter_error says what is wanted)
 */
static int parse_filter(int c, struct options *o)
{
	struct filter *f = &o->filter;
	switch (c) {
	case OPT_SINCE:
		f->has_since = true;
		f->since_text = optarg;
		return filter_parse_date(optarg, false, &f->since);
	case OPT_UNTIL:
		f->has_until = true;
		f->until_text = optarg;
		return filter_parse_date(optarg, true, &f->until);
	case OPT_FOLDER:
		filter_add_folder(f, optarg);
		return 0;
	case OPT_EXCLUDE_FOLDER:
		filter_add_exclude(f, optarg);
		return 0;
	case OPT_MIN_SIZE:
		f->has_min = true;
		return parse_size(optarg, &f->min_size);
	case OPT_MAX_SIZE:
		f->has_max = true;
		return parse_size(optarg, &f->max_size);
	default:
		return 0;
	}
}

static const char *filter_error(int c)
{
	switch (c) {
	case OPT_SINCE: return "--since wants a date YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM], not";
	case OPT_UNTIL: return "--until wants a date YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM], not";
	case OPT_MIN_SIZE: return "--min-size wants a size in bytes, or with K, M, G or T, not";
	default: return "--max-size wants a size in bytes, or with K, M, G or T, not";
	}
}

/* import_writers: the formats whose files an import takes ("pst"), from the registry */
static void import_writers(struct sbuf *out)
{
	const struct mail_driver *d;
	bool first = true;
	for (size_t i = 0; (d = formats_driver_at(i)); i++) {
		if (d->writer && d->writer->import_stores) {
			sbuf_addf(out, "%s%s", first ? "" : ", ", d->name);
			first = false;
		}
	}
}

/* import_misuse: what is wrong with issue 13's options together, or NULL; *arg what it names */
static const char *import_misuse(const struct options *o, const char **arg)
{
	bool asked = o->m365_mapping || o->exchange_script;
	*arg = o->address_map ? "--address-map" : o->target_root ? "--target-root-folder" : NULL;
	if (!asked && *arg)
		return "this option is only for --m365-mapping or --exchange-script:";
	*arg = o->unc;
	if (o->unc && !o->exchange_script)
		return "--unc is only for --exchange-script:";
	if (o->exchange_script && !o->unc)
		return "--exchange-script needs --unc PREFIX, the share DIR is copied to "
		       "(e.g. '\\\\server\\share\\pst')";
	if (o->unc && (strncmp(o->unc, "\\\\", 2) || strlen(o->unc) < 3))
		return "--unc wants a UNC path, \\\\server\\share[\\folder], not";
	*arg = o->target_root;
	if (o->target_root && !*o->target_root)
		return "--target-root-folder wants a folder path, not";
	return NULL;
}

/*
 * import_options: issue 13's --m365-mapping, --exchange-script and the
 * options only they take, checked together; -1 after a usage error
 */
static int import_options(const char *usage, const struct options *o)
{
	const char *arg;
	const char *bad = import_misuse(o, &arg);
	if (bad) {
		usage_error(usage, bad, arg);
		return -1;
	}
	if ((o->m365_mapping || o->exchange_script) && o->format && !o->format->import_stores) {
		struct sbuf what = SBUF_INIT;
		sbuf_addf(&what, "%s is only for a format whose files are imported (",
			  o->m365_mapping ? "--m365-mapping" : "--exchange-script");
		import_writers(&what);
		sbuf_adds(&what, "), not --format");
		usage_error(usage, what.buf, o->format->name);
		sbuf_release(&what);
		return -1;
	}
	return 0;
}

/* parse: fill o from argv (after the command word); -1 when help was shown */
/*
 * unknown_option: not an option of cmd; the nearest long option cmd takes
 * is suggested ("--fromat": "--format")
 */
static int unknown_option(const char *usage, enum command cmd, const struct option *longopts,
			  const char *word)
{
	if (strncmp(word, "--", 2))
		return usage_error(usage, "unknown option", word);
	char typed[64];
	snprintf(typed, sizeof(typed), "%s", word + 2);
	typed[strcspn(typed, "=")] = '\0';	/* --fromat=pst */
	size_t n = 0;
	while (longopts[n].name)
		n++;
	const char **names = xreallocarray(NULL, n, sizeof(*names));
	for (size_t i = 0; i < n; i++)
		names[i] = allowed(cmd, longopts[i].val) ? longopts[i].name : NULL;
	const char *near = suggest_nearest(typed, names, n);
	char hint[64];
	if (near)
		snprintf(hint, sizeof(hint), "--%s", near);
	free(names);
	return usage_error_hint(usage, "unknown option", word, near ? hint : NULL);
}

/* format_named: the writer of --format NAME, in any case ("PST", "Mbox") */
static const struct mail_writer_ops *format_named(const char *name)
{
	char lower[32];
	size_t n = strlen(name);
	if (n >= sizeof(lower))
		return NULL;
	for (size_t i = 0; i <= n; i++)
		lower[i] = (char)g_ascii_tolower(name[i]);
	return formats_writer(lower);
}

static int parse(int argc, char **argv, enum command cmd, struct options *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "user", required_argument, NULL, 'u' },
		{ "domain", required_argument, NULL, 'd' },
		{ "skip-deleted", no_argument, NULL, OPT_SKIP_DELETED },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "map", required_argument, NULL, OPT_MAP },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "progress", required_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "folder", required_argument, NULL, OPT_FOLDER },
		{ "exclude-folder", required_argument, NULL, OPT_EXCLUDE_FOLDER },
		{ "min-size", required_argument, NULL, OPT_MIN_SIZE },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "incremental", no_argument, NULL, OPT_INCREMENTAL },
		{ "prune", no_argument, NULL, OPT_PRUNE },
		{ "split-size", required_argument, NULL, OPT_SPLIT_SIZE },
		{ "m365-mapping", required_argument, NULL, OPT_M365_MAPPING },
		{ "exchange-script", required_argument, NULL, OPT_EXCHANGE_SCRIPT },
		{ "unc", required_argument, NULL, OPT_UNC },
		{ "address-map", required_argument, NULL, OPT_ADDRESS_MAP },
		{ "target-root-folder", required_argument, NULL, OPT_TARGET_ROOT },
		{ "timezone", required_argument, NULL, OPT_TIMEZONE },
		{ "vcard", required_argument, NULL, OPT_VCARD },
		{ "maildir-flag-separator", required_argument, NULL, OPT_MAILDIR_FLAG_SEP },
		{ "no-public-folders", no_argument, NULL, OPT_NO_PUBLIC_FOLDERS },	/* issue 14 */
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "force", no_argument, NULL, OPT_FORCE },	/* issue 16 */
		{ "all", no_argument, NULL, OPT_ALL },
		{ "log-file", required_argument, NULL, OPT_LOG_FILE },
		{ "fallback-charset", required_argument, NULL, OPT_FALLBACK_CHARSET },	/* issue 15 */
		{ "seal", no_argument, NULL, OPT_SEAL },
		{ "bytes", no_argument, NULL, OPT_BYTES },	/* issue 16 */
		{ "folders", no_argument, NULL, OPT_FOLDERS },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = usages[cmd];
	int c, longidx = -1;
	char word[64];
	optind = 1;
	opterr = 0;
	/* the leading ':' makes a missing value ':' instead of '?' */
	while ((c = getopt_long(argc, argv, ":hf:o:u:d:nqj:", longopts, &longidx)) != -1) {
		if (c == ':')	/* a missing value: the option is the last word read */
			snprintf(word, sizeof(word), "%s", argv[optind - 1]);
		else
			option_word(word, sizeof(word), longopts, longidx,
				    c == '?' ? optopt : c, argv[optind - 1]);
		longidx = -1;
		if (!allowed(cmd, c))
			return usage_error(usage, not_valid[cmd], word);
		switch (c) {
		case 'h': fputs_usage(usage, stdout); return -1;
		case OPT_JSON: o->json = true; break;
		case 'f':
			o->format = format_named(optarg);
			if (!o->format)
				return unknown_format(usage, optarg);
			break;
		case 'o': o->output = optarg; break;
		case 'u':
			if (!strchr(optarg, '@'))
				return usage_error(usage, "--user wants MAILBOX@DOMAIN, not", optarg);
			push(&o->users, &o->nusers, optarg);
			break;
		case 'd': push(&o->domains, &o->ndomains, optarg); break;
		case OPT_SKIP_DELETED: o->skip_deleted = true; break;
		case OPT_INCREMENTAL: o->incremental = true; break;
		case OPT_PRUNE: o->prune = true; break;
		case 'n': o->dry_run = true; break;
		case OPT_MAP:
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return usage_error(usage, "--map wants WINPREFIX=LOCALDIR, not", optarg);
			push(&o->maps, &o->nmaps, optarg);
			break;
		case OPT_REPORT: o->report = optarg; break;
		case OPT_SHARD:
			if (select_parse_shard(optarg, &o->shard_k, &o->shard_n) < 0)
				return usage_error(usage, "--shard wants K/N, whole numbers with "
						   "1 <= K <= N <= 100000, not", optarg);
			break;
		case OPT_PROGRESS:
			if (progress_mode_parse(optarg, &o->progress) < 0)
				return usage_error(usage, "--progress wants auto, always, never "
						   "or json, not", optarg);
			unrecord(argv, o, "--p");
			break;
		case 'q': o->quiet = true; break;
		case 'j':
			if (parse_jobs(optarg, &o->jobs) < 0)
				return usage_error(usage, "--jobs wants a whole number from 1 to "
						   "1024, not", optarg);
			unrecord(argv, o, "--j");
			break;
		case OPT_SPLIT_SIZE:
			if (parse_size(optarg, &o->split_size) < 0)
				return usage_error(usage, "--split-size wants a size (a number, "
						   "optionally K, M, G or T, 1024-based; 0: never "
						   "split), not", optarg);
			o->split_size_given = true;
			break;
		case OPT_M365_MAPPING: o->m365_mapping = optarg; break;
		case OPT_EXCHANGE_SCRIPT: o->exchange_script = optarg; break;
		case OPT_UNC: o->unc = optarg; break;
		case OPT_ADDRESS_MAP: o->address_map = optarg; break;
		case OPT_TARGET_ROOT: o->target_root = optarg; break;
		case OPT_TIMEZONE:	/* issue 14 */
			if (parse_timezone(usage, optarg, o) < 0)
				return EXIT_FATAL;
			break;
		case OPT_VCARD:
			if (strcmp(optarg, "3.0") && strcmp(optarg, "4.0") &&
			    strcmp(optarg, "3") && strcmp(optarg, "4"))
				return usage_error(usage, "--vcard wants 4.0 (the default) or 3.0, not",
						   optarg);
			o->vcard_version = optarg[0] == '3' ? 3 : 4;
			break;
		case OPT_MAILDIR_FLAG_SEP:	/* issue 16 */
			if (strlen(optarg) != 1 || !strchr(":;!", optarg[0]))
				return usage_error(usage, "--maildir-flag-separator wants ':' (the "
						   "default), ';' or '!', not", optarg);
			o->maildir_flag_sep = optarg[0];
			break;
		case OPT_NO_PUBLIC_FOLDERS: o->no_public_folders = true; break;	/* issue 14 */
		case OPT_CSV: o->csv = true; break;
		case OPT_FORCE: o->force = true; break;	/* issue 16 */
		case OPT_ALL: o->all = true; break;
		case OPT_LOG_FILE: o->log_file = optarg; break;
		case OPT_FALLBACK_CHARSET:	/* issue 15 */
			if (!hdr_charset_known(optarg))
				return usage_error(usage, "--fallback-charset: no such charset", optarg);
			push(&o->fallback, &o->nfallback, optarg);
			break;
		case OPT_SEAL: o->seal = true; break;
		case OPT_BYTES: o->bytes = true; break;	/* issue 16 */
		case OPT_FOLDERS: o->folders = true; break;
		case ':':
			return usage_error(usage, "this option needs a value:", word);
		case OPT_SINCE: case OPT_UNTIL: case OPT_FOLDER: case OPT_EXCLUDE_FOLDER:
		case OPT_MIN_SIZE: case OPT_MAX_SIZE:	/* filters (filter.h) */
			if (parse_filter(c, o) < 0)
				return usage_error(usage, filter_error(c), optarg);
			break;
		default:
			return unknown_option(usage, cmd, longopts, word);
		}
	}
	if (o->nfallback) {	/* issue 15: NULL-terminated, as the formats take it */
		push(&o->fallback, &o->nfallback, NULL);
		o->nfallback--;
	}
	const struct filter *flt = &o->filter;
	if (flt->has_since && flt->has_until && flt->since > flt->until) {
		fprintf(stderr, "mdexport: --since '%s' is after --until '%s'\n",
			flt->since_text, flt->until_text);
		try_help(usage);
		return EXIT_FATAL;
	}
	/*
	 * not an option: a knob for tests and benchmarks, which force the
	 * readers' indexes to spill to disk with a tiny budget
	 */
	const char *mem = getenv("MDEXPORT_INDEX_MEM");
	if (mem && *mem)
		o->index_mem = (size_t)strtoull(mem, NULL, 10);
	/* not an option either: the tests split a mapping without writing 501 PSTs */
	const char *rows = getenv("MDEXPORT_IMPORT_ROWS");
	if (rows && *rows)
		o->import_rows = (size_t)strtoull(rows, NULL, 10);
	if (import_options(usage, o) < 0)
		return EXIT_FATAL;
	if (o->seal && o->dry_run)	/* issue 16 */
		return usage_error(usage, "--seal writes DIR's seal; --dry-run writes nothing", NULL);
	if (o->csv && o->json)	/* issue 14: accounts */
	if (o->csv && o->json)	/* issue 14: accounts; issue 16: list */
		return usage_error(usage, "--csv and --json: choose one", NULL);
	int ret = positional(argc, argv, cmd, o);
	/* --split-size is for a format whose files an import takes (PST), 20 GB by default */
	if (ret == 0 && o->split_size_given && !o->format->import_stores)
		return usage_error(usage, "--split-size is for --format pst only", NULL);
	if (ret == 0 && !o->split_size_given)
		o->split_size = SPLIT_SIZE_DEFAULT;
	return ret;
}

/* command_of: the command word, or -1 */
static int command_of(const char *word)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(word, command_words[i]))
			return (int)i;
	return -1;
}

/* unknown_command: not a command; the nearest one ("Export", "exprot") is suggested */
static int unknown_command(const char *word)
{
	const char *near = suggest_nearest(word, command_words, NCOMMANDS);
	return usage_error_hint(usage_main, "unknown command", word, near);
}

int main(int argc, char **argv)
{
	setlocale(LC_CTYPE, "");
	if (argc < 2)
		return usage_error(usage_main, "a COMMAND is required", NULL);
	const char *cmd = argv[1];
	if (!strcmp(cmd, "help") && argc > 2) {	/* mdexport help COMMAND */
		int which = command_of(argv[2]);
		if (which < 0)
			return unknown_command(argv[2]);
		fputs_usage(usages[which], stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage_main, stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		/* issue 16: the commit and the libraries' versions (converter/version.c) */
		return print_version(stdout) ? EXIT_FATAL : EXIT_OK;
	}
	int command = command_of(cmd);
	if (command < 0)
		return unknown_command(cmd);
	/* getopt permutes argv: the manifest and the report want it as typed */
	char **given = xreallocarray(NULL, (size_t)argc + 1, sizeof(*given));
	memcpy(given, argv, ((size_t)argc + 1) * sizeof(*given));
	char **recorded = xreallocarray(NULL, (size_t)argc + 1, sizeof(*recorded));
	memcpy(recorded, argv, ((size_t)argc + 1) * sizeof(*recorded));
	struct options o = { .argc = argc, .argv = given, .record_argc = argc,
			     .record_argv = recorded, .jobs = online_cpus() };
	int ret = parse(argc - 1, argv + 1, (enum command)command, &o);
	if (ret == 0) {
		/*
		 * The converters the writers open and close for every message, one
		 * of each kept open for the run: glibc then keeps their modules
		 * loaded, instead of loading and unloading them (dlopen, under a
		 * process-wide lock the -j threads queue for) at every open.
		 */
		iconv_t kept[] = { iconv_open("UTF-8", "WINDOWS-1252"),
				   iconv_open("UTF-8", "ISO-8859-1"),
				   iconv_open("UTF-8", "ISO-8859-15"),
				   iconv_open("UTF-16LE", "UTF-8") };
		g_mime_init();
		ret = command == CMD_EXPORT ? cmd_export(&o) :
		      command == CMD_VERIFY && o.verify_dir_alone ? cmd_verify_sealed(&o) :
		      command == CMD_SEAL ? cmd_seal(&o) :	/* issue 16 */
		      command == CMD_VERIFY ? cmd_verify(&o) :
		      command == CMD_REPORT ? cmd_report(&o) :
		      command == CMD_ACCOUNTS ? cmd_accounts(&o) : cmd_list(&o);
		g_mime_shutdown();
		for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
			if (kept[i] != (iconv_t)-1)
				iconv_close(kept[i]);
	} else if (ret < 0) {
		ret = EXIT_OK;
	}
	free(o.users);
	free(o.domains);
	free(o.maps);
	free(o.fallback);	/* issue 15 */
	filter_release(&o.filter);
	tzone_free(o.zone);
	free(given);
	free(recorded);
	return ret;
}
