#!/usr/bin/env bash
# deps.sh -- make sure sgdsweep's dependencies are present.
#
#   scripts/deps.sh build [test] [bench]
#
# On Debian/Ubuntu as root: installs the missing packages with apt-get.
# Elsewhere (a cluster without root): prints what is missing and how to get
# it, and exits 1. Exits 0 when everything is present.
set -u

build_pkgs="build-essential pkg-config libopenmpi-dev openmpi-bin libhdf5-dev hdf5-tools libopenblas-dev libgsl-dev libyaml-dev"
test_pkgs="check python3-h5py python3-numpy python3-xarray python3-h5netcdf python3-matplotlib python3-scipy python3-yaml slurmctld slurmd slurm-client munge"
bench_pkgs="python3-torch"

want=""
for set in "$@"; do
    case "$set" in
        build) want="$want $build_pkgs" ;;
        test) want="$want $test_pkgs" ;;
        bench) want="$want $bench_pkgs" ;;
        *) echo "deps.sh: unknown set '$set' (accepted: build, test, bench)" >&2; exit 2 ;;
    esac
done

if command -v dpkg-query >/dev/null 2>&1; then
    missing=""
    for p in $want; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
    done
    [ -z "$missing" ] && exit 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "deps: installing$missing"
        export DEBIAN_FRONTEND=noninteractive
        # an install from stale or empty package lists fails: update once, retry
        apt-get install -y -q --no-install-recommends $missing >/tmp/sgdsweep-apt.log 2>&1 ||
            { apt-get update -q >>/tmp/sgdsweep-apt.log 2>&1 &&
              apt-get install -y -q --no-install-recommends $missing >>/tmp/sgdsweep-apt.log 2>&1; } ||
            { echo "deps: apt-get install failed (log: /tmp/sgdsweep-apt.log)" >&2; tail -5 /tmp/sgdsweep-apt.log >&2; exit 1; }
        exit 0
    fi
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: as root run: apt-get install$missing" >&2
    exit 1
fi

# Not Debian: check by pkg-config modules and commands, and say what to load.
missing=""
for m in openblas gsl hdf5-serial:hdf5 yaml-0.1; do
    ok=0
    for alt in ${m//:/ }; do pkg-config --exists "$alt" 2>/dev/null && ok=1; done
    [ $ok = 1 ] || missing="$missing ${m%%:*}"
done
for c in mpicc mpirun h5dump; do command -v $c >/dev/null 2>&1 || missing="$missing $c"; done
case " $want " in *" check "*) pkg-config --exists check 2>/dev/null || missing="$missing check" ;; esac
[ -z "$missing" ] && exit 0
echo "deps: missing:$missing" >&2
echo "deps: on a cluster try e.g. 'module load openmpi hdf5 openblas gsl libyaml' (names vary: 'module avail')," >&2
echo "deps: and make their .pc files visible through PKG_CONFIG_PATH." >&2
exit 1
