#include "rerun.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "verify.h"

/* the export options that change what is written; true: takes a value */
static const struct {
	const char *name;
	bool value;
} changing[] = {
	{ "--exclude-folder", true }, { "--fallback-charset", true }, { "--folder", true },
	{ "--maildir-flag-separator", true }, { "--max-size", true }, { "--min-size", true },
	{ "--since", true }, { "--skip-deleted", false }, { "--split-size", true },
	{ "--timezone", true }, { "--until", true }, { "--vcard", true },
};
#define NCHANGING (sizeof(changing) / sizeof(changing[0]))

/* changing_index: which of changing[] the word names (a unique prefix, as getopt takes it) */
static int changing_index(const char *word, size_t len)
{
	int found = -1;
	for (size_t i = 0; i < NCHANGING; i++) {
		if (strncmp(changing[i].name, word, len))
			continue;
		if (strlen(changing[i].name) == len)
			return (int)i;
		found = found == -1 ? (int)i : -2;	/* -2: ambiguous */
	}
	return found;
}

void byte_options(char *const *argv, size_t argc, struct sbuf *out)
{
	/* per option of changing[], its values in order */
	struct sbuf per[NCHANGING];
	for (size_t i = 0; i < NCHANGING; i++)
		sbuf_init(&per[i]);
	for (size_t i = 1; i < argc; i++) {
		const char *w = argv[i];
		if (!strcmp(w, "--"))
			break;
		if (strncmp(w, "--", 2))
			continue;
		const char *eq = strchr(w, '=');
		int k = changing_index(w, eq ? (size_t)(eq - w) : strlen(w));
		if (k < 0)
			continue;
		sbuf_addf(&per[k], " %s", changing[k].name);
		if (changing[k].value) {
			const char *v = eq ? eq + 1 : i + 1 < argc ? argv[++i] : "";
			sbuf_addf(&per[k], " %s", v);
		}
	}
	for (size_t i = 0; i < NCHANGING; i++) {
		if (per[i].len)
			sbuf_adds(out, out->len ? per[i].buf : per[i].buf + 1);
		sbuf_release(&per[i]);
	}
}

int earlier_export_read(int domain_fd, const char *manifest, struct earlier_export *e,
			struct sbuf *err)
{
	*e = (struct earlier_export){ 0 };
	int fd = openat(domain_fd, manifest, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		sbuf_addf(err, "cannot read '%s': %s", manifest, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct sbuf line = SBUF_INIT;
	bool nl;
	struct mf_run run;
	int ret = -1;
	if (mf_read_line(f, &line, &nl) < 0)
		sbuf_addf(err, "'%s' is empty", manifest);
	else if (mf_parse_run(line.buf, line.len, &run, err) == 0)
		ret = 1;
	fclose(f);
	sbuf_release(&line);
	if (ret < 0)
		return -1;
	char when[32];
	mf_format_time(run.started, when);
	struct sbuf opts = SBUF_INIT;
	byte_options(run.command, run.ncommand, &opts);
	e->format = xstrdup(run.format);
	e->started = xstrdup(when);
	e->output = xstrdup(run.output ? run.output : "");
	e->options = sbuf_detach(&opts);
	mf_run_release(&run);
	return 1;
}

void earlier_export_release(struct earlier_export *e)
{
	free(e->format);
	free(e->started);
	free(e->output);
	free(e->options);
	*e = (struct earlier_export){ 0 };
}
