#!/usr/bin/env python3
"""Builds a signed apk v2 repository from a real Alpine root filesystem, for imagepatch's tests.

Every package of the rootfs's lib/apk/db/installed (or the ones chosen) is packed back into a v2
.apk from that rootfs's own files, record and scripts, then indexed in a signed APKINDEX.tar.gz:
what an Alpine repository serving that rootfs's packages would hold, but signed with the test's key.
Only the Python standard library (tarfile, zlib, hashlib, base64) and the `openssl` command are used.

Usage:
  make-apk-repository.py --rootfs NEW.tar.gz --key KEY.rsa --out DIR [options]
  make-apk-repository.py --empty ARCH --key KEY.rsa --out DIR            (a signed index of nothing)

  --rootfs FILE        the new root filesystem, a .tar.gz (an Alpine minirootfs), read in place
  --key FILE           the RSA private key (PEM) signing packages and index
  --key-name NAME      the public key's file name as apk looks it up in /etc/apk/keys
                       (default: the key's file name + ".pub", abuild's convention: KEY.rsa -> KEY.rsa.pub)
  --out DIR            writes DIR/<arch>/<name>-<version>.apk, DIR/<arch>/APKINDEX.tar.gz and
                       DIR/<arch>/packages.tsv (name, version, index C:, S:, file; for the tests)
  --changed-from FILE  only the packages whose version differs from (or are missing in) this
                       installed database: a lib/apk/db/installed file, or a rootfs .tar.gz holding one
  --packages A,B       only these packages (applied after --changed-from)
  --sha256             sign with .SIGN.RSA256.<name> (SHA-256) as well as .SIGN.RSA.<name> (SHA-1)
  --description TEXT   the index's DESCRIPTION (default: "imagepatch test repository")
  Bad inputs, for the tests that must refuse them:
  --unsigned-index             the index has no signature member
  --index-key FILE --index-key-name NAME   sign the index with this other key
  --escape NAME                package NAME's data also holds "../escaped-by-NAME" (consistent checksums)
  --index-checksum-of NAME=OTHER   the index's C: of NAME is OTHER's (a control checksum mismatch)
  --wrong-checksum NAME        the index's C: of NAME is a well-formed Q1 of no package (a mismatch that
                               does not also make two stanzas one package, as a shared C: does for apk)
  --apkv3-index                APKINDEX.tar.gz is an APKv3 (ADB) file instead

The .apk is three gzip members, as abuild writes them:
  1. signature tar, cut (no end-of-archive blocks): .SIGN.RSA.<name> = RSA-SHA1 signature
     (openssl dgst -sha1 -sign) of member 2's compressed bytes;
  2. control tar, cut: .PKGINFO from the record (pkgname P, pkgver V, pkgdesc T, url U, builddate t,
     size I, arch A, origin o, commit c, maintainer m, provider_priority k, license L, replaces r,
     depend D, provides p, install_if i, triggers from lib/apk/db/triggers, then datahash = sha256 of
     member 3's compressed bytes), then the package's scripts from lib/apk/db/scripts.tar
     (`<name>-<version>.<Q1checksum>.<action>` -> `.<action>`);
  3. data tar, PAX format, with end-of-archive: entries in the record's F:/R: order, directories'
     modes and owners from M:, files' from a: (apk's defaults 0:0:755 and 0:0:644), each file and
     symlink with a PAX record APK-TOOLS.checksum.SHA1 (of the content, or of the link target),
     mtime = the record's builddate t:.
The index's C: is Q1 + base64(sha1(member 2's compressed bytes)), S: the .apk's size. The index is a
signature member as above, then a gzipped tar of DESCRIPTION and APKINDEX (with end-of-archive, as
`apk index` writes it); stanzas in apk-tools 2's order: C P V A S I T U L o m t c k D p i.
A file whose content no longer matches its record's Z: (changed after install) is reported on stderr,
except etc/shadow, whose package content is restored when the rootfs builder only locked root's
password (root:*: or root:!: back to root::) and the result matches the record's Z:.
"""
import argparse
import base64
import gzip
import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile

INDEX_ORDER = "CPVASITULomtckDpi"


def fail(msg):
    sys.stderr.write("make-apk-repository: " + msg + "\n")
    sys.exit(1)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def q1(data):
    return "Q1" + base64.b64encode(hashlib.sha1(data).digest()).decode()


