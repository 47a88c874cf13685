"""A small, independent reader of Unicode PST files for tests.

It reads what the end-to-end tests compare node by node and what no reader
we did not write exposes: the NBT, node data streams and subnode trees, the
heap-on-node, property contexts and table contexts ([MS-PST] 2.2-2.3).  It
shares no code with the writer (formats/pst/); a malformed file raises
ValueError or IndexError, never returns made-up data."""

import struct

# [MS-PST] 5.1 mpbbCrypt, first 256 bytes: the permute encoding (bCryptMethod 1)
_PERM_ENC = bytes.fromhex(
    "41361362a8216ebbf416cc047f64e85d1ef2cb2a74c55e35d295479e962d9a88"
    "4c7d843fdbac31b6485ff6c4d8398be7233b388ec8c1df25b120a546604e9cfb"
    "aad35651457c550007c92b9d859b09a08fadb30f63ab894bd7a7155a716642bf"
    "264a6b98faea7753b270052cfd593a867ece06eb827857c78d43afb41cd45bcd"
    "e2e9274fc3087280cfb0eff5286dbe304d3492d50e3c2232e5e4f99fc2d10a81"
    "12e1ee918376e397e6618a1779a4b7dc907a5c8c02a6ca69de501a1193b95287"
    "58fced1d37491b6ae0293399bd6cd994f340546ff0c673b8d63e6518441fdd67"
    "10f10c19ecae03a1147ba90bfff8a3c0a201f72ebc2468750dfeba2fb5d0da3d")
_PERM_DEC = bytes(_PERM_ENC.index(i) for i in range(256))


def _u(fmt, b, off=0):
    return struct.unpack_from("<" + fmt, b, off)


class Pst:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if d[:4] != b"!BDN" or _u("H", d, 10)[0] != 23:
            raise ValueError("not a Unicode PST")
        self.crypt = d[513]
        # ROOT at 180: reserved(4), eof, amap last, amap free, pmap free (8 each), NBT, BBT
        nbt_ib = _u("Q", d, 180 + 36 + 8)[0]
        bbt_ib = _u("Q", d, 180 + 36 + 24)[0]
        self.nodes, self.blocks = {}, {}
        self._walk(nbt_ib, True, 0)
        self._walk(bbt_ib, False, 0)

    def _walk(self, ib, is_nbt, depth):
        if depth > 8:
            raise ValueError("B-tree too deep")
        p = self.data[ib:ib + 512]
        count, _, cb, level = p[488], p[489], p[490], p[491]
        for i in range(count):
            e = p[i * cb:(i + 1) * cb]
            if level:
                self._walk(_u("Q", e, 16)[0], is_nbt, depth + 1)
            elif is_nbt:
                nid, bid_data, bid_sub, parent = _u("QQQI", e)
                self.nodes[nid & 0xFFFFFFFF] = (bid_data, bid_sub, parent)
            else:
                bid, ib2, size, _ = _u("QQHH", e)
                self.blocks[bid & ~1] = (ib2, size)

    def block(self, bid):
        ib, size = self.blocks[bid & ~1]
        b = self.data[ib:ib + size]
        if not bid & 2 and self.crypt == 1:
            b = b.translate(_PERM_DEC)
        elif not bid & 2 and self.crypt not in (0, 1):
            raise ValueError("cyclic encoding not supported")
        return b

    def pages(self, bid):
        """The leaf blocks of a data stream, in order."""
        if not bid:
            return []
        b = self.block(bid)
        if not bid & 2:
            return [b]
        level, n = b[1], _u("H", b, 2)[0]
        out = []
        for i in range(n):
            child = _u("Q", b, 8 + 8 * i)[0]
            out += self.pages(child) if level == 2 else [self.block(child)]
        return out

    def subnodes(self, bid):
        if not bid:
            return {}
        b = self.block(bid)
        level, n = b[1], _u("H", b, 2)[0]
        out = {}
        for i in range(n):
            if level == 0:
                nid, bd, bs = _u("QQQ", b, 8 + 24 * i)
                out[nid & 0xFFFFFFFF] = (bd, bs)
            else:
                out.update(self.subnodes(_u("Q", b, 8 + 16 * i + 8)[0]))
        return out

    def node(self, nid):
        bd, bs, parent = self.nodes[nid]
        return Node(self, nid, self.pages(bd), self.subnodes(bs), parent)


