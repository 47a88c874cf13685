/*
 * mrk_parse (formats/mdaemon/mrk.c) on any IMAP.MRK image.  Checks: a usable index
 * has no more records than whole 36-byte records fit after the header;
 * every kept name is NUL-terminated within its field, non-empty, and safe
 * to open below the folder (no '/', '\\', no "." or ".."); a refused index
 * holds no records; warnings are text lines.
 */
#include <string.h>

#include "fuzz.h"
#include "mdaemon/mrk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mrk m;
	struct sbuf warnings = SBUF_INIT;
	int usable = mrk_parse(data, size, &m, &warnings);
	fuzz_check(usable == 0 || usable == 1);
	if (!usable) {
		fuzz_check(m.count == 0);
	} else {
		fuzz_check(size >= MRK_HEADER_SIZE);
		fuzz_check(m.count <= (size - MRK_HEADER_SIZE) / MRK_RECORD_SIZE);
	}
	for (size_t i = 0; i < m.count; i++) {
		const char *name = m.records[i].name;
		size_t len = strnlen(name, sizeof(m.records[i].name));
		fuzz_check(len < sizeof(m.records[i].name));
		fuzz_check(len > 0);
		fuzz_check(!strchr(name, '/') && !strchr(name, '\\'));
		fuzz_check(strcmp(name, ".") && strcmp(name, ".."));
	}
	fuzz_check(warnings.len == strlen(warnings.buf ? warnings.buf : ""));
	mrk_release(&m);
	sbuf_release(&warnings);
	return 0;
}