def parse_installed(text):
    """The records of an installed database: a list of dicts with 'fields' [(k, v)] and 'entries'."""
    records = []
    for stanza in text.split("\n\n"):
        lines = [line for line in stanza.split("\n") if line]
        if not lines:
            continue
        rec = {"fields": [], "entries": []}
        current = None
        for line in lines:
            if len(line) < 2 or line[1] != ":":
                fail("not a K:value line: " + repr(line))
            k, v = line[0], line[2:]
            if k == "F":
                current = {"kind": "dir", "path": v, "acl": None}
                rec["entries"].append(current)
            elif k == "M":
                current["acl"] = v
            elif k == "R":
                d = next(e for e in reversed(rec["entries"]) if e["kind"] == "dir") if rec["entries"] else None
                dirname = d["path"] if d else ""
                current = {"kind": "file", "path": (dirname + "/" + v) if dirname else v, "acl": None, "Z": None}
                rec["entries"].append(current)
            elif k == "a":
                current["acl"] = v
            elif k == "Z":
                current["Z"] = v
            else:
                rec["fields"].append((k, v))
        records.append(rec)
    return records


def field(rec, key):
    for k, v in rec["fields"]:
        if k == key:
            return v
    return None


def read_rootfs(path):
    """name -> (TarInfo, bytes or None), names normalized ("./etc/x" -> "etc/x")."""
    out = {}
    with tarfile.open(path, "r:*") as t:
        for m in t:
            name = m.name
            while name.startswith("./"):
                name = name[2:]
            name = name.strip("/")
            data = t.extractfile(m).read() if m.isreg() else None
            out[name] = (m, data)
    return out


def id_names(files, path):
    names = {0: "root"}
    entry = files.get(path)
    if entry and entry[1] is not None:
        for line in entry[1].decode("utf-8", "replace").splitlines():
            parts = line.split(":")
            if len(parts) >= 3 and parts[2].isdigit():
                names.setdefault(int(parts[2]), parts[0])
    return names


def sign(key, data, digest):
    r = subprocess.run(["openssl", "dgst", "-" + digest, "-sign", key], input=data, capture_output=True)
    if r.returncode != 0:
        fail("openssl dgst -%s -sign %s: %s" % (digest, key, r.stderr.decode()))
    return r.stdout


def tar_bytes(entries, cut):
    """A PAX tar of (TarInfo, bytes or None); cut: without the end-of-archive blocks."""
    buf = io.BytesIO()
    t = tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
    for info, data in entries:
        t.addfile(info, io.BytesIO(data) if data is not None else None)
    if cut:
        return buf.getvalue()[:t.offset]
    t.close()
    return buf.getvalue()


def plain_info(name, size, mtime, mode=0o644):
    i = tarfile.TarInfo(name)
    i.size = size
    i.mtime = mtime
    i.mode = mode
    i.uid = i.gid = 0
    i.uname = i.gname = "root"
    return i


def signature_member(keys, data, mtime, sha256):
    entries = []
    for key, name in keys:
        sig = sign(key, data, "sha1")
        entries.append((plain_info(".SIGN.RSA." + name, len(sig), mtime), sig))
        if sha256:
            sig = sign(key, data, "sha256")
            entries.append((plain_info(".SIGN.RSA256." + name, len(sig), mtime), sig))
    return gz(tar_bytes(entries, cut=True))


def acl(value, default_mode):
    if not value:
        return 0, 0, default_mode
    uid, gid, mode = value.split(":")
    return int(uid), int(gid), int(mode, 8)


