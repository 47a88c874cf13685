/* CSV fields (csv.h) */
#include "csv.h"

#include <stdbool.h>

void csv_field(struct sbuf *out, const char *s, size_t len)
{
	bool quote = false;
	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (!quote) {
		sbuf_add(out, s, len);
		return;
	}
	sbuf_addch(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			sbuf_addch(out, '"');
		sbuf_addch(out, s[i]);
	}
	sbuf_addch(out, '"');
}
