#!/usr/bin/env python3
"""End-to-end: skeleton parity with a store Outlook itself wrote.

An empty mailbox (the fixture's MDaemon@example.com: an empty INBOX) is
exported to PST and compared node by node with
../shared/reference/outlook-empty.pst: the same nodes (ours adds only the
Inbox and its three tables), the same parents, the same kind of node, the
same table columns and rows, the same property sets and, where they are
not IDs, GUIDs, times or names, the same values.  The name-to-ID map must
hold Outlook's names with the same hash buckets.  A second mailbox with
Sent Items, Drafts and Junk E-mail checks the special-folder entry IDs.

The nodes are read with tests/lib/pstread.py, which shares no code with
the writer; pstcheck must also find no error and no finding but the
encoding one."""

import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import e2e  # noqa: E402
import pstread  # noqa: E402

ROOT = e2e.ROOT
REF = os.path.join(ROOT, "..", "shared", "reference", "outlook-empty.pst")
FIXTURE = os.path.join(ROOT, "fixtures", "store")

tap = e2e.Tap("pst-skeleton")
work = e2e.tmpdir("skeleton")

# no -q: since issue 16 -q prints only errors and the last line, and the summary is checked
st, _, err = e2e.run_merged(["export", FIXTURE, "-f", "pst", "-o", work,
                      "--user", "MDaemon@example.com", "--user", "alice@example.com"])
tap.eq(st, 0, "export of the empty mailbox and alice succeeds")
tap.ok("in 1 folder to %s\n" % os.path.join(work, "example.com", "MDaemon.pst") in err,
       "the summary names the PST file written", err)
ours = pstread.Pst(os.path.join(work, "example.com", "MDaemon.pst"))
ref = pstread.Pst(REF)

# ---- the node set ----------------------------------------------------------
tap.eq(len(ref.nodes), 47, "Outlook's empty store has 47 nodes")
missing = sorted(hex(n) for n in ref.nodes if n not in ours.nodes)
tap.eq(missing, [], "every node of Outlook's empty store is in ours")
extra = sorted(n for n in ours.nodes if n not in ref.nodes)
folders = [n for n in extra if n & 0x1F == 0x02]
tap.eq(len(folders), 1, "ours adds exactly one folder")
inbox = folders[0] if folders else 0
base = inbox & ~0x1F
tap.eq(extra, [inbox, base | 0x0D, base | 0x0E, base | 0x0F],
       "the only other nodes are that folder's three tables")
tap.eq(ours.nodes.get(inbox, (0, 0, 0))[2], 0x8022, "it sits under the top of the data file")
if inbox:
    tap.eq(ours.node(inbox).properties()[0x3001][1].decode("utf-16le"), "Inbox",
           "and it is the Inbox")

# ---- node by node ----------------------------------------------------------
# values that name this store or are made per store: compared by kind only
STORE_OWN = {0x0E34, 0x0FF9, 0x3001}
EID_PROPS = {0x35E0, 0x35E3, 0x35E6, 0x35E7}
F01_GUIDS = range(40, 72)


def kind(node):
    if not node.pages:
        return "no data"
    return "heap 0x%02X" % node.client_sig if node.is_heap else "raw"


def compare_pc(nid, a, b, problems):
    pa, pb = a.properties(), b.properties()
    if sorted((k, t) for k, (t, _) in pa.items()) != sorted((k, t) for k, (t, _) in pb.items()):
        problems.append("0x%x: property set %s vs Outlook's %s" % (
            nid, sorted(hex(k) for k in pa), sorted(hex(k) for k in pb)))
        return
    for pid, (ptype, va) in pa.items():
        vb = pb[pid][1]
        if nid == 0x21 and pid in STORE_OWN:
            if len(va) != len(vb) and pid != 0x3001:
                problems.append("0x21: 0x%04x is %d bytes, Outlook's %d" % (pid, len(va), len(vb)))
        elif nid == 0x21 and pid in EID_PROPS:
            key = pa[0x0FF9][1]
            if va[:4] != b"\0" * 4 or va[4:20] != key or va[20:] != vb[20:]:
                problems.append("0x21: EntryID 0x%04x is %s" % (pid, va.hex()))
        elif va != vb:
            problems.append("0x%x: 0x%04x = %s, Outlook's %s" % (nid, pid, va.hex(), vb.hex()))


def compare_tc(nid, a, b, problems):
    cols_a, rows_a = a.table()
    cols_b, rows_b = b.table()
    if cols_a != cols_b:
        problems.append("0x%x: columns %s vs Outlook's %s" % (
            nid, ["%08x" % c for c in cols_a], ["%08x" % c for c in cols_b]))
    ids_a = [r for r, _ in rows_a]
    ids_b = [r for r, _ in rows_b]
    if nid == 0x802D:		# the top of the data file: ours also lists the Inbox
        ids_a = [r for r in ids_a if r != inbox]
    if ids_a != ids_b:
        problems.append("0x%x: rows %s vs Outlook's %s" % (nid, ids_a, ids_b))
        return
    for (rid, ca), (_, cb) in zip([r for r in rows_a if r[0] in ids_b], rows_b):
        skip = {0x67F30003}	# row versions differ from store to store
        if nid == 0x62B:
            skip.add(0x66050003)	# our receive folder is the Inbox, Outlook's the root
        diff = sorted("%08x" % t for t in set(ca) | set(cb) if t not in skip and ca.get(t) != cb.get(t))
        if diff:
            problems.append("0x%x row 0x%x: cells %s differ" % (nid, rid, diff))


