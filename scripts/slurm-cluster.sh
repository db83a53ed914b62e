#!/usr/bin/env bash
# A real single-node Slurm cluster on 127.0.0.1, for trying and testing conc's shards:
#
#   bash scripts/slurm-cluster.sh start DIR   # munged, slurmctld and slurmd with their state in DIR
#   export SLURM_CONF=DIR/etc/slurm.conf      # then sbatch, srun, squeue talk to it
#   bash scripts/slurm-cluster.sh stop DIR    # cancels the jobs, stops the daemons by their PIDs
#
# Debian's munge, slurmctld, slurmd and slurm-client (scripts/setup.sh installs them). No systemd
# and no cgroups: processes are tracked by linuxproc, tasks are not contained (task/none). The
# daemons run as the caller (root, to run jobs as root), every port is bound on 127.0.0.1's node;
# the ports are SLURMCTLD_PORT and SLURMD_PORT (default 6817 and 6818; start refuses taken ones).
# SLURM_CLUSTER_CPUS advertises more CPUs than the machine has, so that more tasks run at once.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
action=$1
dir=$2

conf() { echo "$dir/etc/slurm.conf"; }

# The PID in a pid file, if that process is still the daemon named (Debian runs slurmctld and
# slurmd as slurmctld-wlm and slurmd-wlm through alternatives).
live_pid() {
  local file=$1 name=$2 pid exe
  [ -s "$file" ] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [ -n "$pid" ] || return 1
  exe=$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)" 2>/dev/null) || return 1
  case "$exe" in
    "$name" | "$name-wlm") echo "$pid" ;;
    *) return 1 ;;
  esac
}

# Waits, bounded, for a process to end; then kills it.
end_process() {
  local pid=$1 what=$2
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "slurm-cluster: $what (pid $pid) did not stop in 10 s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

port_taken() {
  ss -Htln "sport = :$1" | grep -q .
}

start() {
  local ctld_port=${SLURMCTLD_PORT:-6817} d_port=${SLURMD_PORT:-6818}
  for port in "$ctld_port" "$d_port"; do
    if port_taken "$port"; then
      echo "slurm-cluster: port $port is taken (another cluster?); set SLURMCTLD_PORT and SLURMD_PORT" >&2
      exit 1
    fi
  done
  for tool in munged mungekey slurmctld slurmd sbatch squeue sinfo; do
    command -v "$tool" >/dev/null || {
      echo "slurm-cluster: $tool is missing (bash scripts/setup.sh installs munge and Slurm)" >&2
      exit 1
    }
  done
  mkdir -p "$dir"/{etc,munge,log,run,spool/ctld,spool/d}
  dir=$(cd "$dir" && pwd)
  chmod 755 "$dir/munge"  # clients reach the socket inside; the key itself is 0400
  local node topology
  node=$(hostname -s)
  # The node's real topology (CPUs=2 alone draws a warning about socket and core boundaries).
  topology=$(slurmd -C | head -n1 | sed -e 's/^NodeName=[^ ]* //' -e 's/ RealMemory=[0-9]*//')
  if [ -n "${SLURM_CLUSTER_CPUS:-}" ]; then
    topology="CPUs=$SLURM_CLUSTER_CPUS Boards=1 SocketsPerBoard=1 CoresPerSocket=$SLURM_CLUSTER_CPUS ThreadsPerCore=1"
  fi
  cat >"$dir/etc/slurm.conf" <<EOF
ClusterName=conc
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=$(id -un)
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
EnforcePartLimits=ALL
SlurmdParameters=config_overrides
SchedulerParameters=batch_sched_delay=0,sched_interval=2
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/d
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=$node NodeAddr=127.0.0.1 $topology State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  [ -s "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key" 2>/dev/null ||
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed"
  export SLURM_CONF="$dir/etc/slurm.conf"
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  # Bounded: the node is up when it is idle (about 1 to 2 s on a 2-core machine).
  for _ in $(seq 300); do
    if [ "$(sinfo -h -n "$node" -o %t 2>/dev/null)" = "idle" ]; then
      echo "slurm-cluster: up in $dir; export SLURM_CONF=$SLURM_CONF"
      return 0
    fi
    sleep 0.1
  done
  echo "slurm-cluster: the node did not become idle in 30 s; see $dir/log" >&2
  sinfo -N -l >&2 || true
  stop
  exit 1
}

stop() {
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd)
  export SLURM_CONF="$dir/etc/slurm.conf"
  local ctld d munge
  ctld=$(live_pid "$dir/run/slurmctld.pid" slurmctld) || ctld=""
  d=$(live_pid "$dir/run/slurmd.pid" slurmd) || d=""
  munge=$(live_pid "$dir/run/munged.pid" munged) || munge=""
  if [ -n "$ctld" ]; then
    timeout -k 2 10 scancel --user="$(id -un)" 2>/dev/null || true
  fi
  # What is still running of the jobs: their processes (from slurmd) and slurmstepd, found by the
  # sockets it holds in this cluster's spool folder, never by name.
  local pids=()
  if [ -n "$d" ]; then
    mapfile -t pids < <(timeout -k 2 10 scontrol listpids 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ {print $1}')
  fi
  mapfile -t -O "${#pids[@]}" pids < <(ss -Hxlp 2>/dev/null | grep -F "$dir/spool/d/" |
    grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  [ -n "$d" ] && end_process "$d" slurmd
  [ -n "$ctld" ] && end_process "$ctld" slurmctld
  [ -n "$munge" ] && end_process "$munge" munged
  echo "slurm-cluster: stopped ($dir)"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
