#!/usr/bin/python3
"""icscheck: read .ics and .vcf files back with readers this project did not
write, check the RFC 5545 / RFC 6350 rules mdexport promises, and print what
was read as JSON, so that a test can compare every field with the source.

Run with Debian's /usr/bin/python3 (python3-icalendar, python3-vobject and
python3-dateutil are installed for it):

    /usr/bin/python3 tests/lib/icscheck.py FILE...

Checks, each failure an entry in the file's "errors":
  - every line ends in CRLF, no bare CR or LF; a physical line is at most 75
    octets and valid UTF-8 on its own (folding never splits a character);
  - .ics: the whole file parses with icalendar; VERSION:2.0 and PRODID;
    every VEVENT and VTODO has UID and DTSTAMP; every TZID parameter names a
    VTIMEZONE of the file that comes before its first use; each VTIMEZONE,
    read by dateutil's tzical, gives the offsets of the system's zoneinfo
    for an IANA name (every day at noon 1970-2037, and every hour of the
    days around each change);
  - .vcf: every card parses with vobject; VERSION right after BEGIN; FN
    and UID; N in 3.0.
Output: {"files": {path: {"type", "errors", "components"}}}.  A component:
{"type", "props": {NAME: [value...]}, "params": {NAME: [{param: value}]},
"utc": {NAME: "YYYY-MM-DDTHH:MM:SSZ"} for its date-times (read through the
file's own VTIMEZONE), "alarms": [component...], and for a VEVENT or VTODO
with an RRULE "occurrences": the first 50 starts (UTC; dates for all-day),
after EXDATE and with each override's (RECURRENCE-ID) own start.
Exit status 1 when any file has errors.
"""

import datetime
import io
import json
import re
import sys

import icalendar
import vobject
from dateutil import rrule as du_rrule
from dateutil import tz as du_tz

try:
    import zoneinfo
except ImportError:  # pragma: no cover
    zoneinfo = None

MAX_OCC = 50
UTC = datetime.timezone.utc


def line_errors(data):
    errs = []
    if not data.endswith(b"\r\n"):
        errs.append("the file does not end in CRLF")
    for n, line in enumerate(data.split(b"\r\n")[:-1], 1):
        if b"\n" in line or b"\r" in line:
            errs.append("line %d: a bare CR or LF" % n)
        if len(line) > 75:
            errs.append("line %d: %d octets (more than 75)" % (n, len(line)))
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            errs.append("line %d: not UTF-8 on its own (a fold inside a character?)" % n)
    return errs


def unfolded(data):
    return re.sub(r"\r\n[ \t]", "", data.decode("utf-8", "replace")).split("\r\n")


def utc_iso(dt):
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- iCalendar ----

def vtimezones(text):
    """TZID -> dateutil tzinfo, read from each VTIMEZONE block by tzical"""
    zones = {}
    for block in re.findall(r"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n", text, re.S):
        t = du_tz.tzical(io.StringIO(block))
        for k in t.keys():
            zones[k] = t.get(k)
    return zones


def unambiguous(local, iana):
    a = local.replace(tzinfo=iana, fold=0)
    b = local.replace(tzinfo=iana, fold=1)
    if a.utcoffset() != b.utcoffset():
        return False
    # a time a gap skips does not come back from UTC
    return a.astimezone(UTC).astimezone(iana).replace(tzinfo=None) == local


def zone_errors(tzid, zone):
    """the VTIMEZONE against the system's zoneinfo, for an IANA TZID"""
    if zoneinfo is None or "/" not in tzid and tzid != "UTC":
        return []
    try:
        iana = zoneinfo.ZoneInfo(tzid)
    except Exception:  # noqa: BLE001 -- not a name the system knows
        return []
    errs = []
    day = datetime.datetime(1970, 1, 2, 12)
    prev = None
    while day.year < 2038 and len(errs) < 5:
        off = day.replace(tzinfo=iana).utcoffset()
        hours = [day]
        if prev is not None and off != prev:
            hours = [day.replace(hour=0) + datetime.timedelta(hours=h) for h in range(-24, 48)]
        for local in hours:
            if not unambiguous(local, iana):
                continue
            want = local.replace(tzinfo=iana).utcoffset()
            got = local.replace(tzinfo=zone).utcoffset()
            if got != want:
                errs.append("VTIMEZONE %s: %s is %s, zoneinfo says %s" % (tzid, local, got, want))
                break
        prev = off
        day += datetime.timedelta(days=1)
    return errs