class Node:
    def __init__(self, pst, nid, pages, subs, parent):
        self.pst, self.nid, self.pages, self.subs, self.parent = pst, nid, pages, subs, parent
        p0 = pages[0] if pages else b""
        self.is_heap = len(p0) >= 12 and p0[2] == 0xEC
        self.client_sig = p0[3] if self.is_heap else None
        self.user_root = _u("I", p0, 4)[0] if self.is_heap else None

    def raw(self):
        return b"".join(self.pages)

    def alloc(self, hid):
        if hid == 0:
            return b""
        if hid & 0x1F:
            raise ValueError("HID 0x%x is not a heap ID" % hid)
        page, index = hid >> 16, (hid >> 5) & 0x7FF
        p = self.pages[page]
        ibm = _u("H", p, 0)[0]
        if not 1 <= index <= _u("H", p, ibm)[0]:
            raise ValueError("HID 0x%x out of range" % hid)
        start, end = _u("HH", p, ibm + 4 + 2 * (index - 1))
        return p[start:end]

    def value(self, hnid):
        """An HNID: a heap allocation, or a subnode's whole stream."""
        if hnid & 0x1F == 0:
            return self.alloc(hnid)
        bd, _ = self.subs[hnid]
        return b"".join(self.pst.pages(bd))

    def bth(self, hid):
        """The records of a BTH: [(key bytes, data bytes)] in key order."""
        h = self.alloc(hid)
        if h[0] != 0xB5:
            raise ValueError("not a BTH header")
        cb_key, cb_ent, levels, root = h[1], h[2], h[3], _u("I", h, 4)[0]
        out = []

        def visit(hid2, level):
            if not hid2:
                return
            d = self.alloc(hid2)
            step = cb_key + (cb_ent if level == 0 else 4)
            for i in range(0, len(d), step):
                if level == 0:
                    out.append((d[i:i + cb_key], d[i + cb_key:i + step]))
                else:
                    visit(_u("I", d, i + cb_key)[0], level - 1)
        visit(root, levels)
        return out, cb_key, cb_ent

    def properties(self):
        """A PC: {property id: (type, value bytes)}."""
        if self.client_sig != 0xBC:
            raise ValueError("node 0x%x is not a property context" % self.nid)
        out = {}
        records, _, _ = self.bth(self.user_root)
        for key, ent in records:
            pid = _u("H", key)[0]
            ptype, raw = _u("H", ent)[0], ent[2:6]
            if ptype in (0x0002, 0x0003, 0x000B):
                size = {0x0002: 2, 0x0003: 4, 0x000B: 1}[ptype]
                out[pid] = (ptype, raw[:size])
            else:
                out[pid] = (ptype, self.value(_u("I", raw)[0]))
        return out

    def table(self):
        """A TC: (column tags in TCOLDESC order, [(row id, {tag: cell})])."""
        if self.client_sig != 0x7C:
            raise ValueError("node 0x%x is not a table context" % self.nid)
        info = self.alloc(self.user_root)
        ncols = info[1]
        rgib = _u("4H", info, 2)
        hid_index, hnid_rows = _u("II", info, 10)
        cols = [_u("IHBB", info, 22 + 8 * i) for i in range(ncols)]
        index, _, _ = self.bth(hid_index)
        size = rgib[3]
        if hnid_rows & 0x1F == 0:
            blocks = [self.alloc(hnid_rows)]
            per_block = max(1, len(blocks[0]) // size) if size else 1
        else:
            blocks = self.pst.pages(self.subs[hnid_rows][0])
            per_block = 8176 // size
        rows = []
        for key, ent in index:
            row_id, n = _u("I", key)[0], _u("I", ent)[0]
            blk = blocks[n // per_block]
            off = (n % per_block) * size
            r = blk[off:off + size]
            cells = {}
            for tag, ib, cb, ibit in cols:
                if not r[rgib[2] + ibit // 8] >> (7 - ibit % 8) & 1:
                    continue
                cell = r[ib:ib + cb]
                if tag & 0xFFFF in (0x0002, 0x0003, 0x000B, 0x0014, 0x0040):
                    cells[tag] = cell
                else:
                    cells[tag] = self.value(_u("I", cell)[0])
            rows.append((row_id, cells))
        return [c[0] for c in cols], rows
