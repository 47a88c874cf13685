#include "mdaemon/mrk.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void warn_line(struct sbuf *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warn_line(struct sbuf *w, const char *fmt, ...)
{
	va_list ap;
	if (w->len)
		sbuf_addch(w, '\n');
	va_start(ap, fmt);
	sbuf_vaddf(w, fmt, ap);
	va_end(ap);
}

/* name_ok: printable ASCII, no path separators, not empty */
static bool name_ok(const char *name)
{
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p >= 0x7f || *p == '/' || *p == '\\')
			return false;
	return true;
}

static void decode_record(const uint8_t *p, struct mrk_record *r)
{
	memcpy(r->name, p, MRK_NAME_SIZE);
	r->name[MRK_NAME_SIZE] = '\0';	/* a full 23-byte name has no NUL */
	r->flags = p[23];
	r->uid = le32(p + 24);
	r->size = le32(p + 28);
	r->date = le32(p + 32);
}

/* decode_wide_record: the 40-byte variant (64-bit date at offset 32) */
static void decode_wide_record(const uint8_t *p, struct mrk_record *r)
{
	decode_record(p, r);
	uint64_t date = (uint64_t)le32(p + 32) | (uint64_t)le32(p + 36) << 32;
	r->date = date > UINT32_MAX ? 0 : (uint32_t)date;
}

/* records read at a time from a source */
#define CHUNK_RECORDS 1024

/* a source read front to back; hi: how far it has been read */
struct cursor {
	const struct mrk_source *src;
	uint8_t *buf;		/* CHUNK_RECORDS wide records */
	uint64_t hi;
};

/* fetch: len bytes at off; 0, or MRK_READ_FAILED / MRK_SHORT */
static int fetch(struct cursor *c, uint64_t off, uint8_t *buf, size_t len)
{
	ssize_t n = c->src->read(c->src->ctx, off, buf, len);
	if (n < 0)
		return MRK_READ_FAILED;
	if (off + (uint64_t)n > c->hi)
		c->hi = off + (uint64_t)n;
	return (size_t)n < len ? MRK_SHORT : 0;
}

/* name_is_msg: a record of a message file (a usable name ending in .msg) */
static bool name_is_msg(const struct mrk_record *r)
{
	size_t len = strlen(r->name);
	return name_ok(r->name) && len >= 5 && !strcasecmp(r->name + len - 4, ".msg");
}

/*
 * records_look_valid: the first n records of the given size each name a
 * .msg file; 1 yes, 0 no, or MRK_READ_FAILED / MRK_SHORT
 */
static int records_look_valid(struct cursor *c, size_t n, size_t recsize)
{
	for (size_t done = 0; done < n;) {
		size_t k = n - done < CHUNK_RECORDS ? n - done : CHUNK_RECORDS;
		int e = fetch(c, MRK_HEADER_SIZE + (uint64_t)done * recsize, c->buf, k * recsize);
		if (e)
			return e;
		for (size_t i = 0; i < k; i++) {
			struct mrk_record r;
			decode_record(c->buf + i * recsize, &r);
			if (!name_is_msg(&r))
				return 0;
		}
		done += k;
	}
	return n > 0;
}

/* decode_records: the first nrec records, each usable one given to each */
static int decode_records(struct cursor *c, size_t nrec, size_t recsize, mrk_each_fn each,
			  void *ectx, struct mrk *out, struct sbuf *warnings)
{
	size_t bad = 0;
	for (size_t done = 0; done < nrec;) {
		size_t k = nrec - done < CHUNK_RECORDS ? nrec - done : CHUNK_RECORDS;
		int e = fetch(c, MRK_HEADER_SIZE + (uint64_t)done * recsize, c->buf, k * recsize);
		if (e)
			return e;
		for (size_t i = 0; i < k; i++) {
			struct mrk_record r;
			const uint8_t *p = c->buf + i * recsize;
			if (recsize == MRK_WIDE_RECORD_SIZE)
				decode_wide_record(p, &r);
			else
				decode_record(p, &r);
			r.pos = done + i;
			if (!name_ok(r.name)) {
				if (++bad <= MRK_WARN_EACH)
					warn_line(warnings, "record %zu has no usable file name; "
						  "ignored", done + i + 1);
				continue;
			}
			each(ectx, &r);
			out->count++;
		}
		done += k;
	}
	if (bad > MRK_WARN_EACH)
		warn_line(warnings, "%zu more records have no usable file name; ignored",
			  bad - MRK_WARN_EACH);
	return 0;
}

