#!/usr/bin/env bash
# A single-node SLURM on this machine, for the integration tests of `sweep --slurm` (and for trying it out).
#
#   scripts/slurm-local.sh start    install slurmctld, slurmd, slurm-client and munge (Debian packages) when
#                                   missing, write slurm.conf, start munged, slurmctld and slurmd, wait for the node
#   scripts/slurm-local.sh status   the daemons' process ids and `sinfo`; exit 0 only when the node takes jobs
#   scripts/slurm-local.sh stop     stop the daemons this script started, by process id
#   scripts/slurm-local.sh env      print `export SLURM_CONF=…` for sbatch, squeue, scancel
#
# Everything the daemons write (state, spool, logs, pid files, slurm.conf) is in one scratch folder,
# $BA_SLURM_DIR (default /tmp/benign-attention-slurm); /etc/slurm is not touched, so clients need
# SLURM_CONF=$BA_SLURM_DIR/slurm.conf. Needs root (apt-get, munged as the munge user, SlurmUser=root).
# `start` is idempotent: when the node already takes jobs it does nothing. Exit codes: 0 ok, 1 failed,
# 3 cannot be installed or started here (no root, no apt-get, or the packages cannot be fetched).
set -uo pipefail
dir="${BA_SLURM_DIR:-/tmp/benign-attention-slurm}"
conf="$dir/slurm.conf"
export SLURM_CONF="$conf"

log() { echo "slurm-local: $*" >&2; }

running() { # pid file -> whether its process lives
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

node_ready() {
  # sinfo waits for a controller that is not there: ask only when ours runs.
  [ -s "$conf" ] && running "$dir/slurmctld.pid" && running "$dir/slurmd.pid" || return 1
  local state
  state="$(timeout 10 sinfo -h -n localhost -o %T 2>/dev/null | head -n 1)"
  case "$state" in idle|mixed|allocated|completing) return 0 ;; *) return 1 ;; esac
}

install() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then log "slurm and munge are not installed and this is not root: cannot install them"; return 3; fi
  if ! command -v apt-get >/dev/null; then log "slurm and munge are not installed and there is no apt-get: cannot install them"; return 3; fi
  local started=$SECONDS
  log "installing slurmctld slurmd slurm-client munge (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge; } >"${TMPDIR:-/tmp}/slurm-local-apt.log" 2>&1; then
    tail -n 20 "${TMPDIR:-/tmp}/slurm-local-apt.log" >&2
    log "apt-get could not install the packages"
    return 3
  fi
  log "installed in $((SECONDS - started)) s"
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi   # a munged already answers
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key --force >/dev/null
    else dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; fi
  fi
  chown munge:munge /etc/munge /etc/munge/munge.key && chmod 700 /etc/munge && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  chmod 755 /run/munge
  runuser -u munge -- /usr/sbin/munged --pid-file="/run/munge/munged.pid" || { log "munged did not start"; return 1; }
  cp /run/munge/munged.pid "$dir/munged.pid"   # ours: `stop` ends it
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "munged does not answer"; return 1
}

write_conf() {
  local node
  # The node line as slurmd sees this machine (CPUs, sockets, cores, memory), renamed to localhost.
  node="$(slurmd -C 2>/dev/null | grep '^NodeName=' | sed -e 's/^NodeName=[^ ]*/NodeName=localhost/')"
  if [ -z "$node" ]; then log "slurmd -C printed no node line"; return 1; fi
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  cat >"$conf" <<CONF
# Written by scripts/slurm-local.sh: a single-node SLURM on localhost for tests.
ClusterName=benignlocal
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
KillWait=5
MinJobAge=600
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
  local started=$SECONDS
  if node_ready; then log "already running ($conf)"; return 0; fi
  if [ "$(id -u)" -ne 0 ]; then log "starting munged as munge and slurmd with SlurmUser=root needs root: cannot start SLURM here"; return 3; fi
  install || return $?
  mkdir -p "$dir"
  start_munge || return 1
  running "$dir/slurmctld.pid" || running "$dir/slurmd.pid" || write_conf || return 1
  if ! running "$dir/slurmctld.pid"; then
    slurmctld -f "$conf" -c -i || { log "slurmctld did not start; see $dir/log/slurmctld.log"; return 1; }
  fi
  if ! running "$dir/slurmd.pid"; then
    slurmd -f "$conf" -N localhost || { log "slurmd did not start; see $dir/log/slurmd.log"; return 1; }
  fi
  for _ in $(seq 120); do
    if node_ready; then log "node localhost takes jobs ($((SECONDS - started)) s; SLURM_CONF=$conf)"; return 0; fi
    sleep 0.5
  done
  timeout 10 scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1
  sleep 1
  if node_ready; then log "node localhost takes jobs ($((SECONDS - started)) s; SLURM_CONF=$conf)"; return 0; fi
  log "the node does not take jobs; see $dir/log/"; tail -n 5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null
  return 1
}

stop_pid() { # pid file, name
  running "$1" || { rm -f "$1"; return 0; }
  local pid; pid="$(cat "$1")"
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || { rm -f "$1"; log "stopped $2 ($pid)"; return 0; }; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null; rm -f "$1"; log "killed $2 ($pid)"
}

stop() {
  stop_pid "$dir/slurmd.pid" slurmd
  stop_pid "$dir/slurmctld.pid" slurmctld
  stop_pid "$dir/munged.pid" munged
}

status() {
  for name in munged slurmctld slurmd; do
    if running "$dir/$name.pid"; then echo "$name: running ($(cat "$dir/$name.pid"))"; else echo "$name: not started by this script"; fi
  done
  if node_ready; then timeout 10 sinfo; return 0; fi
  echo "node localhost: not taking jobs"; return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