def prop_value(v):
    if isinstance(v, icalendar.prop.vText):
        return str(v)
    if isinstance(v, icalendar.prop.vCategory):
        return [str(c) for c in v.cats]
    return v.to_ical().decode("utf-8")


def props_of(comp):
    props, params = {}, {}
    for name, v in comp.property_items(recursive=False):
        if name in ("BEGIN", "END"):
            continue
        for one in v if isinstance(v, list) else [v]:
            props.setdefault(name, []).append(prop_value(one))
            params.setdefault(name, []).append(dict(getattr(one, "params", {}) or {}))
    return props, params


def local_dt(prop):
    """(naive local datetime or date, TZID or None, is UTC)"""
    dt = prop.dt
    if not isinstance(dt, datetime.datetime):
        return dt, None, False
    tzid = prop.params.get("TZID")
    is_utc = dt.tzinfo is not None and tzid is None
    return dt.replace(tzinfo=None), tzid, is_utc


def to_utc(prop, zones):
    local, tzid, is_utc = local_dt(prop)
    if not isinstance(local, datetime.datetime):
        return None
    if is_utc:
        return utc_iso(local.replace(tzinfo=UTC))
    if tzid:
        return utc_iso(local.replace(tzinfo=zones[tzid])) if tzid in zones else None
    return None


def rrule_parts(comp):
    rule = comp.get("RRULE")
    text = rule.to_ical().decode("utf-8")
    until = None
    parts = []
    for p in text.split(";"):
        k, _, v = p.partition("=")
        if k == "UNTIL":
            until = v
        else:
            parts.append(p)
    return ";".join(parts), until


def occurrences(comp, overrides, zones):
    start, tzid, _ = local_dt(comp["DTSTART"])
    all_day = not isinstance(start, datetime.datetime)
    first = datetime.datetime.combine(start, datetime.time()) if all_day else start
    text, until = rrule_parts(comp)
    limit = None
    if until:
        limit = (datetime.datetime.strptime(until[:8], "%Y%m%d") if len(until) == 8 else
                 datetime.datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC))
    zone = zones.get(tzid) if tzid else None
    ex = set()
    for e in comp.get("EXDATE", []) if isinstance(comp.get("EXDATE"), list) else (
            [comp["EXDATE"]] if "EXDATE" in comp else []):
        for d in e.dts:
            ex.add(d.dt.replace(tzinfo=None) if isinstance(d.dt, datetime.datetime) else
                   datetime.datetime.combine(d.dt, datetime.time()))
    out = []
    for occ in du_rrule.rrulestr(text, dtstart=first):
        if limit is not None:
            if isinstance(limit, datetime.datetime) and limit.tzinfo is not None:
                if occ.replace(tzinfo=zone or UTC) > limit:
                    break
            elif occ > limit:
                break
        if occ in ex:
            continue
        over = overrides.get(occ)
        if over is not None:
            out.append(over)
        elif all_day:
            out.append(occ.date().isoformat())
        else:
            out.append(utc_iso(occ.replace(tzinfo=zone or UTC)))
        if len(out) >= MAX_OCC:
            break
    return out


def override_starts(cal, zones):
    """(UID, original local start) -> the override's start (UTC, or a date)"""
    res = {}
    for comp in cal.walk():
        if comp.name in ("VEVENT", "VTODO") and "RECURRENCE-ID" in comp:
            rid, _, _ = local_dt(comp["RECURRENCE-ID"])
            if not isinstance(rid, datetime.datetime):
                rid = datetime.datetime.combine(rid, datetime.time())
            st, _, _ = local_dt(comp["DTSTART"])
            res.setdefault(str(comp["UID"]), {})[rid] = (
                to_utc(comp["DTSTART"], zones) if isinstance(st, datetime.datetime) else st.isoformat())
    return res


def tzid_errors(lines):
    errs, defined = [], set()
    for n, line in enumerate(lines, 1):
        m = re.match(r"TZID:(.*)$", line)
        if m:
            defined.add(m.group(1))
            continue
        head = re.match(r'[A-Za-z0-9-]+((?:;[^:;"=]+=(?:"[^"]*"|[^:;"]*))*)', line)
        for m in re.finditer(r';TZID=("[^"]*"|[^;:"]*)', head.group(1) if head else ""):
            tzid = m.group(1).strip('"')
            if tzid not in defined:
                errs.append("line %d: TZID %s has no VTIMEZONE before it" % (n, tzid))
    return errs


