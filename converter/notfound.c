/* issue 16: mailboxes whose mail folder is not found, said once (notfound.h) */
#include "notfound.h"

#include <stdlib.h>
#include <string.h>

#include "core/diag.h"
#include "core/xalloc.h"

/* how many accounts the line names; the rest are counted ("and 17 more") */
#define NOTFOUND_NAMED 3

bool notfound_add(struct notfound *nf, const struct mail_box *box, int status)
{
	if (status != CONV_MAILBOX_BAD || !box->not_found)
		return false;
	nf->names = xreallocarray(nf->names, nf->count + 1, sizeof(*nf->names));
	nf->paths = xreallocarray(nf->paths, nf->count + 1, sizeof(*nf->paths));
	nf->names[nf->count] = xasprintf("%s@%s", box->mailbox, box->domain);
	nf->paths[nf->count] = xstrdup(box->not_found);
	nf->count++;
	if (!nf->hint && box->map_hint)
		nf->hint = xstrdup(box->map_hint);
	return true;
}

void notfound_line(const struct notfound *nf, struct sbuf *out)
{
	if (!nf->count)
		return;
	bool one = nf->count == 1;
	sbuf_addf(out, "mdexport: %zu %s mail %s %s not found under SOURCE (", nf->count,
		  one ? "account's" : "accounts'", one ? "folder" : "folders",
		  one ? "is" : "are");
	for (size_t i = 0; i < nf->count && i < NOTFOUND_NAMED; i++)
		sbuf_addf(out, "%s%s", i ? ", " : "", nf->names[i]);
	if (nf->count > NOTFOUND_NAMED)
		sbuf_addf(out, " and %zu more", nf->count - NOTFOUND_NAMED);
	if (one)
		sbuf_addf(out, ": '%s')", nf->paths[0]);
	else
		sbuf_adds(out, ")");
	if (nf->hint) {
		const char *eq = strchr(nf->hint, '=');
		sbuf_addf(out, "; %s the Windows prefix '%.*s'; try --map '%s'",
			  one ? "its path has" : "their paths share",
			  (int)(eq ? eq - nf->hint : 0), nf->hint, nf->hint);
	} else {
		sbuf_adds(out, "; use --map 'WINPREFIX=LOCALDIR' to say where they are");
	}
	sbuf_addch(out, '\n');
}

void notfound_json(const struct notfound *nf, struct sbuf *j)
{
	sbuf_adds(j, "\"not_found\": [");
	for (size_t i = 0; i < nf->count; i++) {
		sbuf_adds(j, i ? ", {\"mailbox\": " : "{\"mailbox\": ");
		sbuf_add_json_str(j, nf->names[i]);
		sbuf_adds(j, ", \"path\": ");
		sbuf_add_json_str(j, nf->paths[i]);
		sbuf_addch(j, '}');
	}
	sbuf_adds(j, "], \"map_hint\": ");
	if (nf->hint)
		sbuf_add_json_str(j, nf->hint);
	else
		sbuf_adds(j, "null");
}

void notfound_release(struct notfound *nf)
{
	for (size_t i = 0; i < nf->count; i++) {
		free(nf->names[i]);
		free(nf->paths[i]);
	}
	free(nf->names);
	free(nf->paths);
	free(nf->hint);
	memset(nf, 0, sizeof(*nf));
}
