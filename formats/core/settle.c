#include "core/settle.h"

/* FNV-1a, then a finalizer, so that the sum of many names stays spread */
static uint64_t name_hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3u;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	return h;
}

void name_digest_add(struct name_digest *d, const char *name)
{
	d->count++;
	d->sum += name_hash(name);
}

bool name_digest_changed(const struct name_digest *then, const struct name_digest *now,
			 const char *what, struct sbuf *why)
{
	if (then->count == now->count && then->sum == now->sum)
		return false;
	if (why->len)
		sbuf_adds(why, "; ");
	if (then->count != now->count)
		sbuf_addf(why, "%llu %s, %llu when it was opened", (unsigned long long)now->count,
			  what, (unsigned long long)then->count);
	else
		sbuf_addf(why, "its %s are not those listed when it was opened", what);
	return true;
}
