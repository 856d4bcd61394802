#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, to try profiles/slurm without a real cluster
# (README, "On a SLURM cluster"). slurmctld and slurmd run on localhost, started directly
# (no systemd), with munge for authentication and no accounting database.
#
#   profiles/slurm/local_cluster.sh start [--install]
#   snakemake --profile profiles/slurm --configfile presets/tiny.yaml
#   profiles/slurm/local_cluster.sh stop
#
# start     writes slurm.conf for this machine's CPUs and 80 % of its memory into the state
#           folder, starts munged, slurmctld and slurmd, and waits until the node is idle.
#           With --install (or SLURM_LOCAL_INSTALL=1), Debian's slurm-wlm and munge are
#           installed with apt-get when missing; that needs root.
# stop      stops the daemons started by `start` (never anyone else's).
# status    exits 0 when the node accepts jobs.
#
# The state folder is $SLURM_LOCAL_DIR (default /tmp/metabayes-slurm); slurmctld listens
# on $SLURM_LOCAL_PORT (default 6817) and slurmd on the next port. Its slurm.conf is
# also linked from /etc/slurm/slurm.conf, where SLURM's commands look when SLURM_CONF is
# unset: Snakemake's job step (snakemake-executor-plugin-slurm-jobstep 0.6.1) removes every
# SLURM_* variable, SLURM_CONF included, before it calls srun inside the job. An
# /etc/slurm/slurm.conf that is not that link is left alone, and start fails.
# Exit status 3 means SLURM is not installed and could not be installed.
set -euo pipefail

STATE=${SLURM_LOCAL_DIR:-/tmp/metabayes-slurm}
CONF=$STATE/slurm.conf
SYSTEM_CONF=/etc/slurm/slurm.conf
MUNGE_SOCKET=$STATE/munge/munge.socket
export SLURM_CONF=$CONF

die() { echo "local_cluster: $1" >&2; exit "${2:-1}"; }

have_slurm() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
        && command -v sbatch >/dev/null && command -v munged >/dev/null
}

install_slurm() {
    have_slurm && return 0
    if [[ ${1:-} != yes ]]; then
        die "slurmctld, slurmd, sbatch or munged is missing; run with --install (root, apt-get)" 3
    fi
    [[ $(id -u) == 0 ]] || die "installing SLURM needs root (apt-get install slurm-wlm munge)" 3
    command -v apt-get >/dev/null || die "no apt-get: install slurm-wlm and munge by hand" 3
    echo "local_cluster: installing slurm-wlm and munge with apt-get" >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >"$STATE/apt.log" 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$STATE/apt.log" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >>"$STATE/apt.log" 2>&1 \
            || die "apt-get install slurm-wlm munge failed (log: $STATE/apt.log)" 3
    fi
    have_slurm || die "SLURM still missing after apt-get (log: $STATE/apt.log)" 3
}

write_conf() {
    local cpus mem_mb user
    cpus=$(nproc)
    mem_mb=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.8}' /proc/meminfo)
    user=$(id -un)
    mkdir -p "$STATE"/{spool/ctld,spool/d,log,munge}
    cat >"$CONF" <<EOF
# Written by profiles/slurm/local_cluster.sh: one node on localhost, no accounting.
ClusterName=metabayes-local
SlurmctldHost=localhost
SlurmUser=$user
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
SlurmctldPort=${SLURM_LOCAL_PORT:-6817}
SlurmdPort=$(( ${SLURM_LOCAL_PORT:-6817} + 1 ))
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$STATE/spool/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# Finished jobs stay visible to squeue for an hour: long enough for Snakemake's
# status checks (the plugin needs more than three times its first check's delay).
MinJobAge=3600
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
MessageTimeout=30
NodeName=localhost NodeHostname=localhost CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

link_conf() {
    if [[ -e $SYSTEM_CONF || -L $SYSTEM_CONF ]] && [[ $(readlink "$SYSTEM_CONF") != "$CONF" ]]; then
        die "$SYSTEM_CONF exists and is not this cluster's: stop that cluster or remove it"
    fi
    mkdir -p "$(dirname "$SYSTEM_CONF")"
    ln -sfn "$CONF" "$SYSTEM_CONF"
}

running() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

node_idle() {
    sinfo -h -N -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'
}

start() {
    local install=no
    [[ ${1:-} == --install || ${SLURM_LOCAL_INSTALL:-} == 1 ]] && install=yes
    mkdir -p "$STATE"
    install_slurm "$install"
    write_conf
    link_conf
    if ! running "$STATE/munged.pid"; then
        [[ -r /etc/munge/munge.key ]] || die "no readable /etc/munge/munge.key (create it with mungekey)"
        munged --force --socket="$MUNGE_SOCKET" --pid-file="$STATE/munged.pid" \
            --log-file="$STATE/log/munged.log" --seed-file="$STATE/munge/munged.seed"
    fi
    running "$STATE/slurmctld.pid" || slurmctld -f "$CONF"
    running "$STATE/slurmd.pid" || slurmd -f "$CONF" -N localhost
    for _ in $(seq 60); do
        if node_idle; then
            echo "local_cluster: up ($(nproc) CPUs); export SLURM_CONF=$CONF"
            return 0
        fi
        sleep 1
    done
    die "the node did not become idle in 60 s; logs in $STATE/log"
}

stop() {
    local daemon
    for daemon in slurmd slurmctld munged; do
        if running "$STATE/$daemon.pid"; then
            kill "$(cat "$STATE/$daemon.pid")"
            for _ in $(seq 50); do running "$STATE/$daemon.pid" || break; sleep 0.2; done
        fi
        rm -f "$STATE/$daemon.pid"
    done
    [[ $(readlink "$SYSTEM_CONF" 2>/dev/null) == "$CONF" ]] && rm -f "$SYSTEM_CONF"
    echo "local_cluster: stopped"
}

case ${1:-} in
    start) shift; start "$@" ;;
    stop) stop ;;
    status) node_idle ;;
    *) die "usage: $0 start [--install] | stop | status" 2 ;;
esac
