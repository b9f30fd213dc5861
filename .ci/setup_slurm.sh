#!/usr/bin/env bash
# A single-node SLURM on this machine for tests/test_slurm.py (Debian's packages; root; no
# systemd, no slurmdbd: job status comes from squeue, as profiles/slurm asks).
#   bash .ci/setup_slurm.sh [start|stop]     env: FAKE_GPUS (2), PARTITION (debug)
# GPUs are fake: character devices aliasing /dev/null, listed in gres.conf, so `--gpus=1` is
# scheduled like on a GPU cluster (CUDA_VISIBLE_DEVICES is set; torch still finds no CUDA).
# Exits non-zero with one line on stderr where the machine cannot (not root, no mknod, no apt).
set -euo pipefail
FAKE_GPUS=${FAKE_GPUS:-2}
PARTITION=${PARTITION:-debug}
PIDS="/run/slurmd.pid /run/slurmctld.pid /run/munge/munged.pid"

stop() {
  for f in $PIDS; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    rm -f "$f"
  done
}
fail() { echo "setup_slurm: $*" >&2; exit 1; }

if [ "${1:-start}" = stop ]; then stop; exit 0; fi
[ "$(id -u)" = 0 ] || fail "needs root (packages, munge key, /dev nodes)"
if sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
  echo "SLURM already up"; exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge \
    >/dev/null || fail "apt-get install slurmctld slurmd slurm-client munge failed"
fi

# munge: a key, then the daemon by hand (its service start is denied in containers)
if [ ! -s /etc/munge/munge.key ]; then
  head -c 1024 /dev/urandom > /etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi
install -d -o munge -g munge -m 755 /run/munge
munge -n 2>/dev/null | unmunge >/dev/null 2>&1 || runuser -u munge -- /usr/sbin/munged
for _ in $(seq 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
munge -n | unmunge >/dev/null || fail "munged does not answer"

host=$(hostname -s)
mem=$(free -m | awk '/^Mem:/ {print $2}')
topology=$(slurmd -C | head -1 | grep -oE 'CPUs=.*ThreadsPerCore=[0-9]+')
install -d -o slurm -g slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm

gres=""
rm -f /etc/slurm/gres.conf
if [ "$FAKE_GPUS" -gt 0 ]; then
  for i in $(seq 0 $((FAKE_GPUS - 1))); do
    [ -e "/dev/fakegpu$i" ] || mknod -m 666 "/dev/fakegpu$i" c 1 3 || fail "mknod not permitted"
  done
  printf 'AutoDetect=off\nNodeName=%s Name=gpu File=/dev/fakegpu[0-%d]\n' \
    "$host" $((FAKE_GPUS - 1)) > /etc/slurm/gres.conf
  gres="Gres=gpu:$FAKE_GPUS"
fi

# MinJobAge: squeue forgets a finished job after this many seconds; keep it well above the
# profile's status interval (an hour here, so the tests can read back every job of a long run).
# DefMemPerCPU: without it a job takes the whole node's memory and jobs run one at a time.
cat > /etc/slurm/slurm.conf <<EOF
ClusterName=advsal-ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
MpiDefault=none
ReturnToService=2
AccountingStorageType=accounting_storage/none
MinJobAge=3600
GresTypes=gpu
NodeName=$host NodeAddr=127.0.0.1 $topology RealMemory=$mem $gres State=UNKNOWN
PartitionName=$PARTITION Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

rm -f /var/lib/slurm/slurmctld/clustername # a new cluster: forget an earlier one's name
slurmctld || fail "slurmctld: $(tail -n 1 /var/log/slurm/slurmctld.log)"
slurmd || fail "slurmd: $(tail -n 1 /var/log/slurm/slurmd.log)"
for _ in $(seq 60); do
  sinfo -h -o %t 2>/dev/null | grep -qx idle && break
  sleep 0.5
done
sinfo -h -o %t | grep -qx idle || fail "node not idle: $(sinfo -h -o '%t %E' 2>&1)"
timeout 60 srun -t 1 true || fail "srun does not run a job"
if [ "$FAKE_GPUS" -gt 0 ]; then
  timeout 60 srun -t 1 --gpus=1 printenv CUDA_VISIBLE_DEVICES >/dev/null ||
    fail "a --gpus=1 job does not start"
fi
echo "SLURM up: partition $PARTITION, $(nproc) CPUs, $FAKE_GPUS fake GPUs"
