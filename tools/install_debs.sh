#!/bin/sh
# Install Debian packages for an optional part of the test set (the network lab), waiting
# for another apt or dpkg to finish instead of failing on its lock.
# Usage: tools/install_debs.sh WHAT PACKAGE...   (WHAT names the part, for the messages)
# Exits 0 also when nothing could be installed: it then says plainly what to install; the
# tests that need the packages skip and say so.
what=$1; shift
wait_s=${APT_LOCK_WAIT:-300}
advice="install them yourself (apt-get install -y $*); until then the $what tests skip"
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "$what: needs $* (not root or no apt-get, so not installed): $advice"
  exit 0
fi
# apt-get update takes the lists lock without waiting; try again while another apt holds it
deadline=$(( $(date +%s) + wait_s )); said=""
while :; do
  if out=$(apt-get update -qq 2>&1); then break; fi
  if echo "$out" | grep -q "Could not get lock" && [ "$(date +%s)" -lt "$deadline" ]; then
    [ -n "$said" ] || echo "$what: another apt or dpkg is running; waiting up to ${wait_s} s for it"
    said=yes; sleep 2; continue
  fi
  echo "$out" >&2
  echo "$what: apt-get update failed (above): $advice"; exit 0
done
if ! apt-get -o DPkg::Lock::Timeout="$wait_s" install -y -qq "$@" >/dev/null; then
  echo "$what: apt-get install $* failed (above): $advice"; exit 0
fi
echo "$what: installed $*"