def pack(rec, files, scripts, triggers, users, groups, keys, sha256, escape, warnings):
    name, version = field(rec, "P"), field(rec, "V")
    builddate = int(field(rec, "t") or 0)
    data_entries = []
    for e in rec["entries"]:
        if e["kind"] == "dir":
            if not e["path"]:
                continue
            uid, gid, mode = acl(e["acl"], 0o755)
            i = tarfile.TarInfo(e["path"] + "/")
            i.type = tarfile.DIRTYPE
            i.mode, i.uid, i.gid, i.mtime = mode, uid, gid, builddate
            i.uname, i.gname = users.get(uid, ""), groups.get(gid, "")
            data_entries.append((i, None))
            continue
        found = files.get(e["path"])
        if found is None:
            fail("%s-%s: %s is in the record but not in the rootfs" % (name, version, e["path"]))
        src, content = found
        uid, gid, mode = acl(e["acl"], 0o644)
        i = tarfile.TarInfo(e["path"])
        i.mode, i.uid, i.gid, i.mtime = mode, uid, gid, builddate
        i.uname, i.gname = users.get(uid, ""), groups.get(gid, "")
        if src.issym():
            i.type = tarfile.SYMTYPE
            i.linkname = src.linkname
            summed = src.linkname.encode()
        elif src.isreg():
            i.type = tarfile.REGTYPE
            i.size = len(content)
            summed = content
        else:
            fail("%s-%s: %s is neither a file nor a symlink in the rootfs" % (name, version, e["path"]))
        i.pax_headers = {"APK-TOOLS.checksum.SHA1": hashlib.sha1(summed).hexdigest()}
        if e["Z"] and e["Z"] != q1(summed) and src.isreg():
            # The minirootfs builder locks root's password after apk installed etc/shadow; the
            # package's own file is the one with root's field empty, which its Z: proves.
            restored = re.sub(rb"^root:[*!]:", b"root::", content, count=1)
            if restored != content and e["Z"] == q1(restored):
                content = summed = restored
                i.size = len(content)
                i.pax_headers = {"APK-TOOLS.checksum.SHA1": hashlib.sha1(summed).hexdigest()}
        if e["Z"] and e["Z"] != q1(summed):
            warnings.append("%s-%s: %s does not match its record's Z: (%s, the rootfs has %s)"
                            % (name, version, e["path"], e["Z"], q1(summed)))
        data_entries.append((i, content))
    if escape:
        evil = b"escaped\n"
        i = plain_info("../escaped-by-" + name, len(evil), builddate)
        i.pax_headers = {"APK-TOOLS.checksum.SHA1": hashlib.sha1(evil).hexdigest()}
        data_entries.append((i, evil))
    data = gz(tar_bytes(data_entries, cut=False))

    pkginfo = ["# Generated by imagepatch's make-apk-repository.py from an installed database record"]

    def put(key, value):
        if value is not None:
            pkginfo.append("%s = %s" % (key, value))

    put("pkgname", name)
    put("pkgver", version)
    put("pkgdesc", field(rec, "T"))
    put("url", field(rec, "U"))
    put("builddate", field(rec, "t"))
    put("size", field(rec, "I"))
    put("arch", field(rec, "A"))
    put("origin", field(rec, "o"))
    put("commit", field(rec, "c"))
    put("maintainer", field(rec, "m"))
    put("provider_priority", field(rec, "k"))
    put("license", field(rec, "L"))
    for key, pkgkey in (("r", "replaces"), ("D", "depend"), ("p", "provides"), ("i", "install_if")):
        for token in (field(rec, key) or "").split():
            put(pkgkey, token)
    put("replaces_priority", field(rec, "q"))
    put("triggers", triggers)
    put("datahash", hashlib.sha256(data).hexdigest())
    pkginfo_bytes = ("\n".join(pkginfo) + "\n").encode()
    control_entries = [(plain_info(".PKGINFO", len(pkginfo_bytes), builddate), pkginfo_bytes)]
    for action, content in scripts:
        control_entries.append((plain_info("." + action, len(content), builddate, 0o755), content))
    control = gz(tar_bytes(control_entries, cut=True))
    signature = signature_member(keys, control, builddate, sha256)
    return signature + control + data, q1(control)


def scripts_of(files):
    """(name-version) -> [(action, bytes)] in scripts.tar order; the checksum part may hold '/'."""
    out = {}
    entry = files.get("lib/apk/db/scripts.tar")
    if not entry:
        return out
    with tarfile.open(fileobj=io.BytesIO(entry[1])) as t:
        for m in t:
            if not m.isreg():
                continue
            head, sep, action = m.name.rpartition(".")
            marker = head.rfind(".Q1")
            if not sep or marker < 0:
                fail("scripts.tar entry not <name>-<version>.<Q1checksum>.<action>: " + m.name)
            out.setdefault((head[:marker], head[marker + 1:]), []).append((action, t.extractfile(m).read()))
    return out


def triggers_of(files):
    out = {}
    entry = files.get("lib/apk/db/triggers")
    if entry:
        for line in entry[1].decode().splitlines():
            parts = line.split(" ", 1)
            if len(parts) == 2:
                out[parts[0]] = parts[1].strip()
    return out


def index_member(stanzas, description):
    text = "".join(s + "\n" for s in stanzas).encode()
    desc = description.encode()
    return gz(tar_bytes([(plain_info("DESCRIPTION", len(desc), 0), desc),
                         (plain_info("APKINDEX", len(text), 0), text)], cut=False))


def stanza(rec, checksum, size):
    lines = []
    for key in INDEX_ORDER:
        if key == "C":
            value = checksum
        elif key == "S":
            value = str(size)
        else:
            value = field(rec, key)
        if value is not None:
            lines.append(key + ":" + value)
    return "\n".join(lines) + "\n"


