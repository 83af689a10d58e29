#!/bin/bash
# Builds the package world of RpmPatchE2ETest with the real rpm tools: the specs in specs/ built by
# rpmbuild at two versions (a BaseOS repository and an Updates repository), signed by rpmsign with a
# key made here, indexed by createrepo_c, repomd.xml signed by gpg --detach-sign --armor; the bad copies
# of the Updates repository the bad-input test serves (a package whose signature does not verify, one
# signed by a key no one trusts, a repomd.xml.asc that does not match); and the distroless test's packages.
#
# Usage: [ALTERNATIVES=/path/to/alternatives] make-world.sh OUT. Writes OUT/home (HOME with the rpm macros every rpm/dnf call uses),
# OUT/gnupg, OUT/RPM-GPG-KEY-imagepatch-test, OUT/www/{good,bad-signature,unknown-key,bad-repomd}/test/9/...,
# OUT/www/good/azurelinux/x86_64 (the distroless tests' repository)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
export HOME="$out/home" GNUPGHOME="$out/gnupg"
mkdir -p "$HOME" "$GNUPGHOME" "$out/build"
chmod 700 "$GNUPGHOME"
# Debian's rpm keeps its database in ~/.rpmdb; RHEL 9's is /var/lib/rpm. The payload as RHEL 9's (zstd);
# no stripping or debuginfo: the binaries are this machine's, packaged as they are.
cat > "$HOME/.rpmmacros" <<MACROS
%_dbpath /var/lib/rpm
%_topdir $out/build
%_binary_payload w19.zstdio
%__os_install_post %{nil}
%debug_package %{nil}
%_build_id_links none
%_gpg_path $GNUPGHOME
%_gpg_name imagepatch test
%__gpg /usr/bin/gpg
MACROS

gpg --batch -q --passphrase '' --quick-gen-key 'imagepatch test <rpm-test@archive.example>' rsa2048 sign never
gpg --batch -q --armor --export 'imagepatch test' > "$out/RPM-GPG-KEY-imagepatch-test"

good="$out/www/good/test/9"
build() { # stage spec [defines...]
  local stage="$1" spec="$2"; shift 2
  rpmbuild -bb --quiet --define "_rpmdir $good/$stage/x86_64/os/Packages" --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
    --define "test_key $out/RPM-GPG-KEY-imagepatch-test" --define "update_ca_trust $here/update-ca-trust" \
    "$@" "$here/specs/$spec.spec" >/dev/null
}
# With ALTERNATIVES (a build of RHEL's alternatives), acme's packages register alternatives as RHEL's do.
alt=()
if [ -n "${ALTERNATIVES:-}" ]; then
  build baseos chkconfig --define "alternatives_bin $ALTERNATIVES"
  alt=(--define "with_alternatives 1")
fi
for s in setup filesystem test-release glibc busybox libffi libtasn1 p11-kit ca-certificates; do
  build baseos "$s"
done
for s in acme acme-legacy; do
  build baseos "$s" "${alt[@]}"
done
for s in glibc libtasn1 p11-kit ca-certificates zlib; do
  build updates "$s" --define "updates 1"
done
build updates acme --define "updates 1" "${alt[@]}"
# Azure Linux: newer versions of two packages of the distroless manifest vector.
azure="$out/www/good/azurelinux/x86_64"
for p in glibc:glibc::2.35:3.cm2:x86_64 openssl-libs:openssl::1.1.1k:16.cm2:x86_64 \
    ca-certificates-base:ca-certificates:1:3.0.0:9.azl3:noarch; do
  IFS=: read -r pkg src epoch ver rel arch <<<"$p"
  rpmbuild -bb --quiet --define "_rpmdir $azure/Packages" --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
    --define "pkg $pkg" --define "src $src" --define "ver $ver" --define "rel $rel" --define "arch $arch" \
    ${epoch:+--define "epoch_num $epoch"} "$here/specs/azurelinux.spec" >/dev/null
done
rpmsign --addsign "$good"/*/x86_64/os/Packages/*.rpm "$azure"/Packages/*.rpm >/dev/null

repo() { # dir
  createrepo_c -q --simple-md-filenames --no-database "$1" >/dev/null
  rm -f "$1/repodata/repomd.xml.asc"
  gpg --batch -q --detach-sign --armor "$1/repodata/repomd.xml"
}
for stage in baseos updates; do
  repo "$good/$stage/x86_64/os"
done
repo "$azure"

# Bad copies of the Updates repository (BaseOS shared), each with the repository's checksums recomputed
# so only the signature can tell: acme-tools' header signature with one byte changed (it does not verify),
# and acme-tools signed by a key no one trusts; and a repomd.xml changed after it was signed.
gpg --batch -q --passphrase '' --quick-gen-key 'impostor <impostor@archive.example>' rsa2048 sign never
for bad in bad-signature unknown-key bad-repomd; do
  mkdir -p "$out/www/$bad/test/9"
  ln -s "$good/baseos" "$out/www/$bad/test/9/baseos"
  cp -r "$good/updates" "$out/www/$bad/test/9/updates"
done
python3 "$here/corrupt-signature.py" "$out/www/bad-signature/test/9/updates/x86_64/os/Packages/acme-tools-2.0-1.el9.x86_64.rpm"
repo "$out/www/bad-signature/test/9/updates/x86_64/os"
rpmsign --define "_gpg_name impostor" --resign "$out/www/unknown-key/test/9/updates/x86_64/os/Packages/acme-tools-2.0-1.el9.x86_64.rpm" >/dev/null
repo "$out/www/unknown-key/test/9/updates/x86_64/os"
# A repomd.xml changed after it was signed.
printf '<!-- changed after signing -->\n' >> "$out/www/bad-repomd/test/9/updates/x86_64/os/repodata/repomd.xml"
gpgconf --kill gpg-agent || true
