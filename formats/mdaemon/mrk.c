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

/* records_look_valid: every record of the given size names a .msg file */
static bool records_look_valid(const uint8_t *p, size_t n, size_t recsize)
{
	for (size_t i = 0; i < n; i++, p += recsize) {
		struct mrk_record r;
		decode_record(p, &r);
		size_t len = strlen(r.name);
		if (!name_ok(r.name) || len < 5 || strcasecmp(r.name + len - 4, ".msg"))
			return false;
	}
	return n > 0;
}

int mrk_parse(const uint8_t *data, size_t len, struct mrk *out, struct sbuf *warnings)
{
	return mrk_parse_prefix(data, len, len, SIZE_MAX, out, warnings);
}

int mrk_parse_prefix(const uint8_t *data, size_t len, uint64_t file_size,
		     size_t max_records, struct mrk *out, struct sbuf *warnings)
{
	memset(out, 0, sizeof(*out));
	if (len > file_size)
		len = (size_t)file_size;
	if (file_size < MRK_HEADER_SIZE || len < MRK_HEADER_SIZE) {
		warn_line(warnings, "file is %llu bytes, too short for the %d-byte header; "
			  "index ignored", (unsigned long long)file_size, MRK_HEADER_SIZE);
		return 0;
	}
	out->version = le32(data);
	out->uidvalidity = le32(data + 4);
	out->uidnext = le32(data + 8);
	out->write_counter = le32(data + 12);
	const uint8_t *body = data + MRK_HEADER_SIZE;
	size_t blen = len - MRK_HEADER_SIZE;	/* what data holds */
	uint64_t fbody = file_size - MRK_HEADER_SIZE;	/* what the file holds */
	if (out->version != 1) {
		/* a layout we do not know: use it only if it reads as version 1 */
		if (fbody % MRK_RECORD_SIZE ||
		    !records_look_valid(body, blen / MRK_RECORD_SIZE, MRK_RECORD_SIZE)) {
			warn_line(warnings, "unknown header version %u (expected 1) and "
				  "records that do not read as version 1; index ignored, its "
				  "messages are exported without flags", out->version);
			return 0;
		}
		warn_line(warnings, "unknown header version %u (expected 1); its "
			  "records read as version 1 and are used", out->version);
	}
	size_t recsize = MRK_RECORD_SIZE;
	if (fbody % MRK_RECORD_SIZE && fbody % MRK_WIDE_RECORD_SIZE == 0 &&
	    records_look_valid(body, blen / MRK_WIDE_RECORD_SIZE, MRK_WIDE_RECORD_SIZE))
		recsize = MRK_WIDE_RECORD_SIZE;
	if (recsize != MRK_RECORD_SIZE)
		warn_line(warnings, "holds %zu-byte records, not the documented %d; "
			  "read with a 64-bit date", recsize, MRK_RECORD_SIZE);
	uint64_t frec = fbody / recsize;
	out->file_records = frec > SIZE_MAX ? SIZE_MAX : (size_t)frec;
	if (fbody % recsize)
		warn_line(warnings, "ends with a torn record (%llu of %zu bytes); "
			  "that record is ignored", (unsigned long long)(fbody % recsize),
			  recsize);
	size_t nrec = blen / recsize;
	if (nrec > out->file_records)
		nrec = out->file_records;
	if (nrec > max_records)
		nrec = max_records;
	out->read_records = nrec;
	out->records = xreallocarray(NULL, nrec ? nrec : 1, sizeof(*out->records));
	const uint8_t *p = body;
	size_t bad = 0;
	for (size_t i = 0; i < nrec; i++, p += recsize) {
		struct mrk_record *r = &out->records[out->count];
		if (recsize == MRK_WIDE_RECORD_SIZE)
			decode_wide_record(p, r);
		else
			decode_record(p, r);
		r->pos = i;
		if (!name_ok(r->name)) {
			if (++bad <= MRK_WARN_EACH)
				warn_line(warnings, "record %zu has no usable file name; "
					  "ignored", i + 1);
			continue;
		}
		out->count++;
	}
	if (bad > MRK_WARN_EACH)
		warn_line(warnings, "%zu more records have no usable file name; ignored",
			  bad - MRK_WARN_EACH);
	return 1;
}

void mrk_release(struct mrk *m)
{
	free(m->records);
	memset(m, 0, sizeof(*m));
}