def old_versions(path):
    if path.endswith(".gz") or path.endswith(".tar"):
        files = read_rootfs(path)
        text = files["lib/apk/db/installed"][1].decode()
    else:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    return {field(r, "P"): field(r, "V") for r in parse_installed(text)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rootfs")
    p.add_argument("--key", required=True)
    p.add_argument("--key-name")
    p.add_argument("--out", required=True)
    p.add_argument("--changed-from")
    p.add_argument("--packages")
    p.add_argument("--sha256", action="store_true")
    p.add_argument("--description", default="imagepatch test repository")
    p.add_argument("--unsigned-index", action="store_true")
    p.add_argument("--index-key")
    p.add_argument("--index-key-name")
    p.add_argument("--escape", action="append", default=[])
    p.add_argument("--index-checksum-of", action="append", default=[])
    p.add_argument("--wrong-checksum", action="append", default=[])
    p.add_argument("--apkv3-index", action="store_true")
    p.add_argument("--empty", metavar="ARCH")
    a = p.parse_args()
    key_name = a.key_name or os.path.basename(a.key) + ".pub"
    keys = [(a.key, key_name)]
    index_keys = [] if a.unsigned_index else (
        [(a.index_key, a.index_key_name or os.path.basename(a.index_key) + ".pub")] if a.index_key else keys)

    if a.empty:
        arch_dir = os.path.join(a.out, a.empty)
        os.makedirs(arch_dir, exist_ok=True)
        member = index_member([], a.description)
        signed = (signature_member(index_keys, member, 0, a.sha256) if index_keys else b"") + member
        with open(os.path.join(arch_dir, "APKINDEX.tar.gz"), "wb") as f:
            f.write(signed)
        open(os.path.join(arch_dir, "packages.tsv"), "w").close()
        return
    if not a.rootfs:
        fail("--rootfs is required (or --empty ARCH)")

    files = read_rootfs(a.rootfs)
    db = files.get("lib/apk/db/installed") or files.get("usr/lib/apk/db/installed")
    if db is None:
        fail(a.rootfs + " has no lib/apk/db/installed")
    records = parse_installed(db[1].decode())
    if a.changed_from:
        old = old_versions(a.changed_from)
        records = [r for r in records if old.get(field(r, "P")) != field(r, "V")]
    if a.packages:
        wanted = set(a.packages.split(","))
        records = [r for r in records if field(r, "P") in wanted]
        missing = wanted - {field(r, "P") for r in records}
        if missing:
            fail("no such packages to pack: " + ", ".join(sorted(missing)))
    scripts = scripts_of(files)
    triggers = triggers_of(files)
    users = id_names(files, "etc/passwd")
    groups = id_names(files, "etc/group")
    warnings = []
    by_arch = {}
    built = {}
    for rec in records:
        name, version, arch = field(rec, "P"), field(rec, "V"), field(rec, "A")
        installed_checksum = field(rec, "C")
        apk, checksum = pack(rec, files, scripts.get(("%s-%s" % (name, version), installed_checksum), []),
                             triggers.get(installed_checksum), users, groups, keys, a.sha256,
                             name in a.escape, warnings)
        arch_dir = os.path.join(a.out, arch)
        os.makedirs(arch_dir, exist_ok=True)
        filename = "%s-%s.apk" % (name, version)
        with open(os.path.join(arch_dir, filename), "wb") as f:
            f.write(apk)
        built[name] = (checksum, len(apk))
        by_arch.setdefault(arch, []).append((rec, filename))
    for spec in a.index_checksum_of:
        target, _, other = spec.partition("=")
        if target not in built or other not in built:
            fail("--index-checksum-of " + spec + ": both packages must be packed")
    swapped = {t: o for t, _, o in (s.partition("=") for s in a.index_checksum_of)}
    for arch, entries in by_arch.items():
        arch_dir = os.path.join(a.out, arch)
        stanzas, tsv = [], []
        for rec, filename in entries:
            name = field(rec, "P")
            checksum, size = built[name]
            listed = built[swapped[name]][0] if name in swapped else checksum
            if name in a.wrong_checksum:
                listed = "Q1" + base64.b64encode(hashlib.sha1(b"not " + checksum.encode()).digest()).decode()
            stanzas.append(stanza(rec, listed, size))
            tsv.append("\t".join([name, field(rec, "V"), listed, str(size), filename]))
        if a.apkv3_index:
            signed = b"ADB.indx" + b"\0" * 56
        else:
            member = index_member(stanzas, a.description)
            signed = (signature_member(index_keys, member, 0, a.sha256) if index_keys else b"") + member
        with open(os.path.join(arch_dir, "APKINDEX.tar.gz"), "wb") as f:
            f.write(signed)
        with open(os.path.join(arch_dir, "packages.tsv"), "w") as f:
            f.write("".join(line + "\n" for line in tsv))
    for w in warnings:
        sys.stderr.write("make-apk-repository: warning: " + w + "\n")
    print("packed %d packages into %s" % (len(built), a.out))


if __name__ == "__main__":
    main()