/* scan: mrk_scan but for reading the bytes it did not need */
static int scan(struct cursor *c, size_t max_records, mrk_each_fn each, void *ectx,
		struct mrk *out, struct sbuf *warnings)
{
	uint64_t len = c->src->len, file_size = c->src->file_size;
	if (len > file_size)
		len = file_size;
	if (file_size < MRK_HEADER_SIZE || len < MRK_HEADER_SIZE) {
		warn_line(warnings, "file is %llu bytes, too short for the %d-byte header; "
			  "index ignored", (unsigned long long)file_size, MRK_HEADER_SIZE);
		return 0;
	}
	uint8_t head[MRK_HEADER_SIZE];
	int e = fetch(c, 0, head, sizeof(head));
	if (e)
		return e;
	out->version = le32(head);
	out->uidvalidity = le32(head + 4);
	out->uidnext = le32(head + 8);
	out->write_counter = le32(head + 12);
	uint64_t blen = len - MRK_HEADER_SIZE;	/* what the source holds */
	uint64_t fbody = file_size - MRK_HEADER_SIZE;	/* what the file holds */
	size_t n36 = blen / MRK_RECORD_SIZE > SIZE_MAX ? SIZE_MAX : (size_t)(blen / MRK_RECORD_SIZE);
	size_t n40 = blen / MRK_WIDE_RECORD_SIZE > SIZE_MAX ? SIZE_MAX :
		     (size_t)(blen / MRK_WIDE_RECORD_SIZE);
	if (out->version != 1) {
		/* a layout we do not know: use it only if it reads as version 1 */
		int v = fbody % MRK_RECORD_SIZE ? 0 : records_look_valid(c, n36, MRK_RECORD_SIZE);
		if (v < 0)
			return v;
		if (!v) {
			warn_line(warnings, "unknown header version %u (expected 1) and "
				  "records that do not read as version 1; index ignored, its "
				  "messages are exported without flags", out->version);
			return 0;
		}
		warn_line(warnings, "unknown header version %u (expected 1); its "
			  "records read as version 1 and are used", out->version);
	}
	size_t recsize = MRK_RECORD_SIZE;
	if (fbody % MRK_RECORD_SIZE && fbody % MRK_WIDE_RECORD_SIZE == 0) {
		int v = records_look_valid(c, n40, MRK_WIDE_RECORD_SIZE);
		if (v < 0)
			return v;
		if (v)
			recsize = MRK_WIDE_RECORD_SIZE;
	}
	if (recsize != MRK_RECORD_SIZE)
		warn_line(warnings, "holds %zu-byte records, not the documented %d; "
			  "read with a 64-bit date", recsize, MRK_RECORD_SIZE);
	uint64_t frec = fbody / recsize;
	out->file_records = frec > SIZE_MAX ? SIZE_MAX : (size_t)frec;
	if (fbody % recsize)
		warn_line(warnings, "ends with a torn record (%llu of %zu bytes); "
			  "that record is ignored", (unsigned long long)(fbody % recsize),
			  recsize);
	size_t nrec = recsize == MRK_RECORD_SIZE ? n36 : n40;
	if (nrec > out->file_records)
		nrec = out->file_records;
	if (nrec > max_records)
		nrec = max_records;
	out->read_records = nrec;
	e = decode_records(c, nrec, recsize, each, ectx, out, warnings);
	return e ? e : 1;
}

/*
 * drain: the source's bytes not read yet, read and dropped, so that a
 * failure or an end anywhere in them counts as it did when the whole
 * prefix was read into memory before it was parsed
 */
static int drain(struct cursor *c)
{
	uint64_t len = c->src->len < c->src->file_size ? c->src->len : c->src->file_size;
	size_t cap = CHUNK_RECORDS * MRK_WIDE_RECORD_SIZE;
	while (c->hi < len) {
		size_t k = len - c->hi < cap ? (size_t)(len - c->hi) : cap;
		int e = fetch(c, c->hi, c->buf, k);
		if (e)
			return e;
	}
	return 0;
}

int mrk_scan(const struct mrk_source *src, size_t max_records, mrk_each_fn each, void *ectx,
	     struct mrk *out, struct sbuf *warnings)
{
	memset(out, 0, sizeof(*out));
	struct cursor c = { .src = src, .buf = xmalloc(CHUNK_RECORDS * MRK_WIDE_RECORD_SIZE) };
	int ret = scan(&c, max_records, each, ectx, out, warnings);
	if (ret >= 0) {
		int e = drain(&c);
		if (e)
			ret = e;
	}
	free(c.buf);
	return ret;
}

/* ---- an image in memory ---------------------------------------------------- */

struct image {
	const uint8_t *data;
	size_t len;
	struct mrk_record *recs;
	size_t n, cap;
};

static ssize_t image_read(void *ctx, uint64_t off, uint8_t *buf, size_t len)
{
	const struct image *im = ctx;
	if (off >= im->len)
		return 0;
	if (len > im->len - off)
		len = im->len - (size_t)off;
	memcpy(buf, im->data + off, len);
	return (ssize_t)len;
}

static void image_add(void *ctx, const struct mrk_record *rec)
{
	struct image *im = ctx;
	if (im->n == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 64;
		im->recs = xreallocarray(im->recs, im->cap, sizeof(*im->recs));
	}
	im->recs[im->n++] = *rec;
}

int mrk_parse(const uint8_t *data, size_t len, struct mrk *out, struct sbuf *warnings)
{
	return mrk_parse_prefix(data, len, len, SIZE_MAX, out, warnings);
}

int mrk_parse_prefix(const uint8_t *data, size_t len, uint64_t file_size,
		     size_t max_records, struct mrk *out, struct sbuf *warnings)
{
	struct image im = { .data = data, .len = len };
	const struct mrk_source src = { .read = image_read, .ctx = &im, .len = len,
					.file_size = file_size };
	int ret = mrk_scan(&src, max_records, image_add, &im, out, warnings);
	out->records = im.recs;	/* the source never fails: ret is 1 or 0 */
	return ret;
}

void mrk_release(struct mrk *m)
{
	free(m->records);
	memset(m, 0, sizeof(*m));
}