problems = []
for nid in sorted(ref.nodes):
    if nid not in ours.nodes or nid == 0x61:
        continue
    a, b = ours.node(nid), ref.node(nid)
    if a.parent != b.parent:
        problems.append("0x%x: parent 0x%x, Outlook's 0x%x" % (nid, a.parent, b.parent))
    if kind(a) != kind(b):
        problems.append("0x%x: %s, Outlook's is %s" % (nid, kind(a), kind(b)))
        continue
    if kind(a) == "heap 0xBC":
        compare_pc(nid, a, b, problems)
    elif kind(a) == "heap 0x7C":
        compare_tc(nid, a, b, problems)
    elif kind(a) == "raw" and nid == 0xF01:
        ra, rb = a.raw(), b.raw()
        if len(ra) != len(rb) or any(ra[i] != rb[i] for i in range(len(ra)) if i not in F01_GUIDS):
            problems.append("0xf01 differs outside its GUIDs")
        if ra[40:72] == rb[40:72]:
            problems.append("0xf01 copies Outlook's GUIDs instead of making its own")
    elif kind(a) != "no data" and a.raw() != b.raw():
        problems.append("0x%x: bytes differ" % nid)
tap.eq(problems, [], "node by node: parents, kinds, properties, columns and rows match Outlook's")

# the special folders' tables hold Outlook's columns, not the templates'
for nid, n in ((0x802E, 59), (0x802D, 25), (0x804D, 23), (0x808F, 25), (0x12F, 18), (0x610, 19)):
    tap.eq(len(ours.node(nid).table()[0]), n, "table 0x%x has Outlook's %d columns" % (nid, n))

# ---- the name-to-ID map ----------------------------------------------------


def strings(stream):
    out, off = [], 0
    while off + 4 <= len(stream):
        n = struct.unpack_from("<I", stream, off)[0]
        out.append((off, stream[off + 4:off + 4 + n].decode("utf-16le")))
        off += (4 + n + 3) & ~3
    return out


ma, mb = ours.node(0x61).properties(), ref.node(0x61).properties()
tap.eq(sorted(ma), sorted(mb), "name map: the same streams and hash buckets")
for pid, what in ((1, "bucket count"), (2, "GUID stream"), (3, "entry stream")):
    tap.eq(ma.get(pid), mb.get(pid), "name map: %s equal to Outlook's" % what)
tap.eq(strings(ma[4][1]), strings(mb[4][1]), "name map: the same names at the same offsets")
bucket_diff = [hex(p) for p in mb if p >= 0x1000 and ma.get(p) != mb[p]]
tap.eq(bucket_diff, [], "name map: every hash bucket equal to Outlook's")
tap.eq(len([p for p in mb if p >= 0x1000]), 34, "Outlook's map uses 34 buckets for its 35 names")

# ---- special folders (alice has Sent Items, Drafts and Junk E-mail) --------
alice = pstread.Pst(os.path.join(work, "example.com", "alice.pst"))
by_name = {}
for nid in alice.nodes:
    if nid & 0x1F == 0x02 and alice.nodes[nid][2] == 0x8022:
        by_name[alice.node(nid).properties()[0x3001][1].decode("utf-16le")] = nid
key = alice.node(0x21).properties()[0x0FF9][1]


def eid_nid(value):
    if len(value) != 24 or value[:4] != b"\0" * 4 or value[4:20] != key:
        return None
    return struct.unpack_from("<I", value, 20)[0]


store = alice.node(0x21).properties()
tap.eq(eid_nid(store[0x35E4][1]), by_name.get("Sent Items"), "store: PR_IPM_SENTMAIL_ENTRYID is Sent Items")
tap.eq(eid_nid(store[0x35E3][1]), 0x8062, "store: the wastebasket is Outlook's Deleted Items")
tap.eq(by_name.get("Deleted Items"), 0x8062, "MDaemon's Deleted Items is that folder")
tap.eq(store[0x3001][1].decode("utf-16le"), "alice@example.com", "store: named after the mailbox")
for where in (0x122, by_name.get("Inbox")):
    props = alice.node(where).properties()
    tap.eq(eid_nid(props.get(0x36D7, (0, b""))[1]), by_name.get("Drafts"),
           "0x%x: PR_IPM_DRAFTS_ENTRYID is Drafts" % where)
    mv = props.get(0x36D8, (0, b""))
    ok = mv[0] == 0x1102 and len(mv[1]) >= 24
    if ok:
        count = struct.unpack_from("<I", mv[1])[0]
        offs = list(struct.unpack_from("<%dI" % count, mv[1], 4)) + [len(mv[1])]
        vals = [mv[1][offs[i]:offs[i + 1]] for i in range(count)]
        ok = count == 5 and vals[:4] == [b""] * 4 and eid_nid(vals[4]) == by_name.get("Junk E-mail")
    tap.ok(ok, "0x%x: PR_ADDITIONAL_REN_ENTRYIDS[4] is Junk E-mail" % where, repr(mv))
rows = dict(alice.node(0x62B).table()[1])
tap.eq([struct.unpack("<I", r[0x66050003])[0] for r in rows.values()], [by_name.get("Inbox")],
       "receive-folder table: every class goes to the Inbox")

# ---- pstcheck ---------------------------------------------------------------
for name in ("MDaemon.pst", "alice.pst"):
    p = subprocess.run([os.path.join(ROOT, "tools", "pstcheck"), os.path.join(work, "example.com", name)],
                       capture_output=True, text=True)
    found = [l for l in p.stdout.splitlines() if l.startswith(("error:", "finding:"))]
    tap.eq([l for l in found if "bCryptMethod" not in l], [], "pstcheck: %s has no error and no skeleton finding" % name)

shutil.rmtree(work, ignore_errors=True)
tap.done()
