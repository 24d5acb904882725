#!/bin/sh
# OpenCV's native library (libOpenCvSharpExtern.so, from OpenCvSharp4.official.runtime.linux-x64, the only OpenCV
# runtime for linux-x64 on NuGet) links GTK 3. This checks that the Debian package libgtk-3-0 is installed and, with
# "install", installs it with apt-get (as root, or with sudo that asks no password). Builds call it through
# NativeDependencies.targets; a lock makes the parallel builds of one solution install once.
#   native-dependencies.sh check|install
# Exit 0: present (or installed). Exit 1: missing, with the command to run on stderr.
set -u
mode="${1:-check}"
have_gtk() { ldconfig -p 2>/dev/null | grep -q 'libgtk-3\.so\.0'; }
have_gtk && exit 0
[ "$(uname -s)" = Linux ] || exit 0

fix="sudo apt-get install -y libgtk-3-0"
if [ "$mode" = install ] && command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"
  else sudo="none"
  fi
  if [ "$sudo" != none ]; then
    lock="${TMPDIR:-/tmp}/controlnet-native-dependencies.lock"
    (
      command -v flock >/dev/null 2>&1 && flock 9
      have_gtk && exit 0
      echo "ControlNet: installing libgtk-3-0 (OpenCV's native library links GTK 3) with apt-get ..." >&2
      export DEBIAN_FRONTEND=noninteractive
      $sudo apt-get install -y -q --no-install-recommends libgtk-3-0 >/dev/null 2>&1 \
        || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q --no-install-recommends libgtk-3-0 >/dev/null 2>&1; }
    ) 9>"$lock"
    have_gtk && { echo "ControlNet: libgtk-3-0 installed." >&2; exit 0; }
    echo "apt-get could not install libgtk-3-0; install it by hand: $fix" >&2
    exit 1
  fi
fi
echo "OpenCV's native library needs GTK 3, which is not installed: $fix" >&2
exit 1
