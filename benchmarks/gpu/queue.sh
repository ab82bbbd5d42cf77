# Sourced by the GPU benchmark scripts after site.sh: a detached queue on the device machine that outlives the
# device call which started it (the machine stays warm 30 s after a call, so calls chained at once reach it again
# and only wait on it; a call that finds a fresh machine starts the queue over).
#   queue_start Q "ITEMS" ITEM_COMMAND   start the queue in folder Q unless it is running or done: each item, one
#                                        after another (PARALLEL=1: at once), runs ITEM_COMMAND with the item as $1
#                                        and its output in Q/<item>.log; Q/<item>.done marks a finished item
#   queue_wait Q BEGAN WAIT              wait until the queue is done or dead, or WAIT s after BEGAN (epoch seconds)
#   queue_stop Q                         end it by the process group in its pid file (never by a `pkill -f`
#                                        pattern, which also matches the device tool's own shell)
#   queue_report Q "ITEMS" OUT           each item's last log lines, the events, and logs.tgz into OUT
# CPU_DRY_RUN=1 skips the GPU checks, to try a queue on a CPU machine.

queue_alive() { [ -f "$1/queue.pid" ] && kill -0 "$(cat "$1/queue.pid")" 2>/dev/null; }

queue_stop() {
    if [ -f "$1/queue.pid" ]; then
        kill -- "-$(cat "$1/queue.pid")" 2>/dev/null && echo "$(date +%T) stopped" >> "$1/events.txt"
        rm -f "$1/queue.pid"
    fi
}

queue_start() {
    local q=$1 items=$2 command=$3
    mkdir -p "$q"
    if [ -f "$q/done" ] || queue_alive "$q"; then
        return 0
    fi
    cat > "$q/queue.sh" <<QUEUE
set -u
cd "$PWD"
if [ -z "${CPU_DRY_RUN:-}" ]; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >> "$q/events.txt"
    t0=\$(date +%s)
    python3 -c "from gsplat.cuda._backend import _C; assert _C is not None" || exit 1
    echo "\$(date +%T) gsplat ready in \$((\$(date +%s) - t0)) s" >> "$q/events.txt"
fi
item() { $command; }
run_one() {
    [ -f "$q/\$1.done" ] && return
    echo "\$(date +%T) start \$1" >> "$q/events.txt"
    item "\$1" > "$q/\$1.log" 2>&1
    echo "\$(date +%T) end \$1 (exit \$?)" >> "$q/events.txt"
    touch "$q/\$1.done"
}
for s in $items; do
    if [ -n "${PARALLEL:-}" ]; then run_one "\$s" & else run_one "\$s"; fi
done
wait
touch "$q/done"
QUEUE
    setsid nohup bash "$q/queue.sh" < /dev/null > "$q/queue.log" 2>&1 &
    echo $! > "$q/queue.pid"
    echo "$(date +%T) queue started: $items" >> "$q/events.txt"
}

queue_wait() {
    local q=$1 began=$2 wait_s=$3
    while [ ! -f "$q/done" ] && queue_alive "$q" && [ $(($(date +%s) - began)) -lt "$wait_s" ]; do sleep 5; done
}

queue_report() {
    local q=$1 items=$2 out=$3 s
    for s in $items; do
        [ -f "$q/$s.log" ] && { echo "== $s"; grep -v "^[IWE][0-9]\{4\} " "$q/$s.log" | tail -2 | cut -c1-300; }
    done
    cat "$q/events.txt"
    tar czf "$out/logs.tgz" -C "$q" --exclude='*.pid' . 2>/dev/null
}

# One device call's part: STOP=1 ends the queue, else it starts unless running or done; then wait until done or
# WAIT s (default 540) after BEGAN, report into OUT, and bring back gsplat's build if none was carried (as .jit/).
#   queue_call Q "ITEMS" ITEM_COMMAND BEGAN OUT
queue_call() {
    local q=$1 items=$2 command=$3 began=$4 out=$5
    if [ -n "${STOP:-}" ]; then queue_stop "$q"; else queue_start "$q" "$items" "$command"; fi
    queue_wait "$q" "$began" "${WAIT:-540}"
    queue_report "$q" "$items" "$out"
    [ -n "${CPU_DRY_RUN:-}" ] || [ -f .jit/gsplat_cuda.so.xz ] || save_jit "$out"
}
