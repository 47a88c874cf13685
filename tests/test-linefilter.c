/* Unit tests for the CRLF / mboxrd line filter, fed in every chunking. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/linefilter.h"
#include "unit.h"

/* run_filter: in, split into chunks of `step` bytes; returns the output */
static char *run_filter(const char *in, size_t len, size_t step, bool mboxrd,
			bool *ends_nl, size_t *out_len)
{
	char path[] = "/tmp/mdx-lf-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	unlink(path);
	struct outfile of;
	struct sbuf err = SBUF_INIT;
	if (outfile_open(&of, path, &err) < 0)
		abort();
	struct linefilter lf;
	linefilter_init(&lf, &of, mboxrd);
	for (size_t i = 0; i < len; i += step)
		linefilter_push(&lf, in + i, len - i < step ? len - i : step);
	*ends_nl = linefilter_finish(&lf);
	if (outfile_close(&of, -1, &err) < 0)
		abort();
	struct sbuf out = SBUF_INIT;
	fd = open(path, O_RDONLY);
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sbuf_add(&out, buf, (size_t)n);
	close(fd);
	unlink(path);
	sbuf_release(&err);
	*out_len = out.len;
	return sbuf_detach(&out);
}

static void check(const char *name, const char *in, size_t inlen, bool mboxrd,
		  const char *want, size_t wantlen, bool want_nl)
{
	test_group(name);
	int all_ok = 1;
	for (size_t step = 1; step <= inlen + 1; step++) {
		bool nl;
		size_t n;
		char *out = run_filter(in, inlen, step, mboxrd, &nl, &n);
		if (n != wantlen || memcmp(out, want, n) || nl != want_nl) {
			all_ok = 0;
			printf("# chunk size %zu\n", step);
			test_assert_mem(out, n, want, wantlen);
			free(out);
			break;
		}
		free(out);
	}
	test_assert(all_ok);
}

#define CHECK(name, in, rd, want, nl) \
	check(name, in, sizeof(in) - 1, rd, want, sizeof(want) - 1, nl)

int main(void)
{
	CHECK("crlf", "a\r\nb\r\n", false, "a\nb\n", true);
	CHECK("bare cr kept", "a\rb\r\n\r", false, "a\rb\n\r", false);
	CHECK("lf kept", "a\nb", false, "a\nb", false);
	CHECK("no quoting without mboxrd", "From x\r\n", false, "From x\n", true);
	CHECK("mboxrd from", "x\r\nFrom here\r\n", true, "x\n>From here\n", true);
	CHECK("mboxrd quoted", ">From a\r\n>>From b\r\n", true, ">>From a\n>>>From b\n", true);
	CHECK("mboxrd first line", "From a", true, ">From a", false);
	CHECK("mboxrd near misses", "Fro\r\nFrom\r\nFromage\r\n>Frm\r\n From x\r\nfrom x\r\n", true,
	      "Fro\nFrom\nFromage\n>Frm\n From x\nfrom x\n", true);
	CHECK("mboxrd cr in prefix", "Fr\rom \r\n", true, "Fr\rom \n", true);
	CHECK("mboxrd at end", ">>Fro", true, ">>Fro", false);
	CHECK("nul bytes", "a\0b\r\nFrom \0\r\n", true, "a\0b\n>From \0\n", true);
	CHECK("empty", "", true, "", false);
	return test_done();
}
