/*
 * Unit tests for the LTP writer (formats/pst/ltp.c): a property context
 * with every kind of value (inline, 8-byte, strings, empty, binary, a value
 * too big for the heap, enough properties for a multi-page heap and a
 * two-level BTH) is written as the message store node, then read back here
 * from the file's bytes -- NBT, BBT, XBLOCK, heap page maps, BTH levels,
 * SLBLOCK -- and every value compared; tools/pstcheck must find no error in
 * the heap either.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pst/ltp.h"
#include "pstread.h"
#include "unit.h"

#define NSTRINGS 600
#define NBIG 400

static void string_value(char *buf, size_t n, unsigned i)
{
	snprintf(buf, n, "property %u: Grüße, ü and € and 日本 %0*u", i, (int)(i % 40), i);
}

int main(void)
{
	char path[] = "/tmp/mdx-ltp-XXXXXX";
	int tfd = mkstemp(path);
	close(tfd);
	unlink(path);
	struct sbuf err = SBUF_INIT;
	struct pst_ndb *n = pst_ndb_create(path, &err);
	struct pst_pc pc;
	pst_pc_init(&pc, n);
	static uint8_t big[20000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	pst_pc_add_u32(&pc, 0x0E07, PT_LONG, 0x12345678);
	pst_pc_add_bool(&pc, 0x0E1F, 1);
	pst_pc_add_u64(&pc, 0x0E06, PT_SYSTIME, 0x01D9A1B2C3D4E5F6ull);
	pst_pc_add_string(&pc, 0x3001, "Personal Folders");
	pst_pc_add_string(&pc, 0x0037, "");
	pst_pc_add_binary(&pc, 0x0FF9, PT_BINARY, big, 100);
	pst_pc_add_binary(&pc, 0x1000, PT_BINARY, big, sizeof(big));
	char s[128];
	for (unsigned i = 0; i < NSTRINGS; i++) {
		string_value(s, sizeof(s), i);
		pst_pc_add_string(&pc, (uint16_t)(0x8000 + i), s);
	}
	uint64_t bid_data, bid_sub;
	test_group("write");
	test_assert(pst_pc_write(&pc, &bid_data, &bid_sub) == 0);
	test_assert(pc.heap.nblocks > 1);	/* a multi-page heap */
	pst_pc_release(&pc);
	pst_ndb_add_node(n, 0x21, bid_data, bid_sub, 0);

	/* 400 values too big for the heap: 400 subnodes, more than an SLBLOCK holds */
	struct pst_pc many;
	pst_pc_init(&many, n);
	static uint8_t val[4000];
	for (unsigned i = 0; i < NBIG; i++) {
		memset(val, (int)(i & 0xFF), sizeof(val));
		val[0] = (uint8_t)(i >> 8);
		pst_pc_add_binary(&many, (uint16_t)(0x9000 + i), PT_BINARY, val, sizeof(val));
	}
	uint64_t many_data, many_sub;
	test_assert(pst_pc_write(&many, &many_data, &many_sub) == 0 && many.nsub == NBIG);
	pst_pc_release(&many);
	pst_ndb_add_node(n, 0x61, many_data, many_sub, 0);
	/* a size past what PtypInteger32 holds (an object of 3 GiB, counted, not
	 * written): the size property saturates at PST_SIZE_MAX, and says so */
	test_group("size past 2^31");
	test_assert(pst_size_value(12) == 12 && pst_size_value(PST_SIZE_MAX) == PST_SIZE_MAX);
	test_assert(pst_size_value(PST_SIZE_MAX + 1) == PST_SIZE_MAX &&
		    pst_size_value(5ull << 32) == PST_SIZE_MAX);
	struct pst_pc sized;
	pst_pc_init(&sized, n);
	pst_pc_add_u32(&sized, 0x0E08, PT_LONG, 0);
	pst_pc_set_size_prop(&sized, 0x0E08);
	pst_pc_count_sub_bytes(&sized, 3ull << 30);
	uint64_t sized_data, sized_sub;
	test_assert(pst_pc_write(&sized, &sized_data, &sized_sub) == 0);
	test_assert(sized.size_saturated && sized.written_size > (3ull << 30));
	pst_pc_release(&sized);
	pst_ndb_add_node(n, 0x4001, sized_data, sized_sub, 0);
	uint32_t rgnid[32] = { 0 };
	rgnid[1] = 0x400;
	test_group("write");
	test_assert(pst_ndb_finish(n, rgnid, &err) == 0);

	/*
	 * the independent checker: nothing wrong but what an LTP-only file
	 * lacks: the root folder, and a real message store in node 0x21 (here
	 * a bag of test properties: no EntryIDs, a 100-byte PR_RECORD_KEY)
	 */
	test_group("pstcheck");
	test_assert(test_pstcheck_errors(path, "-e 'no root folder node 0x122' "
					 "-e 'node 0x21: message store without' "
					 "-e 'node 0x21: PR_RECORD_KEY is 100 bytes'", "pstcheck") == 0);

	/* read it back by hand */
	load(path);
	test_group("read back");
	test_assert(pst_header_decode(img, &hdr) == 0);
	const uint8_t *node = find_in_tree(hdr.nbt.ib, 0x21, 1);
	if (!test_assert(node != NULL))
		return test_done();
	struct heap_view h = { SBUF_INIT, SBUF_INIT };
	stream(get(node + 8, 8), &h.data, &h.pages);
	const uint8_t *hn = (const uint8_t *)h.data.buf;
	test_assert(hn[2] == 0xEC && hn[3] == 0xBC);
	size_t len;
	const uint8_t *bth = heap_get(&h, (uint32_t)get(hn + 4, 4), &len);
	test_assert(bth && len == 8 && bth[0] == 0xB5 && bth[1] == 2 && bth[2] == 6);
	test_assert(bth[3] == 1);		/* 607 records need two levels */
	struct sbuf recs = SBUF_INIT;
	bth_collect(&h, (uint32_t)get(bth + 4, 4), bth[3], 2, 6, &recs);
	test_assert(recs.len == 8 * (7 + NSTRINGS));
	const uint8_t *r = (const uint8_t *)recs.buf;
	int sorted = 1;
	for (size_t i = 1; i < recs.len / 8; i++)
		sorted &= get(r + 8 * i, 2) > get(r + 8 * (i - 1), 2);
	test_assert(sorted);
	/* records: 0x0037 "", 0x0E06, 0x0E07, 0x0E1F, 0x0FF9, 0x1000, 0x3001, 0x8000... */
	test_assert(get(r, 2) == 0x0037 && get(r + 2, 2) == PT_UNICODE && get(r + 4, 4) == 0);
	const uint8_t *v = heap_get(&h, (uint32_t)get(r + 8 + 4, 4), &len);
	test_assert(v && len == 8 && get(v, 8) == 0x01D9A1B2C3D4E5F6ull);
	test_assert(get(r + 16, 2) == 0x0E07 && get(r + 20, 4) == 0x12345678);
	test_assert(get(r + 24, 2) == 0x0E1F && get(r + 26, 2) == PT_BOOLEAN && get(r + 28, 4) == 1);
	v = heap_get(&h, (uint32_t)get(r + 36, 4), &len);
	test_assert(v && len == 100 && !memcmp(v, big, 100));
	uint32_t sub_nid = (uint32_t)get(r + 44, 4);
	test_assert((sub_nid & 0x1F) == 0x1F);
	/* the big value: the node's SLBLOCK names its subnode */
	const uint8_t *sl = find_in_tree(hdr.bbt.ib, get(node + 16, 8), 0);
	test_assert(sl && img[get(sl + 8, 8)] == 2);
	if (sl) {
		const uint8_t *slp = img + get(sl + 8, 8);
		test_assert(get(slp + 2, 2) == 1 && get(slp + 8, 8) == sub_nid);
		struct sbuf bigback = SBUF_INIT;
		stream(get(slp + 16, 8), &bigback, NULL);
		test_assert(bigback.len == sizeof(big) && !memcmp(bigback.buf, big, sizeof(big)));
		sbuf_release(&bigback);
	}
	v = heap_get(&h, (uint32_t)get(r + 52, 4), &len);
	test_assert(v && len == 32 && !memcmp(v, "P\0e\0r\0s\0o\0n\0a\0l\0 \0F\0o\0l\0d\0e\0r\0s\0", 32));
	int strings_ok = 1;
	for (unsigned i = 0; i < NSTRINGS; i++) {
		const uint8_t *rec = r + 8 * (7 + i);
		struct sbuf want = SBUF_INIT;
		string_value(s, sizeof(s), i);
		pst_utf16le(&want, s);
		v = heap_get(&h, (uint32_t)get(rec + 4, 4), &len);
		strings_ok &= get(rec, 2) == 0x8000 + i && v && len == want.len &&
			      !memcmp(v, want.buf, len);
		sbuf_release(&want);
	}
	test_assert(strings_ok);
	/* node 0x61: SIBLOCK -> SLBLOCKs -> the last value's stream */
	test_group("siblock");
	const uint8_t *node61 = find_in_tree(hdr.nbt.ib, 0x61, 1);
	const uint8_t *si = node61 ? find_in_tree(hdr.bbt.ib, get(node61 + 16, 8), 0) : NULL;
	test_assert(si != NULL);
	if (si) {
		const uint8_t *sip = img + get(si + 8, 8);
		unsigned nsl = (unsigned)get(sip + 2, 2);
		test_assert(sip[0] == 2 && sip[1] == 1 && nsl == 2);	/* 340 + 60 */
		unsigned total = 0, ordered = 1;
		uint64_t prev = 0, last_bid = 0;
		for (unsigned i = 0; i < nsl; i++) {
			const uint8_t *sle = find_in_tree(hdr.bbt.ib, get(sip + 16 + 16 * i, 8), 0);
			if (!sle)
				break;
			const uint8_t *slp = img + get(sle + 8, 8);
			unsigned k = (unsigned)get(slp + 2, 2);
			ordered &= slp[0] == 2 && slp[1] == 0 && get(slp + 8, 8) == get(sip + 8 + 16 * i, 8);
			for (unsigned j = 0; j < k; j++) {
				uint64_t nid = get(slp + 8 + 24 * j, 8);
				ordered &= nid > prev;
				prev = nid;
				last_bid = get(slp + 16 + 24 * j, 8);
			}
			total += k;
		}
		test_assert(total == NBIG && ordered);
		struct sbuf back = SBUF_INIT;
		stream(last_bid, &back, NULL);
		test_assert(back.len == 4000 && (uint8_t)back.buf[0] == (NBIG - 1) >> 8 &&
			    (uint8_t)back.buf[3999] == ((NBIG - 1) & 0xFF));
		sbuf_release(&back);
	}
	/* node 0x4001: PR_MESSAGE_SIZE reads 0x7FFFFFFF, not the low 32 bits of 3 GiB */
	test_group("size past 2^31");
	const uint8_t *node41 = find_in_tree(hdr.nbt.ib, 0x4001, 1);
	test_assert(node41 != NULL);
	if (node41) {
		struct heap_view sh = { SBUF_INIT, SBUF_INIT };
		stream(get(node41 + 8, 8), &sh.data, &sh.pages);
		const uint8_t *sbth = heap_get(&sh, (uint32_t)get((const uint8_t *)sh.data.buf + 4, 4),
					       &len);
		struct sbuf srecs = SBUF_INIT;
		if (sbth)
			bth_collect(&sh, (uint32_t)get(sbth + 4, 4), sbth[3], 2, 6, &srecs);
		const uint8_t *sr = (const uint8_t *)srecs.buf;
		test_assert(srecs.len == 8 && get(sr, 2) == 0x0E08 && get(sr + 4, 4) == 0x7FFFFFFF);
		sbuf_release(&srecs);
		sbuf_release(&sh.data);
		sbuf_release(&sh.pages);
	}
	struct sbuf w = SBUF_INIT;
	pst_utf16le(&w, "a\xff" "b");
	test_assert_mem(w.buf, w.len, "a\0\xfd\xff" "b\0", 6);
	sbuf_release(&w);
	sbuf_release(&recs);
	sbuf_release(&h.data);
	sbuf_release(&h.pages);
	sbuf_release(&err);
	free(img);
	unlink(path);
	return test_done();
}
