#include "select.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/sbuf.h"
#include "core/xalloc.h"

void select_init(struct select *s, const struct options *o)
{
	s->o = o;
	s->user_matched = xcalloc(o->nusers + 1, sizeof(bool));
	s->domain_matched = xcalloc(o->ndomains + 1, sizeof(bool));
}

void select_release(struct select *s)
{
	free(s->user_matched);
	free(s->domain_matched);
	s->user_matched = s->domain_matched = NULL;
}

/* filtered: --user and --domain (none given: every mailbox) */
static bool filtered(struct select *s, const struct mail_box *box)
{
	const struct options *o = s->o;
	if (!o->nusers && !o->ndomains)
		return true;
	bool hit = false;
	for (size_t i = 0; i < o->nusers; i++) {
		const char *at = strrchr(o->users[i], '@');
		size_t n = at ? (size_t)(at - o->users[i]) : strlen(o->users[i]);
		if (strlen(box->mailbox) == n && !strncasecmp(o->users[i], box->mailbox, n) &&
		    (!at || !strcasecmp(at + 1, box->domain)))
			hit = s->user_matched[i] = true;
	}
	for (size_t i = 0; i < o->ndomains; i++)
		if (!strcasecmp(o->domains[i], box->domain))
			hit = s->domain_matched[i] = true;
	return hit;
}

unsigned select_shard(const struct mail_box *box, unsigned n)
{
	struct sbuf key = SBUF_INIT;
	sbuf_addf(&key, "%s@%s", box->mailbox, box->domain);
	for (size_t i = 0; i < key.len; i++)
		key.buf[i] = (char)tolower((unsigned char)key.buf[i]);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (EVP_Digest(key.buf, key.len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 8)
		abort();	/* SHA-256 of a few bytes in memory cannot fail */
	sbuf_release(&key);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | md[i];
	return (unsigned)(v % n) + 1;
}

bool select_wanted(struct select *s, const struct mail_box *box)
{
	if (!filtered(s, box))
		return false;
	return !s->o->shard_n || select_shard(box, s->o->shard_n) == s->o->shard_k;
}

bool select_unmatched(const struct select *s)
{
	bool any = false;
	for (size_t i = 0; i < s->o->nusers; i++)
		if (!s->user_matched[i]) {
			fprintf(stderr, "mdexport: no mailbox '%s' in '%s'\n", s->o->users[i],
				s->o->source);
			any = true;
		}
	for (size_t i = 0; i < s->o->ndomains; i++)
		if (!s->domain_matched[i]) {
			fprintf(stderr, "mdexport: no domain '%s' in '%s'\n", s->o->domains[i],
				s->o->source);
			any = true;
		}
	return any;
}

/* number: a decimal number without sign or spaces, at most SELECT_SHARDS_MAX; -1 */
static long number(const char *p, const char *end)
{
	if (p == end || end - p > 6)
		return -1;
	long v = 0;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v <= (long)SELECT_SHARDS_MAX ? v : -1;
}

int select_parse_shard(const char *text, unsigned *k, unsigned *n)
{
	const char *slash = strchr(text, '/');
	if (!slash)
		return -1;
	long kk = number(text, slash), nn = number(slash + 1, slash + strlen(slash));
	if (kk < 1 || nn < 1 || kk > nn)
		return -1;
	*k = (unsigned)kk;
	*n = (unsigned)nn;
	return 0;
}