def check_ics(data):
    errs = line_errors(data)
    lines = unfolded(data)
    errs += tzid_errors(lines)
    text = data.decode("utf-8", "replace")
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception as e:  # noqa: BLE001
        return errs + ["icalendar cannot parse it: %s" % e], []
    if str(cal.get("VERSION")) != "2.0":
        errs.append("VERSION is not 2.0")
    if not cal.get("PRODID"):
        errs.append("no PRODID")
    try:
        zones = vtimezones(text)
    except Exception as e:  # noqa: BLE001
        return errs + ["dateutil cannot read a VTIMEZONE: %s" % e], []
    for tzid, zone in zones.items():
        errs += zone_errors(tzid, zone)
    overrides = override_starts(cal, zones)
    cats = vobject_categories(text, errs)
    comps = []
    for comp in cal.subcomponents:
        if comp.name == "VTIMEZONE":
            comps.append({"type": "VTIMEZONE", "tzid": str(comp["TZID"])})
            continue
        c = component(comp, zones, overrides, errs)
        if cats and "CATEGORIES" in c["props"]:
            c["props"]["CATEGORIES"] = cats[0]
        if cats:
            cats.pop(0)
        comps.append(c)
    return errs, comps


def vobject_categories(text, errs):
    """each VEVENT/VTODO's CATEGORIES as vobject reads them (one list per
    property), in file order: icalendar 4.0.3 splits "a\\, b" at the escaped
    comma, vobject does not"""
    try:
        vcal = vobject.readOne(text)
    except Exception as e:  # noqa: BLE001
        errs.append("vobject cannot parse it: %s" % e)
        return []
    res = []
    for c in vcal.getChildren():
        if c.name in ("VEVENT", "VTODO"):
            res.append([list(p.value) for p in c.contents.get("categories", [])])
    return res


def component(comp, zones, overrides, errs):
    props, params = props_of(comp)
    for req in ("UID", "DTSTAMP"):
        if comp.name in ("VEVENT", "VTODO") and req not in comp:
            errs.append("%s %s: no %s" % (comp.name, comp.get("UID"), req))
    utc = {}
    for name in ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "DTSTAMP", "CREATED",
                 "LAST-MODIFIED", "COMPLETED"):
        if name in comp:
            u = to_utc(comp[name], zones)
            if u:
                utc[name] = u
    c = {"type": comp.name, "props": props, "params": params, "utc": utc,
         "alarms": [props_of(a)[0] for a in comp.subcomponents if a.name == "VALARM"]}
    if "RRULE" in comp and "DTSTART" in comp:
        c["occurrences"] = occurrences(comp, overrides.get(str(comp.get("UID")), {}), zones)
    return c


# ---- vCard ----

def vcard_value(v):
    if isinstance(v, vobject.vcard.Name):
        return {"family": v.family, "given": v.given, "additional": v.additional,
                "prefix": v.prefix, "suffix": v.suffix}
    if isinstance(v, vobject.vcard.Address):
        return {"box": v.box, "extended": v.extended, "street": v.street, "city": v.city,
                "region": v.region, "code": v.code, "country": v.country}
    return v


def check_vcf(data):
    errs = line_errors(data)
    lines = unfolded(data)
    for n, line in enumerate(lines, 1):
        if line == "BEGIN:VCARD" and (n >= len(lines) or not lines[n].startswith("VERSION:")):
            errs.append("line %d: VERSION does not follow BEGIN:VCARD" % n)
    comps = []
    try:
        cards = list(vobject.readComponents(data.decode("utf-8")))
    except Exception as e:  # noqa: BLE001
        return errs + ["vobject cannot parse it: %s" % e], []
    for card in cards:
        props, params = {}, {}
        for ch in card.getChildren():
            props.setdefault(ch.name, []).append(vcard_value(ch.value))
            params.setdefault(ch.name, []).append({k: ",".join(v) for k, v in ch.params.items()})
        version = props.get("VERSION", [""])[0]
        need = ("FN", "UID") + (("N",) if version == "3.0" else ())
        for req in need:
            if req not in props:
                errs.append("VCARD %s: no %s" % (props.get("FN"), req))
        comps.append({"type": "VCARD", "props": props, "params": params})
    return errs, comps


def main(argv):
    out, bad = {}, False
    for path in argv:
        with open(path, "rb") as f:
            data = f.read()
        kind = "vcf" if path.endswith(".vcf") else "ics"
        errs, comps = (check_vcf if kind == "vcf" else check_ics)(data)
        out[path] = {"type": kind, "errors": errs, "components": comps}
        bad = bad or bool(errs)
    json.dump({"files": out}, sys.stdout, indent=1, default=str, ensure_ascii=False)
    sys.stdout.write("\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
